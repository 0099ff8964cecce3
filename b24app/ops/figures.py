"""What /metrics reads from the database: aggregates computed by the database, never rows walked in Python.

The exchange journal can hold a million rows (a 90-day window of a busy portal), so it is read in two grouped
queries: the count per portal, kind, direction and status, and — for the transfer-time histogram — the
cumulative bucket counts and summed duration per portal and kind of the rows that moved a document to 1C. The
outbox backlog is one more grouped query over the states that are backlog (`done` rows are history).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from b24app.store.db import Database
from b24app.store.models import JournalRow, OutboxRow, Portal
from b24app.store.outbox import DEAD, DISCARDED, PENDING

# Upper bounds of the transfer-time buckets in milliseconds: 0.1 s … 60 s (a document POSTed and posted in 1C
# takes from a fraction of a second to tens of seconds on a loaded base).
TRANSFER_BUCKETS_MS = (100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)
# The journal's direction of Bitrix24 -> 1C exchanges (store/journal.py DIRECTIONS) and the status of a transfer
# that went through: the histogram's population.
TO_ONEC = "b24_to_1c"
OK = "ok"
BACKLOG_STATES = (PENDING, DEAD, DISCARDED)


@dataclass(frozen=True)
class ExchangeGroup:
    portal_id: int
    kind: str
    direction: str
    status: str
    count: int


@dataclass(frozen=True)
class Transfers:
    """The Bitrix24 -> 1C exchanges of one portal and kind that ended ok, as a histogram of their durations."""

    portal_id: int
    kind: str
    count: int
    duration_ms: int
    buckets: tuple[int, ...]  # cumulative: rows with duration_ms <= TRANSFER_BUCKETS_MS[i]


@dataclass(frozen=True)
class Backlog:
    portal_id: int
    status: str
    count: int
    retrying: int  # pending rows that failed at least once and wait for their next attempt


@dataclass(frozen=True)
class PortalName:
    id: int
    member_id: str  # names the portal's Redis counters
    domain: str  # the `portal` label: it names the portal and is no secret, unlike a token


def portal_names(db: Database) -> list[PortalName]:
    with db.transaction() as s:
        rows = s.execute(select(Portal.id, Portal.member_id, Portal.domain).order_by(Portal.id)).all()
    return [PortalName(pid, member_id, domain) for pid, member_id, domain in rows]


def exchanges(db: Database) -> list[ExchangeGroup]:
    query = (select(JournalRow.portal_id, JournalRow.kind, JournalRow.direction, JournalRow.status, func.count())
             .group_by(JournalRow.portal_id, JournalRow.kind, JournalRow.direction, JournalRow.status))
    with db.transaction() as s:
        rows = s.execute(query).all()
    return [ExchangeGroup(portal_id=pid, kind=kind, direction=direction, status=status, count=int(count))
            for pid, kind, direction, status, count in rows]


def transfers(db: Database) -> list[Transfers]:
    """Bucket counts summed by the database over the transfers only (measured on 1M rows: cheaper than
    computing them for every journal row inside the counting query)."""
    buckets = [func.sum(case((JournalRow.duration_ms <= bound, 1), else_=0)) for bound in TRANSFER_BUCKETS_MS]
    query = (select(JournalRow.portal_id, JournalRow.kind, func.count(), func.sum(JournalRow.duration_ms), *buckets)
             .where(JournalRow.direction == TO_ONEC, JournalRow.status == OK, JournalRow.duration_ms.is_not(None))
             .group_by(JournalRow.portal_id, JournalRow.kind))
    with db.transaction() as s:
        rows = s.execute(query).all()
    return [Transfers(portal_id=r[0], kind=r[1], count=int(r[2]), duration_ms=int(r[3] or 0),
                      buckets=tuple(int(v or 0) for v in r[4:]))
            for r in rows]


def backlog(db: Database) -> list[Backlog]:
    query = (select(OutboxRow.portal_id, OutboxRow.status, func.count(),
                    func.coalesce(func.sum(case((OutboxRow.attempts > 0, 1), else_=0)), 0))
             .where(OutboxRow.status.in_(BACKLOG_STATES))
             .group_by(OutboxRow.portal_id, OutboxRow.status))
    with db.transaction() as s:
        rows = s.execute(query).all()
    return [Backlog(portal_id=pid, status=status, count=int(count),
                    retrying=int(retrying) if status == PENDING else 0)
            for pid, status, count, retrying in rows]
