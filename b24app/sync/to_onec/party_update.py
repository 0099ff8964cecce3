"""CRM → 1C for counterparties (issue 14): a change of a linked company, contact or requisite updates the 1C
counterparty in the fields the CRM wins.

An event names only the entity (api-reference/crm/companies/events/on-crm-company-update.md and its contact and
requisite siblings); the job re-reads the card, and a requisite event first reads the requisite to learn whose it is
(crm-requisite-get.md: ENTITY_TYPE_ID 4 = company, 3 = contact; ENTITY_ID). Nothing is written unless the
administrator switched "CRM → 1C" on and the card is linked to a counterparty of a base whose counterparties are
kept in step (`PartySettings`, the link table of the first load).

Which fields go to 1C is the per-field winner setting (`PartySettings.winner`): by default the CRM wins phones and
e-mails, 1C everything else; name, full name, INN and KPP go too when the administrator made the CRM win them.
Addresses, bank accounts and OGRN are 1C's by default and are not written from the CRM here. A field is written only
when it differs from the 1C counterparty as it is now, compared the way the matcher compares (normalised phones and
e-mails, INN by digits), so a repeated event, a replay or the echo of the 1C → CRM load costs one read and writes
nothing. After a write the counterparty is read again and its fingerprint and data version stored in the link, so
the 1C → CRM tick sees nothing new in what we wrote.

A CRM INN or KPP that fails its check digits (python-stdnum, `core/counterparty_keys.py`) is refused as a whole: the
item becomes a dead letter saying which value is wrong, and 1C is not touched. A 1C outage delays the item through
the base's circuit and the retry policy by error kind (`jobs/retry.py`); nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import NotFound
from b24app.core.counterparty_keys import digits, normal_email, normal_phone, valid_inn, valid_kpp
from b24app.core.counterparty_match import LEGAL
from b24app.core.counterparty_model import CrmParty, OneCParty
from b24app.core.errors import PermanentSyncError
from b24app.core.party_settings import CRM, PartySettings
from b24app.onec.errors import OneCQueryError
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile
from b24app.store.journal import Journal
from b24app.sync.to_onec.deps import Circuit, OneCBases, OrderLocks
from b24app.sync.to_onec.order_model import SKIPPED, UNCHANGED, UPDATED, PushResult

JOURNAL_KIND = "counterparty_to_1c"
COMPANY, CONTACT, REQUISITE = "company", "contact", "requisite"
# crm-requisite-add.md: whose requisite it is.
REQUISITE_OWNERS = {"4": COMPANY, "3": CONTACT}
# The logical fields this direction may write (onec/counterparty_writes.py names), in the order they are checked.
WRITABLE = ("name", "full_name", "inn", "kpp", "phones", "emails")
# Which of them an event of each kind can carry: a card's own fields change with the card (TITLE, PHONE, EMAIL:
# crm-company-fields / crm-contact-fields), the legal ones with its requisite (RQ_INN, RQ_KPP, RQ_COMPANY_*).
FIELDS_OF_KIND = {COMPANY: ("name", "phones", "emails"), CONTACT: ("name", "phones", "emails"),
                  REQUISITE: ("full_name", "inn", "kpp")}


def may_change_onec(kind: str, settings: PartySettings) -> bool:
    """Whether an event of this kind can change a 1C counterparty under these settings: the direction is on and
    the CRM wins a field such an event carries. By default the CRM wins only phones and e-mails, so requisite events
    are let go unread — the first load's thousands of requisite adds then cost the portal no request."""
    return settings.crm_to_onec and any(settings.winner(name) == CRM for name in FIELDS_OF_KIND.get(kind, ()))


class LinkedParty(Protocol):
    """One link of the counterparty link table (store/party_links.py `PartyLink`)."""

    base_id: int
    onec_key: str
    entity: str
    crm_id: int | None  # None: a create reserved by the load, not yet made
    person_of: str  # a contact person's counterparty key; "" for a counterparty


class PartyLinkStore(Protocol):
    """The counterparty link table, as far as this direction needs it (store/party_links.py `PartyLinks`)."""

    def by_crm(self, member_id: str, entity: str, crm_id: int) -> list[LinkedParty]: ...

    def set_hashes(self, member_id: str, base_id: int, key: str, *, onec_hash: str | None = None,
                   crm_hash: str | None = None, data_version: str | None = None) -> None: ...


class OneCPartyReader(Protocol):
    """Counterparties of one 1C base (onec/counterparty_reads.py `OneCParties`)."""

    def get(self, key: str) -> OneCParty | None: ...


