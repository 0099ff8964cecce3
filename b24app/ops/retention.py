"""Journal retention: remove exchange journal rows, and outbox rows that are finished (done or discarded), older
than the deployment's window (`B24APP_JOURNAL_DAYS`).

Deleted in chunks of `chunk` rows, each in its own short transaction, so a million old rows never hold one long
lock on the table that every job writes to. Journal rows are found per portal through the journal's
(portal_id, started_at) index; outbox rows through their (status, ...) index. Pending and dead outbox rows are
never removed: they are work still owed or waiting for an administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from b24app.store.db import Database
from b24app.store.models import JournalRow, OutboxRow, Portal
from b24app.store.outbox import DISCARDED, DONE

CHUNK = 5000
FINISHED = (DONE, DISCARDED)


@dataclass(frozen=True)
class Pruned:
    journal: int
    outbox: int
    cutoff: datetime


def cutoff_for(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def prune(db: Database, cutoff: datetime, *, chunk: int = CHUNK) -> Pruned:
    return Pruned(journal=prune_journal(db, cutoff, chunk=chunk), outbox=prune_outbox(db, cutoff, chunk=chunk),
                  cutoff=cutoff)


def prune_journal(db: Database, cutoff: datetime, *, chunk: int = CHUNK) -> int:
    with db.transaction() as s:
        portal_ids = list(s.scalars(select(Portal.id).order_by(Portal.id)))
    removed = 0
    for pid in portal_ids:
        older = (select(JournalRow.id).where(JournalRow.portal_id == pid, JournalRow.started_at < cutoff)
                 .order_by(JournalRow.started_at).limit(chunk))
        removed += _delete_in_chunks(db, JournalRow, older, chunk)
    return removed


def prune_outbox(db: Database, cutoff: datetime, *, chunk: int = CHUNK) -> int:
    # `updated_at` is when a row was finished: a row done today for an event of last year stays its window.
    older = (select(OutboxRow.id).where(OutboxRow.status.in_(FINISHED), OutboxRow.updated_at < cutoff)
             .order_by(OutboxRow.id).limit(chunk))
    return _delete_in_chunks(db, OutboxRow, older, chunk)


def _delete_in_chunks(db: Database, model: type, older, chunk: int) -> int:  # noqa: ANN001 - a Select of ids
    removed = 0
    while True:
        with db.transaction() as s:
            ids = list(s.scalars(older))
            if ids:
                s.execute(delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False))
        removed += len(ids)
        if len(ids) < chunk:
            return removed
