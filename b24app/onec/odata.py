"""HTTP client of the 1C standard OData interface (OData v3, JSON).

Protocol facts (1C:Enterprise 8.3.27 docs, chapter 17.4, repo hacker-cb/1c-odata,
docs/1c/markdown/17.4_-_Cтандартный_интерфейс_OData_8_3_27.md):
  * `$format=json` selects JSON (17.4.2); collections answer `{"odata.metadata", "value": [...]}`;
  * `$filter`, `$select`, `$orderby`, `$top`, `$skip` (17.4.5-17.4.6); `$inlinecount=allpages` adds
    `odata.count` and makes 1C IGNORE `$skip`/`$top` (17.4.6.2), so counts are read with `/$count`;
  * virtual tables are functions `<Register>/Balance(Period=…, Condition='…', Dimensions='…')`,
    `/Turnovers(StartPeriod=…, EndPeriod=…)` (17.4.9, 17.4.13.2);
  * POST to the entity set creates, PATCH to `Set(guid'…')` updates (17.4.13.1.2-3);
    `Set(guid'…')/Post?PostingModeOperational=false` posts, `/Unpost` unposts (17.4.13.1.7);
  * errors carry `odata.error` with `code` and `message.value` (17.4.10).

Outbound safety (ARCHITECTURE.md, data flow 6): every request first passes the `egress.EgressPolicy` (the base's
host must resolve to addresses the app may call; the session's connections check the peer again), redirects are
never followed, and an error answer is summarised — 1C's own code and message, or just the HTTP status — never
echoed, because the body may come from something that is not 1C.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

import requests
from defusedxml import ElementTree as SafeET

from b24app.core.backoff import backoff_delay
from b24app.onec import query as q
from b24app.onec import standard as std
from b24app.onec.base import OneCBase
from b24app.onec.egress import EgressPolicy, EgressRefused, UnknownHost, split_url
from b24app.onec.errors import (
    OneCAddressRefused,
    OneCAuthError,
    OneCError,
    OneCNotFound,
    OneCQueryError,
    OneCUnavailable,
)

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 1000
# A base's address, once checked, is trusted this long per client (spares a DNS lookup per page; the connection
# itself still checks the peer it reached).
EGRESS_CACHE_SECONDS = 60.0
# What of an error answer is shown: 1C's code and message, bounded; bodies larger than this are not parsed.
ERROR_MESSAGE_CHARS = 300
ERROR_CODE_CHARS = 40
ERROR_BODY_PARSE_LIMIT = 64 * 1024
# Namespace of the XML error body of OData v3 (`<m:error>`), which 1C answers without `$format=json`.
ODATA_METADATA_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"


class Utf8BasicAuth(requests.auth.AuthBase):
    """HTTP Basic with the credentials encoded as UTF-8.

    requests encodes str credentials as latin-1, which fails on a Cyrillic login such as
    «Администратор»; 1C decodes the Basic header as UTF-8 (as RFC 7617 charset="UTF-8" describes).
    """

    def __init__(self, login: str, password: str) -> None:
        token = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")
        self._header = f"Basic {token}"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header
        return request


@dataclass(frozen=True)
class RetryPolicy:
    """In-call retries of one request: `attempts` tries, waiting `core.backoff.backoff_delay` between them."""

    attempts: int = 4
    base_delay: float = 0.3
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        return backoff_delay(attempt, self.base_delay, self.max_delay)


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    count: int | None = None


class ODataClient:
    """Talks to one base. Every call has a timeout; idempotent calls are retried on 5xx and network errors.

    `timeout` is (connect, read) seconds. `requests_made` counts HTTP requests sent (for the benchmark
    and tests). A POST that creates an object is never retried once it may have reached the server:
    the caller (`documents.DocumentWriter`) looks for the object first.

    `egress` is required so that no caller can forget it: the base is called only where the policy permits
    (OneCAddressRefused otherwise), and the session — a given one too — gets the policy's peer-checking adapter.
    """

    def __init__(
        self,
        base: OneCBase,
        *,
        egress: EgressPolicy,
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base = base
        self.egress = egress
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.session = egress.mount(session or requests.Session())
        self.session.auth = Utf8BasicAuth(base.login, base.password)
        self.requests_made = 0
        self._egress_checked_until: dict[tuple[str, int], float] = {}

    # ------------------------------------------------------------------ transport

    def url(self, resource: str, params: Mapping[str, object] | None = None) -> str:
        url = self.base.service_root + q.encode_path(resource)
        query = q.encode_query(params or {})
        return f"{url}?{query}" if query else url

    def request(
        self,
        method: str,
        resource: str,
        *,
        params: Mapping[str, object] | None = None,
        body: Mapping | None = None,
        idempotent: bool = True,
        accept_json: bool = True,
    ) -> requests.Response:
        """Sends one call with retries; returns the 2xx response or raises a typed OneCError."""
        self._check_egress()
        url = self.url(resource, params)
        headers = {"Accept": "application/json"} if accept_json else {}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        last: OneCError | None = None
        for attempt in range(self.retry.attempts):
            if attempt:
                time.sleep(self.retry.delay(attempt))
            try:
                self.requests_made += 1
                # A redirect could lead anywhere (the egress check saw only the base's host): never followed.
                response = self.session.request(method, url, data=data, headers=headers, timeout=self.timeout,
                                                allow_redirects=False)
            except EgressRefused as exc:
                # The connection reached a refused peer (the name resolved differently than when checked).
                raise OneCAddressRefused(exc.reason, self.base.label) from None
            except requests.exceptions.RequestException as exc:
                last = OneCUnavailable("", f"{method} {resource}: {_network_reason(exc)}", None, self.base.label)
                if idempotent or _never_sent(exc):
                    log.warning("1C %s: %s (attempt %d)", self.base.label, last.message, attempt + 1)
                    continue
                raise last from exc
            if 300 <= response.status_code < 400:
                raise self._redirect_error(response, method, resource)
            if response.status_code < 400:
                return response
            error = self._error(response, method, resource)
            if response.status_code >= 500 and idempotent:
                last = error
                log.warning("1C %s: %s (attempt %d)", self.base.label, error, attempt + 1)
                continue
            raise error
        assert last is not None
        raise last

    def _check_egress(self) -> None:
        """Raises OneCAddressRefused unless the base's host resolves only to permitted addresses (a verdict kept
        `EGRESS_CACHE_SECONDS` per host and port)."""
        try:
            _, host, port = split_url(self.base.url)
            now = time.monotonic()
            if self._egress_checked_until.get((host, port), 0.0) > now:
                return
            self.egress.check_host_port(host, port)
        except UnknownHost as exc:
            # A name that does not resolve now may resolve in a minute (the resolver or the base's DNS is down):
            # an outage to wait out, not a settings problem to dead-letter work for.
            raise OneCUnavailable("", exc.reason, None, self.base.label) from None
        except EgressRefused as exc:
            raise OneCAddressRefused(exc.reason, self.base.label) from None
        self._egress_checked_until[(host, port)] = now + EGRESS_CACHE_SECONDS

    def _redirect_error(self, response: requests.Response, method: str, resource: str) -> OneCQueryError:
        status = response.status_code
        target = _redirect_target(response.url or self.base.url, response.headers.get("Location", ""))
        where = f" to {target}" if target else ""
        return OneCQueryError(
            "",
            f"{method} {resource}: the base answered HTTP {status} {_phrase(status)}, a redirect{where}; redirects "
            "are not followed: enter the final publication address in the base's settings",
            status,
            self.base.label,
        )

    def _error(self, response: requests.Response, method: str, resource: str) -> OneCError:
        code, message = _parse_error(response)
        status = response.status_code
        # The standard phrase, not the answer's own: a server's reason phrase is its text, not ours to show.
        text = message or f"{method} {resource}: HTTP {status} {_phrase(status)}"
        if status in (401, 403):
            return OneCAuthError(code, text, status, self.base.label)
        if status == 404:
            return OneCNotFound(code, text, status, self.base.label)
        if status < 500:
            return OneCQueryError(code, text, status, self.base.label)
        if status in (502, 503, 504) or not code:
            return OneCUnavailable(code, text, status, self.base.label)
        return OneCError(code, text, status, self.base.label)

    def get_json(self, resource: str, params: Mapping[str, object] | None = None) -> dict:
        response = self.request("GET", resource, params={"$format": "json", **(params or {})})
        return _json(response, self.base.label)

    # ------------------------------------------------------------------ reads

    def metadata(self) -> bytes:
        """The `$metadata` document (EDMX XML) as raw bytes (17.4.7)."""
        return self.request("GET", "$metadata", accept_json=False).content

    def service_document(self) -> list[str]:
        """Names of the published entity sets (17.4.7)."""
        return [item["name"] for item in self.get_json("").get("value", [])]

    def get(self, entity_set: str, key: str, *, select: Sequence[str] | None = None) -> dict:
        """One element by Ref_Key; OneCNotFound when it does not exist."""
        params = {"$select": ",".join(select)} if select else {}
        return self.get_json(f"{entity_set}({q.guid(key)})", params)

    def query(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        select: Sequence[str] | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        inlinecount: bool = False,
        allowed_only: bool = False,
    ) -> Page:
        """One GET of a collection. With `inlinecount` 1C ignores top/skip (17.4.6.2): use count()."""
        params: dict[str, object] = {
            "$filter": filter,
            "$select": ",".join(select) if select else None,
            "$orderby": orderby,
            "$top": top,
            "$skip": skip or None,
            "$inlinecount": "allpages" if inlinecount else None,
            "allowedOnly": "true" if allowed_only else None,
        }
        answer = self.get_json(entity_set, params)
        count = answer.get("odata.count")
        return Page(rows=answer.get("value", []), count=int(count) if count is not None else None)

    def count(self, entity_set: str, *, filter: str | None = None) -> int:
        """`<Set>/$count` (17.4.6.1): the answer body is a bare number."""
        response = self.request("GET", f"{entity_set}/$count", params={"$filter": filter}, accept_json=False)
        try:
            return int(response.text.strip())
        except ValueError:
            raise OneCError(
                "", f"$count did not answer a number ({_shape(response)})", response.status_code, self.base.label
            ) from None

    def iter_pages(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        select: Sequence[str] | None = None,
        orderby: str | None = std.REF_KEY,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[list[dict]]:
        """Pages by `$top`/`$skip` under a stable order. Streams: one page in memory at a time.

        Works for any set, including register records without Ref_Key (pass their own order, or None
        for the server's default order); the server walks past skipped rows on each call, so key ranges
        (iter_pages_by_key) suit big catalogs.
        """
        skip = 0
        while True:
            page = self.query(entity_set, filter=filter, select=select, orderby=orderby, top=page_size, skip=skip)
            if page.rows:
                yield page.rows
            if len(page.rows) < page_size:
                return
            skip += len(page.rows)

    def iter_pages_by_key(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        select: Sequence[str] | None = None,
        key: str = std.REF_KEY,
        page_size: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Iterator[list[dict]]:
        """Pages by key range: `<key> gt guid'<last>'` ordered by the key, `$top` = page size.

        The server does the ordering and the comparison, so the walk is consistent whatever byte order
        1C uses for GUIDs; rows inserted behind the cursor during the walk are not revisited.
        """
        if select and key not in select:
            select = [key, *select]
        last = after
        while True:
            cursor = q.compare(key, "gt", last) if last else None
            page = self.query(
                entity_set,
                filter=q.all_of(filter, cursor),
                select=select,
                orderby=key,
                top=page_size,
            )
            if page.rows:
                yield page.rows
                last = page.rows[-1][key]
            if len(page.rows) < page_size:
                return

    def iter_rows(self, entity_set: str, *, by_key: bool = True, **kwargs) -> Iterator[dict]:
        """Every row of a set, streamed (key ranges by default, `$skip` with by_key=False)."""
        pages = self.iter_pages_by_key(entity_set, **kwargs) if by_key else self.iter_pages(entity_set, **kwargs)
        for page in pages:
            yield from page

    def virtual_table(
        self,
        register: str,
        function: str,
        arguments: Mapping[str, object],
        *,
        filter: str | None = None,
        select: Sequence[str] | None = None,
        top: int | None = None,
        skip: int | None = None,
    ) -> list[dict]:
        """Rows of `<register>/<function>(Arg=…, …)` (17.4.9).

        Dates become `datetime'…'`; the string arguments (Condition, Dimensions, …) are wrapped as the
        docs show them, see query.function_argument.
        """
        parts = []
        for name, value in arguments.items():
            if value is None:
                continue
            if isinstance(value, (datetime, date)):
                parts.append(f"{name}={q.datetime_literal(value)}")
            elif isinstance(value, str):
                parts.append(f"{name}={q.function_argument(value)}")
            else:
                parts.append(f"{name}={q.literal(value)}")
        resource = f"{register}/{function}({','.join(parts)})"
        params = {
            "$filter": filter,
            "$select": ",".join(select) if select else None,
            "$top": top,
            "$skip": skip or None,
        }
        return self.get_json(resource, params).get("value", [])

    def balance(
        self,
        register: str,
        *,
        period: datetime | date | None = None,
        condition: str | None = None,
        dimensions: Sequence[str] | None = None,
        filter: str | None = None,
        select: Sequence[str] | None = None,
    ) -> list[dict]:
        """`Balance(Period, Condition, Dimensions)`; resources come back as `<Resource>Balance`.

        `dimensions` are the register's dimensions by their configuration names (`FieldSpec.attribute`:
        `ОбъектРасчетов`, not the property `ОбъектРасчетов_Key`), as the query language's virtual table takes
        them (17.4.4, 17.4.9); the rows still carry the properties (`ОбъектРасчетов_Key`).
        """
        return self.virtual_table(
            register,
            std.BALANCE,
            {std.ARG_PERIOD: period, std.ARG_CONDITION: condition,
             std.ARG_DIMENSIONS: ",".join(dimensions) if dimensions else None},
            filter=filter,
            select=select,
        )

    def turnovers(
        self,
        register: str,
        *,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
        condition: str | None = None,
        dimensions: Sequence[str] | None = None,
        filter: str | None = None,
        select: Sequence[str] | None = None,
    ) -> list[dict]:
        """`Turnovers(StartPeriod, EndPeriod, Condition, Dimensions)`: `<Resource>Turnover/Receipt/Expense`."""
        return self.virtual_table(
            register,
            std.TURNOVERS,
            {
                std.ARG_START_PERIOD: start,
                std.ARG_END_PERIOD: end,
                std.ARG_CONDITION: condition,
                std.ARG_DIMENSIONS: ",".join(dimensions) if dimensions else None,
            },
            filter=filter,
            select=select,
        )

    # ------------------------------------------------------------------ writes

    def create(self, entity_set: str, body: Mapping) -> dict:
        """POST a new object; returns the created element. Not retried once it may have been sent."""
        response = self.request("POST", entity_set, params={"$format": "json"}, body=body, idempotent=False)
        return _json(response, self.base.label)

    def update(self, entity_set: str, key: str, body: Mapping) -> dict:
        """PATCH the given properties (a tabular section must be sent whole, 17.4.13.1.3)."""
        response = self.request("PATCH", f"{entity_set}({q.guid(key)})", params={"$format": "json"}, body=body)
        return _json(response, self.base.label) if response.content else {}

    def post_document(self, entity_set: str, key: str, *, operational: bool = False) -> None:
        """Posts a document (17.4.13.1.7); re-posting a posted document is harmless, so it is retried."""
        self.request(
            "POST",
            f"{entity_set}({q.guid(key)})/{std.POST}",
            params={std.POSTING_MODE_OPERATIONAL: "true" if operational else "false"},
        )

    def unpost_document(self, entity_set: str, key: str) -> None:
        self.request("POST", f"{entity_set}({q.guid(key)})/{std.UNPOST}")


def minimum_requests(rows: int, page_size: int) -> int:
    """Fewest GETs that can stream `rows` rows: a short last page ends the walk, so a full last page
    needs one more (empty) call."""
    return rows // page_size + 1 if rows % page_size == 0 else math.ceil(rows / page_size)


def _json(response: requests.Response, label: str) -> dict:
    try:
        return response.json()
    except ValueError:
        # Described, not quoted: the body may be anything the address answered.
        raise OneCError("", f"the answer is not JSON ({_shape(response)})", response.status_code, label) from None


def _shape(response: requests.Response) -> str:
    """An answer's media type and size, for errors that must not quote the body."""
    content_type = response.headers.get("Content-Type") or ""
    media = re.match(r"[\w.+-]{1,40}/[\w.+-]{1,60}", content_type.strip())
    return f"{media.group(0) if media else 'no content type'}, {len(response.content or b'')} bytes"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _parse_error(response: requests.Response) -> tuple[str, str]:
    """1C's (code, message) from a JSON `odata.error` or an XML `m:error` body (17.4.10), cleaned and bounded.

    Any other body — a web server's page, plain text, another service's JSON — gives ("", ""): the caller then
    says only the HTTP status. Such a body may come from something that is not 1C, and echoing it would hand
    whatever it holds to whoever reads the error (ARCHITECTURE.md, data flow 6).
    """
    text = response.text or ""
    if len(text) > ERROR_BODY_PARSE_LIMIT:
        return "", ""
    code, message = _xml_error(text) if text.lstrip().startswith("<") else _json_error(text)
    return _clean(code, ERROR_CODE_CHARS), _clean(message, ERROR_MESSAGE_CHARS)


