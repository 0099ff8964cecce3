"""The detectors: what is wrong with a portal right now, from facts the job layer gathered.

Each detector is a pure function of the facts and the clock, so its rules are tested without servers. A detector
whose facts could not be had this time (the portal did not answer the field list, Redis was down) reports its
kind as not covered: the engine then leaves that kind's open incidents as they are instead of calling them
resolved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from b24app.core.alert_settings import AlertSettings
from b24app.store.alert_facts import SCHEMA_CHECK, BaseFacts, JournalLine

# How journaled errors read (store/journal.py writes "<ErrorClass>: <message>"; the outbox's retry policy writes
# the circuit breaker's own words): the base did not answer at all, or answered but refused the login.
UNREACHABLE = re.compile(r"OneCUnavailable|BaseUnavailable|is unavailable|keeps failing|being probed")
REFUSED = re.compile(r"OneCAuthError|HTTP 401|HTTP 403")
SCHEMA = re.compile(r"SchemaMismatch")
# Kinds whose journal rows speak of a base's schema: its own check, and the exchanges that read it.
SCHEMA_KINDS = (SCHEMA_CHECK, "payments", "shipments", "debt", "deal_order", "invoice")
# A stream may miss this many of its own intervals, plus the grace, before it counts as stale: one late tick or
# a long pull is no incident.
STALE_INTERVALS = 2
STALE_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Finding:
    key: str  # what is wrong, stable across evaluations ("base_down:3")
    kind: str  # one of INCIDENT_KINDS
    since: datetime  # when it began, as well as the facts tell
    detail: dict = field(default_factory=dict)  # what the message names (base, fields, counts, reason)


@dataclass(frozen=True)
class DeadLetterFacts:
    count: int
    newest_at: datetime | None
    newest_reason: str


@dataclass(frozen=True)
class StreamFacts:
    stream: str
    base_id: int | None  # None: a portal-wide stream (offline events)
    base_name: str
    interval_seconds: int
    last_ok: datetime | None
    watched_since: datetime  # when the stream became due at all (the base was added, the portal installed)


@dataclass(frozen=True)
class PortalFacts:
    member_id: str
    needs_reauth: bool
    reauth_reason: str | None
    reauth_since: datetime
    bases: list[BaseFacts] | None = None
    schema: dict[int, dict[str, JournalLine]] | None = None  # base id -> newest row per SCHEMA_KINDS kind
    missing_fields: list[str] | None = None  # "deal.paid_sum=UF_CRM_X" …; None: the portal could not be asked
    dead_letters: DeadLetterFacts | None = None
    streams: list[StreamFacts] | None = None


@dataclass
class Detected:
    findings: list[Finding] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)


def reauth(facts: PortalFacts, out: Detected) -> None:
    out.covered.add("reauth")
    if facts.needs_reauth:
        out.findings.append(Finding("reauth", "reauth", facts.reauth_since,
                                    {"reason": (facts.reauth_reason or "")[:300]}))


def base_down(facts: PortalFacts, settings: AlertSettings, now: datetime, out: Detected) -> None:
    """A base whose newest exchanges all failed because it did not answer or refused the password, for longer than
    the threshold. It clears with the base's first exchange that does not fail that way."""
    if facts.bases is None:
        return
    out.covered.add("base_down")
    threshold = timedelta(minutes=settings.base_down_minutes)
    for base in facts.bases:
        latest, since = base.latest, base.failing_since
        if latest is None or since is None:
            continue
        refused = bool(REFUSED.search(latest.error))
        if not (refused or UNREACHABLE.search(latest.error)):
            continue
        if now - since >= threshold:
            out.findings.append(Finding(f"base_down:{base.id}", "base_down", since, {
                "base": base.name, "base_id": base.id, "refused": refused, "reason": latest.error[:300]}))


def schema_drift(facts: PortalFacts, out: Detected) -> None:
    """A base whose latest schema check failed, or whose latest exchange of some kind met a schema mismatch; it
    clears with a passing check or that kind's next successful run."""
    if facts.schema is None or facts.bases is None:
        return
    out.covered.add("schema_drift")
    names = {b.id: b.name for b in facts.bases}
    for base_id, lines in facts.schema.items():
        bad = []
        for kind, line in lines.items():
            if line.status not in ("error", "retry"):
                continue
            if kind == SCHEMA_CHECK and not (UNREACHABLE.search(line.error) or REFUSED.search(line.error)):
                bad.append(line)
            elif SCHEMA.search(line.error):
                bad.append(line)
        if bad:
            first = min(bad, key=lambda line: line.started_at)
            out.findings.append(Finding(f"schema_drift:{base_id}", "schema_drift", first.started_at, {
                "base": names.get(base_id, str(base_id)), "base_id": base_id, "reason": first.error[:500]}))


def mapping_broken(facts: PortalFacts, now: datetime, out: Detected) -> None:
    if facts.missing_fields is None:
        return
    out.covered.add("mapping_broken")
    if facts.missing_fields:
        out.findings.append(Finding("mapping_broken", "mapping_broken", now,
                                    {"fields": sorted(facts.missing_fields)[:20]}))


def dead_letters(facts: PortalFacts, now: datetime, out: Detected) -> None:
    """Dead letters waiting for the administrator: one incident while any are there (new ones while it is open
    only update it), resolved when the list is empty again (replayed or discarded)."""
    if facts.dead_letters is None:
        return
    out.covered.add("dead_letters")
    letters = facts.dead_letters
    if letters.count:
        out.findings.append(Finding("dead_letters", "dead_letters", letters.newest_at or now, {
            "count": letters.count, "reason": letters.newest_reason[:300]}))


def stream_stale(facts: PortalFacts, now: datetime, out: Detected) -> None:
    if facts.streams is None or facts.needs_reauth:
        # Without a token no stream can run: the re-authorisation incident already says so and what to do.
        return
    out.covered.add("stream_stale")
    for stream in facts.streams:
        allowed = timedelta(seconds=stream.interval_seconds * STALE_INTERVALS) + STALE_GRACE
        since = stream.last_ok or stream.watched_since
        if now - since > allowed:
            key = f"stream_stale:{stream.stream}" + (f":{stream.base_id}" if stream.base_id is not None else "")
            out.findings.append(Finding(key, "stream_stale", since, {
                "stream": stream.stream, "base": stream.base_name, "base_id": stream.base_id,
                "interval": stream.interval_seconds,
                "last_ok": stream.last_ok.isoformat() if stream.last_ok else None}))


def detect(facts: PortalFacts, settings: AlertSettings, now: datetime) -> Detected:
    """Every detector over one portal's facts."""
    out = Detected()
    reauth(facts, out)
    base_down(facts, settings, now, out)
    schema_drift(facts, out)
    mapping_broken(facts, now, out)
    dead_letters(facts, now, out)
    stream_stale(facts, now, out)
    return out
