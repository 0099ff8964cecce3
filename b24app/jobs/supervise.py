"""Keeping a worker or the scheduler alive across a Redis restart.

RQ's worker and cron scheduler stop with an exception when their Redis connection breaks. A Redis restart (or
failover) must delay work, not end the process and wait for a supervisor: this loop waits for Redis to answer
again, with backoff, and starts the loop anew. Nothing is lost meanwhile: what Redis forgot (queued jobs) is
re-enqueued from the database by the outbox sweeper.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from b24app.core.backoff import backoff_delay
from b24app.core.clock import Clock

log = logging.getLogger(__name__)

REDIS_LOST = (RedisConnectionError, RedisTimeoutError)


def wait_for_redis(redis: Redis, clock: Clock, *, cap: float = 10.0) -> int:
    """Block until Redis answers PING; returns how many tries failed."""
    failed = 0
    while True:
        try:
            redis.ping()
            return failed
        except REDIS_LOST as exc:
            delay = backoff_delay(failed, 0.2, cap)
            if failed % 10 == 0:
                log.warning("Redis is not answering (%s); trying again in %.1f s", exc, delay)
            failed += 1
            clock.sleep(delay)


def supervise(run: Callable[[], object], redis: Redis, clock: Clock, *, what: str) -> None:
    """Run `run()` until it returns anything but False; when it dies because Redis went away, or returns False
    (its loop ended without being asked to stop), wait for Redis and run it again."""
    while True:
        try:
            if run() is not False:
                return
            log.warning("%s ended without being asked to stop; starting it again", what)
        except REDIS_LOST as exc:
            log.warning("%s lost Redis (%s); waiting for it to come back", what, exc)
        wait_for_redis(redis, clock)
        log.info("Redis answers; restarting the %s", what)
