"""Alert incidents and their deliveries (models `AlertIncidentRow`, `AlertDeliveryRow`).

An incident lives from the evaluation that saw it to the one that saw it clear; at most one row per (portal, key)
is open. A notice (an incident opened or resolved, a digest, a test) becomes one delivery row per channel and
recipient, each retried on its own until it goes out. The engine (`ops/alerts/engine.py`) decides; this stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from b24app.store.db import Database
from b24app.store.models import AlertDeliveryRow, AlertIncidentRow, Portal, PortalStatus
from b24app.store.tenancy import portal_id

PENDING, SENT = "pending", "sent"
# What became of a message an incident is owed (AlertIncidentRow.open_notice / resolve_notice).
NOT_DUE, QUEUED, FOLDED, NONE = "", "queued", "folded", "none"


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; everything stored is UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@dataclass(frozen=True)
class Incident:
    id: int
    key: str
    kind: str
    detail: dict
    since: datetime
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    open_notice: str
    resolve_notice: str
    last_alert_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class Delivery:
    id: int
    notice: str
    incident_id: int | None
    event: str
    channel: str
    recipient: str
    subject: str
    body: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class AlertPortal:
    """A portal the evaluation looks at: installed, active or waiting for re-authorisation."""

    member_id: str
    domain: str
    lang: str | None
    needs_reauth: bool
    status_reason: str | None
    status_since: datetime
    installed_at: datetime


def _incident(row: AlertIncidentRow) -> Incident:
    return Incident(row.id, row.key, row.kind, dict(row.detail or {}), _aware(row.since), _aware(row.opened_at),
                    _aware(row.last_seen_at), _aware(row.resolved_at), row.open_notice, row.resolve_notice,
                    _aware(row.last_alert_at))


def _delivery(row: AlertDeliveryRow) -> Delivery:
    return Delivery(row.id, row.notice, row.incident_id, row.event, row.channel, row.recipient, row.subject,
                    row.body, row.status, row.attempts, row.last_error, _aware(row.created_at), _aware(row.sent_at))


class IncidentStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- portals --------------------------------------------------------------------------------------------
    def portals(self) -> list[AlertPortal]:
        """Portals to evaluate: active ones and those whose token refresh was refused (they are told so)."""
        with self._db.transaction() as s:
            rows = s.scalars(select(Portal).where(Portal.status.in_([PortalStatus.ACTIVE, PortalStatus.NEEDS_REAUTH]))
                             .order_by(Portal.id)).all()
            return [AlertPortal(r.member_id, r.domain, r.lang, r.status is PortalStatus.NEEDS_REAUTH, r.status_reason,
                                _aware(r.updated_at), _aware(r.installed_at)) for r in rows]

    # -- incidents ------------------------------------------------------------------------------------------
    def open_incidents(self, member_id: str) -> list[Incident]:
        with self._db.transaction() as s:
            rows = s.scalars(select(AlertIncidentRow).where(AlertIncidentRow.portal_id == portal_id(s, member_id),
                                                            AlertIncidentRow.resolved_at.is_(None))
                             .order_by(AlertIncidentRow.id)).all()
            return [_incident(r) for r in rows]

    def recent(self, member_id: str, limit: int = 50) -> list[Incident]:
        """Open incidents first, then the latest resolved ones (the alerts page)."""
        with self._db.transaction() as s:
            rows = s.scalars(select(AlertIncidentRow).where(AlertIncidentRow.portal_id == portal_id(s, member_id))
                             .order_by(AlertIncidentRow.resolved_at.is_not(None), AlertIncidentRow.id.desc())
                             .limit(limit)).all()
            return [_incident(r) for r in rows]

    def folded(self, member_id: str) -> list[Incident]:
        """Incidents with a message held back by the hourly limit, oldest first (the next digest's lines)."""
        with self._db.transaction() as s:
            rows = s.scalars(select(AlertIncidentRow).where(
                AlertIncidentRow.portal_id == portal_id(s, member_id),
                (AlertIncidentRow.open_notice == FOLDED) | (AlertIncidentRow.resolve_notice == FOLDED))
                .order_by(AlertIncidentRow.id)).all()
            return [_incident(r) for r in rows]

    def open(self, member_id: str, *, key: str, kind: str, detail: dict, since: datetime, now: datetime) -> Incident:
        with self._db.transaction() as s:
            row = AlertIncidentRow(portal_id=portal_id(s, member_id), key=key, kind=kind, detail=detail,
                                   since=since, opened_at=now, last_seen_at=now, open_notice=NOT_DUE,
                                   resolve_notice=NOT_DUE)
            s.add(row)
            s.flush()
            return _incident(row)

    def seen(self, incident_id: int, detail: dict, now: datetime) -> None:
        with self._db.transaction() as s:
            s.execute(update(AlertIncidentRow).where(AlertIncidentRow.id == incident_id)
                      .values(detail=detail, last_seen_at=now))

    def resolve(self, incident_id: int, now: datetime) -> None:
        with self._db.transaction() as s:
            s.execute(update(AlertIncidentRow).where(AlertIncidentRow.id == incident_id,
                                                     AlertIncidentRow.resolved_at.is_(None))
                      .values(resolved_at=now))

    def set_notice(self, incident_id: int, event: str, state: str, now: datetime | None = None) -> None:
        """Record what became of the incident's "opened" or "resolved" message."""
        column = "open_notice" if event == "opened" else "resolve_notice"
        values: dict = {column: state}
        if state == QUEUED and now is not None:
            values["last_alert_at"] = now
        with self._db.transaction() as s:
            s.execute(update(AlertIncidentRow).where(AlertIncidentRow.id == incident_id).values(**values))

    # -- deliveries -----------------------------------------------------------------------------------------
    def notices_since(self, member_id: str, since: datetime) -> int:
        """Notices (not rows) queued since `since`, test alerts aside: what the hourly limit counts."""
        with self._db.transaction() as s:
            return int(s.scalar(select(func.count(func.distinct(AlertDeliveryRow.notice))).where(
                AlertDeliveryRow.portal_id == portal_id(s, member_id), AlertDeliveryRow.created_at >= since,
                AlertDeliveryRow.event != "test")) or 0)

    def queue(self, member_id: str, *, notice: str, incident_id: int | None, event: str,
              messages: list[tuple[str, str, str, str]], now: datetime) -> None:
        """One delivery row per (channel, recipient, subject, body) of one notice."""
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for channel, recipient, subject, body in messages:
                s.add(AlertDeliveryRow(portal_id=pid, notice=notice, incident_id=incident_id, event=event,
                                       channel=channel, recipient=recipient, subject=subject[:255], body=body,
                                       status=PENDING, attempts=0, created_at=now))

    def pending(self, member_id: str, limit: int = 500) -> list[Delivery]:
        with self._db.transaction() as s:
            rows = s.scalars(select(AlertDeliveryRow).where(AlertDeliveryRow.portal_id == portal_id(s, member_id),
                                                            AlertDeliveryRow.status == PENDING)
                             .order_by(AlertDeliveryRow.id).limit(limit)).all()
            return [_delivery(r) for r in rows]

    def deliveries(self, member_id: str, limit: int = 50) -> list[Delivery]:
        """The latest deliveries, newest first (the alerts page)."""
        with self._db.transaction() as s:
            rows = s.scalars(select(AlertDeliveryRow).where(AlertDeliveryRow.portal_id == portal_id(s, member_id))
                             .order_by(AlertDeliveryRow.id.desc()).limit(limit)).all()
            return [_delivery(r) for r in rows]

    def sent(self, delivery_id: int, now: datetime) -> None:
        with self._db.transaction() as s:
            s.execute(update(AlertDeliveryRow).where(AlertDeliveryRow.id == delivery_id)
                      .values(status=SENT, sent_at=now, attempts=AlertDeliveryRow.attempts + 1))

    def failed(self, delivery_id: int, error: str) -> None:
        with self._db.transaction() as s:
            s.execute(update(AlertDeliveryRow).where(AlertDeliveryRow.id == delivery_id)
                      .values(last_error=error[:1000], attempts=AlertDeliveryRow.attempts + 1))
