"""Deal → 1C customer order, end to end on the sandbox portal and the sandbox 1C (УТ 11) with real Redis and
real RQ workers: one posted order per deal however often and however badly its events arrive."""

from __future__ import annotations

import pytest

from b24app.jobs import dead_letters
from b24app.jobs.outbox import deal_orders
from b24app.jobs.sync import sweep_outbox
from b24app.store.models import OutboxRow
from b24app.sync.to_onec.orders import order_key
from tests.support import sync_data as sd
from tests.support.processes import post_json, wait_until

pytestmark = pytest.mark.db


@pytest.fixture
def sales(ctx, configured_base, sandbox_url, onec_url, settings_env, monkeypatch):
    """A manager's portal with a deal of a company with requisites, three catalog items, order stage set."""
    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="3", B24APP_SYNC_RETRY_BASE_SECONDS="1")
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    odata = sd.onec(onec_url)
    items = sd.catalog_items(client, odata, 3)
    deal_id, company, requisite = sd.deal_with_company(client)
    sd.order_on_stage(ctx, member)
    return dict(member=member, client=client, odata=odata, items=items, deal=deal_id, company=company,
                requisite=requisite)


def _outbox_rows(ctx) -> list[OutboxRow]:
    with ctx.db.transaction() as s:
        return list(s.query(OutboxRow).order_by(OutboxRow.id))


def _comments(client, deal: str) -> list[str]:
    rows = client.call("crm.timeline.comment.list", {"filter": {"ENTITY_TYPE": "deal", "ENTITY_ID": deal}}).result
    return [c["COMMENT"] for c in rows]


def test_deal_in_order_stage_makes_one_posted_order_with_counterparty_and_rows(ctx, sales, sandbox_url):
    client, odata, items, deal = sales["client"], sales["odata"], sales["items"], sales["deal"]
    sd.set_rows(client, deal, items, [2, 5, 1])
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    post_json(sandbox_url + "/_sandbox/events/wait")
    for _ in range(4):  # the same event delivered four more times
        post_json(sandbox_url + "/_sandbox/events/fire", {"event": "ONCRMDEALUPDATE", "id": deal})
    sd.settle(ctx, sandbox_url)  # every delivery handled, including the ones still in flight

    orders = sd.orders_with_key(odata, order_key(sales["member"], deal))
    assert len(orders) == 1
    order = orders[0]
    assert order["Posted"] is True
    lines = order["Товары"]
    assert [line["Номенклатура_Key"] for line in lines] == [it.ref_key for it in items]
    assert [line["Количество"] for line in lines] == [2, 5, 1]
    assert lines[1]["Сумма"] == pytest.approx(1210.0 * 5)
    assert order["СуммаДокумента"] == pytest.approx(1200 * 2 + 1210 * 5 + 1220)
    buyer = odata.get("Catalog_Контрагенты", order["Контрагент_Key"])
    assert buyer["ИНН"] == sales["requisite"]["RQ_INN"]
    assert order["Партнер_Key"] == buyer["Партнер_Key"]

    fields = client.call("crm.deal.get", {"id": deal}).result
    assert fields["UF_CRM_B24_1C_ORDER"] == order["Number"]
    assert "e1cib/data/Документ.ЗаказКлиента?ref=" in fields["UF_CRM_B24_1C_ORDER_URL"]
    assert sum("создан и проведён заказ клиента" in c for c in _comments(client, deal)) == 1
    rows = _outbox_rows(ctx)
    assert {r.status for r in rows} == {"done"}, [(r.id, r.status, r.last_error) for r in rows]
    assert any(e.kind == "deal_order" and e.status == "ok" for e in ctx.journal.recent(sales["member"]))


def test_later_change_updates_the_same_order_and_lost_cancels_it(ctx, sales):
    client, odata, items, deal, member = sales["client"], sales["odata"], sales["items"], sales["deal"], sales["member"]
    sd.set_rows(client, deal, items[:1], [1])
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    pusher = deal_orders(ctx, member)
    first = pusher.push(deal)
    sd.set_rows(client, deal, items[:2], [3, 4])
    second = pusher.push(deal)
    assert (first.outcome, second.outcome) == ("created", "updated")
    assert second.ref_key == first.ref_key
    assert pusher.push(deal).outcome == "unchanged"
    [order] = sd.orders_with_key(odata, order_key(member, deal))
    assert [line["Количество"] for line in order["Товары"]] == [3, 4]

    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": "LOSE"}})
    assert pusher.push(deal).outcome == "cancelled"
    [order] = sd.orders_with_key(odata, order_key(member, deal))
    assert order["Статус"] == "Закрыт" and all(line["Отменено"] for line in order["Товары"])


def test_existing_counterparty_is_found_by_inn_not_created_again(ctx, sales):
    client, odata, member = sales["client"], sales["odata"], sales["member"]
    first = sales["deal"]
    second = sd.new_deal(client, sales["company"]["ID"], "Вторая поставка")
    for deal in (first, second):
        sd.set_rows(client, deal, sales["items"][:1], [1])
        client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
        deal_orders(ctx, member).push(deal)
    buyers = {sd.orders_with_key(odata, order_key(member, d))[0]["Контрагент_Key"] for d in (first, second)}
    assert len(buyers) == 1
    inn = sales["requisite"]["RQ_INN"]
    assert len(odata.query("Catalog_Контрагенты", filter=f"ИНН eq '{inn}'").rows) == 1


