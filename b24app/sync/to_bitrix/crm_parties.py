"""The CRM side of the counterparties: every company and contact with its first requisite, its phones and e-mails
and the 1C key it was linked by (ORIGIN_ID / ORIGINATOR_ID), read in as few requests as the portal allows; and the
cards the portal itself finds sharing a phone or an e-mail (`crm.duplicate.findbycomm`).

Facts (bitrix24/b24restdocs):
- `settings/performance/huge-data.md`: big lists are read by ID ascending with `>ID` and `start=-1`; the batched
  form (`bitrix/listing.py`) chains 50 such pages into one request.
- `api-reference/crm/companies/crm-company-list.md`, `crm/contacts/crm-contact-list.md`: PHONE and EMAIL are
  multifields (a list of {VALUE, VALUE_TYPE, TYPE_ID}) returned when selected by name ("*" leaves them out).
- `api-reference/crm/requisites/universal/crm-requisite-list.md`: requisites carry ENTITY_TYPE_ID (3 contact,
  4 company) and ENTITY_ID; RQ_INN, RQ_KPP, RQ_OGRN (RQ_OGRNIP for a sole proprietor), RQ_COMPANY_NAME,
  RQ_COMPANY_FULL_NAME, XML_ID. One listing of all requisites costs less than one call per card.
- `api-reference/crm/duplicates/crm-duplicate-find-by-comm.md`: `type` PHONE or EMAIL, at most 20 `values` per
  call, optional `entity_type` (LEAD, CONTACT, COMPANY); the answer is the IDs of the cards carrying ANY of the
  values ({"COMPANY": [..]}), not which value each card carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import BitrixError
from b24app.core.counterparty_keys import normal_email, normal_phone
from b24app.core.counterparty_model import CrmParty, CrmRequisite

COMPANY, CONTACT = "company", "contact"
ENTITY_TYPE_ID = {COMPANY: 4, CONTACT: 3}  # crm-requisite-add.md: the parent's type
ENTITY_OF_TYPE_ID = {v: k for k, v in ENTITY_TYPE_ID.items()}
COMPANY_SELECT = ["ID", "TITLE", "PHONE", "EMAIL", "ORIGIN_ID", "ORIGINATOR_ID"]
CONTACT_SELECT = ["ID", "NAME", "LAST_NAME", "SECOND_NAME", "COMPANY_ID", "PHONE", "EMAIL", "ORIGIN_ID",
                  "ORIGINATOR_ID"]
REQUISITE_SELECT = ["ID", "ENTITY_TYPE_ID", "ENTITY_ID", "PRESET_ID", "NAME", "RQ_INN", "RQ_KPP", "RQ_OGRN",
                    "RQ_OGRNIP", "RQ_COMPANY_NAME", "RQ_COMPANY_FULL_NAME", "XML_ID"]
FINDBYCOMM_VALUES = 20  # crm-duplicate-find-by-comm.md: "Maximum number of values — 20"
COMM_TYPES = ("PHONE", "EMAIL")


def read_crm_parties(bitrix: BitrixClient) -> list[CrmParty]:
    """Every company and contact of the portal with its first requisite (the lowest ID), in ID order, companies
    first. Three batched listings: a portal of N cards costs about N / 2,500 requests per kind."""
    # Requisites belong to companies and contacts only (crm-requisite-add.md), so one unfiltered listing holds
    # exactly the ones we need; a filter on the type would only cost the portal an index.
    requisites = first_requisites(bitrix.iterate_by_id_batched("crm.requisite.list", {"select": REQUISITE_SELECT}))
    out = [company_of(row, requisites.get((COMPANY, _int(row.get("ID"))))) for row in
           bitrix.iterate_by_id_batched("crm.company.list", {"select": COMPANY_SELECT})]
    out += [contact_of(row, requisites.get((CONTACT, _int(row.get("ID"))))) for row in
            bitrix.iterate_by_id_batched("crm.contact.list", {"select": CONTACT_SELECT})]
    return out


def read_crm_party(bitrix: BitrixClient, entity: str, crm_id: int) -> CrmParty | None:
    """One company or contact with its first requisite, in one batch request; None when the card is gone."""
    if entity not in ENTITY_TYPE_ID:
        raise ValueError(f"not a CRM party entity: {entity!r}")
    outcome = bitrix.batch({
        "card": (f"crm.{entity}.get", {"id": int(crm_id)}),
        "requisites": ("crm.requisite.list", {
            "order": {"ID": "ASC"}, "select": REQUISITE_SELECT,
            "filter": {"ENTITY_TYPE_ID": ENTITY_TYPE_ID[entity], "ENTITY_ID": int(crm_id)}}),
    })
    error = outcome.errors.get("card")
    if error is not None:
        if _not_found(error):
            return None
        raise error
    if "requisites" in outcome.errors:
        raise outcome.errors["requisites"]
    card = outcome.results.get("card")
    if not isinstance(card, Mapping):
        return None
    rows = outcome.results.get("requisites") or []
    rows = list(rows.values()) if isinstance(rows, Mapping) else list(rows)
    requisite = requisite_of(rows[0]) if rows else None
    return company_of(card, requisite) if entity == COMPANY else contact_of(card, requisite)


def _not_found(error: BitrixError) -> bool:
    # crm-company-get.md / crm-contact-get.md: "Not found" with HTTP 400 for an ID that does not exist.
    text = f"{error.code} {error}".lower()
    return "not found" in text or "not_found" in text


# -- shapes ------------------------------------------------------------------------------------------------------


def first_requisites(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int], CrmRequisite]:
    """(entity, card id) -> the card's requisite with the lowest ID (rows come in ID order; the first one wins)."""
    out: dict[tuple[str, int], CrmRequisite] = {}
    for row in rows:
        entity = ENTITY_OF_TYPE_ID.get(_int(row.get("ENTITY_TYPE_ID")))
        owner = _int(row.get("ENTITY_ID"))
        if entity is not None and owner and (entity, owner) not in out:
            out[(entity, owner)] = requisite_of(row)
    return out


