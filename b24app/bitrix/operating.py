"""Per-method execution-time budget of a portal, shared through Redis.

Every answer carries ``time.operating`` (seconds the method has used in the last 10 minutes, summed in one-minute
baskets) and ``time.operating_reset_at`` (Unix time when the oldest basket is dropped). A method whose sum passes
the limit (480 s in 10 minutes on the cloud) is blocked with HTTP 429 ``OPERATION_TIME_LIMIT`` for the whole
portal until baskets drop (``limits.md``, "Resource Intensity Limits"). We keep the last figures per method and
portal in Redis, and before a call to a method near the limit we wait for its reset instead of getting blocked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from redis import Redis

from b24app.bitrix.errors import OperationTimeLimit

log = logging.getLogger(__name__)

# limits.md: "If the total execution time ... exceeds 480 seconds within a 10-minute period, this method is
# blocked". The window is ten one-minute baskets.
OPERATING_LIMIT = 480.0
OPERATING_WINDOW = 600.0


class OperatingBudget:
    """What we last heard of each method's ``operating`` sum on one portal, and the wait it calls for."""

    def __init__(
        self,
        redis: Redis,
        key: str,
        *,
        limit: float = OPERATING_LIMIT,
        headroom: float = 60.0,
        max_wait: float = OPERATING_WINDOW,
    ) -> None:
        self.redis = redis
        self.key = key
        self.limit = limit
        self.headroom = headroom
        self.max_wait = max_wait

    @classmethod
    def for_portal(cls, redis: Redis, member_id: str, **options: float) -> OperatingBudget:
        """The budget record every process uses for the portal ``member_id``."""
        return cls(redis, f"b24:operating:{member_id}", **options)

    def record(self, method: str, timing: Mapping[str, Any] | None) -> None:
        """Remember ``operating``/``operating_reset_at`` from an answer's ``time`` block, if it has them."""
        if not timing or "operating" not in timing:
            return
        try:
            operating = float(timing["operating"])
            reset_at = float(timing.get("operating_reset_at") or 0.0)
        except (TypeError, ValueError):
            return
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(self.key, method, f"{operating:.6f} {reset_at:.3f}")
        pipe.expire(self.key, int(OPERATING_WINDOW) + 60)
        pipe.execute()

    def state(self, method: str) -> tuple[float, float] | None:
        """``(operating, reset_at)`` last seen for ``method``, or None."""
        raw = self.redis.hget(self.key, method)
        if raw is None:
            return None
        operating_text, reset_text = (raw.decode() if isinstance(raw, bytes) else raw).split()
        return float(operating_text), float(reset_text)

    def reset_at(self, method: str) -> float | None:
        """When part of ``method``'s budget frees, as last reported, or None."""
        state = self.state(method)
        return state[1] if state and state[1] > 0 else None

    def wait_if_near_limit(self, method: str) -> float:
        """Sleep until ``operating_reset_at`` when ``method`` is within ``headroom`` of the limit.

        Returns the seconds slept. Raises OperationTimeLimit (without sleeping) when the reset is further away
        than ``max_wait``, so a caller on a short deadline fails fast with the reset time.
        """
        state = self.state(method)
        if state is None:
            return 0.0
        operating, reset_at = state
        wait = reset_at - time.time()
        if operating < self.limit - self.headroom or wait <= 0:
            return 0.0
        if wait > self.max_wait:
            raise OperationTimeLimit(
                "OPERATION_TIME_LIMIT",
                f"operating {operating:.1f} s of {self.limit:.0f} s; not calling until the budget frees",
                method,
                None,
                reset_at=reset_at,
            )
        log.warning("bitrix %s: operating %.1f s near the limit, waiting %.1f s", method, operating, wait)
        time.sleep(wait)
        return wait
