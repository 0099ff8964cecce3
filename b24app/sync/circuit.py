"""A circuit breaker per 1C base: once a base answered "unavailable", jobs for it fail at once for a while.

Without it, 1C being down for a hundred events means a hundred jobs each spending its timeouts and in-call
retries against a dead server, and a hundred more on every retry wave. The mark lives in Redis, so every worker
sees it; it expires by itself, and the first job after it probes the base again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from b24app.context import AppContext
from b24app.onec.errors import OneCUnavailable
from b24app.sync.errors import SyncError
from b24app.sync.tuning import SyncTuning


class BaseUnavailable(SyncError):
    """The 1C base failed recently; retried after the backoff."""


class BaseCircuit:
    def __init__(self, ctx: AppContext, member_id: str, base_id: int, tuning: SyncTuning) -> None:
        self.redis = ctx.redis
        self.key = f"{ctx.settings.queue_prefix}:onec-down:{member_id}:{base_id}"
        self.seconds = tuning.circuit_seconds

    def check(self, label: str) -> None:
        why = self.redis.get(self.key)
        if why is not None:
            raise BaseUnavailable(f"1C base {label} was unreachable moments ago ({why.decode()}); will retry")

    @contextmanager
    def watch(self) -> Iterator[None]:
        """Open the circuit when the block meets an unavailable base."""
        try:
            yield
        except OneCUnavailable as exc:
            self.redis.set(self.key, exc.message[:300], ex=max(1, round(self.seconds)))
            raise
