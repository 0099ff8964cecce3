"""The dead letters page ("Ошибки обмена"), inside the settings area: what the exchange gave up on, with the reason
in plain words; replay one, the selected or all; discard the selected after a confirmation step.

Authenticated exactly as the settings page (b24app/web/settings.py): the first request is the portal's frame POST
(AUTH_ID verified with the portal, user.admin asked), every later form carries the signed frame token (`frame`),
which is the identity and the CSRF protection at once. Only portal administrators get past the door.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Blueprint, current_app, render_template, request

from b24app.jobs import dead_letters
from b24app.jobs.dead_letters import BadReference, DeadLetter
from b24app.runtime import Runtime
from b24app.web.admin_pages import admin_user, answer_refusals
from b24app.web.dead_letters_texts import dlt
from b24app.web.frame import FrameUser, sign_frame

log = logging.getLogger(__name__)
bp = Blueprint("dead_letters", __name__)
answer_refusals(bp, "dead_letters_refused.html", "dead letters")

PAGE_LIMIT = 200  # newest shown; the page says how many more there are
MAX_REFS = 500  # references one form may carry
STREAM_WORDS = {"payments", "shipments", "debt"}
OUTBOX_KINDS = {"deal", "invoice", "company", "contact", "requisite"}


def _ctx() -> Runtime:
    return current_app.extensions["b24app"]


def _admin() -> FrameUser:
    """The frame's user, a portal administrator (web/admin_pages.py: frame POST or our signed token)."""
    return admin_user(_ctx(), request)


@bp.app_template_global("dlt")
def _dlt(key: str, lang: str, **params: object) -> str:
    """The page's texts for every template (the settings page links here with them)."""
    return dlt(key, lang, **params)


@dataclass
class Shown:
    """One render's extras: notices and errors as (text key, params)."""

    notices: list[tuple[str, dict]] = field(default_factory=list)
    errors: list[tuple[str, dict]] = field(default_factory=list)


def describe(letter: DeadLetter, lang: str) -> str:
    """What a dead letter was about, in the reader's words."""
    if letter.kind in OUTBOX_KINDS and letter.outbox_id is not None:
        return dlt(f"what_{letter.kind}", lang, id=letter.subject)
    if letter.kind in {"pull_stream", "run_named_job"}:
        stream = dlt(f"stream_{letter.subject}", lang) if letter.subject in STREAM_WORDS else letter.subject
        return dlt(f"what_{letter.kind}", lang, stream=stream)
    return dlt("what_other", lang, what=letter.what)


def _newest(ctx: Runtime, member_id: str) -> list[DeadLetter]:
    letters = dead_letters.list_dead(ctx, member_id, PAGE_LIMIT)
    letters.sort(key=lambda d: d.failed_at.timestamp() if d.failed_at else 0.0, reverse=True)
    return letters[:PAGE_LIMIT]


def _render(user: FrameUser, shown: Shown | None = None, status: int = 200):
    ctx = _ctx()
    record = ctx.portals.require(user.member_id)
    letters = _newest(ctx, user.member_id)
    total = dead_letters.count_dead(ctx, user.member_id) if letters else 0
    return render_template(
        "dead_letters.html", lang=user.lang, frame=sign_frame(ctx, user), shown=shown or Shown(),
        letters=letters, total=max(total, len(letters)), describe=describe,
        bx24_js_url=ctx.settings.bx24_js_url_for(record.domain),
    ), status


def _selected(user: FrameUser) -> list[str]:
    """The references the form names: one row's button, every dead letter (`all`), or the ticked boxes."""
    if request.form.get("all") == "1":
        return [d.ref for d in dead_letters.list_dead(_ctx(), user.member_id, None)]
    one = request.form.get("one")
    refs = [one] if one else request.form.getlist("ref")
    refs = list(dict.fromkeys(refs))[:MAX_REFS]
    for ref in refs:
        dead_letters.parse_ref(ref)  # BadReference: the form was altered
    return refs


@bp.route("/settings/dead-letters", methods=["GET", "POST"])
def page():
    return _render(_admin())


@bp.post("/settings/dead-letters/replay")
def replay():
    ctx, user = _ctx(), _admin()
    try:
        refs = _selected(user)
    except BadReference:
        return _render(user, Shown(errors=[("err_bad_ref", {})]), 400)
    if not refs:
        return _render(user, Shown(errors=[("err_nothing_selected", {})]), 422)
    done = sum(dead_letters.replay(ctx, user.member_id, ref) for ref in refs)
    log.info("portal %s: %d dead letter(s) replayed by user %s", user.member_id, done, user.user_id)
    return _render(user, _outcome("notice_replayed", done, len(refs) - done))


@bp.post("/settings/dead-letters/discard")
def discard():
    """Without `confirm=1`: the confirmation page naming what will go. With it: discard them."""
    ctx, user = _ctx(), _admin()
    try:
        refs = _selected(user)
    except BadReference:
        return _render(user, Shown(errors=[("err_bad_ref", {})]), 400)
    if not refs:
        return _render(user, Shown(errors=[("err_nothing_selected", {})]), 422)
    if request.form.get("confirm") != "1":
        wanted = set(refs)
        chosen = [d for d in dead_letters.list_dead(ctx, user.member_id, None) if d.ref in wanted]
        if not chosen:
            return _render(user, _outcome("notice_discarded", 0, len(refs)), 404)
        return render_template("dead_letters_confirm.html", lang=user.lang, frame=sign_frame(ctx, user),
                               letters=chosen, describe=describe,
                               bx24_js_url=ctx.settings.bx24_js_url_for(ctx.portals.require(user.member_id).domain))
    done = sum(dead_letters.discard(ctx, user.member_id, ref) for ref in refs)
    log.info("portal %s: %d dead letter(s) discarded by user %s", user.member_id, done, user.user_id)
    return _render(user, _outcome("notice_discarded", done, len(refs) - done))


def _outcome(key: str, done: int, missing: int) -> Shown:
    shown = Shown(notices=[(key, {"done": done})] if done else [])
    if missing:
        shown.errors.append(("notice_missing", {"missing": missing}))
    return shown
