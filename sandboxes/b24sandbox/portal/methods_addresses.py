"""Addresses of requisites (crm.address.*) and the address types (crm.enum.addresstype).

Facts (bitrix24/b24restdocs):
- api-reference/crm/requisites/addresses/crm-address-add.md, -update.md, -delete.md, -list.md, -fields.md: an
  address has no ID; TYPE_ID + ENTITY_TYPE_ID + ENTITY_ID name it (one address per type and parent). The parent is a
  requisite (ENTITY_TYPE_ID 8) or a lead; companies and contacts (3, 4) only on old accounts where support enabled the
  old address mode, which the sandbox portal is not (and it has no leads). add/update/delete answer `true`; update
  changes the fields it is given. Errors (empty code, HTTP 400): "TYPE_ID is not defined or invalid",
  "ENTITY_TYPE_ID ...", "ENTITY_ID ...", "TypeAddress exists" (add), "TypeAddress not found" (update, delete),
  "Access denied". The list answer carries ANCHOR_TYPE_ID / ANCHOR_ID, the company or contact owning the requisite,
  and LOC_ADDR_ID, the address object of the location module each CRM address gets (add.md, LOC_ADDR_ID).
- api-reference/crm/auxiliary/enum/crm-enum-address-type.md (Russian edition): the types and their IDs, in the order
  the method lists them: 11 «Адрес доставки», 1 «Фактический адрес», 6 «Юридический адрес», 4 «Адрес регистрации»,
  8 «Адрес для корреспонденции», 9 «Адрес бенефициара»; SYMBOL_CODE and SYMBOL_CODE_SHORT null.
- api-reference/crm/requisites/events/on-crm-address-register.md / -unregister.md: data[FIELDS] holds TYPE_ID,
  ENTITY_TYPE_ID, ENTITY_ID, ANCHOR_ID, ANCHOR_TYPE_ID. The portal registers an address when it is added or changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from b24sandbox.portal import errors
from b24sandbox.portal.entities import EntityTable
from b24sandbox.portal.methods_requisites import (
    OWNER_TYPE_IDS,
    REQUISITE_CHILDREN,
    REQUISITE_ENTITY_TYPE,
    emit,
    fields_param,
    list_args,
    may_use_requisite,
    optional_int,
    requisites,
    stored,
)
from b24sandbox.portal.registry import Call, Outcome, method
from b24sandbox.portal.schemas import address_fields

ADDRESS_TYPES = (
    (11, "Адрес доставки"),
    (1, "Фактический адрес"),
    (6, "Юридический адрес"),
    (4, "Адрес регистрации"),
    (8, "Адрес для корреспонденции"),
    (9, "Адрес бенефициара"),
)
_KEY_FIELDS = ("TYPE_ID", "ENTITY_TYPE_ID", "ENTITY_ID")
AddressKey = tuple[int, int, int]


@dataclass
class AddressTable(EntityTable):
    """Addresses, stored under an internal row number (never shown) and found by their key."""

    keys: dict[AddressKey, int] = field(default_factory=dict)
    next_location_id: int = 1


def addresses(call: Call) -> AddressTable:
    table = call.state.tables.get("address")
    if not isinstance(table, AddressTable):
        table = AddressTable("address", address_fields())
        call.state.tables["address"] = table
    return table


def _row(table: AddressTable, record: dict[str, Any], select: list[str] | None = None) -> dict[str, Any]:
    """An address as crm.address.list shows it: the fields in their order, no row number."""
    wanted = [s.upper() for s in select or [] if s and s != "*"]
    names = [n for n in table.fields if not wanted or n in wanted]
    return {name: record.get(name) for name in names}


def _key(call: Call, fields: dict[str, Any]) -> tuple[AddressKey, dict[str, Any]]:
    """The address's key from ``fields``, checked as crm-address-add.md orders its errors; and its requisite."""
    type_id = optional_int(fields.get("TYPE_ID"))
    if type_id not in {number for number, _ in ADDRESS_TYPES}:
        raise errors.not_defined("TYPE_ID")
    if optional_int(fields.get("ENTITY_TYPE_ID")) != REQUISITE_ENTITY_TYPE:
        raise errors.not_defined("ENTITY_TYPE_ID")
    entity_id = optional_int(fields.get("ENTITY_ID"))
    requisite = requisites(call).get(entity_id or 0)
    if requisite is None:
        raise errors.not_defined("ENTITY_ID")
    if not may_use_requisite(call, requisite):
        raise errors.requisite_access_denied()
    return (type_id, REQUISITE_ENTITY_TYPE, int(entity_id or 0)), requisite


