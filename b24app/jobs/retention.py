"""Scheduled: remove journal and finished outbox rows older than `B24APP_JOURNAL_DAYS` (ops/retention.py)."""

from __future__ import annotations

import logging

from b24app.ops.retention import cutoff_for, prune
from b24app.runtime import process_runtime

log = logging.getLogger(__name__)


def prune_old_rows() -> dict[str, int]:
    ctx = process_runtime()
    days = ctx.settings.journal_days
    pruned = prune(ctx.db, cutoff_for(ctx.clock.now(), days))
    log.info("retention (%d days, before %s): removed %d journal row(s) and %d finished outbox row(s)",
             days, pruned.cutoff.isoformat(timespec="seconds"), pruned.journal, pruned.outbox)
    return {"journal": pruned.journal, "outbox": pruned.outbox}
