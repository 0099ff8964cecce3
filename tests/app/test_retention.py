"""Journal retention on the real database: exactly the journal rows older than the window go, and of the outbox
only finished rows (done, discarded) older than it — pending and dead ones are work still owed. Deletes run in
bounded chunks, each its own statement; the scheduled job reads `B24APP_JOURNAL_DAYS` and logs its counts."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, update

from b24app.config import ConfigError, Settings
from b24app.jobs.retention import prune_old_rows
from b24app.jobs.schedule import SCHEDULE
from b24app.ops.retention import cutoff_for, prune
from b24app.runtime import Runtime, process_runtime
from b24app.store.journal import JournalEntry
from b24app.store.models import JournalRow, OutboxRow
from b24app.store.portals import TokenGrant
from tests.app.conftest import REDIS_URL
from tests.support.sync_data import run_burst

pytestmark = pytest.mark.db

DAYS = 90


@pytest.fixture
def env_ctx(database_url, queue_prefix, monkeypatch):
    """The runtime the worker's jobs build from the environment, and one for the test on the same settings."""
    env = {"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "B24APP_SECRET_KEY": uuid.uuid4().hex,
           "B24APP_QUEUE_PREFIX": queue_prefix, "B24APP_JOURNAL_DAYS": str(DAYS)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    process_runtime.cache_clear()
    ctx = Runtime(Settings.from_env(env))
    yield ctx
    ctx.close()
    process_runtime.cache_clear()


def _portal(ctx: Runtime, member_id: str) -> str:
    grant = TokenGrant("a", "r", datetime.now(UTC) + timedelta(hours=1))
    ctx.portals.save_install(member_id, f"{member_id[:4]}.bitrix24.ru", f"https://{member_id[:4]}.bitrix24.ru/rest/",
                             grant)
    return member_id


def _rows_aged(ctx: Runtime, member_id: str, days: float, count: int) -> None:
    started = datetime.now(UTC) - timedelta(days=days)
    for n in range(count):
        ctx.journal.record(member_id, JournalEntry(kind="payments", direction="1c_to_b24", started_at=started,
                                                   entity=f"{days}:{n}", duration_ms=10))


def _journal_entities(ctx: Runtime) -> list[str]:
    with ctx.db.transaction() as s:
        return sorted(s.scalars(select(JournalRow.entity)))


def _outbox_row(ctx: Runtime, member_id: str, entity: str, status: str, days_ago: float) -> int:
    """An outbox row brought to `status` through the store, then dated back `days_ago` days."""
    item_id = ctx.outbox.accept(member_id, "deal", entity, f"k{entity}", {}).id
    if status != "pending":
        claimed = ctx.outbox.claim(item_id, swept=True)
        if status == "done":
            ctx.outbox.complete(claimed, datetime.now(UTC))
        else:
            ctx.outbox.settle(claimed, "refused", retry_in=None)
            if status == "discarded":
                assert ctx.outbox.discard(member_id, item_id)
    with ctx.db.transaction() as s:
        s.execute(update(OutboxRow).where(OutboxRow.id == item_id)
                  .values(updated_at=datetime.now(UTC) - timedelta(days=days_ago)))
    return item_id


def test_exactly_the_old_rows_go_in_bounded_chunks(env_ctx):
    ctx = env_ctx
    a, b = _portal(ctx, "a" * 32), _portal(ctx, "b" * 32)
    _rows_aged(ctx, a, 100, 23)
    _rows_aged(ctx, a, 89, 2)
    _rows_aged(ctx, a, 0, 1)
    _rows_aged(ctx, b, 95, 5)
    _rows_aged(ctx, b, 1, 1)
    kept_outbox = {_outbox_row(ctx, a, "1", "pending", 120), _outbox_row(ctx, a, "2", "dead", 120),
                   _outbox_row(ctx, a, "3", "done", 10), _outbox_row(ctx, b, "4", "discarded", 30)}
    gone_outbox = {_outbox_row(ctx, a, "5", "done", 100), _outbox_row(ctx, b, "6", "discarded", 91)}

    deletes: list[str] = []

    def count_deletes(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, PLR0913
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", count_deletes)
    try:
        pruned = prune(ctx.db, cutoff_for(datetime.now(UTC), DAYS), chunk=7)
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", count_deletes)

    assert (pruned.journal, pruned.outbox) == (28, 2)
    assert _journal_entities(ctx) == sorted(["0:0", "1:0", "89:0", "89:1"])
    with ctx.db.transaction() as s:
        assert set(s.scalars(select(OutboxRow.id))) == kept_outbox
    assert not gone_outbox & kept_outbox
    # Portal a's 23 old rows took 4 chunks of at most 7, portal b's 5 one; the outbox's 2 one.
    journal_deletes = [st for st in deletes if "exchange_journal" in st]
    assert len(journal_deletes) == 5 and len(deletes) == 6
    # A second run finds nothing.
    assert prune(ctx.db, cutoff_for(datetime.now(UTC), DAYS), chunk=7).journal == 0


def test_the_daily_job_uses_the_configured_window_and_logs_its_counts(env_ctx, caplog):
    ctx = env_ctx
    a = _portal(ctx, "c" * 32)
    _rows_aged(ctx, a, DAYS + 1, 3)
    _rows_aged(ctx, a, DAYS - 1, 2)
    _outbox_row(ctx, a, "7", "done", DAYS + 1)
    retention = [job for job in SCHEDULE if job.func is prune_old_rows]
    assert len(retention) == 1 and retention[0].interval == 24 * 3600

    job = ctx.queue(retention[0].queue).enqueue(prune_old_rows)
    with caplog.at_level(logging.INFO, logger="b24app.jobs.retention"):
        run_burst(ctx)
    assert job.latest_result().return_value == {"journal": 3, "outbox": 1}
    assert _journal_entities(ctx) == [f"{DAYS - 1}:0", f"{DAYS - 1}:1"]
    assert any("retention (90 days" in r.getMessage() and "removed 3 journal row(s) and 1 finished outbox row(s)"
               in r.getMessage() for r in caplog.records)


def test_settings_read_the_window_and_the_metrics_token():
    assert Settings.from_env({}).journal_days == 90 and Settings.from_env({}).metrics_token == ""
    read = Settings.from_env({"B24APP_JOURNAL_DAYS": "30", "B24APP_METRICS_TOKEN": " s3cret "})
    assert (read.journal_days, read.metrics_token) == (30, "s3cret")
    for bad in ("0", "-5", "ninety", "1.5"):
        with pytest.raises(ConfigError, match="B24APP_JOURNAL_DAYS"):
            Settings.from_env({"B24APP_JOURNAL_DAYS": bad})
