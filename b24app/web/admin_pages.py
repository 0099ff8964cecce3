"""The door of the administrators' pages inside the settings area (journal, dashboard; dead letters and settings
follow the same rule): who may pass and how a refusal is answered.

The first request is the portal's frame POST (AUTH_ID verified with the portal, user.admin asked); every later
form carries the signed frame token (`frame`), which is the identity and the CSRF protection at once (cookies are
unreliable inside the portal's iframe). A GET carries neither and is refused. Only portal administrators pass.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Request, render_template, request

from b24app.bitrix.installation import InstallRefused
from b24app.runtime import Runtime
from b24app.web.frame import FrameUser, load_frame, verify_frame
from b24app.web.params import lang_of, portal_param

log = logging.getLogger(__name__)


class AdminRefused(Exception):
    """The request may not see an administrators' page: why (for the log), the HTTP status, the page language."""

    def __init__(self, reason: str, status: int, lang: str) -> None:
        super().__init__(reason)
        self.reason, self.status, self.lang = reason, status, lang


def admin_user(ctx: Runtime, req: Request) -> FrameUser:
    """The frame's user, who must be a portal administrator: from the portal's frame POST or from the signed token
    of a page we rendered. AdminRefused otherwise (a GET, a forged or expired token, a non-admin)."""
    if req.method != "POST":
        raise AdminRefused(f"{req.path} opened without a frame POST", 400, lang_of(req.args.get("LANG")))
    lang = lang_of(portal_param(req, "LANG"))
    try:
        token = req.form.get("frame")
        user = load_frame(ctx, token) if token else verify_frame(ctx, req, need_admin=True)
    except InstallRefused as exc:
        raise AdminRefused(exc.reason, exc.status, lang) from None
    if not user.is_admin:
        raise AdminRefused(f"user {user.user_id} of {user.member_id} is not an administrator", 403, user.lang)
    return user


def answer_refusals(bp: Blueprint, template: str, what: str) -> None:
    """Answer the blueprint's AdminRefused with `template` (given `lang`) and the refusal's status; the reason
    goes to the log only (it may name the portal or the user)."""

    @bp.errorhandler(AdminRefused)
    def _refused(exc: AdminRefused):  # noqa: ANN202 - a Flask response tuple
        log.warning("%s request from %s refused: %s", what, request.remote_addr, exc.reason)
        return render_template(template, lang=exc.lang), exc.status