def requisite_of(row: Mapping[str, Any]) -> CrmRequisite:
    return CrmRequisite(
        id=_int(row.get("ID")), preset_id=_int(row.get("PRESET_ID")), name=_text(row.get("NAME")),
        inn=_text(row.get("RQ_INN")), kpp=_text(row.get("RQ_KPP")),
        ogrn=_text(row.get("RQ_OGRN")) or _text(row.get("RQ_OGRNIP")),
        company_name=_text(row.get("RQ_COMPANY_FULL_NAME")) or _text(row.get("RQ_COMPANY_NAME")),
        xml_id=_text(row.get("XML_ID")))


def company_of(row: Mapping[str, Any], requisite: CrmRequisite | None) -> CrmParty:
    return CrmParty(entity=COMPANY, id=_int(row.get("ID")), title=_text(row.get("TITLE")), requisite=requisite,
                    phones=multifield(row.get("PHONE")), emails=multifield(row.get("EMAIL")),
                    origin_id=_text(row.get("ORIGIN_ID")), originator_id=_text(row.get("ORIGINATOR_ID")))


def contact_of(row: Mapping[str, Any], requisite: CrmRequisite | None) -> CrmParty:
    title = " ".join(_text(row.get(k)) for k in ("LAST_NAME", "NAME", "SECOND_NAME") if _text(row.get(k)))
    company = _int(row.get("COMPANY_ID"))
    return CrmParty(entity=CONTACT, id=_int(row.get("ID")), title=title, requisite=requisite,
                    phones=multifield(row.get("PHONE")), emails=multifield(row.get("EMAIL")),
                    origin_id=_text(row.get("ORIGIN_ID")), originator_id=_text(row.get("ORIGINATOR_ID")),
                    company_id=company or None)


def multifield(value: Any) -> tuple[str, ...]:
    """The VALUEs of a PHONE / EMAIL multifield, blanks and repeats left out, in the card's order."""
    if not isinstance(value, list):
        return ()
    values = (_text(item.get("VALUE")) for item in value if isinstance(item, Mapping))
    return tuple(dict.fromkeys(v for v in values if v))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


# -- duplicates by phone and e-mail --------------------------------------------------------------------------------


