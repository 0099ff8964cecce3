"""The counterparties page («Контрагенты из 1С»), inside the settings area: per enabled OData base, the preview of
the first counterparty load (run as the "sync now" job `counterparty_preview`, with a progress bar), its counts and
lists with the 1C and CRM sides next to each other, the administrator's decisions (a name candidate is the same
company or a different one; a counterparty with a known INN and another KPP is a branch with its own card or the
same company), the CSV and XLSX downloads, the counterparty settings (individuals as contacts or companies, CRM → 1C,
whose value wins per field) and «Загрузить», which saves the decisions, turns the base's exchange on and starts the
load (`counterparties`, jobs/counterparties.py) with its progress and outcome in a sentence.

Administrators only, through the door of every settings-area page (web/admin_pages.py): every form is a POST with
the signed frame token, which is also the CSRF protection. The page never calls 1C or the portal itself: the
preview is a job, and the page shows the job's result with today's decisions applied
(`sync/counterparty_preview.decide`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from b24app.bitrix.errors import BitrixError
from b24app.bitrix.installation import InstallRefused, bind_from_manifest
from b24app.core.party_settings import AS_COMPANY, AS_CONTACT, CRM, FIELD_WINNERS, ONEC, PartySettings
from b24app.jobs import sync_now
from b24app.runtime import Runtime
from b24app.store.bases import BaseRecord
from b24app.store.party_decisions import SKIP, PartyDecisions, valid_decision
from b24app.store.portal_settings import StaleSettings
from b24app.sync.counterparty_preview import ACTION_LISTS, LISTS, decide, undecided_keys
from b24app.web.admin_pages import admin_user, answer_refusals
from b24app.web.counterparties_export import csv_bytes, xlsx_bytes
from b24app.web.counterparties_texts import (
    PREVIEW_COUNTS,
    card_text,
    count_text,
    inn_kpp_text,
    outcome_sentence,
    pt,
)
from b24app.web.frame import FrameUser, sign_frame
from b24app.web.job_progress import JobView, JobWords, job_view, latest_job, status_answer

log = logging.getLogger(__name__)
bp = Blueprint("counterparties_page", __name__)
answer_refusals(bp, "counterparties_refused.html", "counterparties page")

PREVIEW, LOAD = "counterparty_preview", "counterparties"
PAGE_ROWS = 200  # rows of a list shown on the page; the downloads carry every listed row
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ctx() -> Runtime:
    return current_app.extensions["b24app"]


@bp.app_template_global("pt")
def _pt(key: str, lang: str, **params: object) -> str:
    return pt(key, lang, **params)


# -- jobs -------------------------------------------------------------------------------------------------------


JOB_WORDS = JobWords(subject="counterparty", preview=PREVIEW, load=LOAD, text=pt, outcome=outcome_sentence)


def raw_preview(job: JobView | None, base_id: int) -> dict | None:
    """The preview a finished preview job produced for the base, as the job stored it."""
    if job is None or job.name != PREVIEW or job.state != "finished" or not job.result:
        return None
    return (job.result.get("bases") or {}).get(str(base_id))


# -- one base on the page ---------------------------------------------------------------------------------------


@dataclass
class BaseView:
    record: BaseRecord
    enabled: bool  # the base is in the portal's enabled_bases: its counterparties are kept in step
    preview_job: JobView | None
    load_job: JobView | None
    preview: dict | None  # with today's decisions applied


def _base_view(ctx: Runtime, member_id: str, record: BaseRecord, settings: PartySettings, lang: str) -> BaseView:
    job = latest_job(ctx, member_id, PREVIEW, record.id, lang, JOB_WORDS)
    raw = raw_preview(job, record.id)
    preview = decide(raw, PartyDecisions(ctx.db).get_all(member_id, record.id)) if raw else None
    return BaseView(record=record, enabled=settings.enabled_for(record.id), preview_job=job,
                    load_job=latest_job(ctx, member_id, LOAD, record.id, lang, JOB_WORDS), preview=preview)


def _bases(ctx: Runtime, member_id: str) -> list[BaseRecord]:
    return [b for b in ctx.bases.list(member_id) if b.enabled and b.is_odata]


@dataclass
class Shown:
    notices: list[tuple[str, dict]] = field(default_factory=list)
    errors: list[tuple[str, dict]] = field(default_factory=list)


def _render(user: FrameUser, shown: Shown | None = None, status: int = 200):
    ctx = _ctx()
    record = ctx.portals.require(user.member_id)
    settings, version = ctx.portal_settings.load(user.member_id)
    parties = settings.counterparties
    views = [_base_view(ctx, user.member_id, b, parties, user.lang) for b in _bases(ctx, user.member_id)]
    return render_template(
        "counterparties.html", lang=user.lang, frame=sign_frame(ctx, user), shown=shown or Shown(),
        version=version, settings=parties, views=views, counts=PREVIEW_COUNTS, lists=LISTS,
        action_lists=ACTION_LISTS, page_rows=PAGE_ROWS, winners=FIELD_WINNERS, onec=ONEC, crm=CRM,
        as_contact=AS_CONTACT, as_company=AS_COMPANY, n=count_text, inn_kpp=inn_kpp_text, card=card_text,
        card_url=lambda key: card_url(record.domain, key), undecided=undecided_keys,
        bx24_js_url=ctx.settings.bx24_js_url_for(record.domain),
    ), status


def card_url(domain: str, key: str) -> str:
    """The CRM card's address in the portal (crm/company/details/12/ — the path the portal's own links use)."""
    entity, _, crm_id = key.partition(":")
    return f"https://{domain}/crm/{entity}/details/{int(crm_id)}/"


def _base_id(user: FrameUser) -> int | None:
    raw = request.form.get("base_id", "")
    if not (raw.isascii() and raw.isdigit()):
        return None
    base_id = int(raw)
    return base_id if any(b.id == base_id for b in _bases(_ctx(), user.member_id)) else None


def _posted_version() -> int:
    raw = request.form.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() else -1


def parse_party_settings(form: Any, current: PartySettings) -> tuple[PartySettings, list[tuple[str, dict]]]:
    """The posted settings over the saved ones (enabled bases are the load button's business, kept as they are).
    A winner equal to the default is not stored, so a later change of a default reaches the portal."""
    errors: list[tuple[str, dict]] = []
    individuals = form.get("individuals_as", current.individuals_as)
    if individuals not in (AS_CONTACT, AS_COMPANY):
        errors.append(("err_settings", {"what": "individuals_as"}))
        individuals = current.individuals_as
    winners: dict[str, str] = {}
    for name, default in FIELD_WINNERS.items():
        posted = form.get(f"winner_{name}", current.winner(name))
        if posted not in (ONEC, CRM):
            errors.append(("err_settings", {"what": name}))
            posted = current.winner(name)
        if posted != default:
            winners[name] = posted
    return replace(current, individuals_as=individuals, crm_to_onec=form.get("crm_to_onec") == "1",
                   winners=winners), errors


# -- routes -----------------------------------------------------------------------------------------------------


@bp.route("/settings/counterparties", methods=["GET", "POST"])
def page():
    return _render(admin_user(_ctx(), request))


@bp.post("/settings/counterparties/preview")
def preview():
    ctx, user = _ctx(), admin_user(_ctx(), request)
    base_id = _base_id(user)
    if base_id is None:
        return _render(user, Shown(errors=[("err_base", {})]), 422)
    job_id = sync_now.enqueue(ctx, user.member_id, PREVIEW, base_id)
    log.info("portal %s: counterparty preview of base %s (%s) by user %s", user.member_id, base_id, job_id,
             user.user_id)
    return _render(user)


@bp.post("/settings/counterparties/decide")
def decide_one():
    """Record one decision on a preview row ("" withdraws it)."""
    ctx, user = _ctx(), admin_user(_ctx(), request)
    base_id = _base_id(user)
    if base_id is None:
        return _render(user, Shown(errors=[("err_base", {})]), 422)
    key = request.form.get("onec_key", "").strip()
    decision = request.form.get("decision", "").strip()
    if not key or len(key) > 80 or (decision and not valid_decision(decision)):
        return _render(user, Shown(errors=[("err_decision", {})]), 422)
    PartyDecisions(ctx.db).set(user.member_id, base_id, key, decision or None)
    log.info("portal %s: counterparty %s of base %s decided %r by user %s", user.member_id, key, base_id,
             decision or None, user.user_id)
    return _render(user, Shown(notices=[("decision_saved" if decision else "decision_undone", {})]))


@bp.post("/settings/counterparties/save")
def save():
    ctx, user = _ctx(), admin_user(_ctx(), request)
    settings, _ = ctx.portal_settings.load(user.member_id)
    parties, errors = parse_party_settings(request.form, settings.counterparties)
    if errors:
        return _render(user, Shown(errors=errors), 422)
    try:
        ctx.portal_settings.save(user.member_id, replace(settings, counterparties=parties), _posted_version())
    except StaleSettings:
        return _render(user, Shown(errors=[("err_stale", {})]), 409)
    log.info("portal %s: counterparty settings saved by user %s", user.member_id, user.user_id)
    if parties.crm_to_onec and not settings.counterparties.crm_to_onec and not _bind_events(ctx, user.member_id):
        return _render(user, Shown(errors=[("err_bind", {})]), 502)
    return _render(user, Shown(notices=[("saved", {})]))


def _bind_events(ctx: Runtime, member_id: str) -> bool:
    """Bind the manifest's events again when CRM → 1C is switched on: a portal installed before the company and
    requisite events joined the manifest would otherwise never send them (binding unbinds first, so a repeat is
    harmless)."""
    try:
        bind_from_manifest(ctx.installer, member_id)
    except (InstallRefused, BitrixError) as exc:
        log.warning("portal %s: re-binding events for CRM → 1C failed: %s", member_id, exc)
        return False
    return True


@bp.post("/settings/counterparties/load")
def load():
    """Save what is still undecided as left out (the load never guesses), turn the base's exchange on, and start
    the first load."""
    ctx, user = _ctx(), admin_user(_ctx(), request)
    base_id = _base_id(user)
    if base_id is None:
        return _render(user, Shown(errors=[("err_base", {})]), 422)
    job = latest_job(ctx, user.member_id, PREVIEW, base_id, user.lang, JOB_WORDS)
    raw = raw_preview(job, base_id)
    if raw is None:
        return _render(user, Shown(errors=[("err_no_preview", {})]), 409)
    decisions = PartyDecisions(ctx.db)
    pending = undecided_keys(decide(raw, decisions.get_all(user.member_id, base_id)))
    settings, version = ctx.portal_settings.load(user.member_id)
    parties = settings.counterparties
    if not parties.enabled_for(base_id):
        parties = replace(parties, enabled_bases=(*parties.enabled_bases, str(base_id)))
        try:
            ctx.portal_settings.save(user.member_id, replace(settings, counterparties=parties), version)
        except StaleSettings:
            return _render(user, Shown(errors=[("err_stale", {})]), 409)
    decisions.set_many(user.member_id, base_id, dict.fromkeys(pending, SKIP))
    job_id = sync_now.enqueue(ctx, user.member_id, LOAD, base_id)
    log.info("portal %s: counterparty load of base %s (%s) by user %s, %d undecided left out", user.member_id,
             base_id, job_id, user.user_id, len(pending))
    return _render(user, Shown(notices=[("load_started", {})]))


@bp.post("/settings/counterparties/status")
def status():
    """A counterparty job's progress as JSON for the page's poller (only the asking portal's jobs)."""
    return status_answer(_ctx(), JOB_WORDS)


def _download(kind: str):
    ctx, user = _ctx(), admin_user(_ctx(), request)
    try:
        job = job_view(ctx, user.member_id, request.form.get("job") or "", user.lang, JOB_WORDS)
    except sync_now.UnknownJob:
        return _render(user, Shown(errors=[("err_job", {})]), 404)
    previews = ((job.result or {}).get("bases") or {}) if job.name == PREVIEW and job.state == "finished" else {}
    if not previews:
        return _render(user, Shown(errors=[("err_job", {})]), 404)
    base_id, raw = next(iter(previews.items()))
    data = decide(raw, PartyDecisions(ctx.db).get_all(user.member_id, int(base_id)))
    name = f"counterparties-preview-base-{int(base_id)}.{kind}"
    if kind == "csv":
        body, content_type = csv_bytes(data, user.lang), "text/csv; charset=utf-8"
    else:
        body, content_type = xlsx_bytes(data, user.lang), XLSX_TYPE
    return Response(body, content_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/settings/counterparties/preview.csv")
def preview_csv():
    return _download("csv")


@bp.post("/settings/counterparties/preview.xlsx")
def preview_xlsx():
    return _download("xlsx")
