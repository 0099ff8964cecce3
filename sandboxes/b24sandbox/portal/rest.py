"""The REST endpoint: authentication, limits, the answer envelope and ``batch``.

Facts: settings/how-to-call-rest-api/batch.md (batch), limits.md (leaky bucket, operating time),
_includes/system-errors.md (statuses and codes), local-integrations/local-webhooks.md (webhook URLs
``/rest/<user_id>/<code>/<method>``), list-methods-pecularities.md (``next``/``total``).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from flask import Blueprint, Response, current_app, request

from b24sandbox.portal import (  # noqa: F401  (importing registers the methods)
    errors,
    methods_app,
    methods_crm,
    methods_items,
    methods_products,
)
from b24sandbox.portal.clock import now, time_block
from b24sandbox.portal.errors import RestError
from b24sandbox.portal.events import EventDispatcher
from b24sandbox.portal.oauth import check_access_token
from b24sandbox.portal.params import (
    ParamError,
    as_dict,
    get_ci,
    mergerequest_params,
    parse_query_string,
)
from b24sandbox.portal.registry import METHODS, Call, Caller, Outcome
from b24sandbox.portal.state import PortalState, batch_refused

BATCH_LIMIT = 50  # batch.md: "The number of requests in a batch is limited to 50"

# Scopes that satisfy a method's scope (user.current works with any of the user scopes).
_SCOPE_ALIASES = {"user": {"user", "user_brief", "user_basic"}}

# A reference as the portal's REST module finds it: ``$`` and one of the names it keeps results under, then every
# non-space character after it; the path is the ``[...]`` parts of that run. The names are those of the arrays the
# batch fills (result, next, total, time, error: see _resolve); the pattern ignores case, the lookup does not.
_REFERENCE = re.compile(r"\$(result|next|total|time|error)(\S*)", re.IGNORECASE)
_PATH_PART = re.compile(r"\[([^\]]+)\]")

rest_bp = Blueprint("sandbox_rest", __name__)


def _state() -> PortalState:
    return current_app.extensions["sandbox_portal"]


def _events() -> EventDispatcher:
    return current_app.extensions["sandbox_portal_events"]


def json_response(body: Any, status: int = 200) -> Response:
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8"
    )
    # The portal's REST answers cross-origin calls (BX24.callMethod from the app's iframe).
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def error_response(error: RestError) -> Response:
    return json_response(error.body(), error.status)


def _php_array(mapping: dict[str, Any]) -> Any:
    """What PHP's json_encode prints for an array: [] when empty, a list for keys 0..n-1, else an object."""
    if not mapping:
        return []
    if list(mapping) == [str(i) for i in range(len(mapping))]:
        return list(mapping.values())
    return mapping


# -- authentication ----------------------------------------------------------------------------------------


def caller_from_token(state: PortalState, token_value: str, params: dict[str, Any]) -> Caller:
    token = check_access_token(state, token_value)
    app = state.apps[token.client_id]
    return Caller("app", token.user_id, app, str(get_ci(params, "auth_connector") or ""))


def caller_from_webhook(state: PortalState, user_id: str, code: str) -> Caller:
    with state.lock:
        owner = state.webhooks.get(code)
    if owner is None or str(owner) != user_id:
        raise errors.invalid_credentials()
    return Caller("webhook", owner, None)


# -- running one method -----------------------------------------------------------------------------------


def _check_access(method_name: str, caller: Caller) -> None:
    entry = METHODS.get(method_name)
    if entry is None:
        raise errors.method_not_found()
    if entry.app_only and caller.app is None:
        raise errors.wrong_auth_type()
    if entry.scope and caller.app is not None:
        allowed = _SCOPE_ALIASES.get(entry.scope, {entry.scope})
        if not allowed & set(caller.app.scopes):
            raise errors.insufficient_scope()


def run_method(
    state: PortalState, events: EventDispatcher, caller: Caller, method_name: str, params: dict[str, Any]
) -> tuple[Outcome, dict[str, Any]]:
    """Run one method with scope and operating-time checks; return its outcome and ``time`` block."""
    _check_access(method_name, caller)
    started = now()
    if state.operating.blocked(method_name, started):
        with state.lock:
            state.counters.operation_time_limit += 1
        raise errors.operation_time_limit()
    tick = time.perf_counter()
    outcome = METHODS[method_name].handler(Call(state, events, caller, params))
    processing = time.perf_counter() - tick
    finished = now()
    operating, reset_at = state.operating.add(method_name, finished, processing)
    return outcome, time_block(started, finished, processing, operating, reset_at)


def _resolve(value: Any, sections: dict[str, dict[str, Any]]) -> Any:
    """Replace ``$result[key][field]...`` references with what earlier commands of the batch gave.

    batch.md ("Using Results") documents ``$result[request_id][response_field]`` with nested keys such as
    ``[0][ID]`` but not what a path that does not exist gives. The portal's REST module (module ``rest``,
    ``CRestUtil::processBatchElement`` in classes/general/rest_util.php, read in the public mirror
    avshatalov48/bitrix-core-business) walks the path while each key is set and stops at the first one that is
    not, keeping the deepest value reached. A parameter that is the reference and nothing else becomes that
    value whatever its type; a reference inside longer text is replaced only by a string or a number and is left
    as written otherwise. So ``$result[p0][49][ID]`` on a page of 30 rows gives the whole page (a list), and on a
    command that failed gives the whole ``result`` section. Variables are the sections the batch fills:
    ``$result``, ``$next``, ``$total``, ``$time`` and ``$error``.
    """
    if isinstance(value, dict):
        return {k: _resolve(v, sections) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, sections) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    text: Any = value
    for match in _REFERENCE.finditer(value):
        path = _PATH_PART.findall(match.group(2))
        if not path:
            continue
        # PHP array keys are case-sensitive: ``$RESULT[...]`` matches the pattern but finds no section.
        node = _walk(sections.get(match.group(1)), path)
        if match.group(0) == value:
            return node
        if isinstance(node, bool) or not isinstance(node, str | int | float):
            continue
        text = text.replace(match.group(0), str(node))
    return text


