"""Request intensity and resource limits as limits.md describes them (bitrix24/b24restdocs: limits.md).

* Leaky bucket per portal and per calling IP: each request adds 1, the counter drains ``rate`` per second;
  once the counter exceeds ``burst`` every further request gets 503 QUERY_LIMIT_EXCEEDED.
* Per-method operating time: the summed execution time of a method within 10 minutes; past the threshold
  (480 s on the cloud) the method is blocked with 429 OPERATION_TIME_LIMIT (_includes/system-errors.md).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

OPERATING_WINDOW = 600.0  # limits.md: "480 seconds within a 10-minute period"


@dataclass
class _Bucket:
    level: float = 0.0
    updated: float = 0.0


@dataclass
class _MethodClock:
    entries: deque[tuple[float, float]] = field(default_factory=deque)  # (finished_at, seconds)
    total: float = 0.0


class LeakyBucket:
    """Leaky-bucket counters keyed by calling IP (the sandbox is one portal, so the key is the IP)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, at: float) -> bool:
        """Count one request; False means the counter was already over ``burst`` and the request is refused.

        A refused request is not added to the counter: limits.md says blocked requests are refused, not that
        they keep filling the bucket, so a client that backs off recovers at the drain rate.
        """
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(0.0, at))
            bucket.level = max(0.0, bucket.level - (at - bucket.updated) * self.rate)
            bucket.updated = at
            if bucket.level > self.burst:
                return False
            bucket.level += 1.0
            return True

    def level(self, key: str, at: float) -> float:
        """The current counter for ``key`` after draining (for the control API)."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return 0.0
            return max(0.0, bucket.level - (at - bucket.updated) * self.rate)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


class OperatingClock:
    """Sums per-method execution time over a sliding 10-minute window."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._methods: dict[str, _MethodClock] = {}
        self._lock = threading.Lock()

    def _trim(self, clock: _MethodClock, at: float) -> None:
        while clock.entries and clock.entries[0][0] <= at - OPERATING_WINDOW:
            _, seconds = clock.entries.popleft()
            clock.total -= seconds

    def blocked(self, method: str, at: float) -> bool:
        """True when the method's summed time in the window is past the limit."""
        with self._lock:
            clock = self._methods.get(method)
            if clock is None:
                return False
            self._trim(clock, at)
            return clock.total > self.limit

    def add(self, method: str, at: float, seconds: float) -> tuple[float, int | None]:
        """Record one execution; returns the method's summed time and when its oldest part frees."""
        with self._lock:
            clock = self._methods.setdefault(method, _MethodClock())
            self._trim(clock, at)
            clock.entries.append((at, seconds))
            clock.total += seconds
            reset_at = int(clock.entries[0][0] + OPERATING_WINDOW) if clock.entries else None
            return clock.total, reset_at

    def reset(self) -> None:
        with self._lock:
            self._methods.clear()
