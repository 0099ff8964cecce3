"""Requisites of companies and contacts, their presets (templates) and bank details.

Facts (bitrix24/b24restdocs, api-reference/crm/requisites/):
- universal/crm-requisite-add.md, -update.md, -get.md, -list.md, -delete.md, -fields.md: ENTITY_TYPE_ID (3 contact,
  4 company), ENTITY_ID, PRESET_ID required on add and immutable after it; the error texts ("ENTITY_TYPE_ID is not
  defined or invalid.", "Entity not found.", "The Requisite with ID '27' is not found", "Access denied."), all with
  an empty error code and HTTP 400; the get answer (DATE_MODIFY "" until the first change, MODIFY_BY_ID null, the
  RQ_* fields null until set). crm-requisite-delete.md: a requisite goes with its addresses and bank details.
- presets/crm-requisite-preset-list.md, -get.md, -fields.md: preset rows (ID, ENTITY_TYPE_ID 8, COUNTRY_ID, NAME,
  XML_ID, ACTIVE, SORT, dates); "The Preset with ID '347' is not found". A fresh portal's presets are those of the
  preset-list example: 1 organisation, 2 sole proprietor, 3 individual (COUNTRY_ID 1 = Russia,
  crm-requisite-preset-countries.md). The tutorials (tutorials/crm/how-to-add-crm-objects/
  how-to-add-company-with-requisite.md) show a portal with 1, 3 and 5 instead: clients must read the IDs from
  crm.requisite.preset.list, never assume them. XML_ID: values "#CRM_REQUISITE_PRESET_DEF_..." are reserved for
  the default presets (preset-list.md); the suffixes are the sandbox's.
- bank-detail/crm-requisite-bank-detail-*.md: ENTITY_ID is the requisite; NAME marked required on add; COUNTRY_ID
  follows the requisite's preset; "The RequisiteBankDetail with ID '357' is not found".
- events/on-crm-requisite-add.md, -update.md, -delete.md, on-crm-bank-detail-add.md, -update.md, -delete.md:
  data[FIELDS][ID].
- Deleting a company or contact deletes its requisites: the CRM core's CCrmCompany::Delete / CCrmContact::Delete
  call EntityRequisite::deleteByEntity (module crm, classes/general/crm_company.php, read in a public mirror of the
  core); the docs of crm.company.delete do not say it.
- Rights follow the owner (requisites/index.md: "access permissions are checked against the object that owns the
  requisite"); a missing record is "not found" before an unreadable one is "Access denied." (permissions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from b24sandbox.portal import errors
from b24sandbox.portal.clock import iso, now
from b24sandbox.portal.entities import EntityTable, FieldSpec, RecordCheck
from b24sandbox.portal.errors import RestError
from b24sandbox.portal.params import as_dict, as_list, get_ci
from b24sandbox.portal.permissions import REQUISITE_OWNERS, may_read, record_filter
from b24sandbox.portal.registry import Call, Outcome, method, on_delete
from b24sandbox.portal.schemas import bank_detail_fields, preset_fields

REQUISITE_ENTITY_TYPE = 8  # crm.enum.ownertype: a requisite (the parent type of presets and addresses)
OWNER_TYPE_IDS = {entity: int(type_id) for type_id, entity in REQUISITE_OWNERS.items()}  # company 4, contact 3
RUSSIA = 1  # crm-requisite-preset-countries.md
# (NAME, XML_ID) of a fresh Russian portal's presets, IDs 1, 2, 3 in this order.
DEFAULT_PRESETS = (
    ("Организация", "#CRM_REQUISITE_PRESET_DEF_RU_COMPANY#"),
    ("ИП", "#CRM_REQUISITE_PRESET_DEF_RU_INDIVIDUAL#"),
    ("Физ. лицо", "#CRM_REQUISITE_PRESET_DEF_RU_PERSON#"),
)


# -- tables --------------------------------------------------------------------------------------------------------
# Presets and bank details live in the portal's tables, made on first use; a reset portal makes them afresh.


def presets(call: Call) -> EntityTable:
    table = call.state.tables.get("requisite_preset")
    if table is None:
        table = EntityTable("requisite_preset", preset_fields())
        for sort, (name, xml_id) in enumerate(DEFAULT_PRESETS, start=1):
            table.insert({"ENTITY_TYPE_ID": str(REQUISITE_ENTITY_TYPE), "COUNTRY_ID": str(RUSSIA),
                          "DATE_CREATE": iso(0), "DATE_MODIFY": "", "CREATED_BY_ID": "1", "MODIFY_BY_ID": None,
                          "NAME": name, "XML_ID": xml_id, "ACTIVE": "Y", "SORT": str(sort * 500)})
        call.state.tables["requisite_preset"] = table
    return table


def requisites(call: Call) -> EntityTable:
    return call.state.tables["requisite"]


def bank_details(call: Call) -> EntityTable:
    return call.state.tables.setdefault("bankdetail", EntityTable("bankdetail", bank_detail_fields()))


# -- shared helpers ------------------------------------------------------------------------------------------------


def parse_id(raw: Any) -> int:
    """A positive integer ID, or the requisite pages' "ID is not defined or invalid." (crm-requisite-delete.md)."""
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise errors.not_defined("ID") from None
    if value <= 0:
        raise errors.not_defined("ID")
    return value


