"""CRM methods: deals, companies, contacts, user fields, stages, pipelines, timeline, product rows (requisites:
methods_requisites.py).

Facts: api-reference/crm/deals/crm-deal-list.md (select masks, filter prefixes, order, start),
crm-deal-get.md (field formats and the "Not found" error), crm-deal-add.md / crm-deal-update.md
(``fields``, result), crm/deals/user-defined-fields/*.md (UF_CRM_ prefix), crm/contacts/crm-contact-update.md
(PHONE / EMAIL values changed one by one), crm/status/crm-status-list.md, crm/universal/category/crm-category-list.md,
crm/timeline/comments/*.md, crm/deals/crm-deal-productrows-*.md. Reads and writes run with the calling user's
CRM rights (permissions.py): a missing record is "Not found" before an unreadable one is "Access denied".
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from b24sandbox.portal import errors
from b24sandbox.portal.clock import PORTAL_TZ, iso, now
from b24sandbox.portal.entities import EntityTable, RecordCheck, merge_multifield
from b24sandbox.portal.errors import RestError
from b24sandbox.portal.params import as_dict, as_list, get_ci
from b24sandbox.portal.permissions import may_read, record_filter
from b24sandbox.portal.registry import ON_DELETE, Call, Outcome, method
from b24sandbox.portal.seed import CATEGORIES, CATEGORY_ONE_STAGES, DEFAULT_STAGES, Stage

_ENTITY_EVENT = {"deal": "DEAL", "company": "COMPANY", "contact": "CONTACT"}
_INTEGER_TYPES = {"integer", "user", "crm_company", "crm_contact", "crm_category", "crm_lead"}


def _stages_of(category: str) -> tuple[Stage, ...]:
    return CATEGORY_ONE_STAGES if category == "1" else DEFAULT_STAGES


def _parse_id(raw: Any) -> int:
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise errors.bad_id() from None
    if value <= 0:
        raise errors.bad_id()
    return value


def _format_date(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.strptime(text, "%d.%m.%Y")
        except ValueError:
            return text
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PORTAL_TZ)
    return parsed.isoformat(timespec="seconds")


def _format_value(table: EntityTable, name: str, value: Any) -> Any:
    """Store a written value the way the portal returns it (crm-deal-get.md formats)."""
    spec = table.fields[name]
    if spec.dynamic:
        if spec.multiple:
            return [str(v) for v in as_list(value)]
        if spec.type == "boolean":
            return "1" if str(value).upper() in ("1", "Y", "TRUE") else "0"
        return "" if value is None else str(value)
    if spec.multiple:
        return [dict(item) for item in as_list(value) if isinstance(item, dict)]
    if value is None or value == "":
        return None if spec.type in _INTEGER_TYPES | {"date", "datetime"} else ""
    if spec.type == "double":
        try:
            return f"{float(str(value).replace(',', '.')):.2f}"
        except ValueError:
            raise RestError("", f"Field '{name}' must be a number.", 400) from None
    if spec.type in _INTEGER_TYPES:
        try:
            return str(int(float(str(value))))
        except ValueError:
            raise RestError("", f"Field '{name}' must be an integer.", 400) from None
    if spec.type in ("date", "datetime"):
        return _format_date(value)
    return str(value)


def _apply_fields(call: Call, table: EntityTable, record: dict[str, Any], fields: dict[str, Any]) -> None:
    for raw_name, value in fields.items():
        name = str(raw_name).upper()
        spec = table.fields.get(name)
        if spec is None or spec.read_only:
            continue  # the portal ignores unknown and read-only fields on write
        if spec.type == "crm_multifield":  # PHONE / EMAIL: values are changed one by one (entities.merge_multifield)
            record[name] = merge_multifield(record.get(name) or [], value, name, call.state.take_multifield_id)
            continue
        record[name] = _format_value(table, name, value)
    stamp = iso(now())
    record["DATE_MODIFY"] = stamp
    if "MODIFY_BY_ID" in table.fields:
        record["MODIFY_BY_ID"] = str(call.caller.user_id)
    if table.entity == "deal":
        _derive_deal_stage(record)


def _derive_deal_stage(record: dict[str, Any]) -> None:
    category = record.get("CATEGORY_ID") or "0"
    stages = _stages_of(category)
    stage = next((s for s in stages if s.status_id == record.get("STAGE_ID")), None)
    if stage is None:
        stage = stages[0]
        record["STAGE_ID"] = stage.status_id
    record["STAGE_SEMANTIC_ID"] = stage.semantics
    record["CLOSED"] = "N" if stage.semantics == "P" else "Y"
    record["IS_NEW"] = "Y" if stage.status_id.endswith("NEW") else "N"


def _defaults(call: Call, entity: str) -> dict[str, Any]:
    stamp = iso(now())
    user = str(call.caller.user_id)
    common: dict[str, Any] = {
        "ASSIGNED_BY_ID": user,
        "CREATED_BY_ID": user,
        "MODIFY_BY_ID": user,
        "DATE_CREATE": stamp,
        "DATE_MODIFY": stamp,
    }
    if entity == "deal":
        return {
            "TITLE": "",
            "TYPE_ID": "SALE",
            "CATEGORY_ID": "0",
            "STAGE_ID": "NEW",
            "PROBABILITY": None,
            "CURRENCY_ID": "RUB",
            "OPPORTUNITY": "0.00",
            "IS_MANUAL_OPPORTUNITY": "N",
            "TAX_VALUE": "0.00",
            "COMPANY_ID": "0",
            "CONTACT_ID": None,
            "BEGINDATE": stamp,
            "CLOSEDATE": None,
            "OPENED": "Y",
            "COMMENTS": "",
            "SOURCE_ID": None,
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
            **common,
        }
    if entity == "company":
        return {
            "TITLE": "",
            "COMPANY_TYPE": "CUSTOMER",
            "INDUSTRY": None,
            "REVENUE": "0.00",
            "CURRENCY_ID": "RUB",
            "COMMENTS": "",
            "OPENED": "Y",
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
            "PHONE": [],
            "EMAIL": [],
            **common,
        }
    return {  # contact
        "NAME": "",
        "SECOND_NAME": "",
        "LAST_NAME": "",
        "POST": "",
        "COMPANY_ID": None,
        "TYPE_ID": "CLIENT",
        "COMMENTS": "",
        "OPENED": "Y",
        "ORIGINATOR_ID": None,
        "ORIGIN_ID": None,
        "PHONE": [],
        "EMAIL": [],
        **common,
    }


def _emit(call: Call, entity: str, action: str, entity_id: int) -> None:
    call.events.emit(
        f"ONCRM{_ENTITY_EVENT[entity]}{action}",
        str(entity_id),
        call.caller.user_id,
        auth_connector=call.caller.auth_connector,
        client_id=call.caller.client_id,
    )


def _readable(call: Call, entity: str) -> RecordCheck | None:
    """What the caller may see of ``entity`` (None: everything). crm-deal-list.md says who may call the list
    ("any user with 'read' access permission for deals") but not how rows are chosen; the sandbox answers what the
    portal's list does for a user whose role reads only some records: those rows, silently, counted in ``total``."""
    return record_filter(call.state.roles, call.state.tables, call.caller.user_id, entity)


