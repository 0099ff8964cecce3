"""The outbox: every accepted Bitrix24 event becomes a row before it is acknowledged (ARCHITECTURE.md flow 4).

The web handler commits the row and only then answers 200 and enqueues a job, so a lost Redis, a full queue or
a killed worker never loses the event: the sweeper re-enqueues every pending row whose lease has run out.

Lifecycle of a row: `pending` → (a job claims it: attempts + 1, leased for `lease_seconds`) → `done`, or back to
`pending` with the delay the retry policy chose (`jobs/retry.py`), or `dead` after the last attempt or a
permanent error. Replaying a dead row sets it pending again; discarding it (the administrator gave it up) sets
it `discarded`, a final state: no sweep, replay or count takes it up again, and a later event of the same entity
is a new row. An event of an entity that already has a row waiting for a job adds no row (the job re-reads the
entity), `dedup_key` (unique per portal) names each delivery, and a finished job also closes every pending row
of the same entity received before it read the entity: those changes are in what it sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from b24app.config import SyncTuning
from b24app.store.db import Database
from b24app.store.models import OutboxRow, Portal, utcnow
from b24app.store.tenancy import portal_id

PENDING, DONE, DEAD, DISCARDED = "pending", "done", "dead", "discarded"
# A retry enqueued for "now" may run a moment before the time its row was given: that is its own turn, not a lease.
CLAIM_SLACK = timedelta(seconds=2)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    member_id: str
    kind: str  # what the entity is: deal, invoice
    entity_id: str
    payload: dict
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime | None = None  # of a dead row: when it was set aside


@dataclass(frozen=True)
class Accepted:
    """What `accept` did: the row's id and whether it is new (False: this event was seen before)."""

    id: int
    new: bool


