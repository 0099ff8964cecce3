"""The control API under ``/_sandbox/`` for tests and the demo (not part of Bitrix24)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from b24sandbox.portal.events import EventDispatcher, is_known_event
from b24sandbox.portal.install import install_server_side, mark_installed, uninstall
from b24sandbox.portal.methods_catalog_stores import configure_catalog
from b24sandbox.portal.oauth import token_answer
from b24sandbox.portal.permissions import RoleChangeRefused
from b24sandbox.portal.rest import json_response
from b24sandbox.portal.state import USERS, App, PortalState

control_bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")


def _state() -> PortalState:
    return current_app.extensions["sandbox_portal"]


def _events() -> EventDispatcher:
    return current_app.extensions["sandbox_portal_events"]


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _problem(status: int, message: str) -> Response:
    return json_response({"ok": False, "error": message}, status)


def _app(client_id: str) -> App | None:
    return _state().apps.get(client_id)


@control_bp.get("/health")
def health() -> Response:
    state = _state()
    return json_response({"ok": True, "member_id": state.member_id, "domain": state.domain})


@control_bp.post("/apps")
def register_app() -> Response:
    data = _body()
    missing = [k for k in ("client_id", "client_secret") if not data.get(k)]
    if missing:
        return _problem(400, f"missing fields: {', '.join(missing)}")
    app = _state().register_app(data)
    return json_response(
        {
            "ok": True,
            "client_id": app.client_id,
            "app_id": app.app_id,
            "install_page": f"{_state().base_url}/marketplace/app/{app.client_id}/install",
        }
    )


@control_bp.post("/apps/<client_id>/install")
def install(client_id: str) -> Response:
    app = _app(client_id)
    if app is None:
        return _problem(404, f"no app registered with client_id {client_id!r}")
    data = _body()
    answer = install_server_side(_state(), _events(), app, bool(data.get("finish", True)), str(data.get("lang", "ru")))
    return json_response({"ok": True, **answer})


@control_bp.post("/apps/<client_id>/install-finished")
def install_finished(client_id: str) -> Response:
    """Called by the install page's script when the app's frame calls BX24.installFinish()."""
    app = _app(client_id)
    if app is None or not app.install_started:
        return _problem(409, "installation of this app was not started")
    sent = mark_installed(_state(), _events(), app)
    return json_response({"ok": True, "installed": True, "onappinstall": sent})


@control_bp.post("/apps/<client_id>/uninstall")
def uninstall_app(client_id: str) -> Response:
    app = _app(client_id)
    if app is None:
        return _problem(404, f"no app registered with client_id {client_id!r}")
    return json_response({"ok": True, **uninstall(_state(), _events(), app)})


@control_bp.post("/apps/<client_id>/tokens")
def tokens(client_id: str) -> Response:
    app = _app(client_id)
    if app is None:
        return _problem(404, f"no app registered with client_id {client_id!r}")
    user_id = int(_body().get("user_id", 1))
    if user_id not in USERS:
        return _problem(400, f"unknown user {user_id}; the sandbox has users {sorted(USERS)}")
    state = _state()
    access, refresh = state.issue_tokens(client_id, user_id)
    return json_response(token_answer(state, access, refresh.value, app))


@control_bp.post("/tokens/expire")
def expire_tokens() -> Response:
    return json_response({"ok": True, "expired": _state().expire_access_tokens()})


@control_bp.post("/webhooks")
def create_webhook() -> Response:
    state = _state()
    user_id = int(_body().get("user_id", 1))
    if user_id not in USERS:
        return _problem(400, f"unknown user {user_id}")
    code = state.create_webhook(user_id)
    return json_response({"ok": True, "url": f"{state.base_url}/rest/{user_id}/{code}/"})


@control_bp.get("/state")
def snapshot() -> Response:
    return json_response(_state().snapshot())


@control_bp.post("/config")
def configure() -> Response:
    return json_response({"ok": True, **_state().configure(_body())})


@control_bp.post("/catalog")
def configure_catalog_mode() -> Response:
    """Inventory management on or off: {"inventory_management": true}; answers the setting and the catalog's counts."""
    return json_response({"ok": True, **configure_catalog(_state(), _body())})


@control_bp.post("/permissions")
def set_permission() -> Response:
    """Change one user's CRM read level for one entity: {"user_id": 2, "entity": "deal", "level": "all"}.

    Levels: none, own, department, open, all (permissions.py); entities: deal, company, contact (requisites
    follow their owner). The change lasts until /_sandbox/reset; the state snapshot shows the roles."""
    data = _body()
    state = _state()
    try:
        user_id = int(data.get("user_id", 0))
    except (TypeError, ValueError):
        return _problem(400, "user_id must be a number")
    try:
        with state.lock:
            state.roles.set_level(user_id, str(data.get("entity", "")), str(data.get("level", "")))
            roles = state.roles.snapshot()
    except RoleChangeRefused as exc:
        return _problem(400, str(exc))
    return json_response({"ok": True, "crm_roles": roles})


@control_bp.get("/notifications")
def notifications() -> Response:
    """The system notifications apps sent (im.notify.system.add), oldest first; `?user_id=N` for one user's.
    Each: id, client_id, user_id, message, message_out, tag, sub_tag, attach, date, removed (a later one with
    the same tag replaced it)."""
    state = _state()
    wanted = request.args.get("user_id")
    with state.lock:
        found = [dict(n) for n in state.notifications if wanted is None or str(n["user_id"]) == wanted]
    return json_response({"ok": True, "notifications": found})


@control_bp.post("/events/fire")
def fire_event() -> Response:
    data = _body()
    event = str(data.get("event", "")).upper()
    if not is_known_event(event):
        return _problem(400, f"unknown event {event!r}")
    user_id = data.get("user_id")
    queued = _events().emit(event, str(data.get("id", "")), int(user_id) if user_id else None)
    if data.get("wait", True):
        _events().wait_idle()
    return json_response({"ok": True, "queued": queued})


@control_bp.post("/events/wait")
def wait_events() -> Response:
    return json_response({"ok": _events().wait_idle()})


@control_bp.post("/reset")
def reset() -> Response:
    _state().reset()
    return json_response({"ok": True})
