"""The catalog objects' fields and what a fresh cloud portal's catalog already holds.

SOURCES (bitrix24/b24restdocs):
- api-reference/catalog/data-types.md: every field and its type (catalog_catalog, catalog_section, catalog_product,
  catalog_product_offer, catalog_product_property, catalog_measure, catalog_price_type, catalog_price,
  catalog_store, catalog_storeproduct, catalog_document, catalog_document_element, catalog_vat). Read-only
  there: available, timestampX, type.
- catalog/catalog/catalog-catalog-list.md: the variations catalog (24) names its product catalog
  (productIblockId 23) and skuPropertyId 97; data-types.md: iblockTypeId is "CRM_PRODUCT_CATALOG", lid "s1".
- catalog/measure/catalog-measure-list.md: the portal's units with ids 1-4 = codes 6, 112, 163, 166;
  catalog/product/catalog-product-add.md uses measure 5. The codes are OKEI codes (6 metre, 112 litre, 163 gram,
  166 kilogram, 796 piece: ОК 015-94); the Russian titles and symbols are the OKEI names.
- catalog/price-type/catalog-price-type-get.md: price type 1 "BASE", base "Y", xmlId "BASE", sort 100.
- catalog/product-property/catalog-product-property-add.md: a new property's defaults as its answer prints them
  (colCount 30, rowCount 1, listType "L", filtrable / searchable / isRequired "N"); -update.md: sort 500 when
  none was given. Property ids start after skuPropertyId 97, the variations' parent link the portal keeps itself.
- catalog/vat/catalog-vat-list.md: rates 2 "0%" and 3 "20%"; the sandbox adds 1 "Без НДС" (no rate) and 4 "10%",
  the other rates of Russian VAT (Tax Code art. 164).
"""

from __future__ import annotations

from typing import Any

from b24sandbox.portal.entities import EntityTable
from b24sandbox.portal.methods_catalog_common import (
    OFFER_IBLOCK,
    PRODUCT_IBLOCK,
    SKU_PROPERTY,
    CatalogState,
    Schema,
    stamp,
)
from b24sandbox.portal.seed import FIRST_PRODUCT_ID

RO = True
RW = False

CATALOG = Schema({
    "id": ("integer", RO), "iblockId": ("integer", RO), "iblockTypeId": ("string", RO), "lid": ("string", RO),
    "name": ("string", RO), "productIblockId": ("integer", RO), "skuPropertyId": ("integer", RO),
    "subscription": ("char", RO), "vatId": ("integer", RO),
})

_ELEMENT_FIELDS: dict[str, tuple[str, bool]] = {
    "id": ("integer", RO), "iblockId": ("integer", RO), "name": ("string", RW), "active": ("char", RW),
    "available": ("char", RO), "code": ("string", RW), "xmlId": ("string", RW), "barcodeMulti": ("char", RW),
    "bundle": ("char", RO), "canBuyZero": ("char", RW), "createdBy": ("integer", RW), "modifiedBy": ("integer", RW),
    "dateActiveFrom": ("datetime", RW), "dateActiveTo": ("datetime", RW), "dateCreate": ("datetime", RW),
    "timestampX": ("datetime", RO), "iblockSectionId": ("integer", RW), "measure": ("integer", RW),
    "previewText": ("string", RW), "detailText": ("string", RW), "previewTextType": ("string", RW),
    "detailTextType": ("string", RW), "sort": ("integer", RW), "subscribe": ("char", RW), "vatId": ("integer", RW),
    "vatIncluded": ("char", RW), "height": ("double", RW), "length": ("double", RW), "weight": ("double", RW),
    "width": ("double", RW), "quantityTrace": ("char", RW), "type": ("integer", RO),
    "purchasingCurrency": ("string", RW), "purchasingPrice": ("double", RW), "quantity": ("double", RW),
    "quantityReserved": ("double", RW),
}
PRODUCT = Schema(dict(_ELEMENT_FIELDS))
OFFER = Schema({**_ELEMENT_FIELDS, "parentId": ("integer", RW)})
# The element table holds both; its filter knows every field of either.
ELEMENT = OFFER