def _require_access(call: Call, entity: str, record: dict[str, Any]) -> None:
    """Refuse a record the caller's CRM role does not let them read; writes need it too (permissions.py).

    Call after the record was found: the real portal answers "Not found" for a missing ID whatever the rights.
    """
    if may_read(call.state.roles, call.state.tables, call.caller.user_id, entity, record):
        return
    raise errors.crm_access_denied()


def _fields_param(call: Call) -> dict[str, Any]:
    fields = get_ci(call.params, "fields")
    if not isinstance(fields, dict):
        # crm-deal-get.md error example: "Parameter 'fields' must be array."
        raise RestError("", "Parameter 'fields' must be array.", 400)
    return fields


def _register_entity(entity: str, with_userfields: bool = True) -> None:
    """Register crm.<entity>.fields/list/get/add/update/delete (and its userfield methods)."""
    prefix = f"crm.{entity}"

    @method(f"{prefix}.fields", scope="crm")
    def _fields(call: Call) -> Outcome:
        with call.state.lock:
            return Outcome({n: s.describe() for n, s in call.state.tables[entity].fields.items()})

    @method(f"{prefix}.list", scope="crm")
    def _list(call: Call) -> Outcome:
        table = call.state.tables[entity]
        raw_filter = as_dict(get_ci(call.params, "filter"))
        order = as_dict(get_ci(call.params, "order"))
        select = [str(s) for s in as_list(get_ci(call.params, "select"))]
        start_raw = get_ci(call.params, "start", 0)
        try:
            start = int(str(start_raw or 0))
        except ValueError:
            start = 0
        with call.state.lock:
            page = table.list(raw_filter, order, start, visible=_readable(call, entity))
            items = [table.project(r, select) for r in page.items]
        return Outcome(items, total=page.total, next=page.next)

    @method(f"{prefix}.get", scope="crm")
    def _get(call: Call) -> Outcome:
        entity_id = _parse_id(get_ci(call.params, "id"))
        table = call.state.tables[entity]
        with call.state.lock:
            record = table.get(entity_id)
            if record is None:
                raise errors.not_found()
            _require_access(call, entity, record)
            result = table.project(record, ["*", "UF_*"])
            for name, spec in table.fields.items():
                if spec.multiple and not spec.dynamic and record.get(name):
                    result[name] = record[name]
        return Outcome(result)

    @method(f"{prefix}.add", scope="crm")
    def _add(call: Call) -> Outcome:
        fields = _fields_param(call)
        table = call.state.tables[entity]
        with call.state.lock:
            record = _defaults(call, entity)
            _apply_fields(call, table, record, fields)
            record["DATE_MODIFY"] = record.get("DATE_CREATE")
            new_id = table.insert(record)
        _emit(call, entity, "ADD", new_id)
        return Outcome(new_id)

    @method(f"{prefix}.update", scope="crm")
    def _update(call: Call) -> Outcome:
        entity_id = _parse_id(get_ci(call.params, "id"))
        fields = _fields_param(call)
        table = call.state.tables[entity]
        with call.state.lock:
            record = table.get(entity_id)
            if record is None:
                raise errors.not_found()
            _require_access(call, entity, record)
            _apply_fields(call, table, record, fields)
        _emit(call, entity, "UPDATE", entity_id)
        return Outcome(True)

    @method(f"{prefix}.delete", scope="crm")
    def _delete(call: Call) -> Outcome:
        entity_id = _parse_id(get_ci(call.params, "id"))
        with call.state.lock:
            table = call.state.tables[entity]
            record = table.get(entity_id)
            if record is None:
                raise errors.not_found()
            _require_access(call, entity, record)
            table.delete(entity_id)
            if entity == "deal":
                call.state.product_rows.pop(entity_id, None)
            for hook in ON_DELETE:  # what goes with the record (a company's requisites: methods_requisites.py)
                hook(call, entity, entity_id)
        _emit(call, entity, "DELETE", entity_id)
        return Outcome(True)

    if with_userfields:
        _register_userfields(entity)


