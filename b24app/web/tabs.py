"""Deal and company card tabs: what 1C knows about this deal or company, rendered from the tab cache.

The portal POSTs the placement into an iframe (api-reference/widgets/crm/detail-tab.md): DOMAIN, member_id,
AUTH_ID, LANG, PLACEMENT and PLACEMENT_OPTIONS = {"ID": "<entity id>"}. A request is served only when
`verify_frame` accepts it (installed active portal, matching DOMAIN, AUTH_ID verified at the stored endpoint),
PLACEMENT is the one bound for this URL, and the entity ID exists on that portal (read with the app's own
token, so an ID of another portal's deal is "not found" here). Anything else is 403/400 with a logged reason.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime

from flask import Blueprint, current_app, g, jsonify, render_template, request
from markupsafe import Markup, escape

from b24app.bitrix.errors import BitrixError
from b24app.bitrix.installation import InstallRefused
from b24app.core.model import from_json, to_json
from b24app.core.portal_settings import PortalSettings
from b24app.onec.catalog_reads import OneCCatalog
from b24app.onec.profiles import ProfileError, ProfileLoader
from b24app.onec.readers import OneCDocuments
from b24app.runtime import Runtime
from b24app.store.bases import BaseRecord
from b24app.store.catalog_links import OFFER, PRODUCT, CatalogLinks
from b24app.store.links import Link
from b24app.sync import cards, linking
from b24app.sync.to_bitrix.deal_state import NAMED_LINK
from b24app.web.frame import FrameUser, load_frame, sign_frame, verify_frame_fetching
from b24app.web.i18n import t
from b24app.web.limits import ascii_id, for_log
from b24app.web.params import lang_of, portal_param
from b24app.web.tab_actions import order_outcome, refresh_outcome
from b24app.web.tab_cache import TabCache

log = logging.getLogger(__name__)
bp = Blueprint("tabs", __name__)

PLACEMENTS = {"deal": "CRM_DEAL_DETAIL_TAB", "company": "CRM_COMPANY_DETAIL_TAB"}
ENTITY_CACHE_SECONDS = 60
# Settings, 1C bases and stored links change rarely; a copy this old in Redis spares the warm tab three database
# reads (six queries). The portal's own row is never taken from it: an uninstalled portal is refused at once.
SETUP_CACHE_SECONDS = 5
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@bp.app_template_global()
def format_onec_date(value: datetime | None, lang: str) -> str:
    """A 1C document date (the base's local time, no zone) as the portal's language writes a date."""
    if value is None:
        return "—"
    if lang == "ru":
        return value.strftime("%d.%m.%Y")
    return f"{value.day} {MONTHS_EN[value.month - 1]} {value.year}"


@bp.app_template_global()
def onec_link(number: str, link: str | None, lang: str) -> Markup:
    """A 1C document's number, linked to open it in the 1C client when the base's address gives a link.

    A Python global rather than a Jinja macro: it runs once per table row, and a macro call costs several times
    as much as the link itself."""
    if not link:
        return escape(number)
    return Markup(f'<a class="onec" href="{escape(link)}" target="_blank" rel="noopener" '
                  f'title="{escape(t("tab_open_in_1c", lang))}">{escape(number)}</a>')


@bp.app_template_global()
def as_of_time(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None


def _sets(profiles: ProfileLoader, profile_name: str, logicals: tuple[str, ...]) -> set[str]:
    try:
        profile = profiles.load(profile_name)
    except ProfileError:
        return set()
    return {profile.objects[x].entity_set for x in logicals if x in profile.objects}


def _refused(exc: InstallRefused, lang: str):
    log.warning("tab request from %s refused: %s", request.remote_addr, for_log(exc.reason, 300))
    return render_template("refused.html", lang=lang), exc.status


def _entity_key(ctx: Runtime, what: str, member_id: str, kind: str, entity_id: str) -> str:
    """Key of the entity's facts (`what` "entity") or of its stored links ("links")."""
    return ctx.keys.tab_entity(what, member_id, kind, entity_id)


def _setup_key(ctx: Runtime, member_id: str) -> str:
    return ctx.keys.tab_setup(member_id)


def _prefetch(ctx: Runtime, kind: str) -> Callable[[str, dict], list[str]]:
    """For verify_frame_fetching: the keys of the tab's own short caches, once the entity ID looks like one."""
    def keys(member_id: str, options: dict) -> list[str]:
        entity_id = ascii_id(options.get("ID"))
        if entity_id is None:
            return []
        return [_entity_key(ctx, "entity", member_id, kind, entity_id),
                _entity_key(ctx, "links", member_id, kind, entity_id), _setup_key(ctx, member_id),
                _entity_key(ctx, "catalog", member_id, kind, entity_id)]
    return keys


def _setup(ctx: Runtime, member_id: str, raw: bytes | None, writes: dict[str, tuple[str, int]]):
    """The portal's settings and 1C bases: from the short Redis copy when there is one, else the database."""
    if raw is not None:
        doc = json.loads(raw)
        return PortalSettings.from_json(doc["settings"]), [BaseRecord(**b) for b in doc["bases"]]
    settings, bases = ctx.portal_settings.get(member_id), ctx.bases.list(member_id)
    writes[_setup_key(ctx, member_id)] = (
        json.dumps({"settings": settings.to_json(), "bases": [asdict(b) for b in bases]}, ensure_ascii=False),
        SETUP_CACHE_SECONDS)
    return settings, bases


def _links(ctx: Runtime, member_id: str, kind: str, entity_id: str, raw: bytes | None,
           writes: dict[str, tuple[str, int]]) -> list[Link]:
    """The links the app stored for this entity: from the short Redis copy when there is one, else the database.
    A deal's own orders come first, then the orders it names that the sync follows (order_links.py), so the tab
    shows the order the payments and shipments streams count."""
    if raw is not None:
        return [Link(**x) for x in json.loads(raw)]
    links = ctx.links.for_entity(member_id, kind, entity_id)
    if kind == "deal":
        links += ctx.links.for_entity(member_id, NAMED_LINK, entity_id)
    writes[_entity_key(ctx, "links", member_id, kind, entity_id)] = (
        json.dumps([asdict(x) for x in links], ensure_ascii=False), SETUP_CACHE_SECONDS)
    return links


def _entity_facts(ctx: Runtime, user: FrameUser, kind: str, entity_id: str, settings: PortalSettings,
                  raw: bytes | None, writes: dict[str, tuple[str, int]]):
    """The deal/company as this portal knows it, cached briefly; InstallRefused(403) if it is not there."""
    cls = linking.DealFacts if kind == "deal" else linking.CompanyFacts
    if raw is not None:
        return from_json(cls, json.loads(raw))
    client = ctx.bitrix(user.member_id, timeout=settings.tab_timeout_seconds)
    try:
        facts = (linking.read_deal(client, entity_id, settings) if kind == "deal"
                 else linking.read_company(client, entity_id))
    except linking.EntityNotFound as exc:
        raise InstallRefused(f"{kind} {entity_id} is not an entity of portal {user.member_id}: {exc}") from None
    except BitrixError as exc:
        raise InstallRefused(f"cannot read {kind} {entity_id} from the portal ({exc.code})", status=503) from None
    writes[_entity_key(ctx, "entity", user.member_id, kind, entity_id)] = (
        json.dumps(to_json(facts), ensure_ascii=False), ENTITY_CACHE_SECONDS)
    return facts


def _write(ctx: Runtime, writes: dict[str, tuple[str, int]]) -> None:
    """Store what a request had to read afresh (key -> (JSON, seconds to keep)), in one round trip."""
    if writes:
        pipe = ctx.redis.pipeline(transaction=False)
        for key, (value, seconds) in writes.items():
            pipe.set(key, value, ex=seconds)
        pipe.execute()


def _reader(ctx: Runtime, member_id: str, base: BaseRecord, timeout: float) -> OneCDocuments:
    connection = ctx.bases.connection(member_id, base.id)
    return OneCDocuments.for_base(connection, timeout=timeout, profile=ctx.profiles.load(connection.profile),
                                  egress=ctx.egress)


@bp.after_request
def _server_timing(response):
    """How long the app spent on the tab (W3C Server Timing header: shown by dev tools, read by the bench)."""
    started = g.get("tab_started")
    if started is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.monotonic() - started) * 1000:.1f}"
    return response