def test_company_without_inn_is_a_dead_letter_with_a_reason_on_the_deal(ctx, sales, sandbox_url):
    client, deal = sales["client"], sales["deal"]
    client.call("crm.requisite.update", {"id": sales["requisite"]["ID"], "fields": {"RQ_INN": ""}})
    sd.set_rows(client, deal, sales["items"][:1], [1])
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    post_json(sandbox_url + "/_sandbox/events/wait")
    sd.run_burst(ctx)
    dead = ctx.outbox.dead(sales["member"])
    assert dead and "has no INN" in dead[0].last_error
    assert sum("Сделку не удалось отправить в 1С" in c and "has no INN" in c for c in _comments(client, deal)) == 1
    assert dead[0].attempts == 1  # permanent: no retries spent on it

    # The accountant's INN is put back and the dead letter replayed: the failure comment is rewritten, not left
    # contradicting the order that now exists.
    client.call("crm.requisite.update", {"id": sales["requisite"]["ID"],
                                         "fields": {"RQ_INN": sales["requisite"]["RQ_INN"]}})
    letter = next(d for d in dead_letters.list_dead(ctx, sales["member"]) if d.outbox_id == dead[0].id)
    assert dead_letters.replay(ctx, sales["member"], letter.ref)
    sd.settle(ctx, sandbox_url)
    [order] = sd.orders_with_key(sales["odata"], order_key(sales["member"], deal))
    comments = _comments(client, deal)
    assert not any("Сделку не удалось отправить в 1С" in c for c in comments)
    assert sum(c.startswith("Исправлено: сделка передана в 1С") and order["Number"] in c and "has no INN" in c
               for c in comments) == 1


@pytest.mark.slow
def test_worker_killed_mid_job_the_sweeper_recovers_and_one_order_is_made(ctx, sales, sandbox_url, onec_url,
                                                                         settings_env):
    client, odata, deal = sales["client"], sales["odata"], sales["deal"]
    sd.set_rows(client, deal, sales["items"], [1, 1, 1])
    post_json(sandbox_url + "/_sandbox/events/wait")
    sd.run_burst(ctx)  # the row-setting event: not in the order stage yet, nothing to do
    post_json(f"{onec_url}/_sandbox/ut/fault", {"slow_ms": 1500})  # every 1C call is slow: the job is long
    worker = sd.worker_process({**settings_env, "B24APP_SYNC_LEASE_SECONDS": "3"})
    try:
        client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
        for _ in range(4):
            post_json(sandbox_url + "/_sandbox/events/fire", {"event": "ONCRMDEALUPDATE", "id": deal})
        started = len(_outbox_rows(ctx))
        wait_until(lambda: any(r.attempts for r in _outbox_rows(ctx)[started - 5:]), timeout=20,
                   what="a worker to take the job")  # killed right after: mid-job, before its slow 1C calls end
    finally:
        sd.kill(worker)
    assert not sd.orders_with_key(odata, order_key(sales["member"], deal))  # killed before it could write
    assert any(r.status == "pending" for r in _outbox_rows(ctx))
    post_json(f"{onec_url}/_sandbox/ut/fault", {"slow_ms": 0})
    wait_until(lambda: sweep_outbox() >= 1, timeout=15, what="the killed job's lease to run out")
    sd.run_burst(ctx, fork=True)
    orders = sd.orders_with_key(odata, order_key(sales["member"], deal))
    assert len(orders) == 1 and orders[0]["Posted"]
    rows = _outbox_rows(ctx)
    assert {r.status for r in rows} == {"done"}, [(r.id, r.status, r.last_error) for r in rows]


@pytest.mark.parametrize(("base", "profile"), [("ut4", "ut11_4"), ("bp83", "bp30_83"), ("unf", "unf")])
def test_deal_makes_one_posted_order_on_an_older_release(ctx, installed, sandbox_url, settings_env, monkeypatch,
                                                         releases_url, base, profile):
    """The same flow on a base of another release (tests/app/conftest.py RELEASE_BASES): the order (БП: the
    customer invoice) is made once, posted, with the deal's rows, through the names of that release's profile."""
    member = sd.member_id(sandbox_url)
    orgs = sd.release_base(ctx, member, releases_url, base, profile)
    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="3", B24APP_SYNC_RETRY_BASE_SECONDS="1")
    client = sd.manager(sandbox_url)
    items = sd.catalog_items(client, orgs, 2)
    deal, _, _ = sd.deal_with_company(client)
    sd.order_on_stage(ctx, member)
    sd.set_rows(client, deal, items, [3, 1])
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    post_json(sandbox_url + "/_sandbox/events/wait")
    sd.settle(ctx, sandbox_url)

    order_spec = ctx.profiles.load(profile).object("customer_order")
    key = order_key(member, deal)
    rows = orgs.query(order_spec.entity_set, filter=f"substringof('{key}', Комментарий) eq true").rows
    orders = [r for r in rows if key in (r.get("Комментарий") or "").split()]
    assert len(orders) == 1, [(r.status, r.last_error) for r in _outbox_rows(ctx)]
    goods = order_spec.tables["goods"].name  # Товары in УТ/БП, Запасы in УНФ
    assert orders[0]["Posted"] is True and len(orders[0][goods]) == 2