def _userfield_row(uf, lang: str | None = None, *, every_language: bool = False) -> dict[str, Any]:
    row = {
        "ID": str(uf.field_id),
        "ENTITY_ID": f"CRM_{uf.entity.upper()}",
        "FIELD_NAME": uf.field_name,
        "USER_TYPE_ID": uf.user_type_id,
        "XML_ID": uf.xml_id or None,
        "SORT": str(uf.sort),
        "MULTIPLE": uf.multiple,
        "MANDATORY": uf.mandatory,
        "SHOW_FILTER": "N",
        "SHOW_IN_LIST": "Y",
        "EDIT_IN_LIST": "Y",
        "IS_SEARCHABLE": "N",
        "SETTINGS": uf.settings,
    }
    if every_language:  # crm.*.userfield.get: the labels per language
        row.update({"EDIT_FORM_LABEL": {"ru": uf.label, "en": uf.label},
                    "LIST_COLUMN_LABEL": {"ru": uf.label, "en": uf.label}})
    elif lang is not None:
        # crm-deal-userfield-list.md: the labels come only with the LANG filter, as texts in that language (the
        # sandbox keeps one label, the one the field was created with, and answers it for every language).
        row.update({"EDIT_FORM_LABEL": uf.label, "LIST_COLUMN_LABEL": uf.label, "LIST_FILTER_LABEL": uf.label,
                    "ERROR_MESSAGE": None, "HELP_MESSAGE": None})
    if uf.user_type_id == "enumeration":
        # crm-deal-userfield-list.md: a list field carries LIST, its values with ID, SORT, VALUE, DEF, XML_ID.
        row["LIST"] = [dict(item) for item in uf.items]
    return row


