"""Smart invoices through the universal CRM API: crm.item.* with entityTypeId 31, and their product rows.

Facts: api-reference/crm/universal/invoice.md (entityTypeId 31; the deal is `parentId2`, the company `companyId`;
product rows through crm.item.productrow.* with ownerType "SI"), crm-item-add.md / crm-item-get.md /
crm-item-update.md / crm-item-list.md / crm-item-delete.md / crm-item-fields.md (camelCase fields; answers
`{"item": {...}}`, `{"items": [...]}` with total/next, `{"fields": {...}}`), product-rows/crm-item-productrow-set.md
and crm-item-productrow-list.md (`{"productRows": [...]}`, filter by `=ownerType` / `=ownerId`), events
on-crm-dynamic-item-add.md / on-crm-dynamic-item-update.md (ONCRMDYNAMICITEMADD / ...UPDATE with
data[FIELDS][ID] and data[FIELDS][ENTITY_TYPE_ID]). Only entityTypeId 31 is served; other types answer as a portal
without that smart process. Stages follow the invoice pipeline's `DT31_<category>:<code>` form; the sandbox
has category 1 with N (new) and S (sent) in progress, P (paid: success) and D (declined: failure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from b24sandbox.portal import errors
from b24sandbox.portal.clock import iso, now
from b24sandbox.portal.entities import EntityTable, FieldSpec
from b24sandbox.portal.errors import RestError
from b24sandbox.portal.params import as_dict, as_list, get_ci
from b24sandbox.portal.registry import Call, Outcome, method

INVOICE = 31
STAGES = {"DT31_1:N": "P", "DT31_1:S": "P", "DT31_1:P": "S", "DT31_1:D": "F"}
# camelCase field (as the API speaks) -> (stored name, type, read-only)
_FIELDS: dict[str, tuple[str, str, bool]] = {
    "id": ("ID", "integer", True),
    "xmlId": ("XML_ID", "string", False),
    "title": ("TITLE", "string", False),
    "accountNumber": ("ACCOUNT_NUMBER", "string", False),
    "categoryId": ("CATEGORY_ID", "integer", False),
    "stageId": ("STAGE_ID", "string", False),
    "previousStageId": ("PREVIOUS_STAGE_ID", "string", True),
    "begindate": ("BEGINDATE", "date", False),
    "closedate": ("CLOSEDATE", "date", False),
    "companyId": ("COMPANY_ID", "integer", False),
    "mycompanyId": ("MYCOMPANY_ID", "integer", False),
    "opportunity": ("OPPORTUNITY", "double", False),
    "isManualOpportunity": ("IS_MANUAL_OPPORTUNITY", "string", False),
    "currencyId": ("CURRENCY_ID", "string", False),
    "parentId2": ("PARENT_ID_2", "integer", False),
    "assignedById": ("ASSIGNED_BY_ID", "integer", False),
    "createdBy": ("CREATED_BY", "integer", True),
    "updatedBy": ("UPDATED_BY", "integer", True),
    "createdTime": ("CREATED_TIME", "datetime", True),
    "updatedTime": ("UPDATED_TIME", "datetime", True),
    "comments": ("COMMENTS", "string", False),
}
_BY_STORED = {stored: camel for camel, (stored, _, _) in _FIELDS.items()}
_ROW_FIELDS = ("id", "ownerId", "ownerType", "productId", "productName", "price", "quantity", "taxRate",
               "taxIncluded", "discountSum", "measureCode", "measureName", "sort")


@dataclass
class InvoiceTable(EntityTable):
    """Invoices with their product rows (owner id -> rows); created on first use, so a reset portal has none."""

    product_rows: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


def _table(call: Call) -> InvoiceTable:
    specs = {stored: FieldSpec(stored, kind, camel, read_only=ro) for camel, (stored, kind, ro) in _FIELDS.items()}
    return call.state.tables.setdefault("smart_invoice", InvoiceTable("smart_invoice", specs))


def _rows(call: Call) -> dict[int, list[dict[str, Any]]]:
    return _table(call).product_rows


def _entity_type(call: Call) -> int:
    raw = get_ci(call.params, "entityTypeId")
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise RestError("", "entityTypeId is required", 400) from None
    if value != INVOICE:
        raise RestError("NOT_FOUND", "Smart process not found", 400)
    return value


def _id(call: Call) -> int:
    try:
        value = int(str(get_ci(call.params, "id")))
    except (TypeError, ValueError):
        raise errors.bad_id() from None
    if value <= 0:
        raise errors.bad_id()
    return value


def _out(record: dict[str, Any]) -> dict[str, Any]:
    item = {camel: record.get(stored) for stored, camel in _BY_STORED.items()}
    item["entityTypeId"] = INVOICE
    for camel in ("id", "categoryId", "companyId", "mycompanyId", "parentId2", "assignedById", "createdBy",
                  "updatedBy"):
        item[camel] = int(item[camel]) if item[camel] not in (None, "") else None
    item["opportunity"] = float(item["opportunity"] or 0)
    return item


def _apply(call: Call, record: dict[str, Any], fields: dict[str, Any]) -> None:
    for camel, value in fields.items():
        spec = _FIELDS.get(str(camel))
        if spec is None or spec[2]:
            continue  # unknown and read-only fields are ignored on write
        stored, kind, _ = spec
        if kind == "double":
            record[stored] = f"{float(str(value or 0).replace(',', '.')):.2f}"
        elif kind == "integer":
            record[stored] = None if value in (None, "") else str(int(float(str(value))))
        else:
            record[stored] = None if value is None else str(value)
    if record.get("STAGE_ID") not in STAGES:
        record["STAGE_ID"] = "DT31_1:N"
    record["UPDATED_TIME"] = iso(now())
    record["UPDATED_BY"] = str(call.caller.user_id)


def _emit(call: Call, action: str, item_id: int) -> None:
    call.events.emit(f"ONCRMDYNAMICITEM{action}", str(item_id), call.caller.user_id,
                     auth_connector=call.caller.auth_connector, client_id=call.caller.client_id,
                     extra={"ENTITY_TYPE_ID": str(INVOICE)})


def _fields_param(call: Call) -> dict[str, Any]:
    fields = get_ci(call.params, "fields")
    if not isinstance(fields, dict):
        raise RestError("", "Parameter 'fields' must be array.", 400)
    return fields


@method("crm.item.fields", scope="crm")
def _item_fields(call: Call) -> Outcome:
    _entity_type(call)
    return Outcome({"fields": {camel: {"type": kind, "isReadOnly": ro, "title": camel}
                               for camel, (_, kind, ro) in _FIELDS.items()}})


@method("crm.item.add", scope="crm")
def _item_add(call: Call) -> Outcome:
    _entity_type(call)
    fields = _fields_param(call)
    with call.state.lock:
        table = _table(call)
        stamp = iso(now())
        record: dict[str, Any] = {"CATEGORY_ID": "1", "CURRENCY_ID": "RUB", "OPPORTUNITY": "0.00",
                                  "IS_MANUAL_OPPORTUNITY": "N", "CREATED_TIME": stamp,
                                  "CREATED_BY": str(call.caller.user_id), "ASSIGNED_BY_ID": str(call.caller.user_id),
                                  "TITLE": "", "COMPANY_ID": None, "PARENT_ID_2": None}
        _apply(call, record, fields)
        new_id = table.insert(record)
        record["ACCOUNT_NUMBER"] = record.get("ACCOUNT_NUMBER") or f"СЧ-{new_id}"
        if not record["TITLE"]:
            record["TITLE"] = f"Счёт #{new_id}"
        item = _out(record)
    _emit(call, "ADD", new_id)
    return Outcome({"item": item})


@method("crm.item.get", scope="crm")
def _item_get(call: Call) -> Outcome:
    _entity_type(call)
    with call.state.lock:
        record = _table(call).get(_id(call))
        if record is None:
            raise errors.not_found()
        return Outcome({"item": _out(record)})


@method("crm.item.update", scope="crm")
def _item_update(call: Call) -> Outcome:
    _entity_type(call)
    item_id = _id(call)
    fields = _fields_param(call)
    with call.state.lock:
        record = _table(call).get(item_id)
        if record is None:
            raise errors.not_found()
        before = record.get("STAGE_ID")
        _apply(call, record, fields)
        if record.get("STAGE_ID") != before:
            record["PREVIOUS_STAGE_ID"] = before
        item = _out(record)
    _emit(call, "UPDATE", item_id)
    return Outcome({"item": item})


@method("crm.item.list", scope="crm")
def _item_list(call: Call) -> Outcome:
    _entity_type(call)
    raw_filter = {}
    for key, value in as_dict(get_ci(call.params, "filter")).items():
        prefix = "".join(ch for ch in str(key) if not ch.isalnum())
        name = str(key)[len(prefix):]
        if name in _FIELDS:
            raw_filter[prefix + _FIELDS[name][0]] = value
    order = {(_FIELDS[k][0] if k in _FIELDS else k): v for k, v in as_dict(get_ci(call.params, "order")).items()}
    try:
        start = int(str(get_ci(call.params, "start", 0) or 0))
    except ValueError:
        start = 0
    with call.state.lock:
        page = _table(call).list(raw_filter, order, start)
        items = [_out(r) for r in page.items]
    select = [str(s) for s in as_list(get_ci(call.params, "select")) if str(s) != "*"]
    if select:
        items = [{k: v for k, v in item.items() if k in select or k == "id"} for item in items]
    return Outcome({"items": items}, total=page.total, next=page.next)


@method("crm.item.delete", scope="crm")
def _item_delete(call: Call) -> Outcome:
    _entity_type(call)
    item_id = _id(call)
    with call.state.lock:
        if not _table(call).delete(item_id):
            raise errors.not_found()
        _rows(call).pop(item_id, None)
    _emit(call, "DELETE", item_id)
    return Outcome(None)


def _number(value: Any, default: float = 0.0) -> float:
    try:
        return float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return default


@method("crm.item.productrow.set", scope="crm")
def _rows_set(call: Call) -> Outcome:
    owner_type = str(get_ci(call.params, "ownerType") or "")
    if owner_type != "SI":
        raise RestError("", "ownerType is not supported", 400)
    owner_id = int(_number(get_ci(call.params, "ownerId")))
    rows_in = [r for r in as_list(get_ci(call.params, "productRows")) if isinstance(r, dict)]
    with call.state.lock:
        record = _table(call).get(owner_id)
        if record is None:
            raise errors.not_found()
        rows = _rows(call)
        stored = []
        for sort, raw in enumerate(rows_in, start=1):
            stored.append({
                "id": sort + 1000 * owner_id, "ownerId": owner_id, "ownerType": "SI",
                "productId": int(_number(raw.get("productId"))), "productName": str(raw.get("productName") or ""),
                "price": _number(raw.get("price")), "quantity": _number(raw.get("quantity"), 1.0),
                "taxRate": None if raw.get("taxRate") in (None, "") else _number(raw.get("taxRate")),
                "taxIncluded": str(raw.get("taxIncluded") or "N"), "discountSum": _number(raw.get("discountSum")),
                "measureCode": int(_number(raw.get("measureCode"), 796)),
                "measureName": str(raw.get("measureName") or "шт"), "sort": sort * 10})
        rows[owner_id] = stored
        if record.get("IS_MANUAL_OPPORTUNITY") != "Y":
            record["OPPORTUNITY"] = f"{sum(r['price'] * r['quantity'] for r in stored):.2f}"
        record["UPDATED_TIME"] = iso(now())
    _emit(call, "UPDATE", owner_id)
    return Outcome({"productRows": [dict(r) for r in stored]})


@method("crm.item.productrow.list", scope="crm")
def _rows_list(call: Call) -> Outcome:
    wanted = {str(k).lstrip("="): v for k, v in as_dict(get_ci(call.params, "filter")).items()}
    if str(wanted.get("ownerType", "")) != "SI" or "ownerId" not in wanted:
        raise RestError("", "filter must name =ownerType and =ownerId", 400)
    with call.state.lock:
        rows = [dict(r) for r in _rows(call).get(int(_number(wanted["ownerId"])), [])]
    return Outcome({"productRows": [{k: r[k] for k in _ROW_FIELDS} for r in rows]}, total=len(rows))