@bp.post("/tabs/<kind>")
def card_tab(kind: str):
    started = g.tab_started = time.monotonic()
    ctx: Runtime = current_app.extensions["b24app"]
    lang = lang_of(portal_param(request, "LANG"))
    placement = PLACEMENTS.get(kind)
    writes: dict[str, tuple[str, int]] = {}
    try:
        if placement is None:
            raise InstallRefused(f"no card tab {kind!r}", status=404)
        if portal_param(request, "PLACEMENT") != placement:
            raise InstallRefused(f"tab {kind!r} opened for placement {portal_param(request, 'PLACEMENT')!r}",
                                 status=403)
        # One DB read (the portal, checked fresh every time) and one Redis round trip on the warm path.
        user, cached = verify_frame_fetching(ctx, request, _prefetch(ctx, kind), entity_kind=kind)
        entity_id = ascii_id(user.entity_id)
        if entity_id is None:
            raise InstallRefused(f"PLACEMENT_OPTIONS carries no {kind} ID", status=400)
        facts_raw, links_raw, setup_raw, catalog_raw = cached
        settings, bases = _setup(ctx, user.member_id, setup_raw, writes)
        facts = _entity_facts(ctx, user, kind, entity_id, settings, facts_raw, writes)
        stored = _links(ctx, user.member_id, kind, entity_id, links_raw, writes)
        catalog = _catalog_items(ctx, user.member_id, entity_id, facts, catalog_raw, writes) \
            if kind == "deal" else {}
    except InstallRefused as exc:
        _write(ctx, writes)
        return _refused(exc, lang)
    _write(ctx, writes)
    domain = portal_param(request, "DOMAIN").lower()  # verify_frame found it equal to the stored one
    timeout = settings.tab_timeout_seconds
    deadline = started + timeout
    common = dict(lang=lang, kind=kind, bx24_js_url=ctx.settings.bx24_js_url_for(domain), bases=bases,
                  settings=settings, facts=facts,
                  frame_token=sign_frame(ctx, user) if kind == "deal" else None)
    if not any(b.enabled and b.is_odata for b in bases):
        return render_template(f"tab_{kind}.html", state="no_base", sections=[], **common)
    by_id = {b.id: b for b in bases}
    cache = TabCache(ctx.redis, ctx.keys)
    jobs, meta = {}, {}
    if kind == "deal":
        order_sets = {b.id: _sets(ctx.profiles, b.profile, ("customer_order", "customer_invoice")) for b in bases}
        targets = linking.deal_targets(bases, settings, facts, stored, order_sets)
        for target in targets:
            base = by_id[target.base_id]
            key = cache.key(user.member_id, kind, entity_id, base.id) + f":{target.via}:{target.ref or target.number}"
            jobs[key] = functools.partial(_deal_job, ctx, user.member_id, base, target, timeout)
            meta[key] = base
        section_cls = cards.DealSection
    else:
        cp_sets = {b.id: _sets(ctx.profiles, b.profile, ("counterparty",)) for b in bases}
        targets = linking.company_targets(bases, facts, stored, cp_sets)
        for target in targets:
            base = by_id[target.base_id]
            key = (cache.key(user.member_id, kind, entity_id, base.id)
                   + f":{target.via}:{','.join(target.refs) or target.inn + '/' + target.kpp}")
            jobs[key] = functools.partial(_company_job, ctx, user.member_id, base, target, timeout)
            meta[key] = base
        section_cls = cards.CompanySection
    stock_jobs = _stock_jobs(ctx, user.member_id, entity_id, facts, by_id, settings, cache, timeout, catalog) \
        if kind == "deal" else {}
    if not jobs and not stock_jobs:
        return render_template(f"tab_{kind}.html", state="no_link", sections=[], stock=[], **common)
    outcomes = cache.load({**jobs, **{key: job for key, (_, job) in stock_jobs.items()}}, deadline)
    stock = [{"base": stock_jobs[key][0], "error": o.error,
              "data": from_json(cards.StockSection, o.entry.data) if o.entry is not None else None}
             for key, o in outcomes.items() if key in stock_jobs]
    sections = []
    for key, outcome in outcomes.items():
        if key in stock_jobs:
            continue
        data = from_json(section_cls, outcome.entry.data) if outcome.entry is not None else None
        sections.append({"base": meta[key], "data": data, "as_of": outcome.entry.as_of if outcome.entry else None,
                         "fresh": outcome.fresh, "error": outcome.error})
    overview = cards.debt_overview(s["data"] for s in sections) if kind == "company" else None
    return render_template(f"tab_{kind}.html", state="ok" if sections else "stock_only", sections=sections,
                           debt_overview=overview, stock=stock, **common)


