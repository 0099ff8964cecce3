"""The read side of the exchange journal for its page: filters and keyset paging, newest first.

A page is named by where it starts, never by a row count to skip: "older" continues after the last row shown,
"newer" goes back before the first one, each a (started_at, id) pair compared as a row value. With the indexes of
migration 0006_journal_indexes (each ending in started_at, id) page 20,000 reads as few rows as page 1. Rows with
equal timestamps are ordered by id, so no row is shown twice or skipped across a page boundary.

The writer is `store/journal.Journal`; this module only reads.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, literal, or_, select, text, tuple_

from b24app.store.db import Database
from b24app.store.models import EntityLinkRow, JournalRow, OneCBaseRow
from b24app.store.tenancy import portal_id

PAGE_SIZE = 50
# The distinct streams (kinds) of portal :pid as the rows of `k`: a skip scan of the (portal_id, kind, …) index,
# one index probe per kind (PostgreSQL has no loose index scan of its own; SQLite and PostgreSQL both run this).
KINDS_CTE = (
    "WITH RECURSIVE k(kind) AS ("
    " SELECT MIN(kind) FROM exchange_journal WHERE portal_id = :pid"
    " UNION ALL"
    " SELECT (SELECT MIN(j.kind) FROM exchange_journal j WHERE j.portal_id = :pid AND j.kind > k.kind)"
    " FROM k WHERE k.kind IS NOT NULL)"
)
MAX_PAGE_SIZE = 200


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class JournalFilter:
    """What the page narrows the journal to; None is "any". `until` is exclusive."""

    kind: str | None = None
    status: str | None = None
    entity: str | None = None
    base_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Cursor:
    """A position in the journal's order: the (started_at, id) of a row."""

    started_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{aware(self.started_at).isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        """The cursor a page link carries; ValueError when it was altered into nonsense."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            moment, _, ident = raw.partition("|")
            ident_value = int(ident)
            if not 0 < ident_value < 2**31:  # the id column is a 32-bit integer on PostgreSQL
                raise ValueError(ident)
            return cls(aware(datetime.fromisoformat(moment)), ident_value)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"journal cursor {value[:40]!r} is malformed") from exc


@dataclass(frozen=True)
class OneCDocument:
    """A 1C object a journal row's entity is linked to (store/links.py)."""

    base_id: int
    onec_set: str  # Document_ЗаказКлиента
    onec_ref: str
    number: str | None


@dataclass(frozen=True)
class JournalLine:
    id: int
    started_at: datetime  # aware, UTC
    kind: str
    direction: str
    status: str
    entity: str | None
    base_id: int | None
    base_name: str | None
    duration_ms: int | None
    items: int | None
    error: str | None
    documents: tuple[OneCDocument, ...] = ()

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.started_at, self.id)


@dataclass(frozen=True)
class JournalPage:
    lines: list[JournalLine]
    newer: Cursor | None  # where the page of newer rows starts (exclusive), None when this is the newest
    older: Cursor | None  # where the page of older rows starts (exclusive), None when this is the oldest


def _conditions(pid: int, flt: JournalFilter) -> list:
    where = [JournalRow.portal_id == pid]
    if flt.kind:
        where.append(JournalRow.kind == flt.kind)
    if flt.status:
        where.append(JournalRow.status == flt.status)
    if flt.entity:
        where.append(JournalRow.entity == flt.entity)
    if flt.base_id is not None:
        where.append(JournalRow.base_id == flt.base_id)
    if flt.since is not None:
        where.append(JournalRow.started_at >= flt.since)
    if flt.until is not None:
        where.append(JournalRow.started_at < flt.until)
    return where


def _keyset(after: Cursor | None, before: Cursor | None) -> list:
    """The row value (started_at, id) below `after` / above `before`: one index range condition on PostgreSQL and
    on SQLite (row values since 3.15). The cursor's time is bound with the column's type, so SQLite compares it in
    the format it stored (UTC, naive)."""
    pair = tuple_(JournalRow.started_at, JournalRow.id)
    out = []
    if after is not None:
        out.append(pair < tuple_(literal(after.started_at, JournalRow.started_at.type), literal(after.id)))
    if before is not None:
        out.append(pair > tuple_(literal(before.started_at, JournalRow.started_at.type), literal(before.id)))
    return out


