"""The install URL: the portal's install POST, answered with the page that calls BX24.installFinish()."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, render_template, request

from b24app.bitrix.installation import InstallRefused, InstallRequest, install
from b24app.web.params import lang_of, portal_param

log = logging.getLogger(__name__)
bp = Blueprint("install", __name__)


def _install_request() -> InstallRequest:
    missing = [n for n in ("member_id", "DOMAIN", "AUTH_ID", "REFRESH_ID") if not portal_param(request, n)]
    if missing:
        raise InstallRefused(f"install request lacks {', '.join(missing)}", status=400)
    try:
        expires_in = int(portal_param(request, "AUTH_EXPIRES", "3600"))
    except ValueError:
        raise InstallRefused("AUTH_EXPIRES is not a number", status=400) from None
    return InstallRequest(
        member_id=portal_param(request, "member_id"),
        domain=portal_param(request, "DOMAIN").lower(),
        # PROTOCOL: 1 = https, 0 = http (installation and placement POSTs carry it).
        https=portal_param(request, "PROTOCOL", "1") != "0",
        access_token=portal_param(request, "AUTH_ID"),
        refresh_token=portal_param(request, "REFRESH_ID"),
        expires_in=expires_in,
        lang=portal_param(request, "LANG") or None,
        user_id=portal_param(request, "USER_ID") or None,
    )


@bp.post("/install")
def install_post():
    ctx = current_app.extensions["b24app"]
    lang = lang_of(portal_param(request, "LANG"))
    try:
        record = install(ctx.installer, _install_request())
    except InstallRefused as exc:
        log.warning("install refused from %s: %s", request.remote_addr, exc.reason)
        return render_template("install.html", ok=False, lang=lang, reason=exc.reason,
                               bx24_js_url=None), exc.status
    return render_template("install.html", ok=True, lang=lang, portal=record,
                           bx24_js_url=ctx.settings.bx24_js_url_for(record.domain))


@bp.get("/install")
def install_get():
    lang = lang_of(request.args.get("LANG"))
    return render_template("install.html", ok=False, lang=lang,
                           reason="open this address from Bitrix24: it expects the portal's install POST",
                           bx24_js_url=None), 400
