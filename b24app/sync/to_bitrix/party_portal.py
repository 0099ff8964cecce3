"""What the counterparty load writes into the CRM and how it finds what it wrote: the portal's requisite presets and
address types (read, never assumed), the field sets of a company, a contact, a requisite, a bank detail and an
address made from a 1C counterparty, and the look-up of cards by the 1C key written on them.

Facts (bitrix24/b24restdocs):
- `api-reference/crm/requisites/presets/crm-requisite-preset-list.md`: presets with ID, NAME, XML_ID; the XML_IDs
  `#CRM_REQUISITE_PRESET_DEF_…` are reserved for the CRM's default presets (Bitrix24's own source names the Russian
  ones `#CRM_REQUISITE_PRESET_DEF_RU_COMPANY#`, `…_RU_INDIVIDUAL#` (sole proprietor) and `…_RU_PERSON#`).
- `api-reference/crm/auxiliary/enum/crm-enum-address-type.md`: address types with ID and NAME (the documented
  example: 1 physical, 4 registered, 6 legal, 8 mailing, 9 beneficiary, 11 shipping).
- `api-reference/crm/requisites/universal/crm-requisite-add.md`: ENTITY_TYPE_ID 4 company, 3 contact; PRESET_ID and
  NAME required; RQ_INN, RQ_KPP, RQ_OGRN, RQ_OGRNIP, RQ_COMPANY_NAME, RQ_COMPANY_FULL_NAME, RQ_LAST_NAME,
  RQ_FIRST_NAME, RQ_SECOND_NAME; XML_ID the external key.
- `api-reference/crm/requisites/bank-detail/crm-requisite-bank-detail-add.md`: ENTITY_ID (the requisite) and NAME
  required; RQ_BANK_NAME, RQ_BIK, RQ_ACC_NUM, RQ_COR_ACC_NUM, XML_ID.
- `api-reference/crm/requisites/addresses/crm-address-add.md`: TYPE_ID, ENTITY_TYPE_ID 8 (requisite), ENTITY_ID;
  ADDRESS_1, CITY, POSTAL_CODE, PROVINCE; one address of a type per requisite ("TypeAddress exists").
- `api-reference/crm/companies/crm-company-add.md`, `crm/contacts/crm-contact-add.md`: PHONE / EMAIL multifields as
  [{VALUE, VALUE_TYPE}], ORIGINATOR_ID / ORIGIN_ID name the external source and the item in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from b24app.bitrix.client import BitrixClient
from b24app.core.counterparty_keys import LEGAL_FORMS, valid_inn, valid_kpp, valid_ogrn
from b24app.core.counterparty_match import ENTREPRENEUR, LEGAL
from b24app.core.counterparty_model import (
    ACTUAL_ADDRESS,
    LEGAL_ADDRESS,
    POSTAL_ADDRESS,
    Address,
    BankAccount,
    ContactPerson,
    OneCParty,
)

COMPANY, CONTACT = "company", "contact"
ENTITY_TYPE_ID = {COMPANY: 4, CONTACT: 3}
REQUISITE_TYPE_ID = 8  # crm-address-add.md: addresses hang on requisites (owner type 8)
PRESET_XML = {LEGAL: "#CRM_REQUISITE_PRESET_DEF_RU_COMPANY#", ENTREPRENEUR: "#CRM_REQUISITE_PRESET_DEF_RU_INDIVIDUAL#",
              "person": "#CRM_REQUISITE_PRESET_DEF_RU_PERSON#"}
# A renamed or re-created preset keeps its meaning in its name: Russian portals and English ones.
PRESET_NAMES = {LEGAL: ("организация", "organization", "company"),
                ENTREPRENEUR: ("ип", "индивидуальный предприниматель", "sole proprietor"),
                "person": ("физ", "individual", "person")}
ADDRESS_NAMES = {LEGAL_ADDRESS: ("юридический", "legal"), ACTUAL_ADDRESS: ("фактический", "physical", "actual"),
                 POSTAL_ADDRESS: ("почтовый", "mailing", "postal")}
ADDRESS_IDS = {LEGAL_ADDRESS: 6, ACTUAL_ADDRESS: 1, POSTAL_ADDRESS: 8}  # the documented example, when names say nothing


def originator_id(base_id: int) -> str:
    """ORIGINATOR_ID of the cards the app creates or links for one 1C base (ORIGIN_ID holds the 1C key)."""
    return f"b24-1c:{int(base_id)}"


@dataclass(frozen=True)
class PortalSetup:
    """The portal's requisite presets by 1C kind and address types by 1C address kind."""

    presets: Mapping[str, int]  # LEGAL, ENTREPRENEUR, "person" -> preset id (absent: the portal has none)
    address_types: Mapping[str, int]  # LEGAL_ADDRESS, ACTUAL_ADDRESS, POSTAL_ADDRESS -> TYPE_ID