@dataclass(frozen=True)
class PartyUpdateDeps:
    """What this direction talks to for one portal, handed over whole by the job layer (`jobs/outbox.py`).

    `read_card` is the CRM reader (sync/to_bitrix/crm_parties.py `read_crm_party`), `parties` opens the 1C reader
    of a base (onec/counterparty_reads.py `OneCParties`), `write` the 1C writer (onec/counterparty_writes.py
    `update_counterparty`)."""

    member_id: str
    bitrix: BitrixClient
    settings: PartySettings
    bases: OneCBases
    circuit_for: Callable[[int], Circuit]
    links: PartyLinkStore
    journal: Journal
    locks: OrderLocks
    read_card: Callable[[BitrixClient, str, int], CrmParty | None]
    parties: Callable[[ODataClient, Profile], OneCPartyReader]
    write: Callable[[ODataClient, Profile, str, dict], None]


class CrmValueRefused(PermanentSyncError):
    """A CRM value that must not reach 1C (an INN or KPP failing its check digits): a dead letter at once, with
    the value, the card and what 1C keeps, so the manager knows what to correct."""


def crm_changes(card: CrmParty, party: OneCParty, settings: PartySettings) -> dict[str, object]:
    """The fields of the 1C counterparty the CRM card should change: those the CRM wins whose value differs.

    Empty CRM values change nothing: a card without a requisite says nothing about the INN, and a linked card that
    never had a phone (the load linked it as it was) must not erase the phones 1C has. Raises CrmValueRefused for
    an INN or KPP that fails its check digits, before anything is written.
    """
    wins = {name for name in WRITABLE if settings.winner(name) == CRM}
    changes: dict[str, object] = {}
    req = card.requisite
    if "name" in wins and card.title.strip() and card.title.strip() != party.name.strip():
        changes["name"] = card.title.strip()
    if req is not None and card.entity == COMPANY and "full_name" in wins:
        full = req.company_name.strip()
        if full and full != party.full_name.strip():
            changes["full_name"] = full
    if req is not None and "inn" in wins and digits(req.inn) and digits(req.inn) != digits(party.inn):
        changes["inn"] = _checked_inn(card, party, req.inn)
    if req is not None and "kpp" in wins and req.kpp.strip() and req.kpp.strip().upper() != party.kpp.strip().upper():
        inn = str(changes.get("inn") or party.inn)
        if len(digits(inn)) == 10:  # a KPP belongs to an organisation only (10-digit INN)
            changes["kpp"] = _checked_kpp(card, party, req.kpp)
    if "phones" in wins:
        phones = _differing(card.phones, party.phones, _phone_key)
        if phones is not None:
            changes["phones"] = phones
    if "emails" in wins:
        emails = _differing(card.emails, party.emails, normal_email)
        if emails is not None:
            changes["emails"] = emails
    return changes


def _checked_inn(card: CrmParty, party: OneCParty, raw: str) -> str:
    inn = valid_inn(raw)
    if inn is None:
        raise CrmValueRefused(
            f"the INN {raw.strip()!r} of {_card_name(card)} fails its check digits: 1C keeps {party.inn or 'no INN'} "
            f"for counterparty {party.name!r}; correct the requisite in the CRM")
    if party.kind == LEGAL and len(inn) == 12:
        raise CrmValueRefused(
            f"the INN {inn} of {_card_name(card)} has 12 digits (a sole proprietor's or a person's), but 1C "
            f"counterparty {party.name!r} is an organisation: 1C keeps {party.inn or 'no INN'}; "
            "correct the requisite in the CRM")
    return inn


def _checked_kpp(card: CrmParty, party: OneCParty, raw: str) -> str:
    kpp = valid_kpp(raw)
    if kpp is None:
        raise CrmValueRefused(
            f"the KPP {raw.strip()!r} of {_card_name(card)} is not a KPP (9 characters: 4 digits, 2 digits or "
            f"letters, 3 digits): 1C keeps {party.kpp or 'no KPP'} for counterparty {party.name!r}; correct the "
            "requisite in the CRM")
    return kpp


def _card_name(card: CrmParty) -> str:
    return f"{card.entity} {card.id} ({card.title!r})"


def _phone_key(value: str) -> str | None:
    """A phone as compared: E.164, or its digits when it is not a number phonenumbers accepts (an extension, a
    short internal number) so such a value still compares with itself."""
    return normal_phone(value) or (digits(value) or None)


def _differing(crm: Iterable[str], onec: Iterable[str], key: Callable[[str], str | None]) -> list[str] | None:
    """The CRM's values (as the manager typed them, one per normalised value, in CRM order) when they differ as a
    set from 1C's; None when they are the same, or when the CRM has none (it never erases 1C's)."""
    mine: dict[str, str] = {}
    for value in crm:
        k = key(value)
        if k and k not in mine:
            mine[k] = value.strip()
    if not mine:
        return None
    theirs = {k for k in (key(v) for v in onec) if k}
    return None if set(mine) == theirs else list(mine.values())


