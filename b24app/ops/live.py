"""What /metrics reads from Redis: the operations counters (rate-limit waits, token refreshes), the workers RQ
has registered for the app's queues, and the scheduler's last tick. One pipeline for all portals' counters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from redis import Redis
from rq import Queue, Worker

from b24app.ops.ticks import last_tick, redis_now
from b24app.store.keys import RedisKeys

REFRESH_OUTCOMES = ("ok", "failed", "refused")


@dataclass(frozen=True)
class PortalCounters:
    waits: int = 0
    wait_seconds: float = 0.0
    refreshes: dict[str, int] = field(default_factory=dict)


def _field(values: dict, name: str) -> bytes | None:
    return values.get(name.encode()) or values.get(name)


def portal_counters(redis: Redis, keys: RedisKeys, member_ids: Sequence[str]) -> dict[str, PortalCounters]:
    pipe = redis.pipeline(transaction=False)
    for member_id in member_ids:
        pipe.hgetall(keys.rate_limit_waits(member_id))
        pipe.hgetall(keys.token_refreshes(member_id))
    answers = pipe.execute() if member_ids else []
    out = {}
    for i, member_id in enumerate(member_ids):
        waits, refreshes = answers[2 * i], answers[2 * i + 1]
        out[member_id] = PortalCounters(
            waits=int(_field(waits, "count") or 0),
            wait_seconds=float(_field(waits, "seconds") or 0.0),
            refreshes={outcome: int(_field(refreshes, outcome) or 0) for outcome in REFRESH_OUTCOMES},
        )
    return out


def workers_by_queue(queues: Mapping[str, Queue]) -> dict[str, int]:
    """Workers alive per queue (keyed as given). `Worker.all` keeps only workers whose own key still exists: RQ
    lets that key expire when a worker stops heartbeating, so a killed worker drops out instead of being counted
    forever."""
    return {name: len(Worker.all(queue=queue)) for name, queue in queues.items()}


def tick_age(redis: Redis, key: str) -> float | None:
    """Seconds since the scheduler's last recorded tick; None if no scheduler ever ran on this Redis."""
    tick = last_tick(redis, key)
    return None if tick is None else max(0.0, redis_now(redis) - tick)
