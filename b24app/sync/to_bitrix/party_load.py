"""1C's counterparties into the CRM: the confirmed first load and the "counterparties" stream that keeps the cards in
step with 1C afterwards. One function does both (`apply_parties`): the load hands it every counterparty of the
base, the tick only what changed since its watermark.

What happens to a counterparty (issue 14):
- linked already (`store/party_links.py`) and unchanged since last seen (its fingerprint): nothing, no request;
  changed: the fields 1C wins (`PartySettings.winner`) are written to the card, its requisite, bank details and
  addresses; a deletion mark or a counterparty gone from 1C is reported, the card is kept.
- not linked: matched with the CRM (`core/counterparty_match.py`) under the administrator's decisions from the
  preview (`store/party_decisions.py`). A match by INN + KPP, by INN (sole proprietors) or by phone / e-mail
  (individuals) links; a name candidate links only when confirmed (no decision: left alone and reported, so an
  unconfirmed guess never merges two clients nor makes a second card); a branch (same INN, another KPP) follows
  its decision, by default it becomes a company of its own. Linking writes ORIGINATOR_ID / ORIGIN_ID (the 1C key)
  on the card and XML_ID on its requisite, and fills only what the card lacks: nobody's data is overwritten
  without a rule.
- what matches nothing is created: a company (or a contact for an individual, unless individuals are companies by
  the settings) with a requisite of the portal's preset for its kind, bank details, addresses, and a contact per
  contact person linked to it. A deletion-marked counterparty is never created.
- An invalid INN (checksum) is never a key and never written: the card is created with RQ_INN empty and a timeline
  comment naming the INN 1C holds, so the accountant sees what to fix and no wrong INN reaches the CRM's duplicate
  search or the order path's look-up by INN; the run's figures and journal count it.

Exactly once: every create is reserved in the link table before its batch is sent and recorded after the answer;
a run finding a reservation looks the card up by ORIGIN_ID before creating anything. A 1C duplicate (the same INN +
KPP twice) makes one card with both keys linked to it. A company, its requisite, bank details, addresses and
contacts travel in one batch request, chained by `$result[...]` (batch.md), 50 commands to a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from b24app.bitrix.client import BitrixClient
from b24app.core.catalog_model import fingerprint
from b24app.core.counterparty_keys import normal_name, valid_inn, valid_kpp
from b24app.core.counterparty_match import PERSON, match
from b24app.core.counterparty_model import ContactPerson, CrmParty, OneCParty
from b24app.core.messages import message
from b24app.core.party_settings import AS_COMPANY, FIELD_WINNERS, ONEC, PartySettings
from b24app.store.journal import Journal, JournalEntry
from b24app.store.own_writes import OwnWrites
from b24app.store.party_links import COMPANY, CONTACT, PartyLink, PartyLinks
from b24app.store.watermarks import Watermarks
from b24app.sync.to_bitrix.catalog_load import prefetched
from b24app.sync.to_bitrix.party_portal import (
    PortalSetup,
    address_fields,
    addresses_by_type,
    bank_fields,
    company_fields,
    contact_fields,
    find_by_origin,
    multi,
    originator_id,
    person_fields,
    person_names,
    read_setup,
    requisite_fields,
    requisite_values,
    requisites_of,
)

BATCH = 50  # commands per batch request (settings/how-to-call-rest-api/batch.md)
PAGE = 500  # 1C counterparties per page read
STREAM = "counterparties"
Progress = Callable[[int, int], None]


class PartySource(Protocol):
    """The 1C side (`onec/counterparty_reads.py` OneCParties)."""

    def count(self) -> int: ...

    def pages(self, page_size: int = 500) -> Iterator[list[OneCParty]]: ...

    def changed(self, watermark: dict | None) -> tuple[list[OneCParty], list[str], dict]: ...


@dataclass(frozen=True)
class PartyDeps:
    bitrix: BitrixClient
    parties: PartySource
    links: PartyLinks
    decisions: Callable[[], Mapping[str, str]]  # 1C key -> "link:company:12" | "create" | "skip"
    read_crm: Callable[[BitrixClient], list[CrmParty]]
    journal: Journal
    own_writes: OwnWrites
    watermarks: Watermarks
    settings: PartySettings
    member_id: str
    base_id: int
    base_name: str = ""
    lang: str = "ru"  # the portal's language, for timeline comments


@dataclass
class PartyFigures:
    """What one run did: the journal's items and the "sync now" sentence."""

    created: int = 0  # cards made for counterparties
    linked: int = 0  # counterparties linked to a card the CRM had (or to the card of their 1C duplicate)
    updated: int = 0  # cards whose 1C fields were written
    persons: int = 0  # contacts made for contact persons
    skipped: int = 0  # left alone: a "skip" decision, an unconfirmed name candidate
    deleted: int = 0  # deletion-marked counterparties reported, not loaded
    invalid_inn: int = 0  # created without their (invalid) INN
    vanished: int = 0  # linked counterparties gone from 1C (cards kept)
    by_kind: dict[str, int] = field(default_factory=dict)  # created by 1C kind: legal, entrepreneur, person
    refused: dict[str, str] = field(default_factory=dict)  # 1C key -> the portal's refusal
    reported: list[str] = field(default_factory=list)  # lines for the journal: what needs a person

    @property
    def written(self) -> int:
        return self.created + self.linked + self.updated + self.persons

    def to_json(self) -> dict:
        return {"created": self.created, "linked": self.linked, "updated": self.updated, "persons": self.persons,
                "skipped": self.skipped, "deleted": self.deleted, "invalid_inn": self.invalid_inn,
                "vanished": self.vanished, "by_kind": dict(self.by_kind), "refused": len(self.refused)}