def optional_int(raw: Any) -> int | None:
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def fields_param(call: Call) -> dict[str, Any]:
    fields = get_ci(call.params, "fields")
    if not isinstance(fields, dict):
        raise RestError("", "Parameter 'fields' must be array.", 400)  # crm-deal-get.md, the same REST proxy
    return {str(k).upper(): v for k, v in fields.items()}


def stored(spec: FieldSpec, value: Any) -> str | None:
    """A written value the way the get answers show it: strings, integers as strings, Y/N flags, null when empty."""
    if value is None:
        return None
    if spec.type == "integer":
        number = optional_int(value)
        return None if number is None else str(number)
    if spec.type == "char":
        return "Y" if str(value).upper() in ("Y", "1", "TRUE") else "N"
    return str(value)


def apply(table: EntityTable, record: dict[str, Any], fields: dict[str, Any], *, adding: bool) -> None:
    """Write ``fields`` into ``record``: unknown and read-only fields are ignored, immutable ones only on add."""
    for name, value in fields.items():
        spec = table.fields.get(name)
        if spec is None or spec.read_only or (spec.immutable and not adding):
            continue
        record[name] = stored(spec, value)


def blank(table: EntityTable, call: Call) -> dict[str, Any]:
    """A new record: every field null, the stamps of its creation, active, sort 500 (crm-requisite-get.md)."""
    record: dict[str, Any] = dict.fromkeys(name for name, spec in table.fields.items() if not spec.dynamic)
    record.update({"DATE_CREATE": iso(now()), "DATE_MODIFY": "", "CREATED_BY_ID": str(call.caller.user_id),
                   "MODIFY_BY_ID": None, "ACTIVE": "Y", "SORT": "500"})
    return record


def touch(call: Call, record: dict[str, Any]) -> None:
    record["DATE_MODIFY"] = iso(now())
    record["MODIFY_BY_ID"] = str(call.caller.user_id)


def emit(call: Call, event: str, entity_id: int | str, extra: dict[str, str] | None = None) -> None:
    call.events.emit(event, str(entity_id), call.caller.user_id, auth_connector=call.caller.auth_connector,
                     client_id=call.caller.client_id, extra=extra)


def may_use_requisite(call: Call, requisite: dict[str, Any]) -> bool:
    """Whether the caller's CRM role reaches the company or contact that owns ``requisite``."""
    return may_read(call.state.roles, call.state.tables, call.caller.user_id, "requisite", requisite)


def require_requisite_access(call: Call, requisite: dict[str, Any]) -> None:
    if not may_use_requisite(call, requisite):
        raise errors.requisite_access_denied()


def list_args(call: Call) -> tuple[dict[str, Any], dict[str, Any], list[str], int]:
    """filter, order, select and start of a list call as crm-requisite-list.md describes them (start=-1: no count)."""
    raw_start = str(get_ci(call.params, "start", "") or "")
    start = -1 if raw_start == "-1" else optional_int(raw_start) or 0
    return (as_dict(get_ci(call.params, "filter")), as_dict(get_ci(call.params, "order")),
            [str(s) for s in as_list(get_ci(call.params, "select"))], start)


def list_page(call: Call, table: EntityTable, visible: RecordCheck | None) -> Outcome:
    """A list answer, 50 to a page, with total and next (list-methods-pecularities.md)."""
    raw_filter, order, select, start = list_args(call)
    page = table.list(raw_filter, order, start, visible=visible)
    return Outcome([table.project(r, select) for r in page.items], total=page.total, next=page.next)


# -- presets ---------------------------------------------------------------------------------------------------------


@method("crm.requisite.preset.fields", scope="crm")
def _preset_fields(call: Call) -> Outcome:
    with call.state.lock:
        return Outcome({n: s.describe() for n, s in presets(call).fields.items()})


