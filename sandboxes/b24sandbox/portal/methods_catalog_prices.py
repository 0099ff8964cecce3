"""Units, price types and prices: catalog.measure.*, catalog.priceType.*, catalog.price.* (with modify).

SOURCES (bitrix24/b24restdocs, api-reference/catalog/):
- measure/catalog-measure-add.md, -get, -list, -update, -delete: ``{"measure": ...}`` / ``{"measures": [...]}``;
  required code (the OKEI code, an integer) and measureTitle; 200600000000 a unit with that code exists,
  200600000010 another unit is already the default, 200600000020 no such unit.
- price-type/catalog-price-type-add.md, -get, -list, -update, -delete: ``{"priceType": ...}`` /
  ``{"priceTypes": [...]}``; required name; 201000000000 no such price type; "BASE" when deleting the base type.
  The update example makes a second type base: the portal keeps one base type, so the old one stops being base.
- price/catalog-price-add.md, -get, -list, -update, -delete, -modify: ``{"price": ...}`` / ``{"prices": [...]}``;
  required productId, catalogGroupId (the price type), price, currency; 0 "Validate price error. Catalog price
  group is wrong" for an unknown type, 0 "Validate price error. Catalog product is allowed has only single price
  without ranges in price group" for a second price of one type; "Price does not exist" (no code is printed:
  the sandbox answers 0). modify takes ``fields[product][id]`` and ``fields[product][prices][]``: a price with an
  ``id`` is updated, one without is created, and the product's prices not named are deleted.
Deleting a price type deletes its prices, as the catalog module does with a price group.
"""

from __future__ import annotations

from typing import Any