def _json_error(text: str) -> tuple[str, str]:
    """`{"odata.error": {"code": "9", "message": {"lang": "ru", "value": "…"}}}`, the JSON shape 1C answers."""
    try:
        payload = json.loads(text)
    except ValueError:
        return "", ""
    error = payload.get("odata.error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return "", ""
    code, message = error.get("code", ""), error.get("message", "")
    if isinstance(message, Mapping):
        message = message.get("value", "")
    if not isinstance(code, str | int) or isinstance(code, bool) or not isinstance(message, str):
        return "", ""
    return str(code), message


def _xml_error(text: str) -> tuple[str, str]:
    """`<m:error><m:code>…</m:code><m:message>…</m:message></m:error>` in the OData metadata namespace."""
    try:
        root = SafeET.fromstring(text.encode("utf-8"))
    except Exception:  # noqa: BLE001 - any unparsable body just means "no 1C detail"
        return "", ""
    if root.tag != f"{{{ODATA_METADATA_NS}}}error":
        return "", ""
    code = root.find(f"{{{ODATA_METADATA_NS}}}code")
    message = root.find(f"{{{ODATA_METADATA_NS}}}message")
    return ((code.text or "").strip() if code is not None else "",
            (message.text or "").strip() if message is not None else "")


def _clean(text: str, limit: int) -> str:
    """One line of printable text at most `limit` characters: control and format characters (terminal escapes,
    bidi overrides) removed, runs of whitespace folded."""
    kept = [" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")]
    folded = " ".join("".join(kept).split())
    return folded if len(folded) <= limit else folded[: limit - 1].rstrip() + "…"


def _redirect_target(request_url: str, location: str) -> str:
    """Where a redirect points, as scheme://host[:port]/path only (no login, query or fragment), bounded."""
    try:
        parts = urlsplit(urljoin(request_url, location.strip()))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return ""
    if not host or parts.scheme not in ("http", "https"):
        return ""
    host = f"[{host}]" if ":" in host else host
    return _clean(f"{parts.scheme}://{host}{port}{parts.path}", 200)


def _never_sent(exc: requests.exceptions.RequestException) -> bool:
    """True when the request surely never reached 1C (connect failed), so a POST may be resent."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = repr(exc)
        return "NewConnectionError" in reason or "Connection refused" in reason
    return False


def _network_reason(exc: requests.exceptions.RequestException) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "no answer within the read timeout"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection failed" if _never_sent(exc) else "connection broken"
    return type(exc).__name__
