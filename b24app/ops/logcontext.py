"""Log records that say which portal and which RQ job they belong to.

Every record passing a handler that carries `JobContext` gets `portal` (the member_id the running job works for)
and `job` (the RQ job id), or "-" outside a job, so `grep job=<id>` finds one job's story across a worker's log.
The portal is the job function's `member_id` argument: the app's jobs take IDs, never live objects
(runtime.process_runtime), and most name the portal that way; a job that learns its portal later (an outbox
item's job reads it from the row) says so with `bind_portal`.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Iterable

from rq.job import Job, get_current_job

FORMAT = "%(asctime)s %(levelname)s %(name)s portal=%(portal)s job=%(job)s: %(message)s"
NONE = "-"


def portal_of(job: Job) -> str:
    try:
        bound = inspect.signature(job.func).bind_partial(*job.args, **job.kwargs)
    except (TypeError, ValueError, AttributeError, ImportError):
        return NONE
    member_id = bound.arguments.get("member_id")
    return str(member_id) if member_id else NONE


# The portal a running job named once it learnt it (a job given an outbox row id learns it from the row), per
# thread as RQ keeps its current job: (job id, member_id).
_bound = threading.local()


def bind_portal(member_id: str) -> None:
    """Say which portal the running job works for, when its arguments do not name it."""
    job = get_current_job()
    if job is not None:
        _bound.value = (job.id, member_id)


class JobContext(logging.Filter):
    """Adds `portal` and `job` to each record; remembers the last job's portal, so the signature is read once a
    job, not once a record."""

    def __init__(self) -> None:
        super().__init__()
        self._last: tuple[str, str] = (NONE, NONE)

    def filter(self, record: logging.LogRecord) -> bool:
        job = get_current_job()
        if job is None:
            record.portal, record.job = NONE, NONE
            return True
        bound = getattr(_bound, "value", None)
        if bound is not None and bound[0] == job.id:
            record.job, record.portal = bound
            return True
        if self._last[0] != job.id:
            self._last = (job.id, portal_of(job))
        record.job, record.portal = self._last
        return True


def install(handlers: Iterable[logging.Handler] | None = None, fmt: str = FORMAT) -> None:
    """Give `handlers` (by default the root logger's, as `logging.basicConfig` made them) the context and a
    format that prints it."""
    context = JobContext()
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        handler.addFilter(context)
        handler.setFormatter(logging.Formatter(fmt))
