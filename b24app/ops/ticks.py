"""The scheduler's last tick, recorded in Redis so /metrics can tell a scheduler that stopped.

RQ's CronScheduler heartbeats into one registry shared by every deployment on the Redis (`rq:cron_schedulers`),
and forgets which queues a scheduler served two minutes after it stops (its hash expires). So on each of its
loop turns our scheduler also writes the time into a key of its own deployment; the age of that time is what
/metrics reports. Times are the Redis server's (TIME), the one clock every process shares.
"""

from __future__ import annotations

from redis import Redis
from rq.cron import CronScheduler


def redis_now(redis: Redis) -> float:
    seconds, micros = redis.time()
    return seconds + micros / 1_000_000


def record_tick(redis: Redis, key: str) -> None:
    redis.set(key, f"{redis_now(redis):.6f}")


def last_tick(redis: Redis, key: str) -> float | None:
    value = redis.get(key)
    return float(value) if value is not None else None


class TickingCronScheduler(CronScheduler):
    """RQ's CronScheduler that records each loop turn (it heartbeats once a turn, at least once a minute)."""

    def __init__(self, *args, tick_key: str, **kwargs) -> None:  # noqa: ANN002, ANN003 - CronScheduler's own
        super().__init__(*args, **kwargs)
        self.tick_key = tick_key

    def heartbeat(self) -> None:
        super().heartbeat()
        record_tick(self.connection, self.tick_key)
