"""The install URL: the portal's install POST, answered with the page that calls BX24.installFinish()."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, render_template, request

from b24app.bitrix.installation import InstallRefused, InstallRequest, accept_install_event, install
from b24app.web.events import answer_refusal, event_name, install_event
from b24app.web.guards import allow_framing_by
from b24app.web.limits import ascii_id, for_log
from b24app.web.params import lang_of, portal_param

log = logging.getLogger(__name__)
bp = Blueprint("install", __name__)


def _install_request() -> InstallRequest:
    missing = [n for n in ("member_id", "DOMAIN", "AUTH_ID", "REFRESH_ID") if not portal_param(request, n)]
    if missing:
        raise InstallRefused(f"install request lacks {', '.join(missing)}", status=400)
    # AUTH_EXPIRES is not read: the lifetime that counts is the one the OAuth server gives the proven pair.
    return InstallRequest(
        member_id=portal_param(request, "member_id"),
        domain=portal_param(request, "DOMAIN").lower(),
        # PROTOCOL: 1 = https, 0 = http (installation and placement POSTs carry it).
        https=portal_param(request, "PROTOCOL", "1") != "0",
        access_token=portal_param(request, "AUTH_ID"),
        refresh_token=portal_param(request, "REFRESH_ID"),
        lang=portal_param(request, "LANG") or None,
        user_id=ascii_id(portal_param(request, "USER_ID")),
    )


@bp.post("/install")
def install_post():
    """The install POST — or ONAPPINSTALL, which apps registered without a UI receive here
    (api-reference/common/events/on-app-install.md)."""
    ctx = current_app.extensions["b24app"]
    if request.form.get("event") is not None:
        return _install_event_post(ctx)
    lang = lang_of(portal_param(request, "LANG"))
    try:
        record = install(ctx.installer, _install_request())
    except InstallRefused as exc:
        log.warning("install refused from %s: %s", request.remote_addr, for_log(exc.reason, 300))
        return render_template("install.html", ok=False, lang=lang, reason=exc.public,
                               bx24_js_url=None), exc.status
    allow_framing_by(record.client_endpoint)
    return render_template("install.html", ok=True, lang=lang, portal=record,
                           bx24_js_url=ctx.settings.bx24_js_url_for(record.domain))


def _install_event_post(ctx):  # noqa: ANN001, ANN202 - Runtime in, Flask answer out
    event = ""
    try:
        event = event_name()
        if event != "ONAPPINSTALL":
            raise InstallRefused(f"{event} is sent to the event handler, not to the install path", status=422)
        accept_install_event(ctx.installer, install_event())
    except InstallRefused as exc:
        return answer_refusal(event, exc)
    return jsonify(ok=True)


@bp.get("/install")
def install_get():
    lang = lang_of(request.args.get("LANG"))
    return render_template("install.html", ok=False, lang=lang,
                           reason="open this address from Bitrix24: it expects the portal's install POST",
                           bx24_js_url=None), 400