@dataclass
class _Run:
    deps: PartyDeps
    figures: PartyFigures = field(default_factory=PartyFigures)
    setup: PortalSetup | None = None
    done: int = 0
    total: int = 0
    progress: Progress | None = None
    # Contact persons placed in this run: in УТ 11 they belong to the partner, so every counterparty of one
    # partner lists the same persons, and each must become one contact.
    persons_placed: set[str] = field(default_factory=set)
    persons: dict[str, PartyLink] | None = None  # contact-person links, read once a run
    crm: list[CrmParty] | None = None  # the CRM as read once a run (the cards made since are in `leaders`)
    # Cards this run made, by what makes two 1C counterparties one client (`_identity`): a 1C duplicate met on a
    # later page joins its card instead of making a second one.
    leaders: dict[tuple, PartyLink] = field(default_factory=dict)

    def portal(self) -> PortalSetup:
        if self.setup is None:
            self.setup = read_setup(self.deps.bitrix)
        return self.setup

    def step(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)


# ---------------------------------------------------------------------------------------------- entry points


def load_parties(deps: PartyDeps, progress: Progress | None = None) -> PartyFigures:
    """The first load (and any full run): every counterparty of the base."""
    with deps.journal.exchange(deps.member_id, STREAM, "1c_to_b24", base_id=deps.base_id) as entry:
        total = deps.parties.count()
        run = _Run(deps, total=total, progress=progress)
        if progress is not None:
            progress(0, total)
        # Page by page, the next page read from 1C while this one is written: the portal's limit makes the writer
        # wait, and those waits are when 1C is read (the matcher compares each 1C counterparty with the CRM alone).
        for page in prefetched(deps.parties.pages(PAGE)):
            apply_parties(run, page)
        _close(run, entry)
    _report(deps, run.figures)
    return run.figures


def tick_parties(deps: PartyDeps) -> PartyFigures:
    """The stream's tick: what changed in 1C since the watermark. The watermark moves only when the portal took
    every write (a refused one is tried again next tick; the unchanged rest costs nothing, by its fingerprint)."""
    with deps.journal.exchange(deps.member_id, STREAM, "1c_to_b24", base_id=deps.base_id) as entry:
        mark = deps.watermarks.get(deps.member_id, deps.base_id, STREAM)
        changed, vanished, new_mark = deps.parties.changed(mark or None)
        run = _Run(deps, total=len(changed))
        if vanished:
            links = deps.links.of_keys(deps.member_id, deps.base_id, vanished)
            gone = [k for k in vanished if k in links and links[k].crm_id is not None]
            run.figures.vanished = len(gone)
            if gone:
                run.figures.reported.append(f"{len(gone)} counterparty(ies) gone from 1C, cards kept: "
                                            + ", ".join(gone[:10]))
        apply_parties(run, changed)
        _close(run, entry)
        if not run.figures.refused:
            deps.watermarks.put(deps.member_id, deps.base_id, STREAM, new_mark)
    _report(deps, run.figures)
    return run.figures


def _close(run: _Run, entry: JournalEntry) -> None:
    entry.items = run.figures.written
    if run.figures.refused:
        entry.status = "error"
        shown = "; ".join(f"{k}: {v}" for k, v in list(run.figures.refused.items())[:10])
        more = f" (and {len(run.figures.refused) - 10} more)" if len(run.figures.refused) > 10 else ""
        entry.error = f"the portal refused {len(run.figures.refused)} counterparty write(s): {shown}{more}"


def _report(deps: PartyDeps, figures: PartyFigures) -> None:
    """What a person should look at (deletion marks, invalid INNs, vanished counterparties, unconfirmed names) as a
    journal row of its own, so the run's row stays "ok" and monitoring does not call it a failure."""
    if figures.reported:
        deps.journal.record(deps.member_id, JournalEntry(
            kind=STREAM, direction="1c_to_b24", status="skipped", base_id=deps.base_id,
            items=figures.deleted + figures.invalid_inn + figures.vanished + figures.skipped,
            error="; ".join(figures.reported)))


def apply_parties(run: _Run, parties: Sequence[OneCParty]) -> None:
    """Place a batch of counterparties (a page of the load, or a tick's changes)."""
    deps = run.deps
    if not parties:
        return
    if run.persons is None:
        run.persons = deps.links.persons(deps.member_id, deps.base_id)
        _resolve_persons(run, run.persons)
        run.persons_placed.update(run.persons)  # a contact person is one contact, whichever counterparty lists it
    persons = run.persons
    links = deps.links.of_keys(deps.member_id, deps.base_id, [p.key for p in parties])
    reserved = [k for k, link in links.items() if link.crm_id is None]
    if reserved:
        _resolve_reservations(run, links, reserved)
    linked = [p for p in parties if p.key in links]
    fresh = [p for p in parties if p.key not in links]
    _update_linked(run, linked, links, persons)
    run.step(len(linked))
    if fresh:
        _place_fresh(run, fresh)


# ---------------------------------------------------------------------------------------------- reservations


def _resolve_reservations(run: _Run, links: dict[str, PartyLink], reserved: list[str]) -> None:
    """Creates an earlier run sent without recording their answer: the card carrying the key as ORIGIN_ID is
    linked; a reservation whose card never came is dropped, so the key is placed again like any new one."""
    deps = run.deps
    by_entity = {entity: [k for k in reserved if links[k].entity == entity] for entity in (COMPANY, CONTACT)}
    for entity, keys in by_entity.items():
        if not keys:
            continue
        found = find_by_origin(deps.bitrix, entity, deps.base_id, keys)
        requisites = requisites_of(deps.bitrix, entity, list(found.values())) if found else {}
        # Hashes left empty: the next pass writes the card's 1C fields once and creates a missing requisite.
        deps.links.record_many(deps.member_id, deps.base_id, [
            PartyLink(deps.base_id, k, entity, cid, requisites.get(cid)) for k, cid in found.items()])
        lost = [k for k in keys if k not in found]
        deps.links.forget(deps.member_id, deps.base_id, lost)
        for k in lost:
            links.pop(k, None)
        for k, cid in found.items():
            links[k] = PartyLink(deps.base_id, k, entity, cid, requisites.get(cid))


