"""The catalog page («Каталог и остатки из 1С»), inside the settings area: per enabled 1C base, the state of the
catalog load (on/off, the last run from the journal, what is linked, the portal's inventory-management mode), the
choices (price types, the base price, warehouses, the interval), the preview of the first load with its CSV, and
"load now" with progress and the outcome in words.

Administrators only, through the door every settings-area page uses (web/admin_pages.py): every form is a POST
carrying the signed frame token. 1C's price types and warehouses are read with a short timeout and cached in Redis
(as web/settings_onec.py reads organizations); a base that cannot be read keeps its saved choices, and a saved key
the base no longer offers is shown (ticked, "not in 1C") so a save never drops it. Saving replaces the `catalog`
section and `schedules.catalog_seconds` only, under the settings version (a concurrent save is refused, 409).

The preview and the load are the "sync now" jobs `catalog_preview` and `catalog` (jobs/catalog.py); the latest job
of each per base is the one `sync_now.enqueue` remembers, so the page finds it again after a reload.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from dataclasses import asdict, dataclass, field, replace

from flask import Blueprint, Response, current_app, render_template, request

from b24app.core.catalog_settings import MAX_CHOSEN, CatalogSettings
from b24app.jobs import sync_now
from b24app.jobs.dead_letters import one_line
from b24app.onec.catalog_reads import OneCCatalog
from b24app.onec.egress import EgressRefused
from b24app.onec.errors import OneCError
from b24app.onec.odata import ODataClient, RetryPolicy
from b24app.onec.profiles import ProfileError
from b24app.runtime import Runtime
from b24app.store.bases import BaseRecord
from b24app.store.catalog_links import OFFER, PRICE_TYPE, PRODUCT, SECTION, STORE, CatalogLinks
from b24app.store.journal_query import JournalFilter, JournalLine, JournalQuery
from b24app.store.portal_settings import StaleSettings
from b24app.web.admin_pages import admin_user, answer_refusals
from b24app.web.catalog_texts import PREVIEW_COUNTS, count_text, ct, outcome_sentence
from b24app.web.frame import FrameUser, sign_frame
from b24app.web.job_progress import JobView, JobWords, job_view, latest_job, status_answer

log = logging.getLogger(__name__)
bp = Blueprint("catalog_page", __name__)
answer_refusals(bp, "catalog_refused.html", "catalog page")

CACHE_SECONDS = 300
FAILED_CACHE_SECONDS = 30  # a base that did not answer is asked again soon, not on every render
TIMEOUT = (3.0, 5.0)  # connect, read: the page waits at most this for 1C
MODE_TIMEOUT = 5.0
MIN_MINUTES, MAX_MINUTES = 1, 1440
ERROR_CHARS = 300
_KEY = re.compile(r"[0-9a-fA-F-]{36}")  # a 1C Ref_Key, as core/catalog_settings.py accepts it
PREVIEW, LOAD = "catalog_preview", "catalog"


def _ctx() -> Runtime:
    return current_app.extensions["b24app"]


@bp.app_template_global("ct")
def _ct(key: str, lang: str, **params: object) -> str:
    return ct(key, lang, **params)


# -- what 1C offers -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    key: str
    name: str
    currency: str = ""
    deleted: bool = False


@dataclass(frozen=True)
class OneCOptions:
    """One base's price types and warehouses; None: the base could not be read now (`error` says why)."""

    price_types: list[Option] | None
    warehouses: list[Option] | None
    error: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> OneCOptions:
        def options(raw: list | None) -> list[Option] | None:
            return None if raw is None else [Option(**o) for o in raw]

        return cls(options(data.get("price_types")), options(data.get("warehouses")), str(data.get("error") or ""))


def _options_key(ctx: Runtime, member_id: str, base_id: int) -> str:
    return f"{ctx.settings.queue_prefix}:catalog-page:choices:{member_id}:{base_id}"


