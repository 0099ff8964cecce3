"""1C → Bitrix24 with real Redis and RQ: payments, shipments and debt posted in the sandbox 1C show on the deal
and the company in the sandbox portal within one scheduler tick; reversals undo; watermarks wait for Bitrix24."""

from __future__ import annotations

import pytest

from b24app.bitrix.client import BitrixClient
from b24app.core.portal_settings import PortalSettings
from b24app.jobs.outbox import deal_orders
from b24app.jobs.sync import STREAMS, pull_stream, refresh_deal, sync_tick
from b24app.store.watermarks import Watermarks
from tests.support import sync_data as sd
from tests.support.processes import post_json, wait_until

pytestmark = pytest.mark.db

F = {"status": "UF_CRM_B24_1C_PAID", "sum": "UF_CRM_B24_1C_PAID_SUM", "date": "UF_CRM_B24_1C_PAID_DATE",
     "left": "UF_CRM_B24_1C_REMAINING", "shipped": "UF_CRM_B24_1C_SHIPPED"}


@pytest.fixture
def ordered(ctx, configured_base, sandbox_url, onec_url, settings_env):
    """A deal made into a posted 1C order (2 × 1200 + 1 × 1210 = 3610 ₽); pulls every second; first tick run."""
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    sd.unthrottle(ctx, sandbox_url, member)
    odata = sd.onec(onec_url)
    items = sd.catalog_items(client, odata, 2)
    deal, company, requisite = sd.deal_with_company(client)
    sd.order_on_stage(ctx, member)
    settings, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, PortalSettings.from_json({**settings.to_json(), "schedules": {
        "payments_seconds": 1, "shipments_seconds": 1, "debt_seconds": 1}}), version)
    sd.set_rows(client, deal, items, [2, 1])
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    result = deal_orders(ctx, member).push(deal)
    post_json(sandbox_url + "/_sandbox/events/wait")
    _tick(ctx)  # the first tick reads 1C's history; none of it is linked to a deal
    return dict(member=member, client=client, odata=odata, deal=deal, company=company, order=result,
                onec_url=onec_url)


def _tick(ctx) -> list[str]:
    """A scheduler tick once every stream is due again (their interval is one second): it enqueues them all."""
    started: list[str] = []

    def all_due() -> bool:
        started.extend(sync_tick())
        # The catalog and counterparties streams stay off until an administrator starts them
        # (tests/app/test_catalog_load.py, tests/app/test_counterparty_load.py).
        return {name.rsplit(":", 1)[1] for name in started} >= set(STREAMS) - {"catalog", "counterparties"}

    wait_until(all_due, timeout=10, what="the streams to fall due")
    sd.run_burst(ctx)
    return started


def _deal(o) -> dict:
    return o["client"].call("crm.deal.get", {"id": o["deal"]}).result


def _comments(o) -> list[str]:
    rows = o["client"].call("crm.timeline.comment.list",
                            {"filter": {"ENTITY_TYPE": "deal", "ENTITY_ID": o["deal"]}}).result
    return [c["COMMENT"] for c in rows]


def _pay(o, amount: float, kind: str = "bank") -> dict:
    return post_json(f"{o['onec_url']}/_sandbox/ut/seed/payment",
                     {"order_number": o["order"].number, "sum": amount, "kind": kind})


def test_payment_posted_in_1c_shows_on_the_deal_within_one_tick(ctx, ordered):
    o = ordered
    receipt = _pay(o, 1000.0)
    started = _tick(ctx)
    assert f"{o['member']}:payments" in started
    deal = _deal(o)
    assert deal[F["status"]] == "partly"
    assert float(deal[F["sum"]]) == pytest.approx(1000.0)
    assert float(deal[F["left"]]) == pytest.approx(2610.0)
    assert deal[F["date"]]
    assert deal["STAGE_ID"] == "EXECUTING"
    assert sum(f"№ {receipt['Number']}" in c and "поступила оплата по банку" in c for c in _comments(o)) == 1

    _pay(o, 2610.0, kind="cash")
    _tick(ctx)
    deal = _deal(o)
    assert (deal[F["status"]], float(deal[F["left"]]), deal["STAGE_ID"]) == ("fully", 0.0, "FINAL_INVOICE")
    assert any("в кассу" in c for c in _comments(o))

    # The bank receipt is unposted in 1C: it no longer counts, the deal says so, the stage does not go back.
    o["odata"].unpost_document(receipt["entity"], receipt["Ref_Key"])
    _tick(ctx)
    deal = _deal(o)
    assert (deal[F["status"]], float(deal[F["sum"]])) == ("partly", pytest.approx(2610.0))
    assert deal["STAGE_ID"] == "FINAL_INVOICE"
    assert any("не учтена (проведение отменено)" in c for c in _comments(o))
    before = len(_comments(o))
    _tick(ctx)  # nothing new: no repeated comments, no writes
    assert len(_comments(o)) == before


