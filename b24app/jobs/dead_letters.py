"""Dead letters: what the exchange gave up on, for the dashboard to show and replay.

Two sources, not a parallel invention: outbox rows marked dead (an event whose last retry failed, or whose
error no retry can fix) and RQ's FailedJobRegistry for the scheduled 1C → Bitrix24 pulls (rq/registry.py). An
outbox job that failed for good is in both; the outbox row is the record, so its RQ twin is not listed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from b24app.runtime import Runtime

OUTBOX, RQ = "outbox", "rq"


@dataclass(frozen=True)
class DeadLetter:
    ref: str  # "outbox:<id>" or "rq:<job id>": what `replay` takes
    what: str  # e.g. "deal 42" or "pull payments"
    error: str
    attempts: int
    failed_at: datetime | None
    outbox_id: int | None = None


def list_dead(ctx: Runtime, member_id: str, limit: int = 200) -> list[DeadLetter]:
    """The portal's dead letters, outbox first (newest first), then failed pulls."""
    letters = [DeadLetter(f"{OUTBOX}:{item.id}", f"{item.kind} {item.entity_id}", item.last_error or "",
                          item.attempts, item.created_at, item.id)
               for item in ctx.outbox.dead(member_id, limit)]
    registry = FailedJobRegistry(queue=ctx.queue("default"))
    for job_id in registry.get_job_ids()[:limit]:
        try:
            job = Job.fetch(job_id, connection=ctx.redis)
        except NoSuchJobError:
            continue
        if job.func_name.endswith("process_outbox_item") or not job.args or job.args[0] != member_id:
            continue
        error = (job.latest_result().exc_string if job.latest_result() else "") or ""
        letters.append(DeadLetter(f"{RQ}:{job.id}", job.description or job.func_name,
                                  error.strip().splitlines()[-1] if error.strip() else "", 1, job.ended_at))
    return letters


def replay(ctx: Runtime, member_id: str, ref: str) -> bool:
    """Run a dead letter again (after the cause was fixed). False when it is no longer dead or not this portal's."""
    source, _, ident = ref.partition(":")
    if source == OUTBOX:
        from b24app.jobs.sync import enqueue_outbox_item

        if not ctx.outbox.revive(member_id, int(ident)):
            return False
        enqueue_outbox_item(ctx, int(ident))
        return True
    if source == RQ:
        registry = FailedJobRegistry(queue=ctx.queue("default"))
        try:
            job = Job.fetch(ident, connection=ctx.redis)
        except NoSuchJobError:
            return False
        if not job.args or job.args[0] != member_id or ident not in registry.get_job_ids():
            return False
        registry.requeue(ident)
        return True
    raise ValueError(f"dead letter reference {ref!r} is neither outbox:<id> nor rq:<job id>")
