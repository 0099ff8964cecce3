"""The alerts page ("Оповещения"), inside the settings area: who is told (e-mail addresses, Bitrix24 users), about
which incidents, the thresholds; the incidents so far and the messages sent; a test alert.

Authenticated exactly as the settings and dead letters pages: the first request is the portal's frame POST
(AUTH_ID verified with the portal, user.admin asked), every later form carries the signed frame token (`frame`),
which is the identity and the CSRF protection at once. Only portal administrators get past the door. Saving
replaces the `alerts` section of the settings document only, under its version (a concurrent save is refused).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field, replace

from flask import Blueprint, current_app, render_template, request

from b24app.core.alert_settings import (
    EMAIL,
    INCIDENT_KINDS,
    MAX_BASE_DOWN_MINUTES,
    MAX_EMAILS,
    MAX_PER_HOUR,
    MAX_USERS,
    MIN_BASE_DOWN_MINUTES,
    MIN_PER_HOUR,
    AlertSettings,
)
from b24app.jobs.alerts import send_test_alert
from b24app.ops.alerts import texts as alert_texts
from b24app.runtime import Runtime
from b24app.store.incidents import IncidentStore
from b24app.store.portal_settings import StaleSettings
from b24app.web.admin_pages import admin_user, answer_refusals
from b24app.web.alerts_texts import alt
from b24app.web.frame import FrameUser, sign_frame

log = logging.getLogger(__name__)
bp = Blueprint("alerts_page", __name__)
answer_refusals(bp, "alerts_refused.html", "alerts page")

USERS_CACHE_SECONDS = 300
USERS_TIMEOUT = 5.0


def _ctx() -> Runtime:
    return current_app.extensions["b24app"]


def _admin() -> FrameUser:
    """The frame's user, a portal administrator (web/admin_pages.py: frame POST or our signed token)."""
    return admin_user(_ctx(), request)


@bp.app_template_global("alt")
def _alt(key: str, lang: str, **params: object) -> str:
    """The page's texts for every template (the settings page links here with them)."""
    return alt(key, lang, **params)


@dataclass
class Shown:
    notices: list[tuple[str, dict]] = field(default_factory=list)
    errors: list[tuple[str, dict]] = field(default_factory=list)
    form: dict | None = None  # what was typed, shown again after an error


def portal_users(ctx: Runtime, member_id: str) -> list[dict] | None:
    """The portal's users as (ID, name) for the recipients' checkboxes, cached a few minutes; None when the portal
    cannot be asked now (user.get: api-reference/user/user-get.md, scope `user`)."""
    key = f"{ctx.settings.queue_prefix}:alerts:users:{member_id}"
    try:
        cached = ctx.redis.get(key)
        if cached is not None:
            return json.loads(cached)
        answer = ctx.bitrix(member_id, timeout=USERS_TIMEOUT).call("user.get", {"FILTER": {"ACTIVE": True}})
        users = [{"id": int(u["ID"]), "name": " ".join(p for p in (u.get("NAME"), u.get("LAST_NAME")) if p)
                  or str(u["ID"])} for u in answer.result or [] if str(u.get("ID", "")).isdigit()]
        ctx.redis.set(key, json.dumps(users, ensure_ascii=False), ex=USERS_CACHE_SECONDS)
        return users
    except Exception as exc:  # noqa: BLE001 - the page still works with ids typed by hand
        log.warning("users of %s unavailable for the alerts page: %s", member_id, exc)
        return None


def _render(user: FrameUser, shown: Shown | None = None, status: int = 200):
    ctx = _ctx()
    shown = shown or Shown()
    record = ctx.portals.require(user.member_id)
    settings, version = ctx.portal_settings.load(user.member_id)
    store = IncidentStore(ctx.db)
    alerts = settings.alerts
    form = shown.form or {"emails": "\n".join(alerts.emails), "user_ids": ", ".join(map(str, alerts.user_ids)),
                          "chosen": set(alerts.user_ids), "enabled": {k for k in INCIDENT_KINDS if alerts.enabled(k)},
                          "base_down_minutes": alerts.base_down_minutes, "max_per_hour": alerts.max_per_hour}
    return render_template(
        "alerts.html", lang=user.lang, frame=sign_frame(ctx, user), shown=shown, form=form, version=version,
        kinds=INCIDENT_KINDS, users=portal_users(ctx, user.member_id), smtp_on=ctx.settings.smtp.configured,
        incidents=store.recent(user.member_id, 30), deliveries=store.deliveries(user.member_id, 30),
        incident_title=lambda inc: alert_texts.title(inc, user.lang) + alert_texts.subject_part(inc, user.lang),
        bx24_js_url=ctx.settings.bx24_js_url_for(record.domain),
    ), status


