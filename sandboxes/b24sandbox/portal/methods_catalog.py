"""Catalogs, VAT rates, sections, products and product variations: catalog.catalog.*, catalog.vat.*,
catalog.section.*, catalog.product.*, catalog.product.offer.*.

SOURCES (bitrix24/b24restdocs, api-reference/catalog/):
- catalog/catalog-catalog-list.md, catalog-catalog-get.md: ``{"catalogs": [...]}`` / ``{"catalog": {...}}``; a
  variations catalog names its product catalog in productIblockId; 0 "Trade catalog with the specified identifier
  does not exist".
- vat/catalog-vat-list.md, catalog-vat-get.md: ``{"vats": [...]}``; 200800000000 "No VAT rate exists with this
  identifier". (The examples of both pages print no wrapper; "vats" / "vat" follow every other catalog page.)
- section/catalog-section-add.md, -get, -list, -update, -delete: required iblockId and name; ``{"section": ...}``,
  ``{"sections": [...]}``; 200700300030 no such section, 200700300040 a duplicate ``code``, 200700300050 no such
  information block, 200700300000 / 200700300010 the parent section is in another information block; list needs
  ``iblockId`` in the filter.
- product/catalog-product-add.md, -get, -list, -update, -delete and product/index.md: add and update answer
  ``{"element": ...}``, get ``{"product": ...}``, list ``{"products": [...]}``; required iblockId and name; an
  empty xmlId becomes the element's id (the add example); purchasingPrice prints as "1000.000000"; quantity,
  quantityReserved, purchasingPrice and purchasingCurrency are "not editable when inventory accounting is enabled"
  (no error is documented, so the sandbox ignores them then, and documents set quantity); list needs ``iblockId``
  in the filter and ``id``, ``iblockId`` in ``select``; errors 100 (no ``fields`` / ``id``), 200040300000 (no
  such information block), 0 "The product does not exist", 0 for an unknown section, VAT rate or a duplicate
  symbolic code.
- product/offer/catalog-product-offer-add.md, -get, -list, -update, -delete: the same for variations in the
  variations catalog, with ``parentId`` (printed as the property value ``{"value": "1275", "valueId": "9863"}``),
  type 4 (variation) or 5 (variation without a product); ``{"offer": ...}``, ``{"offers": [...]}``.
- data-types.md (catalog_product): available is read-only: "availability for purchase".
- ``property<ID>`` values (written by add / update, printed by get / list, described by getFieldsByFilter for the
  catalog its required ``filter[iblockId]`` names): methods_catalog_properties.py.
Deleting a product also deletes its prices, stock rows and variations, and deleting a section its subsections and
their products, as the iblock and catalog modules do for an element or a section they delete.
"""

from __future__ import annotations

from typing import Any

from b24sandbox.portal.methods_catalog_common import (
    OFFER_IBLOCK,
    CatalogError,
    CatalogState,
    ListQuery,
    catalog,
    fields_param,
    missing_parameter,
    out,
    positive_id,
    required_fields,
    stamp,
    to_value,
    write,
)
from b24sandbox.portal.methods_catalog_crud import Family, Record, register
from b24sandbox.portal.methods_catalog_properties import (
    properties_described,
    value_filter,
    values_out,
    write_values,
)
from b24sandbox.portal.methods_catalog_tables import CATALOG, OFFER, PRODUCT, SECTION, VAT
from b24sandbox.portal.registry import Call, Outcome, method

# Written only while inventory management is off (catalog_product in data-types.md).
STOCK_FIELDS = ("quantity", "quantityReserved", "purchasingPrice", "purchasingCurrency")


# -- catalogs and VAT rates ----------------------------------------------------------------------------------


def _no_catalog() -> CatalogError:
    return CatalogError(0, "Trade catalog with the specified identifier does not exist")


def _no_vat() -> CatalogError:
    return CatalogError(200800000000, "No VAT rate exists with this identifier")


