"""RQ jobs of the two-way exchange: thin wrappers over `b24app/sync/` taking IDs, never live objects.

Bitrix24 → 1C: `process_outbox_item(id)` (enqueued by the event handler, the sweeper and the offline
collector). 1C → Bitrix24: `sync_tick()` enqueues each portal's due streams (`pull_stream(member_id, stream)`)
at the frequencies of its settings. A failed outbox item is settled by the retry policy (`jobs/retry.py`): the
outbox row counts the attempts and holds the time of the next try; RQ only runs what is due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from b24app.bitrix.errors import NotFound
from b24app.core.errors import PermanentSyncError
from b24app.core.messages import message
from b24app.jobs.catalog import catalog_pull
from b24app.jobs.deal_batch import run_deal_items
from b24app.jobs.outbox import deal_orders, invoice_documents, party_updates
from b24app.jobs.pull import portal_lang, pull_now, pull_portal, refresh_deal_now
from b24app.jobs.retry import decide
from b24app.ops.logcontext import bind_portal
from b24app.runtime import Runtime, process_runtime
from b24app.store.journal import JournalEntry
from b24app.store.models import utcnow
from b24app.store.outbox import DEAD, OutboxItem
from b24app.sync.to_onec.events_map import PARTY_KINDS
from b24app.sync.to_onec.offline_events import collect
from b24app.sync.to_onec.order_model import PushResult
from b24app.sync.to_onec.party_update import JOURNAL_KIND as PARTY_JOURNAL_KIND

log = logging.getLogger(__name__)

STREAMS = ("payments", "shipments", "debt", "catalog", "counterparties")


def enqueue_outbox_item(ctx: Runtime, item_id: int, *, delay: float = 0.0, swept: bool = False) -> None:
    """Queue the item's job, now or after `delay` seconds. RQ does not retry it: the outbox row is the one
    record of attempts and the retry policy (`jobs/retry.py`) decides every next try. `swept`: the sweeper found
    the row's lease run out, so the job that held it is gone."""
    job_timeout = max(60, int(ctx.tuning.lease_seconds))
    queue = ctx.queue("default")
    options = {"job_timeout": job_timeout, "description": f"outbox item {item_id}", "failure_ttl": 7 * 86400,
               "result_ttl": 3600}
    args = (item_id, swept) if swept else (item_id,)
    if delay >= 1:
        queue.enqueue_in(timedelta(seconds=delay), process_outbox_item, *args, **options)
    else:
        queue.enqueue(process_outbox_item, *args, **options)


def process_outbox_item(item_id: int, swept: bool = False) -> str:
    """Job: do what one accepted event asks (a deal → its 1C order). Returns the outcome."""
    return run_outbox_item(process_runtime(), item_id, swept=swept)


def run_outbox_item(ctx: Runtime, item_id: int, *, swept: bool = False) -> str:
    """Claim the item, run it, and settle a failure by the retry policy: a dead letter at once for a permanent
    error, a wait without spending an attempt while its 1C base is down, a backoff for anything transient.
    Never raises for a failure of the work itself, so RQ keeps no second account of retries. A deal takes the
    portal's other waiting deals along (`deal_batch.py`)."""
    item = ctx.outbox.claim(item_id, swept=swept)
    if item is None:
        return "already handled"
    bind_portal(item.member_id)  # its log lines name the portal (ops/logcontext.py)
    if item.kind == "deal":
        return run_deal_items(ctx, item, partial(_settle_failure, ctx), partial(_finish, ctx))
    read_started = utcnow()
    try:
        result = _handle(ctx, item.member_id, item.kind, item.entity_id, force=bool(item.payload.get("force")))
    except Exception as exc:  # noqa: BLE001 - every failure is sorted by kind below
        return _settle_failure(ctx, item, exc)
    _finish(ctx, item, read_started, result)
    return result.outcome


def _finish(ctx: Runtime, item: OutboxItem, read_started: datetime, result: PushResult) -> None:
    """The item is done (with the rows of its entity received before it was read); a deal that reached 1C after
    a failure was told on it gets that comment corrected."""
    ctx.outbox.complete(item, read_started)
    if item.kind == "deal" and result.number:
        _correct_failure_comment(ctx, item.member_id, item.entity_id, result.number)


