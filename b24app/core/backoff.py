"""The one backoff formula of the app: exponential with "equal jitter".

Retry n (counted from 0) waits between half and all of min(cap, base * 2**n). The jitter spreads out the retries
of many items failed by one outage so they do not all arrive together when the other side comes back, and the
lower half-bound keeps a retry from coming back at once. Used by the Bitrix24 client's in-call retries, the 1C
client's in-call retries and the exchange's retries of whole items.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delay(retry: int, base: float, cap: float, uniform: Callable[[float, float], float] = random.uniform
                  ) -> float:
    """Seconds to wait before retry number `retry` (0 = the first retry)."""
    ceiling = min(cap, base * (2 ** max(retry, 0)))
    return uniform(ceiling / 2, ceiling)
