"""Error mapping and retry policy, with the HTTP transport replaced by scripted answers.

Mocked requests are allowed here only: these tests are about which typed error each answer becomes and which
answers are retried; the integration tests run the same client against the real sandbox server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from urllib.parse import parse_qsl

import pytest
import requests
from requests.adapters import BaseAdapter

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import (
    AccessDenied,
    BatchLengthExceeded,
    BitrixError,
    MethodNotFound,
    NotFound,
    OperationTimeLimit,
    PortalAuthError,
    PortalUnavailable,
    RateLimited,
    TokenExpired,
    error_from_answer,
)
from b24app.bitrix.ratelimit import LimiterTimeout, RateLimiter

SECRET_WEBHOOK = "http://portal.test/rest/1/s3cr3tc0de/"


class ScriptedAdapter(BaseAdapter):
    """Answers each request with the next scripted item: ``(status, body)`` or an exception to raise."""

    def __init__(self, script: Iterable[tuple[int, object] | Exception]) -> None:
        super().__init__()
        self.script = list(script)
        self.sent: list[dict[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        body = request.body or ""
        self.sent.append(dict(parse_qsl(body if isinstance(body, str) else body.decode())))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        status, payload = item
        response = requests.Response()
        response.status_code = status
        response._content = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


class CountingTokens:
    member_id = "0" * 32
    client_endpoint = "http://portal.test/rest/"

    def __init__(self) -> None:
        self.token = "token-1"
        self.rejected: list[str] = []

    def access_token(self) -> str:
        return self.token

    def refresh_after_rejection(self, rejected: str) -> str:
        self.rejected.append(rejected)
        self.token = f"token-{len(self.rejected) + 1}"
        return self.token


def client_with(script: list, *, tokens: CountingTokens | None = None, **options: object) -> tuple:
    adapter = ScriptedAdapter(script)
    session = requests.Session()
    session.mount("http://", adapter)
    options.setdefault("backoff_base", 0.001)
    if tokens is None:
        client = BitrixClient(webhook_url=SECRET_WEBHOOK, session=session, **options)
    else:
        client = BitrixClient(tokens, session=session, **options)
    return client, adapter


def ok(result: object = True, **extra: object) -> tuple[int, dict]:
    return 200, {"result": result, "time": {"start": 1.0, "finish": 1.1}, **extra}


def err(status: int, code: str, description: str = "") -> tuple[int, dict]:
    return status, {"error": code, "error_description": description}


@pytest.mark.parametrize(
    ("status", "code", "description", "expected"),
    [
        (503, "QUERY_LIMIT_EXCEEDED", "Too many requests", RateLimited),
        (401, "expired_token", "The access token provided has expired.", TokenExpired),
        (401, "invalid_token", "Unable to get application by token", PortalAuthError),
        (401, "NO_AUTH_FOUND", "Wrong authorization data", PortalAuthError),
        (401, "INVALID_CREDENTIALS", "Invalid request credentials", PortalAuthError),
        (400, "invalid_grant", "", PortalAuthError),
        (401, "invalid_client", "", PortalAuthError),
        (402, "PAYMENT_REQUIRED", "Payment required", PortalAuthError),
        (401, "wrong_client", "", PortalAuthError),
        (401, "insufficient_scope", "", AccessDenied),
        (403, "ACCESS_DENIED", "REST is available only on commercial plans", AccessDenied),
        (401, "user_access_error", "", AccessDenied),
        (400, "", "Access denied.", AccessDenied),
        (404, "ERROR_METHOD_NOT_FOUND", "Method not found!", MethodNotFound),
        (400, "", "Not found", NotFound),
        (400, "NOT_FOUND", "Item not found", NotFound),
        (429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit", OperationTimeLimit),
        (400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", BatchLengthExceeded),
        (500, "INTERNAL_SERVER_ERROR", "Internal server error", PortalUnavailable),
        (502, "SOMETHING", "", PortalUnavailable),
        (400, "ERROR_CORE", "Invalid value for the Currency field", BitrixError),
    ],
)
def test_answers_map_to_typed_errors_carrying_the_portals_words(status, code, description, expected) -> None:
    error = error_from_answer(
        {"error": code, "error_description": description}, method="crm.deal.get", http_status=status
    )
    assert type(error) is expected
    assert (error.code, error.description, error.method, error.http_status) == (
        code,
        description,
        "crm.deal.get",
        status,
    )
    assert "crm.deal.get" in str(error)


def test_operation_time_limit_carries_the_reset_time_in_its_message() -> None:
    error = error_from_answer(
        {"error": "OPERATION_TIME_LIMIT", "error_description": "blocked"},
        method="crm.deal.list",
        http_status=429,
        operating_reset_at=1_800_000_000,
    )
    assert isinstance(error, OperationTimeLimit)
    assert error.reset_at == 1_800_000_000
    assert "2027-01-15T08:00:00" in str(error)


def test_query_limit_exceeded_is_retried_until_it_passes() -> None:
    client, adapter = client_with([err(503, "QUERY_LIMIT_EXCEEDED"), err(503, "QUERY_LIMIT_EXCEEDED"), ok(["x"])])
    assert client.call("crm.deal.list").result == ["x"]
    assert len(adapter.sent) == 3


def test_retries_stop_at_max_retries_with_the_last_error() -> None:
    client, adapter = client_with([err(503, "QUERY_LIMIT_EXCEEDED")] * 4, max_retries=3)
    with pytest.raises(RateLimited):
        client.call("crm.deal.list")
    assert len(adapter.sent) == 4


def test_5xx_without_json_and_connection_errors_are_retried_as_portal_unavailable() -> None:
    client, adapter = client_with(
        [(502, "<html>Bad Gateway</html>"), requests.ConnectionError("refused"), ok({"ID": "1"})]
    )
    assert client.call("crm.deal.get", {"id": 1}).result == {"ID": "1"}
    assert len(adapter.sent) == 3

    client, _ = client_with([(500, "<html>oops</html>")] * 3, max_retries=2)
    with pytest.raises(PortalUnavailable) as caught:
        client.call("crm.deal.get", {"id": 1})
    assert caught.value.http_status == 500 and caught.value.code == "HTTP_500"


def test_read_timeout_is_retried_for_reads_but_not_for_writes() -> None:
    client, adapter = client_with([requests.ReadTimeout("slow"), ok([])])
    assert client.call("crm.deal.list").result == []
    assert len(adapter.sent) == 2

    client, adapter = client_with([requests.ReadTimeout("slow"), ok(True)])
    with pytest.raises(PortalUnavailable, match="may have been executed"):
        client.call("crm.deal.update", {"id": 1, "fields": {"TITLE": "x"}})
    assert len(adapter.sent) == 1


@pytest.mark.parametrize(
    "answer",
    [
        err(401, "invalid_token"),
        err(401, "NO_AUTH_FOUND"),
        err(403, "ACCESS_DENIED"),
        err(404, "ERROR_METHOD_NOT_FOUND"),
        err(400, "", "Not found"),
        err(429, "OPERATION_TIME_LIMIT"),
        err(503, "OVERLOAD_LIMIT", "REST API is blocked due to overload"),
    ],
)
def test_errors_that_retrying_cannot_cure_raise_at_once(answer) -> None:
    tokens = CountingTokens()
    client, adapter = client_with([answer, ok()], tokens=tokens)
    with pytest.raises(BitrixError):
        client.call("crm.deal.get", {"id": 1})
    assert len(adapter.sent) == 1
    assert tokens.rejected == []


def test_expired_token_is_refreshed_once_and_the_call_repeated_with_the_new_token() -> None:
    tokens = CountingTokens()
    client, adapter = client_with([err(401, "expired_token"), ok({"ID": "5"})], tokens=tokens)
    assert client.call("crm.deal.get", {"id": 5}).result == {"ID": "5"}
    assert tokens.rejected == ["token-1"]
    assert [sent["auth"] for sent in adapter.sent] == ["token-1", "token-2"]
    assert adapter.sent[0]["id"] == "5"


def test_a_second_expired_token_after_the_refresh_raises() -> None:
    tokens = CountingTokens()
    client, adapter = client_with([err(401, "expired_token"), err(401, "expired_token"), ok()], tokens=tokens)
    with pytest.raises(TokenExpired):
        client.call("user.current")
    assert tokens.rejected == ["token-1"]
    assert len(adapter.sent) == 2


def test_list_fields_of_the_answer_are_exposed() -> None:
    client, _ = client_with([ok([{"ID": "1"}], total=120, next=50)])
    response = client.call("crm.deal.list")
    assert (response.total, response.next, response.time["start"]) == (120, 50, 1.0)


def test_tokens_and_webhook_secrets_stay_out_of_errors_and_logs(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="b24app.bitrix")
    tokens = CountingTokens()
    client, _ = client_with(
        [err(503, "QUERY_LIMIT_EXCEEDED"), err(401, "expired_token"), err(401, "invalid_token")], tokens=tokens
    )
    with pytest.raises(PortalAuthError) as caught:
        client.call("user.current")
    assert "token-" not in caplog.text and "token-" not in str(caught.value)

    client, _ = client_with(
        [requests.ConnectionError(f"cannot connect to {SECRET_WEBHOOK}user.current")] * 2, max_retries=1
    )
    with pytest.raises(PortalUnavailable) as caught:
        client.call("user.current")
    assert "s3cr3tc0de" not in str(caught.value) and "s3cr3tc0de" not in caplog.text
    assert "portal.test" in str(caught.value)


def test_batch_maps_results_and_errors_to_the_callers_keys() -> None:
    answer = {
        "result": {
            "result": {"a": True, "c": {"ID": "3"}},
            "result_error": {"b": {"error": "", "error_description": "Not found"}},
            "result_total": [],
            "result_next": [],
            "result_time": {"a": {"operating": 0.1}, "c": {"operating": 0.2}},
        }
    }
    client, adapter = client_with([(200, answer)])
    outcome = client.batch(
        {
            "a": ("crm.deal.update", {"id": 1, "fields": {"TITLE": "x"}}),
            "b": ("crm.deal.get", {"id": 999}),
            "c": ("crm.deal.get", {"id": 3}),
        }
    )
    assert outcome.results == {"a": True, "c": {"ID": "3"}}
    assert isinstance(outcome.errors["b"], NotFound) and outcome.errors["b"].method == "crm.deal.get"
    assert not outcome.ok and outcome.calls == 1
    assert adapter.sent[0]["cmd[a]"] == "crm.deal.update?id=1&fields%5BTITLE%5D=x"
    assert adapter.sent[0]["halt"] == "0"


def test_batch_sections_sent_as_json_lists_map_by_position() -> None:
    # PHP turns an array keyed exactly 0..n-1 into a JSON list: results of numerically keyed commands.
    answer = {"result": {"result": [True, True], "result_error": [], "result_total": [], "result_next": []}}
    client, _ = client_with([(200, answer)])
    outcome = client.batch([("crm.deal.update", {"id": 1}), ("crm.deal.update", {"id": 2})])
    assert outcome.results == {0: True, 1: True} and outcome.ok


def test_batch_with_halt_lists_commands_that_never_ran() -> None:
    first = {
        "result": {
            "result": {str(i): True for i in range(10)},
            "result_error": {"10": {"error": "", "error_description": "Not found"}},
        }
    }
    client, adapter = client_with([(200, first)])
    outcome = client.batch([("crm.deal.update", {"id": i}) for i in range(60)], halt=True)
    assert sorted(outcome.results) == list(range(10))
    assert list(outcome.errors) == [10]
    assert outcome.not_run == list(range(11, 60))
    assert len(adapter.sent) == 1 and adapter.sent[0]["halt"] == "1"


def test_batch_error_of_a_later_call_keeps_the_earlier_calls_results() -> None:
    first = {"result": {"result": {str(i): True for i in range(50)}, "result_error": []}}
    client, _ = client_with([(200, first), err(401, "invalid_token")])
    with pytest.raises(PortalAuthError) as caught:
        client.batch([("crm.deal.update", {"id": i}) for i in range(70)])
    assert len(caught.value.batch_partial.results) == 50


def test_batch_refuses_references_that_would_land_in_another_call() -> None:
    client, adapter = client_with([])
    commands = {f"k{i}": ("crm.deal.get", {"id": i}) for i in range(60)}
    commands["late"] = ("crm.deal.update", {"id": "$result[k0][ID]"})
    with pytest.raises(ValueError, match=r"\$result\[k0\]"):
        client.batch(commands)
    assert adapter.sent == []


def test_exactly_one_of_tokens_or_webhook_is_required() -> None:
    with pytest.raises(ValueError):
        BitrixClient()
    with pytest.raises(ValueError):
        BitrixClient(CountingTokens(), webhook_url=SECRET_WEBHOOK)


def test_every_http_request_including_retries_takes_a_slot_from_the_limiter(redis_client) -> None:
    limiter = RateLimiter(redis_client, "t:slots", rate=0.001, burst=10, margin=0)
    client, adapter = client_with([(500, "<html/>"), (500, "<html/>"), ok()], limiter=limiter)
    client.call("crm.deal.list")
    assert len(adapter.sent) == 3
    for _ in range(7):
        limiter.acquire(timeout=0)
    with pytest.raises(LimiterTimeout):
        limiter.acquire(timeout=0)


def test_batch_keys_that_php_would_misread_and_nested_batches_are_refused() -> None:
    client, adapter = client_with([])
    with pytest.raises(ValueError, match="square brackets"):
        client.batch({"a[b]": ("user.current", None)})
    with pytest.raises(ValueError, match="batch"):
        client.batch([("batch", {"cmd": {"x": "user.current"}})])
    assert adapter.sent == []
