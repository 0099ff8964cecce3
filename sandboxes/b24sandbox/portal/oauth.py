"""The OAuth server's side: the refresh grant and checking access tokens.

Facts: settings/oauth/index.md and settings/oauth/auto-renewal.md (request and answer shape),
settings/oauth/error-codes.md (error codes). The docs name the codes but not the HTTP statuses; the sandbox
uses RFC 6749 §5.2: 400 for invalid_request/invalid_grant, 401 for invalid_client.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from b24sandbox.portal import errors
from b24sandbox.portal.clock import now
from b24sandbox.portal.state import AccessToken, App, PortalState


@dataclass
class OAuthAnswer:
    status: int
    body: dict[str, Any]


def _oauth_error(status: int, code: str, description: str) -> OAuthAnswer:
    return OAuthAnswer(status, {"error": code, "error_description": description})


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """Client id and secret from an ``Authorization: Basic`` header (client_secret_basic), if any."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def token_answer(state: PortalState, access: AccessToken, refresh_value: str, app: App) -> dict[str, Any]:
    """The JSON body of a successful token answer (settings/oauth/auto-renewal.md).

    The doc's example shows access_token, client_endpoint, domain (the OAuth server's), expires_in,
    member_id, refresh_token, scope, server_endpoint, status; the real server also sends ``expires`` and
    ``user_id``, which the sandbox adds.
    """
    return {
        "access_token": access.value,
        "expires": int(access.expires_at),
        "expires_in": state.options.access_ttl,
        "scope": access.scope,
        "domain": state.domain,
        "server_endpoint": state.server_endpoint,
        "status": "L",
        "client_endpoint": state.client_endpoint,
        "member_id": state.member_id,
        "user_id": access.user_id,
        "refresh_token": refresh_value,
    }


def refresh_grant(state: PortalState, params: dict[str, str], basic: tuple[str, str] | None) -> OAuthAnswer:
    """Answer ``/oauth/token/`` for ``grant_type=refresh_token``.

    Rotation: the used refresh token is spent and a new pair issued. The old access token keeps working until
    its own expiry — the docs do not say either way (auto-renewal.md only says the new pair replaces the
    stored one), so the sandbox does the lenient thing and an app must not rely on it.
    """
    client_id = params.get("client_id", "")
    client_secret = params.get("client_secret", "")
    if basic is not None:
        client_id, client_secret = basic
    grant_type = params.get("grant_type", "")
    with state.lock:
        if grant_type != "refresh_token":
            return _oauth_error(400, "invalid_request", f"Unsupported grant_type '{grant_type}'")
        app = state.apps.get(client_id)
        if app is None or not client_secret or app.client_secret != client_secret:
            state.counters.refresh_invalid_client += 1
            return _oauth_error(401, "invalid_client", "Invalid client data: unknown client_id or wrong secret")
        value = params.get("refresh_token", "")
        grant = state.refresh_grants.get(value)
        if grant is None or grant.client_id != client_id or grant.expires_at <= now():
            state.counters.refresh_invalid_grant += 1
            reason = "refresh token was already used" if value in state.spent_refresh else "refresh token is unknown"
            return _oauth_error(400, "invalid_grant", f"Invalid grant: {reason}")
        del state.refresh_grants[value]
        state.spent_refresh.add(value)
        access, refresh = state.issue_tokens(client_id, grant.user_id)
        state.counters.refresh_ok += 1
        return OAuthAnswer(200, token_answer(state, access, refresh.value, app))


def check_access_token(state: PortalState, value: str) -> AccessToken:
    """The live access token for ``value``, or the REST error the portal answers with."""
    with state.lock:
        token = state.access_tokens.get(value)
        if token is None or token.client_id not in state.apps:
            raise errors.invalid_token()
        if token.expires_at <= now():
            raise errors.expired_token()
        return token