def _resolve_persons(run: _Run, persons: dict[str, PartyLink]) -> None:
    """Contacts for contact persons sent without their answer recorded, found by ORIGIN_ID or forgotten."""
    deps = run.deps
    pending = [k for k, link in persons.items() if link.crm_id is None]
    if pending:
        found = find_by_origin(deps.bitrix, CONTACT, deps.base_id, pending)
        deps.links.record_many(deps.member_id, deps.base_id, [
            PartyLink(deps.base_id, k, CONTACT, cid, person_of=persons[k].person_of) for k, cid in found.items()])
        lost = [k for k in pending if k not in found]
        deps.links.forget(deps.member_id, deps.base_id, lost)
        for k in lost:
            persons.pop(k, None)
        for k, cid in found.items():
            persons[k] = replace(persons[k], crm_id=cid)


# ---------------------------------------------------------------------------------------------- placing new ones


@dataclass
class _Plan:
    link: list[tuple[OneCParty, CrmParty]] = field(default_factory=list)
    create: list[OneCParty] = field(default_factory=list)


def _place_fresh(run: _Run, fresh: list[OneCParty]) -> None:
    deps, figures = run.deps, run.figures
    live = []
    for party in fresh:
        if party.deleted:
            figures.deleted += 1
            figures.reported.append(f"deletion-marked, not loaded: {party.name} ({party.key})")
        else:
            live.append(party)
    run.step(len(fresh) - len(live))
    if not live:
        return
    if run.crm is None:
        run.crm = deps.read_crm(deps.bitrix)
    plan = _plan(run, live, run.crm, dict(deps.decisions()))
    _link_all(run, plan.link, run.crm)
    _create_all(run, plan.create)


def _plan(run: _Run, live: list[OneCParty], crm: list[CrmParty], decisions: Mapping[str, str]) -> _Plan:
    figures = run.figures
    cards = {c.crm_key: c for c in crm}
    # A card already carrying the 1C key as ORIGIN_ID is that counterparty's card (the link table was lost, or the
    # card came from an earlier install): linked, never guessed at — the preview lists it the same way.
    by_origin = {c.origin_id: c for c in crm if c.origin_id}
    known = {p.key: by_origin[p.key] for p in live if p.key in by_origin and not decisions.get(p.key)}
    taken = {c.crm_key for c in known.values()}
    report = match([p.party() for p in live if p.key not in known],
                   [c.party() for c in crm if c.crm_key not in taken])
    matched: dict[str, str] = {}  # 1C key -> crm key, by the keys
    for onec, other in (*report.by_inn_kpp, *report.by_inn, *report.by_contact):
        matched[onec.key] = other.key
    other_kpp = {onec.key for onec, _ in report.other_kpp}
    by_name = {onec.key: other.key for onec, other, _ in report.by_name}
    plan = _Plan()
    for party in live:
        if party.key in known:
            plan.link.append((party, known[party.key]))
            continue
        decision = decisions.get(party.key, "")
        if decision == "skip":
            figures.skipped += 1
            continue
        if decision.startswith("link:"):
            card = cards.get(decision[5:])
            if card is None:  # deleted since the preview: the administrator decides again
                figures.skipped += 1
                figures.reported.append(f"the card the preview linked is gone from the CRM ({decision[5:]}), not "
                                        f"loaded: {party.name} ({party.key})")
            else:
                plan.link.append((party, card))
            continue
        if decision == "create" or party.key in other_kpp:
            plan.create.append(party)  # a branch is a company of its own unless a person linked it
        elif party.key in matched:
            plan.link.append((party, cards[matched[party.key]]))
        elif party.key in by_name:
            figures.skipped += 1
            figures.reported.append(f"name candidate not confirmed, not loaded: {party.name} ({party.key}) ~ "
                                    f"{cards[by_name[party.key]].title}")
        else:
            plan.create.append(party)
    for party in plan.create:
        if str(party.inn or "").strip() and valid_inn(party.inn) is None:
            figures.invalid_inn += 1
            figures.reported.append(f"invalid INN {party.inn!r}, card created without it: {party.name} ({party.key})")
    return plan


# ---------------------------------------------------------------------------------------------- linking


@dataclass
class _Linking:
    """One counterparty's link to a card: the commands it takes, chained within one request."""

    party: OneCParty
    card: CrmParty
    commands: dict[str, tuple[str, dict]] = field(default_factory=dict)
    own: dict[str, list[str]] = field(default_factory=dict)  # owed update events: kind -> ids
    persons: dict[str, str] = field(default_factory=dict)  # command key -> contact person key
    person_links: list[PartyLink] = field(default_factory=list)  # contact persons the card already has


def _link_all(run: _Run, pairs: list[tuple[OneCParty, CrmParty]], crm: list[CrmParty]) -> None:
    """Link each counterparty to its card: the card learns the 1C key, empty fields are filled, a missing
    requisite is created with its bank details and addresses, contact persons are linked to the card's contacts
    of the same name or created."""
    deps = run.deps
    contacts_of: dict[int, dict[str, int]] = {}
    for card in crm:
        if card.entity == CONTACT and card.company_id:
            contacts_of.setdefault(card.company_id, {}).setdefault(normal_name(card.title), card.id)
    known_persons = deps.links.persons(deps.member_id, deps.base_id)
    units = [_linking(run, n, party, card, contacts_of.get(card.id, {}) if card.entity == COMPANY else None,
                      known_persons) for n, (party, card) in enumerate(pairs)]
    for group in _packed(units):
        _send_links(run, group)


