"""Installing and uninstalling an app, and the POST a portal frame sends to an app page.

Facts: settings/app-installation/installation-finish.md (an app with UI is not installed until
BX24.installFinish; no placements or events before), api-reference/common/events/on-app-install.md and
api-reference/events/safe-event-handlers.md (ONAPPINSTALL with tokens and application_token),
api-reference/common/events/on-app-uninstall.md (no tokens, only application_token),
api-reference/widgets/_includes/widget_data.md and widgets/crm/detail-tab.md (what a frame receives).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from b24sandbox.portal.clock import now
from b24sandbox.portal.events import EventDispatcher, auth_block, flatten
from b24sandbox.portal.state import USERS, App, PortalState

INSTALL_POST_TIMEOUT = 15.0


@dataclass
class FramePost:
    """What the portal sends to an app page opened in a frame: URL with query, and form body."""

    url: str
    fields: dict[str, str]
    init: dict[str, Any]  # what BX24.init hands to the page's script


def frame_post(
    state: PortalState,
    app: App,
    handler: str,
    user_id: int,
    lang: str,
    placement: str,
    options: dict[str, Any],
    tokens: tuple[str, str, int] | None = None,
) -> FramePost:
    """Build the frame POST: DOMAIN, PROTOCOL, LANG, APP_SID in the query string, the rest in the body.

    The real portal opens ``handler?DOMAIN=…&PROTOCOL=…&LANG=…&APP_SID=…`` and posts AUTH_ID, AUTH_EXPIRES,
    REFRESH_ID, member_id, status, PLACEMENT, PLACEMENT_OPTIONS (widget_data.md lists the set; the doc's PHP
    dumps show them merged, so an app must read both the query and the body).
    """
    if tokens is None:
        access, refresh = state.issue_tokens(app.client_id, user_id)
        tokens = (access.value, refresh.value, state.options.access_ttl)
    app_sid = secrets.token_hex(16)
    query = {"DOMAIN": state.domain, "PROTOCOL": "0", "LANG": lang, "APP_SID": app_sid}
    parts = urlsplit(handler)
    joined_query = "&".join(q for q in (parts.query, urlencode(query)) if q)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, joined_query, parts.fragment))
    options_json = json.dumps(options, ensure_ascii=False, separators=(",", ":"))
    fields = {
        "AUTH_ID": tokens[0],
        "AUTH_EXPIRES": str(tokens[2]),
        "REFRESH_ID": tokens[1],
        "SERVER_ENDPOINT": state.server_endpoint,
        "member_id": state.member_id,
        "status": "L",
        "PLACEMENT": placement,
        "PLACEMENT_OPTIONS": options_json,
    }
    init = {
        "DOMAIN": state.domain,
        "PROTOCOL": 0,
        "PATH": "/rest",
        "LANG": lang,
        "APP_SID": app_sid,
        "AUTH_ID": tokens[0],
        "AUTH_EXPIRES": tokens[2],
        "REFRESH_ID": tokens[1],
        "MEMBER_ID": state.member_id,
        "IS_ADMIN": bool(USERS.get(user_id, {}).get("ADMIN")),
        "PLACEMENT": placement,
        "PLACEMENT_OPTIONS": options,
        "USER_ID": user_id,
        "CLIENT_ID": app.client_id,
    }
    return FramePost(url, fields, init)


@dataclass
class InstallStart:
    """Tokens of a started installation (ONAPPINSTALL waits until the installation is finished)."""

    access_token: str
    refresh_token: str


def start_install(state: PortalState, app: App, lang: str) -> InstallStart:
    """Begin installing ``app`` for admin user 1: a new application_token and token pair, bindings cleared."""
    with state.lock:
        # event-bind.md: "When deleting and updating the application, its actions will be removed. Therefore,
        # in the installer of each version, they need to be set from scratch." A (re)install starts clean.
        state.event_bindings = [b for b in state.event_bindings if b.client_id != app.client_id]
        state.placements = [p for p in state.placements if p.client_id != app.client_id]
        app.install_started = True
        app.installed = False
        app.lang = lang
        app.application_token = secrets.token_hex(16)
        access, refresh = state.issue_tokens(app.client_id, 1)
        app.install_tokens = (access.value, refresh.value, access.expires_at)
    return InstallStart(access.value, refresh.value)


def send_onappinstall(state: PortalState, events: EventDispatcher, app: App) -> list[dict[str, Any]]:
    """ONAPPINSTALL, sent "immediately after the successful installation" (on-app-install.md): for an app
    with UI that is the moment BX24.installFinish is called (installation-finish.md). It goes to the handler
    the installer bound with event.bind and to the registered installation event URL, with the tokens of the
    installation and the application_token every later event must carry."""
    with state.lock:
        urls = [b.handler for b in state.event_bindings
                if b.client_id == app.client_id and b.event == "ONAPPINSTALL" and not b.offline]
        if app.install_event_url and app.install_event_url not in urls:
            urls.append(app.install_event_url)
        access_value, refresh_value, expires_at = app.install_tokens or ("", "", now())
        scope = ",".join(app.scopes)
    body = {
        "event": "ONAPPINSTALL",
        "data": {"VERSION": "1", "ACTIVE": "Y", "INSTALLED": "Y", "LANGUAGE_ID": app.lang},
        "ts": str(int(now())),
        "auth": {
            "access_token": access_value,
            "expires": int(expires_at),
            "expires_in": state.options.access_ttl,
            "scope": scope,
            "domain": state.domain,
            "server_endpoint": state.server_endpoint,
            "status": "L",
            "client_endpoint": state.client_endpoint,
            "member_id": state.member_id,
            "user_id": 1,
            "refresh_token": refresh_value,
            "application_token": app.application_token,
        },
    }
    sent = []
    for url in urls:
        delivery = events.send(url, "ONAPPINSTALL", None, flatten("", body))
        sent.append({"url": url, "status": delivery.status, "error": delivery.error})
    return sent


def install_server_side(
    state: PortalState, events: EventDispatcher, app: App, finish: bool, lang: str
) -> dict[str, Any]:
    """Do what the install page and a browser do, without a browser.

    Stands in for the browser: it POSTs the install URL the way the page's hidden form would and, when
    ``finish`` is true and the answered HTML calls ``BX24.installFinish``, marks the install finished as the
    page's script would have.
    """
    started = start_install(state, app, lang)
    post = frame_post(
        state,
        app,
        app.install_url,
        1,
        lang,
        "DEFAULT",
        {},
        tokens=(started.access_token, started.refresh_token, state.options.access_ttl),
    )
    answer: dict[str, Any] = {"install_url": post.url, "onappinstall": []}
    try:
        response = requests.post(post.url, data=post.fields, timeout=INSTALL_POST_TIMEOUT)
    except requests.RequestException as exc:
        answer.update(status=None, error=f"{type(exc).__name__}: {exc}", install_finish_called=False)
    else:
        called = "BX24.installFinish" in response.text
        answer.update(status=response.status_code, install_finish_called=called, body=response.text[:4000])
        if finish and called and response.status_code == 200:
            answer["onappinstall"] = mark_installed(state, events, app)
    answer["installed"] = app.installed
    answer["application_token"] = app.application_token
    return answer


def mark_installed(state: PortalState, events: EventDispatcher, app: App) -> list[dict[str, Any]]:
    """BX24.installFinish: the app is installed; ONAPPINSTALL goes out. Returns its deliveries."""
    with state.lock:
        app.installed = True
    return send_onappinstall(state, events, app)


def uninstall(state: PortalState, events: EventDispatcher, app: App) -> dict[str, Any]:
    """Send ONAPPUNINSTALL to the app's bound handlers, then drop its bindings, queue and tokens.

    The event carries no tokens, only application_token (on-app-uninstall.md, safe-event-handlers.md). The
    doc's example spells the event ONAPPSUNINSTALL; the event one binds is ONAPPUNINSTALL, and that is sent.
    """
    with state.lock:
        handlers = [
            b
            for b in state.event_bindings
            if b.client_id == app.client_id and b.event == "ONAPPUNINSTALL" and not b.offline
        ]
    statuses = []
    for binding in handlers:
        body = {
            "event": "ONAPPUNINSTALL",
            "event_handler_id": binding.binding_id,
            "data": {"LANGUAGE_ID": app.lang, "CLEAN": "1"},
            "ts": str(int(now())),
            "auth": auth_block(state, app, None, with_tokens=False),
        }
        delivery = events.send(binding.handler, "ONAPPUNINSTALL", binding.binding_id, flatten("", body))
        statuses.append({"url": binding.handler, "status": delivery.status, "error": delivery.error})
    with state.lock:
        state.event_bindings = [b for b in state.event_bindings if b.client_id != app.client_id]
        state.placements = [p for p in state.placements if p.client_id != app.client_id]
        state.drop_offline(lambda e: e.client_id == app.client_id)
        state.drop_app_tokens(app.client_id)
        app.installed = False
        app.install_started = False
    return {"uninstalled": True, "deliveries": statuses}