class Outbox:
    def __init__(self, db: Database, tuning: SyncTuning) -> None:
        self._db = db
        self.tuning = tuning

    def accept(self, member_id: str, kind: str, entity_id: str, dedup_key: str, payload: dict,
               *, first_run_in: float | None = None) -> Accepted:
        """Store an event unless it adds nothing. Commits before returning, so the caller may acknowledge.

        An event adds nothing when a row of the same entity is waiting and not yet taken by a job: that job will
        read the entity after this change was made (events carry only the ID; the entity is re-read). A
        redelivery of an event whose row is already taken or done is stored again under a suffixed key, because
        a second change within the same second carries the same `ts` and must not be lost; the job's fingerprint
        makes a true repeat cost one read. The new row is leased for `first_run_in` seconds (default: the lease),
        the time its enqueued job has to claim it before the sweeper enqueues it again.
        """
        lease = self.tuning.lease_seconds if first_run_in is None else first_run_in
        for _ in range(3):
            try:
                with self._db.transaction() as s:
                    pid = portal_id(s, member_id)
                    waiting = s.scalar(select(OutboxRow).where(
                        OutboxRow.portal_id == pid, OutboxRow.kind == kind, OutboxRow.entity_id == str(entity_id),
                        OutboxRow.status == PENDING, OutboxRow.attempts == 0, OutboxRow.last_error.is_(None))
                .order_by(OutboxRow.id).limit(1))
                    if waiting is not None:
                        # The row now stands for this later change too: a job that read the entity before this
                        # moment must not close it (see `complete`).
                        waiting.updated_at = utcnow()
                        if payload.get("force") and not (waiting.payload or {}).get("force"):
                            # A "send to 1C" press asks for the order whatever the stage: the row it joins must
                            # carry that, or the press does nothing when an event of the deal was waiting.
                            waiting.payload = {**(waiting.payload or {}), "force": True}
                        return Accepted(waiting.id, False)
                    key = dedup_key[:240]
                    if s.scalar(select(OutboxRow.id).where(OutboxRow.portal_id == pid, OutboxRow.dedup_key == key)):
                        key = f"{key}#{uuid.uuid4().hex[:12]}"
                    row = OutboxRow(portal_id=pid, kind=kind, entity_id=str(entity_id), dedup_key=key,
                                    payload=payload, status=PENDING, attempts=0,
                                    next_attempt_at=utcnow() + timedelta(seconds=lease))
                    s.add(row)
                    s.flush()
                    return Accepted(row.id, True)
            except IntegrityError:
                # A concurrent delivery inserted the same key first: look again, it is now the waiting row.
                continue
        raise RuntimeError(f"outbox: could not store {kind} {entity_id} of {member_id} after 3 conflicts")

    def claim(self, item_id: int, *, swept: bool = False) -> OutboxItem | None:
        """Take a pending row for work: count the attempt and lease it. None when it is done, dead or gone, or
        leased to a job that took it along with its own (`take_fresh`) — unless the sweeper found that lease run
        out (`swept`): then the job that held it is gone."""
        with self._db.transaction() as s:
            row = s.get(OutboxRow, item_id, with_for_update=True)
            if row is None or row.status != PENDING:
                return None
            if not swept and row.attempts > 0 and _as_utc(row.next_attempt_at) > utcnow() + CLAIM_SLACK:
                return None
            row.attempts += 1
            row.next_attempt_at = utcnow() + timedelta(seconds=self.tuning.lease_seconds)
            s.flush()
            return self._item(s, row)

    def fresh(self, member_id: str, kind: str, limit: int, *, exclude: set[int]) -> list[tuple[int, str]]:
        """(id, entity id) of pending rows of the portal's `kind` never tried yet, oldest first: what a job may
        take along with its own item (it locks the entity, then `claim`s the row). A row that was tried has a
        `last_error` even when its attempt was given back (waiting for a 1C base that is down): it keeps to its
        own time, so a job never re-tries it early."""
        if limit <= 0:
            return []
        with self._db.transaction() as s:
            rows = s.execute(select(OutboxRow.id, OutboxRow.entity_id).where(
                OutboxRow.portal_id == portal_id(s, member_id), OutboxRow.kind == kind,
                OutboxRow.status == PENDING, OutboxRow.attempts == 0, OutboxRow.last_error.is_(None))
                .order_by(OutboxRow.id)
                .limit(limit + len(exclude))).all()
        return [(row_id, entity) for row_id, entity in rows if row_id not in exclude][:limit]

    def get(self, item_id: int) -> OutboxItem | None:
        with self._db.transaction() as s:
            row = s.get(OutboxRow, item_id)
            return self._item(s, row) if row is not None else None

    def complete(self, item: OutboxItem, read_started: datetime) -> int:
        """Mark the row done, with every pending row of the same entity whose last event was received before
        `read_started` (its `updated_at`: `accept` moves it when a row absorbs a later event). Returns how many
        rows were closed."""
        with self._db.transaction() as s:
            row = s.get(OutboxRow, item.id)
            pid = row.portal_id
            closed = s.execute(
                update(OutboxRow)
                .where(OutboxRow.portal_id == pid, OutboxRow.kind == item.kind,
                       OutboxRow.entity_id == item.entity_id, OutboxRow.status == PENDING,
                       (OutboxRow.id == item.id) | (OutboxRow.updated_at <= read_started))
                .values(status=DONE, last_error=None, updated_at=utcnow())
            ).rowcount
            return int(closed or 0)

    def settle(self, item: OutboxItem, error: str, retry_in: float | None, *, counts: bool = True) -> str:
        """Record a failed attempt as the retry policy (`jobs/retry.py`) decided. `retry_in` None: the item is
        dead (replayable). Otherwise it is tried again after `retry_in` seconds; `counts=False` gives the attempt
        back (waiting for a 1C base that is down, or for another job, spends none). Returns the new status."""
        with self._db.transaction() as s:
            row = s.get(OutboxRow, item.id, with_for_update=True)
            if row is None or row.status != PENDING:
                return row.status if row is not None else DEAD
            row.last_error = error[:4000]
            if retry_in is None:
                row.status = DEAD
            else:
                if not counts:
                    row.attempts = max(0, row.attempts - 1)
                # The job for the next try is scheduled at `retry_in`; should Redis lose it, the sweeper finds the
                # row due then. If both run, the second finds the row claimed or done (and the per-entity lock).
                row.next_attempt_at = utcnow() + timedelta(seconds=retry_in)
            return row.status

    def due(self, limit: int = 500) -> list[int]:
        """Pending rows whose lease or backoff ran out, oldest first; each is leased again so two sweeps in a
        row do not enqueue it twice."""
        now = utcnow()
        with self._db.transaction() as s:
            rows = s.scalars(select(OutboxRow).where(OutboxRow.status == PENDING, OutboxRow.next_attempt_at <= now)
                             .order_by(OutboxRow.id).limit(limit).with_for_update(skip_locked=True)).all()
            for row in rows:
                row.next_attempt_at = now + timedelta(seconds=self.tuning.lease_seconds)
            return [row.id for row in rows]

    def dead(self, member_id: str, limit: int | None = 200) -> list[OutboxItem]:
        """The portal's dead rows, newest first; `limit` None: all of them."""
        with self._db.transaction() as s:
            rows = s.scalars(select(OutboxRow).where(OutboxRow.portal_id == portal_id(s, member_id),
                                                     OutboxRow.status == DEAD)
                             .order_by(OutboxRow.id.desc()).limit(limit)).all()
            return [self._item(s, r) for r in rows]

    def revive(self, member_id: str, item_id: int) -> bool:
        """A dead row back to pending with fresh attempts (the dashboard's "replay"). False if not dead."""
        with self._db.transaction() as s:
            row = s.get(OutboxRow, item_id, with_for_update=True)
            if row is None or row.portal_id != portal_id(s, member_id) or row.status != DEAD:
                return False
            row.status, row.attempts = PENDING, 0
            row.next_attempt_at = utcnow() + timedelta(seconds=self.tuning.lease_seconds)
            return True

    def discard(self, member_id: str, item_id: int) -> bool:
        """A dead row given up for good (the dead letters' "discard"); its reason is kept. False if not dead."""
        with self._db.transaction() as s:
            row = s.get(OutboxRow, item_id, with_for_update=True)
            if row is None or row.portal_id != portal_id(s, member_id) or row.status != DEAD:
                return False
            row.status = DISCARDED
            return True

    def counts(self, member_id: str) -> dict[str, int]:
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            rows = s.execute(select(OutboxRow.status, OutboxRow.id).where(
                OutboxRow.portal_id == pid, OutboxRow.status != DISCARDED)).all()
        out = {PENDING: 0, DONE: 0, DEAD: 0}
        for status, _ in rows:
            out[status] = out.get(status, 0) + 1
        return out

    @staticmethod
    def _item(s, row: OutboxRow) -> OutboxItem:  # noqa: ANN001 - Session
        member_id = s.scalar(select(Portal.member_id).where(Portal.id == row.portal_id))
        return OutboxItem(id=row.id, member_id=member_id, kind=row.kind, entity_id=row.entity_id,
                          payload=dict(row.payload or {}), status=row.status, attempts=row.attempts,
                          last_error=row.last_error, created_at=row.created_at, updated_at=row.updated_at)


def _as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