def _settle_failure(ctx: Runtime, item: OutboxItem, exc: Exception) -> str:
    decision = decide(exc, item.attempts, ctx.tuning, ctx.clock.now().timestamp())
    status = ctx.outbox.settle(item, decision.reason, decision.delay, counts=decision.counts)
    if not getattr(exc, "journaled", False):
        # A failure before the exchange began (reading the deal, the base's circuit) is an attempt too.
        ctx.journal.record(item.member_id, JournalEntry(
            kind=_journal_kind(item.kind), direction="b24_to_1c",
            status="error" if status == DEAD else "retry", entity=f"{item.kind}:{item.entity_id}",
            error=decision.reason, base_id=getattr(exc, "base_id", None)))
    if status == DEAD:
        log.warning("outbox %s (%s %s) set aside (%s): %s", item.id, item.kind, item.entity_id,
                    decision.kind.value, decision.reason)
        _tell_deal(ctx, item.member_id, item.kind, item.entity_id, decision.reason)
        return DEAD
    log.info("outbox %s (%s %s) %s, next try in %.0f s: %s", item.id, item.kind, item.entity_id,
             decision.kind.value, decision.delay or 0, decision.reason)
    try:
        enqueue_outbox_item(ctx, item.id, delay=decision.delay or 0)
    except Exception:  # noqa: BLE001 - the row is pending with its time; the sweeper enqueues it then
        log.exception("outbox %s not re-enqueued; the sweeper will", item.id)
    return f"retry in {decision.delay:.0f} s ({decision.kind.value})"


def _journal_kind(kind: str) -> str:
    if kind == "deal":
        return "deal_order"
    return PARTY_JOURNAL_KIND if kind in PARTY_KINDS else kind


def _handle(ctx: Runtime, member_id: str, kind: str, entity_id: str, *, force: bool) -> PushResult:
    """Run the item's domain work with the collaborators `jobs/outbox.py` builds for the portal."""
    if kind == "deal":
        return deal_orders(ctx, member_id).push(entity_id, force=force)
    if kind == "invoice":
        return invoice_documents(ctx, member_id).push(entity_id)
    if kind in PARTY_KINDS:
        return party_updates(ctx, member_id).push(kind, entity_id)
    raise PermanentSyncError(f"outbox kind {kind!r} has no handler")


# Durable mark (store/marks.py): the failure comment posted on a deal, "<comment id>|<reason>", so the comment is
# rewritten once the deal does reach 1C.
FAILURE_TOLD = "failure-comment"


def _tell_deal(ctx: Runtime, member_id: str, kind: str, entity_id: str, why: str) -> None:
    """The manager sees on the deal why 1C did not get it (the administrator sees it in the dead letters).
    The words depend on what 1C already has: a deal whose order exists is never told "not created"."""
    if kind != "deal":
        return
    try:
        lang = portal_lang(ctx, member_id)
        orders = ctx.links.for_entity(member_id, "deal", entity_id)
        if orders:
            text = message("order_update_failed", lang, number=orders[0].onec_number or orders[0].onec_ref,
                           error=why)
        else:
            text = message("order_failed", lang, error=why)
        comment_id = ctx.bitrix(member_id).call("crm.timeline.comment.add", {"fields": {
            "ENTITY_TYPE": "deal", "ENTITY_ID": entity_id, "COMMENT": text}}).result
        ctx.marks.put(FAILURE_TOLD, f"{member_id}:deal:{entity_id}", f"{comment_id}|{why}")
    except Exception:  # noqa: BLE001 - a comment is a courtesy; the dead letter is the record
        log.exception("could not comment on deal %s of %s", entity_id, member_id)


def _correct_failure_comment(ctx: Runtime, member_id: str, deal_id: str, number: str) -> None:
    """The deal reached 1C after a failure was told on it: rewrite that comment so the timeline no longer says
    the deal is not in 1C (crm.timeline.comment.update: rest_help/crm/timeline/comment/)."""
    key = f"{member_id}:deal:{deal_id}"
    told = ctx.marks.get(FAILURE_TOLD, key)
    if told is None:
        return
    comment_id, _, why = told.partition("|")
    try:
        ctx.bitrix(member_id).call("crm.timeline.comment.update", {"id": comment_id, "fields": {
            "COMMENT": message("order_failure_resolved", portal_lang(ctx, member_id), number=number, error=why)}})
    except NotFound:
        pass  # the manager deleted the comment meanwhile: nothing left to correct
    except Exception:  # noqa: BLE001 - tried again the next time the deal is sent
        log.exception("could not correct the failure comment on deal %s of %s", deal_id, member_id)
        return
    ctx.marks.remove(FAILURE_TOLD, key)


def order_deal_now(ctx: Runtime, member_id: str, deal_id: str) -> int:
    """The "send to 1C" button: an outbox item that orders the deal whatever its stage; returns its id."""
    accepted = ctx.outbox.accept(member_id, "deal", str(deal_id), f"button:deal:{deal_id}:{utcnow().isoformat()}",
                                     {"event": "BUTTON", "source": "button", "force": True})
    enqueue_outbox_item(ctx, accepted.id)
    return accepted.id


