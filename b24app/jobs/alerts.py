"""Scheduled alert evaluation: gather each portal's facts (journal, portal status, dead letters, the portal's own
field list), run the detectors and the incident engine (`ops/alerts/`), send what is due.

The job layer is where the collaborators are: the portal client for the field list and `im.notify.system.add`,
the dead letters (`jobs/dead_letters.py`), the deployment's SMTP settings. One portal's failure never stops the
others'.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from redis.exceptions import LockError

from b24app.core.alert_settings import AlertSettings
from b24app.core.portal_settings import DEFAULT_COMPANY_FIELDS, DEFAULT_DEAL_FIELDS, PortalSettings
from b24app.jobs.dead_letters import count_dead, list_dead
from b24app.ops.alerts.channels import EmailChannel, PortalNotifyChannel
from b24app.ops.alerts.engine import Evaluation, evaluate, send_test
from b24app.ops.alerts.findings import SCHEMA_KINDS, DeadLetterFacts, PortalFacts, StreamFacts, detect
from b24app.runtime import Runtime, process_runtime
from b24app.store.alert_facts import AlertFacts
from b24app.store.incidents import AlertPortal, IncidentStore

log = logging.getLogger(__name__)

# The scheduled 1C -> Bitrix24 streams watched for staleness: each journals under its own name, at the interval
# `Schedules.<stream>_seconds`. A new stream joins here once it journals that way and runs for every portal.
STREAMS = ("payments", "shipments", "debt")
# The portal's field list is asked at most this often (two methods in one batch call): a field deleted in the CRM
# is noticed within ten minutes at about 0.1 % of the ordinary rate limit.
FIELDS_CHECK_SECONDS = 600
EVALUATION_TIMEOUT = 300  # the schedule's job timeout (jobs/schedule.py)


def evaluate_alerts() -> dict[str, dict]:
    """Scheduled (every minute): evaluate every installed portal; returns what each evaluation did.

    One evaluation at a time across all workers: a slow one still running when the next minute's job starts
    would otherwise open the same incidents twice and send their alerts twice."""
    ctx = process_runtime()
    lock = ctx.redis.lock(f"{ctx.settings.queue_prefix}:alerts:evaluation", timeout=EVALUATION_TIMEOUT,
                          blocking_timeout=0)
    if not lock.acquire():
        log.info("alerts: the previous evaluation is still running; this one is skipped")
        return {}
    try:
        return {member: vars(result) for member, result in run_alerts(ctx).items()}
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("alerts: the evaluation outlived its lock")


def run_alerts(ctx: Runtime, now: datetime | None = None) -> dict[str, Evaluation]:
    store, facts = IncidentStore(ctx.db), AlertFacts(ctx.db)
    moment = now or ctx.clock.now()
    out: dict[str, Evaluation] = {}
    for portal in store.portals():
        try:
            out[portal.member_id] = evaluate_portal(ctx, store, facts, portal, moment)
        except Exception:  # noqa: BLE001 - one portal's failure must not silence the others' alerts
            log.exception("alerts of %s not evaluated", portal.member_id)
    return out


def evaluate_portal(ctx: Runtime, store: IncidentStore, facts: AlertFacts, portal: AlertPortal,
                    now: datetime) -> Evaluation:
    settings = ctx.portal_settings.get(portal.member_id)
    gathered = gather(ctx, facts, portal, settings)
    result = evaluate(store, portal, detect(gathered, settings.alerts, now), settings.alerts,
                      channels(ctx, portal), now, email_on=ctx.settings.smtp.configured)
    if result.opened or result.resolved or result.failed:
        log.info("alerts of %s: opened %s, resolved %s, %d notice(s), %d sent, %d failed", portal.member_id,
                 result.opened, result.resolved, result.notices, result.sent, result.failed)
    return result


def send_test_alert(ctx: Runtime, member_id: str, alerts: AlertSettings) -> Evaluation:
    """The alerts page's test button: a test notice to `alerts`' recipients, sent now."""
    store = IncidentStore(ctx.db)
    portal = next(p for p in store.portals() if p.member_id == member_id)
    return send_test(store, portal, alerts, channels(ctx, portal), ctx.clock.now(),
                     email_on=ctx.settings.smtp.configured)


def channels(ctx: Runtime, portal: AlertPortal) -> list[EmailChannel | PortalNotifyChannel]:
    def portal_call():
        client = ctx.bitrix(portal.member_id, timeout=15)
        return lambda method, params: client.call(method, params).result

    return [EmailChannel(ctx.settings.smtp), PortalNotifyChannel(portal_call)]


def gather(ctx: Runtime, facts: AlertFacts, portal: AlertPortal, settings: PortalSettings) -> PortalFacts:
    """Everything the detectors look at; a part that cannot be had now is None (its incidents stay as they are)."""
    member = portal.member_id
    bases = facts.bases(member)
    return PortalFacts(
        member_id=member, needs_reauth=portal.needs_reauth, reauth_reason=portal.status_reason,
        reauth_since=portal.status_since, bases=bases,
        schema={b.id: facts.latest_by_kind(member, b.id, SCHEMA_KINDS) for b in bases},
        missing_fields=None if portal.needs_reauth else _missing_fields(ctx, member, settings),
        dead_letters=_dead_letters(ctx, member),
        streams=([StreamFacts(stream, b.id, b.name, int(getattr(settings.schedules, f"{stream}_seconds")),
                              facts.last_ok(member, stream, b.id), b.created_at)
                  for b in bases for stream in STREAMS] + _catalog_streams(facts, member, bases, settings)
                 + _party_streams(facts, member, bases, settings))
        if settings.schedules.pull_from_1c else [],
    )


def _catalog_streams(facts: AlertFacts, member: str, bases: list, settings: PortalSettings) -> list[StreamFacts]:
    """The catalog stream of each base, watched once the load is on and has run at least once: a first load of
    a big catalog may take longer than two intervals, and a load that fails is a journal error and a dead letter."""
    if not settings.catalog.enabled:
        return []
    out = []
    for base in bases:
        first = facts.first_run(member, "catalog", base.id)
        if first is not None:
            out.append(StreamFacts("catalog", base.id, base.name, settings.schedules.catalog_seconds,
                                   facts.last_ok(member, "catalog", base.id), first))
    return out


def _party_streams(facts: AlertFacts, member: str, bases: list, settings: PortalSettings) -> list[StreamFacts]:
    """The counterparties stream (issue 14) of each base whose load the administrator confirmed, watched like the
    catalog's once it has run at least once (the first load of a big base may take longer than two intervals)."""
    out = []
    for base in bases:
        if not settings.counterparties.enabled_for(base.id):
            continue
        first = facts.first_run(member, "counterparties", base.id)
        if first is not None:
            out.append(StreamFacts("counterparties", base.id, base.name, settings.schedules.counterparties_seconds,
                                   facts.last_ok(member, "counterparties", base.id), first))
    return out