class JournalQuery:
    def __init__(self, db: Database) -> None:
        self._db = db

    def page(self, member_id: str, flt: JournalFilter = JournalFilter(), *, after: Cursor | None = None,
             before: Cursor | None = None, limit: int = PAGE_SIZE) -> JournalPage:
        """Up to `limit` rows, newest first: those older than `after`, or (given `before`) the `limit` rows just
        newer than `before`; with neither, the newest. One extra row is read to know whether more exist."""
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            where = _conditions(pid, flt) + _keyset(after, None if after else before)
            columns = (JournalRow.id, JournalRow.started_at, JournalRow.kind, JournalRow.direction,
                       JournalRow.status, JournalRow.entity, JournalRow.base_id, JournalRow.duration_ms,
                       JournalRow.items, JournalRow.error)
            if before is not None and after is None:
                order = (JournalRow.started_at.asc(), JournalRow.id.asc())
            else:
                order = (JournalRow.started_at.desc(), JournalRow.id.desc())
            rows = s.execute(select(*columns).where(*where).order_by(*order).limit(limit + 1)).all()
            more = len(rows) > limit
            rows = rows[:limit]
            if before is not None and after is None:
                rows.reverse()
            names = self._base_names(s, pid, {r.base_id for r in rows if r.base_id is not None})
            documents = self._documents(s, pid, {r.entity for r in rows if r.entity})
        lines = [JournalLine(id=r.id, started_at=aware(r.started_at), kind=r.kind, direction=r.direction,
                             status=r.status, entity=r.entity, base_id=r.base_id, base_name=names.get(r.base_id),
                             duration_ms=r.duration_ms, items=r.items, error=r.error,
                             documents=tuple(d for d in documents.get(r.entity or "", ())
                                             if r.base_id is None or d.base_id == r.base_id))
                 for r in rows]
        if not lines:
            return JournalPage([], None, None)
        if before is not None and after is None:
            newer = lines[0].cursor if more else None
            older = lines[-1].cursor
        else:
            newer = lines[0].cursor if after is not None else None
            older = lines[-1].cursor if more else None
        return JournalPage(lines, newer, older)

    def kinds(self, member_id: str) -> list[str]:
        """The streams (kinds) the portal's journal holds, for the filter's choices. A skip scan over the
        (portal_id, kind, …) index, one index probe per distinct kind, instead of DISTINCT over every row."""
        query = text(KINDS_CTE + " SELECT kind FROM k WHERE kind IS NOT NULL")
        with self._db.transaction() as s:
            return [row[0] for row in s.execute(query, {"pid": portal_id(s, member_id)})]

    @staticmethod
    def _base_names(s, pid: int, ids: set[int]) -> dict[int, str]:  # noqa: ANN001 - Session
        if not ids:
            return {}
        rows = s.execute(select(OneCBaseRow.id, OneCBaseRow.name)
                         .where(OneCBaseRow.portal_id == pid, OneCBaseRow.id.in_(ids))).all()
        return {i: name for i, name in rows}

    @staticmethod
    def _documents(s, pid: int, entities: set[str]) -> dict[str, list[OneCDocument]]:  # noqa: ANN001 - Session
        """The 1C documents (not catalog items) the page's entities are linked to, in one query."""
        pairs = {tuple(e.split(":", 1)) for e in entities if ":" in e}
        if not pairs:
            return {}
        rows = s.execute(select(EntityLinkRow.b24_type, EntityLinkRow.b24_id, EntityLinkRow.base_id,
                                EntityLinkRow.onec_set, EntityLinkRow.onec_ref, EntityLinkRow.onec_number)
                         .where(EntityLinkRow.portal_id == pid,
                                or_(*(and_(EntityLinkRow.b24_type == t, EntityLinkRow.b24_id == i)
                                      for t, i in pairs)),
                                EntityLinkRow.onec_set.like("Document\\_%", escape="\\"))
                         .order_by(EntityLinkRow.id)).all()
        out: dict[str, list[OneCDocument]] = {}
        for b24_type, b24_id, base_id, onec_set, onec_ref, number in rows:
            out.setdefault(f"{b24_type}:{b24_id}", []).append(OneCDocument(base_id, onec_set, onec_ref, number))
        return out
