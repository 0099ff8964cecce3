"""Per-entity cache of what the card tabs show, in Redis, one entry per (portal, entity, 1C base).

A tab render reads the entry; a fresh one is shown at once. A missing or stale one is refreshed from 1C in a
worker thread while the request waits at most until its deadline (`PortalSettings.tab_timeout_seconds`); when
1C answers too late or fails, the last known data is shown with its "as of" time, and the late answer still
lands in the cache for the next render. The sync jobs keep entries warm by calling `store()`.
Entries outlive their freshness by far (KEEP_SECONDS): an old figure with its date beats a blank frame.

Stampede protection: when many requests (in any web process) find the same entry stale at once, only the one
that takes a short Redis lock refreshes it. The others render the stale entry at once, or, when there is no
entry at all, poll Redis for the refreshed one until their own deadline.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import LockError

from b24app.onec.errors import OneCAddressRefused, OneCError
from b24app.onec.profiles import ProfileError
from b24app.store.keys import RedisKeys

log = logging.getLogger(__name__)

FRESH_SECONDS = 120
KEEP_SECONDS = 30 * 24 * 3600
# Bounds how long a crashed refresher can keep others from refreshing; a live one releases the lock at once.
LOCK_SECONDS = 20
WAIT_POLL_SECONDS = 0.05
# One pool per process: refreshes of several bases run side by side, and a slow 1C never holds a web worker
# beyond the request's deadline.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="tab-refresh")


@dataclass(frozen=True)
class Entry:
    data: Any
    as_of: float  # Unix time the data was read from 1C

    def age(self, now: float | None = None) -> float:
        return (now or time.time()) - self.as_of


@dataclass(frozen=True)
class Outcome:
    """What a render gets for one base: data (maybe old), its time, and why it may be old."""

    entry: Entry | None
    fresh: bool
    error: str | None = None  # "unreachable" | "timeout" | "config" | "address"


class TabCache:
    def __init__(self, redis: Redis, keys: RedisKeys, *, fresh_seconds: float = FRESH_SECONDS) -> None:
        self.redis = redis
        self.keys = keys
        self.fresh_seconds = fresh_seconds

    def key(self, member_id: str, entity: str, entity_id: str, base_id: int) -> str:
        return self.keys.tab_data(member_id, entity, entity_id, base_id)

    def get(self, key: str) -> Entry | None:
        return _entry(self.redis.get(key))

    def get_many(self, keys: list[str]) -> list[Entry | None]:
        """The entries of `keys`, in order, read in one round trip (MGET)."""
        return [_entry(raw) for raw in self.redis.mget(keys)] if keys else []

    def store(self, key: str, data: Any, as_of: float | None = None) -> Entry:
        entry = Entry(data, as_of or time.time())
        self.redis.set(key, json.dumps({"data": data, "as_of": entry.as_of}, ensure_ascii=False), ex=KEEP_SECONDS)
        return entry

    def invalidate(self, key: str) -> None:
        self.redis.delete(key)

    def _lock_name(self, key: str) -> str:
        return self.keys.tab_lock(key)

    def _lock(self, key: str):
        # thread_local=False: taken by the request thread, released by the pool thread that did the refresh.
        return self.redis.lock(self._lock_name(key), timeout=LOCK_SECONDS, blocking=False, thread_local=False)

    def load(self, jobs: dict[str, Callable[[], Any]], deadline: float) -> dict[str, Outcome]:
        """For each key: the cached entry if fresh, else a refresh bounded by `deadline` (time.monotonic()).

        `jobs[key]()` reads 1C and returns JSON-able data; it runs in a pool thread. All stale keys refresh
        in parallel; the call returns by the deadline whatever happens.
        """
        outcomes: dict[str, Outcome] = {}
        pending: dict[str, Future] = {}
        waiting: list[str] = []
        cached = dict(zip(jobs, self.get_many(list(jobs)), strict=True))
        for key, job in jobs.items():
            entry = cached[key]
            if entry is not None and entry.age() < self.fresh_seconds:
                outcomes[key] = Outcome(entry, True)
                continue
            lock = self._lock(key)
            if lock.acquire():
                pending[key] = _POOL.submit(self._refresh, key, job, lock)
            elif entry is not None:
                outcomes[key] = Outcome(entry, False)  # another request is refreshing it: show what we have
            else:
                waiting.append(key)
        for key in waiting:
            outcomes[key] = self._wait_for(key, deadline)
        for key, future in pending.items():
            remaining = deadline - time.monotonic()
            try:
                outcomes[key] = Outcome(future.result(timeout=max(0.0, remaining)), True)
            except FutureTimeout:
                log.warning("tab refresh %s: 1C did not answer before the tab's deadline", key)
                outcomes[key] = Outcome(cached[key], False, "timeout")
            except ProfileError as exc:
                log.warning("tab refresh %s: profile problem: %s", key, exc)
                outcomes[key] = Outcome(cached[key], False, "config")
            except OneCAddressRefused as exc:
                # Not an outage: the base's address is one the deployment does not let the app call.
                log.warning("tab refresh %s: %s", key, exc)
                outcomes[key] = Outcome(cached[key], False, "address")
            except OneCError as exc:
                log.warning("tab refresh %s: %s", key, exc)
                outcomes[key] = Outcome(cached[key], False, "unreachable")
            except Exception:  # noqa: BLE001 - a tab shows last known data rather than a stack trace
                log.exception("tab refresh %s failed", key)
                outcomes[key] = Outcome(cached[key], False, "unreachable")
        return outcomes

    def _wait_for(self, key: str, deadline: float) -> Outcome:
        """The entry another request is refreshing, once it lands; a timeout outcome at the deadline."""
        while True:
            entry = self.get(key)
            if entry is not None:
                return Outcome(entry, entry.age() < self.fresh_seconds)
            if not self.redis.exists(self._lock_name(key)):
                return Outcome(None, False, "unreachable")  # the refresh ended without data: 1C failed
            if time.monotonic() >= deadline:
                log.warning("tab refresh %s: another request's refresh did not finish before the deadline", key)
                return Outcome(None, False, "timeout")
            time.sleep(min(WAIT_POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    def _refresh(self, key: str, job: Callable[[], Any], lock) -> Entry:
        started = time.time()
        try:
            data = job()
            return self.store(key, data, started)
        finally:
            try:
                lock.release()
            except LockError:
                pass  # expired while 1C was slow; whoever holds it now refreshes again, harmlessly


def _entry(raw: bytes | None) -> Entry | None:
    """A stored entry, or None when there is none or it cannot be read (then it is refreshed like a missing one)."""
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
        return Entry(doc["data"], float(doc["as_of"]))
    except (ValueError, KeyError, TypeError):
        return None