def _dead_letters(ctx: Runtime, member_id: str) -> DeadLetterFacts | None:
    try:
        letters = list_dead(ctx, member_id, 20)
        if not letters:
            return DeadLetterFacts(0, None, "")
        newest = max(letters, key=lambda d: d.failed_at.timestamp() if d.failed_at else 0.0)
        return DeadLetterFacts(count_dead(ctx, member_id), newest.failed_at, newest.reason)
    except Exception:  # noqa: BLE001 - Redis (RQ's registry) unreachable: judge the dead letters next time
        log.warning("dead letters of %s not read for alerts", member_id, exc_info=True)
        return None


def _fields_key(ctx: Runtime, member_id: str) -> str:
    return f"{ctx.settings.queue_prefix}:alerts:fields:{member_id}"


def _missing_fields(ctx: Runtime, member_id: str, settings: PortalSettings) -> list[str] | None:
    """Mapped deal/company fields the portal does not have. Fields left at the app's own defaults are not counted:
    the exchange creates those itself (sync/to_bitrix/user_fields.py). None: the portal could not be asked."""
    key = _fields_key(ctx, member_id)
    try:
        cached = ctx.redis.get(key)
        if cached is not None:
            known = json.loads(cached)
        else:
            # crm.deal.fields / crm.company.fields list every field, user fields included
            # (api-reference/crm/deals/crm-deal-fields.md).
            answer = ctx.bitrix(member_id, timeout=15).batch({"deal": ("crm.deal.fields", {}),
                                                              "company": ("crm.company.fields", {})})
            answer.raise_first_error()
            known = {entity: sorted((answer.results.get(entity) or {}).keys()) for entity in ("deal", "company")}
            ctx.redis.set(key, json.dumps(known), ex=FIELDS_CHECK_SECONDS)
    except Exception as exc:  # noqa: BLE001 - the portal did not answer: judge the mapping next time
        log.warning("fields of %s not read for alerts: %s", member_id, exc)
        return None
    missing = []
    for entity, mapping, defaults in (("deal", settings.deal_fields, DEFAULT_DEAL_FIELDS),
                                      ("company", settings.company_fields, DEFAULT_COMPANY_FIELDS)):
        have = set(known.get(entity) or [])
        missing += [f"{entity}.{logical}={name}" for logical, name in mapping.items()
                    if name and name not in have and name != defaults.get(logical)]
    if settings.legal_entity_field and settings.legal_entity_field not in set(known.get("deal") or []):
        missing.append(f"deal.legal_entity={settings.legal_entity_field}")
    return missing


def forget_fields(ctx: Runtime, member_id: str) -> None:
    """Drop the cached field list (the settings changed the mapping; a test deleted a field)."""
    ctx.redis.delete(_fields_key(ctx, member_id))