def _register_userfields(entity: str) -> None:
    prefix = f"crm.{entity}.userfield"

    def find(call: Call):
        field_id = _parse_id(get_ci(call.params, "id"))
        uf = call.state.userfields.get(field_id)
        if uf is None or uf.entity != entity:
            raise errors.not_found()
        return uf

    @method(f"{prefix}.add", scope="crm")
    def _add(call: Call) -> Outcome:
        fields = _fields_param(call)
        # user-defined-fields/crm-deal-userfield-add.md: required fields, the allowed characters, the
        # UF_CRM_ prefix and the error texts. The page gives both a 20-character system limit and an error for
        # "more than 50 characters"; the sandbox enforces the error table's 50.
        raw_name = str(get_ci(fields, "FIELD_NAME") or "").strip().upper()
        if not raw_name:
            raise RestError("", "The 'FIELD_NAME' field is not found.", 400)
        if not str(get_ci(fields, "USER_TYPE_ID") or "").strip():
            raise RestError("", "The 'USER_TYPE_ID' field is not found.", 400)
        name = raw_name if raw_name.startswith("UF_CRM_") else f"UF_CRM_{raw_name}"
        if not re.fullmatch(r"[A-Z0-9_]+", name):
            raise RestError("", "Field name contains invalid characters. Allowed characters are: A-Z, 0-9, and _.", 400)
        if len(name) > 50:
            raise RestError("", "Field name is too long (more than 50 characters).", 400)
        with call.state.lock:
            if name in call.state.tables[entity].fields:
                raise RestError("ERROR_CORE", f"Field {name} already exists", 400)
            uf = call.state.add_userfield(entity, name, {k.upper(): v for k, v in fields.items()})
        return Outcome(uf.field_id)

    @method(f"{prefix}.get", scope="crm")
    def _get(call: Call) -> Outcome:
        with call.state.lock:
            return Outcome(_userfield_row(find(call), every_language=True))

    @method(f"{prefix}.list", scope="crm")
    def _list(call: Call) -> Outcome:
        raw_filter = {str(k).upper(): v for k, v in as_dict(get_ci(call.params, "filter")).items()}
        lang = raw_filter.pop("LANG", None)  # not a field: the language of the labels (crm-deal-userfield-list.md)
        with call.state.lock:
            rows = [
                _userfield_row(uf, str(lang) if lang else None)
                for uf in sorted(call.state.userfields.values(), key=lambda u: u.field_id)
                if uf.entity == entity
            ]
        rows = [r for r in rows if all(str(r.get(k)) == str(v) for k, v in raw_filter.items() if k in r)]
        return Outcome(rows, total=len(rows))

    @method(f"{prefix}.update", scope="crm")
    def _update(call: Call) -> Outcome:
        fields = {str(k).upper(): v for k, v in _fields_param(call).items()}
        with call.state.lock:
            uf = find(call)
            if "SORT" in fields:
                uf.sort = int(fields["SORT"])
            if "XML_ID" in fields:
                uf.xml_id = str(fields["XML_ID"])
            if "MANDATORY" in fields:
                uf.mandatory = str(fields["MANDATORY"])
            if "SETTINGS" in fields:
                uf.settings = fields["SETTINGS"]
            if "LIST" in fields and uf.user_type_id == "enumeration":
                call.state.change_enum_items(uf, fields["LIST"])
            label = fields.get("EDIT_FORM_LABEL") or fields.get("LIST_COLUMN_LABEL")
            if label:
                uf.label = str(label.get("ru") or next(iter(label.values()))) if isinstance(label, dict) else str(label)
        return Outcome(True)

    @method(f"{prefix}.delete", scope="crm")
    def _delete(call: Call) -> Outcome:
        with call.state.lock:
            call.state.remove_userfield(find(call))
        return Outcome(True)