register(Family("catalog.catalog", "catalog", "catalogs", CATALOG, lambda c: c.catalogs, _no_catalog),
         ("get", "list", "getFields"))
register(Family("catalog.vat", "vat", "vats", VAT, lambda c: c.vats, _no_vat, required=("name",),
                defaults=lambda call: {"ACTIVE": "Y", "SORT": 100}, touch=("TIMESTAMPX",)))


# -- sections ------------------------------------------------------------------------------------------------


def _no_section() -> CatalogError:
    return CatalogError(200700300030, "Catalog section with this identifier does not exist")


def _check_section(cat: CatalogState, record: Record, record_id: int | None) -> None:
    iblock = record.get("IBLOCKID")
    if cat.catalogs.get(int(iblock or 0)) is None:
        raise CatalogError(200700300050, "Information block with the specified iblockId does not exist")
    parent_id = record.get("IBLOCKSECTIONID")
    if parent_id is not None:
        parent = cat.sections.get(int(parent_id))
        if parent is None or parent.get("IBLOCKID") != iblock or parent_id == record_id:
            code = 200700300000 if record_id is None else 200700300010
            raise CatalogError(code, "The parent section belongs to another information block or does not exist")
    code_value = record.get("CODE")
    if code_value:
        holder = cat.section_codes.get((int(iblock), str(code_value)))
        if holder is not None and holder != record_id:
            raise CatalogError(200700300040, f"Section with code {code_value} already exists")


def _index_section(cat: CatalogState, before: Record | None, after: Record | None) -> None:
    if before is not None and before.get("CODE"):
        cat.section_codes.pop((int(before["IBLOCKID"]), str(before["CODE"])), None)
    if after is not None and after.get("CODE"):
        cat.section_codes[(int(after["IBLOCKID"]), str(after["CODE"]))] = int(after["ID"])


def _drop_section_tree(cat: CatalogState, record: Record, record_id: int) -> None:
    """Subsections go with their section, and the products in any of them (iblock module, section delete)."""
    doomed = {record_id}
    grew = True
    while grew:  # sections are few: a fixed point over them is cheap
        children = {int(s["ID"]) for s in cat.sections.records.values()
                    if s.get("IBLOCKSECTIONID") is not None and int(s["IBLOCKSECTIONID"]) in doomed}
        grew = not children <= doomed
        doomed |= children
    for section_id in doomed - {record_id}:
        child = cat.sections.get(section_id)
        if child is not None:
            cat.sections.delete(section_id)
            _index_section(cat, child, None)
    products = [int(e["ID"]) for e in cat.elements.records.values()
                if e.get("IBLOCKSECTIONID") is not None and int(e["IBLOCKSECTIONID"]) in doomed]
    for product_id in products:
        delete_element(cat, product_id)


register(Family(
    "catalog.section", "section", "sections", SECTION, lambda c: c.sections, _no_section,
    required=("iblockId", "name"),
    defaults=lambda call: {"ACTIVE": "Y", "SORT": 500, "DESCRIPTIONTYPE": "text"},
    check=_check_section, commit=_index_section, deletable=_drop_section_tree,
), ("add", "get", "update", "delete", "getFields"))


@method("catalog.section.list", scope="catalog")
def _section_list(call: Call) -> Outcome:
    query = ListQuery.of(call.params)
    if query.filter_value("iblockId") is None:
        raise CatalogError(0, "Required fields in the filter structure are not provided: iblockId")
    with call.state.lock:
        page = catalog(call).sections.list(query.filter, query.order, query.start)
        items = [out(SECTION, r, query.select) for r in page.items]
    return Outcome({"sections": items}, total=page.total, next=page.next)


# -- products and variations ---------------------------------------------------------------------------------