SECTION = Schema({
    "id": ("integer", RO), "iblockId": ("integer", RW), "iblockSectionId": ("integer", RW), "name": ("string", RW),
    "xmlId": ("string", RW), "code": ("string", RW), "sort": ("integer", RW), "active": ("char", RW),
    "description": ("string", RW), "descriptionType": ("string", RW),
})

MEASURE = Schema({
    "id": ("integer", RO), "code": ("integer", RW), "isDefault": ("char", RW), "measureTitle": ("string", RW),
    "symbol": ("string", RW), "symbolIntl": ("string", RW), "symbolLetterIntl": ("string", RW),
})

PRICE_TYPE = Schema({
    "id": ("integer", RO), "name": ("string", RW), "base": ("char", RW), "sort": ("integer", RW),
    "xmlId": ("string", RW), "timestampX": ("datetime", RO), "createdBy": ("integer", RO),
    "modifiedBy": ("integer", RO), "dateCreate": ("datetime", RO),
})

PRICE = Schema({
    "catalogGroupId": ("integer", RW), "currency": ("string", RW), "extraId": ("integer", RW), "id": ("integer", RO),
    "price": ("double", RW), "productId": ("integer", RW), "quantityFrom": ("double", RW),
    "quantityTo": ("double", RW), "timestampX": ("datetime", RO),
})

STORE = Schema({
    "active": ("char", RW), "address": ("string", RW), "code": ("string", RW), "dateCreate": ("datetime", RO),
    "dateModify": ("datetime", RO), "description": ("string", RW), "email": ("string", RW), "gpsN": ("double", RW),
    "gpsS": ("double", RW), "id": ("integer", RO), "issuingCenter": ("char", RW), "modifiedBy": ("integer", RO),
    "phone": ("string", RW), "schedule": ("string", RW), "sort": ("integer", RW), "title": ("string", RW),
    "userId": ("integer", RO), "xmlId": ("string", RW),
})

# Stock is read-only in REST: documents change it (catalog/store-product/index.md, catalog/document/index.md).
STORE_PRODUCT = Schema({
    "amount": ("double", RO), "id": ("integer", RO), "productId": ("integer", RO), "quantityReserved": ("double", RO),
    "storeId": ("integer", RO),
})

DOCUMENT = Schema({
    "commentary": ("string", RW), "createdBy": ("integer", RW), "currency": ("string", RW),
    "dateCreate": ("datetime", RO), "dateDocument": ("datetime", RW), "dateModify": ("datetime", RO),
    "dateStatus": ("datetime", RO), "docNumber": ("string", RW), "docType": ("string", RW), "id": ("integer", RO),
    "modifiedBy": ("integer", RO), "responsibleId": ("integer", RW), "siteId": ("string", RW),
    "status": ("char", RO), "statusBy": ("integer", RO), "title": ("string", RW), "total": ("double", RW),
})

DOCUMENT_ELEMENT = Schema({
    "amount": ("double", RW), "docId": ("integer", RW), "elementId": ("integer", RW), "id": ("integer", RO),
    "purchasingPrice": ("double", RW), "storeFrom": ("integer", RW), "storeTo": ("integer", RW),
})

# catalog_product_property (data-types.md), in the order the answers print it (product-property-add.md).
PROPERTY = Schema({
    "active": ("char", RW), "code": ("string", RW), "colCount": ("integer", RW), "defaultValue": ("text", RW),
    "fileType": ("string", RW), "filtrable": ("char", RW), "hint": ("string", RW), "iblockId": ("integer", RW),
    "id": ("integer", RO), "isRequired": ("char", RW), "linkIblockId": ("integer", RW), "listType": ("char", RW),
    "multiple": ("char", RW), "multipleCnt": ("integer", RW), "name": ("string", RW), "propertyType": ("string", RW),
    "rowCount": ("integer", RW), "searchable": ("char", RW), "sort": ("integer", RW), "timestampX": ("datetime", RO),
    "userType": ("string", RW), "userTypeSettings": ("object", RW), "withDescription": ("char", RW),
    "xmlId": ("string", RW),
})

