"""Engine and session factory. SQLite by default (one file), PostgreSQL in production.

Outages end by themselves, so must their effects: a connection opened while the database was read-only keeps
that default for its whole life (PostgreSQL's `default_transaction_read_only` is read when the session starts;
SQLite opens an unwritable file read-only and never reopens it), and one opened before an administrator shut the
server down is dead. Such a connection is useless after the episode, so the error that reveals it discards the
whole pool (`_discard_pool_on`), and the next statement runs on a fresh connection — no restart needed.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Executable, create_engine, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from b24app.store.models import HeartbeatRow

# Normal work waits this long for SQLite's write lock; the health write waits HEALTH_TIMEOUT at most.
SQLITE_BUSY_MS = 30_000
HEALTH_TIMEOUT = 1.5
# PostgreSQL: connections older than this are replaced on checkout (stale session settings, idle cut-offs).
POOL_RECYCLE_S = 1800
# libpq waits forever for an unreachable host unless told otherwise.
PG_CONNECT_TIMEOUT_S = 10

# PostgreSQL SQLSTATEs after which the session is of no further use (PostgreSQL docs, Appendix A):
# 25006 read_only_sql_transaction (the session's default was read-only, or the server is a standby);
# 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now; class 08: connection exceptions.
_PG_STALE_STATES = {"25006", "57P01", "57P02", "57P03"}
# SQLite primary result codes (sqlite.org/rescode.html): READONLY 8 (file was unwritable when opened, or was
# moved: SQLITE_READONLY_DBMOVED), IOERR 10, CANTOPEN 14. The extended code keeps the primary one in its low byte.
_SQLITE_STALE_CODES = {8, 10, 14}


def _sqlite_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def connection_is_spent(exc: BaseException) -> bool:
    """True when the DB-API error `exc` means the connection it came from will keep failing after the database
    is healthy again (see the module docstring), so the pool must be discarded."""
    state = getattr(exc, "sqlstate", None)
    if state:
        return state in _PG_STALE_STATES or state.startswith("08")
    if isinstance(exc, sqlite3.Error):
        code = _sqlite_code(exc)
        if code is not None:
            return code in _SQLITE_STALE_CODES
        return "readonly database" in str(exc)
    return False


def describe_failure(exc: BaseException) -> str:
    """What went wrong with the database, in plain words fit for a public answer: never the message itself
    (it may name the host, the user or the SQL), only its kind."""
    if isinstance(exc, PoolTimeout):
        return "busy: no free connection"
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    state = getattr(orig, "sqlstate", None) or ""
    text = str(orig).lower()
    code = _sqlite_code(orig) if isinstance(orig, sqlite3.Error) else None
    if state == "25006" or code == 8 or "readonly database" in text:
        return "read-only"
    if state in {"55P03", "40P01"} or code in {5, 6} or "database is locked" in text:  # lock_not_available
        return "locked"
    if state == "57014":  # query_canceled: statement_timeout
        return "timed out"
    if state in {"53100"} or code == 13:  # disk_full / SQLITE_FULL
        return "disk full"
    if state in {"42P01", "3F000"} or "no such table" in text:  # undefined_table / invalid_schema_name
        return "not migrated"
    if state.startswith("28") or "authentication failed" in text:  # invalid_authorization_specification
        return "login refused"
    if state.startswith(("08", "57P")) or code in {10, 14} or "connection" in text:
        return "unreachable"
    return "error " + (state or type(orig).__name__)


def _discard_pool_on(engine: Engine) -> None:
    @event.listens_for(engine, "handle_error")
    def _spent_connection(context: ExceptionContext) -> None:
        # Marking the error a disconnect makes SQLAlchemy invalidate this connection and every other one the
        # pool handed out before now; they are replaced on their next checkout.
        if not context.is_disconnect and connection_is_spent(context.original_exception):
            context.is_disconnect = True


def make_engine(database_url: str) -> Engine:
    """An engine tuned for several processes (web, worker, scheduler) sharing one database."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API connection
            cur = dbapi_conn.cursor()
            # WAL lets readers work while one writer commits; busy_timeout waits for the lock instead of failing.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        _discard_pool_on(engine)
        return engine
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    connect_args = {}
    if "connect_timeout" not in make_url(database_url).query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    engine = create_engine(database_url, pool_pre_ping=True, pool_recycle=POOL_RECYCLE_S,
                           connect_args=connect_args)
    _discard_pool_on(engine)
    return engine


class Database:
    """Holds one engine and hands out short transactions."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = make_engine(database_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # RQ runs every job in a forked child. A pooled connection inherited across fork would be shared by two
        # processes (PostgreSQL then sees one session's prepared statements reused by the other); the child
        # starts with an empty pool instead, leaving the parent's connections to the parent.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (db := ref()) and db.engine.dispose(close=False))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any exception."""
        with self._sessions() as session, session.begin():
            yield session

    def heartbeat(self, name: str, timeout: float = HEALTH_TIMEOUT) -> None:
        """Prove the database takes writes: rewrite this process's heartbeat row in a transaction that waits at
        most `timeout` seconds for locks, so a locked database fails fast instead of after SQLITE_BUSY_MS.

        A connection found spent (see `connection_is_spent`) has already discarded the pool when the error
        reaches here; the write is then tried once more on a fresh connection, so the answer speaks of the
        database, not of a connection left over from an episode that has ended."""
        try:
            self._heartbeat(name, timeout)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            self._heartbeat(name, timeout)

    def _heartbeat(self, name: str, timeout: float) -> None:
        ms = max(1, int(timeout * 1000))
        now = datetime.now(UTC)
        with self.engine.connect() as conn:
            dialect = conn.dialect.name
            if dialect == "sqlite":
                conn.exec_driver_sql(f"PRAGMA busy_timeout={ms}")
            elif dialect == "postgresql":
                # set_config(..., true) is SET LOCAL: both end with this transaction.
                conn.execute(text("SELECT set_config('lock_timeout', :lock, true), "
                                  "set_config('statement_timeout', :statement, true)"),
                             {"lock": f"{ms}ms", "statement": f"{ms + 1000}ms"})
            try:
                conn.execute(_upsert(dialect, name, now))
                conn.commit()
            finally:
                if dialect == "sqlite" and not conn.invalidated:
                    _restore_busy_timeout(conn)

    def dispose(self) -> None:
        self.engine.dispose()


def _upsert(dialect: str, name: str, now: datetime) -> Executable:
    """INSERT … ON CONFLICT (name) DO UPDATE: one statement, so two processes' first beats never collide."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"heartbeat on {dialect}")
    stmt = insert(HeartbeatRow).values(name=name, at=now)
    return stmt.on_conflict_do_update(index_elements=[HeartbeatRow.name], set_={"at": stmt.excluded.at})


def _restore_busy_timeout(conn: Connection) -> None:
    """Give a pooled SQLite connection back with the normal lock wait; one that cannot take it is dropped."""
    try:
        conn.rollback()
        conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        conn.commit()
    except DBAPIError:
        conn.invalidate()
