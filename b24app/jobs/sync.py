"""RQ jobs of the two-way exchange: thin wrappers over `b24app/sync/` taking IDs, never live objects.

Bitrix24 → 1C: `process_outbox_item(id)` (enqueued by the event handler, the sweeper and the offline
collector). 1C → Bitrix24: `sync_tick()` enqueues each portal's due streams (`pull_stream(member_id, stream)`)
at the frequencies of its settings. Failures are retried by RQ with exponential backoff and jitter
(`Retry(interval=[...])`); the outbox row counts the attempts and becomes a dead letter after the last one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from rq import Retry

from b24app.context import AppContext
from b24app.jobs.runtime import job_context, queue
from b24app.store.models import utcnow
from b24app.sync.errors import PermanentSyncError
from b24app.sync.outbox import DEAD, Outbox
from b24app.sync.tuning import SyncTuning

log = logging.getLogger(__name__)

STREAMS = ("payments", "shipments", "debt")


def enqueue_outbox_item(ctx: AppContext, item_id: int) -> None:
    tuning = SyncTuning.from_env()
    queue(ctx, "default").enqueue(
        process_outbox_item, item_id, job_timeout=max(60, int(tuning.lease_seconds)),
        retry=Retry(max=tuning.max_attempts - 1, interval=tuning.retry_intervals()),
        description=f"outbox item {item_id}", failure_ttl=7 * 86400,
    )


def process_outbox_item(item_id: int) -> str:
    """Do what one accepted event asks (a deal → its 1C order). Returns the outcome; raises to be retried."""
    ctx = job_context()
    outbox = Outbox(ctx.db)
    item = outbox.claim(item_id)
    if item is None:
        return "already handled"
    read_started = utcnow()
    try:
        outcome = _handle(ctx, item.member_id, item.kind, item.entity_id, force=bool(item.payload.get("force")))
    except PermanentSyncError as exc:
        outbox.fail(item, str(exc), permanent=True)
        _tell_deal(ctx, item.member_id, item.kind, item.entity_id, str(exc))
        log.warning("outbox %s (%s %s) set aside: %s", item_id, item.kind, item.entity_id, exc)
        return DEAD
    except Exception as exc:
        status = outbox.fail(item, f"{type(exc).__name__}: {exc}")
        if status == DEAD:
            _tell_deal(ctx, item.member_id, item.kind, item.entity_id, f"{type(exc).__name__}: {exc}")
        raise
    outbox.complete(item, read_started)
    return outcome


def _handle(ctx: AppContext, member_id: str, kind: str, entity_id: str, *, force: bool) -> str:
    if kind == "deal":
        from b24app.sync.orders import DealOrders

        return DealOrders(ctx, member_id).push(entity_id, force=force).outcome
    if kind == "invoice":
        from b24app.sync.invoices import InvoiceDocuments

        return InvoiceDocuments(ctx, member_id).push(entity_id).outcome
    raise PermanentSyncError(f"outbox kind {kind!r} has no handler")


def _tell_deal(ctx: AppContext, member_id: str, kind: str, entity_id: str, why: str) -> None:
    """The manager sees on the deal why 1C did not get it (the administrator sees it in the dead letters)."""
    if kind != "deal":
        return
    try:
        from b24app.bitrix.portal_client import client_for_portal

        client_for_portal(ctx, member_id).call("crm.timeline.comment.add", {"fields": {
            "ENTITY_TYPE": "deal", "ENTITY_ID": entity_id,
            "COMMENT": f"Заказ в 1С не создан: {why}. Исправьте и повторите отправку."}})
    except Exception:  # noqa: BLE001 - a comment is a courtesy; the dead letter is the record
        log.exception("could not comment on deal %s of %s", entity_id, member_id)


def order_deal_now(ctx: AppContext, member_id: str, deal_id: str) -> int:
    """The "send to 1C" button: an outbox item that orders the deal whatever its stage; returns its id."""
    accepted = Outbox(ctx.db).accept(member_id, "deal", str(deal_id), f"button:deal:{deal_id}:{utcnow().isoformat()}",
                                     {"event": "BUTTON", "source": "button", "force": True})
    enqueue_outbox_item(ctx, accepted.id)
    return accepted.id


def request_deal_order(member_id: str, deal_id: str) -> int:
    """Job form of the button, for callers that hold only IDs."""
    return order_deal_now(job_context(), member_id, deal_id)


def sweep_outbox() -> int:
    """Scheduled: enqueue every pending item whose lease or backoff ran out (lost queue, killed worker)."""
    ctx = job_context()
    due = Outbox(ctx.db).due()
    for item_id in due:
        enqueue_outbox_item(ctx, item_id)
    if due:
        log.info("outbox sweeper re-enqueued %d item(s)", len(due))
    return len(due)


def collect_offline_events() -> int:
    """Scheduled: move every active portal's offline events into the outbox and enqueue the new ones."""
    from b24app.bitrix.portal_client import client_for_portal
    from b24app.sync.offline_events import collect

    ctx = job_context()
    outbox = Outbox(ctx.db)
    total = 0
    for member_id in ctx.portals.active_member_ids():
        try:
            with ctx.journal.exchange(member_id, "offline_events", "b24_to_1c") as entry:
                got = collect(client_for_portal(ctx, member_id), outbox, member_id)
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
    ctx = job_context()
    started: list[str] = []
    for member_id in ctx.portals.active_member_ids():
        settings = ctx.portal_settings.get(member_id)
        if not settings.schedules.pull_from_1c or not ctx.bases.list(member_id):
            continue
        for stream in STREAMS:
            interval = int(getattr(settings.schedules, f"{stream}_seconds"))
            key = f"{ctx.settings.queue_prefix}:due:{member_id}:{stream}"
            if ctx.redis.set(key, "1", nx=True, ex=max(1, interval)):
                enqueue_pull(ctx, member_id, stream)
                started.append(f"{member_id}:{stream}")
    return started


def enqueue_pull(ctx: AppContext, member_id: str, stream: str) -> None:
    tuning = SyncTuning.from_env()
    queue(ctx, "default").enqueue(
        pull_stream, member_id, stream, job_timeout=1800,
        retry=Retry(max=3, interval=tuning.retry_intervals()[:3]),
        description=f"pull {stream} of {member_id}", failure_ttl=7 * 86400,
    )


def pull_stream(member_id: str, stream: str) -> int:
    """Bring one 1C → Bitrix24 stream of one portal up to date (every enabled base); returns items sent."""
    from b24app.sync.pull import pull

    return pull(job_context(), member_id, stream)


def refresh_deal(member_id: str, deal_id: str) -> str:
    """On demand: recompute the deal's payment and shipment fields from 1C now."""
    from b24app.sync.payments import refresh_deal as refresh

    return refresh(job_context(), member_id, str(deal_id))


# "Sync now" on the settings page (b24app/jobs/sync_now.py) runs these by name: fn(member_id, base_id, progress).

def _run_now(stream: str, member_id: str, base_id: int | None, progress: Callable[[int, int], None] | None) -> dict:
    from b24app.sync.pull import pull_base

    ctx = job_context()
    bases = [b.id for b in ctx.bases.list(member_id) if b.enabled and (base_id is None or b.id == base_id)]
    updated = 0
    for n, one in enumerate(bases, start=1):
        updated += pull_base(ctx, member_id, one, stream)
        if progress is not None:
            progress(n, len(bases))
    return {"stream": stream, "bases": len(bases), "updated": updated}


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
