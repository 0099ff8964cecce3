"""How patient the Bitrix24 → 1C exchange is: leases, attempts and backoff, read from the environment.

Defaults suit production; tests and the benchmark shorten them (e.g. `B24APP_SYNC_LEASE_SECONDS=3`) so a
killed worker's item comes back in seconds rather than minutes.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class SyncTuning:
    # An item being worked on is hidden from the sweeper this long; a killed worker's item reappears after it.
    lease_seconds: float = 120.0
    # Attempts before an item becomes a dead letter (the first run counts).
    max_attempts: int = 6
    # Retry n waits about base * 2**n seconds (with jitter), capped.
    retry_base_seconds: float = 10.0
    retry_cap_seconds: float = 1800.0
    # After 1C answered "unavailable", jobs for that base fail at once for this long instead of each waiting
    # out its own timeouts and retries against a base that is down.
    circuit_seconds: float = 30.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SyncTuning:
        env = os.environ if environ is None else environ
        base = cls()
        return cls(
            lease_seconds=float(env.get("B24APP_SYNC_LEASE_SECONDS") or base.lease_seconds),
            max_attempts=int(env.get("B24APP_SYNC_MAX_ATTEMPTS") or base.max_attempts),
            retry_base_seconds=float(env.get("B24APP_SYNC_RETRY_BASE_SECONDS") or base.retry_base_seconds),
            retry_cap_seconds=float(env.get("B24APP_SYNC_RETRY_CAP_SECONDS") or base.retry_cap_seconds),
            circuit_seconds=float(env.get("B24APP_SYNC_CIRCUIT_SECONDS") or base.circuit_seconds),
        )

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (1-based): exponential with "equal jitter", so retries of
        many items failed by one outage spread out instead of arriving together when 1C comes back."""
        ceiling = min(self.retry_cap_seconds, self.retry_base_seconds * (2 ** max(attempt - 1, 0)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def retry_intervals(self) -> list[int]:
        """RQ `Retry(interval=...)` for the retries after the first run (whole seconds, at least 1)."""
        return [max(1, round(self.backoff(n))) for n in range(1, self.max_attempts)]
