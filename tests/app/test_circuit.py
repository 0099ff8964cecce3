"""The per-base circuit breaker on real Redis with a clock the test moves: it opens on a connection failure or a
run of 5xx, lets one probe through when the period ends, doubles the period when the probe fails, and closes on
an answer."""

from __future__ import annotations

import pytest

from b24app.config import SyncTuning
from b24app.core.errors import BaseUnavailable
from b24app.jobs.circuit import BaseCircuit
from b24app.onec.errors import OneCError, OneCQueryError, OneCUnavailable
from b24app.store.keys import RedisKeys
from tests.support.clock import FakeClock

TUNING = SyncTuning(circuit_seconds=30, circuit_cap_seconds=120, circuit_5xx_run=3, lease_seconds=60)


@pytest.fixture
def make(redis_client, queue_prefix):
    clock = FakeClock()

    def circuit() -> BaseCircuit:
        return BaseCircuit(redis_client, RedisKeys(queue_prefix), "m" * 32, 7, TUNING, clock)

    circuit.clock = clock
    return circuit


def _fail(circuit: BaseCircuit, exc: Exception) -> None:
    with pytest.raises((BaseUnavailable, type(exc))), circuit.watch():
        raise exc


def test_connection_failure_opens_then_one_probe_closes(make):
    first = make()
    first.check("ut")
    _fail(first, OneCUnavailable("", "connection refused", None, "ut"))
    with pytest.raises(BaseUnavailable) as waiting:
        make().check("ut")
    assert waiting.value.retry_at == pytest.approx(make.clock.now().timestamp() + 30)
    make.clock.advance(31)
    probe = make()
    probe.check("ut")  # the one probe
    with pytest.raises(BaseUnavailable):
        make().check("ut")  # everyone else still waits while it probes
    with probe.watch():
        pass  # 1C answered
    make().check("ut")  # closed


def test_a_failed_probe_doubles_the_wait_up_to_the_cap(make):
    _fail(make(), OneCUnavailable("", "connection refused", None, "ut"))
    waits = []
    for _ in range(4):
        with pytest.raises(BaseUnavailable) as exc:
            make().check("ut")
        waits.append(exc.value.retry_at - make.clock.now().timestamp())
        make.clock.advance(waits[-1] + 1)
        probe = make()
        probe.check("ut")
        _fail(probe, OneCUnavailable("", "connection refused", None, "ut"))
    assert [round(w) for w in waits] == [30, 60, 120, 120]


def test_a_run_of_5xx_opens_it_and_an_answer_in_between_resets_the_run(make):
    error = OneCUnavailable("", "HTTP 500", 500, "ut")
    for _ in range(2):
        with pytest.raises(OneCUnavailable):
            with make().watch():
                raise error
    with pytest.raises(OneCQueryError), make().watch():
        raise OneCQueryError("6", "bad field", 400, "ut")  # 1C answered: the run starts over
    for _ in range(2):
        with pytest.raises(OneCUnavailable):
            with make().watch():
                raise error
    make().check("ut")
    with pytest.raises(BaseUnavailable), make().watch():
        raise error
    with pytest.raises(BaseUnavailable):
        make().check("ut")


def test_the_gateway_saying_503_opens_it_at_once(make):
    _fail(make(), OneCUnavailable("", "HTTP 503 Service Unavailable", 503, "ut"))
    with pytest.raises(BaseUnavailable):
        make().check("ut")


def test_a_probe_meeting_1c_internal_errors_pays_an_attempt_and_keeps_it_open(make):
    internal = OneCError("-1", "Произошла внутренняя ошибка OData сервиса", 500, "ut")
    for _ in range(2):
        with pytest.raises(OneCError):
            with make().watch():
                raise internal
    with pytest.raises(BaseUnavailable), make().watch():
        raise internal  # the third in a row opens it; this item waits for free
    with pytest.raises(BaseUnavailable):
        make().check("ut")
    make.clock.advance(31)
    probe = make()
    probe.check("ut")
    with pytest.raises(OneCError) as raised, probe.watch():
        raise internal
    assert not isinstance(raised.value, BaseUnavailable)  # the probing item spends an attempt
    with pytest.raises(BaseUnavailable) as waiting:
        make().check("ut")
    assert waiting.value.retry_at - make.clock.now().timestamp() == pytest.approx(60)  # reopened for longer