VAT = Schema({
    "id": ("integer", RO), "name": ("string", RW), "active": ("char", RW), "rate": ("double", RW),
    "sort": ("integer", RW), "timestampX": ("datetime", RO),
})

_MEASURES = (  # (code, title, symbol, symbolIntl, symbolLetterIntl, isDefault)
    (6, "Метр", "м", "m", "MTR", "N"),
    (112, "Литр", "л", "l", "LTR", "N"),
    (163, "Грамм", "г", "g", "GRM", "N"),
    (166, "Килограмм", "кг", "kg", "KGM", "N"),
    (796, "Штука", "шт", "pc. 1", "PCE", "Y"),
)
_VATS = ((1, "Без НДС", None, 100), (2, "НДС 0%", 0.0, 200), (3, "НДС 20%", 20.0, 300), (4, "НДС 10%", 10.0, 400))


def _table(name: str, schema: Schema) -> EntityTable:
    return EntityTable(name, schema.specs())


def _insert_at(table: EntityTable, wanted_id: int, record: dict[str, Any]) -> None:
    table.last_id = wanted_id - 1
    table.insert(record)


def build_catalog(user_id: int) -> CatalogState:
    """A fresh cloud portal's catalog: the two CRM catalogs, five units, the base price type and the VAT rates."""
    state = CatalogState(
        catalogs=_table("catalog", CATALOG),
        sections=_table("catalog_section", SECTION),
        elements=_table("catalog_element", ELEMENT),
        measures=_table("catalog_measure", MEASURE),
        price_types=_table("catalog_price_type", PRICE_TYPE),
        prices=_table("catalog_price", PRICE),
        stores=_table("catalog_store", STORE),
        store_products=_table("catalog_store_product", STORE_PRODUCT),
        documents=_table("catalog_document", DOCUMENT),
        document_elements=_table("catalog_document_element", DOCUMENT_ELEMENT),
        vats=_table("catalog_vat", VAT),
        properties=_table("catalog_product_property", PROPERTY),
    )
    state.properties.last_id = SKU_PROPERTY
    for iblock, name, parent, sku in (
        (PRODUCT_IBLOCK, "Товарный каталог CRM", None, None),
        (OFFER_IBLOCK, "Товарный каталог CRM (предложения)", PRODUCT_IBLOCK, SKU_PROPERTY),
    ):
        _insert_at(state.catalogs, iblock, {
            "IBLOCKID": iblock, "IBLOCKTYPEID": "CRM_PRODUCT_CATALOG", "LID": "s1", "NAME": name,
            "PRODUCTIBLOCKID": parent, "SKUPROPERTYID": sku, "SUBSCRIPTION": "N", "VATID": None,
        })
    for code, title, symbol, intl, letters, default in _MEASURES:
        new_id = state.measures.insert({
            "CODE": code, "MEASURETITLE": title, "SYMBOL": symbol, "SYMBOLINTL": intl,
            "SYMBOLLETTERINTL": letters, "ISDEFAULT": default,
        })
        state.measure_codes[code] = new_id
    created = stamp()
    state.price_types.insert({
        "NAME": "BASE", "BASE": "Y", "SORT": 100, "XMLID": "BASE", "TIMESTAMPX": created, "CREATEDBY": user_id,
        "MODIFIEDBY": user_id, "DATECREATE": created,
    })
    for vat_id, name, rate, sort in _VATS:
        _insert_at(state.vats, vat_id, {"NAME": name, "ACTIVE": "Y", "RATE": rate, "SORT": sort,
                                        "TIMESTAMPX": created})
    state.elements.last_id = FIRST_PRODUCT_ID - 1  # a sandbox choice: see seed.FIRST_PRODUCT_ID
    return state