def read_options(ctx: Runtime, member_id: str, record: BaseRecord) -> OneCOptions:
    """Ask the base now: short timeout, one attempt per query (the page must not hang on a slow 1C)."""
    try:
        profile = ctx.profiles.load(record.profile)
        client = ODataClient(ctx.bases.connection(member_id, record.id), egress=ctx.egress, timeout=TIMEOUT,
                             retry=RetryPolicy(attempts=1))
        catalog = OneCCatalog(client, profile, today=ctx.clock.now().date())
        types = [Option(t.key, t.name, t.currency, t.deleted) for t in catalog.price_types()]
        stores = [Option(w.key, w.name, "", w.deleted) for w in catalog.warehouses()]
    except (OneCError, EgressRefused, ProfileError, KeyError) as exc:
        log.info("catalog page: 1C base %s of %s not read: %s", record.id, member_id, exc)
        return OneCOptions(None, None, str(getattr(exc, "message", None) or exc)[:ERROR_CHARS])
    return OneCOptions(sorted(types, key=lambda o: o.name), sorted(stores, key=lambda o: o.name))


def onec_options(ctx: Runtime, member_id: str, record: BaseRecord) -> OneCOptions:
    """The base's options from the cache, or fresh from 1C (cached briefly even when it failed)."""
    key = _options_key(ctx, member_id, record.id)
    cached = ctx.redis.get(key)
    if cached is not None:
        return OneCOptions.from_json(json.loads(cached))
    options = read_options(ctx, member_id, record)
    ttl = CACHE_SECONDS if options.price_types is not None else FAILED_CACHE_SECONDS
    ctx.redis.set(key, json.dumps(options.to_json(), ensure_ascii=False), ex=ttl)
    return options


def inventory_mode(ctx: Runtime, member_id: str) -> bool | None:
    """Whether the portal's inventory management is on (catalog.document.mode.status answers "Y"/"N":
    api-reference/catalog/document/catalog-document-mode-status.md), cached a few minutes; None when the
    portal cannot be asked now."""
    key = f"{ctx.settings.queue_prefix}:catalog-page:mode:{member_id}"
    cached = ctx.redis.get(key)
    if cached is not None:
        return cached == b"Y"
    try:
        answer = ctx.bitrix(member_id, timeout=MODE_TIMEOUT).call("catalog.document.mode.status", {})
    except Exception as exc:  # noqa: BLE001 - the page shows "could not be asked" instead
        log.warning("inventory mode of %s unavailable for the catalog page: %s", member_id, exc)
        return None
    on = str(answer.result) == "Y"
    ctx.redis.set(key, "Y" if on else "N", ex=CACHE_SECONDS)
    return on


# -- the choices as shown and as posted -----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    key: str
    name: str
    checked: bool
    currency: str = ""
    missing: bool = False  # saved, but the base does not offer it (any more)
    deleted: bool = False


def choice_rows(options: list[Option] | None, saved: tuple[str, ...] | list[str]) -> list[Choice]:
    """The checkboxes of one list: the base's live options, a deleted one only while it is saved, and every saved
    key the base does not offer (so posting the form back keeps it)."""
    chosen = set(saved)
    rows = [Choice(o.key, o.name, o.key in chosen, o.currency, deleted=o.deleted)
            for o in options or () if not o.deleted or o.key in chosen]
    offered = {r.key for r in rows}
    rows += [Choice(k, k, True, missing=True) for k in saved if k not in offered]
    return rows


def keep_order(saved: tuple[str, ...], posted: list[str]) -> tuple[str, ...]:
    """The posted keys, the saved ones first in their saved order: an unchanged form saves an identical list."""
    wanted = dict.fromkeys(posted)
    return tuple([k for k in saved if k in wanted] + [k for k in wanted if k not in saved])