@method("crm.requisite.preset.list", scope="crm")
def _preset_list(call: Call) -> Outcome:
    with call.state.lock:
        return list_page(call, presets(call), None)


@method("crm.requisite.preset.get", scope="crm")
def _preset_get(call: Call) -> Outcome:
    preset_id = parse_id(get_ci(call.params, "id"))
    with call.state.lock:
        record = presets(call).get(preset_id)
        if record is None:
            raise errors.preset_not_found(preset_id)
        return Outcome(presets(call).project(record, ["*"]))


# -- requisites ------------------------------------------------------------------------------------------------------


@method("crm.requisite.fields", scope="crm")
def _requisite_fields(call: Call) -> Outcome:
    with call.state.lock:
        return Outcome({n: s.describe() for n, s in requisites(call).fields.items()})


@method("crm.requisite.list", scope="crm")
def _requisite_list(call: Call) -> Outcome:
    with call.state.lock:
        visible = record_filter(call.state.roles, call.state.tables, call.caller.user_id, "requisite")
        return list_page(call, requisites(call), visible)


@method("crm.requisite.get", scope="crm")
def _requisite_get(call: Call) -> Outcome:
    requisite_id = parse_id(get_ci(call.params, "id"))
    with call.state.lock:
        record = requisites(call).get(requisite_id)
        if record is None:
            raise errors.requisite_not_found(requisite_id)
        require_requisite_access(call, record)
        return Outcome(requisites(call).project(record, ["*", "UF_*"]))


def _check_parent(call: Call, fields: dict[str, Any], *, adding: bool) -> None:
    """The add checks of crm-requisite-add.md in its order (type, owner, preset); on update only what is given."""
    type_id = optional_int(fields.get("ENTITY_TYPE_ID"))
    if (adding or "ENTITY_TYPE_ID" in fields) and type_id not in OWNER_TYPE_IDS.values():
        raise errors.not_defined("ENTITY_TYPE_ID")
    if (adding or "ENTITY_ID" in fields) and optional_int(fields.get("ENTITY_ID")) is None:
        raise errors.not_defined("ENTITY_ID")
    if (adding or "PRESET_ID" in fields) and presets(call).get(optional_int(fields.get("PRESET_ID")) or 0) is None:
        raise errors.not_defined("PRESET_ID")
    if adding and not str(fields.get("NAME") or "").strip():
        # crm-requisite-add.md marks NAME required but lists no error for it; the text follows the others'.
        raise errors.not_defined("NAME")


@method("crm.requisite.add", scope="crm")
def _requisite_add(call: Call) -> Outcome:
    fields = fields_param(call)
    with call.state.lock:
        _check_parent(call, fields, adding=True)
        owner_type = REQUISITE_OWNERS[str(optional_int(fields["ENTITY_TYPE_ID"]))]
        owner = call.state.tables[owner_type].get(optional_int(fields["ENTITY_ID"]) or 0)
        if owner is None:
            raise errors.entity_not_found()
        if not may_read(call.state.roles, call.state.tables, call.caller.user_id, owner_type, owner):
            raise errors.requisite_access_denied()
        table = requisites(call)
        record = blank(table, call)
        record["ADDRESS_ONLY"] = "N"
        apply(table, record, fields, adding=True)
        new_id = table.insert(record)
    emit(call, "ONCRMREQUISITEADD", new_id)
    return Outcome(new_id)


@method("crm.requisite.update", scope="crm")
def _requisite_update(call: Call) -> Outcome:
    requisite_id = parse_id(get_ci(call.params, "id"))
    fields = fields_param(call)
    with call.state.lock:
        record = requisites(call).get(requisite_id)
        if record is None:
            raise errors.requisite_not_found(requisite_id)
        require_requisite_access(call, record)
        _check_parent(call, fields, adding=False)
        apply(requisites(call), record, fields, adding=False)
        touch(call, record)
    emit(call, "ONCRMREQUISITEUPDATE", requisite_id)
    return Outcome(True)


@method("crm.requisite.delete", scope="crm")
def _requisite_delete(call: Call) -> Outcome:
    requisite_id = parse_id(get_ci(call.params, "id"))
    with call.state.lock:
        record = requisites(call).get(requisite_id)
        if record is None:
            raise errors.requisite_not_found(requisite_id)
        require_requisite_access(call, record)
        delete_requisite(call, requisite_id)
    return Outcome(True)


# Hooks run when a requisite goes, before its own delete event: methods_addresses.py drops its addresses.
REQUISITE_CHILDREN: list[Callable[[Call, int], None]] = []