def _linking(run: _Run, n: int, party: OneCParty, card: CrmParty, names: dict[str, int] | None,
             known_persons: Mapping[str, PartyLink]) -> _Linking:
    deps = run.deps
    unit = _Linking(party, card)
    card_fields: dict[str, Any] = {}
    if not card.origin_id:
        card_fields.update(ORIGINATOR_ID=originator_id(deps.base_id), ORIGIN_ID=party.key)
    elif card.origin_id == party.key and card.originator_id != originator_id(deps.base_id):
        card_fields["ORIGINATOR_ID"] = originator_id(deps.base_id)  # a card of an earlier install: ours from now on
    if not card.phones and party.phones:
        card_fields["PHONE"] = multi(party.phones)
    if not card.emails and party.emails:
        card_fields["EMAIL"] = multi(party.emails)
    if card_fields:
        unit.commands[f"u{n}"] = (f"crm.{card.entity}.update", {"id": card.id, "fields": card_fields})
        unit.own.setdefault(card.entity, []).append(str(card.id))
    if card.requisite is None:
        if _needs_requisite(party):
            _requisite_commands(run, unit.commands, f"{n}", party, card.entity, card.id)
    else:
        fill = _empty_requisite_fields(party, card)
        if fill:
            unit.commands[f"q{n}"] = ("crm.requisite.update", {"id": card.requisite.id, "fields": fill})
            unit.own.setdefault("requisite", []).append(str(card.requisite.id))
    if names is None:
        return unit
    for i, person in enumerate(p for p in party.contact_persons if not p.deleted):
        if person.key in known_persons or person.key in run.persons_placed:
            continue
        same = names.get(normal_name(_person_title(person)))
        if same is not None:
            unit.person_links.append(PartyLink(deps.base_id, person.key, CONTACT, same,
                                               onec_hash=_person_hash(person, deps.settings), person_of=party.key))
        elif len(unit.commands) < BATCH:  # the rest come with the next change of the counterparty
            unit.commands[f"p{n}_{i}"] = ("crm.contact.add", {"fields": person_fields(person, card.id,
                                                                                      deps.base_id)})
            unit.persons[f"p{n}_{i}"] = person.key
        else:
            continue
        run.persons_placed.add(person.key)
    return unit


def _packed(units: list) -> Iterator[list]:
    """Units (each with `commands` chained among themselves) grouped so a group fits one batch request."""
    group: list = []
    size = 0
    for unit in units:
        if group and size + len(unit.commands) > BATCH:
            yield group
            group, size = [], 0
        group.append(unit)
        size += len(unit.commands)
    if group:
        yield group


def _send_links(run: _Run, units: list[_Linking]) -> None:
    deps, figures = run.deps, run.figures
    persons = [(pk, CONTACT, u.party.key) for u in units for pk in u.persons.values()]
    if persons:
        deps.links.reserve_many(deps.member_id, deps.base_id, persons)
    own: dict[str, list[str]] = {}
    for unit in units:
        for kind, ids in unit.own.items():
            own.setdefault(kind, []).extend(ids)
    for kind, ids in own.items():
        deps.own_writes.expect(deps.member_id, kind, ids)
    commands = {k: v for unit in units for k, v in unit.commands.items()}
    outcome = _send(deps, commands) if commands else None
    if outcome is not None:
        _forget_refused_own(deps, commands, outcome, own)
    records: list[PartyLink] = []
    lost: list[str] = []
    for unit in units:
        party, card = unit.party, unit.card
        results = outcome.results if outcome is not None else {}
        errors = outcome.errors if outcome is not None else {}
        requisite = next((k for k in unit.commands if k.startswith("r")), None)
        requisite_id = card.requisite.id if card.requisite else _int(results.get(requisite)) if requisite else 0
        for key in unit.commands:
            if key in errors and not key.startswith("p"):
                figures.refused[f"{party.key}/{key}"] = str(errors[key])
        records.append(PartyLink(deps.base_id, party.key, card.entity, card.id, requisite_id or None,
                                 party.fingerprint(), _crm_hash(party, deps.settings), party.data_version))
        figures.linked += 1
        records.extend(unit.person_links)
        for key, person_key in unit.persons.items():
            contact_id = _int(results.get(key))
            if contact_id:
                records.append(PartyLink(deps.base_id, person_key, CONTACT, contact_id,
                                         onec_hash=_hash_of(party, person_key, deps.settings), person_of=party.key))
                figures.persons += 1
            else:
                lost.append(person_key)
                figures.refused[person_key] = str(errors.get(key, "no answer"))
    deps.links.record_many(deps.member_id, deps.base_id, records)
    deps.links.forget(deps.member_id, deps.base_id, lost)
    run.step(len(units))


def _empty_requisite_fields(party: OneCParty, card: CrmParty) -> dict[str, str]:
    """The requisite's fields 1C knows and the card's requisite lacks (what the reader shows of it)."""
    req = card.requisite
    assert req is not None
    values = requisite_values(party)
    have = {"RQ_INN": req.inn, "RQ_KPP": req.kpp, "RQ_OGRN": req.ogrn, "RQ_OGRNIP": req.ogrn,
            "RQ_COMPANY_NAME": req.company_name, "RQ_COMPANY_FULL_NAME": req.company_name}
    out = {k: v for k, v in values.items() if v and k in have and not have[k]}
    if not req.xml_id:
        out["XML_ID"] = party.key
    return out


