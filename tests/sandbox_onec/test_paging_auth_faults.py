"""Paging 10,000+ rows both ways, Basic auth with a Cyrillic login, and every fault switch."""

from __future__ import annotations

import base64
import time

import pytest
import requests

from .conftest import LOGIN, PASSWORD, UTF8BasicAuth, start_sandbox, stop_sandbox

COUNTERPARTIES = "Catalog_Контрагенты"


@pytest.fixture(scope="module")
def big():
    # Only the counterparties are read: one settlement row instead of the ~7,200 orders that would follow 12,000
    # counterparties (they are seeded first and come out the same), a quarter of the start-up.
    server = start_sandbox("--counterparties", "12000", "--settlements", "1", "--bases", "ut:ut11", "--seed", "3")
    yield server
    stop_sandbox(server)


def test_key_range_paging_over_12000_rows(big):
    seen: list[str] = []
    last = None
    started = time.monotonic()
    while True:
        params = {"$orderby": "Ref_Key", "$top": 1000, "$select": "Ref_Key,ИНН"}
        if last:
            params["$filter"] = f"Ref_Key gt guid'{last}'"
        page = big.json(COUNTERPARTIES, **params)["value"]
        seen += [r["Ref_Key"] for r in page]
        if len(page) < 1000:
            break
        last = page[-1]["Ref_Key"]
    assert len(seen) == len(set(seen)) == 12000
    assert seen == sorted(seen)
    assert time.monotonic() - started < 15


def test_skip_paging_matches_key_range(big):
    seen: list[str] = []
    skip = 0
    while True:
        page = big.json(COUNTERPARTIES, **{"$top": 2500, "$skip": skip, "$select": "Ref_Key"})["value"]
        seen += [r["Ref_Key"] for r in page]
        if len(page) < 2500:
            break
        skip += 2500
    assert len(set(seen)) == 12000 and seen == sorted(seen)
    counted = big.json(COUNTERPARTIES, **{"$top": 1, "$inlinecount": "allpages", "$select": "Ref_Key"})
    assert counted["odata.count"] == "12000" and len(counted["value"]) == 12000  # $top ignored (17.4.6.2)


def test_cyrillic_login_and_wrong_credentials(sandbox):
    assert sandbox.get("").status_code == 200
    wrong = sandbox.get("", auth=UTF8BasicAuth(LOGIN, "wrong"))
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Basic")
    anonymous = requests.get(sandbox.odata("ut"), timeout=10)
    assert anonymous.status_code == 401
    other_user = sandbox.get("", auth=("Administrator", "secret"))
    assert other_user.status_code == 401
    token = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode("cp1251")).decode("ascii")
    cp1251 = requests.get(sandbox.odata("ut"), headers={"Authorization": f"Basic {token}"}, timeout=10)
    assert cp1251.status_code == 401  # the login must arrive as UTF-8


def test_down_slow_and_unauthorized(fresh):
    fresh.control("ut/fault", {"down": True})
    down = fresh.get("Catalog_Валюты")
    assert down.status_code == 503 and "Service Unavailable" in down.text
    assert fresh.get("Catalog_Валюты", "bp").status_code == 200  # faults are per base
    fresh.control("ut/fault", {"down": False, "slow_ms": 300})
    started = time.monotonic()
    assert fresh.get("Catalog_Валюты").status_code == 200
    assert time.monotonic() - started >= 0.3
    fresh.control("ut/fault", {"slow_ms": 0, "unauthorized": True})
    assert fresh.get("Catalog_Валюты").status_code == 401


def test_error500_next_requests_and_rate(fresh):
    fresh.control("ut/fault", {"error500": 2})
    statuses = [fresh.get("Catalog_Валюты").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    failed = fresh.control("ut/fault", {"error500": 1})
    assert failed["error500_count"] == 1
    body = fresh.get("Catalog_Валюты").json()
    assert body["odata.error"]["code"] == "-1"
    fresh.control("ut/fault", {"error500_rate": 1.0})
    assert fresh.get("Catalog_Валюты").status_code == 500
    fresh.control("ut/fault", {"error500_rate": 0.0})
    assert fresh.get("Catalog_Валюты").status_code == 200


def test_state_counts_requests_and_reset_restores(sandbox):
    before = sandbox.control("state")["bp"]["requests"]
    sandbox.get("Catalog_Валюты", "bp")
    assert sandbox.control("state")["bp"]["requests"] == before + 1
    sandbox.control("bp/rename", {"entity": "Catalog_Номенклатура", "field": "Артикул", "to": "Артикул2"})
    assert "Артикул2" in sandbox.json("Catalog_Номенклатура", "bp", **{"$top": 1})["value"][0]
    sandbox.control("bp/reset")
    assert "Артикул" in sandbox.json("Catalog_Номенклатура", "bp", **{"$top": 1})["value"][0]
    assert sandbox.control("state")["bp"]["requests"] == 1


def test_control_errors_are_explicit(sandbox):
    response = requests.post(f"{sandbox.url}/_sandbox/ut/seed/payment", json={"order_number": "нет", "sum": 1},
                             timeout=10)
    assert response.status_code == 404 and "нет" in response.json()["error"]
    response = requests.post(f"{sandbox.url}/_sandbox/zz/fault", json={}, timeout=10)
    assert response.status_code == 404
