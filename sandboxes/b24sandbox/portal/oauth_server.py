"""The OAuth server the sandbox plays on its own port: ``/oauth/token/`` and ``/oauth/rest/<method>``.

The real one is https://oauth.bitrix.info (settings/oauth/index.md); its REST (server_endpoint) answers
``app.info`` for the app whose token is passed.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from b24sandbox.portal import errors
from b24sandbox.portal.clock import now, time_block
from b24sandbox.portal.errors import RestError
from b24sandbox.portal.methods_app import app_info
from b24sandbox.portal.oauth import basic_credentials, refresh_grant
from b24sandbox.portal.params import get_ci
from b24sandbox.portal.registry import Call, Outcome
from b24sandbox.portal.rest import caller_from_token, envelope, error_response, json_response, request_params
from b24sandbox.portal.state import PortalState

oauth_bp = Blueprint("sandbox_oauth", __name__)


def _state() -> PortalState:
    return current_app.extensions["sandbox_portal"]


@oauth_bp.route("/oauth/token/", methods=["GET", "POST"])
@oauth_bp.route("/oauth/token", methods=["GET", "POST"])
def token_endpoint() -> Response:
    """Refresh grant; parameters in the query string (as the docs show) or a form body (as Authlib sends)."""
    params = {**request.args.to_dict(), **request.form.to_dict()}
    answer = refresh_grant(_state(), params, basic_credentials(request.headers.get("Authorization")))
    return json_response(answer.body, answer.status)


@oauth_bp.route("/oauth/rest/<path:method_name>", methods=["GET", "POST"])
def server_rest(method_name: str) -> Response:
    state = _state()
    started = now()
    name = method_name.strip("/").lower().removesuffix(".json")
    try:
        params = request_params()
        token = get_ci(params, "auth")
        if not token:
            raise errors.no_auth_found()
        caller = caller_from_token(state, str(token), params)
        if name != "app.info":
            raise errors.method_not_found()
        result = app_info(Call(state, current_app.extensions["sandbox_portal_events"], caller, params))
    except RestError as exc:
        return error_response(exc)
    finished = now()
    return json_response(envelope(Outcome(result), time_block(started, finished, finished - started, 0.0, None)))