def _person_title(person: ContactPerson) -> str:
    if person.last_name or person.first_name:
        return " ".join(x for x in (person.last_name, person.first_name, person.second_name) if x)
    last, first, second = person_names(person.name)
    return " ".join(x for x in (last, first, second) if x)


# ---------------------------------------------------------------------------------------------- creating


def _entity_of(party: OneCParty, settings: PartySettings) -> str:
    return CONTACT if party.kind == PERSON and settings.individuals_as != AS_COMPANY else COMPANY


def _needs_requisite(party: OneCParty) -> bool:
    """Organisations and sole proprietors always get a requisite; an individual only with an INN (issue 14)."""
    return party.kind != PERSON or valid_inn(party.inn) is not None


def _identity(party: OneCParty) -> tuple | None:
    """What makes two 1C counterparties one client for the load: INN + KPP of a legal entity, INN of a sole
    proprietor. Individuals sharing a phone are not merged (a family shares one)."""
    inn = valid_inn(party.inn)
    if inn is None:
        return None
    return (inn, valid_kpp(party.kpp) or "") if len(inn) == 10 else (inn,)


@dataclass
class _Unit:
    party: OneCParty
    entity: str
    commands: dict[str, tuple[str, dict]]
    persons: dict[str, str]  # command key -> person key
    followers: list[OneCParty]


def _create_all(run: _Run, parties: list[OneCParty]) -> None:
    deps = run.deps
    leaders: dict[tuple, _Unit] = {}
    units: list[_Unit] = []
    joined: list[PartyLink] = []
    for party in parties:
        identity = _identity(party)
        made = run.leaders.get(identity) if identity is not None else None
        if made is not None:  # a 1C duplicate of a card made on an earlier page
            joined.append(replace(made, onec_key=party.key, onec_hash=party.fingerprint(),
                                  crm_hash=_crm_hash(party, deps.settings), data_version=party.data_version))
            run.figures.linked += 1
            continue
        if identity is not None and identity in leaders:
            leaders[identity].followers.append(party)  # a 1C duplicate: one card, both keys
            continue
        unit = _Unit(party, _entity_of(party, deps.settings), {}, {}, [])
        units.append(unit)
        if identity is not None:
            leaders[identity] = unit
    deps.links.record_many(deps.member_id, deps.base_id, joined)
    run.step(len(joined))
    for n, unit in enumerate(units):
        _unit_commands(run, unit, f"{n}")
    for group in _packed(units):
        _send_units(run, group)


def _unit_commands(run: _Run, unit: _Unit, n: str) -> None:
    deps, party = run.deps, unit.party
    card = f"c{n}"
    if unit.entity == COMPANY:
        unit.commands[card] = ("crm.company.add", {"fields": company_fields(party, deps.base_id),
                                                   "params": {"REGISTER_SONET_EVENT": "N"}})
    else:
        unit.commands[card] = ("crm.contact.add", {"fields": contact_fields(party, deps.base_id),
                                                   "params": {"REGISTER_SONET_EVENT": "N"}})
    ref = f"$result[{card}]"
    if _needs_requisite(party):
        _requisite_commands(run, unit.commands, n, party, unit.entity, ref)
    if str(party.inn or "").strip() and valid_inn(party.inn) is None:
        unit.commands[f"t{n}"] = ("crm.timeline.comment.add", {"fields": {
            "ENTITY_TYPE": unit.entity, "ENTITY_ID": ref,
            "COMMENT": message("party_invalid_inn", deps.lang, inn=party.inn)}})
    if unit.entity == COMPANY:
        room = BATCH - len(unit.commands)
        todo = [p for p in party.contact_persons if not p.deleted and p.key not in run.persons_placed]
        for i, person in enumerate(todo[:room]):
            unit.commands[f"p{n}_{i}"] = ("crm.contact.add", {"fields": person_fields(person, ref, deps.base_id)})
            unit.persons[f"p{n}_{i}"] = person.key
            run.persons_placed.add(person.key)


def _requisite_commands(run: _Run, commands: dict[str, tuple[str, dict]], n: str, party: OneCParty, entity: str,
                        owner_ref: Any) -> None:
    """A requisite of the party's preset, with its bank details and addresses chained to it."""
    setup = run.portal()
    fields = requisite_fields(party, setup, entity, owner_ref)
    if fields is None:
        return
    commands[f"r{n}"] = ("crm.requisite.add", {"fields": fields})
    ref = f"$result[r{n}]"
    for i, account in enumerate(party.bank_accounts):
        if account.account:
            commands[f"b{n}_{i}"] = ("crm.requisite.bankdetail.add", {"fields": bank_fields(account, ref)})
    for type_id, address in addresses_by_type(party, setup).items():
        commands[f"a{n}_{type_id}"] = ("crm.address.add", {"fields": address_fields(address, type_id, ref)})


