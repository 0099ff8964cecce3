"""Which CRM company or contact each 1C counterparty became (table `party_links`), with fingerprints of what was
last seen on each side: the counterparty load's memory and checkpoint, and the link both sync directions follow.

A create is reserved (`reserve`, crm_id NULL) before it is sent and completed (`record`) after the portal answers,
so a run killed in between leaves a reservation the next run resolves by looking the card up by its ORIGIN_ID
(the same pattern as `store/catalog_links.py`). A 1C duplicate (the same INN + KPP twice in 1C) links both keys to
one card, so `by_crm` answers a list. Contact persons of a counterparty are linked here too, with `person_of` naming
their counterparty; `all` leaves them out (the parties are what the sync directions walk), `persons` gives them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from b24app.store.db import Database
from b24app.store.models import PartyLinkRow
from b24app.store.tenancy import portal_id

CHUNK = 500  # keys per IN (...): well under SQLite's and PostgreSQL's parameter limits
COMPANY, CONTACT = "company", "contact"


@dataclass(frozen=True)
class PartyLink:
    base_id: int
    onec_key: str
    entity: str  # COMPANY or CONTACT
    crm_id: int | None  # None: a create was reserved and not yet recorded
    requisite_id: int | None = None
    onec_hash: str = ""  # fingerprint of the OneCParty last seen or written
    crm_hash: str = ""  # fingerprint of the CRM fields last written or seen
    data_version: str = ""  # the 1C DataVersion last seen
    person_of: str = ""  # a contact person's counterparty key ("" for a counterparty)

    @property
    def reserved(self) -> bool:
        return self.crm_id is None


def _link(row: PartyLinkRow) -> PartyLink:
    return PartyLink(row.base_id, row.onec_key, row.entity, row.crm_id, row.requisite_id, row.onec_hash,
                     row.crm_hash, row.data_version, row.person_of)


def _chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start:start + CHUNK]


class PartyLinks:
    def __init__(self, db: Database) -> None:
        self._db = db

    def all(self, member_id: str, base_id: int) -> dict[str, PartyLink]:
        """Every counterparty link of a base (contact persons left out), reservations included, oldest first (the
        first key linked to a card is the one its ORIGIN_ID names)."""
        return self._where(member_id, base_id, persons=False)

    def persons(self, member_id: str, base_id: int) -> dict[str, PartyLink]:
        """Every contact-person link of a base, by the person's 1C key."""
        return self._where(member_id, base_id, persons=True)

    def _where(self, member_id: str, base_id: int, *, persons: bool) -> dict[str, PartyLink]:
        cond = PartyLinkRow.person_of != "" if persons else PartyLinkRow.person_of == ""
        with self._db.transaction() as s:
            rows = s.scalars(select(PartyLinkRow).where(
                PartyLinkRow.portal_id == portal_id(s, member_id), PartyLinkRow.base_id == base_id, cond)
                .order_by(PartyLinkRow.id)).all()
            return {r.onec_key: _link(r) for r in rows}

    def of_keys(self, member_id: str, base_id: int, keys: Sequence[str]) -> dict[str, PartyLink]:
        """The links of these 1C keys (a page of counterparties), oldest first."""
        out: list[PartyLinkRow] = []
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for chunk in _chunks(list(dict.fromkeys(keys))):
                out += s.scalars(select(PartyLinkRow).where(
                    PartyLinkRow.portal_id == pid, PartyLinkRow.base_id == base_id,
                    PartyLinkRow.onec_key.in_(chunk))).all()
            return {r.onec_key: _link(r) for r in sorted(out, key=lambda r: r.id)}

    def by_onec(self, member_id: str, base_id: int, key: str) -> PartyLink | None:
        with self._db.transaction() as s:
            row = s.scalar(select(PartyLinkRow).where(
                PartyLinkRow.portal_id == portal_id(s, member_id), PartyLinkRow.base_id == base_id,
                PartyLinkRow.onec_key == key))
            return _link(row) if row is not None else None

    def by_crm(self, member_id: str, entity: str, crm_id: int) -> list[PartyLink]:
        """Every 1C key linked to a CRM card, across bases (a 1C duplicate links two keys to one card), the oldest
        link first."""
        with self._db.transaction() as s:
            rows = s.scalars(select(PartyLinkRow).where(
                PartyLinkRow.portal_id == portal_id(s, member_id), PartyLinkRow.entity == entity,
                PartyLinkRow.crm_id == int(crm_id)).order_by(PartyLinkRow.id)).all()
            return [_link(r) for r in rows]

    def reserve(self, member_id: str, base_id: int, key: str, entity: str, *, person_of: str = "") -> bool:
        """Mark a create about to be sent. False when the key already has a row (linked, or reserved by an earlier
        run that may have created the card: look it up before creating)."""
        try:
            with self._db.transaction() as s:
                pid = portal_id(s, member_id)
                known = s.scalar(select(PartyLinkRow.id).where(
                    PartyLinkRow.portal_id == pid, PartyLinkRow.base_id == base_id, PartyLinkRow.onec_key == key))
                if known is not None:
                    return False
                s.add(PartyLinkRow(portal_id=pid, base_id=base_id, onec_key=key, entity=entity,
                                   person_of=person_of, onec_hash="", crm_hash="", data_version=""))
            return True
        except IntegrityError:  # another process reserved the same key between our read and our insert
            return False

    def reserve_many(self, member_id: str, base_id: int, items: Sequence[tuple[str, str, str]]) -> set[str]:
        """`reserve` for many (key, entity, person_of) at once, in one transaction; the keys newly reserved."""
        wanted = {key: (entity, person_of) for key, entity, person_of in items}
        fresh: set[str] = set()
        if not wanted:
            return fresh
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for chunk in _chunks(list(wanted)):
                known = set(s.scalars(select(PartyLinkRow.onec_key).where(
                    PartyLinkRow.portal_id == pid, PartyLinkRow.base_id == base_id,
                    PartyLinkRow.onec_key.in_(chunk))).all())
                for key in chunk:
                    if key in known:
                        continue
                    entity, person_of = wanted[key]
                    s.add(PartyLinkRow(portal_id=pid, base_id=base_id, onec_key=key, entity=entity,
                                       person_of=person_of, onec_hash="", crm_hash="", data_version=""))
                    fresh.add(key)
        return fresh

    def record(self, member_id: str, base_id: int, key: str, *, entity: str, crm_id: int,
               requisite_id: int | None = None, onec_hash: str = "", crm_hash: str = "", data_version: str = "",
               person_of: str = "") -> None:
        """Store the card a 1C key is linked to (completing a reservation, or a link made without one)."""
        self.record_many(member_id, base_id, [PartyLink(base_id, key, entity, crm_id, requisite_id, onec_hash,
                                                        crm_hash, data_version, person_of)])

    def record_many(self, member_id: str, base_id: int, links: Sequence[PartyLink]) -> None:
        by_key = {link.onec_key: link for link in links}
        if not by_key:
            return
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for chunk in _chunks(list(by_key)):
                rows = {r.onec_key: r for r in s.scalars(select(PartyLinkRow).where(
                    PartyLinkRow.portal_id == pid, PartyLinkRow.base_id == base_id,
                    PartyLinkRow.onec_key.in_(chunk))).all()}
                for key in chunk:
                    link = by_key[key]
                    row = rows.get(key)
                    if row is None:
                        row = PartyLinkRow(portal_id=pid, base_id=base_id, onec_key=key)
                        s.add(row)
                    row.entity = link.entity
                    row.crm_id = link.crm_id
                    row.requisite_id = link.requisite_id
                    row.onec_hash = link.onec_hash
                    row.crm_hash = link.crm_hash
                    row.data_version = link.data_version
                    row.person_of = link.person_of

    def set_hashes(self, member_id: str, base_id: int, key: str, *, onec_hash: str | None = None,
                   crm_hash: str | None = None, data_version: str | None = None,
                   requisite_id: int | None = None) -> bool:
        """Update what is known of a linked key (None: unchanged); False when the key has no link."""
        with self._db.transaction() as s:
            row = s.scalar(select(PartyLinkRow).where(
                PartyLinkRow.portal_id == portal_id(s, member_id), PartyLinkRow.base_id == base_id,
                PartyLinkRow.onec_key == key))
            if row is None:
                return False
            if onec_hash is not None:
                row.onec_hash = onec_hash
            if crm_hash is not None:
                row.crm_hash = crm_hash
            if data_version is not None:
                row.data_version = data_version
            if requisite_id is not None:
                row.requisite_id = requisite_id
            return True

    def forget(self, member_id: str, base_id: int, keys: Sequence[str]) -> None:
        """Drop reservations whose card turned out not to exist (the next run creates it)."""
        if not keys:
            return
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for chunk in _chunks(list(keys)):
                for row in s.scalars(select(PartyLinkRow).where(
                        PartyLinkRow.portal_id == pid, PartyLinkRow.base_id == base_id,
                        PartyLinkRow.onec_key.in_(chunk), PartyLinkRow.crm_id.is_(None))).all():
                    s.delete(row)
