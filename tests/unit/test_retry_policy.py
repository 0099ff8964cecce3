"""The retry policy by error kind, with no Redis, database or HTTP: what each failure costs and when it is tried
again."""

from __future__ import annotations

import random

import pytest

from b24app.bitrix.errors import RateLimited
from b24app.bitrix.tokens import TokenUnavailable
from b24app.config import SyncTuning
from b24app.core.backoff import backoff_delay
from b24app.core.errors import BaseUnavailable, Busy, PermanentSyncError
from b24app.jobs.retry import Kind, decide, kind_of, plain_reason
from b24app.onec.errors import OneCAuthError, OneCQueryError, OneCUnavailable, SchemaMismatch

TUNING = SyncTuning(max_attempts=6, retry_base_seconds=10, retry_cap_seconds=1800)
NOW = 1_800_000_000.0


@pytest.mark.parametrize("exc", [
    PermanentSyncError("company without INN"),
    OneCAuthError("", "401 Unauthorized", 401, "ut"),
    SchemaMismatch("Document_ЗаказКлиента is not published", base="ut"),
    OneCQueryError("6", "field not found", 400, "ut"),
    TokenUnavailable("m", "invalid_grant", permanent=True),
])
def test_permanent_errors_are_dead_letters_after_one_attempt(exc):
    decision = decide(exc, 1, TUNING, NOW)
    assert decision.kind is Kind.PERMANENT and decision.delay is None and decision.counts


def test_wrong_1c_password_says_what_to_fix():
    reason = plain_reason(OneCAuthError("", "401 Unauthorized", 401, "ООО Ромашка (УТ 11)"))
    assert "login or password" in reason and "ООО Ромашка" in reason and "settings" in reason


@pytest.mark.parametrize("exc", [
    OneCUnavailable("", "HTTP 500", 500, "ut"),
    RateLimited("QUERY_LIMIT_EXCEEDED", "too many", "batch", 503),
    TimeoutError("read timed out"),
    TokenUnavailable("m", "another process is refreshing", permanent=False),
    RuntimeError("a bug"),
])
def test_transient_errors_back_off_then_die_after_the_last_attempt(exc):
    delays = [decide(exc, n, TUNING, NOW).delay for n in range(1, TUNING.max_attempts)]
    assert all(d is not None and d > 0 for d in delays)
    last = decide(exc, TUNING.max_attempts, TUNING, NOW)
    assert last.kind is Kind.TRANSIENT and last.delay is None and last.counts


def test_a_down_base_waits_without_spending_attempts_however_long():
    down = BaseUnavailable("1C base ut is unavailable", 3, NOW + 240)
    for attempts in (1, TUNING.max_attempts, TUNING.max_attempts * 100):
        decision = decide(down, attempts, TUNING, NOW)
        assert decision.kind is Kind.WAIT_FOR_BASE and not decision.counts
        assert decision.delay == pytest.approx(240)


def test_busy_entity_is_retried_shortly_for_free():
    decision = decide(Busy("deal 5 is being sent"), TUNING.max_attempts, TUNING, NOW)
    assert decision.kind is Kind.BUSY and not decision.counts and 0 < decision.delay <= 10


def test_one_backoff_formula_grows_with_equal_jitter_and_caps():
    rng = random.Random(7)
    for retry, ceiling in ((0, 10), (1, 20), (2, 40), (3, 60), (9, 60)):
        samples = {backoff_delay(retry, 10, 60, rng.uniform) for _ in range(50)}
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert len(samples) > 1


def test_unknown_errors_are_transient_and_named():
    assert kind_of(KeyError("x")) is Kind.TRANSIENT
    assert plain_reason(KeyError("x")).startswith("KeyError")
