"""A circuit breaker per 1C base, shared by every worker through Redis.

Without it, 1C being down for a hundred events means a hundred jobs each spending its timeouts and in-call
retries against a dead server, and a hundred more on every retry wave. The circuit opens when a base does not
answer at all (or its web server says 502/503/504), or answers 5xx `circuit_5xx_run` times in a row; while it is
open, jobs for that base do not call it (`BaseUnavailable`, which the retry policy turns into "wait for the base"
without spending an attempt). When
the open period ends, exactly one job (the probe, a Redis NX lease) may try the base: success closes the circuit,
failure opens it again for twice as long, up to `circuit_cap_seconds` — so a base that is down for hours sees a
trickle of probes, not the backlog.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis

from b24app.config import SyncTuning
from b24app.core.clock import Clock
from b24app.core.errors import BaseUnavailable
from b24app.onec.errors import OneCAddressRefused, OneCError, OneCUnavailable
from b24app.store.keys import RedisKeys

# What the web server in front of 1C answers when 1C behind it is not there (the publication, not 1C, answers).
GATEWAY_DOWN = (502, 503, 504)


class BaseCircuit:
    def __init__(self, redis: Redis, keys: RedisKeys, member_id: str, base_id: int, tuning: SyncTuning,
                 clock: Clock) -> None:
        self.redis = redis
        self.key = keys.base_circuit(member_id, base_id)
        self.probe_key = keys.base_probe(member_id, base_id)
        self.base_id = base_id
        self.tuning = tuning
        self.clock = clock
        self._probing = False

    def check(self, label: str) -> None:
        """Raise BaseUnavailable while the circuit is open; once it may close, let one probe through."""
        state = self.redis.hgetall(self.key)
        if not state or b"until" not in state:
            return
        now = self.clock.now().timestamp()
        until = float(state[b"until"])
        why = state.get(b"why", b"").decode()
        if now < until:
            raise BaseUnavailable(f"1C base {label} is unavailable ({why}); waiting until it answers again",
                                  self.base_id, until)
        lease = max(5, round(self.tuning.lease_seconds))
        if self.redis.set(self.probe_key, "1", nx=True, ex=lease):
            self._probing = True
            return
        raise BaseUnavailable(f"1C base {label} is being probed after an outage ({why})", self.base_id,
                              now + min(lease, self.tuning.circuit_seconds))

    @contextmanager
    def watch(self) -> Iterator[None]:
        """Count what the block meets and raise what the retry policy should see.

        - No connection, or 502/503/504 from the web server in front of 1C: the base is down. The circuit opens
          at once and the block raises BaseUnavailable (the item waits for the base, spending no attempt).
        - Any other 5xx (1C's own internal error): one more in a run; the run of `circuit_5xx_run` opens the
          circuit (BaseUnavailable). A probe that meets one reopens the circuit for longer and re-raises the
          error itself, so the probing item spends an attempt: a base that answers 500 to everything sees a
          trickle of probes, and an item 1C always fails on ends as a dead letter instead of waiting forever.
        - Anything else reached 1C and was answered: the run ends, a probe closes the circuit.
        - A refused address (OneCAddressRefused) never reached 1C, so it says nothing about 1C: the circuit is
          neither opened nor closed, a probe gives its turn back, and the error goes on (a permanent failure).
        """
        try:
            yield
        except OneCAddressRefused:
            self._release_probe()
            raise
        except OneCError as exc:
            status = exc.http_status
            if isinstance(exc, OneCUnavailable) and (status is None or status in GATEWAY_DOWN):
                retry_at = self._open(exc.message[:300])
                raise BaseUnavailable(f"1C base {exc.base or self.base_id} is unavailable: {exc.message}",
                                      self.base_id, retry_at) from exc
            if status is not None and status >= 500:
                probing = self._probing
                if probing or self._run_complete():
                    retry_at = self._open(exc.message[:300])
                    if probing:
                        raise
                    raise BaseUnavailable(f"1C base {exc.base or self.base_id} keeps failing: {exc.message}",
                                          self.base_id, retry_at) from exc
                raise
            self._answered()
            raise
        except BaseException:
            self._answered()
            raise
        self._answered()

    def _run_complete(self) -> bool:
        """Count one more 5xx in a row; True when the run is long enough to open the circuit."""
        run_key = self.key + ":5xx"
        pipe = self.redis.pipeline()
        pipe.incr(run_key)
        # "In a row" ends with an answer (`_answered`), not with time: a slow worker meeting 5xx now and then must
        # still trip the circuit, so the run only expires when it has gone stale.
        pipe.expire(run_key, max(60, round(self.tuning.circuit_cap_seconds)))
        run = pipe.execute()[0]
        return int(run) >= self.tuning.circuit_5xx_run

    def _open(self, why: str) -> float:
        previous = self.redis.hget(self.key, "seconds")
        seconds = self.tuning.circuit_seconds
        if previous is not None and self._probing:
            seconds = min(self.tuning.circuit_cap_seconds, float(previous) * 2)
        until = self.clock.now().timestamp() + seconds
        pipe = self.redis.pipeline()
        pipe.hset(self.key, mapping={"until": until, "seconds": seconds, "why": why})
        pipe.expire(self.key, round(self.tuning.circuit_cap_seconds * 4))
        pipe.delete(self.key + ":5xx", self.probe_key)
        pipe.execute()
        self._probing = False
        return until

    def _release_probe(self) -> None:
        if self._probing:
            self.redis.delete(self.probe_key)
            self._probing = False

    def _answered(self) -> None:
        if self._probing:
            self.redis.delete(self.key, self.key + ":5xx", self.probe_key)
            self._probing = False
        else:
            self.redis.delete(self.key + ":5xx")