def delete_element(cat: CatalogState, element_id: int) -> None:
    """Remove a product or variation with its prices, stock rows, variations and indexes."""
    record = cat.elements.get(element_id)
    if record is None:
        return
    for offer_id in list(cat.offers_of.pop(element_id, set())):
        delete_element(cat, offer_id)
    cat.elements.delete(element_id)
    if record.get("CODE"):
        cat.element_codes.pop((int(record["IBLOCKID"]), str(record["CODE"])), None)
    parent = record.get("PARENTID")
    if parent is not None:
        cat.offers_of.get(int(parent), set()).discard(element_id)
    for type_id in [int(p["ID"]) for p in cat.price_types.records.values()]:
        price_id = cat.price_index.pop((element_id, type_id), None)
        if price_id is not None:
            cat.prices.delete(price_id)
    for store_id in list(cat.stores.ids):
        stock_id = cat.stock_index.pop((element_id, store_id), None)
        if stock_id is not None:
            cat.store_products.delete(stock_id)


def available(record: Record) -> str:
    # "Availability for purchase" (data-types.md): a product counted in stock with none left, that may not be
    # bought at zero, is not available.
    traced = record.get("QUANTITYTRACE") == "Y"
    if traced and record.get("CANBUYZERO") != "Y" and float(record.get("QUANTITY") or 0) <= 0:
        return "N"
    return "Y"


def _element_out(
    cat: CatalogState, record: Record, select: list[str] | None = None, offer: bool = False
) -> dict[str, Any]:
    answer = out(OFFER if offer else PRODUCT, record, select)
    if answer.get("purchasingPrice") is not None:
        answer["purchasingPrice"] = f"{float(answer['purchasingPrice']):.6f}"
    if offer and answer.get("parentId") is not None:
        answer["parentId"] = {"value": str(answer["parentId"]), "valueId": str(record.get("PARENTID_VALUEID"))}
    answer.update(values_out(cat, record, select))
    return answer


def element_defaults(cat: CatalogState, user_id: int, iblock: int) -> Record:
    """A new element before its ``fields`` are written: what the catalog module fills in itself."""
    default_measure = next((int(m["ID"]) for m in cat.measures.records.values() if m.get("ISDEFAULT") == "Y"), None)
    now = stamp()
    return {
        "IBLOCKID": iblock, "ACTIVE": "Y", "BUNDLE": "N", "CANBUYZERO": "N", "BARCODEMULTI": "N",
        "SUBSCRIBE": "D", "VATINCLUDED": "N", "QUANTITYTRACE": "D", "SORT": 500, "PREVIEWTEXTTYPE": "text",
        "DETAILTEXTTYPE": "text", "CREATEDBY": user_id, "MODIFIEDBY": user_id,
        "DATECREATE": now, "QUANTITY": 0.0, "QUANTITYRESERVED": 0.0, "MEASURE": default_measure,
    }


def _check_element(cat: CatalogState, record: Record, record_id: int | None) -> None:
    missing = [n for n in ("iblockId", "name") if record.get(n.upper()) in (None, "")]
    if missing:
        raise required_fields(missing)
    section = record.get("IBLOCKSECTIONID")
    if section is not None and cat.sections.get(int(section)) is None:
        raise CatalogError(0, "Section with the specified identifier does not exist")
    vat = record.get("VATID")
    if vat is not None and cat.vats.get(int(vat)) is None:
        raise CatalogError(0, "VAT rate with the specified identifier does not exist")
    code = record.get("CODE")
    if code:
        holder = cat.element_codes.get((int(record["IBLOCKID"]), str(code)))
        if holder is not None and holder != record_id:
            raise CatalogError(0, f"Product with the symbolic code {code} already exists")


def _iblock(cat: CatalogState, fields: dict[str, Any], offers: bool) -> int:
    raw = next((v for k, v in fields.items() if str(k).lower() == "iblockid"), None)
    if raw in (None, ""):
        raise required_fields(["iblockId"])
    iblock = to_value("integer", raw)
    found = cat.catalogs.get(int(iblock))
    is_offers = found is not None and found.get("PRODUCTIBLOCKID") is not None
    if found is None or is_offers != offers:
        raise CatalogError(200040300000, "Information block with the specified identifier does not exist")
    return int(iblock)