@bp.route("/settings/alerts", methods=["GET", "POST"])
def page():
    return _render(_admin())


def parse_form(form, lang: str) -> tuple[AlertSettings | None, list[tuple[str, dict]], dict]:  # noqa: ANN001
    """The posted form as AlertSettings, or the errors (text key, params) and what was typed."""
    errors: list[tuple[str, dict]] = []
    emails = [e.strip() for e in re.split(r"[\s,;]+", form.get("emails", "")) if e.strip()]
    for e in emails:
        if not EMAIL.fullmatch(e):
            errors.append(("err_emails", {"value": e[:80]}))
    typed_ids = [u.strip() for u in re.split(r"[\s,;]+", form.get("user_ids", "")) if u.strip()]
    ids: list[int] = []
    for u in typed_ids + form.getlist("user_id"):
        if u.isascii() and u.isdigit() and int(u) > 0:
            ids.append(int(u))
        else:
            errors.append(("err_user_ids", {"value": u[:40]}))
    emails, ids = list(dict.fromkeys(emails)), list(dict.fromkeys(ids))
    if len(emails) > MAX_EMAILS or len(ids) > MAX_USERS:
        errors.append(("err_too_many", {"limit": min(MAX_EMAILS, MAX_USERS)}))
    numbers = {}
    for name, low, high in (("base_down_minutes", MIN_BASE_DOWN_MINUTES, MAX_BASE_DOWN_MINUTES),
                            ("max_per_hour", MIN_PER_HOUR, MAX_PER_HOUR)):
        raw = form.get(name, "").strip()
        if raw.isascii() and raw.isdigit() and low <= int(raw) <= high:
            numbers[name] = int(raw)
        else:
            errors.append(("err_number", {"label": alt(name, lang), "low": low, "high": high}))
    enabled = {k for k in INCIDENT_KINDS if form.get(f"enabled_{k}") == "1"}
    typed = {"emails": form.get("emails", ""), "user_ids": form.get("user_ids", ""),
             "chosen": {int(u) for u in form.getlist("user_id") if u.isdigit()}, "enabled": enabled,
             "base_down_minutes": form.get("base_down_minutes", ""), "max_per_hour": form.get("max_per_hour", "")}
    if errors:
        return None, errors, typed
    return AlertSettings(emails=tuple(emails), user_ids=tuple(ids),
                         disabled=tuple(k for k in INCIDENT_KINDS if k not in enabled), **numbers), [], typed


@bp.post("/settings/alerts/save")
def save():
    ctx, user = _ctx(), _admin()
    alerts, errors, typed = parse_form(request.form, user.lang)
    if alerts is None:
        return _render(user, Shown(errors=errors, form=typed), 422)
    settings, version = ctx.portal_settings.load(user.member_id)
    try:
        expected = int(request.form.get("version", ""))
    except ValueError:
        expected = -1
    try:
        ctx.portal_settings.save(user.member_id, replace(settings, alerts=alerts), expected)
    except StaleSettings:
        return _render(user, Shown(errors=[("err_stale", {})]), 409)
    log.info("portal %s: alert settings saved by user %s (%d e-mail(s), %d user(s))", user.member_id,
             user.user_id, len(alerts.emails), len(alerts.user_ids))
    return _render(user, Shown(notices=[("saved", {})]))


@bp.post("/settings/alerts/test")
def test():
    ctx, user = _ctx(), _admin()
    alerts = ctx.portal_settings.get(user.member_id).alerts
    result = send_test_alert(ctx, user.member_id, alerts)
    if not result.notices:
        return _render(user, Shown(errors=[("test_nobody", {})]), 422)
    shown = Shown(notices=[("test_sent", {"sent": result.sent, "total": result.sent + result.failed})])
    if result.failed:
        latest = next((d for d in IncidentStore(ctx.db).pending(user.member_id) if d.last_error), None)
        shown.errors.append(("test_failed", {"failed": result.failed,
                                             "error": (latest.last_error if latest else "")[:300]}))
    return _render(user, shown)
