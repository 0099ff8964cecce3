"""The tab cache against real Redis: fresh entries, bounded refreshes, and one refresh for a stampede."""

from __future__ import annotations

import threading
import time

from b24app.onec.errors import OneCUnavailable
from b24app.store.keys import RedisKeys
from b24app.web.tab_cache import TabCache


class SlowJob:
    """A refresh that takes `seconds`, counts its calls and returns `data` (or raises `error`)."""

    def __init__(self, seconds: float, data: object = "fresh", error: Exception | None = None) -> None:
        self.seconds, self.data, self.error = seconds, data, error
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
        time.sleep(self.seconds)
        if self.error is not None:
            raise self.error
        return self.data


def crowd(n: int, target) -> list:
    """Run `target()` in n threads released together; their results in order."""
    results: list = [None] * n
    gate = threading.Barrier(n)

    def run(i: int) -> None:
        gate.wait()
        results[i] = target()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


def test_stale_entry_is_refreshed_once_and_the_others_render_it(redis_client, queue_prefix):
    cache = TabCache(redis_client, RedisKeys(queue_prefix), fresh_seconds=60)
    key = cache.key("m" * 32, "deal", "7", 1)
    cache.store(key, "old", as_of=time.time() - 600)
    job = SlowJob(0.4)
    started = time.monotonic()
    outcomes = crowd(12, lambda: cache.load({key: job}, time.monotonic() + 2.0)[key])
    assert job.calls == 1
    refreshed = [o for o in outcomes if o.entry.data == "fresh"]
    stale = [o for o in outcomes if o.entry.data == "old"]
    assert len(refreshed) == 1 and refreshed[0].fresh
    assert len(stale) == 11 and all(not o.fresh and o.error is None for o in stale)
    assert time.monotonic() - started < 1.5
    assert cache.get(key).data == "fresh"
    # The lock is gone with the refresh: the next stale read refreshes again.
    cache.store(key, "old", as_of=time.time() - 600)
    assert cache.load({key: job}, time.monotonic() + 2.0)[key].entry.data == "fresh" and job.calls == 2


def test_missing_entry_waiters_get_the_one_refresh(redis_client, queue_prefix):
    cache = TabCache(redis_client, RedisKeys(queue_prefix))
    key = cache.key("m" * 32, "company", "3", 2)
    job = SlowJob(0.3, data={"debt": "10.00"})
    outcomes = crowd(8, lambda: cache.load({key: job}, time.monotonic() + 2.0)[key])
    assert job.calls == 1
    assert all(o.entry is not None and o.entry.data == {"debt": "10.00"} and o.fresh for o in outcomes)


def test_waiters_give_up_at_their_deadline_or_when_the_refresh_fails(redis_client, queue_prefix):
    cache = TabCache(redis_client, RedisKeys(queue_prefix))
    slow_key = cache.key("m" * 32, "deal", "8", 1)
    slow = SlowJob(1.5)
    started = time.monotonic()
    outcomes = crowd(4, lambda: cache.load({slow_key: slow}, time.monotonic() + 0.5)[slow_key])
    elapsed = time.monotonic() - started
    assert slow.calls == 1 and elapsed < 1.0
    assert all(o.entry is None and o.error == "timeout" for o in outcomes)

    down_key = cache.key("m" * 32, "deal", "9", 1)
    down = SlowJob(0.2, error=OneCUnavailable("", "Service Unavailable", 503, "ut"))
    started = time.monotonic()
    outcomes = crowd(4, lambda: cache.load({down_key: down}, time.monotonic() + 3.0)[down_key])
    assert down.calls == 1 and time.monotonic() - started < 1.5  # nobody waits for a refresh that failed
    assert sorted(o.error for o in outcomes) == ["unreachable"] * 4