_register_entity("deal")
_register_entity("company")
_register_entity("contact")
# crm.requisite.* live in methods_requisites.py with the presets, bank details and addresses.


# -- stages and pipelines ---------------------------------------------------------------------------------


def _status_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    number = 1
    for entity_id, category, stages in (
        ("DEAL_STAGE", "0", DEFAULT_STAGES),
        ("DEAL_STAGE_1", "1", CATEGORY_ONE_STAGES),
    ):
        for stage in stages:
            rows.append(
                {
                    "ID": str(number),
                    "ENTITY_ID": entity_id,
                    "STATUS_ID": stage.status_id,
                    "NAME": stage.name,
                    "NAME_INIT": stage.name,
                    "SORT": str(stage.sort),
                    "SYSTEM": "Y" if stage.semantics != "P" or stage.sort == 10 else "N",
                    "COLOR": stage.color,
                    "SEMANTICS": None if stage.semantics == "P" else stage.semantics,
                    "CATEGORY_ID": category,
                    "EXTRA": {
                        "SEMANTICS": {"P": "process", "S": "success", "F": "failure"}[stage.semantics],
                        "COLOR": stage.color,
                    },
                }
            )
            number += 1
    for status_id, name in (
        ("SALE", "Продажа"),
        ("COMPLEX", "Комплексная продажа"),
        ("SERVICES", "Сервисное обслуживание"),
    ):
        rows.append(
            {
                "ID": str(number),
                "ENTITY_ID": "DEAL_TYPE",
                "STATUS_ID": status_id,
                "NAME": name,
                "NAME_INIT": name,
                "SORT": str(number * 10),
                "SYSTEM": "Y",
                "CATEGORY_ID": None,
            }
        )
        number += 1
    return rows


@method("crm.status.list", scope="crm")
def _status_list(call: Call) -> Outcome:
    raw_filter = {str(k).upper(): v for k, v in as_dict(get_ci(call.params, "filter")).items()}
    rows = [r for r in _status_rows() if all(str(r.get(k.lstrip("="))) == str(v) for k, v in raw_filter.items())]
    order = as_dict(get_ci(call.params, "order"))
    for name, direction in reversed(list(order.items())):
        key = str(name).upper()
        rows.sort(
            key=lambda r, k=key: int(r[k]) if str(r.get(k, "")).isdigit() else str(r.get(k, "")),
            reverse=str(direction).upper() == "DESC",
        )
    return Outcome(rows, total=len(rows))


@method("crm.category.list", scope="crm")
def _category_list(call: Call) -> Outcome:
    entity_type = str(get_ci(call.params, "entityTypeId") or "")
    if entity_type != "2":
        raise RestError("NOT_FOUND", "Smart process not found", 400)
    categories = [
        {"id": cid, "name": name, "sort": sort, "entityTypeId": 2, "isDefault": "Y" if cid == 0 else "N"}
        | ({} if cid == 0 else {"originId": "", "originatorId": ""})
        for cid, name, sort in CATEGORIES
    ]
    return Outcome({"categories": categories}, total=len(categories))


@method("crm.dealcategory.list", scope="crm")
def _dealcategory_list(call: Call) -> Outcome:
    # crm.dealcategory.list lists the extra pipelines only; the default one is not a row there.
    rows = [
        {"ID": str(cid), "CREATED_DATE": iso(0), "NAME": name, "IS_LOCKED": "N", "SORT": str(sort)}
        for cid, name, sort in CATEGORIES
        if cid != 0
    ]
    return Outcome(rows, total=len(rows))


# -- timeline comments ------------------------------------------------------------------------------------

_TIMELINE_TYPES = {"deal": 2, "contact": 3, "company": 4, "lead": 1}