@dataclass(frozen=True)
class Card:
    """The CRM card an item is about: a company or a contact."""

    entity: str
    crm_id: int


class PartyUpdates:
    """Sends CRM changes of one portal's linked companies and contacts to their 1C counterparties."""

    def __init__(self, deps: PartyUpdateDeps) -> None:
        self.deps = deps
        self.member_id = deps.member_id

    def push(self, kind: str, entity_id: str) -> PushResult:
        """Bring the linked 1C counterparties in line with the card the item names. Safe to repeat."""
        deps = self.deps
        if not deps.settings.crm_to_onec:
            return PushResult(SKIPPED, reason="counterparty changes in the CRM are not sent to 1C (switched off)")
        if not may_change_onec(kind, deps.settings):
            return PushResult(SKIPPED, reason=f"the CRM wins none of the fields a {kind} holds")
        card = self._card_of(kind, entity_id)
        if card is None:
            return PushResult(SKIPPED, reason=f"{kind} {entity_id} is gone or belongs to no company or contact")
        enabled = set(deps.bases.enabled())
        # A contact linked as a counterparty's contact person is not a counterparty: 1C's contact persons are
        # outside what the counterparty writer changes, so only a party's own link is followed.
        links = [lk for lk in deps.links.by_crm(self.member_id, card.entity, card.crm_id)
                 if lk.crm_id is not None and not lk.person_of and lk.base_id in enabled
                 and deps.settings.enabled_for(lk.base_id)]
        if not links:
            return PushResult(SKIPPED, reason=f"{card.entity} {card.crm_id} is linked to no 1C counterparty kept "
                                              "in step")
        with deps.locks.entity_lock(f"party:{card.entity}:{card.crm_id}"):
            crm = deps.read_card(deps.bitrix, card.entity, card.crm_id)
            if crm is None:
                return PushResult(SKIPPED, reason=f"{card.entity} {card.crm_id} no longer exists")
            results = [self._push_to(crm, link) for link in sorted(links, key=lambda lk: lk.base_id)]
        return next((r for r in results if r.outcome == UPDATED), None) or \
            next((r for r in results if r.outcome == UNCHANGED), results[0])

    def _card_of(self, kind: str, entity_id: str) -> Card | None:
        if kind not in FIELDS_OF_KIND:
            raise PermanentSyncError(f"outbox kind {kind!r} is not a counterparty card")
        if not str(entity_id).isdigit():
            return None  # an offline entry naming no object: nothing to read
        if kind in (COMPANY, CONTACT):
            return Card(kind, int(entity_id))
        try:
            req = self.deps.bitrix.call("crm.requisite.get", {"id": entity_id}).result or {}
        except NotFound:
            return None  # deleted since: its company's own fields are sent by the company's events
        owner = REQUISITE_OWNERS.get(str(req.get("ENTITY_TYPE_ID") or ""))
        owner_id = str(req.get("ENTITY_ID") or "")
        return Card(owner, int(owner_id)) if owner and owner_id.isdigit() and int(owner_id) > 0 else None

    def _push_to(self, crm: CrmParty, link: LinkedParty) -> PushResult:
        deps = self.deps
        odata, profile, base = deps.bases.onec_for(link.base_id)
        circuit = deps.circuit_for(link.base_id)
        circuit.check(base.label)
        with circuit.watch(), deps.journal.exchange(self.member_id, JOURNAL_KIND, "b24_to_1c", base_id=link.base_id,
                                                    entity=f"{crm.entity}:{crm.id}") as entry:
            parties = deps.parties(odata, profile)
            party = parties.get(link.onec_key)
            if party is None:
                entry.status, entry.items = "skipped", 0
                return PushResult(SKIPPED, link.base_id, link.onec_key,
                                  reason=f"1C counterparty {link.onec_key} of base {base.label} no longer exists")
            if party.deleted:
                entry.status, entry.items = "skipped", 0
                return PushResult(SKIPPED, link.base_id, link.onec_key,
                                  reason=f"1C counterparty {party.name!r} is marked for deletion")
            changes = crm_changes(crm, party, deps.settings)
            if not changes:
                entry.status, entry.items = "skipped", 0
                return PushResult(UNCHANGED, link.base_id, link.onec_key)
            try:
                deps.write(odata, profile, link.onec_key, changes)
            except OneCQueryError as exc:
                raise PermanentSyncError(f"1C refused the change of counterparty {party.name!r} "
                                         f"({', '.join(changes)}): {exc.message}") from exc
            written = parties.get(link.onec_key) or party
            # The 1C → CRM tick compares what it reads with this: our own write is not news to it.
            deps.links.set_hashes(self.member_id, link.base_id, link.onec_key, onec_hash=written.fingerprint(),
                                  data_version=written.data_version)
            entry.items = 1
            return PushResult(UPDATED, link.base_id, link.onec_key, reason=", ".join(changes))