def parse_catalog(form, current: CatalogSettings, bases: list[BaseRecord],  # noqa: ANN001 - a werkzeug MultiDict
                  ) -> tuple[CatalogSettings, list[tuple[str, dict]]]:
    """The posted choices over the saved ones: a base whose choices the form carried (`shown_<id>`) gets what was
    ticked; every other base (1C unreadable, not enabled) keeps its saved entries untouched."""
    errors: list[tuple[str, dict]] = []
    price_types, warehouses = dict(current.price_types), dict(current.warehouses)
    base_price = dict(current.base_price_type)
    for base in bases:
        bid = str(base.id)
        if form.get(f"shown_{bid}") != "1":
            continue
        for name, target in (("price_type", price_types), ("warehouse", warehouses)):
            posted = [v.strip() for v in form.getlist(f"{name}_{bid}")]
            bad = [v for v in posted if not _is_key(v)]
            if bad or len(posted) > MAX_CHOSEN:
                errors.append(("err_choice", {"value": (bad[0] if bad else name)[:60]}))
                continue
            kept = keep_order(current.price_types_of(base.id) if name == "price_type"
                              else current.warehouses_of(base.id), posted)
            if kept:
                target[bid] = kept
            else:
                target.pop(bid, None)  # none ticked: all (no entry), as the settings schema reads it
        chosen_base = form.get(f"base_price_{bid}", "").strip()
        if chosen_base and not _is_key(chosen_base):
            errors.append(("err_choice", {"value": chosen_base[:60]}))
        elif chosen_base:
            base_price[bid] = chosen_base
        else:
            base_price.pop(bid, None)
    return replace(current, price_types=price_types, warehouses=warehouses, base_price_type=base_price), errors


def _is_key(value: str) -> bool:
    return bool(_KEY.fullmatch(value))


def parse_minutes(raw: str, stored_seconds: int) -> int | None:
    """The interval in seconds; an unchanged field keeps the stored seconds (90 s shown as 1 min stays 90 s)."""
    raw = raw.strip()
    if raw == shown_minutes(stored_seconds):
        return stored_seconds
    if raw.isascii() and raw.isdigit() and MIN_MINUTES <= int(raw) <= MAX_MINUTES:
        return int(raw) * 60
    return None