def _catalog_items(ctx: Runtime, member_id: str, deal_id: str, facts: linking.DealFacts, raw: bytes | None,
                   writes: dict[str, tuple[str, int]]) -> dict[int, tuple[int, str]]:
    """The 1C items the catalog load linked to the deal's products: from the short Redis copy kept with the deal's
    facts when there is one (the warm tab reads no database for them), else one query."""
    if raw is not None:
        return {int(pid): (int(base), key) for pid, (base, key) in json.loads(raw).items()}
    ids = [int(pid) for pid, _ in facts.products if pid.isdigit()]
    found = CatalogLinks(ctx.db).onec_of(member_id, (PRODUCT, OFFER), ids) if ids else {}
    writes[_entity_key(ctx, "catalog", member_id, "deal", deal_id)] = (
        json.dumps({str(pid): list(link) for pid, link in found.items()}), ENTITY_CACHE_SECONDS)
    return found


def _stock_jobs(ctx: Runtime, member_id: str, deal_id: str, facts: linking.DealFacts, bases: dict[int, BaseRecord],
                settings: PortalSettings, cache: TabCache, timeout: float, found: dict[int, tuple[int, str]],
                ) -> dict[str, tuple[BaseRecord, Callable[[], object]]]:
    """Per base, the stock of the deal's products that the catalog load linked to that base's items."""
    names = dict(facts.products)
    wanted: dict[int, list[tuple[str, str | None, str]]] = {}
    for pid, (base_id, key) in sorted(found.items()):
        item, _, variant = key.partition("#")
        if base_id in bases and bases[base_id].enabled and bases[base_id].is_odata:
            wanted.setdefault(base_id, []).append((item, variant or None, names.get(str(pid), str(pid))))
    return {cache.key(member_id, "deal", deal_id, base_id) + ":stock": (bases[base_id], functools.partial(
        _stock_job, ctx, member_id, bases[base_id], products, settings.catalog.warehouses_of(base_id), timeout))
        for base_id, products in wanted.items()}


