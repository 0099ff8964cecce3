"""The leaky bucket and the per-method operating-time block (limits.md, system-errors.md)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.sandbox_portal.conftest import Portal


def test_burst_over_the_limit_gets_503_then_drains(portal: Portal) -> None:
    hook = portal.webhook()
    portal.control("config", {"rate": 20, "burst": 10, "reset_limits": True})
    with requests.Session() as session:
        statuses = [session.get(hook + "user.current", timeout=10) for _ in range(30)]
    refused = [r for r in statuses if r.status_code == 503]
    assert refused, [r.status_code for r in statuses]
    assert refused[0].json() == {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
    assert sum(r.status_code == 200 for r in statuses) >= 11
    assert portal.state()["query_limit_exceeded"] == len(refused)
    time.sleep(1.0)  # 20/s drains the counter of ~11 within a second
    assert requests.get(hook + "user.current", timeout=10).status_code == 200


def test_refused_requests_do_not_execute(portal: Portal) -> None:
    hook = portal.webhook()
    portal.control("config", {"rate": 0.001, "burst": 2, "reset_limits": True})
    answers = [requests.post(hook + "crm.deal.add", json={"fields": {"TITLE": "лимит"}}, timeout=10) for _ in range(6)]
    created = sum(a.status_code == 200 for a in answers)
    assert created == 3
    assert portal.state()["deals"] == 10_000 + created


def test_parallel_callers_share_one_bucket(portal: Portal) -> None:
    hook = portal.webhook()
    portal.control("config", {"rate": 0.001, "burst": 20, "reset_limits": True})
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: requests.get(hook + "app.info", timeout=10).status_code, range(40)))
    assert codes.count(503) == 40 - 21


def test_operating_time_blocks_one_method_only(portal: Portal) -> None:
    hook = portal.webhook()
    portal.control("config", {"operating_limit": 0.000001, "reset_limits": True})
    first = requests.post(hook + "crm.deal.list", json={"select": ["ID"]}, timeout=10)
    assert first.status_code == 200 and first.json()["time"]["operating"] > 0
    assert "operating_reset_at" in first.json()["time"]
    blocked = requests.post(hook + "crm.deal.list", json={"select": ["ID"]}, timeout=10)
    assert blocked.status_code == 429 and blocked.json()["error"] == "OPERATION_TIME_LIMIT"
    assert requests.get(hook + "crm.deal.get", params={"id": 1}, timeout=10).status_code == 200
    assert portal.state()["operation_time_limit"] == 1
    portal.control("config", {"operating_limit": 480, "reset_limits": True})
    assert requests.post(hook + "crm.deal.list", json={"select": ["ID"]}, timeout=10).status_code == 200