@method("crm.timeline.comment.add", scope="crm")
def _timeline_add(call: Call) -> Outcome:
    fields = {str(k).upper(): v for k, v in _fields_param(call).items()}
    entity_type = str(fields.get("ENTITY_TYPE") or "").lower()
    if entity_type not in _TIMELINE_TYPES:
        raise RestError("", "ENTITY_TYPE is not defined or invalid.", 400)
    entity_id = _parse_id(fields.get("ENTITY_ID"))
    comment = str(fields.get("COMMENT") or "")
    if not comment:
        raise RestError("", "COMMENT is empty.", 400)
    with call.state.lock:
        table = call.state.tables.get(entity_type)
        if table is not None and table.get(entity_id) is None:
            raise errors.not_found()
        comment_id = len(call.state.timeline) + 1
        call.state.timeline.append(
            {
                "ID": str(comment_id),
                "CREATED": iso(now()),
                "ENTITY_ID": str(entity_id),
                "ENTITY_TYPE": entity_type,
                "AUTHOR_ID": str(fields.get("AUTHOR_ID") or call.caller.user_id),
                "COMMENT": comment,
                "FILES": [],
            }
        )
    call.events.emit(
        "ONCRMTIMELINECOMMENTADD",
        str(comment_id),
        call.caller.user_id,
        auth_connector=call.caller.auth_connector,
        client_id=call.caller.client_id,
    )
    return Outcome(comment_id)


@method("crm.timeline.comment.update", scope="crm")
def _timeline_update(call: Call) -> Outcome:
    """rest_help/crm/timeline/comment/crm_timeline_comment_update.php: `id` and `fields` (COMMENT, FILES; only the
    lower-case `fields` key since crm 23.100.0); an unknown id is "not found"."""
    comment_id = _parse_id(get_ci(call.params, "id"))
    fields = {str(k).upper(): v for k, v in as_dict(call.params.get("fields")).items()}
    comment = str(fields.get("COMMENT") or "")
    if not comment:
        raise RestError("", "COMMENT is empty.", 400)
    with call.state.lock:
        row = next((r for r in call.state.timeline if r["ID"] == str(comment_id)), None)
        if row is None:
            raise errors.not_found()
        row["COMMENT"] = comment
    call.events.emit(
        "ONCRMTIMELINECOMMENTUPDATE",
        str(comment_id),
        call.caller.user_id,
        auth_connector=call.caller.auth_connector,
        client_id=call.caller.client_id,
    )
    return Outcome(comment_id)


@method("crm.timeline.comment.list", scope="crm")
def _timeline_list(call: Call) -> Outcome:
    raw_filter = {str(k).upper().lstrip("="): v for k, v in as_dict(get_ci(call.params, "filter")).items()}
    start = int(str(get_ci(call.params, "start", 0) or 0))
    with call.state.lock:
        rows = [
            dict(r)
            for r in call.state.timeline
            if all(str(r.get(k, "")).lower() == str(v).lower() for k, v in raw_filter.items())
        ]
    order = as_dict(get_ci(call.params, "order"))
    if any(str(v).upper() == "DESC" for v in order.values()):
        rows.reverse()
    if start < 0:
        return Outcome(rows[:50])
    page = rows[start : start + 50]
    following = start + 50
    return Outcome(page, total=len(rows), next=following if following < len(rows) else None)


# -- deal product rows ------------------------------------------------------------------------------------


def _number(value: Any, default: float = 0.0) -> float:
    try:
        return float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return default


