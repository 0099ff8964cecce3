"""The app's own page (left-menu handler); the card tabs live in tabs.py."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, render_template, request

from b24app.installation import InstallRefused
from b24app.web.frame import stored_portal, verify_frame
from b24app.web.params import lang_of, portal_param

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__)


def _refused(exc: InstallRefused, lang: str):
    log.warning("frame request from %s refused: %s", request.remote_addr, exc.reason)
    return render_template("refused.html", lang=lang), exc.status


@bp.route("/app", methods=["GET", "POST"])
def app_page():
    ctx = current_app.extensions["b24app"]
    lang = lang_of(portal_param(request, "LANG"))
    try:
        verify_frame(ctx, request)
        record = stored_portal(ctx, request)
    except InstallRefused as exc:
        return _refused(exc, lang)
    return render_template("app.html", lang=lang, portal=record,
                           bx24_js_url=ctx.settings.bx24_js_url_for(record.domain))
