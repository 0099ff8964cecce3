"""Writing a CRM change back into a 1C counterparty (Catalog_Контрагенты) through the standard OData interface.

One PATCH per counterparty, in the profile's names (platform docs 17.4.13.1.3: PATCH changes the properties it
names; a tabular section is sent whole). Phones, e-mails and addresses live in the tabular section
КонтактнаяИнформация next to other kinds of contact information, so the section is read first and sent back with
only the rows being replaced changed: when phones are written, the addresses, web pages and faxes stay as 1C had
them; when addresses are written, only the legal, actual and postal ones are replaced (a delivery address stays).
A logical field the profile does not map (an ОГРН in a customised base that lacks it) is not written; errors come as
`onec/errors.py` types from the client (OneCNotFound for a counterparty gone, OneCQueryError for a value 1C refuses,
OneCUnavailable, …).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from b24app.core.counterparty_model import ACTUAL_ADDRESS, LEGAL_ADDRESS, POSTAL_ADDRESS, Address
from b24app.onec import query as q
from b24app.onec import standard as std
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import ObjectSpec, Profile, ProfileError

# Logical fields of the counterparty written as plain values.
SCALARS = ("name", "full_name", "inn", "kpp", "ogrn")
# Logical fields written as contact-information rows: the row kind's value key in the profile, the column holding
# the value itself, and the contact_kind value naming the predefined kind (Вид) of such a row.
CONTACTS = {"phones": ("contacts_kind_phone", "phone", "predefined_name_phone"),
            "emails": ("contacts_kind_email", "email", "predefined_name_email")}
# The key of a row of a tabular section (17.4.4): the owner's Ref_Key and the row's number, given by 1C on write.
_ROW_KEYS = (std.REF_KEY, std.LINE_NUMBER)
_RUSSIAN_PHONE = re.compile(r"^(?:\+7|8)(\d{3})(\d{7})$")
# The address kinds the exchange knows, by the contact_kind value naming each one's predefined element.
ADDRESS_KINDS = {LEGAL_ADDRESS: "predefined_name_legal_address", ACTUAL_ADDRESS: "predefined_name_actual_address",
                 POSTAL_ADDRESS: "predefined_name_postal_address"}
# An address written from the CRM's fields is one 1C keeps «in free form» (БСП: АдресВСвободнойФорме() returns
# "ВСвободнойФорме", kassya20/ut CommonModules/УправлениеКонтактнойИнформациейКлиентСервер): its parts are not checked
# against the address classifier.
FREE_FORM = "ВСвободнойФорме"


def update_counterparty(client: ODataClient, profile: Profile, key: str, changes: Mapping[str, object]) -> None:
    """Writes `changes` (logical name -> value: `name`, `full_name`, `inn`, `kpp`, `ogrn` as text; `phones`,
    `emails` as sequences of text replacing the counterparty's rows of that type; `addresses` as a sequence of
    `Address` replacing its legal, actual and postal addresses) into the counterparty `key`.

    Nothing is sent when no change maps to a field of the profile (addresses need the row's kind, Вид, and the
    predefined kinds: without them they are not written). ValueError for a logical name it does not know.
    """
    unknown = set(changes) - set(SCALARS) - set(CONTACTS) - {"addresses"}
    if unknown:
        raise ValueError(f"update_counterparty: unknown fields {sorted(unknown)}")
    spec = profile.object("counterparty")
    body = {spec.field(name): _text(value) for name, value in changes.items()
            if name in SCALARS and spec.has(name)}
    lists = {name: _values(value) for name, value in changes.items() if name in CONTACTS}
    addresses = _addresses(changes["addresses"]) if "addresses" in changes else None
    table = spec.tables.get("contacts")
    if table is not None and (lists or addresses is not None):
        kinds = _contact_kinds(client, profile)
        if addresses is not None and not ("kind_ref" in table.fields and all(
                ADDRESS_KINDS[a.kind] in kinds for a in addresses)):
            addresses = None  # a row without its kind would be an address 1C's forms cannot place
        if lists or addresses is not None:
            row = client.get(spec.entity_set, key, select=[table.name])
            rows = _contact_rows(spec, row.get(table.name) or [], lists, kinds)
            body[table.name] = rows if addresses is None else _address_rows(spec, rows, addresses, kinds)
    if body:
        client.update(spec.entity_set, key, body)


def _contact_rows(spec: ObjectSpec, rows: list[Mapping], lists: Mapping[str, list[str]],
                  kinds: Mapping[str, str]) -> list[dict]:
    """The section with the rows of each replaced type dropped and the new values appended after the kept rows."""
    table = spec.tables["contacts"]
    kind_field = table.fields["kind"].name
    replaced = {spec.value(CONTACTS[name][0]) for name in lists}
    kept = [{k: v for k, v in row.items() if k not in _ROW_KEYS} for row in rows if row.get(kind_field) not in replaced]
    added = []
    for name, values in lists.items():
        type_key, column, kind_key = CONTACTS[name]
        for value in values:
            line = {kind_field: spec.value(type_key), table.fields["presentation"].name: value}
            if column in table.fields:
                line[table.fields[column].name] = value
            if "kind_ref" in table.fields and kinds.get(kind_key):
                line[table.fields["kind_ref"].name] = kinds[kind_key]
            if "value" in table.fields:
                line[table.fields["value"].name] = _json_value(spec.value(type_key), name, value)
            added.append(line)
    return kept + added


def _address_rows(spec: ObjectSpec, rows: list[dict], addresses: list[Address],
                  kinds: Mapping[str, str]) -> list[dict]:
    """The section with its legal, actual and postal addresses replaced by `addresses` (other rows kept)."""
    table = spec.tables["contacts"]
    field = {logical: f.name for logical, f in table.fields.items()}
    address_type = spec.value("contacts_kind_address")
    ours = {kinds[k] for k in ADDRESS_KINDS.values() if k in kinds}
    kept = [r for r in rows if not (r.get(field["kind"]) == address_type and r.get(field["kind_ref"]) in ours)]
    added = []
    for address in addresses:
        line = {field["kind"]: address_type, field["kind_ref"]: kinds[ADDRESS_KINDS[address.kind]],
                field["presentation"]: address.text}
        for logical, value in (("region", address.region), ("city", address.city)):
            if logical in field:
                line[field[logical]] = value
        if "value" in field:
            line[field["value"]] = json.dumps({
                "version": 5, "value": address.text, "comment": "", "type": address_type, "addressType": FREE_FORM,
                "ZIPcode": address.postal_code}, ensure_ascii=False)
        added.append(line)
    return kept + added


def _contact_kinds(client: ODataClient, profile: Profile) -> dict[str, str]:
    """contact_kind value key (`predefined_name_phone`, `predefined_name_legal_address`, …) -> the predefined
    element's key, for the kinds the base has; {} when the profile maps no contact_kind."""
    spec = profile.objects.get("contact_kind")
    if spec is None or not spec.enabled:
        return {}
    wanted = {}
    for kind_key in (*(c[2] for c in CONTACTS.values()), *ADDRESS_KINDS.values()):
        try:
            wanted[spec.value(kind_key)] = kind_key
        except ProfileError:
            continue
    name, key = spec.field("predefined_name"), spec.field("key")
    rows = client.iter_rows(spec.entity_set, filter=q.any_of(*(q.eq(name, v) for v in wanted)), select=[key, name])
    return {wanted[row[name]]: row[key] for row in rows if row.get(name) in wanted}