def _stock_job(ctx: Runtime, member_id: str, base: BaseRecord, products: list[tuple[str, str | None, str]],
               warehouses: tuple[str, ...], timeout: float):
    reader = _reader(ctx, member_id, base, timeout)
    catalog = OneCCatalog(reader.client, reader.profile, today=ctx.clock.now().date())
    return to_json(cards.stock_section(catalog, products, base.id, base.name, warehouses))


def _deal_job(ctx: Runtime, member_id: str, base: BaseRecord, target: linking.DealTarget, timeout: float):
    return to_json(cards.deal_section(_reader(ctx, member_id, base, timeout), target, base.name))


def _company_job(ctx: Runtime, member_id: str, base: BaseRecord, target: linking.CompanyTarget,
                 timeout: float):
    return to_json(cards.company_section(_reader(ctx, member_id, base, timeout), target, base.name))


def _action_user(ctx: Runtime) -> FrameUser:
    """The deal tab's user from the signed token the tab was rendered with; InstallRefused otherwise."""
    user = load_frame(ctx, request.form.get("frame", ""))
    if user.placement != PLACEMENTS["deal"] or ascii_id(user.entity_id) is None:
        raise InstallRefused("the token was not issued by a deal tab", status=403)
    return user


@bp.post("/tabs/deal/action")
def deal_action():
    """The deal tab's buttons: send the deal to 1C now (whatever its stage), or refresh its 1C fields now.

    The request carries the signed token the tab was rendered with: only a page we served after verifying the
    frame can press them, and only for the deal it was opened on. The answer is the request's outcome so far
    (tab_actions.py): as JSON for the tab's own script (`format=json`, the tab stays open and polls
    /tabs/deal/action/status), else as a page that polls the same and leads back to the tab."""
    from b24app.jobs.sync import order_deal_now, refresh_deal

    ctx: Runtime = current_app.extensions["b24app"]
    action = request.form.get("action", "")
    try:
        user = _action_user(ctx)
        if action not in ("order", "refresh"):
            raise InstallRefused(f"unknown action {action!r}", status=400)
    except InstallRefused as exc:
        return _refused(exc, lang_of(request.form.get("LANG")))
    if action == "order":
        outcome = order_outcome(ctx, user, order_deal_now(ctx, user.member_id, user.entity_id))
    else:
        job = ctx.queue("default").enqueue(refresh_deal, user.member_id, user.entity_id, job_timeout=120,
                                            description=f"refresh deal {user.entity_id} from 1C")
        outcome = refresh_outcome(ctx, user, job.id)
    log.info("portal %s user %s: deal %s %s requested", user.member_id, user.user_id, user.entity_id, action)
    if request.form.get("format") == "json":
        return jsonify({"action": action, **outcome.to_json()})
    domain = ctx.portals.require(user.member_id).domain
    return render_template("tab_action.html", lang=user.lang, action=action, outcome=outcome,
                           frame_token=request.form.get("frame", ""), bx24_js_url=ctx.settings.bx24_js_url_for(domain))


@bp.post("/tabs/deal/action/status")
def deal_action_status():
    """Where a button's request stands, as JSON, for this deal only (the token's): 404 for anything else."""
    ctx: Runtime = current_app.extensions["b24app"]
    try:
        user = _action_user(ctx)
    except InstallRefused as exc:
        log.warning("tab action status from %s refused: %s", request.remote_addr, for_log(exc.reason, 300))
        return jsonify({"error": "refused"}), exc.status
    action, ref = request.form.get("action", ""), request.form.get("ref", "")
    outcome = None
    if action == "order" and ascii_id(ref) is not None:
        outcome = order_outcome(ctx, user, int(ref))
    elif action == "refresh" and ref:
        outcome = refresh_outcome(ctx, user, ref)
    if outcome is None:
        return jsonify({"error": "unknown", "sentence": t("tab_action_unknown", user.lang)}), 404
    return jsonify({"action": action, **outcome.to_json()})