def read_setup(bitrix: BitrixClient) -> PortalSetup:
    """Presets and address types in one request."""
    outcome = bitrix.batch({
        "presets": ("crm.requisite.preset.list", {"order": {"ID": "ASC"}, "select": ["ID", "NAME", "XML_ID",
                                                                                    "ACTIVE", "COUNTRY_ID"]}),
        "types": ("crm.enum.addresstype", {}),
    })
    outcome.raise_first_error()
    return PortalSetup(presets=presets_of(_rows(outcome.results.get("presets"))),
                       address_types=address_types_of(_rows(outcome.results.get("types"))))


def presets_of(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """By the reserved XML_ID first, then by name, active presets only."""
    active = [r for r in rows if str(r.get("ACTIVE") or "Y") == "Y"]
    out: dict[str, int] = {}
    for kind, xml in PRESET_XML.items():
        found = next((r for r in active if str(r.get("XML_ID") or "") == xml), None)
        if found is None:
            found = next((r for r in active if _names(str(r.get("NAME") or ""), PRESET_NAMES[kind])), None)
        if found is not None:
            out[kind] = int(found["ID"])
    return out


def address_types_of(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    ids = {int(r["ID"]) for r in rows if str(r.get("ID") or "").isdigit() or isinstance(r.get("ID"), int)}
    out: dict[str, int] = {}
    for kind, words in ADDRESS_NAMES.items():
        found = next((int(r["ID"]) for r in rows if _names(str(r.get("NAME") or ""), words)), None)
        if found is None and ADDRESS_IDS[kind] in ids:
            found = ADDRESS_IDS[kind]
        if found is not None:
            out[kind] = found
    return out


def _names(name: str, words: Sequence[str]) -> bool:
    text = name.casefold()
    return any(text == w or text.startswith(w + " ") or text.startswith(w + ".") or f" {w}" in f" {text}"
               for w in words)


def _rows(result: Any) -> list[Mapping[str, Any]]:
    if isinstance(result, Mapping):
        result = list(result.values())
    return [r for r in result or [] if isinstance(r, Mapping)]


# ---------------------------------------------------------------------------------------------- field sets


def multi(values: Sequence[str], value_type: str = "WORK") -> list[dict[str, str]]:
    return [{"VALUE": v, "VALUE_TYPE": value_type} for v in dict.fromkeys(v.strip() for v in values) if v]


def person_names(name: str) -> tuple[str, str, str]:
    """(last, first, second) of a person's name as 1C writes it ("Иванов Иван Иванович"), without "ИП"."""
    words = [w for w in name.replace("«", " ").replace("»", " ").split() if w]
    while words and words[0].casefold().strip(".") in LEGAL_FORMS:
        words = words[1:]
    if len(words) == 1:
        return "", words[0], ""
    return (words[0] if words else "", words[1] if len(words) > 1 else "", " ".join(words[2:]))


def company_fields(party: OneCParty, base_id: int) -> dict[str, Any]:
    fields: dict[str, Any] = {"TITLE": party.name or party.full_name or party.inn or party.key,
                              "ORIGINATOR_ID": originator_id(base_id), "ORIGIN_ID": party.key, "OPENED": "Y"}
    if party.phones:
        fields["PHONE"] = multi(party.phones)
    if party.emails:
        fields["EMAIL"] = multi(party.emails)
    return fields


def contact_fields(party: OneCParty, base_id: int) -> dict[str, Any]:
    """An individual as a contact."""
    last, first, second = person_names(party.name or party.full_name)
    fields: dict[str, Any] = {"LAST_NAME": last, "NAME": first or party.key, "SECOND_NAME": second,
                              "ORIGINATOR_ID": originator_id(base_id), "ORIGIN_ID": party.key, "OPENED": "Y"}
    if party.phones:
        fields["PHONE"] = multi(party.phones)
    if party.emails:
        fields["EMAIL"] = multi(party.emails)
    return fields


def person_fields(person: ContactPerson, company_ref: Any, base_id: int) -> dict[str, Any]:
    """A contact person of a counterparty as a contact of its company."""
    last, first, second = ((person.last_name, person.first_name, person.second_name)
                           if person.last_name or person.first_name else person_names(person.name))
    fields: dict[str, Any] = {"LAST_NAME": last, "NAME": first or person.name or person.key, "SECOND_NAME": second,
                              "POST": person.position, "COMPANY_ID": company_ref,
                              "ORIGINATOR_ID": originator_id(base_id), "ORIGIN_ID": person.key, "OPENED": "Y"}
    if person.phones:
        fields["PHONE"] = multi(person.phones)
    if person.emails:
        fields["EMAIL"] = multi(person.emails)
    return fields


def requisite_kind(party: OneCParty) -> str:
    """The preset a counterparty's requisite takes: 1C's kind of the counterparty."""
    return party.kind if party.kind in (LEGAL, ENTREPRENEUR) else "person"


def requisite_values(party: OneCParty) -> dict[str, str]:
    """The RQ_ fields 1C knows of a counterparty; an invalid INN is left out (it is never a key: issue 14)."""
    kind = requisite_kind(party)
    inn = valid_inn(party.inn) or ""
    values: dict[str, str] = {"RQ_INN": inn}
    if kind == LEGAL:
        values["RQ_KPP"] = valid_kpp(party.kpp) or ""
        values["RQ_OGRN"] = valid_ogrn(party.ogrn) or ""
        values["RQ_COMPANY_NAME"] = party.name
        values["RQ_COMPANY_FULL_NAME"] = party.full_name or party.name
    else:
        last, first, second = person_names(party.full_name or party.name)
        values.update(RQ_LAST_NAME=last, RQ_FIRST_NAME=first, RQ_SECOND_NAME=second)
        if kind == ENTREPRENEUR:
            values["RQ_OGRNIP"] = valid_ogrn(party.ogrn) or ""
            values["RQ_COMPANY_NAME"] = party.name
    return values


def requisite_fields(party: OneCParty, setup: PortalSetup, entity: str, owner_ref: Any) -> dict[str, Any] | None:
    """A new requisite of the card; None when the portal has no preset of the party's kind."""
    preset = setup.presets.get(requisite_kind(party))
    if preset is None:
        return None
    return {"ENTITY_TYPE_ID": ENTITY_TYPE_ID[entity], "ENTITY_ID": owner_ref, "PRESET_ID": preset,
            "NAME": (party.name or party.full_name)[:255] or party.key, "XML_ID": party.key, "ACTIVE": "Y",
            **{k: v for k, v in requisite_values(party).items() if v}}


def bank_fields(account: BankAccount, requisite_ref: Any) -> dict[str, Any]:
    return {"ENTITY_ID": requisite_ref, "NAME": (account.name or account.bank_name or account.account)[:255],
            "RQ_BANK_NAME": account.bank_name, "RQ_BIK": account.bik, "RQ_ACC_NUM": account.account,
            "RQ_COR_ACC_NUM": account.corr_account, "RQ_ACC_CURRENCY": "RUB", "XML_ID": account.key,
            "ACTIVE": "Y"}


def address_fields(address: Address, type_id: int, requisite_ref: Any) -> dict[str, Any]:
    return {"TYPE_ID": type_id, "ENTITY_TYPE_ID": REQUISITE_TYPE_ID, "ENTITY_ID": requisite_ref,
            "ADDRESS_1": address.street or address.text, "CITY": address.city, "POSTAL_CODE": address.postal_code,
            "PROVINCE": address.region, "COUNTRY": "Россия"}


def addresses_by_type(party: OneCParty, setup: PortalSetup) -> dict[int, Address]:
    """One address per portal type (the portal keeps one of a type per requisite), the first of each kind."""
    out: dict[int, Address] = {}
    for address in party.addresses:
        type_id = setup.address_types.get(address.kind)
        if type_id is not None and type_id not in out and (address.text or address.street):
            out[type_id] = address
    return out


# ---------------------------------------------------------------------------------------------- look-ups


def find_by_origin(bitrix: BitrixClient, entity: str, base_id: int, keys: Sequence[str]) -> dict[str, int]:
    """1C key -> id of the card carrying it as ORIGIN_ID (with this base's ORIGINATOR_ID): what a run killed
    between a create and its record left behind. One list command per key, 50 to a request."""
    out: dict[str, int] = {}
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), 50):
        chunk = keys[start:start + 50]
        outcome = bitrix.batch({n: (f"crm.{entity}.list", {
            "filter": {"ORIGIN_ID": key, "ORIGINATOR_ID": originator_id(base_id)}, "select": ["ID"],
            "order": {"ID": "ASC"}}) for n, key in enumerate(chunk)})
        outcome.raise_first_error()
        for n, key in enumerate(chunk):
            rows = _rows(outcome.results.get(n))
            if rows:
                out[key] = int(rows[0]["ID"])
    return out


def requisites_of(bitrix: BitrixClient, entity: str, card_ids: Sequence[int]) -> dict[int, int]:
    """Card id -> id of its first requisite, for the cards that have one."""
    out: dict[int, int] = {}
    ids = list(dict.fromkeys(int(i) for i in card_ids))
    for start in range(0, len(ids), 50):
        chunk = ids[start:start + 50]
        outcome = bitrix.batch({n: ("crm.requisite.list", {
            "filter": {"ENTITY_TYPE_ID": ENTITY_TYPE_ID[entity], "ENTITY_ID": card}, "select": ["ID"],
            "order": {"ID": "ASC"}}) for n, card in enumerate(chunk)})
        outcome.raise_first_error()
        for n, card in enumerate(chunk):
            rows = _rows(outcome.results.get(n))
            if rows:
                out[card] = int(rows[0]["ID"])
    return out
