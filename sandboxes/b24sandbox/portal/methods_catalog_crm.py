"""The CRM product catalog as crm.product.* sees it: the same products catalog.product.* keeps, by other names.

SOURCES (bitrix24/b24restdocs unless named):
- api-reference/crm/outdated/products/index.md and every crm-product-*.md page: crm.product.* is deprecated, "use
  catalog.product.*" (crm.product.get -> catalog.product.get, .list -> .list, .fields -> getFieldsByFilter ...):
  two APIs over one catalog, so a product has one id whichever family wrote it, and deleting it by either removes it.
- crm.product fields: api-reference/crm/outdated/products/crm-product-fields.md and
  dev.1c-bitrix.ru/rest_help/crm/products/crm_product_fields.php (ID and CATALOG_ID read-only, NAME required,
  TIMESTAMP_X immutable; ACTIVE, CREATED_BY, CURRENCY_ID, DATE_CREATE, DESCRIPTION, DESCRIPTION_TYPE, MEASURE,
  MODIFIED_BY, PRICE, SECTION_ID, SORT, VAT_ID, VAT_INCLUDED, XML_ID).
- catalog.product fields: api-reference/catalog/data-types.md (catalog_product).
- crm-product-update.md / crm_product_add.php: "It is mandatory to specify CURRENCY_ID to set the price": PRICE is
  a price in a currency, which the catalog keeps as a catalog.price of a price type; the CRM's one price is the
  base type's (catalog_price_type ``base`` "Y", catalog/price-type/catalog-price-type-get.md).
- crm-product-list.md filters on ``CATALOG_ID``: the CRM catalog's information block (iblockId 23 here,
  catalog/catalog/catalog-catalog-list.md).

The mapping (same meaning and type in both field lists): ID = id, CATALOG_ID = iblockId, NAME = name, XML_ID =
xmlId, ACTIVE = active, SORT = sort, MEASURE = measure, VAT_ID = vatId, VAT_INCLUDED = vatIncluded, SECTION_ID =
iblockSectionId, CREATED_BY = createdBy, MODIFIED_BY = modifiedBy, DATE_CREATE = dateCreate, TIMESTAMP_X =
timestampX; PRICE / CURRENCY_ID = the base type's catalog.price ``price`` / ``currency``.
What the docs leave open, and the sandbox's choice:
- DESCRIPTION ("Description") against previewText ("Description for the announcement") and detailText ("Detailed
  description"): DESCRIPTION = detailText and DESCRIPTION_TYPE = detailTextType (the one full description).
- PRICE without CURRENCY_ID: "mandatory", but no error is documented; the price keeps its currency, and a product
  without a price gets RUB, the portal's base currency (the sandbox's earlier answer, which tests rely on).
- Which elements crm.product shows: those of the CRM catalog (CATALOG_ID 23); variations live in their own catalog
  (24, catalog.product.offer.*) and are not crm.product records.
- VAT_INCLUDED of a new product: "Y" from crm.product.add (as before), "N" from catalog.product.add.
- PREVIEW_PICTURE / DETAIL_PICTURE (product_file) are not kept: the sandbox catalog keeps no pictures.
"""

from __future__ import annotations

import re
from typing import Any

from b24sandbox.portal.entities import EntityTable, FieldSpec
from b24sandbox.portal.methods_catalog import element_defaults, insert_element, write_element
from b24sandbox.portal.methods_catalog_common import PRODUCT_IBLOCK, CatalogState, to_value
from b24sandbox.portal.methods_catalog_prices import base_price, set_base_price
from b24sandbox.portal.params import get_ci

Record = dict[str, Any]

BASE_CURRENCY = "RUB"
CRM_TO_CATALOG: dict[str, str] = {
    "ID": "id", "CATALOG_ID": "iblockId", "NAME": "name", "XML_ID": "xmlId", "ACTIVE": "active", "SORT": "sort",
    "MEASURE": "measure", "VAT_ID": "vatId", "VAT_INCLUDED": "vatIncluded", "SECTION_ID": "iblockSectionId",
    "DESCRIPTION": "detailText", "DESCRIPTION_TYPE": "detailTextType", "CREATED_BY": "createdBy",
    "MODIFIED_BY": "modifiedBy", "DATE_CREATE": "dateCreate", "TIMESTAMP_X": "timestampX",
}
PRICE_FIELDS = ("PRICE", "CURRENCY_ID")  # kept in catalog.price, not on the element
_FILTER_KEY = re.compile(r"^([!@=<>%]*)(.*)$")  # a filter key's prefix and field (crm-deal-list.md, "filter")


def product_fields() -> dict[str, FieldSpec]:
    """crm.product.fields: the field list of crm-product-fields.md (pictures left out: see the module's note)."""
    specs = [
        FieldSpec("ID", "integer", "ID", read_only=True),
        FieldSpec("CATALOG_ID", "integer", "Идентификатор каталога", read_only=True),
        FieldSpec("NAME", "string", "Название", required=True),
        FieldSpec("XML_ID", "string", "Внешний код"),
        FieldSpec("ACTIVE", "char", "Активен"),
        FieldSpec("PRICE", "double", "Цена"),
        FieldSpec("CURRENCY_ID", "string", "Идентификатор валюты"),
        FieldSpec("MEASURE", "integer", "Единица измерения"),
        FieldSpec("VAT_ID", "integer", "Идентификатор ставки НДС"),
        FieldSpec("VAT_INCLUDED", "char", "НДС включён в цену"),
        FieldSpec("SECTION_ID", "integer", "Идентификатор раздела"),
        FieldSpec("SORT", "integer", "Сортировка"),
        FieldSpec("DESCRIPTION", "string", "Описание"),
        FieldSpec("DESCRIPTION_TYPE", "string", "Тип описания"),
        FieldSpec("CREATED_BY", "integer", "Кем создан товар"),
        FieldSpec("MODIFIED_BY", "integer", "Кем изменён товар"),
        FieldSpec("DATE_CREATE", "datetime", "Дата создания товара", read_only=True),
        FieldSpec("TIMESTAMP_X", "datetime", "Дата изменения товара", read_only=True),
    ]
    return {s.name: s for s in specs}


