"""The app's metrics as Prometheus families, computed on each scrape from the journal, the outbox and Redis.

Cost per scrape: four SQL queries (the portal list, two grouped journal queries, one grouped outbox query), one
Redis pipeline for the portals' counters, one Redis read per app queue for the workers, one for the tick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from redis import Redis
from rq import Queue

from b24app.ops import figures, live
from b24app.ops.exposition import Family
from b24app.store.db import Database
from b24app.store.keys import RedisKeys

PREFIX = "b24app"


@dataclass(frozen=True)
class Snapshot:
    """Everything a scrape read, before it is shaped into families (kept apart so each read is one call)."""

    portals: list[figures.PortalName]
    exchanges: list[figures.ExchangeGroup]
    transfers: list[figures.Transfers]
    backlog: list[figures.Backlog]
    counters: dict[str, live.PortalCounters]
    workers: dict[str, int]
    tick_age: float | None
    journal_days: int


def read(db: Database, redis: Redis, keys: RedisKeys, queues: Mapping[str, Queue], journal_days: int) -> Snapshot:
    """One scrape's reads; `queues` are the app's RQ queues by their short name (the `queue` label)."""
    portals = figures.portal_names(db)
    return Snapshot(
        portals=portals,
        exchanges=figures.exchanges(db),
        transfers=figures.transfers(db),
        backlog=figures.backlog(db),
        counters=live.portal_counters(redis, keys, [p.member_id for p in portals]),
        workers=live.workers_by_queue(queues),
        tick_age=live.tick_age(redis, keys.scheduler_tick()),
        journal_days=journal_days,
    )


def families(snap: Snapshot) -> list[Family]:
    domain = {p.id: p.domain for p in snap.portals}
    return [_exchanges(snap, domain), _transfer(snap, domain), *_backlog(snap, domain), *_counters(snap),
            *_processes(snap)]


def _exchanges(snap: Snapshot, domain: dict[int, str]) -> Family:
    family = Family(f"{PREFIX}_exchanges_total", "counter",
                    f"Exchanges in the journal by portal, kind (stream), direction and status, counted over the "
                    f"journal's retention window of {snap.journal_days} days (B24APP_JOURNAL_DAYS): the value "
                    f"drops when the daily retention job removes older rows.")
    for g in snap.exchanges:
        family.add(g.count, {"portal": domain.get(g.portal_id, str(g.portal_id)), "kind": g.kind,
                             "direction": g.direction, "status": g.status})
    return family


def _transfer(snap: Snapshot, domain: dict[int, str]) -> Family:
    family = Family(f"{PREFIX}_transfer_seconds", "histogram",
                    f"Duration of Bitrix24 -> 1C exchanges that ended ok, by portal and kind, from the journal's "
                    f"duration over its retention window of {snap.journal_days} days.")
    for t in snap.transfers:
        family.add_histogram({"portal": domain.get(t.portal_id, str(t.portal_id)), "kind": t.kind},
                             [ms / 1000 for ms in figures.TRANSFER_BUCKETS_MS], t.buckets, t.count,
                             t.duration_ms / 1000)
    return family


def _backlog(snap: Snapshot, domain: dict[int, str]) -> list[Family]:
    items = Family(f"{PREFIX}_outbox_items", "gauge",
                   "Bitrix24 events in the outbox by portal and state: pending (waiting or retrying), dead "
                   "(set aside, replayable), discarded (given up by an administrator; removed after the "
                   "retention window).")
    retrying = Family(f"{PREFIX}_outbox_retrying", "gauge",
                      "Pending outbox events that failed at least once and wait for their next attempt.")
    seen = {(b.portal_id, b.status): b for b in snap.backlog}
    for portal in snap.portals:
        for status in figures.BACKLOG_STATES:
            row = seen.get((portal.id, status))
            items.add(row.count if row else 0, {"portal": portal.domain, "status": status})
        pending = seen.get((portal.id, figures.PENDING))
        retrying.add(pending.retrying if pending else 0, {"portal": portal.domain})
    return [items, retrying]


def _counters(snap: Snapshot) -> list[Family]:
    waits = Family(f"{PREFIX}_ratelimit_waits_total", "counter",
                   "Requests to the portal that waited for its shared rate-limit bucket (since Redis last "
                   "started).")
    waited = Family(f"{PREFIX}_ratelimit_wait_seconds_total", "counter",
                    "Seconds requests to the portal spent waiting for its rate-limit bucket.")
    refreshes = Family(f"{PREFIX}_token_refreshes_total", "counter",
                       "OAuth token refreshes spent by outcome: ok, failed (will be retried), refused (the "
                       "portal needs re-authorisation).")
    for portal in snap.portals:
        counts = snap.counters.get(portal.member_id, live.PortalCounters())
        waits.add(counts.waits, {"portal": portal.domain})
        waited.add(counts.wait_seconds, {"portal": portal.domain})
        for outcome in live.REFRESH_OUTCOMES:
            refreshes.add(counts.refreshes.get(outcome, 0), {"portal": portal.domain, "outcome": outcome})
    return [waits, waited, refreshes]


def _processes(snap: Snapshot) -> list[Family]:
    workers = Family(f"{PREFIX}_workers", "gauge", "RQ workers alive (registered and heartbeating) per app queue.")
    for queue, count in snap.workers.items():
        workers.add(count, {"queue": queue})
    tick = Family(f"{PREFIX}_scheduler_last_tick_age_seconds", "gauge",
                  "Seconds since the scheduler last turned its loop (it does at least once a minute); absent "
                  "if no scheduler ever ran against this Redis.")
    if snap.tick_age is not None:
        tick.add(snap.tick_age)
    return [workers, tick]