def _row_prices(row: dict) -> dict:
    """The price fields of a stored row from what the caller sent. crm-deal-productrows-get.md (and the answer
    shown there: PRICE 899.1, PRICE_NETTO 999, DISCOUNT_RATE 10, DISCOUNT_SUM 99.9) defines every price per unit:
    PRICE with discount and tax (the row's sum is PRICE × QUANTITY), PRICE_EXCLUSIVE with discount and without
    tax, PRICE_NETTO without either, PRICE_BRUTTO without discount and with tax; DISCOUNT_TYPE_ID 1 = absolute
    (DISCOUNT_SUM per unit), 2 = percent (DISCOUNT_RATE; crm-deal-productrows-set.md: the default). What the
    caller leaves out follows from PRICE, the discount and TAX_RATE, rounded to kopecks as the portal shows them."""
    price = _number(row.get("PRICE"))
    tax_rate = row.get("TAX_RATE")
    factor = 1 + (0.0 if tax_rate in (None, "") else _number(tax_rate)) / 100
    kind = int(_number(row.get("DISCOUNT_TYPE_ID"), 2))
    exclusive = round(_number(row.get("PRICE_EXCLUSIVE"), price / factor), 2)
    if kind == 1:
        discount = round(_number(row.get("DISCOUNT_SUM")), 2)
        netto = round(_number(row.get("PRICE_NETTO"), exclusive + discount), 2)
        rate = round(discount * 100 / netto, 2) if netto else 0.0
    else:
        rate = _number(row.get("DISCOUNT_RATE"))
        fallback = exclusive / (1 - rate / 100) if rate < 100 else exclusive + _number(row.get("DISCOUNT_SUM"))
        netto = round(_number(row.get("PRICE_NETTO"), fallback), 2)
        discount = round(netto - exclusive, 2)
    brutto = round(_number(row.get("PRICE_BRUTTO"), netto * factor), 2)
    return {"PRICE": price, "PRICE_EXCLUSIVE": exclusive, "PRICE_NETTO": netto, "PRICE_BRUTTO": brutto,
            "PRICE_ACCOUNT": f"{price:.2f}", "DISCOUNT_TYPE_ID": kind, "DISCOUNT_RATE": rate, "DISCOUNT_SUM": discount}


@method("crm.deal.productrows.set", scope="crm")
def _productrows_set(call: Call) -> Outcome:
    deal_id = _parse_id(get_ci(call.params, "id"))
    rows_in = [r for r in as_list(get_ci(call.params, "rows")) if isinstance(r, dict)]
    with call.state.lock:
        record = call.state.tables["deal"].get(deal_id)
        if record is None:
            raise errors.not_found()
        _require_access(call, "deal", record)  # crm-deal-productrows-set.md: "modify" permission for the deal
        stored = []
        for sort, raw in enumerate(rows_in, start=1):
            row = {str(k).upper(): v for k, v in raw.items()}
            quantity = _number(row.get("QUANTITY"), 1.0)
            tax_rate = row.get("TAX_RATE")
            stored.append(
                {
                    "ID": str(call.state.next_product_row_id),
                    "OWNER_ID": str(deal_id),
                    "OWNER_TYPE": "D",
                    "PRODUCT_ID": int(_number(row.get("PRODUCT_ID"))),
                    "PRODUCT_NAME": str(row.get("PRODUCT_NAME") or ""),
                    "ORIGINAL_PRODUCT_NAME": str(row.get("PRODUCT_NAME") or ""),
                    "PRODUCT_DESCRIPTION": None,
                    **_row_prices(row),
                    "QUANTITY": quantity,
                    "TAX_RATE": None if tax_rate in (None, "") else _number(tax_rate),
                    "TAX_INCLUDED": str(row.get("TAX_INCLUDED") or "N"),
                    "CUSTOMIZED": "Y",
                    "MEASURE_CODE": int(_number(row.get("MEASURE_CODE"), 796)),
                    "MEASURE_NAME": str(row.get("MEASURE_NAME") or "шт"),
                    "SORT": sort * 10,
                    "XML_ID": None,
                    "TYPE": 1,
                    "STORE_ID": None,
                }
            )
            call.state.next_product_row_id += 1
        call.state.product_rows[deal_id] = stored
        if record.get("IS_MANUAL_OPPORTUNITY") != "Y":
            # With automatic amount the deal's OPPORTUNITY follows its rows.
            record["OPPORTUNITY"] = f"{sum(r['PRICE'] * r['QUANTITY'] for r in stored):.2f}"
        record["DATE_MODIFY"] = iso(now())
    _emit(call, "deal", "UPDATE", deal_id)
    return Outcome(True)


@method("crm.deal.productrows.get", scope="crm")
def _productrows_get(call: Call) -> Outcome:
    deal_id = _parse_id(get_ci(call.params, "id"))
    with call.state.lock:
        record = call.state.tables["deal"].get(deal_id)
        if record is None:
            raise errors.not_found()
        _require_access(call, "deal", record)  # crm-deal-productrows-get.md: "read" permission for the deal
        return Outcome([dict(r) for r in call.state.product_rows.get(deal_id, [])])
