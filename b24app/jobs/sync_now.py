""""Sync now" from the settings page: named jobs enqueued on RQ for one portal, their progress in `job.meta`.

A registry entry names a job by a dotted path to a function `fn(member_id, base_id | None, progress=...)` where
`progress(done, total)` reports how far it got. Paths are resolved when the job runs (and when the page asks
whether a job is available), so a stream whose function is not written yet shows as unavailable instead of
breaking the page. The page polls `job_progress`, which answers only for jobs of the asking portal.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job

from b24app.onec.schema import check
from b24app.runtime import Runtime, process_runtime
from b24app.store.journal import JournalEntry

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
CHECK_RESULT_SECONDS = 30 * 86400


@dataclass(frozen=True)
class NamedJob:
    name: str
    target: str  # dotted path: "package.module.function"
    per_base: bool = True  # may be run for one base


REGISTRY: dict[str, NamedJob] = {
    "check_bases": NamedJob("check_bases", "b24app.jobs.sync_now.check_all_bases"),
    "payments": NamedJob("payments", "b24app.jobs.sync.payments"),
    "debt": NamedJob("debt", "b24app.jobs.sync.debt"),
    "shipments": NamedJob("shipments", "b24app.jobs.sync.shipments"),
    "catalog": NamedJob("catalog", "b24app.jobs.catalog.catalog"),
    "catalog_preview": NamedJob("catalog_preview", "b24app.jobs.catalog.preview"),
    "counterparty_preview": NamedJob("counterparty_preview", "b24app.jobs.counterparty_preview.preview"),
    "counterparties": NamedJob("counterparties", "b24app.jobs.counterparties.load"),
}


class UnknownJob(LookupError):
    """The page asked for a job that is not in the registry, or whose function does not exist (yet)."""


def resolve(name: str) -> Callable:
    """The registry entry's function; UnknownJob when the name or the function is missing."""
    entry = REGISTRY.get(name)
    if entry is None:
        raise UnknownJob(f"no job named {name!r}")
    module_name, _, attr = entry.target.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise UnknownJob(f"job {name!r}: module {module_name} is not available") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise UnknownJob(f"job {name!r}: {entry.target} does not exist")
    return fn


def available(name: str) -> bool:
    try:
        resolve(name)
    except UnknownJob:
        return False
    return True


def _current_key(ctx: Runtime, member_id: str, name: str, base_id: int | None) -> str:
    return ctx.keys.sync_now_job(member_id, name, base_id)


def enqueue(ctx: Runtime, member_id: str, name: str, base_id: int | None = None) -> str:
    """Start job `name` for the portal (optionally one base) and return the RQ job id. A press while the same
    job is still queued or running returns that job instead of starting a second one."""
    resolve(name)
    key = _current_key(ctx, member_id, name, base_id)
    previous = ctx.redis.get(key)
    if previous is not None:
        try:
            job = Job.fetch(previous.decode(), connection=ctx.redis)
            if job.get_status(refresh=True) in ("queued", "started", "deferred", "scheduled"):
                return job.id
        except NoSuchJobError:
            pass
    job = ctx.queue("default").enqueue(
        run_named_job, member_id, name, base_id, job_timeout=3600, result_ttl=86400, failure_ttl=86400,
        meta={"member_id": member_id, "name": name, "base_id": base_id, "done": 0, "total": 0},
        description=f"sync now: {name} of {member_id}" + (f" base {base_id}" if base_id else ""),
    )
    ctx.redis.set(key, job.id, ex=86400)
    return job.id


def run_named_job(member_id: str, name: str, base_id: int | None) -> dict:
    """RQ entry point: run the named function with a progress callback that writes `job.meta`."""
    job = get_current_job()

    def progress(done: int, total: int) -> None:
        if job is None:
            return
        job.meta.update(done=int(done), total=int(total))
        job.save_meta()

    result = resolve(name)(member_id, base_id, progress=progress)
    return result if isinstance(result, dict) else {"result": result}


