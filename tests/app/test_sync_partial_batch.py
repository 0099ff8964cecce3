"""A payments push whose batches partly go through before the portal answers 503: retried, every timeline comment
arrives exactly once (the marks of what arrived are durable and written per comment, not per finished pull)."""

from __future__ import annotations

import pytest

from b24app.bitrix.client import BitrixClient
from b24app.jobs.outbox import deal_orders
from b24app.jobs.pull import portal_lang
from b24app.onec.readers import OneCDocuments
from b24app.sync.to_bitrix.deal_state import DealStateSync, Touched
from tests.support import sync_data as sd
from tests.support.processes import post_json

pytestmark = pytest.mark.db

DEALS = 30  # each gets a field update and a comment: 60 commands, two batch calls


def _comments(client: BitrixClient, deal: str) -> list[str]:
    rows = client.call("crm.timeline.comment.list", {"filter": {"ENTITY_TYPE": "deal", "ENTITY_ID": deal}}).result
    return [c["COMMENT"] for c in rows]


def test_a_push_cut_by_503_mid_way_repeats_no_comment_when_retried(ctx, configured_base, sandbox_url, onec_url,
                                                                   settings_env):
    member = sd.member_id(sandbox_url)
    manager = sd.manager(sandbox_url)
    sd.unthrottle(ctx, sandbox_url, member)
    odata = sd.onec(onec_url)
    items = sd.catalog_items(manager, odata, 1)
    _, company, _ = sd.deal_with_company(manager)
    sd.order_on_stage(ctx, member)
    deals = sd.bulk_deals(manager, company["ID"], items, DEALS)
    orders = {deal: deal_orders(ctx, member).push(deal) for deal in deals}
    receipts = {deal: post_json(f"{onec_url}/_sandbox/ut/seed/payment",
                                {"order_number": order.number, "sum": 100.0, "kind": "bank"})
                for deal, order in orders.items()}
    touched = [Touched(order.ref_key, receipts[deal]["Ref_Key"], str(receipts[deal].get("DataVersion", "1")),
                       receipts[deal]["Number"], "payment") for deal, order in orders.items()]
    # A client that gives up at the first 503, as one whose retries ran out does.
    impatient = BitrixClient(ctx.tokens(member), max_retries=0)
    base = ctx.bases.connection(member, configured_base.id)
    docs = OneCDocuments.for_base(base, egress=ctx.egress)

    # The deals' current state is one batch call, the first push batch goes through, the second is refused.
    post_json(sandbox_url + "/_sandbox/config", {"fail_batches_after": 2, "fail_batches": 1})
    state = DealStateSync(impatient, docs, links=ctx.links, marks=ctx.marks, settings=ctx.portal_settings.get(member),
                          lang=portal_lang(ctx, member), member_id=member, base_id=configured_base.id)
    first = state.sync(touched, payments=True, shipments=False)
    assert first.failed and first.confirmed  # some deals were updated, the rest were not sent
    sent_before = sum(len(ids) for ids in first.comments_added.values())
    assert 0 < sent_before < DEALS

    again = state.sync(touched, payments=True, shipments=False)
    assert again.complete
    for deal, receipt in receipts.items():
        told = [c for c in _comments(manager, deal) if f"№ {receipt['Number']}" in c and "поступила оплата" in c]
        assert len(told) == 1, (deal, told)