def _json_value(type_name: str, logical: str, value: str) -> str:
    """The row's Значение as БСП 3 writes it (kassya20/ut CommonModules/УправлениеКонтактнойИнформациейКлиентСервер,
    ОписаниеНовойКонтактнойИнформации: version 5, value, comment, type; a phone also countryCode, areaCode, number,
    extNumber), so 1C's forms show the row as if typed there."""
    data: dict[str, object] = {"version": 5, "value": value, "comment": "", "type": type_name}
    if logical == "phones":
        digits = re.sub(r"\D", "", value)
        match = _RUSSIAN_PHONE.match(("+" if value.strip().startswith("+") else "") + digits)
        # The parts as БСП parses a typed phone (УправлениеКонтактнойИнформациейСлужебный: groups of digits —
        # country, area, number — the country code as digits, «7»).
        data.update({"countryCode": "7" if match else "", "areaCode": match.group(1) if match else "",
                     "number": match.group(2) if match else digits, "extNumber": ""})
    return json.dumps(data, ensure_ascii=False)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _addresses(value: object) -> list[Address]:
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable) or not all(
            isinstance(a, Address) and a.kind in ADDRESS_KINDS and a.text.strip() for a in value):
        raise ValueError("addresses are written as a list of Address of a known kind, each with its text")
    return list(value)


def _values(value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError("phones and emails are written as lists of text")
    return list(dict.fromkeys(text for text in (_text(v) for v in value) if text))
