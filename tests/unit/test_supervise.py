"""The worker's and scheduler's supervision loop, with a clock the test moves and a Redis stand-in that fails
PING a few times: it restarts the loop after a lost connection or a quiet end, and stops when asked to."""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError

from b24app.jobs.supervise import supervise
from tests.support.clock import FakeClock


class FlakyPing:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.pings = 0

    def ping(self) -> bool:
        self.pings += 1
        if self.failures:
            self.failures -= 1
            raise RedisConnectionError("Connection refused")
        return True


def test_a_lost_redis_and_a_quiet_end_restart_the_loop_and_a_stop_ends_it():
    runs: list[str] = []
    outcomes = iter(["lost", "quiet", "stop"])

    def run() -> bool:
        outcome = next(outcomes)
        runs.append(outcome)
        if outcome == "lost":
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")
        return outcome == "stop"

    redis, clock = FlakyPing(failures=3), FakeClock()
    supervise(run, redis, clock, what="worker")
    assert runs == ["lost", "quiet", "stop"]
    assert redis.pings == 3 + 2  # three refusals and an answer after the loss, one answer after the quiet end
    assert len(clock.slept) == 3 and all(0 < s <= 10 for s in clock.slept)  # backoff, never a busy loop
