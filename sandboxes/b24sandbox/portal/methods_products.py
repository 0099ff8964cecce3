"""CRM catalog products: crm.product.fields/add/get/list/update/delete.

Facts: dev.1c-bitrix.ru/rest_help/crm/products/crm_product_fields.php (the field set: ID and CATALOG_ID read-only,
NAME required, XML_ID "external code", PRICE, CURRENCY_ID, MEASURE, VAT_ID, VAT_INCLUDED, SECTION_ID, SORT,
ACTIVE, DESCRIPTION), crm_product_get.php / crm_product_add.php / crm_product_list.php (same calling convention as
crm.deal.*: ``id``, ``fields``, ``filter``/``select``/``order``/``start``). Deal product rows name a product by
PRODUCT_ID (api-reference/crm/deals/crm-deal-productrows-set.md). The table is created on first use, so a reset
portal has an empty catalog.
"""

from __future__ import annotations

from typing import Any

from b24sandbox.portal import errors
from b24sandbox.portal.clock import iso, now
from b24sandbox.portal.entities import EntityTable, FieldSpec
from b24sandbox.portal.errors import RestError
from b24sandbox.portal.params import as_dict, as_list, get_ci
from b24sandbox.portal.registry import Call, Outcome, method

CATALOG_ID = "23"  # the CRM product catalog's iblock id on a fresh cloud portal


def product_fields() -> dict[str, FieldSpec]:
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
        FieldSpec("DATE_CREATE", "datetime", "Дата создания товара", read_only=True),
        FieldSpec("TIMESTAMP_X", "datetime", "Дата изменения товара", read_only=True),
    ]
    return {s.name: s for s in specs}


def _table(call: Call) -> EntityTable:
    return call.state.tables.setdefault("product", EntityTable("product", product_fields()))


def _id(call: Call) -> int:
    try:
        value = int(str(get_ci(call.params, "id")))
    except (TypeError, ValueError):
        raise errors.bad_id() from None
    if value <= 0:
        raise errors.bad_id()
    return value


def _apply(record: dict[str, Any], fields: dict[str, Any], specs: dict[str, FieldSpec]) -> None:
    for raw, value in fields.items():
        name = str(raw).upper()
        spec = specs.get(name)
        if spec is None or spec.read_only:
            continue
        if spec.type == "double":
            record[name] = float(str(value or 0).replace(",", "."))
        elif spec.type == "integer":
            record[name] = None if value in (None, "") else str(int(float(str(value))))
        else:
            record[name] = None if value is None else str(value)
    record["TIMESTAMP_X"] = iso(now())


def _fields(call: Call) -> dict[str, Any]:
    fields = get_ci(call.params, "fields")
    if not isinstance(fields, dict):
        raise RestError("", "Parameter 'fields' must be array.", 400)
    return fields


@method("crm.product.fields", scope="crm")
def _product_fields(call: Call) -> Outcome:
    return Outcome({n: s.describe() for n, s in product_fields().items()})


@method("crm.product.add", scope="crm")
def _product_add(call: Call) -> Outcome:
    fields = _fields(call)
    if not str(get_ci(fields, "NAME") or "").strip():
        raise RestError("", "The field 'NAME' is required.", 400)
    with call.state.lock:
        table = _table(call)
        stamp = iso(now())
        record: dict[str, Any] = {"CATALOG_ID": CATALOG_ID, "ACTIVE": "Y", "CURRENCY_ID": "RUB", "PRICE": 0.0,
                                  "SORT": "500", "XML_ID": None, "MEASURE": None, "VAT_ID": None,
                                  "VAT_INCLUDED": "Y", "SECTION_ID": None, "DESCRIPTION": None,
                                  "DATE_CREATE": stamp}
        _apply(record, fields, table.fields)
        return Outcome(table.insert(record))


@method("crm.product.get", scope="crm")
def _product_get(call: Call) -> Outcome:
    product_id = _id(call)
    with call.state.lock:
        record = _table(call).get(product_id)
        if record is None:
            raise errors.not_found()
        return Outcome(dict(record))


@method("crm.product.list", scope="crm")
def _product_list(call: Call) -> Outcome:
    raw_filter = as_dict(get_ci(call.params, "filter"))
    order = as_dict(get_ci(call.params, "order"))
    select = [str(s) for s in as_list(get_ci(call.params, "select"))]
    try:
        start = int(str(get_ci(call.params, "start", 0) or 0))
    except ValueError:
        start = 0
    with call.state.lock:
        table = _table(call)
        page = table.list(raw_filter, order, start)
        items = [table.project(r, select) for r in page.items]
    return Outcome(items, total=page.total, next=page.next)


@method("crm.product.update", scope="crm")
def _product_update(call: Call) -> Outcome:
    product_id = _id(call)
    fields = _fields(call)
    with call.state.lock:
        table = _table(call)
        record = table.get(product_id)
        if record is None:
            raise errors.not_found()
        _apply(record, fields, table.fields)
    return Outcome(True)


@method("crm.product.delete", scope="crm")
def _product_delete(call: Call) -> Outcome:
    product_id = _id(call)
    with call.state.lock:
        if not _table(call).delete(product_id):
            raise errors.not_found()
    return Outcome(True)
