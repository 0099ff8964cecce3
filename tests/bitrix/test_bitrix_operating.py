"""The per-method execution-time budget (limits.md, "Resource Intensity Limits") with real Redis."""

from __future__ import annotations

import time

import pytest

from b24app.bitrix.errors import OperationTimeLimit
from b24app.bitrix.operating import OperatingBudget


def test_a_method_near_the_limit_waits_until_its_reset(redis_client) -> None:
    budget = OperatingBudget(redis_client, "t:op", limit=480, headroom=60)
    other_process = OperatingBudget(redis_client, "t:op", limit=480, headroom=60)
    reset_at = time.time() + 0.4
    budget.record("crm.deal.list", {"operating": 430.0, "operating_reset_at": reset_at})

    started = time.monotonic()
    slept = other_process.wait_if_near_limit("crm.deal.list")
    assert 0.3 <= slept <= 0.45 and time.monotonic() - started >= 0.3
    # past the reset the old figure no longer holds anyone back
    assert other_process.wait_if_near_limit("crm.deal.list") == 0.0


def test_methods_below_the_headroom_or_unknown_do_not_wait(redis_client) -> None:
    budget = OperatingBudget(redis_client, "t:op2", limit=480, headroom=60)
    budget.record("crm.deal.get", {"operating": 419.0, "operating_reset_at": time.time() + 100})
    budget.record("crm.deal.update", {"start": 1.0})  # on-premise answers carry no operating figures
    assert budget.wait_if_near_limit("crm.deal.get") == 0.0
    assert budget.wait_if_near_limit("crm.deal.update") == 0.0
    assert budget.wait_if_near_limit("never.called") == 0.0


def test_a_reset_further_than_max_wait_raises_with_the_reset_time(redis_client) -> None:
    budget = OperatingBudget(redis_client, "t:op3", limit=480, headroom=60, max_wait=1.0)
    reset_at = time.time() + 300
    budget.record("crm.item.list", {"operating": 470.5, "operating_reset_at": reset_at})
    started = time.monotonic()
    with pytest.raises(OperationTimeLimit) as caught:
        budget.wait_if_near_limit("crm.item.list")
    assert time.monotonic() - started < 0.1
    assert caught.value.reset_at == pytest.approx(reset_at, abs=0.01)
    assert caught.value.method == "crm.item.list"
    assert budget.reset_at("crm.item.list") == pytest.approx(reset_at, abs=0.01)
