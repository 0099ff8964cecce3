"""The shared leaky bucket against a real Redis (DB 2), including two processes sharing one key."""

from __future__ import annotations

import multiprocessing
import time

import pytest
import redis

from b24app.bitrix.ratelimit import LimiterTimeout, RateLimiter


def portal_bucket_peak(admissions: list[float], rate: float) -> float:
    """Replay admission times through the portal's leaky bucket (limits.md) and return the highest level."""
    level, last, peak = 0.0, None, 0.0
    for at in sorted(admissions):
        if last is not None:
            level = max(0.0, level - (at - last) * rate)
        level += 1
        last = at
        peak = max(peak, level)
    return peak


def test_a_burst_goes_at_once_then_requests_follow_at_the_rate(redis_client) -> None:
    limiter = RateLimiter(redis_client, "t:burst", rate=20, burst=10, margin=0)
    started = time.monotonic()
    waits = [limiter.acquire() for _ in range(10)]
    burst_took = time.monotonic() - started
    assert waits == [0.0] * 10 and burst_took < 0.2

    times = []
    for _ in range(10):
        limiter.acquire()
        times.append(time.monotonic())
    # ten more at 20/s: about 0.5 s, spaced about 50 ms apart
    assert 0.4 <= times[-1] - started <= 0.8
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.035


def test_margin_keeps_slots_of_the_burst_free(redis_client) -> None:
    limiter = RateLimiter(redis_client, "t:margin", rate=1, burst=10, margin=3)
    assert [limiter.acquire(timeout=0) for _ in range(7)] == [0.0] * 7
    with pytest.raises(LimiterTimeout):
        limiter.acquire(timeout=0)


def test_a_timeout_shorter_than_the_wait_raises_and_reserves_nothing(redis_client) -> None:
    limiter = RateLimiter(redis_client, "t:timeout", rate=2, burst=2, margin=0)
    limiter.acquire()
    limiter.acquire()
    with pytest.raises(LimiterTimeout) as caught:
        limiter.acquire(timeout=0.1)
    assert 0.4 <= caught.value.needed <= 0.5 and "t:timeout" in str(caught.value)
    # nothing was reserved: the next slot is still ~0.5 s away, not ~1 s
    started = time.monotonic()
    assert 0.35 <= limiter.acquire(timeout=1.0) <= 0.5
    assert time.monotonic() - started >= 0.35


def test_saturate_makes_every_holder_of_the_key_wait(redis_client) -> None:
    first = RateLimiter(redis_client, "t:sat", rate=10, burst=5, margin=0)
    second = RateLimiter(redis_client, "t:sat", rate=10, burst=5, margin=0)
    first.saturate()
    assert 0.05 <= second.acquire() <= 0.12


def test_different_keys_do_not_share_a_bucket(redis_client) -> None:
    a = RateLimiter(redis_client, "t:a", rate=1, burst=2, margin=0)
    b = RateLimiter(redis_client, "t:b", rate=1, burst=2, margin=0)
    for limiter in (a, a, b, b):
        assert limiter.acquire(timeout=0) == 0.0


def test_invalid_settings_are_refused(redis_client) -> None:
    with pytest.raises(ValueError):
        RateLimiter(redis_client, "t:x", rate=0)
    with pytest.raises(ValueError):
        RateLimiter(redis_client, "t:x", rate=2, burst=3, margin=3)


def _worker(
    db: int, key: str, rate: float, burst: int, count: int, start_at: float, out: multiprocessing.Queue
) -> None:
    client = redis.Redis(host="127.0.0.1", port=6379, db=db)
    limiter = RateLimiter(client, key, rate=rate, burst=burst, margin=0)
    while time.time() < start_at:
        time.sleep(0.001)
    stamps = []
    for _ in range(count):
        limiter.acquire()
        stamps.append(time.time())
    out.put(stamps)


def test_two_processes_sharing_a_key_never_exceed_the_bucket_together(redis_client) -> None:
    rate, burst, per_process = 40.0, 10, 30
    db = redis_client.connection_pool.connection_kwargs["db"]
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start_at = time.time() + 1.0
    workers = [
        context.Process(target=_worker, args=(db, "t:shared", rate, burst, per_process, start_at, out))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    stamps = out.get(timeout=30) + out.get(timeout=30)
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0

    assert len(stamps) == 2 * per_process
    # a portal bucket of `burst` draining `rate`/s would have accepted every request (small timer slack)
    assert portal_bucket_peak(stamps, rate) <= burst + 0.5
    # and the shared bucket was used, not wasted: 60 requests with 10 at once take ~50/40 s
    span = max(stamps) - min(stamps)
    assert 1.1 <= span <= 1.6