_SPECS = product_fields()  # read here, never changed: crm.product has no user fields in the sandbox


def is_crm_product(record: Record) -> bool:
    return int(record.get("IBLOCKID") or 0) == PRODUCT_IBLOCK


def crm_product(cat: CatalogState, product_id: int) -> Record | None:
    """The element crm.product.* calls ``product_id``, or None (an unknown id or a variation)."""
    record = cat.elements.get(product_id)
    return record if record is not None and is_crm_product(record) else None


def crm_view(cat: CatalogState, record: Record) -> Record:
    """The element in crm.product's names and format: numbers of integer fields as strings, as crm.* prints them
    (crm-deal-get.md), PRICE a number."""
    view: Record = {}
    price = base_price(cat, int(record["ID"]))
    for name, spec in _SPECS.items():
        if name == "PRICE":
            view[name] = None if price is None else float(price["PRICE"])
        elif name == "CURRENCY_ID":
            view[name] = None if price is None else price["CURRENCY"]
        else:
            value = record.get(CRM_TO_CATALOG[name].upper())
            view[name] = str(int(value)) if spec.type == "integer" and value not in (None, "") else value
    return view


def _catalog_fields(fields: Record) -> Record:
    """crm.product ``fields`` under their catalog.product names; read-only, unknown and price fields dropped."""
    renamed = {}
    for raw, value in fields.items():
        name = str(raw).upper()
        spec = _SPECS.get(name)
        if spec is not None and not spec.read_only and name in CRM_TO_CATALOG:
            renamed[CRM_TO_CATALOG[name]] = value
    return renamed


def _write_price(cat: CatalogState, product_id: int, fields: Record) -> None:
    raw_price, raw_currency = get_ci(fields, "PRICE"), get_ci(fields, "CURRENCY_ID")
    current = base_price(cat, product_id)
    if raw_price in (None, "") and (current is None or raw_currency in (None, "")):
        return
    price = float(current["PRICE"]) if raw_price in (None, "") else to_value("double", raw_price)
    currency = str(raw_currency) if raw_currency not in (None, "") else (
        current["CURRENCY"] if current is not None else BASE_CURRENCY)
    set_base_price(cat, product_id, price, currency)


def add_crm_product(cat: CatalogState, fields: Record, user_id: int) -> Record:
    """crm.product.add's write: a product of the CRM catalog, and its base price when PRICE is given."""
    record = element_defaults(cat, user_id, PRODUCT_IBLOCK)
    record["VATINCLUDED"] = "Y"
    write_element(cat, record, _catalog_fields(fields))
    record["IBLOCKID"], record["TYPE"] = PRODUCT_IBLOCK, 1  # type 1: a simple product (catalog_product)
    insert_element(cat, record)
    _write_price(cat, int(record["ID"]), fields)
    return record


def update_crm_product(cat: CatalogState, record: Record, fields: Record, user_id: int) -> None:
    changed = dict(record)
    changed["MODIFIEDBY"] = user_id
    write_element(cat, changed, _catalog_fields(fields))
    record.update(changed)
    _write_price(cat, int(record["ID"]), fields)


def seed_crm_products(cat: CatalogState, rows: list[Record], user_id: int) -> None:
    """The seeded products (crm.product field names), written as crm.product.add writes them; the seed's own
    dates stay, so a seeded portal is the same every time."""
    for row in rows:
        record = add_crm_product(cat, row, user_id)
        for crm_name in ("DATE_CREATE", "TIMESTAMP_X"):
            if row.get(crm_name):
                record[CRM_TO_CATALOG[crm_name].upper()] = row[crm_name]


def catalog_query(crm_keys: Record) -> Record | None:
    """A crm.product.list ``filter`` or ``order`` in the catalog's stored names, or None when it names the price
    (kept apart from the element, so only a projection can filter or sort on it)."""
    translated = {}
    for key, value in crm_keys.items():
        match = _FILTER_KEY.match(str(key))
        prefix, name = (match.group(1), match.group(2).upper()) if match else ("", str(key).upper())
        if name in PRICE_FIELDS:
            return None
        translated[prefix + CRM_TO_CATALOG.get(name, name).upper()] = value
    return translated


def crm_table(cat: CatalogState) -> EntityTable:
    """Every CRM product in crm.product's names, in id order: what a list filtered or sorted by price reads."""
    table = EntityTable("product", product_fields())
    for element_id in cat.elements.ids:
        record = cat.elements.records[element_id]
        if is_crm_product(record):
            table.records[element_id] = crm_view(cat, record)
            table.ids.append(element_id)
    table.last_id = cat.elements.last_id
    return table
