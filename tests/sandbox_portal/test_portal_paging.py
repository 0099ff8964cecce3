"""List paging as list-methods-pecularities.md and huge-data.md describe it, over 10,000 deals."""

from __future__ import annotations

import time

import requests

from tests.sandbox_portal.conftest import DEALS, Portal


def test_start_paging_reports_next_and_total(portal: Portal) -> None:
    hook = portal.webhook()
    first = requests.post(hook + "crm.deal.list", json={"select": ["ID"]}, timeout=10).json()
    assert (first["total"], first["next"], len(first["result"])) == (DEALS, 50, 50)
    last = requests.post(hook + "crm.deal.list", json={"select": ["ID"], "start": DEALS - 20}, timeout=10).json()
    assert len(last["result"]) == 20 and "next" not in last and last["total"] == DEALS


def test_start_minus_one_skips_counting(portal: Portal) -> None:
    body = requests.post(
        portal.webhook() + "crm.deal.list", json={"select": ["ID"], "start": -1, "order": {"ID": "ASC"}}, timeout=10
    ).json()
    assert "total" not in body and "next" not in body and len(body["result"]) == 50


def test_id_keyset_paging_walks_all_deals_quickly(portal: Portal) -> None:
    hook = portal.webhook()
    seen: list[int] = []
    last = 0
    started = time.monotonic()
    with requests.Session() as session:
        while True:
            page = session.post(
                hook + "crm.deal.list",
                json={"order": {"ID": "ASC"}, "filter": {">ID": last}, "select": ["ID", "OPPORTUNITY"], "start": -1},
                timeout=10,
            ).json()["result"]
            seen.extend(int(d["ID"]) for d in page)
            if len(page) < 50:
                break
            last = int(page[-1]["ID"])
    assert seen == list(range(1, DEALS + 1))
    assert time.monotonic() - started < 20


def test_filter_prefixes_and_order(portal: Portal) -> None:
    hook = portal.webhook()

    def ids(filter_: dict, order: dict | None = None) -> list[int]:
        body = requests.post(
            hook + "crm.deal.list",
            json={"filter": filter_, "order": order or {"ID": "ASC"}, "select": ["ID"]},
            timeout=10,
        ).json()
        return [int(d["ID"]) for d in body["result"]]

    assert ids({">=ID": 10, "<ID": 13}) == [10, 11, 12]
    assert ids({"@ID": [3, 1, 2]}) == [1, 2, 3]
    assert ids({"!ID": 1, "<=ID": 3}) == [2, 3]
    assert ids({"=ID": 42}) == [42]
    assert ids({"<ID": 5}, {"ID": "DESC"}) == [4, 3, 2, 1]
    title_hits = requests.post(
        hook + "crm.deal.list", json={"filter": {"%TITLE": "№123", "<ID": 200}, "select": ["ID", "TITLE"]}, timeout=10
    ).json()["result"]
    assert [d["ID"] for d in title_hits] == ["123"]
    by_amount = requests.post(
        hook + "crm.deal.list",
        json={"filter": {"<ID": 100}, "order": {"OPPORTUNITY": "DESC"}, "select": ["ID", "OPPORTUNITY"]},
        timeout=10,
    ).json()
    amounts = [float(d["OPPORTUNITY"]) for d in by_amount["result"]]
    assert amounts == sorted(amounts, reverse=True) and by_amount["total"] == 99
    category = requests.post(
        hook + "crm.deal.list",
        json={"filter": {"CATEGORY_ID": 1, "<ID": 500}, "select": ["ID", "STAGE_ID"]},
        timeout=10,
    ).json()
    assert category["result"] and all(d["STAGE_ID"].startswith("C1:") for d in category["result"])