def request_deal_order(member_id: str, deal_id: str) -> int:
    """Job form of the button, for callers that hold only IDs."""
    return order_deal_now(process_runtime(), member_id, deal_id)


def sweep_outbox() -> int:
    """Scheduled: enqueue every pending item whose lease or backoff ran out (lost queue, killed worker)."""
    ctx = process_runtime()
    due = ctx.outbox.due()
    for item_id in due:
        enqueue_outbox_item(ctx, item_id, swept=True)
    if due:
        log.info("outbox sweeper re-enqueued %d item(s)", len(due))
    return len(due)


def collect_offline_events() -> int:
    """Scheduled: move every active portal's offline events into the outbox and enqueue the new ones."""
    ctx = process_runtime()
    outbox = ctx.outbox
    total = 0
    for member_id in ctx.portals.active_member_ids():
        try:
            with ctx.journal.exchange(member_id, "offline_events", "b24_to_1c") as entry:
                got = collect(ctx.bitrix(member_id), outbox, member_id)
                entry.items = got.read
        except Exception:  # noqa: BLE001 - one portal's failure must not starve the others; it is journaled
            log.exception("offline events of %s not collected", member_id)
            continue
        for accepted in got.accepted:
            if accepted.new:
                enqueue_outbox_item(ctx, accepted.id)
                total += 1
    return total


def sync_tick() -> list[str]:
    """Scheduled (every minute): enqueue each portal's 1C → Bitrix24 streams that are due by its settings.

    "Due" is a Redis key per portal and stream living for the stream's interval, set with NX: whichever tick
    sets it enqueues, so several schedulers never double a pull and a changed interval applies on the next run.
    """
    ctx = process_runtime()
    started: list[str] = []
    for member_id in ctx.portals.active_member_ids():
        settings = ctx.portal_settings.get(member_id)
        if not settings.schedules.pull_from_1c or not any(b.is_odata for b in ctx.bases.list(member_id)):
            continue
        for stream in STREAMS:
            if stream == "catalog" and not settings.catalog.enabled:
                continue  # off until the administrator starts the load from the catalog page
            if stream == "counterparties" and not settings.counterparties.enabled_bases:
                continue  # off until the administrator confirms a base's first load (issue 14)
            interval = int(getattr(settings.schedules, f"{stream}_seconds"))
            key = ctx.keys.stream_due(member_id, stream)
            if ctx.redis.set(key, "1", nx=True, ex=max(1, interval)):
                enqueue_pull(ctx, member_id, stream)
                started.append(f"{member_id}:{stream}")
    return started


def enqueue_pull(ctx: Runtime, member_id: str, stream: str) -> None:
    """A pull needs no retries of its own: its watermark stays put on failure and the next tick runs it again."""
    ctx.queue("default").enqueue(
        pull_stream, member_id, stream, job_timeout=1800,
        description=f"pull {stream} of {member_id}", failure_ttl=7 * 86400,
    )


def pull_stream(member_id: str, stream: str) -> int:
    """Bring one 1C → Bitrix24 stream of one portal up to date (every enabled base); returns items sent."""
    if stream == "catalog":  # its own deps, lock and on/off switch (jobs/catalog.py)
        return catalog_pull(process_runtime(), member_id)
    if stream == "counterparties":  # the same, per base (jobs/counterparties.py)
        from b24app.jobs.counterparties import counterparties_pull

        return counterparties_pull(process_runtime(), member_id)
    return pull_portal(process_runtime(), member_id, stream)


def refresh_deal(member_id: str, deal_id: str) -> str:
    """On demand: recompute the deal's payment and shipment fields from 1C now."""
    return refresh_deal_now(process_runtime(), member_id, str(deal_id))


# "Sync now" on the settings page (b24app/jobs/sync_now.py) runs these by name: fn(member_id, base_id, progress).

def _run_now(stream: str, member_id: str, base_id: int | None, progress: Callable[[int, int], None] | None) -> dict:
    return pull_now(process_runtime(), stream, member_id, base_id, progress)


def payments(member_id: str, base_id: int | None = None, *, progress: Callable[[int, int], None] | None = None) -> dict:
    """Pull payments now (all bases, or one)."""
    return _run_now("payments", member_id, base_id, progress)


def shipments(member_id: str, base_id: int | None = None, *, progress: Callable[[int, int], None] | None = None
              ) -> dict:
    """Pull shipments now (all bases, or one)."""
    return _run_now("shipments", member_id, base_id, progress)


def debt(member_id: str, base_id: int | None = None, *, progress: Callable[[int, int], None] | None = None) -> dict:
    """Pull debt now (all bases, or one)."""
    return _run_now("debt", member_id, base_id, progress)