def _walk(node: Any, path: list[str]) -> Any:
    """Follow ``path`` while each key is set (PHP ``isset``: present and not null); the deepest value reached."""
    for part in path:
        if isinstance(node, dict) and node.get(part) is not None:
            node = node[part]
        elif isinstance(node, list | str) and part.isdigit() and int(part) < len(node) and node[int(part)] is not None:
            node = node[int(part)]
        else:
            break
    return node


def run_batch(state: PortalState, events: EventDispatcher, caller: Caller, params: dict[str, Any]) -> Outcome:
    """Run up to 50 sub-requests in order; the batch counts as one request for the limiter (limits.md)."""
    raw_cmd = get_ci(params, "cmd")
    commands: dict[str, Any] = (
        {str(i): v for i, v in enumerate(raw_cmd)} if isinstance(raw_cmd, list) else as_dict(raw_cmd)
    )
    if len(commands) > BATCH_LIMIT:
        raise RestError("ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", 400)
    halt = str(get_ci(params, "halt", "0")).lower() in ("1", "true", "y")
    results: dict[str, Any] = {}
    failures: dict[str, Any] = {}
    totals: dict[str, Any] = {}
    nexts: dict[str, Any] = {}
    times: dict[str, Any] = {}
    sections = {"result": results, "next": nexts, "total": totals, "time": times, "error": failures}
    for key, command in commands.items():
        method_part, _, query = str(command).partition("?")
        method_name = method_part.strip().lower().removesuffix(".json")
        sub_params = _resolve(parse_query_string(query), sections)
        try:
            if method_name == "batch":
                # batch.md: since rest 24.0.0 a batch inside a batch is prohibited.
                raise RestError("ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage", 400)
            sub_caller = Caller(
                caller.kind,
                caller.user_id,
                caller.app,
                str(get_ci(sub_params, "auth_connector") or caller.auth_connector),
            )
            outcome, block = run_method(state, events, sub_caller, method_name, sub_params)
        except RestError as exc:
            failures[key] = {"error": exc.code, "error_description": exc.description}
            if halt:
                break
            continue
        results[key] = outcome.result
        times[key] = {k: v for k, v in block.items() if k not in ("operating", "operating_reset_at")}
        if outcome.total is not None:
            totals[key] = outcome.total
        if outcome.next is not None:
            nexts[key] = outcome.next
    return Outcome(
        {
            "result": _php_array(results),
            "result_error": _php_array(failures),
            "result_total": _php_array(totals),
            "result_next": _php_array(nexts),
            "result_time": _php_array(times),
        }
    )


def envelope(outcome: Outcome, block: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"result": outcome.result}
    if outcome.next is not None:
        body["next"] = outcome.next
    if outcome.total is not None:
        body["total"] = outcome.total
    body["time"] = block
    return body


# -- HTTP ---------------------------------------------------------------------------------------------------


def request_params() -> dict[str, Any]:
    body = request.get_data(cache=True) if request.is_json else None
    form_pairs = list(request.form.items(multi=True)) if not request.is_json else []
    return mergerequest_params(request.args.items(multi=True), form_pairs, body)


def handle_rest(method_path: str, webhook: tuple[str, str] | None) -> Response:
    state, events = _state(), _events()
    started = now()
    method_name = method_path.strip("/").lower().removesuffix(".json")
    if not state.limiter.admit(request.remote_addr or "?", started):
        with state.lock:
            state.counters.query_limit_exceeded += 1
        return error_response(errors.query_limit_exceeded())
    with state.lock:
        state.counters.requests += 1
        refused = method_name == "batch" and batch_refused(state.counters)
    if refused:
        return error_response(errors.query_limit_exceeded())
    try:
        params = request_params()
        if webhook is not None:
            caller = caller_from_webhook(state, *webhook)
        else:
            token = get_ci(params, "auth") or _bearer()
            if not token:
                raise errors.no_auth_found()
            caller = caller_from_token(state, str(token), params)
        if method_name == "batch":
            tick = time.perf_counter()
            outcome = run_batch(state, events, caller, params)
            finished = now()
            block = time_block(started, finished, time.perf_counter() - tick, 0.0, None)
        else:
            outcome, block = run_method(state, events, caller, method_name, params)
    except ParamError as exc:
        return error_response(RestError("INVALID_REQUEST", str(exc), 400))
    except RestError as exc:
        return error_response(exc)
    return json_response(envelope(outcome, block))


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


@rest_bp.route("/rest/<path:tail>", methods=["GET", "POST", "OPTIONS"])
def rest_entry(tail: str) -> Response:
    if request.method == "OPTIONS":
        response = Response(status=204)
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
        return response
    parts = tail.strip("/").split("/")
    if len(parts) == 3 and parts[0].isdigit():
        return handle_rest(parts[2], (parts[0], parts[1]))
    if len(parts) == 1:
        return handle_rest(parts[0], None)
    return error_response(errors.method_not_found())
