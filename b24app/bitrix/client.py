"""The app's Bitrix24 REST client: one portal, OAuth tokens or an inbound webhook.

- A call is a form POST to ``<client_endpoint><method>`` with the access token in ``auth``, or to
  ``<webhook_url><method>`` (``settings/how-to-call-rest-api/index.md``, ``settings/oauth/index.md``).
- Before every HTTP request (a batch is one) the shared RateLimiter admits it; a method close to its
  execution-time budget waits for the budget's reset (OperatingBudget).
- ``QUERY_LIMIT_EXCEEDED``, other 5xx and connection failures are retried with exponential backoff and jitter;
  ``expired_token`` is cured once by ``tokens.refresh_after_rejection``; other errors raise typed at once.
- Tokens and webhook URLs (which contain the webhook's secret code) never reach the log or an error message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from b24app.bitrix import batch as batching
from b24app.bitrix import listing
from b24app.bitrix.encoding import flatten
from b24app.bitrix.errors import (
    NOT_RETRYABLE_CODES,
    BitrixError,
    OperationTimeLimit,
    PortalUnavailable,
    RateLimited,
    TokenExpired,
    error_from_answer,
)
from b24app.bitrix.operating import OperatingBudget
from b24app.bitrix.ratelimit import RateLimiter
from b24app.core.backoff import backoff_delay

log = logging.getLogger(__name__)

# Methods that only read: an unanswered call to one of them can be repeated without risk. A write whose answer
# timed out may have been executed, so it is not repeated blindly.
_READ_ONLY_VERBS = frozenset({"get", "list", "fields", "current", "info", "admin", "getlist", "search"})


class TokenSource(Protocol):
    """Where the client gets OAuth access tokens for one portal (the token lifecycle lives elsewhere)."""

    member_id: str
    client_endpoint: str  # e.g. "https://x.bitrix24.ru/rest/" (ends with /rest/)

    def access_token(self) -> str:
        """A valid access token (implementations refresh ahead of expiry)."""
        ...

    def refresh_after_rejection(self, rejected: str) -> str:
        """The portal answered ``expired_token`` for ``rejected``; return a fresh token.

        Implementations refresh at most once across processes (another process may already have done it).
        """
        ...


@dataclass(frozen=True)
class BitrixResponse:
    """A successful answer: ``result`` plus the list fields ``total``/``next`` and the ``time`` block."""

    method: str
    result: Any
    total: int | None = None
    next: int | None = None
    time: Mapping[str, Any] = field(default_factory=dict)


class BitrixClient:
    """Calls one portal's REST API under its shared rate limit, retrying what is worth retrying.

    Give each thread its own client (a requests.Session is not promised to be thread-safe); clients of one
    portal in any thread or process share the portal's RateLimiter through Redis.
    """

    def __init__(
        self,
        tokens: TokenSource | None = None,
        *,
        webhook_url: str | None = None,
        limiter: RateLimiter | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        operating: OperatingBudget | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        auth_connector: str | None = None,
    ) -> None:
        if (tokens is None) == (webhook_url is None):
            raise ValueError("give exactly one of tokens (OAuth) or webhook_url")
        self._tokens = tokens
        self._webhook_url = _with_slash(webhook_url) if webhook_url else None
        self._limiter = limiter
        self._session = session or requests.Session()
        self.timeout = timeout
        self.max_retries = max_retries
        if operating is None and limiter is not None:
            operating = OperatingBudget(limiter.redis, f"{limiter.key}:operating")
        self._operating = operating
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        # api-reference/events/offline-events.md ("How to Avoid Cycles"): changes made with the same
        # auth_connector the offline bindings name are not queued back to us. Sent with every call, and inside
        # every batch command, since the docs do not say whether a batch passes it on (Pro plan and above;
        # other plans ignore it and our own changes come back, which the jobs' fingerprints absorb).
        self._auth_connector = auth_connector

    # ----------------------------------------------------------------------------------------------- calls

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> BitrixResponse:
        """Call ``method`` once (plus retries) and return its answer; raise a typed BitrixError on failure."""
        answer = self._post(method, flatten(self._with_connector(params)), budget_methods=(method,))
        if self._operating is not None:
            self._operating.record(method, answer.get("time"))
        return BitrixResponse(
            method=method,
            result=answer.get("result"),
            total=_int_or_none(answer.get("total")),
            next=_int_or_none(answer.get("next")),
            time=answer.get("time") or {},
        )

    def batch(
        self,
        commands: Mapping[Hashable, tuple[str, Mapping[str, Any] | None]]
        | Sequence[tuple[str, Mapping[str, Any] | None]],
        *,
        halt: bool = False,
    ) -> batching.BatchResult:
        """Run commands through ``batch``, 50 per HTTP call, and key results and errors as the caller did.

        A command's error does not lose the other commands' results. With ``halt`` the portal stops a call at
        its first failing command and no further calls are sent; the commands that never ran are listed in
        ``not_run``. An error of a batch call itself (auth, limits after retries) raises, carrying the results
        of the calls already made as ``error.batch_partial``.
        """
        outcome = batching.BatchResult()
        groups = batching.chunks(batching.commands_of(self._connector_commands(commands)))
        for number, group in enumerate(groups):
            pairs = batching.form_pairs(group, halt)
            if self._auth_connector:
                pairs.append(("auth_connector", self._auth_connector))
            methods = tuple(dict.fromkeys(c.method for c in group))
            try:
                answer = self._post("batch", pairs, budget_methods=methods)
            except BitrixError as error:
                error.batch_partial = outcome  # what the earlier calls did is real: let the caller see it
                raise
            outcome.calls += 1
            failed_before = len(outcome.errors)
            batching.merge_answer(outcome, group, answer.get("result"), self._sub_error)
            self._record_sub_times(group, outcome)
            if halt and len(outcome.errors) > failed_before:
                outcome.not_run.extend(c.key for later in groups[number + 1 :] for c in later)
                break
        return outcome

    def list_all(
        self, method: str, params: Mapping[str, Any] | None = None, *, page_key: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of a list method by ordinary ``start``/``next`` paging (fine for small sets)."""
        return listing.list_all(self.call, method, params, page_key=page_key)

    def iterate_by_id(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        id_field: str = "ID",
        page_key: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record of a list method, the fast way for big sets (``settings/performance/huge-data.md``)."""
        return listing.iterate_by_id(self.call, method, params, id_field=id_field, page_key=page_key)

    def iterate_by_id_batched(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        id_field: str = "ID",
        page_key: str | None = None,
        pages_per_call: int = listing.BATCH_PAGES,
    ) -> Iterator[dict[str, Any]]:
        """``iterate_by_id`` with up to 50 pages chained in each ``batch`` request (2,500 records a request)."""
        return listing.iterate_by_id_batched(
            lambda commands: self.batch(commands, halt=True),
            method,
            params,
            id_field=id_field,
            page_key=page_key,
            pages_per_call=pages_per_call,
        )

    # -------------------------------------------------------------------------------------------- transport

    def _with_connector(self, params: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        if not self._auth_connector:
            return params
        return {**(params or {}), "auth_connector": self._auth_connector}

    def _connector_commands(self, commands):  # noqa: ANN001, ANN202 - the shapes batch() accepts
        if not self._auth_connector:
            return commands
        if isinstance(commands, Mapping):
            return {key: (method, self._with_connector(params)) for key, (method, params) in commands.items()}
        return [(method, self._with_connector(params)) for method, params in commands]

    def _post(self, method: str, pairs: list[tuple[str, str]], *, budget_methods: tuple[str, ...]) -> dict[str, Any]:
        token = self._tokens.access_token() if self._tokens is not None else None
        refreshed = False
        attempt = 0
        while True:
            if self._operating is not None:
                for name in budget_methods:
                    self._operating.wait_if_near_limit(name)
            waited = self._limiter.acquire() if self._limiter is not None else 0.0
            try:
                answer = self._send(method, pairs, token, waited)
            except BitrixError as error:
                failure = error
            else:
                return answer
            if isinstance(failure, TokenExpired) and self._tokens is not None and not refreshed:
                refreshed = True
                log.info("bitrix %s: access token expired, refreshing once", method)
                token = self._tokens.refresh_after_rejection(token or "")
                continue
            if attempt >= self.max_retries or not _retryable(failure, method):
                raise failure
            if isinstance(failure, RateLimited) and self._limiter is not None:
                self._limiter.saturate()
            delay = self._backoff(attempt)
            attempt += 1
            log.warning(
                "bitrix %s: %s (HTTP %s), retry %d/%d in %.2f s",
                method,
                failure.code,
                failure.http_status,
                attempt,
                self.max_retries,
                delay,
            )
            time.sleep(delay)

    def _send(self, method: str, pairs: list[tuple[str, str]], token: str | None, waited: float) -> dict[str, Any]:
        """One HTTP request; the parsed success answer, or a typed error raised."""
        body = pairs if token is None else [*pairs, ("auth", token)]
        url = self._url(method)
        started = time.monotonic()
        try:
            response = self._session.post(url, data=body, timeout=self.timeout)
        except requests.Timeout as exc:
            if isinstance(exc, requests.ConnectTimeout):
                raise self._unreachable(method, "connection timed out") from None
            # The request reached the portal; whether it ran is unknown.
            raise PortalUnavailable(
                "READ_TIMEOUT",
                f"no answer from {self._host()} within {self.timeout:.0f} s; the call may have been executed",
                method,
            ) from None
        except requests.ConnectionError as exc:
            raise self._unreachable(method, type(exc).__name__) from None
        elapsed = time.monotonic() - started
        log.debug(
            "bitrix %s: HTTP %d in %.3f s (waited %.3f s for the limiter)",
            method,
            response.status_code,
            elapsed,
            waited,
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise self._non_json(method, response)
        if "error" in answer or response.status_code >= 400:
            reset_at = None
            if answer.get("error") == "OPERATION_TIME_LIMIT" and self._operating is not None:
                reset_at = self._operating.reset_at(method)
            raise error_from_answer(
                answer, method=method, http_status=response.status_code, operating_reset_at=reset_at
            )
        return answer

    # -------------------------------------------------------------------------------------------- details

    def _url(self, method: str) -> str:
        if self._webhook_url is not None:
            return f"{self._webhook_url}{method}"
        assert self._tokens is not None
        return f"{_with_slash(self._tokens.client_endpoint)}{method}"

    def _host(self) -> str:
        # Only the host: a webhook URL's path holds its secret code.
        base = self._webhook_url or (self._tokens.client_endpoint if self._tokens else "")
        return urlsplit(base).netloc or "the portal"

    def _unreachable(self, method: str, why: str) -> PortalUnavailable:
        return PortalUnavailable("CONNECTION_FAILED", f"cannot reach {self._host()}: {why}", method)

    def _non_json(self, method: str, response: requests.Response) -> BitrixError:
        status = response.status_code
        description = f"HTTP {status} from {self._host()} without a JSON answer"
        if status >= 500 or status == 429:
            return PortalUnavailable(f"HTTP_{status}", description, method, status)
        return error_from_answer(
            {"error": f"HTTP_{status}", "error_description": description}, method=method, http_status=status
        )

    def _sub_error(self, answer: Mapping[str, Any], method: str) -> BitrixError:
        reset_at = None
        if answer.get("error") == "OPERATION_TIME_LIMIT" and self._operating is not None:
            reset_at = self._operating.reset_at(method)
        return error_from_answer(answer, method=method, http_status=None, operating_reset_at=reset_at)

    def _record_sub_times(self, group: list[batching.Command], outcome: batching.BatchResult) -> None:
        # limits.md: the outer batch is not counted in `operating`; each nested call counts for its own method.
        if self._operating is None:
            return
        for command in group:
            timing = outcome.times.get(command.key)
            if timing is not None:
                self._operating.record(command.method, timing)

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(attempt, self._backoff_base, self._backoff_cap)


def _retryable(error: BitrixError, method: str) -> bool:
    if isinstance(error, RateLimited):
        return True
    if isinstance(error, OperationTimeLimit):
        return False
    if isinstance(error, PortalUnavailable):
        if error.code in NOT_RETRYABLE_CODES:
            return False
        if error.code == "READ_TIMEOUT":
            return method.rsplit(".", 1)[-1].lower() in _READ_ONLY_VERBS
        return True
    return False


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
