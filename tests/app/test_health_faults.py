"""Outages, and the app coming back from them by itself: `/healthz` writes, so it answers 503 while the database
takes no writes (read-only, locked) or Redis is gone, in plain words and without secrets; and once the database
takes writes again the same running app — same runtime, same pool — answers 200 and stores events again.

Real parts only: the served Flask app through its test client, the real database (SQLite or PostgreSQL, see
conftest), real Redis. The read-only episode is made the way it happens: on PostgreSQL a session default
(`default_transaction_read_only`, set on a role of this test's own so other test runs sharing the database are not
touched), on SQLite a file that is not writable when a connection opens it (in a process without the capability
that lets root ignore file modes)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from b24app.config import Settings
from b24app.runtime import Runtime
from b24app.store.db import describe_failure
from b24app.store.models import HeartbeatRow
from b24app.web import create_app
from b24app.web.health import heartbeat_name
from tests.support.processes import wait_until

pytestmark = pytest.mark.db

MEMBER = "h" * 32
ROOT = Path(__file__).resolve().parents[2]


def _install(rt: Runtime) -> None:
    rt.portals.save_install(MEMBER, "health.bitrix24.ru", "https://health.bitrix24.ru/rest/", None)


def _accept_event(rt: Runtime) -> None:
    """The write an event handler makes before it acknowledges: the outbox row."""
    rt.outbox.accept(MEMBER, "deal", str(uuid.uuid4().int % 10**6), f"deal:{uuid.uuid4().hex}", {"ID": "1"})


def _healthz(client) -> tuple[int, dict]:
    r = client.get("/healthz")
    return r.status_code, r.get_json()


def _writes_after_recovery(rt: Runtime) -> list[str]:
    """Store writes until one succeeds, then several more that must all succeed; returns the failures met on the
    way (connections left from the episode)."""
    failures: list[str] = []

    def attempt() -> bool:
        try:
            _accept_event(rt)  # always a new row (a repeated install of the same portal changes nothing)
            _install(rt)
            return True
        except DBAPIError as exc:
            failures.append(describe_failure(exc))
            return False

    wait_until(attempt, timeout=15, what="a store write after the database became writable again")
    # And then every write: no connection from the episode is left in the pool to fail now and then.
    for _ in range(6):
        _accept_event(rt)
    return failures


def test_healthz_writes_a_heartbeat(ctx):
    client = create_app(context=ctx).test_client()
    assert _healthz(client) == (200, {"ok": True, "database": "ok", "redis": "ok", "secrets": "ok"})
    with ctx.db.transaction() as s:
        first = s.scalar(select(HeartbeatRow.at).where(HeartbeatRow.name == heartbeat_name()))
    assert first is not None

    def beat_moved() -> bool:
        assert _healthz(client)[0] == 200
        with ctx.db.transaction() as s:
            return s.scalar(select(HeartbeatRow.at).where(HeartbeatRow.name == heartbeat_name())) != first

    wait_until(beat_moved, what="the heartbeat row to be rewritten")
    with ctx.db.transaction() as s:
        assert s.scalar(select(HeartbeatRow.name)) == heartbeat_name()
        assert len(s.scalars(select(HeartbeatRow.name)).all()) == 1


def test_redis_down_is_named_without_secrets(settings):
    # A closed port, not the shared Redis stopped; a password in the URL must not come back in the answer.
    secret = "s3cret-" + uuid.uuid4().hex[:8]
    rt = Runtime(dataclasses.replace(settings, redis_url=f"redis://:{secret}@127.0.0.1:1/0"))
    try:
        r = create_app(context=rt).test_client().get("/healthz")
        assert r.status_code == 503
        assert r.get_json() == {"ok": False, "database": "ok", "redis": "unreachable", "secrets": "ok"}
        body = r.get_data(as_text=True)
        assert secret not in body and "127.0.0.1" not in body and settings.database_url not in body
    finally:
        rt.db.dispose()


def test_locked_database_answers_503_quickly_and_recovers(ctx, database_url):
    client = create_app(context=ctx).test_client()
    _install(ctx)
    assert _healthz(client)[0] == 200
    if database_url.startswith("sqlite"):
        import sqlite3

        holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
    else:
        holder = psycopg.connect(database_url)
        holder.execute("LOCK TABLE health_heartbeats IN ACCESS EXCLUSIVE MODE")
    try:
        started = time.monotonic()
        status, body = _healthz(client)
        took = time.monotonic() - started
        assert (status, body) == (503, {"ok": False, "database": "locked", "redis": "ok", "secrets": "not checked"})
        # The normal lock wait is 30 s; a load balancer's probe must hear sooner.
        assert took < 5, f"/healthz took {took:.1f} s on a locked database"
    finally:
        holder.rollback()
        holder.close()
    assert _healthz(client) == (200, {"ok": True, "database": "ok", "redis": "ok", "secrets": "ok"})
    assert _writes_after_recovery(ctx) == []
    # The health write gave its connection back with the normal lock wait.
    if database_url.startswith("sqlite"):
        with ctx.db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


@pytest.fixture
def read_only_role(database_url):
    """A login role of this test's own with rights on the app's tables: its session default can be made
    read-only without touching anyone else's connections to the shared test database."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a session-default read-only episode is PostgreSQL's; SQLite's is the file mode (below)")
    role, password = f"health_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    admin = psycopg.connect(database_url, autocommit=True)
    admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    admin.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    admin.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    admin.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    url = make_url(database_url).set(username=role, password=password).render_as_string(hide_password=False)

    def read_only(on: bool) -> None:
        if on:
            admin.execute(f"ALTER ROLE {role} SET default_transaction_read_only = on")
        else:
            admin.execute(f"ALTER ROLE {role} RESET default_transaction_read_only")

    def terminate() -> None:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
        wait_until(lambda: admin.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s",
                                         (role,)).fetchone()[0] == 0, what=f"{role}'s sessions to end")

    try:
        yield dataclasses.make_dataclass("Role", ["url", "read_only", "terminate"])(url, read_only, terminate)
    finally:
        read_only(False)
        terminate()
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")
        admin.close()


