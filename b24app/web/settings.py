"""The settings page: 1C bases, legal entities, field and stage mapping, schedules, sync now, export/import.

Opened by the portal as a frame POST (the app's page from the left menu, or any placement whose handler is this
URL); verified with `verify_frame(need_admin=True)`, which asks the portal whether the user is an administrator
(user.admin) rather than trusting the request. Every later form post and progress poll carries the signed frame
token (`frame`), which is both the identity and the CSRF protection: cookies are not reliable in the portal's
iframe. Only administrators change anything; everyone else gets a read-only summary.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from stdnum.ru import inn as ru_inn

from b24app.bitrix.errors import BitrixError
from b24app.bitrix.installation import InstallRefused
from b24app.bitrix.tokens import TokenUnavailable
from b24app.core.portal_settings import DEFAULT_COMPANY_FIELDS, DEFAULT_DEAL_FIELDS, PortalSettings
from b24app.jobs import sync_now
from b24app.onec.base import OneCBase
from b24app.onec.egress import EgressRefused, UnknownHost
from b24app.onec.profiles import ProfileError
from b24app.onec.schema import check
from b24app.runtime import Runtime
from b24app.store.bases import BaseNotFound, BaseRecord
from b24app.store.config_transfer import BASE_MAPS, SettingsFileError, rekey_warehouses
from b24app.store.journal import JournalEntry
from b24app.store.portal_settings import StaleSettings
from b24app.web.exchange import exchange_url, nodes_of
from b24app.web.frame import FrameUser, load_frame, sign_frame, verify_frame
from b24app.web.limits import ascii_id, bounded_json
from b24app.web.params import lang_of, portal_param
from b24app.web.settings_forms import (
    SCHEDULED_STREAMS,
    STAGE_ROLES,
    BaseInput,
    Errors,
    SettingsInput,
    broken_mapping,
    msg,
    profiles,
    same_server,
    validate_base,
    validate_settings,
)
from b24app.web.settings_onec import base_choices, forget_choices
from b24app.web.settings_portal import PortalSchema, forget_schema, portal_schema
from b24app.web.settings_texts import job_sentence, st

log = logging.getLogger(__name__)
bp = Blueprint("settings", __name__)

LEGAL_ENTITY_FIELD = "UF_CRM_B24_1C_SELLER"
SYNC_JOBS = ("check_bases", "payments", "debt", "shipments")
# The page's sections, in the order of the nav; each is an anchor `#section-<name>` a link or a save returns to.
SECTIONS = ("bases", "legal", "fields", "stages", "warehouses", "schedules", "sync", "transfer", "monitoring")
# The other pages of the settings area, linked from the monitoring section when this deployment serves them:
# (element id, path, text key). All are opened by a form POST carrying the frame token, like the dead letters.
AREA_LINKS = (("journal-link", "/settings/journal", "link_journal"),
              ("dashboard-link", "/settings/dashboard", "link_dashboard"),
              ("alerts-link", "/settings/alerts", "link_alerts"),
              ("catalog-link", "/settings/catalog", "link_catalog"),
              ("counterparties-link", "/settings/counterparties", "link_counterparties"))
# Where each form's answer opens when the form does not name its section itself.
ENDPOINT_SECTIONS = {"settings.save_base": "bases", "settings.edit_base": "bases", "settings.test_base": "bases",
                     "settings.delete_base": "bases", "settings.save_settings": "fields",
                     "settings.create_fields": "fields", "settings.create_legal_field": "legal",
                     "settings.sync": "sync", "settings.import_preview": "transfer",
                     "settings.import_confirm": "transfer", "settings.add_exchange_node": "bases",
                     "settings.regenerate_exchange_node": "bases"}


def _ctx() -> Runtime:
    return current_app.extensions["b24app"]


class _Refused(Exception):
    def __init__(self, reason: str, status: int, lang: str) -> None:
        super().__init__(reason)
        self.reason, self.status, self.lang = reason, status, lang


def _user(*, admin: bool) -> FrameUser:
    """The frame's user: from the portal's frame POST (AUTH_ID, verified with user.admin) or from the signed
    token of a page we rendered. `admin` refuses everyone but portal administrators."""
    ctx = _ctx()
    lang = lang_of(portal_param(request, "LANG"))
    try:
        token = request.form.get("frame")
        user = load_frame(ctx, token) if token else verify_frame(ctx, request, need_admin=True)
    except InstallRefused as exc:
        raise _Refused(exc.reason, exc.status, lang) from None
    if admin and not user.is_admin:
        raise _Refused(f"user {user.user_id} of {user.member_id} is not an administrator", 403, user.lang)
    return user


@bp.errorhandler(_Refused)
def _refused(exc: _Refused):
    log.warning("settings request from %s refused: %s", request.remote_addr, exc.reason)
    if request.path.endswith("/status"):
        return jsonify({"error": "refused"}), exc.status
    return render_template("settings_refused.html", lang=exc.lang, st=st), exc.status


@dataclass
class PageState:
    """Everything one render of the page may show besides what is stored."""

    notice: tuple[str, dict] | None = None
    error: tuple[str, dict] | None = None
    base_form: BaseInput | None = None
    base_errors: Errors = field(default_factory=dict)
    test_report: dict | None = None
    test_base_name: str = ""
    settings_form: SettingsInput | None = None
    settings_errors: Errors = field(default_factory=dict)
    job: dict | None = None
    import_plan: Any = None
    import_text: str = ""
    section: str = ""  # the section the page opens at (the one a form was posted from)
    exchange_credentials: Any = None  # a CommerceML node's new credentials, shown this once
    exchange_form: dict = field(default_factory=dict)
    exchange_errors: Errors = field(default_factory=dict)


def _section(default: str = "") -> str:
    """The section a form asks the next page to open at (its hidden `section` field), if it is one of ours."""
    asked = request.form.get("section") or default
    return asked if asked in SECTIONS else default


def _job_json(progress: sync_now.JobProgress, lang: str) -> dict:
    """A sync-now job's progress for the page and its poller, with what it did as a sentence in `lang`."""
    data = progress.to_json()
    data["sentence"] = job_sentence(data, lang)
    return data