@dataclass(frozen=True)
class JobProgress:
    job_id: str
    name: str
    state: str  # queued, started, finished, failed, ...
    done: int
    total: int
    result: dict | None
    error: str | None

    @property
    def finished(self) -> bool:
        return self.state in ("finished", "failed", "stopped", "canceled")

    @property
    def percent(self) -> int:
        if self.state == "finished":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def to_json(self) -> dict:
        return {"job_id": self.job_id, "name": self.name, "state": self.state, "done": self.done,
                "total": self.total, "percent": self.percent, "finished": self.finished, "result": self.result,
                "error": self.error}


def job_progress(ctx: Runtime, member_id: str, job_id: str) -> JobProgress:
    """Where the job stands; UnknownJob for an unknown id or another portal's job (no cross-portal peeking)."""
    try:
        job = Job.fetch(job_id, connection=ctx.redis)
    except NoSuchJobError:
        raise UnknownJob(f"no job {job_id}") from None
    if job.meta.get("member_id") != member_id:
        raise UnknownJob(f"no job {job_id}")
    status = job.get_status(refresh=True)
    state = str(getattr(status, "value", status) or "unknown")
    result = job.return_value() if state == "finished" else None
    error = None
    if state == "failed":
        latest = job.latest_result()
        error = (latest.exc_string or "").strip().splitlines()[-1] if latest and latest.exc_string else "failed"
    return JobProgress(job_id=job.id, name=str(job.meta.get("name") or ""), state=state,
                       done=int(job.meta.get("done") or 0), total=int(job.meta.get("total") or 0),
                       result=result if isinstance(result, dict) else None, error=error)


# -- the base check -------------------------------------------------------------------------------------------

def check_result_key(ctx: Runtime, member_id: str, base_id: int) -> str:
    return ctx.keys.base_check_result(member_id, base_id)


def save_check_result(ctx: Runtime, member_id: str, base_id: int, report: dict) -> None:
    """Keep the latest schema check of a base for the settings page (and journal it for monitoring)."""
    stamped = {**report, "checked_at": time.time()}
    ctx.redis.set(check_result_key(ctx, member_id, base_id), json.dumps(stamped, ensure_ascii=False),
                  ex=CHECK_RESULT_SECONDS)
    error = None if report.get("ok") else (report.get("error") or report.get("instructions", {}).get("en") or "")
    ctx.journal.record(member_id, JournalEntry(kind="schema_check", direction="internal",
                                               status="ok" if report.get("ok") else "error", base_id=base_id,
                                               items=1, error=error or None))


def latest_check(ctx: Runtime, member_id: str, base_id: int) -> dict | None:
    raw = ctx.redis.get(check_result_key(ctx, member_id, base_id))
    return json.loads(raw) if raw else None


def check_base(ctx: Runtime, member_id: str, base_id: int) -> dict:
    """Run the connector's schema check of one stored base; the report as a dict, also saved for the page."""
    connection = ctx.bases.connection(member_id, base_id)
    report = check(connection, profile=ctx.profiles.load(connection.profile), egress=ctx.egress).to_dict()
    save_check_result(ctx, member_id, base_id, report)
    return report


def check_all_bases(member_id: str, base_id: int | None = None, *, progress: Progress | None = None) -> dict:
    """Registry job "check every 1C base": the schema check of each enabled base (or of `base_id`), one
    progress step per base. Returns {"checked": n, "ok": n, "bases": {id: ok}}."""
    ctx = process_runtime()
    bases = [b for b in ctx.bases.list(member_id)
             if b.enabled and b.is_odata and (base_id is None or b.id == base_id)]
    report = progress or (lambda done, total: None)
    report(0, len(bases))
    outcome: dict[str, bool] = {}
    for n, base in enumerate(bases, start=1):
        outcome[str(base.id)] = bool(check_base(ctx, member_id, base.id)["ok"])
        report(n, len(bases))
    return {"checked": len(bases), "ok": sum(outcome.values()), "bases": outcome}
