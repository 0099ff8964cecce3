"""What a job needs to run: the process's AppContext and the app's queues.

Jobs take IDs (member_id, entity id), never live objects; they rebuild what they need from here.
"""

from __future__ import annotations

from functools import lru_cache

from redis import Redis
from rq import Queue

from b24app.config import Settings
from b24app.context import AppContext


@lru_cache(maxsize=1)
def job_context() -> AppContext:
    """The worker process's context, built from the environment once (a cache, not shared state)."""
    return AppContext(Settings.from_env())


def queue_name(prefix: str, name: str) -> str:
    return f"{prefix}-{name}"


QUEUES = ("tokens", "default")


def queues(redis: Redis, prefix: str) -> list[Queue]:
    """The app's queues in priority order: token upkeep first, so sync never waits behind itself for a token."""
    return [Queue(queue_name(prefix, q), connection=redis) for q in QUEUES]


def queue(ctx: AppContext, name: str) -> Queue:
    return Queue(queue_name(ctx.settings.queue_prefix, name), connection=ctx.redis)
