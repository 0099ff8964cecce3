"""The incident state machine and the sending of its notices.

For each portal, every evaluation:
  1. compares what the detectors found with the open incidents: a new finding opens an incident (owed an "opened"
     message), a known one only refreshes it (never a second alert), an open incident of a covered kind that is no
     longer found is resolved (owed a "resolved" message);
  2. turns what is owed into notices under the portal's hourly limit: while there is room each goes on its own;
     when there is not, the last free slot carries one digest of everything held back, and with no slot left they
     wait (folded) for the next evaluation with room — a storm of a hundred incidents is a handful of messages;
  3. sends every pending delivery, each channel on its own: a failure is kept and retried next time.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from b24app.core.alert_settings import AlertSettings
from b24app.ops.alerts import texts
from b24app.ops.alerts.channels import EmailChannel, PortalNotifyChannel
from b24app.ops.alerts.findings import Detected
from b24app.store.incidents import FOLDED, NONE, QUEUED, AlertPortal, Incident, IncidentStore

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)


@dataclass
class Evaluation:
    """What one evaluation of one portal did (the job logs it; tests read it)."""

    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    notices: int = 0
    folded: int = 0
    sent: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Owed:
    event: str  # opened, resolved
    incident: Incident


def reconcile(store: IncidentStore, portal: AlertPortal, detected: Detected, settings: AlertSettings,
              now: datetime, result: Evaluation) -> list[Owed]:
    """Step 1: open, refresh and resolve incidents; return the messages now owed."""
    found = {f.key: f for f in detected.findings if settings.enabled(f.kind)}
    owed: list[Owed] = []
    for incident in store.open_incidents(portal.member_id):
        finding = found.pop(incident.key, None)
        if finding is not None:
            store.seen(incident.id, finding.detail, now)
            continue
        if not settings.enabled(incident.kind):
            # The administrator switched the type off: closed without a "resolved" that would not be true.
            store.resolve(incident.id, now)
            store.set_notice(incident.id, "resolved", NONE)
            continue
        if incident.kind in detected.covered:
            store.resolve(incident.id, now)
            result.resolved.append(incident.key)
            if incident.open_notice in (QUEUED, FOLDED):
                owed.append(Owed("resolved", _resolved_copy(incident, now)))
            else:
                # Nobody was told it opened: nobody needs telling it closed.
                store.set_notice(incident.id, "resolved", NONE)
    for finding in found.values():
        incident = store.open(portal.member_id, key=finding.key, kind=finding.kind, detail=finding.detail,
                              since=finding.since, now=now)
        result.opened.append(finding.key)
        owed.append(Owed("opened", incident))
    return owed


def _resolved_copy(incident: Incident, now: datetime) -> Incident:
    return replace(incident, resolved_at=now)


def _recipients(settings: AlertSettings, email_on: bool) -> list[tuple[str, str]]:
    out = [("email", e) for e in settings.emails] if email_on else []
    return out + [("b24", str(u)) for u in settings.user_ids]


def notify(store: IncidentStore, portal: AlertPortal, owed: list[Owed], settings: AlertSettings, now: datetime,
           result: Evaluation, *, email_on: bool) -> None:
    """Step 2: queue what is owed (and what earlier evaluations folded) within the hourly limit."""
    recipients = _recipients(settings, email_on)
    if not recipients:
        for item in owed:
            store.set_notice(item.incident.id, item.event, NONE)
        return
    lang = portal.lang or "ru"
    room = settings.max_per_hour - store.notices_since(portal.member_id, now - WINDOW)
    held = [Owed(event, inc) for inc in store.folded(portal.member_id)
            for event, state in (("opened", inc.open_notice), ("resolved", inc.resolve_notice)) if state == FOLDED]
    single = [] if held else list(owed)
    if held:
        held += owed  # earlier messages were held back: the new ones join them in the digest, in order
    elif len(owed) > room:
        # No room for all: the last free slot goes to the digest of the rest.
        single, held = owed[:max(0, room - 1)], owed[max(0, room - 1):]
    for item in single:
        if item.event == "opened":
            subject, body = texts.opened(item.incident, lang, portal.domain)
        else:
            subject, body = texts.resolved(item.incident, lang, portal.domain, item.incident.resolved_at or now)
        _queue(store, portal, item.incident.id, item.event, recipients, subject, body, now)
        store.set_notice(item.incident.id, item.event, QUEUED, now)
        result.notices += 1
        room -= 1
    if not held:
        return
    if room < 1:
        for item in held:
            store.set_notice(item.incident.id, item.event, FOLDED)
        result.folded += len(held)
        return
    subject, body = texts.digest([(item.event, item.incident) for item in held], lang, portal.domain,
                                 settings.max_per_hour)
    _queue(store, portal, None, "digest", recipients, subject, body, now)
    for item in held:
        store.set_notice(item.incident.id, item.event, QUEUED, now)
    result.notices += 1


def _queue(store: IncidentStore, portal: AlertPortal, incident_id: int | None, event: str,
           recipients: list[tuple[str, str]], subject: str, body: str, now: datetime) -> str:
    notice = uuid.uuid4().hex
    subject = " ".join(subject.split())  # one line: a base name typed with a line break must not break the header
    store.queue(portal.member_id, notice=notice, incident_id=incident_id, event=event,
                messages=[(channel, to, subject, body) for channel, to in recipients], now=now)
    return notice


def deliver(store: IncidentStore, member_id: str, channels: list[EmailChannel | PortalNotifyChannel],
            now: datetime, result: Evaluation) -> None:
    """Step 3: every pending delivery of the portal, each channel separately."""
    pending = store.pending(member_id)
    for channel in channels:
        batch = [d for d in pending if d.channel == channel.name]
        if not batch:
            continue
        for delivery_id, error in channel.send(batch).items():
            if error is None:
                store.sent(delivery_id, now)
                result.sent += 1
            else:
                store.failed(delivery_id, error)
                result.failed += 1
                log.warning("portal %s: alert delivery %s over %s failed, retried next time: %s", member_id,
                            delivery_id, channel.name, error)


def evaluate(store: IncidentStore, portal: AlertPortal, detected: Detected, settings: AlertSettings,
             channels: list[EmailChannel | PortalNotifyChannel], now: datetime, *, email_on: bool) -> Evaluation:
    """One portal's evaluation: reconcile, notify, deliver."""
    result = Evaluation()
    owed = reconcile(store, portal, detected, settings, now, result)
    notify(store, portal, owed, settings, now, result, email_on=email_on)
    deliver(store, portal.member_id, channels, now, result)
    return result


def send_test(store: IncidentStore, portal: AlertPortal, settings: AlertSettings,
              channels: list[EmailChannel | PortalNotifyChannel], now: datetime, *, email_on: bool) -> Evaluation:
    """The alerts page's "send a test alert": one test notice to every recipient, sent at once (a failed one stays
    pending and is retried by the next evaluation like any other)."""
    result = Evaluation()
    recipients = _recipients(settings, email_on)
    if recipients:
        subject, body = texts.test_message(portal.lang or "ru", portal.domain)
        _queue(store, portal, None, "test", recipients, subject, body, now)
        result.notices = 1
    deliver(store, portal.member_id, channels, now, result)
    return result
