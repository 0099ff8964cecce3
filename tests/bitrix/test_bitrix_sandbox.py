"""The client against the sandbox portal: a real HTTP server playing a Bitrix24 cloud portal."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import MethodNotFound, NotFound, OperationTimeLimit, PortalAuthError
from b24app.bitrix.operating import OperatingBudget
from b24app.bitrix.ratelimit import RateLimiter

from .conftest import SANDBOX_BURST, SANDBOX_DEALS, SANDBOX_RATE, SandboxTokens


def limiter_for(redis_client, rate: float = SANDBOX_RATE, burst: int = SANDBOX_BURST, margin: int = 3) -> RateLimiter:
    return RateLimiter(redis_client, f"t:portal:{uuid.uuid4().hex}", rate=rate, burst=burst, margin=margin)


def webhook_of(portal) -> str:
    return portal.control("webhooks", {"user_id": 1})["url"]


def test_calls_with_oauth_tokens_and_with_a_webhook(portal, tokens, redis_client) -> None:
    limiter = limiter_for(redis_client)
    oauth = BitrixClient(tokens, limiter=limiter)
    hook = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter)
    for client in (oauth, hook):
        assert str(client.call("user.current").result["ID"]) == "1"
        deal = client.call("crm.deal.get", {"id": 1})
        assert deal.result["ID"] == "1" and "start" in deal.time


def test_the_portals_errors_arrive_typed(portal, tokens, redis_client) -> None:
    client = BitrixClient(tokens, limiter=limiter_for(redis_client))
    with pytest.raises(NotFound) as caught:
        client.call("crm.deal.get", {"id": 99_999_999})
    assert caught.value.http_status == 400 and caught.value.method == "crm.deal.get"
    with pytest.raises(MethodNotFound):
        client.call("crm.no.such.method")
    broken_hook = webhook_of(portal).rstrip("/").rsplit("/", 1)[0] + "/wrongcode/"
    with pytest.raises(PortalAuthError) as caught:
        BitrixClient(webhook_url=broken_hook).call("user.current")
    assert "wrongcode" not in str(caught.value)


def test_create_update_and_read_back_cyrillic_fields(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    title = "Поставка «Ромашка» & Co — 10% скидка"
    new_id = client.call("crm.deal.add", {"fields": {"TITLE": title, "OPPORTUNITY": 1500.5, "OPENED": True}}).result
    deal = client.call("crm.deal.get", {"id": new_id}).result
    assert (deal["TITLE"], deal["OPENED"], float(deal["OPPORTUNITY"])) == (title, "Y", 1500.5)
    client.call("crm.deal.delete", {"id": new_id})


def test_batch_of_120_updates_goes_in_three_calls_and_maps_errors_per_key(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    marker = f"batch {uuid.uuid4().hex[:6]}"
    missing = {"gone-1": 90_000_001, "gone-2": 90_000_002, "gone-3": 90_000_003}
    commands = {
        f"deal-{i}": ("crm.deal.update", {"id": i, "fields": {"COMMENTS": f"{marker} {i}"}}) for i in range(1, 118)
    }
    commands.update(
        {key: ("crm.deal.update", {"id": deal_id, "fields": {"COMMENTS": "x"}}) for key, deal_id in missing.items()}
    )
    served_before = portal.state()["requests"]

    outcome = client.batch(commands)

    assert outcome.calls == 3 and portal.state()["requests"] - served_before == 3
    assert set(outcome.results) == {f"deal-{i}" for i in range(1, 118)}
    assert all(value is True for value in outcome.results.values())
    assert set(outcome.errors) == set(missing)
    assert all(isinstance(error, NotFound) and error.method == "crm.deal.update" for error in outcome.errors.values())
    reread = client.batch([("crm.deal.get", {"id": i}) for i in range(1, 118)])
    assert reread.calls == 3 and reread.ok
    assert all(reread.results[i - 1]["COMMENTS"] == f"{marker} {i}" for i in range(1, 118))


def test_batch_halt_stops_at_the_first_error(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    commands = [("crm.deal.get", {"id": i}) for i in range(1, 61)]
    commands[4] = ("crm.deal.get", {"id": 99_999_999})
    outcome = client.batch(commands, halt=True)
    assert sorted(outcome.results) == [0, 1, 2, 3]
    assert list(outcome.errors) == [4] and isinstance(outcome.errors[4], NotFound)
    assert outcome.not_run == list(range(5, 60)) and outcome.calls == 1


def test_batch_references_pass_a_result_into_a_later_command(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    outcome = client.batch(
        {
            "first": ("crm.deal.list", {"order": {"ID": "ASC"}, "filter": {">ID": 10}, "select": ["ID"], "start": -1}),
            "again": ("crm.deal.get", {"id": "$result[first][0][ID]"}),
        }
    )
    assert outcome.ok and outcome.results["again"]["ID"] == "11"


@pytest.mark.slow
def test_iterate_by_id_reads_every_one_of_10050_deals_once_in_order(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    served_before = portal.state()["requests"]
    ids = [int(deal["ID"]) for deal in client.iterate_by_id("crm.deal.list", {"select": ["ID", "TITLE"]})]
    assert len(ids) >= SANDBOX_DEALS
    assert ids == sorted(set(ids))
    # one request per 50 records plus the final short page: no counting, no re-reads
    assert portal.state()["requests"] - served_before == len(ids) // 50 + 1


def test_list_all_and_iterate_by_id_agree_on_a_small_set(portal, redis_client) -> None:
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter_for(redis_client))
    params = {"filter": {"<=ID": 130}, "select": ["ID", "TITLE"]}
    paged = list(client.list_all("crm.deal.list", params))
    fast = list(client.iterate_by_id("crm.deal.list", params))
    assert [d["ID"] for d in paged] == [d["ID"] for d in fast]
    assert 0 < len(paged) <= 130
    companies = list(client.list_all("crm.company.list", {"select": ["ID", "TITLE"]}))
    assert len({c["ID"] for c in companies}) == len(companies) > 0


def _hammer(client: BitrixClient, calls: int, failures: list[BaseException]) -> None:
    try:
        for _ in range(calls):
            client.call("user.current")
    except BaseException as exc:  # noqa: BLE001 - handed to the test thread
        failures.append(exc)


def _run_threads(clients: list[BitrixClient], calls: int) -> tuple[float, list[BaseException]]:
    failures: list[BaseException] = []
    threads = [threading.Thread(target=_hammer, args=(client, calls, failures)) for client in clients]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, failures


def test_a_limiter_matching_the_portal_never_meets_query_limit_exceeded(portal, redis_client) -> None:
    portal.configure(rate=20, burst=10, reset_limits=True)
    limiter = limiter_for(redis_client, rate=20, burst=10, margin=2)
    hook = webhook_of(portal)
    before = portal.state()["query_limit_exceeded"]
    clients = [BitrixClient(webhook_url=hook, limiter=limiter) for _ in range(3)]
    elapsed, failures = _run_threads(clients, 20)
    assert failures == []
    assert portal.state()["query_limit_exceeded"] - before == 0
    # 60 requests, 8 at once, the rest at 20/s
    assert elapsed >= (60 - 8) / 20 * 0.9


def test_a_looser_limiter_meets_query_limit_exceeded_and_recovers(portal, redis_client) -> None:
    portal.configure(rate=20, burst=10, reset_limits=True)
    loose = limiter_for(redis_client, rate=500, burst=500)
    hook = webhook_of(portal)
    before = portal.state()["query_limit_exceeded"]
    clients = [BitrixClient(webhook_url=hook, limiter=loose, backoff_base=0.05, max_retries=8) for _ in range(3)]
    elapsed, failures = _run_threads(clients, 15)
    assert failures == []
    assert portal.state()["query_limit_exceeded"] - before > 0


def test_an_expired_token_is_refreshed_once_and_the_work_goes_on(portal, tokens: SandboxTokens, redis_client) -> None:
    client = BitrixClient(tokens, limiter=limiter_for(redis_client))
    assert client.call("crm.deal.get", {"id": 2}).result["ID"] == "2"
    refreshes_before = portal.state()["refreshes"]["ok"]
    first_token = tokens.access_token()

    portal.control("tokens/expire")
    assert client.call("crm.deal.get", {"id": 3}).result["ID"] == "3"
    outcome = client.batch([("crm.deal.get", {"id": i}) for i in range(4, 9)])

    assert outcome.ok
    assert tokens.rejections == [first_token]
    assert portal.state()["refreshes"]["ok"] - refreshes_before == 1


def test_operating_time_limit_is_raised_with_its_reset_time_and_then_anticipated(portal, redis_client) -> None:
    portal.configure(operating_limit=0.000001, reset_limits=True)
    limiter = limiter_for(redis_client)
    client = BitrixClient(webhook_url=webhook_of(portal), limiter=limiter)
    first = client.call("crm.deal.list", {"filter": {"<=ID": 5}, "start": -1})
    assert first.time["operating"] > 0 and first.time["operating_reset_at"] > time.time()

    with pytest.raises(OperationTimeLimit) as caught:
        client.call("crm.deal.list", {"filter": {"<=ID": 5}, "start": -1})
    assert caught.value.http_status == 429
    assert caught.value.reset_at == pytest.approx(first.time["operating_reset_at"], abs=1)
    # other methods are not blocked
    assert client.call("crm.deal.get", {"id": 1}).result["ID"] == "1"

    # a client that knows the limit does not send the doomed call at all
    blocked_before = portal.state()["operation_time_limit"]
    careful = BitrixClient(
        webhook_url=webhook_of(portal),
        limiter=limiter,
        operating=OperatingBudget(limiter.redis, f"{limiter.key}:operating", limit=0.000001, headroom=0, max_wait=1),
    )
    with pytest.raises(OperationTimeLimit):
        careful.call("crm.deal.list", {"filter": {"<=ID": 5}, "start": -1})
    assert portal.state()["operation_time_limit"] == blocked_before