def _send_units(run: _Run, units: list[_Unit]) -> None:
    deps, figures = run.deps, run.figures
    items = []
    for unit in units:
        items.append((unit.party.key, unit.entity, ""))
        items.extend((unit.persons[k], CONTACT, unit.party.key) for k in unit.persons)
    deps.links.reserve_many(deps.member_id, deps.base_id, items)
    commands = {k: v for unit in units for k, v in unit.commands.items()}
    outcome = _send(deps, commands)
    records: list[PartyLink] = []
    lost: list[str] = []
    for unit in units:
        card_key = next(iter(unit.commands))
        n = card_key[1:]
        card_id = _int(outcome.results.get(card_key))
        party = unit.party
        if not card_id:
            figures.refused[party.key] = str(outcome.errors.get(card_key, "no answer"))
            lost.append(party.key)
            lost.extend(unit.persons.values())
            continue
        requisite_id = _int(outcome.results.get(f"r{n}")) or None
        for key, error in outcome.errors.items():
            if key != card_key and _unit_of(str(key)) == n:
                figures.refused[f"{party.key}/{key}"] = str(error)
        onec_hash, crm_hash = party.fingerprint(), _crm_hash(party, deps.settings)
        records.append(PartyLink(deps.base_id, party.key, unit.entity, card_id, requisite_id, onec_hash, crm_hash,
                                 party.data_version))
        identity = _identity(party)
        if identity is not None:
            run.leaders[identity] = records[-1]
        figures.created += 1
        figures.by_kind[party.kind] = figures.by_kind.get(party.kind, 0) + 1
        for follower in unit.followers:
            records.append(PartyLink(deps.base_id, follower.key, unit.entity, card_id, requisite_id,
                                     follower.fingerprint(), _crm_hash(follower, deps.settings),
                                     follower.data_version))
            figures.linked += 1
        for key, person_key in unit.persons.items():
            contact_id = _int(outcome.results.get(key))
            if contact_id:
                records.append(PartyLink(deps.base_id, person_key, CONTACT, contact_id,
                                         onec_hash=_hash_of(party, person_key, deps.settings), person_of=party.key))
                figures.persons += 1
            else:
                lost.append(person_key)
    deps.links.record_many(deps.member_id, deps.base_id, records)
    deps.links.forget(deps.member_id, deps.base_id, lost)
    run.step(sum(1 + len(u.followers) for u in units))


def _unit_of(key: str) -> str:
    """The party number of a command key ("r12" -> "12", "b12_0" -> "12")."""
    return key[1:].split("_", 1)[0]


# ---------------------------------------------------------------------------------------------- updating


def _mapped(party: OneCParty, settings: PartySettings) -> dict[str, Any]:
    """The 1C values of the fields 1C wins, as the CRM is given them (an invalid INN is never given)."""
    values: dict[str, Any] = {
        "name": party.name, "full_name": party.full_name, "inn": valid_inn(party.inn) or "",
        "kpp": valid_kpp(party.kpp) or "", "ogrn": party.ogrn, "addresses": party.addresses,
        "bank_accounts": party.bank_accounts, "phones": party.phones, "emails": party.emails}
    return {name: values[name] for name in FIELD_WINNERS if settings.winner(name) == ONEC}


def _crm_hash(party: OneCParty, settings: PartySettings) -> str:
    return fingerprint(_mapped(party, settings))


def _update_linked(run: _Run, parties: list[OneCParty], links: Mapping[str, PartyLink],
                   persons: Mapping[str, PartyLink]) -> None:
    """Linked counterparties that changed in 1C: the fields 1C wins are written (only when they changed: a change of
    a field the CRM wins costs no request); new contact persons become contacts of the company."""
    deps, figures = run.deps, run.figures
    quiet: list[PartyLink] = []
    changed: list[tuple[OneCParty, PartyLink]] = []
    new_persons: list[tuple[OneCParty, PartyLink]] = []
    for party in parties:
        link = links[party.key]
        if link.crm_id is None:
            continue
        if link.onec_hash == party.fingerprint():
            continue
        owner = _owner(deps, link)
        if owner != party.key:
            # A 1C duplicate of the card's own counterparty: two 1C records must not take turns overwriting one
            # card, so only the first linked writes; the duplicate is reported until 1C merges the two.
            figures.skipped += 1
            figures.reported.append(f"1C duplicate of {owner} changed, card {link.entity} {link.crm_id} follows "
                                    f"the first: {party.name} ({party.key})")
            quiet.append(replace(link, onec_hash=party.fingerprint(), data_version=party.data_version))
            continue
        if party.deleted:
            figures.deleted += 1
            figures.reported.append(f"deletion-marked in 1C, card kept: {party.name} ({party.key}, "
                                    f"{link.entity} {link.crm_id})")
            quiet.append(replace(link, onec_hash=party.fingerprint(), data_version=party.data_version))
            continue
        if link.entity == COMPANY and any(
                p.key not in persons or persons[p.key].onec_hash != _person_hash(p, deps.settings)
                for p in party.contact_persons if not p.deleted):
            new_persons.append((party, link))
        needs_requisite = link.requisite_id is None and _needs_requisite(party)
        if link.crm_hash == _crm_hash(party, deps.settings) and not needs_requisite:
            quiet.append(replace(link, onec_hash=party.fingerprint(), data_version=party.data_version))
        else:
            changed.append((party, link))
    if quiet:
        deps.links.record_many(deps.member_id, deps.base_id, quiet)
    for start in range(0, len(changed), 8):
        _write_changes(run, changed[start:start + 8])
    if new_persons:
        _sync_persons(run, new_persons, persons)


@dataclass
class _Change:
    party: OneCParty
    link: PartyLink
    commands: dict[str, tuple[str, dict]] = field(default_factory=dict)
    own: dict[str, list[str]] = field(default_factory=dict)


def _owner(deps: PartyDeps, link: PartyLink) -> str:
    """The 1C key of this base first linked to the link's card (the one its ORIGIN_ID names)."""
    assert link.crm_id is not None
    same = [other.onec_key for other in deps.links.by_crm(deps.member_id, link.entity, link.crm_id)
            if other.base_id == link.base_id and not other.person_of]
    return same[0] if same else link.onec_key