def comm_duplicates(bitrix: BitrixClient, parties: Iterable[CrmParty]) -> list[list[str]]:
    """Groups of CRM cards of one kind (companies with companies, contacts with contacts: a company and its contact
    person often share a phone and are not duplicates) that share a phone or an e-mail, as crm keys
    ("company:12"). What our own read shows (phones compared as E.164, e-mails in lower case), joined with what
    the portal's duplicate index finds: the values go to `crm.duplicate.findbycomm` 20 to a call, 50 calls to a
    batch request; a call that names a card none of its values was read on (the portal compared differently)
    is asked again value by value, so every card lands in the right group."""
    known: dict[str, dict[str, set[str]]] = {}  # entity -> raw value as typed -> keys of the cards carrying it
    local: dict[tuple[str, str], set[str]] = {}  # (entity, normalised value) -> keys
    kinds: dict[str, str] = {}  # raw value -> PHONE | EMAIL
    for party in parties:
        for kind, values, normal in (("PHONE", party.phones, normal_phone), ("EMAIL", party.emails, normal_email)):
            for raw in values:
                value = raw.strip().lower() if kind == "EMAIL" else raw.strip()
                kinds[value] = kind
                known.setdefault(party.entity, {}).setdefault(value, set()).add(party.crm_key)
                norm = normal(raw)
                if norm:
                    local.setdefault((party.entity, norm), set()).add(party.crm_key)
    groups = [keys for keys in local.values() if len(keys) > 1]
    every_key = {key for by_value in known.values() for keys in by_value.values() for key in keys}
    groups += [keys & every_key for keys in _portal_groups(bitrix, known, kinds)]
    return _components(g for g in groups if len(g) > 1)


def _portal_groups(bitrix: BitrixClient, known: Mapping[str, Mapping[str, set[str]]],
                   kinds: Mapping[str, str]) -> Iterator[set[str]]:
    chunks: dict[str, tuple[str, list[str]]] = {}
    commands: dict[str, tuple[str, dict]] = {}
    for entity, by_value in known.items():
        for kind in COMM_TYPES:
            values = sorted(v for v in by_value if kinds[v] == kind)
            for n in range(0, len(values), FINDBYCOMM_VALUES):
                key = f"{entity}_{kind}_{n}"
                chunks[key] = (entity, values[n:n + FINDBYCOMM_VALUES])
                commands[key] = _findbycomm(entity, kind, chunks[key][1])
    suspicious: list[str] = []
    for key, found in _run(bitrix, commands).items():
        entity, values = chunks[key]
        expected = set().union(*(known[entity][v] for v in values))
        if found - expected:
            suspicious.append(key)
    # Value by value, only where the portal matched a card our read did not pair with these values.
    single: dict[str, tuple[str, dict]] = {}
    owner: dict[str, tuple[str, str]] = {}
    for key in suspicious:
        entity, values = chunks[key]
        for n, value in enumerate(values):
            single[f"{key}_{n}"] = _findbycomm(entity, kinds[value], [value])
            owner[f"{key}_{n}"] = (entity, value)
    for key, found in _run(bitrix, single).items():
        entity, value = owner[key]
        yield found | known[entity][value]


def _findbycomm(entity: str, kind: str, values: list[str]) -> tuple[str, dict]:
    return "crm.duplicate.findbycomm", {"entity_type": entity.upper(), "type": kind, "values": values}


def _run(bitrix: BitrixClient, commands: Mapping[str, tuple[str, dict]]) -> dict[str, set[str]]:
    """Each command's answer as crm keys; a failed command raises (the preview must not hide what it missed)."""
    if not commands:
        return {}
    outcome = bitrix.batch(commands)
    outcome.raise_first_error()
    out: dict[str, set[str]] = {}
    for key in commands:
        answer = outcome.results.get(key)
        found: set[str] = set()
        if isinstance(answer, Mapping):  # an empty answer is PHP's empty array: a JSON list
            for entity in ENTITY_TYPE_ID:
                ids = answer.get(entity.upper()) or []
                found.update(f"{entity}:{_int(i)}" for i in ids if _int(i))
        out[key] = found
    return out


def _components(groups: Iterable[set[str]]) -> list[list[str]]:
    """Overlapping groups joined (a card sharing a phone with one card and an e-mail with another joins both)."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for group in groups:
        first, *rest = sorted(group)
        for other in rest:
            parent[root(other)] = root(first)
    members: dict[str, list[str]] = {}
    for key in parent:
        members.setdefault(root(key), []).append(key)
    return sorted((sorted(m, key=_order) for m in members.values() if len(m) > 1), key=lambda m: _order(m[0]))


def _order(key: str) -> tuple[str, int]:
    entity, _, crm_id = key.partition(":")
    return entity, _int(crm_id)
