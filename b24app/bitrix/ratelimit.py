"""A leaky bucket in Redis that every process calling one portal shares.

Bitrix24 counts requests per portal and per calling IP in a leaky bucket: each request adds 1, the counter
drains ``Y`` per second, and once it exceeds ``X`` requests get HTTP 503 ``QUERY_LIMIT_EXCEEDED``
(``limits.md``: Y = 2/s and X = 50 on ordinary plans, 5/s and 250 on Enterprise). Our web, worker and scheduler
processes all reach the portal from the same addresses, so they must draw from ONE bucket that mirrors the
portal's: the level and the time it was last drained live in a Redis hash and are updated by a Lua script, so
check-and-add is atomic across processes and machines. Time comes from the Redis server's clock, the one clock
every process shares.

A request that does not fit is not refused: the script reserves the next free slot (the level may go above
capacity, which then means "slots promised to waiting callers") and says how long to sleep. Waiters are thus
served in arrival order with no polling, and when each one's sleep ends the bucket is exactly at capacity.
"""

from __future__ import annotations

import time

from redis import Redis

# Leaky bucket: drain the level by rate x elapsed, add the cost, and when that overflows the capacity answer
# how long until it will not (reserving the slot unless that is longer than the caller will wait).
# ARGV: rate, capacity, max_wait (negative = unbounded), cost.  Returns {reserved 0|1, wait seconds}.
# KEYS[2], when given, counts the reservations that must wait (fields `count`, `seconds`) for /metrics, in the
# same call so that counting costs no round trip.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'level', 'ts')
local level = tonumber(state[1]) or 0
local ts = tonumber(state[2]) or now
local elapsed = now - ts
if elapsed < 0 then elapsed = 0 end
level = level - elapsed * rate
if level < 0 then level = 0 end
local wanted = level + cost
local wait = 0
if wanted > capacity then wait = (wanted - capacity) / rate end
if max_wait >= 0 and wait > max_wait then
  return {0, string.format('%.6f', wait)}
end
redis.call('HSET', KEYS[1], 'level', string.format('%.6f', wanted), 'ts', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((wanted / rate + 1) * 1000))
if #KEYS >= 2 and wait > 0 then
  redis.call('HINCRBY', KEYS[2], 'count', 1)
  redis.call('HINCRBYFLOAT', KEYS[2], 'seconds', string.format('%.6f', wait))
end
return {1, string.format('%.6f', wait)}
"""

# The portal told us its bucket is full although ours was not (another app on our IP, a clock step): raise our
# level to capacity so every process sharing the key slows down, not only the one that was refused.
_SATURATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'level', 'ts')
local level = tonumber(state[1]) or 0
local ts = tonumber(state[2]) or now
local elapsed = now - ts
if elapsed < 0 then elapsed = 0 end
level = level - elapsed * rate
if level < capacity then level = capacity end
redis.call('HSET', KEYS[1], 'level', string.format('%.6f', level), 'ts', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((level / rate + 1) * 1000))
return string.format('%.6f', level)
"""

# Defaults of ordinary cloud plans (limits.md); Enterprise portals use rate=5, burst=250.
DEFAULT_RATE = 2.0
DEFAULT_BURST = 50
# Slots of the portal's burst we never use. The portal drains "by Y once per second" (limits.md), i.e. possibly
# in whole-second steps while we drain continuously, and network jitter can bunch requests we spaced evenly;
# a few slots of headroom absorb both. Only the initial burst pays for it, not the sustained rate.
DEFAULT_MARGIN = 3


class LimiterTimeout(TimeoutError):
    """The bucket could not admit a request within the caller's timeout; nothing was reserved."""

    def __init__(self, key: str, needed: float, timeout: float) -> None:
        self.key = key
        self.needed = needed
        self.timeout = timeout
        super().__init__(
            f"rate limiter {key!r}: the next request may go in {needed:.2f} s, longer than the {timeout:.2f} s"
            " allowed; the portal's request budget is used up by this or other processes"
        )


class RateLimiter:
    """Admission to one portal's request bucket, shared through Redis by all our processes."""

    def __init__(
        self,
        redis: Redis,
        key: str,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        margin: int = DEFAULT_MARGIN,
        *,
        waits_key: str | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        if burst - margin < 1:
            raise ValueError(f"burst {burst} minus margin {margin} leaves no room for a single request")
        self.redis = redis
        self.key = key
        self.rate = float(rate)
        self.burst = burst
        self.margin = margin
        self.capacity = burst - margin
        self.waits_key = waits_key
        self._acquire = redis.register_script(_ACQUIRE)
        self._saturate = redis.register_script(_SATURATE)

    @classmethod
    def for_portal(
        cls,
        redis: Redis,
        member_id: str,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        margin: int = DEFAULT_MARGIN,
    ) -> RateLimiter:
        """The limiter every process uses for the portal ``member_id`` (one key per portal)."""
        return cls(redis, f"b24:ratelimit:{member_id}", rate=rate, burst=burst, margin=margin)

    def acquire(self, timeout: float | None = None) -> float:
        """Block until one request may be sent; return the seconds waited.

        With ``timeout``, raise LimiterTimeout at once (reserving nothing) when the wait would be longer.
        """
        max_wait = -1.0 if timeout is None else max(0.0, timeout)
        keys = [self.key] if self.waits_key is None else [self.key, self.waits_key]
        reserved, wait_text = self._acquire(keys=keys, args=[self.rate, self.capacity, max_wait, 1])
        wait = float(wait_text)
        if not int(reserved):
            raise LimiterTimeout(self.key, wait, max_wait)
        if wait > 0:
            time.sleep(wait)
        return wait

    def saturate(self) -> None:
        """Mark the bucket full, e.g. after the portal answered QUERY_LIMIT_EXCEEDED."""
        self._saturate(keys=[self.key], args=[self.rate, self.capacity])

    def __repr__(self) -> str:
        return f"RateLimiter(key={self.key!r}, rate={self.rate}, burst={self.burst}, margin={self.margin})"
