"""One job sends several waiting deals to 1C together, so the portal's rate limit is spent on batches.

At the ordinary limit (2 requests/s, burst 50: limits.md) a deal read and written back on its own costs two or
three requests; read eight to a batch call and written back fifty commands to a call, a deal costs a fraction of
one. A job that starts on a deal therefore takes along the portal's other deal items that no job has tried yet
(`Outbox.fresh`), up to `BATCH_DEALS`:

  1. it locks each deal first (without waiting: a deal another job holds is left to that job) and only then
     claims the row, so no other job sends the same deal meanwhile;
  2. it reads every deal in shared batch calls (`deal_reads.read_deals`) — under the locks, so nothing read can
     be older than what another job already sent;
  3. each deal goes to 1C on its own (`DealOrders.push`, its own journal entry, its own failure);
  4. the write-backs go in one batch (`write_back.WriteBacks`), and each item is settled by its own outcome.

A row taken along is leased like a claimed one; its own queued job later finds it taken (`Outbox.claim`), and if
this job dies, the sweeper hands it out again when the lease runs out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime

from b24app.bitrix.errors import BitrixError, NotFound
from b24app.jobs.outbox import RedisLocks, deal_orders
from b24app.runtime import Runtime
from b24app.store.models import utcnow
from b24app.store.outbox import OutboxItem
from b24app.sync.to_onec.deal_reads import read_deals
from b24app.sync.to_onec.order_model import SKIPPED, PushResult
from b24app.sync.to_onec.write_back import WriteBacks

log = logging.getLogger(__name__)

BATCH_DEALS = 16  # two read calls, one product call and one write-back call for sixteen deals

Settle = Callable[[OutboxItem, Exception], str]
Finish = Callable[[OutboxItem, datetime, PushResult], None]


def run_deal_items(ctx: Runtime, first: OutboxItem, settle: Settle, finish: Finish) -> str:
    """Send `first` (already claimed) and the deals taken along; returns `first`'s outcome."""
    write_backs = WriteBacks(ctx.bitrix(first.member_id), first.member_id, ctx.own_writes)
    orders = deal_orders(ctx, first.member_id, write_backs)
    locks: RedisLocks = orders.deps.locks  # type: ignore[assignment] - the job layer built it
    outcome: dict[int, str] = {}
    with ExitStack() as held:
        try:
            held.enter_context(locks.entity_lock(f"deal:{first.entity_id}"))
        except Exception as exc:  # noqa: BLE001 - Busy or Redis away: settled by kind like any failure
            return settle(first, exc)
        items = [first, *_take_along(ctx, locks, held, first)]
        read_started = utcnow()
        try:
            bundles = read_deals(orders.client, [item.entity_id for item in items])
        except Exception as exc:  # noqa: BLE001 - the portal refused the read: every item waits for a retry
            return [settle(item, exc) for item in items][0]
        results: dict[int, PushResult] = {}
        for item in items:
            try:
                results[item.id] = _push(orders, item, bundles[item.entity_id])
            except Exception as exc:  # noqa: BLE001 - one deal's failure is that deal's
                outcome[item.id] = settle(item, exc)
        try:
            refused: dict[str, Exception] = dict(write_backs.flush())
        except Exception as exc:  # noqa: BLE001 - the write-back call itself failed: those deals are retried
            refused = {item.entity_id: exc for item in items if item.id in results}
    for item in items:
        if item.id not in results:
            continue
        if item.entity_id in refused:
            outcome[item.id] = settle(item, refused[item.entity_id])
        else:
            finish(item, read_started, results[item.id])
            outcome[item.id] = results[item.id].outcome
    if len(items) > 1:
        log.info("outbox %s: %d deals of %s sent together", first.id, len(items), first.member_id)
    return outcome[first.id]


def _take_along(ctx: Runtime, locks: RedisLocks, held: ExitStack, first: OutboxItem) -> list[OutboxItem]:
    """Other never-tried deal items of the portal whose deal is free, locked (released with `held`) and claimed."""
    taken: list[OutboxItem] = []
    for row_id, entity_id in ctx.outbox.fresh(first.member_id, "deal", BATCH_DEALS - 1, exclude={first.id}):
        if entity_id == first.entity_id:
            continue
        lock = locks.try_entity_lock(f"deal:{entity_id}")
        if lock is None:
            continue
        item = ctx.outbox.claim(row_id)
        if item is None:
            lock.release()
            continue
        held.callback(_release, lock)
        taken.append(item)
    return taken


def _push(orders, item: OutboxItem, got: object) -> PushResult:  # noqa: ANN001 - DealOrders
    if isinstance(got, NotFound):
        return PushResult(SKIPPED, reason=f"deal {item.entity_id} no longer exists")
    if isinstance(got, BitrixError):
        raise got
    return orders.push(item.entity_id, force=bool(item.payload.get("force")), bundle=got, locked=True)


def _release(lock) -> None:  # noqa: ANN001 - redis Lock
    try:
        lock.release()
    except Exception:  # noqa: BLE001 - expired under a long job: nothing to undo
        log.warning("a deal lock expired before release")