def write_element(cat: CatalogState, record: Record, fields: dict[str, Any], offer: bool = False) -> None:
    """Write camelCase ``fields`` into an element; stock fields only while inventory management is off."""
    skip = STOCK_FIELDS if cat.inventory_management else ()
    write(OFFER if offer else PRODUCT, record, fields, skip=skip)
    record["AVAILABLE"] = available(record)
    record["TIMESTAMPX"] = stamp()


def _add_element(call: Call, offer: bool) -> Record:
    fields = fields_param(call.params)
    cat = catalog(call)
    iblock = _iblock(cat, fields, offer)
    record = element_defaults(cat, call.caller.user_id, iblock)
    write_element(cat, record, fields, offer)
    record["IBLOCKID"] = iblock
    parent = record.get("PARENTID") if offer else None
    if parent is not None and cat.elements.get(int(parent)) is None:
        raise CatalogError(0, "Product with the specified parentId does not exist")
    record["TYPE"] = (4 if parent is not None else 5) if offer else 1
    _check_element(cat, record, None)
    inserted = insert_element(cat, record)
    # After the insert: the parent link takes its value id first, as in the offer get example (9867, then 9868).
    write_values(cat, inserted, fields, adding=True)
    return inserted


def insert_element(cat: CatalogState, record: Record) -> Record:
    """Store a checked element with its indexes; an empty xmlId becomes the id (catalog-product-add.md)."""
    new_id = cat.elements.insert(record)
    if not record.get("XMLID"):
        record["XMLID"] = str(new_id)
    if record.get("CODE"):
        cat.element_codes[(int(record["IBLOCKID"]), str(record["CODE"]))] = new_id
    parent = record.get("PARENTID")
    if parent is not None:
        cat.offers_of.setdefault(int(parent), set()).add(new_id)
        record["PARENTID_VALUEID"] = cat.next_value_id
        cat.next_value_id += 1
    return record


def _element(cat: CatalogState, element_id: int, offer: bool) -> Record:
    record = cat.elements.get(element_id)
    if record is None or (int(record["IBLOCKID"]) == OFFER_IBLOCK) != offer:
        raise CatalogError(0, "The product variation does not exist" if offer else "The product does not exist")
    return record


def _update_element(call: Call, offer: bool) -> Record:
    element_id = positive_id(call.params)
    fields = fields_param(call.params)
    cat = catalog(call)
    record = _element(cat, element_id, offer)
    changed = dict(record)
    write_element(cat, changed, fields, offer)
    write_values(cat, changed, fields, adding=False)
    parent = changed.get("PARENTID") if offer else None
    if parent is not None and cat.elements.get(int(parent)) is None:
        raise CatalogError(0, "Product with the specified parentId does not exist")
    _check_element(cat, changed, element_id)
    if record.get("CODE"):
        cat.element_codes.pop((int(record["IBLOCKID"]), str(record["CODE"])), None)
    if changed.get("CODE"):
        cat.element_codes[(int(changed["IBLOCKID"]), str(changed["CODE"]))] = element_id
    if offer and record.get("PARENTID") != parent:
        if record.get("PARENTID") is not None:
            cat.offers_of.get(int(record["PARENTID"]), set()).discard(element_id)
        if parent is not None:
            cat.offers_of.setdefault(int(parent), set()).add(element_id)
        changed["TYPE"] = 4 if parent is not None else 5
    changed["MODIFIEDBY"] = call.caller.user_id
    record.update(changed)
    return record