def shown_minutes(seconds: int) -> str:
    return str(max(1, seconds // 60))


# -- the jobs of a base -----------------------------------------------------------------------------------------


# The latest job of each kind is found again through sync_now's memory; its view is web/job_progress.py's.
JOB_WORDS = JobWords(subject="catalog", preview=PREVIEW, load=LOAD, text=ct, outcome=outcome_sentence)


def preview_of(job: JobView | None, base_id: int) -> dict | None:
    if job is None or job.state != "finished" or not job.result:
        return None
    return (job.result.get("bases") or {}).get(str(base_id))


# -- one base on the page ---------------------------------------------------------------------------------------


@dataclass
class BaseView:
    record: BaseRecord
    options: OneCOptions
    price_types: list[Choice]
    warehouses: list[Choice]
    base_price: str
    last_run: JournalLine | None
    linked: dict[str, int]
    preview_job: JobView | None
    load_job: JobView | None
    preview: dict | None
    inventory: bool | None

    @property
    def preview_stale(self) -> bool:
        """A catalog run began after the preview ended: its figures describe the catalog as it was."""
        ended = self.preview_job.ended_at if self.preview_job else None
        return bool(ended and self.last_run and self.last_run.started_at > ended)


def _base_view(ctx: Runtime, member_id: str, record: BaseRecord, settings: CatalogSettings, lang: str,
               mode: bool | None) -> BaseView:
    options = onec_options(ctx, member_id, record)
    links = CatalogLinks(ctx.db)
    last = JournalQuery(ctx.db).page(member_id, JournalFilter(kind="catalog", base_id=record.id)).lines
    preview_job = latest_job(ctx, member_id, PREVIEW, record.id, lang, JOB_WORDS)
    preview = preview_of(preview_job, record.id)
    return BaseView(
        record=record, options=options,
        price_types=choice_rows(options.price_types, settings.price_types_of(record.id)),
        warehouses=choice_rows(options.warehouses, settings.warehouses_of(record.id)),
        base_price=settings.base_price_type.get(str(record.id), ""),
        last_run=last[0] if last else None,
        linked={kind: links.count(member_id, record.id, kind) for kind in (PRODUCT, OFFER, SECTION, STORE,
                                                                             PRICE_TYPE)},
        preview_job=preview_job, load_job=latest_job(ctx, member_id, LOAD, record.id, lang, JOB_WORDS),
        preview=preview,
        # The portal's answer now wins; the last preview's reading when the portal cannot be asked.
        inventory=mode if mode is not None else (bool(preview["inventory"]) if preview else None))


@dataclass
class Shown:
    notices: list[tuple[str, dict]] = field(default_factory=list)
    errors: list[tuple[str, dict]] = field(default_factory=list)
    minutes: str | None = None  # what was typed, shown again after an error


def _render(user: FrameUser, shown: Shown | None = None, status: int = 200):
    ctx = _ctx()
    shown = shown or Shown()
    record = ctx.portals.require(user.member_id)
    settings, version = ctx.portal_settings.load(user.member_id)
    bases = [b for b in ctx.bases.list(user.member_id) if b.enabled and b.is_odata]
    mode = inventory_mode(ctx, user.member_id) if bases else None
    views = [_base_view(ctx, user.member_id, b, settings.catalog, user.lang, mode) for b in bases]
    return render_template(
        "catalog.html", lang=user.lang, frame=sign_frame(ctx, user), shown=shown, version=version,
        enabled=settings.catalog.enabled, views=views,
        minutes=shown.minutes if shown.minutes is not None else shown_minutes(settings.schedules.catalog_seconds),
        min_minutes=MIN_MINUTES, max_minutes=MAX_MINUTES, counts=PREVIEW_COUNTS, n=count_text,
        error_text=lambda text: _error_text(text), bx24_js_url=ctx.settings.bx24_js_url_for(record.domain),
    ), status


def _error_text(text: str | None) -> str:
    line = one_line(text or "")
    return line if len(line) <= ERROR_CHARS else line[:ERROR_CHARS - 1] + "…"


def _base_id(user: FrameUser) -> int | None:
    raw = request.form.get("base_id", "")
    if not (raw.isascii() and raw.isdigit()):
        return None
    base_id = int(raw)
    return base_id if any(b.id == base_id and b.enabled and b.is_odata
                          for b in _ctx().bases.list(user.member_id)) else None


def _posted_version() -> int:
    raw = request.form.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() else -1


# -- routes -----------------------------------------------------------------------------------------------------


@bp.route("/settings/catalog", methods=["GET", "POST"])
def page():
    return _render(admin_user(_ctx(), request))


@bp.post("/settings/catalog/save")
def save():
    ctx, user = _ctx(), admin_user(_ctx(), request)
    settings, _ = ctx.portal_settings.load(user.member_id)
    catalog, errors = parse_catalog(request.form, settings.catalog, ctx.bases.list(user.member_id))
    typed = request.form.get("minutes", "")
    seconds = parse_minutes(typed, settings.schedules.catalog_seconds)
    if seconds is None:
        errors.append(("err_minutes", {"low": MIN_MINUTES, "high": MAX_MINUTES}))
    if errors:
        return _render(user, Shown(errors=errors, minutes=typed[:10]), 422)
    updated = replace(settings, catalog=catalog, schedules=replace(settings.schedules, catalog_seconds=seconds))
    try:
        ctx.portal_settings.save(user.member_id, updated, _posted_version())
    except StaleSettings:
        return _render(user, Shown(errors=[("err_stale", {})]), 409)
    log.info("portal %s: catalog settings saved by user %s", user.member_id, user.user_id)
    return _render(user, Shown(notices=[("saved", {})]))


def _set_enabled(ctx: Runtime, user: FrameUser, enabled: bool) -> None:
    """Turn the load on or off, changing nothing else (StaleSettings when someone saved in between)."""
    settings, version = ctx.portal_settings.load(user.member_id)
    if settings.catalog.enabled != enabled:
        ctx.portal_settings.save(user.member_id, replace(settings, catalog=replace(settings.catalog,
                                                                                     enabled=enabled)), version)
        log.info("portal %s: catalog load turned %s by user %s", user.member_id, "on" if enabled else "off",
                 user.user_id)


@bp.post("/settings/catalog/preview")
def preview():
    ctx, user = _ctx(), admin_user(_ctx(), request)
    base_id = _base_id(user)
    if base_id is None:
        return _render(user, Shown(errors=[("err_base", {})]), 422)
    job_id = sync_now.enqueue(ctx, user.member_id, PREVIEW, base_id)
    log.info("portal %s: catalog preview of base %s (%s) by user %s", user.member_id, base_id, job_id,
             user.user_id)
    return _render(user)


@bp.post("/settings/catalog/load")
def load():
    ctx, user = _ctx(), admin_user(_ctx(), request)
    base_id = _base_id(user)
    if base_id is None:
        return _render(user, Shown(errors=[("err_base", {})]), 422)
    try:
        _set_enabled(ctx, user, True)
    except StaleSettings:
        return _render(user, Shown(errors=[("err_stale", {})]), 409)
    job_id = sync_now.enqueue(ctx, user.member_id, LOAD, base_id)
    log.info("portal %s: catalog load of base %s (%s) by user %s", user.member_id, base_id, job_id, user.user_id)
    return _render(user)


@bp.post("/settings/catalog/disable")
def disable():
    ctx, user = _ctx(), admin_user(_ctx(), request)
    try:
        _set_enabled(ctx, user, False)
    except StaleSettings:
        return _render(user, Shown(errors=[("err_stale", {})]), 409)
    return _render(user, Shown(notices=[("disabled_notice", {})]))


@bp.post("/settings/catalog/status")
def status():
    """A catalog job's progress as JSON for the page's poller (only the asking portal's jobs)."""
    return status_answer(_ctx(), JOB_WORDS)


@bp.post("/settings/catalog/preview.csv")
def preview_csv():
    """The whole preview of a finished `catalog_preview` job of the asking portal, as a CSV Excel opens in a
    Russian locale (UTF-8 with a BOM, `;` between fields)."""
    ctx, user = _ctx(), admin_user(_ctx(), request)
    try:
        job = job_view(ctx, user.member_id, request.form.get("job") or "", user.lang, JOB_WORDS)
    except sync_now.UnknownJob:
        return _render(user, Shown(errors=[("err_job", {})]), 404)
    finished = job.name == PREVIEW and job.state == "finished"
    previews = ((job.result or {}).get("bases") or {}) if finished else {}
    if not previews:
        return _render(user, Shown(errors=[("err_job", {})]), 404)
    base_id, data = next(iter(previews.items()))
    body = "\ufeff" + preview_csv_text(data, user.lang)
    return Response(body.encode("utf-8"), content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="catalog-preview-base-{int(base_id)}.csv"'})


def preview_csv_text(data: dict, lang: str) -> str:
    """Counts, units, price types, warehouses and the repeated articles of one preview, section by section."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    yes, no = ct("csv_yes", lang), ct("csv_no", lang)
    w.writerow([ct("preview_title", lang), data.get("base_name") or ""])
    w.writerow([])
    w.writerow([ct("csv_counts", lang)])
    w.writerow([ct("col_what", lang), ct("col_count", lang)])
    for key, text in PREVIEW_COUNTS:
        w.writerow([ct(text, lang), int(data.get(key) or 0)])
    w.writerow([ct("inventory", lang), ct("inventory_on" if data.get("inventory") else "inventory_off", lang)])
    w.writerow([])
    w.writerow([ct("csv_units", lang)])
    w.writerow(["ОКЕИ", ct("col_what", lang), ct("unit_exists", lang)])
    for unit in data.get("units") or ():
        w.writerow([unit.get("okei"), unit.get("name"), yes if unit.get("exists") else no])
    w.writerow([])
    w.writerow([ct("csv_price_types", lang)])
    for t in data.get("price_types") or ():
        w.writerow([t.get("name"), t.get("currency"), yes if t.get("chosen") else no,
                    ct("base_mark", lang) if t.get("base") else ""])
    w.writerow([])
    w.writerow([ct("csv_warehouses", lang)])
    for s in data.get("warehouses") or ():
        w.writerow([s.get("name"), yes if s.get("chosen") else no])
    w.writerow([])
    w.writerow([ct("csv_duplicates", lang), int(data.get("duplicate_count") or 0)])
    w.writerow([ct("col_article", lang), ct("col_onec", lang), ct("col_portal", lang)])
    for d in data.get("duplicates") or ():
        w.writerow([d.get("article"), " | ".join(d.get("onec") or ()), " | ".join(d.get("portal") or ())])
    return out.getvalue()