def _write_changes(run: _Run, chunk: list[tuple[OneCParty, PartyLink]]) -> None:
    """One read request (the requisites' bank details and addresses, the cards' multifields when 1C wins them) for
    up to 8 cards, then their writes, each card's commands within one request."""
    deps, settings = run.deps, run.deps.settings
    wins = {name for name in FIELD_WINNERS if settings.winner(name) == ONEC}
    reads: dict[str, tuple[str, dict]] = {}
    for n, (_party, link) in enumerate(chunk):
        if link.requisite_id:
            if "bank_accounts" in wins:
                reads[f"b{n}"] = ("crm.requisite.bankdetail.list", {
                    "filter": {"ENTITY_ID": link.requisite_id}, "select": ["ID", "XML_ID", "RQ_ACC_NUM"]})
            if "addresses" in wins:
                reads[f"a{n}"] = ("crm.address.list", {
                    "filter": {"ENTITY_TYPE_ID": 8, "ENTITY_ID": link.requisite_id}, "select": ["TYPE_ID"]})
        if wins & {"phones", "emails"}:
            reads[f"g{n}"] = (f"crm.{link.entity}.get", {"id": link.crm_id})
    current = _send(deps, reads) if reads else None
    results = current.results if current is not None else {}
    unread = {_unit_of(str(k)) for k in (current.errors if current is not None else {})}
    for key, error in (current.errors.items() if current is not None else ()):
        run.figures.refused[chunk[int(_unit_of(str(key)))][0].key] = f"read {key}: {error}"
    changes = [_change(run, f"{n}", party, link, wins, results) for n, (party, link) in enumerate(chunk)
               if f"{n}" not in unread]
    for group in _packed(changes):
        _send_changes(run, group)


def _change(run: _Run, n: str, party: OneCParty, link: PartyLink, wins: set[str], current: Mapping) -> _Change:
    change = _Change(party, link)
    commands = change.commands
    card_fields = _card_changes(party, link, wins, current.get(f"g{n}"))
    if card_fields:
        commands[f"u{n}"] = (f"crm.{link.entity}.update", {"id": link.crm_id, "fields": card_fields})
        change.own.setdefault(link.entity, []).append(str(link.crm_id))
    if link.requisite_id is None:
        if _needs_requisite(party):
            _requisite_commands(run, commands, n, party, link.entity, link.crm_id)
        return change
    fields = {k: v for k, v in requisite_values(party).items() if _RQ_FIELD[k] in wins}
    if fields:
        commands[f"q{n}"] = ("crm.requisite.update", {"id": link.requisite_id, "fields": fields})
        change.own.setdefault("requisite", []).append(str(link.requisite_id))
    if "bank_accounts" in wins:
        rows = _rows(current.get(f"b{n}"))
        have = {str(r.get("XML_ID") or ""): int(r["ID"]) for r in rows}
        accounts = {str(r.get("RQ_ACC_NUM") or "") for r in rows}
        for i, account in enumerate(party.bank_accounts):
            fields = bank_fields(account, link.requisite_id)
            if account.key and account.key in have:
                fields.pop("ENTITY_ID")
                commands[f"v{n}_{i}"] = ("crm.requisite.bankdetail.update", {"id": have[account.key],
                                                                             "fields": fields})
            elif account.account and account.account not in accounts:
                commands[f"b{n}_{i}"] = ("crm.requisite.bankdetail.add", {"fields": fields})
    if "addresses" in wins:
        types = {_int(r.get("TYPE_ID")) for r in _rows(current.get(f"a{n}"))}
        for type_id, address in addresses_by_type(party, run.portal()).items():
            method = "crm.address.update" if type_id in types else "crm.address.add"
            commands[f"a{n}_{type_id}"] = (method, {"fields": address_fields(address, type_id, link.requisite_id)})
    return change


def _send_changes(run: _Run, changes: list[_Change]) -> None:
    deps = run.deps
    own: dict[str, list[str]] = {}
    for change in changes:
        for kind, ids in change.own.items():
            own.setdefault(kind, []).extend(ids)
    for kind, ids in own.items():
        deps.own_writes.expect(deps.member_id, kind, ids)
    commands = {k: v for change in changes for k, v in change.commands.items()}
    outcome = _send(deps, commands) if commands else None
    if outcome is not None:
        _forget_refused_own(deps, commands, outcome, own)
    records = []
    for change in changes:
        party, link = change.party, change.link
        errors = {k: outcome.errors[k] for k in change.commands if outcome is not None and k in outcome.errors}
        if errors:
            run.figures.refused[party.key] = "; ".join(f"{k}: {e}" for k, e in errors.items())
            continue
        requisite = next((k for k in change.commands if k.startswith("r")), None)
        requisite_id = link.requisite_id or (_int(outcome.results.get(requisite)) if outcome and requisite else 0)
        records.append(replace(link, requisite_id=requisite_id or None, onec_hash=party.fingerprint(),
                               crm_hash=_crm_hash(party, deps.settings), data_version=party.data_version))
        run.figures.updated += 1
    deps.links.record_many(deps.member_id, deps.base_id, records)


_RQ_FIELD = {"RQ_INN": "inn", "RQ_KPP": "kpp", "RQ_OGRN": "ogrn", "RQ_OGRNIP": "ogrn", "RQ_COMPANY_NAME": "name",
             "RQ_COMPANY_FULL_NAME": "full_name", "RQ_LAST_NAME": "full_name", "RQ_FIRST_NAME": "full_name",
             "RQ_SECOND_NAME": "full_name"}


