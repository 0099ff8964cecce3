"""Browser pages that play the portal: the app install wizard, CRM cards with app tabs, and BX24 JS."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from b24sandbox.portal.events import EventDispatcher
from b24sandbox.portal.install import frame_post, start_install
from b24sandbox.portal.permissions import may_read
from b24sandbox.portal.state import USERS, PortalState

pages_bp = Blueprint("sandbox_pages", __name__, template_folder="assets")

_DEAL_LABELS = (
    ("ID", "ID"),
    ("TITLE", "Название"),
    ("STAGE_ID", "Стадия"),
    ("CATEGORY_ID", "Воронка"),
    ("OPPORTUNITY", "Сумма"),
    ("CURRENCY_ID", "Валюта"),
    ("COMPANY_ID", "Компания"),
    ("ASSIGNED_BY_ID", "Ответственный"),
    ("DATE_CREATE", "Создана"),
)
_COMPANY_LABELS = (
    ("ID", "ID"),
    ("TITLE", "Название"),
    ("COMPANY_TYPE", "Тип"),
    ("REVENUE", "Годовой оборот"),
    ("ASSIGNED_BY_ID", "Ответственный"),
    ("DATE_CREATE", "Создана"),
)


def _state() -> PortalState:
    return current_app.extensions["sandbox_portal"]


def _events() -> EventDispatcher:
    return current_app.extensions["sandbox_portal_events"]


def _asset(name: str) -> str:
    return resources.files("b24sandbox.portal.assets").joinpath(name).read_text(encoding="utf-8")


def _javascript(text: str) -> Response:
    response = Response(text, content_type="application/javascript; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@pages_bp.get("/bx24.js")
def bx24_js() -> Response:
    """The BX24 stand-in apps load from ``<PROTOCOL>://<DOMAIN>/bx24.js``."""
    return _javascript(_asset("bx24.js"))


@pages_bp.get("/_sandbox/frame-host.js")
def frame_host_js() -> Response:
    return _javascript(_asset("portal_frame_host.js"))


def _user() -> int:
    try:
        user_id = int(request.args.get("user", "1"))
    except ValueError:
        abort(400)
    if user_id not in USERS:
        abort(400)
    return user_id


@pages_bp.get("/marketplace/app/<client_id>/install")
def install_page(client_id: str) -> str:
    """The install wizard: the page posts the install URL into a frame; ONAPPINSTALL follows installFinish."""
    state = _state()
    app = state.apps.get(client_id)
    if app is None:
        abort(404)
    lang = request.args.get("lang", "ru")
    started = start_install(state, app, lang)
    frame = frame_post(
        state,
        app,
        app.install_url,
        1,
        lang,
        "DEFAULT",
        {},
        tokens=(started.access_token, started.refresh_token, state.options.access_ttl),
    )
    frames = {"b24-frame-install": {"init": frame.init}}
    return render_template(
        "portal_install.html",
        app=app,
        frame=frame,
        domain=state.domain,
        user_id=1,
        frames_json=_script_json(frames),
    )


@pages_bp.get("/marketplace/app/<client_id>/")
def app_page(client_id: str) -> str:
    """The app's own page, as the left-menu entry opens it: the handler URL posted into a frame.

    widgets/open-application.md: the app's page is requested at the URL given as "Path to your handler" (local
    app) or "Application link" (mass-market); widgets/_includes/widget_data.md: the handler gets the same frame
    data as any widget, PLACEMENT telling where it was opened from (DEFAULT for the app's own page, as the
    install page gets it). Only an installed app opens (installation-finish.md).
    """
    state = _state()
    user_id = _user()
    lang = request.args.get("lang", "ru")
    with state.lock:
        app = state.apps.get(client_id)
        if app is None or not app.installed:
            abort(404)
    frame = frame_post(state, app, app.handler_url, user_id, lang, "DEFAULT", {})
    frames = {"b24-frame-app": {"init": frame.init}}
    return render_template(
        "portal_app.html", app=app, frame=frame, domain=state.domain, user_id=user_id,
        frames_json=_script_json(frames),
    )


def _card(entity: str, entity_id: int, labels: tuple[tuple[str, str], ...]) -> str:
    state = _state()
    user_id = _user()
    lang = request.args.get("lang", "ru")
    placement_code = f"CRM_{entity.upper()}_DETAIL_TAB"
    with state.lock:
        record = state.tables[entity].get(entity_id)
        if record is None:
            abort(404)
        # The portal opens a card only for a user whose CRM role reads it (permissions.py); the app's tab, and
        # its frame POST with this user's token, never reach a user who may not see the record.
        if not may_read(state.roles, state.tables, user_id, entity, record):
            abort(403)
        record = dict(record)
        # installation-finish.md: placements of an app whose install is not finished do not show.
        bindings = [
            p
            for p in state.placements
            if p.placement == placement_code and state.apps.get(p.client_id) and state.apps[p.client_id].installed
        ]
    tabs: list[dict[str, Any]] = []
    frames: dict[str, Any] = {}
    for n, binding in enumerate(bindings, start=1):
        app = state.apps[binding.client_id]
        frame = frame_post(state, app, binding.handler, user_id, lang, placement_code, {"ID": str(entity_id)})
        title = binding.lang_all.get(lang, {}).get("TITLE") or binding.title or app.title
        tabs.append({"n": n, "placement": placement_code, "title": title, "frame": frame})
        frames[f"b24-frame-{n}"] = {"init": frame.init}
    title = str(record.get("TITLE") or f"{entity} {entity_id}")
    return render_template(
        "portal_card.html",
        title=title,
        tabs=tabs,
        domain=state.domain,
        user_id=user_id,
        fields=[(label, record.get(name)) for name, label in labels],
        frames_json=_script_json(frames),
    )


@pages_bp.get("/crm/deal/details/<int:entity_id>/")
def deal_card(entity_id: int) -> str:
    return _card("deal", entity_id, _DEAL_LABELS)


@pages_bp.get("/crm/company/details/<int:entity_id>/")
def company_card(entity_id: int) -> str:
    return _card("company", entity_id, _COMPANY_LABELS)


def _script_json(value: Any) -> str:
    """JSON safe to place inside a <script> element (no closing tag can sneak in)."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")
