"""What the alert detectors read from the exchange journal: per 1C base, how its latest exchanges ended, and per
(kind, base), the last successful run. Every exchange journals itself (store/journal.py), so the journal already
knows that a base stopped answering, that a pull met a schema mismatch or that a stream has not run: nothing else
needs to report to the alerts.

Each read is a handful of indexed queries per portal (the journal's (portal_id, started_at) index), bounded by
LIMITs, so an evaluation every minute stays cheap however long the journal is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from b24app.store.bases import COMMERCEML_PROFILE
from b24app.store.db import Database
from b24app.store.models import JournalRow, OneCBaseRow
from b24app.store.tenancy import portal_id

FAILED = ("error", "retry")
SCHEMA_CHECK = "schema_check"


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@dataclass(frozen=True)
class JournalLine:
    kind: str
    status: str
    error: str
    started_at: datetime


@dataclass(frozen=True)
class BaseFacts:
    """One enabled 1C base of the portal as the journal sees it."""

    id: int
    name: str
    created_at: datetime
    latest: JournalLine | None  # its newest journal row of any kind
    failing_since: datetime | None  # the first failure after its last ok row (None: its newest row is not a failure)


class AlertFacts:
    def __init__(self, db: Database) -> None:
        self._db = db

    def bases(self, member_id: str) -> list[BaseFacts]:
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            # A CommerceML base is never called by the app (1C calls it): its journal rows say nothing of it being
            # down, so it is not watched here.
            bases = s.scalars(select(OneCBaseRow).where(OneCBaseRow.portal_id == pid, OneCBaseRow.enabled.is_(True),
                                                        OneCBaseRow.profile != COMMERCEML_PROFILE)
                              .order_by(OneCBaseRow.id)).all()
            out = []
            for base in bases:
                row = s.scalars(select(JournalRow).where(JournalRow.portal_id == pid, JournalRow.base_id == base.id)
                                .order_by(JournalRow.started_at.desc(), JournalRow.id.desc()).limit(1)).first()
                latest = _line(row) if row is not None else None
                since = None
                if latest is not None and latest.status in FAILED:
                    last_ok = s.scalar(select(func.max(JournalRow.started_at)).where(
                        JournalRow.portal_id == pid, JournalRow.base_id == base.id, JournalRow.status == "ok"))
                    first = select(func.min(JournalRow.started_at)).where(
                        JournalRow.portal_id == pid, JournalRow.base_id == base.id, JournalRow.status.in_(FAILED))
                    if last_ok is not None:
                        first = first.where(JournalRow.started_at > last_ok)
                    since = _aware(s.scalar(first)) or latest.started_at
                out.append(BaseFacts(base.id, base.name, _aware(base.created_at), latest, since))
            return out

    def latest_by_kind(self, member_id: str, base_id: int, kinds: tuple[str, ...]) -> dict[str, JournalLine]:
        """The newest journal row of each of `kinds` for one base."""
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            out = {}
            for kind in kinds:
                row = s.scalars(select(JournalRow).where(JournalRow.portal_id == pid, JournalRow.base_id == base_id,
                                                         JournalRow.kind == kind)
                                .order_by(JournalRow.started_at.desc(), JournalRow.id.desc()).limit(1)).first()
                if row is not None:
                    out[kind] = _line(row)
            return out

    def last_ok(self, member_id: str, kind: str, base_id: int | None) -> datetime | None:
        """When `kind` last ended ok (for one base, or for the portal when `base_id` is None)."""
        with self._db.transaction() as s:
            query = select(func.max(JournalRow.started_at)).where(
                JournalRow.portal_id == portal_id(s, member_id), JournalRow.kind == kind, JournalRow.status == "ok")
            if base_id is not None:
                query = query.where(JournalRow.base_id == base_id)
            return _aware(s.scalar(query))


    def first_run(self, member_id: str, kind: str, base_id: int) -> datetime | None:
        """When `kind` first ran for the base, whatever its end (None: never)."""
        with self._db.transaction() as s:
            return _aware(s.scalar(select(func.min(JournalRow.started_at)).where(
                JournalRow.portal_id == portal_id(s, member_id), JournalRow.kind == kind,
                JournalRow.base_id == base_id)))


def _line(row: JournalRow) -> JournalLine:
    return JournalLine(row.kind, row.status, row.error or "", _aware(row.started_at))
