"""iterate_by_id_batched against the sandbox portal: 50 list pages per batch request, chained by reference."""

from __future__ import annotations

from b24app.bitrix.client import BitrixClient

from .test_bitrix_sandbox import limiter_for, webhook_of

PER_CALL = 50 * 50  # records one batch request can list


def requests_for(records: int) -> int:
    """Batch requests a listing of ``records`` needs: full calls, then the one that meets the short page."""
    return records // PER_CALL + 1


def test_every_deal_once_in_order_in_a_batch_request_per_2500(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    before = portal.state()
    deals = before["deals"]
    assert deals >= 10_050
    ids = [int(deal["ID"]) for deal in client.iterate_by_id_batched("crm.deal.list", {"select": ["ID", "TITLE"]})]
    assert len(ids) == deals
    assert ids == sorted(set(ids))
    assert portal.state()["requests"] - before["requests"] == requests_for(deals)


def test_a_filtered_listing_matches_the_one_page_at_a_time_listing(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    params = {"filter": {"STAGE_ID": "NEW", ">ID": 1_000}, "select": ["ID", "STAGE_ID"]}
    one_by_one = list(client.iterate_by_id("crm.deal.list", params))
    before = portal.state()["requests"]
    batched = list(client.iterate_by_id_batched("crm.deal.list", params))
    assert batched == one_by_one
    assert len(batched) > 50 and all(d["STAGE_ID"] == "NEW" and int(d["ID"]) > 1_000 for d in batched)
    assert portal.state()["requests"] - before == requests_for(len(batched))


def test_an_exact_multiple_of_50_ends_on_the_empty_page_after_it(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    before = portal.state()["requests"]
    ids = [int(d["ID"]) for d in client.iterate_by_id_batched("crm.deal.list", {"filter": {"<=ID": 150}})]
    assert ids == list(range(1, 151))
    assert portal.state()["requests"] - before == 1
    # 2,500 records exactly: the 50 pages of the first request are all full, so a second request finds the end
    ids = [int(d["ID"]) for d in client.iterate_by_id_batched("crm.deal.list", {"filter": {"<=ID": 2_500}})]
    assert ids == list(range(1, 2_501))
    assert portal.state()["requests"] - before == 1 + 2


def test_an_empty_set_costs_one_request(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    before = portal.state()["requests"]
    assert list(client.iterate_by_id_batched("crm.deal.list", {"filter": {">ID": 10_000_000}})) == []
    assert portal.state()["requests"] - before == 1


def test_fewer_pages_per_request_when_asked(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    before = portal.state()["requests"]
    deals = list(client.iterate_by_id_batched("crm.deal.list", {"filter": {"<=ID": 420}}, pages_per_call=3))
    assert [int(d["ID"]) for d in deals] == list(range(1, 421))
    assert portal.state()["requests"] - before == 3  # 150 + 150 + 120 records