@pytest.mark.slow
def test_watermark_waits_until_bitrix24_confirms(ctx, ordered, sandbox_url, monkeypatch):
    o = ordered
    # The client still retries the refusal its five times, only without the backoff between tries (up to ~15 s of
    # sleeping; the backoff itself is tests/unit/test_retry_policy.py's): the watermark is the point here.
    monkeypatch.setattr(BitrixClient, "_backoff", lambda self, attempt: 0.01)
    base_id = ctx.bases.list(o["member"])[0].id
    before = Watermarks(ctx.db).get(o["member"], base_id, "payments")
    _pay(o, 500.0)
    o["client"].call("crm.deal.userfield.list", {})
    post_json(sandbox_url + "/_sandbox/config", {"rate": 0.001, "burst": 0, "reset_limits": True})
    # The app does not wait: the portal refuses. (Each refusal marks the app's bucket full; a bucket no larger
    # than the unthrottled one below lets the next pull go at once instead of sleeping some five seconds.)
    ctx.portals.set_rate_limit(o["member"], 1000, 2000)
    with pytest.raises(Exception):  # noqa: B017 - the portal's refusal, whatever its type
        pull_stream(o["member"], "payments")
    assert Watermarks(ctx.db).get(o["member"], base_id, "payments") == before
    sd.unthrottle(ctx, sandbox_url, o["member"])
    assert pull_stream(o["member"], "payments") == 1
    assert Watermarks(ctx.db).get(o["member"], base_id, "payments") != before
    assert _deal(o)[F["status"]] == "partly"


def _ship_first_line(o) -> None:
    """A posted sale of the order's first line (2 × 1200 = 2400 ₽ of 3610 ₽), as a storekeeper makes it."""
    order = o["odata"].get("Document_ЗаказКлиента", o["order"].ref_key)
    line = order["Товары"][0]
    sale = o["odata"].create("Document_РеализацияТоваровУслуг", {
        "Организация_Key": order["Организация_Key"], "Партнер_Key": order["Партнер_Key"],
        "Контрагент_Key": order["Контрагент_Key"], "Валюта_Key": order["Валюта_Key"],
        "Склад_Key": order["Склад_Key"], "СуммаДокумента": line["Сумма"],
        "ЗаказКлиента": order["Ref_Key"], "ЗаказКлиента_Type": "StandardODATA.Document_ЗаказКлиента",
        "Товары": [{k: line[k] for k in ("Номенклатура_Key", "Количество", "Цена", "Сумма")}]})
    o["odata"].post_document("Document_РеализацияТоваровУслуг", sale["Ref_Key"])


def test_shipment_and_on_demand_refresh(ctx, ordered):
    o = ordered
    _ship_first_line(o)
    _tick(ctx)
    assert _deal(o)[F["shipped"]] == "partly"
    assert any("отгрузка № " in c for c in _comments(o))

    o["client"].call("crm.deal.update", {"id": o["deal"], "fields": {F["shipped"]: "", F["status"]: ""}})
    assert refresh_deal(o["member"], o["deal"]) == "refreshed"
    deal = _deal(o)
    assert (deal[F["shipped"]], deal[F["status"]]) == ("partly", "no")


def test_debt_of_a_company_linked_by_inn(ctx, ordered):
    o = ordered

    def debt_becomes(amount: float) -> None:
        """Pull until the company shows `amount`: 1C's Balance(Period=now) leaves out movements of the current
        second, so the figure may lag one pull behind the document just written."""
        def shown() -> bool:
            pull_stream(o["member"], "debt")
            got = o["client"].call("crm.company.get", {"id": o["company"]["ID"]}).result["UF_CRM_B24_1C_DEBT"]
            return float(got or 0) == pytest.approx(amount)

        wait_until(shown, timeout=10, interval=0.25, what=f"the company's debt to show {amount}")

    debt_becomes(0.0)  # an order alone is no debt in УТ 11: a sale is
    _ship_first_line(o)
    debt_becomes(2400.0)
    _pay(o, 1000.0)
    debt_becomes(1400.0)
    links = ctx.links.for_entity(o["member"], "company", o["company"]["ID"])
    assert links and links[0].onec_set == "Catalog_Контрагенты"