def _card_changes(party: OneCParty, link: PartyLink, wins: set[str], card: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "name" in wins:
        if link.entity == COMPANY:
            fields["TITLE"] = party.name or party.full_name
        else:
            last, first, second = person_names(party.name or party.full_name)
            fields.update(LAST_NAME=last, NAME=first, SECOND_NAME=second)
    for name, multifield in (("phones", "PHONE"), ("emails", "EMAIL")):
        if name in wins and isinstance(card, Mapping):
            fields[multifield] = _replace_multifield(card.get(multifield), getattr(party, name))
    return fields


def _replace_multifield(current: Any, wanted: Sequence[str]) -> list[dict[str, Any]]:
    """The update that makes a PHONE / EMAIL multifield hold exactly 1C's values: the others deleted by their ID,
    the missing added (crm-company-update.md: {"ID": .., "DELETE": "Y"})."""
    keep = set(wanted)
    rows = [r for r in current or [] if isinstance(r, Mapping)]
    out: list[dict[str, Any]] = [{"ID": r["ID"], "DELETE": "Y"} for r in rows
                                 if str(r.get("VALUE") or "") not in keep and r.get("ID")]
    present = {str(r.get("VALUE") or "") for r in rows}
    out += multi([v for v in wanted if v not in present])
    return out


def _person_fields(person: ContactPerson, settings: PartySettings) -> dict[str, Any]:
    """What a contact person's contact is kept in step with: its name and position from 1C (the name is 1C's
    like the counterparty's), its phones and e-mails only when 1C wins them."""
    last, first, second = ((person.last_name, person.first_name, person.second_name)
                           if person.last_name or person.first_name else person_names(person.name))
    fields: dict[str, Any] = {"POST": person.position}
    if settings.winner("name") == ONEC:
        fields.update(LAST_NAME=last, NAME=first or person.name or person.key, SECOND_NAME=second)
    return fields


def _person_hash(person: ContactPerson, settings: PartySettings) -> str:
    return fingerprint(_person_fields(person, settings))


def _hash_of(party: OneCParty, person_key: str, settings: PartySettings) -> str:
    person = next((p for p in party.contact_persons if p.key == person_key), None)
    return _person_hash(person, settings) if person is not None else ""


def _sync_persons(run: _Run, pairs: list[tuple[OneCParty, PartyLink]], persons: Mapping[str, PartyLink]) -> None:
    """Contact persons of changed counterparties: new ones become contacts of the company, changed ones have their
    contact's name and position written (phones and e-mails stay the CRM's by default)."""
    deps = run.deps
    todo: list[tuple[OneCParty, PartyLink, ContactPerson]] = []
    updates: list[tuple[PartyLink, ContactPerson]] = []
    for party, link in pairs:
        for person in party.contact_persons:
            known = persons.get(person.key)
            if person.deleted:
                continue
            if known is None and person.key not in run.persons_placed:
                run.persons_placed.add(person.key)
                todo.append((party, link, person))
            elif known is not None and known.crm_id and known.onec_hash != _person_hash(person, deps.settings) \
                    and person.key not in {p.key for _, p in updates}:
                updates.append((known, person))
    for start in range(0, len(todo), BATCH):
        _add_persons(run, todo[start:start + BATCH])
    for start in range(0, len(updates), BATCH):
        chunk = updates[start:start + BATCH]
        ids = [str(known.crm_id) for known, _ in chunk]
        deps.own_writes.expect(deps.member_id, CONTACT, ids)
        commands = {f"e{i}": ("crm.contact.update", {"id": known.crm_id, "fields": _person_fields(
            person, deps.settings)}) for i, (known, person) in enumerate(chunk)}
        outcome = _send(deps, commands)
        _forget_refused_own(deps, commands, outcome, {CONTACT: ids})
        records = []
        for i, (known, person) in enumerate(chunk):
            if f"e{i}" in outcome.errors:
                run.figures.refused[person.key] = str(outcome.errors[f"e{i}"])
            else:
                records.append(replace(known, onec_hash=_person_hash(person, deps.settings)))
                run.figures.updated += 1
        deps.links.record_many(deps.member_id, deps.base_id, records)


def _add_persons(run: _Run, chunk: list[tuple[OneCParty, PartyLink, ContactPerson]]) -> None:
    deps = run.deps
    deps.links.reserve_many(deps.member_id, deps.base_id, [(p.key, CONTACT, party.key) for party, _, p in chunk])
    outcome = _send(deps, {f"p{i}": ("crm.contact.add", {"fields": person_fields(p, link.crm_id, deps.base_id)})
                           for i, (_party, link, p) in enumerate(chunk)})
    records, lost = [], []
    for i, (party, _link, person) in enumerate(chunk):
        contact_id = _int(outcome.results.get(f"p{i}"))
        if contact_id:
            records.append(PartyLink(deps.base_id, person.key, CONTACT, contact_id,
                                     onec_hash=_person_hash(person, deps.settings), person_of=party.key))
            run.figures.persons += 1
        else:
            lost.append(person.key)
            run.figures.refused[person.key] = str(outcome.errors.get(f"p{i}", "no answer"))
    deps.links.record_many(deps.member_id, deps.base_id, records)
    deps.links.forget(deps.member_id, deps.base_id, lost)


# ---------------------------------------------------------------------------------------------- plumbing


def _send(deps: PartyDeps, commands: Mapping[str, tuple[str, dict]]) -> Any:
    """One batch request (callers keep chained commands within 50: a `$result` reference resolves only inside
    one request)."""
    if len(commands) > BATCH:
        raise ValueError(f"{len(commands)} commands do not fit one batch request")
    return deps.bitrix.batch(dict(commands))


def _forget_refused_own(deps: PartyDeps, commands: Mapping[str, tuple[str, dict]], outcome: Any,
                        own: Mapping[str, list[str]]) -> None:
    """A refused update causes no event: give back the counts taken for it (store/own_writes.py)."""
    for key in outcome.errors:
        method, params = commands[str(key)]
        if method.endswith(".update") and "id" in params:
            kind = "requisite" if method.startswith("crm.requisite.") and "bankdetail" not in method else \
                method.split(".")[1]
            if str(params["id"]) in own.get(kind, []):
                deps.own_writes.forget(deps.member_id, kind, [str(params["id"])])


def _rows(result: Any) -> list[Mapping[str, Any]]:
    if isinstance(result, Mapping):
        result = list(result.values())
    return [r for r in result or [] if isinstance(r, Mapping)]


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0