def delete_requisite(call: Call, requisite_id: int) -> None:
    """Delete a requisite with its bank details and addresses (crm-requisite-delete.md), each with its event."""
    details = bank_details(call)
    for detail_id in [int(r["ID"]) for r in details.records.values() if r.get("ENTITY_ID") == str(requisite_id)]:
        details.delete(detail_id)
        emit(call, "ONCRMBANKDETAILDELETE", detail_id)
    for drop_children in REQUISITE_CHILDREN:
        drop_children(call, requisite_id)
    requisites(call).delete(requisite_id)
    emit(call, "ONCRMREQUISITEDELETE", requisite_id)


@on_delete
def _owner_deleted(call: Call, entity: str, entity_id: int) -> None:
    """A deleted company or contact takes its requisites along (EntityRequisite::deleteByEntity, see above)."""
    type_id = OWNER_TYPE_IDS.get(entity)
    if type_id is None:
        return
    owned = [int(r["ID"]) for r in requisites(call).records.values()
             if r.get("ENTITY_TYPE_ID") == str(type_id) and r.get("ENTITY_ID") == str(entity_id)]
    for requisite_id in owned:
        delete_requisite(call, requisite_id)


# -- bank details ----------------------------------------------------------------------------------------------------


def _detail_visible(call: Call) -> RecordCheck:
    owners = requisites(call)

    def visible(detail: dict[str, Any]) -> bool:
        requisite = owners.get(optional_int(detail.get("ENTITY_ID")) or 0)
        return requisite is not None and may_use_requisite(call, requisite)

    return visible


def _detail_of(call: Call, detail_id: int) -> dict[str, Any]:
    record = bank_details(call).get(detail_id)
    if record is None:
        raise errors.bank_detail_not_found(detail_id)
    requisite = requisites(call).get(optional_int(record.get("ENTITY_ID")) or 0)
    if requisite is None or not may_use_requisite(call, requisite):
        raise errors.requisite_access_denied()
    return record


@method("crm.requisite.bankdetail.fields", scope="crm")
def _detail_fields(call: Call) -> Outcome:
    with call.state.lock:
        return Outcome({n: s.describe() for n, s in bank_details(call).fields.items()})


@method("crm.requisite.bankdetail.list", scope="crm")
def _detail_list(call: Call) -> Outcome:
    with call.state.lock:
        return list_page(call, bank_details(call), _detail_visible(call))


@method("crm.requisite.bankdetail.get", scope="crm")
def _detail_get(call: Call) -> Outcome:
    detail_id = parse_id(get_ci(call.params, "id"))
    with call.state.lock:
        return Outcome(bank_details(call).project(_detail_of(call, detail_id), ["*"]))


@method("crm.requisite.bankdetail.add", scope="crm")
def _detail_add(call: Call) -> Outcome:
    fields = fields_param(call)
    with call.state.lock:
        requisite = requisites(call).get(optional_int(fields.get("ENTITY_ID")) or 0)
        if requisite is None:
            raise errors.not_defined("ENTITY_ID")
        require_requisite_access(call, requisite)
        if not str(fields.get("NAME") or "").strip():
            # crm-requisite-bank-detail-add.md marks NAME required and names no error for it.
            raise errors.not_defined("NAME")
        table = bank_details(call)
        record = blank(table, call)
        preset = presets(call).get(optional_int(requisite.get("PRESET_ID")) or 0)
        record["COUNTRY_ID"] = preset["COUNTRY_ID"] if preset else str(RUSSIA)
        apply(table, record, fields, adding=True)
        new_id = table.insert(record)
    emit(call, "ONCRMBANKDETAILADD", new_id)
    return Outcome(new_id)


@method("crm.requisite.bankdetail.update", scope="crm")
def _detail_update(call: Call) -> Outcome:
    detail_id = parse_id(get_ci(call.params, "id"))
    fields = fields_param(call)
    with call.state.lock:
        record = _detail_of(call, detail_id)
        apply(bank_details(call), record, fields, adding=False)
        touch(call, record)
    emit(call, "ONCRMBANKDETAILUPDATE", detail_id)
    return Outcome(True)


@method("crm.requisite.bankdetail.delete", scope="crm")
def _detail_delete(call: Call) -> Outcome:
    detail_id = parse_id(get_ci(call.params, "id"))
    with call.state.lock:
        _detail_of(call, detail_id)
        bank_details(call).delete(detail_id)
    emit(call, "ONCRMBANKDETAILDELETE", detail_id)
    return Outcome(True)