from b24sandbox.portal.methods_catalog_common import (
    CatalogError,
    CatalogState,
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
from b24sandbox.portal.methods_catalog_tables import MEASURE, PRICE, PRICE_TYPE
from b24sandbox.portal.params import as_list, get_ci
from b24sandbox.portal.registry import Call, Outcome, method

# -- units -----------------------------------------------------------------------------------------------------


def _no_measure() -> CatalogError:
    return CatalogError(200600000020, "Measurement unit with this identifier does not exist")


def _check_measure(cat: CatalogState, record: Record, record_id: int | None) -> None:
    holder = cat.measure_codes.get(int(record["CODE"]))
    if holder is not None and holder != record_id:
        raise CatalogError(200600000000, "Measurement unit with the specified code already exists")
    if record.get("ISDEFAULT") == "Y":
        other = next((int(m["ID"]) for m in cat.measures.records.values()
                      if m.get("ISDEFAULT") == "Y" and int(m["ID"]) != record_id), None)
        if other is not None:
            raise CatalogError(200600000010, "Measurement unit with isDefault = Y already exists")


def _index_measure(cat: CatalogState, before: Record | None, after: Record | None) -> None:
    if before is not None:
        cat.measure_codes.pop(int(before["CODE"]), None)
    if after is not None:
        cat.measure_codes[int(after["CODE"])] = int(after["ID"])


register(Family(
    "catalog.measure", "measure", "measures", MEASURE, lambda c: c.measures, _no_measure,
    required=("code", "measureTitle"), defaults=lambda call: {"ISDEFAULT": "N"},
    check=_check_measure, commit=_index_measure,
))


# -- price types -----------------------------------------------------------------------------------------------


def _no_price_type() -> CatalogError:
    return CatalogError(201000000000, "Price type with such identifier does not exist")


def _one_base(cat: CatalogState, before: Record | None, after: Record | None) -> None:
    if after is not None and after.get("BASE") == "Y":
        for other in cat.price_types.records.values():
            if other is not after and other.get("BASE") == "Y":
                other["BASE"] = "N"


def _keep_base(cat: CatalogState, record: Record, record_id: int) -> None:
    if record.get("BASE") == "Y":
        raise CatalogError("BASE", "The base price type cannot be deleted")
    for key, price_id in [(k, v) for k, v in cat.price_index.items() if k[1] == record_id]:
        cat.prices.delete(price_id)
        del cat.price_index[key]


def _price_type_defaults(call: Call) -> Record:
    return {"BASE": "N", "SORT": 100, "CREATEDBY": call.caller.user_id, "DATECREATE": stamp()}


register(Family(
    "catalog.priceType", "priceType", "priceTypes", PRICE_TYPE, lambda c: c.price_types, _no_price_type,
    required=("name",), defaults=_price_type_defaults, commit=_one_base, deletable=_keep_base,
    touch=("TIMESTAMPX",), modifier="MODIFIEDBY",
))


# -- prices ----------------------------------------------------------------------------------------------------


def _no_price() -> CatalogError:
    return CatalogError(0, "Price does not exist")


def _check_price(cat: CatalogState, record: Record, record_id: int | None) -> None:
    if cat.price_types.get(int(record["CATALOGGROUPID"])) is None:
        raise CatalogError(0, "Validate price error. Catalog price group is wrong")
    holder = cat.price_index.get((int(record["PRODUCTID"]), int(record["CATALOGGROUPID"])))
    if holder is not None and holder != record_id:
        raise CatalogError(0, "Validate price error. Catalog product is allowed has only single price without "
                              "ranges in price group")


def _index_price(cat: CatalogState, before: Record | None, after: Record | None) -> None:
    if before is not None:
        cat.price_index.pop((int(before["PRODUCTID"]), int(before["CATALOGGROUPID"])), None)
    if after is not None:
        cat.price_index[(int(after["PRODUCTID"]), int(after["CATALOGGROUPID"]))] = int(after["ID"])


PRICES = Family(
    "catalog.price", "price", "prices", PRICE, lambda c: c.prices, _no_price,
    required=("productId", "catalogGroupId", "price", "currency"), check=_check_price, commit=_index_price,
    touch=("TIMESTAMPX",),
)
register(PRICES)


def base_type_id(cat: CatalogState) -> int | None:
    """The base price type: the one price type with base "Y" (catalog-price-type-update.md keeps one)."""
    return next((int(t["ID"]) for t in cat.price_types.records.values() if t.get("BASE") == "Y"), None)


def base_price(cat: CatalogState, product_id: int) -> Record | None:
    """The product's price of the base type, or None when it has none."""
    type_id = base_type_id(cat)
    price_id = None if type_id is None else cat.price_index.get((product_id, type_id))
    return None if price_id is None else cat.prices.records[price_id]


def set_base_price(cat: CatalogState, product_id: int, price: float, currency: str) -> Record:
    """Create or change the product's price of the base type, as catalog.price.add / update would."""
    type_id = base_type_id(cat)
    if type_id is None:
        raise CatalogError(0, "Validate price error. Catalog price group is wrong")
    record = base_price(cat, product_id)
    if record is not None:
        record.update({"PRICE": price, "CURRENCY": currency, "TIMESTAMPX": stamp()})
        return record
    record = {"PRODUCTID": product_id, "CATALOGGROUPID": type_id, "PRICE": price, "CURRENCY": currency,
              "TIMESTAMPX": stamp()}
    cat.prices.insert(record)
    _index_price(cat, None, record)
    return record


def _modify_rows(raw: Any) -> list[dict[str, Any]]:
    rows = [r for r in as_list(raw) if isinstance(r, dict)]
    for row in rows:
        missing = [n for n in ("catalogGroupId", "price", "currency") if get_ci(row, n) in (None, "")]
        if missing:
            raise required_fields(missing)
    return rows


def _product_prices(cat: CatalogState, product_id: int) -> list[Record]:
    found = []
    for type_id in list(cat.price_types.ids):
        price_id = cat.price_index.get((product_id, type_id))
        if price_id is not None:
            found.append(cat.prices.records[price_id])
    return found


@method("catalog.price.modify", scope="catalog")
def _price_modify(call: Call) -> Outcome:
    fields = fields_param(call.params)
    product = get_ci(fields, "product")
    if not isinstance(product, dict):
        raise missing_parameter("product")
    product_id = positive_id(product)
    rows = _modify_rows(get_ci(product, "prices"))
    types = [int(to_value("integer", get_ci(r, "catalogGroupId"))) for r in rows]
    if len(set(types)) != len(types):
        raise CatalogError(0, "Validate price error. Catalog product is allowed to have only a single price without "
                              "ranges in the price group")
    with call.state.lock:
        cat = catalog(call)
        if any(cat.price_types.get(t) is None for t in types):
            raise CatalogError(0, "Validate price error. Catalog price group is wrong")
        current = {int(p["ID"]): p for p in _product_prices(cat, product_id)}
        named = {int(to_value("integer", get_ci(r, "id"))) for r in rows if get_ci(r, "id") not in (None, "")}
        if not named <= set(current):
            raise _no_price()
        for price_id in set(current) - named:
            _index_price(cat, current[price_id], None)
            cat.prices.delete(price_id)
        for price_id in named:  # free the types first, so two prices may swap their types in one call
            _index_price(cat, current[price_id], None)
        for row in rows:
            row_id = get_ci(row, "id")
            record = current[int(to_value("integer", row_id))] if row_id not in (None, "") else {}
            write(PRICE, record, {k: v for k, v in row.items() if str(k).lower() != "id"})
            record["PRODUCTID"] = product_id
            record["TIMESTAMPX"] = stamp()
            if "ID" not in record:
                cat.prices.insert(record)
            _index_price(cat, None, record)
        answer = [out(PRICE, p) for p in _product_prices(cat, product_id)]
    return Outcome({"prices": answer})