def _element_list(call: Call, offer: bool) -> Outcome:
    query = ListQuery.of(call.params)
    wanted = {s.lower() for s in query.select}
    if not {"id", "iblockid"} <= wanted:
        raise CatalogError(0, "Fields id, iblockId are not specified in the selection fields")
    iblock = query.filter_value("iblockId")
    if iblock is None:
        raise CatalogError(0, "Field iblockId is not specified in the filter")
    with call.state.lock:
        cat = catalog(call)
        page = cat.elements.list(value_filter(query.filter), query.order, query.start)
        items = [_element_out(cat, r, query.select, offer) for r in page.items]
    return Outcome({"offers" if offer else "products": items}, total=page.total, next=page.next)


@method("catalog.product.add", scope="catalog")
def _product_add(call: Call) -> Outcome:
    with call.state.lock:
        return Outcome({"element": _element_out(catalog(call), _add_element(call, offer=False))})


@method("catalog.product.update", scope="catalog")
def _product_update(call: Call) -> Outcome:
    with call.state.lock:
        return Outcome({"element": _element_out(catalog(call), _update_element(call, offer=False))})


@method("catalog.product.get", scope="catalog")
def _product_get(call: Call) -> Outcome:
    element_id = positive_id(call.params)
    with call.state.lock:
        cat = catalog(call)
        return Outcome({"product": _element_out(cat, _element(cat, element_id, offer=False))})


@method("catalog.product.list", scope="catalog")
def _product_list(call: Call) -> Outcome:
    return _element_list(call, offer=False)


@method("catalog.product.delete", scope="catalog")
def _product_delete(call: Call) -> Outcome:
    element_id = positive_id(call.params)
    with call.state.lock:
        cat = catalog(call)
        _element(cat, element_id, offer=False)
        delete_element(cat, element_id)
    return Outcome(True)


def _fields_by_filter(call: Call, offer: bool) -> dict[str, Any]:
    """The element fields plus the ``property<ID>`` fields of the catalog ``filter[iblockId]`` names
    (catalog-product-get-fields-by-filter.md: 100 without a filter, 0 without its iblockId)."""
    query = ListQuery.of(call.params)
    if not query.filter:
        raise missing_parameter("filter")
    iblock = to_value("integer", query.filter_value("iblockId"))
    if iblock is None:
        raise CatalogError(0, "Information block identifier not specified")
    with call.state.lock:
        return {**(OFFER if offer else PRODUCT).describe(), **properties_described(catalog(call), int(iblock))}


@method("catalog.product.getfieldsbyfilter", scope="catalog")
def _product_fields(call: Call) -> Outcome:
    return Outcome({"product": _fields_by_filter(call, offer=False)})


@method("catalog.product.offer.add", scope="catalog")
def _offer_add(call: Call) -> Outcome:
    with call.state.lock:
        return Outcome({"offer": _element_out(catalog(call), _add_element(call, offer=True), offer=True)})


@method("catalog.product.offer.update", scope="catalog")
def _offer_update(call: Call) -> Outcome:
    with call.state.lock:
        return Outcome({"offer": _element_out(catalog(call), _update_element(call, offer=True), offer=True)})


@method("catalog.product.offer.get", scope="catalog")
def _offer_get(call: Call) -> Outcome:
    element_id = positive_id(call.params)
    with call.state.lock:
        cat = catalog(call)
        return Outcome({"offer": _element_out(cat, _element(cat, element_id, offer=True), offer=True)})


@method("catalog.product.offer.list", scope="catalog")
def _offer_list(call: Call) -> Outcome:
    return _element_list(call, offer=True)


@method("catalog.product.offer.delete", scope="catalog")
def _offer_delete(call: Call) -> Outcome:
    element_id = positive_id(call.params)
    with call.state.lock:
        cat = catalog(call)
        _element(cat, element_id, offer=True)
        delete_element(cat, element_id)
    return Outcome(True)


@method("catalog.product.offer.getfieldsbyfilter", scope="catalog")
def _offer_fields(call: Call) -> Outcome:
    return Outcome({"offer": _fields_by_filter(call, offer=True)})

