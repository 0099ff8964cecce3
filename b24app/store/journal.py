"""The exchange journal: one row per exchange, written by every job and read by monitoring."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from b24app.store.db import Database
from b24app.store.models import JournalRow, utcnow
from b24app.store.tenancy import portal_id

DIRECTIONS = ("1c_to_b24", "b24_to_1c", "internal")
STATUSES = ("ok", "error", "retry", "skipped")


@dataclass
class JournalEntry:
    kind: str
    direction: str
    status: str = "ok"
    base_id: int | None = None
    entity: str | None = None
    items: int | None = None
    error: str | None = None
    started_at: datetime = field(default_factory=utcnow)
    duration_ms: int | None = None


class Journal:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, member_id: str, entry: JournalEntry) -> None:
        if entry.direction not in DIRECTIONS or entry.status not in STATUSES:
            raise ValueError(f"journal entry with direction {entry.direction!r} / status {entry.status!r}")
        with self._db.transaction() as s:
            s.add(JournalRow(portal_id=portal_id(s, member_id), base_id=entry.base_id, kind=entry.kind,
                             direction=entry.direction, entity=entry.entity, status=entry.status,
                             started_at=entry.started_at, duration_ms=entry.duration_ms, items=entry.items,
                             error=(entry.error or None) and entry.error[:4000]))

    @contextmanager
    def exchange(self, member_id: str, kind: str, direction: str, **fields) -> Iterator[JournalEntry]:
        """Time the block and journal it: `ok` when it returns, `error` (and re-raise) when it raises. The block
        may set `entry.items`, `entry.entity` or `entry.status` ("skipped", "retry") itself."""
        entry = JournalEntry(kind=kind, direction=direction, **fields)
        started = time.monotonic()
        try:
            yield entry
        except Exception as exc:
            entry.status = "error"
            entry.error = f"{type(exc).__name__}: {exc}"
            # The job layer journals failures that happen outside any exchange block; this one is recorded.
            exc.journaled = True  # type: ignore[attr-defined]
            raise
        finally:
            entry.duration_ms = int((time.monotonic() - started) * 1000)
            self.record(member_id, entry)

    def recent(self, member_id: str, limit: int = 100) -> list[JournalEntry]:
        with self._db.transaction() as s:
            rows = s.scalars(select(JournalRow).where(JournalRow.portal_id == portal_id(s, member_id))
                             .order_by(JournalRow.started_at.desc(), JournalRow.id.desc()).limit(limit)).all()
            return [JournalEntry(kind=r.kind, direction=r.direction, status=r.status, base_id=r.base_id,
                                 entity=r.entity, items=r.items, error=r.error, started_at=r.started_at,
                                 duration_ms=r.duration_ms) for r in rows]
