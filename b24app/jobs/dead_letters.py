"""Dead letters: what the exchange gave up on, for the administrator to see, replay or discard (CLI and page).

Two sources, not a parallel invention: outbox rows marked dead (an event whose last retry failed, or whose
error no retry can fix) and RQ's FailedJobRegistry for the scheduled 1C → Bitrix24 pulls (rq/registry.py). An
outbox job that failed for good is in both; the outbox row is the record, so its RQ twin is not listed again.

A letter is named by a reference: "outbox:<row id>" or "rq:<job id>". Replay runs it again (after the cause was
fixed); discard gives it up for good: the outbox row becomes `discarded` (kept for the record, never revived), the
failed RQ job leaves the registry and is deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from b24app.runtime import Runtime
from b24app.store.outbox import DEAD

OUTBOX, RQ = "outbox", "rq"
# RQ job ids are uuid4 hex by default (rq/job.py) or names we gave; letters, digits, "-", "_", ":" and "." only.
_RQ_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")
_DOTTED_CLASS = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*\.)+([A-Za-z_][A-Za-z0-9_]*:)")


class BadReference(ValueError):
    """A text that is neither outbox:<id> nor rq:<job id>."""


@dataclass(frozen=True)
class DeadLetter:
    ref: str  # "outbox:<id>" or "rq:<job id>": what `replay` and `discard` take
    what: str  # e.g. "deal 42" or "pull payments"
    error: str
    attempts: int
    failed_at: datetime | None  # aware, UTC
    outbox_id: int | None = None
    kind: str = ""  # deal, invoice (outbox) or the job's function name (rq): how a page words `what`
    subject: str = ""  # the entity id (outbox) or the stream (rq)

    @property
    def reason(self) -> str:
        """The error on one line, without a module path before the class name."""
        return one_line(self.error)


def one_line(error: str) -> str:
    """The last line of an error that carries something, whitespace collapsed; `pkg.mod.Error: x` → `Error: x`."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    text = " ".join(lines[-1].split()) if lines else ""
    return _DOTTED_CLASS.sub(r"\1", text)


def parse_ref(ref: str) -> tuple[str, str]:
    """(source, ident) of a reference; BadReference when it is malformed."""
    source, _, ident = (ref or "").strip().partition(":")
    if source == OUTBOX and ident.isascii() and ident.isdigit() and len(ident) <= 18:
        return source, ident
    if source == RQ and _RQ_ID.fullmatch(ident):
        return source, ident
    raise BadReference(f"dead letter reference {ref!r} is neither outbox:<id> nor rq:<job id>")


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes (stored as UTC); PostgreSQL and RQ aware ones."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _registry(ctx: Runtime) -> FailedJobRegistry:
    return FailedJobRegistry(queue=ctx.queue("default"))


def _portal_job(ctx: Runtime, member_id: str, job_id: str) -> Job | None:
    """A failed job of this portal's that is not an outbox item's (those are listed by their row), else None."""
    try:
        job = Job.fetch(job_id, connection=ctx.redis)
    except NoSuchJobError:
        return None
    if job.func_name.endswith("process_outbox_item") or not job.args or job.args[0] != member_id:
        return None
    return job


def _failed_jobs(ctx: Runtime, member_id: str, limit: int | None) -> list[Job]:
    """The portal's failed jobs, newest first (the registry scores each by its expiry, failure time + TTL)."""
    jobs = []
    for job_id in _registry(ctx).get_job_ids(desc=True):
        job = _portal_job(ctx, member_id, job_id)
        if job is not None:
            jobs.append(job)
            if limit is not None and len(jobs) >= limit:
                break
    return jobs


def _job_letter(job: Job) -> DeadLetter:
    latest = job.latest_result()
    error = (latest.exc_string if latest else "") or ""
    subject = str(job.args[1]) if len(job.args) > 1 and job.args[1] is not None else ""
    return DeadLetter(f"{RQ}:{job.id}", job.description or job.func_name, one_line(error), 1,
                      _aware(job.ended_at), kind=job.func_name.rsplit(".", 1)[-1], subject=subject)


def list_dead(ctx: Runtime, member_id: str, limit: int | None = 200) -> list[DeadLetter]:
    """The portal's dead letters, outbox first (newest first), then failed pulls (newest first); at most `limit`
    of each source (None: all)."""
    letters = [DeadLetter(f"{OUTBOX}:{item.id}", f"{item.kind} {item.entity_id}", item.last_error or "",
                          item.attempts, _aware(item.updated_at or item.created_at), item.id, item.kind,
                          item.entity_id)
               for item in ctx.outbox.dead(member_id, limit)]
    letters += [_job_letter(job) for job in _failed_jobs(ctx, member_id, limit)]
    return letters


def count_dead(ctx: Runtime, member_id: str) -> int:
    """How many dead letters the portal has in all (a page shows the newest and says how many more there are)."""
    return ctx.outbox.counts(member_id).get(DEAD, 0) + len(_failed_jobs(ctx, member_id, None))


def replay(ctx: Runtime, member_id: str, ref: str) -> bool:
    """Run a dead letter again (after the cause was fixed). False when it is no longer dead or not this portal's;
    BadReference when `ref` is malformed."""
    source, ident = parse_ref(ref)
    if source == OUTBOX:
        from b24app.jobs.sync import enqueue_outbox_item

        if not ctx.outbox.revive(member_id, int(ident)):
            return False
        enqueue_outbox_item(ctx, int(ident))
        return True
    registry = _registry(ctx)
    if _portal_job(ctx, member_id, ident) is None or ident not in registry.get_job_ids():
        return False
    registry.requeue(ident)
    return True


def discard(ctx: Runtime, member_id: str, ref: str) -> bool:
    """Give a dead letter up for good. False when it is no longer dead or not this portal's; BadReference when
    `ref` is malformed."""
    source, ident = parse_ref(ref)
    if source == OUTBOX:
        return ctx.outbox.discard(member_id, int(ident))
    registry = _registry(ctx)
    job = _portal_job(ctx, member_id, ident)
    if job is None or ident not in registry.get_job_ids():
        return False
    registry.remove(job, delete_job=True)
    return True