def _session_read_only(rt: Runtime) -> list[str]:
    """`transaction_read_only` of two connections held at once, then given back to the pool."""
    with rt.db.engine.connect() as a, rt.db.engine.connect() as b:
        return [c.exec_driver_sql("SHOW transaction_read_only").scalar() for c in (a, b)]


def test_read_only_postgres_answers_503_then_recovers_without_restart(settings, read_only_role):
    rt = Runtime(dataclasses.replace(settings, database_url=read_only_role.url))
    try:
        client = create_app(context=rt).test_client()
        _install(rt)
        assert _healthz(client)[0] == 200
        try:
            read_only_role.read_only(True)
            # Connections opened from now on start read-only; the pooled ones are ended (a failover, a restart
            # of PostgreSQL, an administrator's pg_terminate_backend) and the pool reconnects.
            read_only_role.terminate()
            assert _healthz(client) == (503, {"ok": False, "database": "read-only", "redis": "ok",
                                              "secrets": "not checked"})
            with pytest.raises(DBAPIError) as refused:
                _accept_event(rt)
            assert describe_failure(refused.value) == "read-only"
            # Reads still work, so connections opened during the episode go back to the pool read-only: the
            # fault was that they stayed there, and every write failed, after the episode ended.
            assert _session_read_only(rt) == ["on", "on"]
        finally:
            read_only_role.read_only(False)
        # Same runtime, same pool: one write meets a connection left from the episode, the pool is replaced.
        assert _writes_after_recovery(rt) == ["read-only"]
        assert _session_read_only(rt) == ["off", "off"]
        assert _healthz(client) == (200, {"ok": True, "database": "ok", "redis": "ok", "secrets": "ok"})
        # /healthz alone recovers too: it retries once on a fresh connection when its connection was spent.
        try:
            read_only_role.read_only(True)
            read_only_role.terminate()
            assert _session_read_only(rt) == ["on", "on"]
        finally:
            read_only_role.read_only(False)
        assert _healthz(client) == (200, {"ok": True, "database": "ok", "redis": "ok", "secrets": "ok"})
        assert _writes_after_recovery(rt) == []
    finally:
        rt.db.dispose()


def sqlite_read_only_episode(directory: str, redis_url: str) -> None:
    """Run in a process that obeys file modes (root without CAP_DAC_OVERRIDE): the database file turns read-only
    under a running app, then writable again. Each step asserts; the test reads the exit status and the output."""
    from b24app.store.migrate import upgrade

    path = Path(directory) / "app.sqlite3"
    upgrade(f"sqlite:///{path}")
    rt = Runtime(Settings(database_url=f"sqlite:///{path}", redis_url=redis_url, secret_key="k" * 32))
    client = create_app(context=rt).test_client()
    _install(rt)
    assert _healthz(client)[0] == 200
    os.chmod(path, 0o444)
    try:
        # A connection opened before keeps its writable file handle; the pool opens new ones while it is busy
        # (a busy web process, a restarted worker), and SQLite opens an unwritable file read-only.
        with rt.db.engine.connect() as busy:
            busy.exec_driver_sql("SELECT 1")
            status, body = _healthz(client)
            assert (status, body) == (503, {"ok": False, "database": "read-only", "redis": "ok",
                                            "secrets": "not checked"}), body
            try:
                _accept_event(rt)
                raise AssertionError("an event was stored in a read-only database")
            except DBAPIError as exc:
                assert describe_failure(exc) == "read-only", exc
            with rt.db.engine.connect() as opened_read_only:  # goes back to the pool; reads work
                opened_read_only.exec_driver_sql("SELECT count(*) FROM portals").scalar()
    finally:
        os.chmod(path, 0o644)
    failures = _writes_after_recovery(rt)
    assert failures == ["read-only"], failures
    assert _healthz(client) == (200, {"ok": True, "database": "ok", "redis": "ok", "secrets": "ok"})
    print("sqlite read-only episode: recovered")


def test_read_only_sqlite_file_answers_503_then_recovers_without_restart(database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the file-mode episode is SQLite's")
    from tests.app.conftest import REDIS_URL

    prefix = []
    if os.geteuid() == 0:
        # Root writes files whatever their mode; without these two capabilities it obeys them.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file unwritable to this process")
        caps = "-dac_override,-dac_read_search"
        prefix = [setpriv, "--bounding-set", caps, "--inh-caps", caps]
    done = subprocess.run(
        [*prefix, sys.executable, "-B", "-c",
         "import sys; from tests.app.test_health_faults import sqlite_read_only_episode as run; "
         "run(sys.argv[1], sys.argv[2])", str(tmp_path), REDIS_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "recovered" in done.stdout