def _event_fields(record: dict[str, Any]) -> dict[str, str]:
    return {name: str(record.get(name)) for name in (*_KEY_FIELDS, "ANCHOR_ID", "ANCHOR_TYPE_ID")}


def _apply(table: AddressTable, record: dict[str, Any], fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        spec = table.fields.get(name)
        if spec is None or spec.read_only or spec.immutable:
            continue
        record[name] = stored(spec, value)


@method("crm.address.fields", scope="crm")
def _fields(call: Call) -> Outcome:
    with call.state.lock:
        return Outcome({n: s.describe() for n, s in addresses(call).fields.items()})


@method("crm.enum.addresstype", scope="crm")
def _types(call: Call) -> Outcome:
    return Outcome([{"ID": number, "NAME": name, "SYMBOL_CODE": None, "SYMBOL_CODE_SHORT": None}
                    for number, name in ADDRESS_TYPES])


@method("crm.address.list", scope="crm")
def _list(call: Call) -> Outcome:
    with call.state.lock:
        table = addresses(call)
        owners = requisites(call)

        def visible(record: dict[str, Any]) -> bool:
            requisite = owners.get(optional_int(record.get("ENTITY_ID")) or 0)
            return requisite is not None and may_use_requisite(call, requisite)

        raw_filter, order, select, start = list_args(call)
        page = table.list(raw_filter, order, start, visible=visible)
        return Outcome([_row(table, r, select) for r in page.items], total=page.total, next=page.next)


@method("crm.address.add", scope="crm")
def _add(call: Call) -> Outcome:
    fields = fields_param(call)
    with call.state.lock:
        key, requisite = _key(call, fields)
        table = addresses(call)
        if key in table.keys:
            raise errors.address_exists()
        record: dict[str, Any] = dict.fromkeys(table.fields)
        record.update({"TYPE_ID": str(key[0]), "ENTITY_TYPE_ID": str(key[1]), "ENTITY_ID": str(key[2]),
                       "ANCHOR_TYPE_ID": str(OWNER_TYPE_IDS.get(_owner_entity(requisite), 0)),
                       "ANCHOR_ID": requisite.get("ENTITY_ID"), "LOC_ADDR_ID": str(table.next_location_id)})
        table.next_location_id += 1
        _apply(table, record, fields)
        table.keys[key] = table.insert(record)
        payload = _event_fields(record)
    emit(call, "ONCRMADDRESSREGISTER", "", payload)
    return Outcome(True)


@method("crm.address.update", scope="crm")
def _update(call: Call) -> Outcome:
    fields = fields_param(call)
    with call.state.lock:
        key, _ = _key(call, fields)
        table = addresses(call)
        if key not in table.keys:
            raise errors.address_not_found()
        record = table.records[table.keys[key]]
        _apply(table, record, fields)
        payload = _event_fields(record)
    emit(call, "ONCRMADDRESSREGISTER", "", payload)
    return Outcome(True)


@method("crm.address.delete", scope="crm")
def _delete(call: Call) -> Outcome:
    fields = fields_param(call)
    with call.state.lock:
        key, _ = _key(call, fields)
        table = addresses(call)
        if key not in table.keys:
            raise errors.address_not_found()
        payload = _drop(table, key)
    emit(call, "ONCRMADDRESSUNREGISTER", "", payload)
    return Outcome(True)


def _owner_entity(requisite: dict[str, Any]) -> str:
    return {str(v): k for k, v in OWNER_TYPE_IDS.items()}.get(str(requisite.get("ENTITY_TYPE_ID")), "")


def _drop(table: AddressTable, key: AddressKey) -> dict[str, str]:
    row_id = table.keys.pop(key)
    payload = _event_fields(table.records[row_id])
    table.delete(row_id)
    return payload


def _requisite_deleted(call: Call, requisite_id: int) -> None:
    """crm-requisite-delete.md: a requisite's addresses go with it, each unregistered."""
    table = addresses(call)
    for key in [k for k in table.keys if k[1] == REQUISITE_ENTITY_TYPE and k[2] == requisite_id]:
        emit(call, "ONCRMADDRESSUNREGISTER", "", _drop(table, key))


REQUISITE_CHILDREN.append(_requisite_deleted)
