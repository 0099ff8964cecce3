"""Matching 1C counterparties with CRM companies and contacts before the first load, so one client never becomes
three cards: by INN + KPP, by INN with another KPP (a branch or the head office: a person decides), by INN alone for
sole proprietors, by phone or e-mail for individuals without INN, and by name — after legal forms and quotes are
set aside — as candidates to confirm one by one. Duplicates inside each side are listed, invalid INNs reported and
never used as keys, and what matches nothing is what the load would create.

Pure and in memory: a dictionary per key over the CRM side, then one pass over 1C; names are compared only for what
the keys left over, through an index of their words (a word shared by very many names says nothing and is skipped).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from b24app.core.counterparty_keys import (
    digits,
    name_tokens,
    normal_email,
    normal_name,
    normal_phone,
    valid_inn,
    valid_kpp,
)

LEGAL, ENTREPRENEUR, PERSON = "legal", "entrepreneur", "person"
FUZZY_MIN = 0.6  # token overlap (Jaccard) a name candidate needs
COMMON_WORD = 200  # a word in more CRM names than this picks no candidates ("строй", "торг")
MAX_CANDIDATES = 50  # names compared per 1C party


@dataclass(frozen=True)
class Party:
    """One side's counterparty as the matcher needs it. `key` is the side's own id (1C Ref_Key, CRM "company:12")."""

    key: str
    name: str
    inn: str = ""
    kpp: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Keys:
    inn: str | None
    kpp: str | None
    kind: str
    contacts: tuple[str, ...]  # normalised phones and e-mails
    invalid_inn: bool


def keys_of(party: Party, *, all_contacts: bool = True, wanted: Wanted | None = None) -> Keys:
    """The party's keys. Phones and e-mails are normalised for a party without a valid INN (the kind keyed by them);
    for one with an INN only with `all_contacts`, and then, given `wanted`, only those that may equal a wanted
    contact (normalising is most of the cost of a first load's matching)."""
    inn = valid_inn(party.inn)
    kind = LEGAL if inn and len(inn) == 10 else ENTREPRENEUR if inn else PERSON
    contacts: tuple[str, ...] = ()
    if (all_contacts or kind == PERSON) and (party.phones or party.emails):
        phones, emails = party.phones, party.emails
        if wanted is not None and kind != PERSON:
            phones = tuple(p for p in phones if digits(p)[-TAIL:] in wanted.tails)
            emails = tuple(e for e in emails if str(e or "").strip().lower() in wanted.emails)
        found = {c for c in map(normal_phone, phones) if c}
        found.update(c for c in map(normal_email, emails) if c)
        contacts = tuple(sorted(found))
    return Keys(inn, valid_kpp(party.kpp) if kind == LEGAL else None, kind, contacts,
                invalid_inn=bool(str(party.inn or "").strip()) and inn is None)


# A normalised phone ends with the digits of the national number as typed, so two phones that normalise alike share
# their last digits (an extension typed after the number is the exception: such a card is not found by it).
TAIL = 7


@dataclass(frozen=True)
class Wanted:
    """The contacts the other side looks for: the last TAIL digits of its phones, its e-mails."""

    tails: frozenset[str]
    emails: frozenset[str]

    @classmethod
    def of(cls, keyed: Iterable[tuple[Party, Keys]]) -> Wanted:
        contacts = [c for _, keys in keyed for c in keys.contacts]
        return cls(frozenset(c[-TAIL:] for c in contacts if c.startswith("+")),
                   frozenset(c for c in contacts if "@" in c))


@dataclass
class MatchReport:
    by_inn_kpp: list[tuple[Party, Party]] = field(default_factory=list)
    by_inn: list[tuple[Party, Party]] = field(default_factory=list)  # entrepreneurs, and legal entities without KPP
    other_kpp: list[tuple[Party, list[Party]]] = field(default_factory=list)  # same INN, another KPP: to decide
    by_contact: list[tuple[Party, Party]] = field(default_factory=list)
    by_name: list[tuple[Party, Party, float]] = field(default_factory=list)  # candidates to confirm
    to_create: list[Party] = field(default_factory=list)
    onec_duplicates: list[list[Party]] = field(default_factory=list)
    crm_duplicates: list[list[Party]] = field(default_factory=list)
    invalid_inn: list[tuple[str, Party]] = field(default_factory=list)  # ("1c" | "crm", party)

    def counts(self) -> dict[str, int]:
        return {"by_inn_kpp": len(self.by_inn_kpp), "by_inn": len(self.by_inn), "other_kpp": len(self.other_kpp),
                "by_contact": len(self.by_contact), "by_name": len(self.by_name), "to_create": len(self.to_create),
                "onec_duplicates": len(self.onec_duplicates), "crm_duplicates": len(self.crm_duplicates),
                "invalid_inn": len(self.invalid_inn)}


def _identity(keys: Keys) -> tuple | None:
    """The key a party is the same by, within one side."""
    if keys.kind == LEGAL:
        return (keys.inn, keys.kpp)
    if keys.kind == ENTREPRENEUR:
        return (keys.inn,)
    return ("contact", keys.contacts[0]) if keys.contacts else None


def _duplicates(parties: list[tuple[Party, Keys]]) -> list[list[Party]]:
    groups: dict[tuple, list[Party]] = {}
    for party, keys in parties:
        identity = _identity(keys)
        if identity is not None:
            groups.setdefault(identity, []).append(party)
    return [group for group in groups.values() if len(group) > 1]


class _CrmIndex:
    def __init__(self, crm: list[tuple[Party, Keys]]) -> None:
        self.by_inn_kpp: dict[tuple[str, str | None], Party] = {}
        self.by_inn: dict[str, list[Party]] = {}
        self.by_contact: dict[str, Party] = {}
        self.by_word: dict[str, list[int]] = {}
        self.parties = [party for party, _ in crm]
        self.inns = [keys.inn for _, keys in crm]
        self.words = [name_tokens(party.name) for party in self.parties]
        self.names = [normal_name(party.name) for party in self.parties]
        self.by_name: dict[str, int] = {}
        for n, (party, keys) in enumerate(crm):
            if keys.inn:
                self.by_inn.setdefault(keys.inn, []).append(party)
                self.by_inn_kpp.setdefault((keys.inn, keys.kpp), party)
            for contact in keys.contacts:
                self.by_contact.setdefault(contact, party)
            self.by_name.setdefault(self.names[n], n)
            for word in self.words[n]:
                self.by_word.setdefault(word, []).append(n)

    def name_candidate(self, party: Party, inn: str | None) -> tuple[Party, float] | None:
        """The CRM party whose name is closest, if close enough; never one whose valid INN is another one (two
        organisations may share a name; they never share an INN)."""
        def other_inn(n: int) -> bool:
            return bool(inn and self.inns[n] and self.inns[n] != inn)

        exact = self.by_name.get(normal_name(party.name))
        if exact is not None and not other_inn(exact):
            return self.parties[exact], 1.0
        words = name_tokens(party.name)
        seen: set[int] = set()
        for word in sorted(words, key=lambda w: len(self.by_word.get(w, ()))):
            postings = self.by_word.get(word, ())
            if len(postings) > COMMON_WORD:
                continue
            seen.update(postings[:MAX_CANDIDATES - len(seen)])
            if len(seen) >= MAX_CANDIDATES:
                break
        best: tuple[int, float] | None = None
        for n in seen:
            if other_inn(n):
                continue
            other = self.words[n]
            score = len(words & other) / len(words | other)
            if score >= FUZZY_MIN and (best is None or score > best[1] or (score == best[1] and n < best[0])):
                best = (n, score)
        return (self.parties[best[0]], round(best[1], 3)) if best else None


@contextmanager
def _no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: matching allocates hundreds of thousands of small objects that form no
    cycles, and each full collection on the way walks every one of them for nothing (about a third of the time)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def match(onec: Iterable[Party], crm: Iterable[Party]) -> MatchReport:
    """What the first load would do with each 1C counterparty, and what needs a person's eye."""
    with _no_collection():
        return _match(onec, crm)


def _match(onec: Iterable[Party], crm: Iterable[Party]) -> MatchReport:
    report = MatchReport()
    onec_keyed = [(party, keys_of(party, all_contacts=False)) for party in onec]
    # A CRM card with an INN is looked up by contact only for 1C individuals: its phones matter when they may be one.
    wanted = Wanted.of(onec_keyed)
    crm_keyed = [(party, keys_of(party, wanted=wanted)) for party in crm]
    report.invalid_inn = [("1c", p) for p, k in onec_keyed if k.invalid_inn] + \
                         [("crm", p) for p, k in crm_keyed if k.invalid_inn]
    report.onec_duplicates = _duplicates(onec_keyed)
    report.crm_duplicates = _duplicates(crm_keyed)
    index = _CrmIndex(crm_keyed)
    for party, keys in onec_keyed:
        if keys.inn:
            same = index.by_inn.get(keys.inn)
            if same:
                exact = index.by_inn_kpp.get((keys.inn, keys.kpp))
                if exact is not None and keys.kind == LEGAL and keys.kpp:
                    report.by_inn_kpp.append((party, exact))
                elif keys.kind == ENTREPRENEUR or not keys.kpp:
                    report.by_inn.append((party, same[0]))
                else:
                    report.other_kpp.append((party, same))
                continue
        contact = next((index.by_contact[c] for c in keys.contacts if c in index.by_contact), None)
        if contact is not None and keys.kind == PERSON:
            report.by_contact.append((party, contact))
            continue
        candidate = index.name_candidate(party, keys.inn)
        if candidate is not None:
            report.by_name.append((party, *candidate))
        else:
            report.to_create.append(party)
    return report
