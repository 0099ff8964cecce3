"""Never lost, never doubled: 1C down for a hundred events, events that reached no handler (offline events),
the sweeper, dead letters and their replay — with real Redis, RQ workers and both sandboxes."""

from __future__ import annotations

import pytest
from rq import Queue

from b24app.jobs import dead_letters
from b24app.jobs.queues import queue_name
from b24app.jobs.sync import collect_offline_events, process_outbox_item, sweep_outbox
from b24app.store.models import OutboxRow
from b24app.store.outbox import DEAD
from b24app.sync.to_onec.orders import order_key
from tests.support import sync_data as sd
from tests.support.processes import get_json, post_json, wait_until

pytestmark = pytest.mark.db


@pytest.fixture
def shop(ctx, configured_base, sandbox_url, onec_url, settings_env, monkeypatch):
    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="2", B24APP_SYNC_RETRY_BASE_SECONDS="0.2",
              B24APP_SYNC_CIRCUIT_SECONDS="1")
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    sd.unthrottle(ctx, sandbox_url, member)
    odata = sd.onec(onec_url)
    items = sd.catalog_items(client, odata, 2)
    deal, company, _ = sd.deal_with_company(client)
    sd.order_on_stage(ctx, member)
    post_json(sandbox_url + "/_sandbox/events/wait")
    sd.run_burst(ctx)  # the set-up's own events settle first
    return dict(member=member, client=client, odata=odata, items=items, deal=deal, company=company)


def _statuses(ctx) -> dict[str, int]:
    with ctx.db.transaction() as s:
        rows = s.query(OutboxRow.status).all()
    out: dict[str, int] = {}
    for (status,) in rows:
        out[status] = out.get(status, 0) + 1
    return out


def _orders_of(odata, member: str) -> dict[str, int]:
    """Orders carrying a key of this portal, counted per key."""
    counts: dict[str, int] = {}
    for page in odata.iter_pages("Document_ЗаказКлиента", filter=f"substringof('b24:{member}:', Комментарий) eq true",
                                 select=["Ref_Key", "Комментарий", "Posted"]):
        for row in page:
            key = next(t for t in row["Комментарий"].split() if t.startswith(f"b24:{member}:"))
            counts[key] = counts.get(key, 0) + 1
            assert row["Posted"]
    return counts


@pytest.mark.slow
def test_1c_down_for_100_events_then_up_makes_all_100_orders_none_twice(ctx, shop, sandbox_url, onec_url):
    settled = _statuses(ctx).get("done", 0)
    post_json(f"{onec_url}/_sandbox/ut/fault", {"down": True})
    deals = sd.bulk_deals(shop["client"], shop["company"]["ID"], shop["items"], 100)
    post_json(sandbox_url + "/_sandbox/events/wait")
    sd.run_burst(ctx)  # every job meets the down base (or its open circuit) and is set to retry
    assert _statuses(ctx) == {"pending": 100, "done": settled}

    post_json(f"{onec_url}/_sandbox/ut/fault", {"down": False})
    def all_done() -> bool:  # sweeper ticks until the retries have run
        sweep_outbox()
        sd.run_burst(ctx)
        return set(_statuses(ctx)) == {"done"}

    wait_until(all_done, timeout=30, interval=0.2, what="every retry to run once 1C is back")
    # Every row done; more than 100, since writing the order number back to each deal raises its own event, which
    # the fingerprint settles without touching 1C.
    assert set(_statuses(ctx)) == {"done"} and _statuses(ctx)["done"] >= settled + 100
    orders = _orders_of(shop["odata"], shop["member"])
    assert orders == {order_key(shop["member"], d): 1 for d in deals}
    # 100 orders, plus the buyer new to 1C: one partner and one counterparty, made once.
    assert get_json(onec_url + "/_sandbox/state")["ut"]["documents_created"] == 100 + 2


def test_events_missed_while_the_handler_was_down_arrive_as_offline_events(ctx, shop, sandbox_url, running_app):
    client, deal = shop["client"], shop["deal"]
    sd.set_rows(client, deal, shop["items"], [1, 2])
    post_json(sandbox_url + "/_sandbox/events/wait")
    sd.run_burst(ctx)
    before = _statuses(ctx)
    running_app.stop()  # our web is down: the online delivery of the next change fails
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    post_json(sandbox_url + "/_sandbox/events/wait")
    assert _statuses(ctx) == before
    assert collect_offline_events() >= 1
    sd.run_burst(ctx)
    assert _orders_of(shop["odata"], shop["member"]) == {order_key(shop["member"], deal): 1}
    # Our own write-back of the order number left one more offline entry (see the report: binding the offline
    # events with an auth_connector would spare it); it is settled without a second order, and once collected,
    # entries are cleared by process_id: nothing comes twice.
    collect_offline_events()
    sd.run_burst(ctx)
    assert collect_offline_events() == 0
    assert _orders_of(shop["odata"], shop["member"]) == {order_key(shop["member"], deal): 1}


def test_lost_queue_is_recovered_by_the_sweeper(ctx, shop, sandbox_url, redis_client):
    client, deal = shop["client"], shop["deal"]
    sd.set_rows(client, deal, shop["items"], [1, 1])
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    post_json(sandbox_url + "/_sandbox/events/wait")
    Queue(queue_name(ctx.settings.queue_prefix, "default"), connection=redis_client).empty()  # Redis lost the jobs
    sd.run_burst(ctx)
    assert not _orders_of(shop["odata"], shop["member"])
    wait_until(lambda: sweep_outbox() >= 1, timeout=10, what="the lost item's lease to run out")
    sd.run_burst(ctx)
    assert _orders_of(shop["odata"], shop["member"]) == {order_key(shop["member"], deal): 1}


def test_dead_letter_after_the_last_retry_is_listed_and_replayed(ctx, shop, onec_url, monkeypatch):
    # The retry falls due within the claim slack, so running the job again at once is its own turn.
    sd.retune(ctx, monkeypatch, B24APP_SYNC_MAX_ATTEMPTS="2", B24APP_SYNC_RETRY_BASE_SECONDS="1")
    client, deal, member = shop["client"], shop["deal"], shop["member"]
    sd.set_rows(client, deal, shop["items"], [1, 1])
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    accepted = ctx.outbox.accept(member, "deal", deal, f"test:{deal}", {"event": "TEST"})
    post_json(f"{onec_url}/_sandbox/ut/fault", {"error500_rate": 1.0})
    assert process_outbox_item(accepted.id).startswith("retry in")  # a 500 is transient: one attempt spent
    assert process_outbox_item(accepted.id) == DEAD  # the last attempt
    letters = dead_letters.list_dead(ctx, member)
    assert [d.outbox_id for d in letters if d.outbox_id] == [accepted.id]
    assert "500" in letters[0].error or "Error" in letters[0].error

    post_json(f"{onec_url}/_sandbox/ut/fault", {"error500_rate": 0.0})
    assert dead_letters.replay(ctx, member, letters[0].ref)
    sd.run_burst(ctx)
    assert _orders_of(shop["odata"], member) == {order_key(member, deal): 1}
    assert not [d for d in dead_letters.list_dead(ctx, member) if d.outbox_id]
