"""A "sync now" job's progress and outcome as a settings-area page shows it: the bar's figures and one sentence,
and the answer to the page's progress poll.

The catalog page and the counterparties page each run a preview job and a load job (jobs/sync_now.py keeps their
progress in `job.meta`); both show them the same way and differ only in their words, so a page passes its own
`JobWords` (its job names, its text lookup and the sentence that tells a finished load's outcome).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from rq.exceptions import NoSuchJobError
from rq.job import Job

from b24app.jobs import sync_now
from b24app.jobs.dead_letters import one_line
from b24app.runtime import Runtime
from b24app.web.admin_pages import AdminRefused, admin_user

log = logging.getLogger(__name__)

ERROR_CHARS = 300  # a failed job's sentence carries the error's last line up to this
STATE_TEXTS = {"job_queued", "job_started", "job_finished", "job_failed"}


@dataclass(frozen=True)
class JobWords:
    """What a page calls its jobs and how it says their state: `text(key, lang, **params)` is the page's texts
    lookup (it holds `job_queued`, `job_started`, `job_finished`, `job_failed` and `job_failed_sentence`), and
    `outcome(result, lang)` tells what the finished `load` job did."""

    subject: str  # "catalog", "counterparty": names the page's jobs in an UnknownJob
    preview: str
    load: str
    text: Callable[..., str]
    outcome: Callable[[dict, str], str]


@dataclass
class JobView:
    job_id: str
    name: str
    state: str
    done: int
    total: int
    percent: int
    finished: bool
    sentence: str
    result: dict | None = None
    ended_at: datetime | None = None

    def to_json(self) -> dict:
        """What the page's progress poll answers: everything but the result (which can be large)."""
        data = asdict(self)
        data.pop("result")
        data["ended_at"] = self.ended_at.isoformat() if self.ended_at else None
        return data


def job_view(ctx: Runtime, member_id: str, job_id: str, lang: str, words: JobWords) -> JobView:
    """One of the page's jobs of the asking portal, in words (sync_now.UnknownJob for another portal's job, an
    unknown id or another page's job)."""
    progress = sync_now.job_progress(ctx, member_id, job_id)
    if progress.name not in (words.preview, words.load):
        raise sync_now.UnknownJob(f"job {job_id} is not a {words.subject} job")
    state_key = f"job_{progress.state}"
    sentence = words.text(state_key, lang) if state_key in STATE_TEXTS else progress.state
    if progress.state == "failed":
        sentence = words.text("job_failed_sentence", lang, error=one_line(progress.error or "")[:ERROR_CHARS])
    elif progress.state == "finished" and progress.name == words.load:
        sentence = words.outcome(progress.result or {}, lang)
    return JobView(progress.job_id, progress.name, progress.state, progress.done, progress.total,
                   progress.percent, progress.finished, sentence, progress.result,
                   _ended_at(ctx, job_id) if progress.finished else None)


def latest_job(ctx: Runtime, member_id: str, name: str, base_id: int, lang: str,
               words: JobWords) -> JobView | None:
    """The latest `name` job of the base that sync-now remembers (a day), if it still exists."""
    raw = ctx.redis.get(ctx.keys.sync_now_job(member_id, name, base_id))
    if raw is None:
        return None
    try:
        return job_view(ctx, member_id, raw.decode(), lang, words)
    except sync_now.UnknownJob:
        return None


def status_answer(ctx: Runtime, words: JobWords) -> ResponseReturnValue:
    """The page poller's answer for the job named in the form: its view as JSON when it is one of the page's jobs of
    the asking administrator's portal, 404 for any other; a refused frame gets its status and no job."""
    try:
        user = admin_user(ctx, request)
    except AdminRefused as exc:
        log.warning("%s status request from %s refused: %s", words.subject, request.remote_addr, exc.reason)
        return jsonify({"error": "refused"}), exc.status
    try:
        return jsonify(job_view(ctx, user.member_id, request.form.get("job") or "", user.lang, words).to_json())
    except sync_now.UnknownJob:
        return jsonify({"error": "unknown job"}), 404


def _ended_at(ctx: Runtime, job_id: str) -> datetime | None:
    try:
        ended = Job.fetch(job_id, connection=ctx.redis).ended_at
    except NoSuchJobError:
        return None
    if ended is not None and ended.tzinfo is None:
        ended = ended.replace(tzinfo=UTC)  # RQ stamps naive UTC
    return ended