def _area_links() -> list[tuple[str, str, str]]:
    """The links of AREA_LINKS whose page this app serves (another part may not be deployed yet)."""
    served = {rule.rule for rule in current_app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    return [link for link in AREA_LINKS if link[1] in served]


def _schema(ctx: Runtime, member_id: str) -> tuple[PortalSchema | None, str]:
    try:
        return portal_schema(ctx, member_id), ""
    except BitrixError as exc:
        log.warning("portal schema of %s unavailable: %s", member_id, exc)
        return None, f"{exc.code or type(exc).__name__}"
    except TokenUnavailable as exc:
        # The app's own token is gone (refresh refused: the portal is now marked for re-authorisation) or being
        # refreshed elsewhere: the page still shows what is stored and says why the portal's fields are missing.
        log.warning("portal schema of %s unavailable: %s", member_id, exc.reason)
        return None, exc.reason


def _report_broken(ctx: Runtime, member_id: str, broken: list) -> None:
    """Write a mapping_broken journal entry when the set of broken mapped fields changes (not on every view)."""
    custom = sorted(f"{b.entity}.{b.logical}={b.field}" for b in broken if not b.default)
    key = ctx.keys.mapping_broken(member_id)
    fingerprint = "|".join(custom)
    if (ctx.redis.get(key) or b"").decode() == fingerprint:
        return
    ctx.redis.set(key, fingerprint, ex=30 * 86400)
    if custom:
        ctx.journal.record(member_id, JournalEntry(kind="mapping_broken", direction="internal", status="error",
                                                   items=len(custom), error="mapped fields missing on the portal: "
                                                   + ", ".join(custom)))


def _render(user: FrameUser, state: PageState | None = None, status: int = 200):
    ctx = _ctx()
    state = state or PageState()
    record = ctx.portals.require(user.member_id)
    settings, version = ctx.portal_settings.load(user.member_id)
    bases = ctx.bases.list(user.member_id)
    checks = {b.id: sync_now.latest_check(ctx, user.member_id, b.id) for b in bases}
    for last in checks.values():
        if last:
            last["checked_dt"] = datetime.fromtimestamp(last.get("checked_at") or 0, UTC)
    schema, schema_error = _schema(ctx, user.member_id) if user.is_admin else (None, "")
    broken = broken_mapping(settings, schema) if schema else []
    if schema:
        _report_broken(ctx, user.member_id, broken)
    form = state.settings_form or SettingsInput.from_settings(settings, version)
    # The organizations and warehouses the legal-entity and warehouse selects offer (cached reads of 1C).
    choices = base_choices(ctx, user.member_id, bases) if schema else {}
    return render_template(
        "settings.html" if user.is_admin else "settings_summary.html",
        lang=user.lang, st=st, frame=sign_frame(ctx, user), user=user, portal=record,
        bx24_js_url=ctx.settings.bx24_js_url_for(record.domain),
        settings=settings, version=version, bases=bases, checks=checks, schema=schema, schema_error=schema_error,
        broken=broken, broken_fields={(b.entity, b.logical) for b in broken if not b.default}, form=form, state=state,
        choices=choices, org_bases=[b for b in bases if b.id in choices and choices[b.id].organizations is not None],
        base_form=state.base_form or BaseInput(), profiles=profiles(), stage_roles=STAGE_ROLES,
        streams=SCHEDULED_STREAMS, deal_defaults=DEFAULT_DEAL_FIELDS, company_defaults=DEFAULT_COMPANY_FIELDS,
        jobs=[(name, sync_now.available(name)) for name in SYNC_JOBS], sections=SECTIONS,
        open_section=state.section or _section(ENDPOINT_SECTIONS.get(request.endpoint or "", "")),
        area_links=_area_links(),
        exchange_urls={base_id: exchange_url(ctx.settings.public_url, token)
                       for base_id, token in nodes_of(ctx).tokens(user.member_id).items()},
    ), status


@bp.route("/settings", methods=["GET", "POST"])
def page():
    if request.method == "GET":
        raise _Refused("settings opened without a frame POST", 400, lang_of(request.args.get("LANG")))
    user = _user(admin=False)
    state = PageState()
    job_id = request.form.get("job")
    if job_id and user.is_admin:
        try:
            state.job = _job_json(sync_now.job_progress(_ctx(), user.member_id, job_id), user.lang)
        except sync_now.UnknownJob:
            state.error = msg("err_job_unknown")
        state.section = "sync"
    return _render(user, state)


# -- 1C bases -----------------------------------------------------------------------------------------------------

def _base_connection(ctx: Runtime, member_id: str, inp: BaseInput) -> OneCBase:
    password = inp.password
    if not password and inp.base_id is not None:
        stored = ctx.bases.connection(member_id, inp.base_id)
        # The form check refuses this already; kept here so no path can send a password to another server.
        password = stored.password if same_server(stored.url, inp.url) else ""
    return OneCBase(url=inp.url, login=inp.login, password=password, profile=inp.profile, name=inp.name)


def address_problem(ctx: Runtime):  # noqa: ANN201 - Callable[[str], Message | None]
    """The outbound address policy as a form check: None when the URL may be fetched, else the message."""
    def check_address(url: str):  # noqa: ANN202
        try:
            ctx.egress.check_url(url)
        except UnknownHost as exc:
            return msg("err_host_unknown", host=exc.host)
        except EgressRefused as exc:
            return msg("err_address_refused", why=exc.reason)
        return None
    return check_address


@bp.post("/settings/base")
def save_base():
    """Add or edit a base (action=save), or test the typed values without saving (action=test)."""
    ctx, user = _ctx(), _user(admin=True)
    inp = BaseInput.from_form(request.form)
    stored_password, stored_url = False, None
    if inp.base_id is not None:
        try:
            record = ctx.bases.get(user.member_id, inp.base_id)
        except BaseNotFound:
            return _render(user, PageState(error=msg("err_base_gone")), 404)
        stored_password, stored_url = record.has_password, record.url
    errors = validate_base(inp, has_stored_password=stored_password, address=address_problem(ctx),
                           stored_url=stored_url)
    if errors:
        return _render(user, PageState(base_form=inp, base_errors=errors, error=msg("err_form")), 422)
    if request.form.get("action") == "test":
        connection = _base_connection(ctx, user.member_id, inp)
        try:
            profile = ctx.profiles.load(connection.profile)
        except ProfileError:
            profile = None  # the check names the unknown profile itself
        report = check(connection, profile=profile, egress=ctx.egress).to_dict()
        return _render(user, PageState(base_form=inp, test_report=report, test_base_name=inp.name))
    saved = ctx.bases.save(user.member_id, name=inp.name, url=inp.url, login=inp.login,
                           password=inp.password or None, profile=inp.profile,
                           legal_entity=inp.legal_entity or None, legal_entity_inn=inp.legal_entity_inn or None,
                           enabled=inp.enabled, base_id=inp.base_id)
    forget_choices(ctx, user.member_id, saved.id)  # another address or login may offer other organizations
    log.info("portal %s: 1C base %s (%s) saved by user %s", user.member_id, saved.id, saved.url, user.user_id)
    return _render(user, PageState(notice=msg("notice_base_saved", name=saved.name)))


def _base_id() -> int:
    raw = ascii_id(request.form.get("base_id"))
    return int(raw) if raw else -1


@bp.post("/settings/base/edit")
def edit_base():
    ctx, user = _ctx(), _user(admin=True)
    try:
        record = ctx.bases.get(user.member_id, _base_id())
    except BaseNotFound:
        return _render(user, PageState(error=msg("err_base_gone")), 404)
    return _render(user, PageState(base_form=BaseInput.from_record(record)))


@bp.post("/settings/base/test")
def test_base():
    """Test connection of a stored base: the connector's schema check, its report kept for the page."""
    ctx, user = _ctx(), _user(admin=True)
    try:
        record = ctx.bases.get(user.member_id, _base_id())
    except BaseNotFound:
        return _render(user, PageState(error=msg("err_base_gone")), 404)
    report = sync_now.check_base(ctx, user.member_id, record.id)
    return _render(user, PageState(test_report=report, test_base_name=record.name))


@bp.post("/settings/base/delete")
def delete_base():
    ctx, user = _ctx(), _user(admin=True)
    version = int(request.form.get("version") or 0)
    try:
        record = ctx.bases.get(user.member_id, _base_id())
        if request.form.get("confirm") != "1":
            return _render(user, PageState(error=msg("err_delete_confirm", name=record.name)), 422)
        ctx.config_transfer.remove_base(user.member_id, record.id, version)
    except BaseNotFound:
        return _render(user, PageState(error=msg("err_base_gone")), 404)
    except StaleSettings:
        return _render(user, PageState(error=msg("err_stale")), 409)
    log.info("portal %s: 1C base %s deleted by user %s", user.member_id, record.id, user.user_id)
    return _render(user, PageState(notice=msg("notice_base_deleted", name=record.name)))


# -- CommerceML exchange nodes (issue 16) ---------------------------------------------------------------------

def _exchange_form_errors(form: dict[str, str], bases: list[BaseRecord]) -> Errors:
    errors: Errors = {}
    if not form["name"]:
        errors["exchange_name"] = msg("err_required")
    elif len(form["name"]) > 128:
        errors["exchange_name"] = msg("err_too_long", limit=128)
    elif any(b.name == form["name"] for b in bases):
        errors["exchange_name"] = msg("err_name_taken")
    if form["legal_entity_inn"] and not ru_inn.is_valid(form["legal_entity_inn"]):
        errors["exchange_inn"] = msg("err_bad_inn")
    return errors


@bp.post("/settings/exchange-node")
def add_exchange_node():
    """A new 1C base on the CommerceML route: the page shows its address, login and password once."""
    ctx, user = _ctx(), _user(admin=True)
    form = {key: (request.form.get(key) or "").strip() for key in ("name", "legal_entity", "legal_entity_inn")}
    errors = _exchange_form_errors(form, ctx.bases.list(user.member_id))
    if errors:
        return _render(user, PageState(exchange_form=form, exchange_errors=errors, error=msg("err_form")), 422)
    credentials = nodes_of(ctx).create(user.member_id, name=form["name"], legal_entity=form["legal_entity"] or None,
                                       legal_entity_inn=form["legal_entity_inn"] or None)
    log.info("portal %s: CommerceML exchange node for base %s created by user %s", user.member_id,
             credentials.base_id, user.user_id)
    return _render(user, PageState(notice=msg("exchange_created", name=form["name"]),
                                   exchange_credentials=credentials))


@bp.post("/settings/exchange-node/regenerate")
def regenerate_exchange_node():
    """A new login and password for a node; the URL stays, the old pair and its sessions stop working."""
    ctx, user = _ctx(), _user(admin=True)
    try:
        record = ctx.bases.get(user.member_id, _base_id())
        credentials = nodes_of(ctx).regenerate(user.member_id, record.id)
    except BaseNotFound:
        return _render(user, PageState(error=msg("err_base_gone")), 404)
    log.info("portal %s: CommerceML exchange node of base %s given new credentials by user %s", user.member_id,
             record.id, user.user_id)
    return _render(user, PageState(notice=msg("exchange_regenerated", name=record.name),
                                   exchange_credentials=credentials))


# -- mapping, stages, legal entities, schedules --------------------------------------------------------------------

@bp.post("/settings/save")
def save_settings():
    ctx, user = _ctx(), _user(admin=True)
    inp = SettingsInput.from_form(request.form)
    current, version = ctx.portal_settings.load(user.member_id)
    schema, schema_error = _schema(ctx, user.member_id)
    if schema is None:
        return _render(user, PageState(settings_form=inp, error=msg("err_portal", code=schema_error)), 503)
    bases = ctx.bases.list(user.member_id)
    new, errors = validate_settings(inp, current, schema, bases, base_choices(ctx, user.member_id, bases))
    if new is None:
        return _render(user, PageState(settings_form=inp, settings_errors=errors, error=msg("err_form")), 422)
    try:
        ctx.portal_settings.save(user.member_id, new, inp.version)
    except StaleSettings:
        return _render(user, PageState(settings_form=inp, error=msg("err_stale")), 409)
    log.info("portal %s: settings saved by user %s", user.member_id, user.user_id)
    return _render(user, PageState(notice=msg("notice_settings_saved")))


@bp.post("/settings/fields/create")
def create_fields():
    """Create the app's own deal and company fields the portal lacks (the default mapping)."""
    from b24app.sync.to_bitrix.user_fields import ensure_user_fields

    ctx, user = _ctx(), _user(admin=True)
    try:
        created = ensure_user_fields(ctx.bitrix(user.member_id, timeout=15),
                                     ctx.portal_settings.get(user.member_id))
    except (BitrixError, RuntimeError) as exc:
        return _render(user, PageState(error=msg("err_fields_create", why=str(exc))), 502)
    finally:
        forget_schema(ctx, user.member_id)
    return _render(user, PageState(notice=msg("notice_fields_created", count=len(created))))


@bp.post("/settings/legal-field/create")
def create_legal_field():
    """Create the deal list field "Seller legal entity" with one value per legal entity of the bases, select it
    and map each value to its base (crm.deal.userfield.add, USER_TYPE_ID enumeration with LIST:
    api-reference/crm/deals/user-defined-fields/crm-deal-userfield-add.md)."""

    ctx, user = _ctx(), _user(admin=True)
    bases = ctx.bases.list(user.member_id)
    names = list(dict.fromkeys(b.legal_entity or b.name for b in bases))
    client = ctx.bitrix(user.member_id, timeout=15)
    label = {"ru": st("legal_field_label", "ru"), "en": st("legal_field_label", "en")}
    try:
        client.call("crm.deal.userfield.add", {"fields": {
            "FIELD_NAME": LEGAL_ENTITY_FIELD.removeprefix("UF_CRM_"), "USER_TYPE_ID": "enumeration",
            "XML_ID": "b24_1c_seller", "EDIT_FORM_LABEL": label, "LIST_COLUMN_LABEL": label,
            "LIST_FILTER_LABEL": label, "SHOW_FILTER": "Y", "SORT": 500, "SETTINGS": {"DISPLAY": "LIST"},
            "LIST": [{"VALUE": name, "SORT": 10 * (n + 1), "XML_ID": f"b24_1c_le_{n + 1}"}
                     for n, name in enumerate(names)]}})
    except BitrixError as exc:
        if "already exists" not in str(exc.description or exc):
            return _render(user, PageState(error=msg("err_fields_create", why=str(exc))), 502)
    forget_schema(ctx, user.member_id)
    schema, schema_error = _schema(ctx, user.member_id)
    described = schema.deal_fields.get(LEGAL_ENTITY_FIELD) if schema else None
    settings, version = ctx.portal_settings.load(user.member_id)
    by_name = {(b.legal_entity or b.name): b.id for b in bases}
    mapped = {item["ID"]: by_name[item["VALUE"]] for item in (described.items if described else [])
              if item["VALUE"] in by_name}
    try:
        ctx.portal_settings.save(user.member_id, replace(settings, legal_entity_field=LEGAL_ENTITY_FIELD,
                                                         legal_entity_bases=mapped), version)
    except StaleSettings:
        return _render(user, PageState(error=msg("err_stale")), 409)
    return _render(user, PageState(notice=msg("notice_legal_field", field=LEGAL_ENTITY_FIELD)))


# -- sync now -------------------------------------------------------------------------------------------------

@bp.post("/settings/sync")
def sync():
    ctx, user = _ctx(), _user(admin=True)
    name = request.form.get("job") or ""
    raw_base = request.form.get("base_id") or ""
    try:
        job_id = sync_now.enqueue(ctx, user.member_id, name, int(raw_base) if ascii_id(raw_base) else None)
        state = PageState(job=_job_json(sync_now.job_progress(ctx, user.member_id, job_id), user.lang),
                          section="sync")
    except sync_now.UnknownJob:
        return _render(user, PageState(error=msg("err_job_unavailable", job=name), section="sync"), 422)
    log.info("portal %s: sync now %s (%s) by user %s", user.member_id, name, job_id, user.user_id)
    return _render(user, state)


@bp.post("/settings/sync/status")
def sync_status():
    """The progress of a sync-now job as JSON, for the page's poller."""
    ctx, user = _ctx(), _user(admin=True)
    try:
        return jsonify(_job_json(sync_now.job_progress(ctx, user.member_id, request.form.get("job") or ""), user.lang))
    except sync_now.UnknownJob:
        return jsonify({"error": "unknown job"}), 404


# -- export / import ------------------------------------------------------------------------------------------

@bp.post("/settings/export")
def export():
    ctx, user = _ctx(), _user(admin=True)
    body = json.dumps(ctx.config_transfer.export_config(user.member_id), ensure_ascii=False, indent=2)
    return Response(body, content_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="b24-1c-settings.json"'})


@bp.post("/settings/import")
def import_preview():
    """Read the uploaded file and show what it will do, asking for the passwords of new bases."""
    ctx, user = _ctx(), _user(admin=True)
    upload = request.files.get("file")
    text = upload.read().decode("utf-8-sig", errors="replace") if upload else request.form.get("config", "")
    try:
        plan = _checked_plan(ctx, user, text)
    except (ValueError, SettingsFileError) as exc:
        return _render(user, PageState(error=msg("err_import", why=str(exc))), 422)
    return _render(user, PageState(import_plan=plan, import_text=text))


@bp.post("/settings/import/confirm")
def import_confirm():
    ctx, user = _ctx(), _user(admin=True)
    text = request.form.get("config", "")
    try:
        plan = _checked_plan(ctx, user, text)
        passwords = {b.position: request.form.get(f"password__{b.position}", "") for b in plan.bases}
        ctx.config_transfer.apply_import(user.member_id, plan, passwords, int(request.form.get("version") or 0))
    except (ValueError, SettingsFileError) as exc:
        plan = None if not text else _safe_plan(ctx, user.member_id, text)
        return _render(user, PageState(error=msg("err_import", why=str(exc)), import_plan=plan,
                                       import_text=text), 422)
    except StaleSettings:
        return _render(user, PageState(error=msg("err_stale")), 409)
    log.info("portal %s: configuration imported by user %s (%d bases)", user.member_id, user.user_id,
             len(plan.bases))
    return _render(user, PageState(notice=msg("notice_imported", count=len(plan.bases))))


def _safe_plan(ctx: Runtime, member_id: str, text: str):
    try:
        return ctx.config_transfer.plan_import(member_id, bounded_json(text))
    except (ValueError, SettingsFileError):
        return None


def _checked_plan(ctx: Runtime, user: FrameUser, text: str):
    """The import plan of `text` after the same checks the forms make (bases: address policy, profile, INN;
    settings: types and ranges), all or nothing; SettingsFileError naming every problem otherwise."""
    plan = ctx.config_transfer.plan_import(user.member_id, bounded_json(text))
    problems = []
    for base in plan.bases:
        values = base.values
        # The password is asked for on the confirm step; "-" stands in so only the other fields are judged here.
        inp = BaseInput(name=values["name"], url=values["url"], login=values["login"], password="-",
                        profile=values["profile"], legal_entity=values["legal_entity"] or "",
                        legal_entity_inn=values["legal_entity_inn"] or "", enabled=values["enabled"])
        errors = validate_base(inp, has_stored_password=True, address=address_problem(ctx), probe=None)
        problems += [f"#{base.position + 1} {values['name'][:60]}: {field_name} — {st(key, user.lang, **params)}"
                     for field_name, (key, params) in errors.items()]
    problems += _settings_problems(ctx, user, plan)
    if problems:
        raise SettingsFileError("; ".join(problems))
    return plan


def _settings_problems(ctx: Runtime, user: FrameUser, plan) -> list[str]:  # noqa: ANN001 - ImportPlan
    """The file's mapping, stages, pipelines and schedules judged by the settings form's own validator against this
    portal's real fields and pipelines. The file's bases stand in for the portal's, numbered by position + 1."""
    schema, schema_error = _schema(ctx, user.member_id)
    if schema is None:
        return [f"the portal's fields and pipelines cannot be read now ({schema_error}) to check the file; "
                "try again in a minute"]
    stand_ins = [BaseRecord(id=b.position + 1, name=b.values["name"], url=b.values["url"], login=b.values["login"],
                            profile=b.values["profile"], legal_entity=None, legal_entity_inn=None, enabled=True,
                            has_password=True) for b in plan.bases]
    maps = {name: {key: position + 1 for key, position in plan.positions.get(name, {}).items()}
            for name in BASE_MAPS}
    as_posted = SettingsInput.from_settings(replace(plan.settings, **maps, warehouses=rekey_warehouses(
        plan.warehouses, {b.position: b.position + 1 for b in plan.bases})), version=0)
    # Judged against a fresh portal's settings, not the file's own: everything the file sets is checked (the page's
    # "an unchanged stored choice is kept" must not wave an imported one through).
    _, errors = validate_settings(as_posted, PortalSettings(), schema, stand_ins)
    return [f"{field_name} — {st(key, user.lang, **params)}" for field_name, (key, params) in errors.items()]
