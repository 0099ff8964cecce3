"""Many deals to 1C at the portal's real rate limit: a job takes the waiting deals along, reads them in shared
batch calls and writes back in one; the events our own write-backs cause are recognised without a read
(b24app/jobs/deal_batch.py, b24app/sync/to_onec/deal_reads.py, write_back.py, b24app/store/own_writes.py)."""

from __future__ import annotations

import pytest

from b24app.jobs.sync import pull_stream
from b24app.store.models import OutboxRow
from b24app.store.own_writes import OwnWrites
from b24app.sync.to_onec.orders import order_key
from tests.support import sync_data as sd
from tests.support.processes import get_json, post_json

pytestmark = pytest.mark.db


@pytest.fixture
def shop(ctx, configured_base, sandbox_url, onec_url, settings_env, monkeypatch):
    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="30", B24APP_SYNC_RETRY_BASE_SECONDS="1")
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    odata = sd.onec(onec_url)
    items = sd.catalog_items(client, odata, 3)
    _, company, _ = sd.deal_with_company(client)
    sd.order_on_stage(ctx, member)
    return dict(member=member, client=client, odata=odata, items=items, company=company)


def _requests(sandbox_url: str) -> int:
    return int(get_json(sandbox_url + "/_sandbox/state")["requests"])


def _rows(ctx) -> list[OutboxRow]:
    with ctx.db.transaction() as s:
        return list(s.query(OutboxRow).order_by(OutboxRow.id))


def test_waiting_deals_share_reads_and_write_backs_and_their_echoes_cost_nothing(ctx, shop, sandbox_url):
    client, odata, member = shop["client"], shop["odata"], shop["member"]
    deals = sd.bulk_deals(client, shop["company"]["ID"], shop["items"], 20, stage="NEW")
    sd.settle(ctx, sandbox_url)  # the set-up's events: nothing to order yet
    before_rows = len(_rows(ctx))
    client.batch([("crm.deal.update", {"id": d, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
                  for d in deals]).raise_first_error()
    post_json(sandbox_url + "/_sandbox/events/wait")
    assert len(_rows(ctx)) - before_rows == 20  # one outbox row per deal's move
    used_before = _requests(sandbox_url)

    sd.settle(ctx, sandbox_url)

    used = _requests(sandbox_url) - used_before
    # 20 deals: two jobs (16 + 4): three read calls and one write-back call, then one of each; and the app's deal
    # and company fields created on first use (four). Read and written one by one they would cost 40 and more.
    assert used <= 10, used
    for deal in deals:
        orders = sd.orders_with_key(odata, order_key(member, deal))
        assert len(orders) == 1 and orders[0]["Posted"] is True
        fields = client.call("crm.deal.get", {"id": deal}).result
        assert fields["UF_CRM_B24_1C_ORDER"] == orders[0]["Number"]
    rows = _rows(ctx)
    assert len(rows) - before_rows == 20, "the write-backs' own events made outbox rows"
    assert {r.status for r in rows} == {"done"}
    oks = [e for e in ctx.journal.recent(member, limit=200) if e.kind == "deal_order" and e.status == "ok"]
    assert {e.entity for e in oks} == {f"deal:{d}" for d in deals}


def test_one_bad_deal_in_a_batch_fails_alone(ctx, shop, sandbox_url):
    client, odata, member = shop["client"], shop["odata"], shop["member"]
    deals = sd.bulk_deals(client, shop["company"]["ID"], shop["items"], 4, stage="NEW")
    bad = client.call("crm.deal.add", {"fields": {"TITLE": "Без покупателя", "CATEGORY_ID": 0,
                                                  "STAGE_ID": "NEW"}}).result
    sd.set_rows(client, str(bad), shop["items"][:1], [1])
    sd.settle(ctx, sandbox_url)
    client.batch([("crm.deal.update", {"id": d, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
                  for d in [*deals, str(bad)]]).raise_first_error()
    sd.settle(ctx, sandbox_url)

    assert all(len(sd.orders_with_key(odata, order_key(member, d))) == 1 for d in deals)
    assert sd.orders_with_key(odata, order_key(member, str(bad))) == []
    dead = [r for r in _rows(ctx) if r.status == "dead"]
    assert [r.entity_id for r in dead] == [str(bad)]
    assert "counterparty" in dead[0].last_error or "компан" in dead[0].last_error.lower() \
        or "company" in dead[0].last_error


def test_a_change_after_our_write_back_is_still_sent(ctx, shop, sandbox_url):
    """Our write-back owes one event; a manager's change is a second one, and reaches 1C."""
    client, odata, member, items = shop["client"], shop["odata"], shop["member"], shop["items"]
    deal = sd.bulk_deals(client, shop["company"]["ID"], items, 1)[0]
    sd.settle(ctx, sandbox_url)
    assert len(sd.orders_with_key(odata, order_key(member, deal))[0]["Товары"]) == 3
    sd.set_rows(client, deal, items[:1], [7])
    sd.settle(ctx, sandbox_url)
    lines = sd.orders_with_key(odata, order_key(member, deal))[0]["Товары"]
    assert [(line["Номенклатура_Key"], line["Количество"]) for line in lines] == [(items[0].ref_key, 7)]


def test_owed_events_are_counted_per_write_and_expire(ctx):
    owed = OwnWrites(ctx.redis, ctx.keys, ttl=1)
    owed.expect("m1", "deal", ["5", "5", "6"])
    assert [owed.consume("m1", "deal", "5") for _ in range(3)] == [True, True, False]
    assert owed.consume("m2", "deal", "6") is False  # another portal's deal 6
    key = ctx.keys.own_write("m1", "deal", "6")
    assert 0 < ctx.redis.ttl(key) <= 1
    ctx.redis.delete(key)
    assert owed.consume("m1", "deal", "6") is False


def test_the_payments_streams_own_deal_writes_cost_no_read(ctx, shop, sandbox_url, onec_url):
    """A payment in 1C updates the deal (fields, stage); the update events of that write are recognised as the
    app's own: no outbox row, nothing read, nothing sent to 1C again."""
    client, odata, member = shop["client"], shop["odata"], shop["member"]
    deal = sd.bulk_deals(client, shop["company"]["ID"], shop["items"], 1)[0]
    sd.settle(ctx, sandbox_url)
    [order] = sd.orders_with_key(odata, order_key(member, deal))
    rows_before = len(_rows(ctx))
    post_json(f"{onec_url}/_sandbox/ut/seed/payment", {"order_number": order["Number"], "sum": 100.0,
                                                       "kind": "bank"})
    assert pull_stream(member, "payments") == 1
    sd.settle(ctx, sandbox_url)
    fields = client.call("crm.deal.get", {"id": deal}).result
    assert fields["UF_CRM_B24_1C_PAID"] == "partly"
    assert len(_rows(ctx)) == rows_before, [(r.entity_id, r.payload) for r in _rows(ctx)[rows_before:]]
