"""Fixtures for the app's own tests: a migrated database (SQLite or PostgreSQL), real Redis, the sandbox
portal as a subprocess, and the app served over loopback."""

from __future__ import annotations

import os
import secrets
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from redis import Redis

from b24app.config import Settings
from b24app.runtime import Runtime
from b24app.store.migrate import upgrade
from b24app.web import create_app
from tests.support.appserver import AppServer
from tests.support.processes import post_json, start_server

REDIS_URL = os.environ.get("B24APP_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
# The sandbox 1C listens on loopback, which the app refuses to call unless the deployment allows it.
ONEC_ALLOWED_NETWORKS = ("127.0.0.0/8",)
DATABASE = os.environ.get("B24APP_TEST_DATABASE", "sqlite")


def _fresh_postgres(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path | None:
    """One SQLite file migrated to head per session; each test gets a copy of it (the same schema and rows
    `upgrade` makes) instead of running every migration again: a quarter second a test. None on PostgreSQL."""
    if DATABASE.startswith("postgresql"):
        return None
    path = tmp_path_factory.mktemp("migrated") / "app.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def _copy_sqlite(source: Path, target: Path) -> None:
    # The backup API copies a consistent image whatever journal mode or open handles the source has.
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture
def database_url(tmp_path, migrated_sqlite) -> str:
    if migrated_sqlite is None:
        url = _fresh_postgres(DATABASE)
        upgrade(url)
        return url
    target = tmp_path / "app.sqlite3"
    _copy_sqlite(migrated_sqlite, target)
    return f"sqlite:///{target}"


@pytest.fixture
def redis_client():
    client = Redis.from_url(REDIS_URL)
    client.ping()
    yield client
    client.close()


@pytest.fixture
def queue_prefix(redis_client) -> str:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    yield prefix
    # Large SCAN pages and batched deletes: the test Redis holds every earlier test's leftovers of other kinds.
    for pattern in (f"{prefix}*", f"rq:*{prefix}*"):
        keys = list(redis_client.scan_iter(pattern, count=10_000))
        for i in range(0, len(keys), 500):
            redis_client.delete(*keys[i:i + 500])


@pytest.fixture(scope="module")
def portal_sandbox():
    server = start_server(["b24sandbox.portal", "--port", "0", "--deals", "60"], "SANDBOX_PORTAL_URL")
    yield server
    server.stop()


@pytest.fixture
def sandbox_url(portal_sandbox) -> str:
    post_json(portal_sandbox.url + "/_sandbox/reset")
    return portal_sandbox.url


@pytest.fixture
def app_server():
    server = AppServer()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url, queue_prefix, sandbox_url, app_server, tmp_path) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=REDIS_URL,
        public_url=app_server.url,
        client_id=f"local.{uuid.uuid4().hex[:12]}.{uuid.uuid4().hex[:8]}",
        client_secret=secrets.token_urlsafe(24),
        oauth_server=sandbox_url,
        secret_key=secrets.token_urlsafe(32),
        allow_insecure_loopback=True,
        queue_prefix=queue_prefix,
        bx24_js_url=sandbox_url + "/bx24.js",
        onec_allowed_networks=ONEC_ALLOWED_NETWORKS,
        exchange_dir=str(tmp_path / "exchange"),  # CommerceML uploads stay out of the working tree
    )


@pytest.fixture
def settings_env(settings, monkeypatch) -> dict[str, str]:
    """The same settings as environment variables, for subprocesses and RQ jobs (which read the environment)."""
    env = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "B24APP_PUBLIC_URL": settings.public_url,
        "B24APP_CLIENT_ID": settings.client_id,
        "B24APP_CLIENT_SECRET": settings.client_secret,
        "B24APP_OAUTH_SERVER": settings.oauth_server,
        "B24APP_SECRET_KEY": settings.secret_key,
        "B24APP_DEV_INSECURE_LOOPBACK": "1",
        "B24APP_QUEUE_PREFIX": settings.queue_prefix,
        "B24APP_BX24_JS_URL": settings.bx24_js_url,
        "B24APP_ONEC_ALLOWED_NETWORKS": ",".join(settings.onec_allowed_networks),
        "B24APP_EXCHANGE_DIR": settings.exchange_dir,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    from b24app.runtime import process_runtime

    process_runtime.cache_clear()
    yield env
    process_runtime.cache_clear()


@pytest.fixture
def ctx(settings) -> Runtime:
    context = Runtime(settings)
    yield context
    context.db.dispose()


@pytest.fixture
def registered_app(settings, sandbox_url) -> dict:
    """The app registered in the sandbox portal as a local app (what an administrator does by hand)."""
    post_json(sandbox_url + "/_sandbox/apps", {
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
        "install_url": settings.public_url + "/install",
        "handler_url": settings.public_url + "/settings",
        "scopes": ["crm", "placement", "user", "catalog"],
        "title": "b24-1c",
    })
    return {"client_id": settings.client_id}


@pytest.fixture
def running_app(ctx, app_server, registered_app):
    """The app served on loopback and registered in the sandbox, not yet installed."""
    app_server.serve(create_app(context=ctx))
    return app_server


@pytest.fixture
def installed(ctx, running_app, settings, sandbox_url) -> dict:
    """Installed through the portal's protocol; returns the control API's account of it."""
    answer = post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/install", {"finish": True, "lang": "ru"})
    return answer


ONEC_LOGIN, ONEC_PASSWORD = "Администратор", "secret"


# The sandbox 1C servers live for the session: every test reaches them through `onec_url` / `releases_url`, which
# reset every base to its seed first (the sandbox rebuilds bases, faults included, and keeps no other state).
@pytest.fixture(scope="session")
def onec_sandbox():
    """Two sandbox 1C bases on one port: `ut` (УТ 11) and `bp` (БП 3.0)."""
    server = start_server(["b24sandbox.onec", "--port", "0", "--counterparties", "300",
                           "--user", ONEC_LOGIN, "--password", ONEC_PASSWORD], "SANDBOX_1C_URL")
    yield server
    server.stop()


# Bases built from the facts of the other releases the profiles claim (УТ 11.4, БП 3.0.198 / 3.0.83, УНФ 3.0.12):
# base name -> (sandbox configuration, profile).
RELEASE_BASES = {"ut4": ("ut11_4", "ut11_4"), "bp": ("bp30", "bp30"), "bp83": ("bp30_83", "bp30_83"),
                 "unf": ("unf", "unf")}


@pytest.fixture(scope="session")
def releases_sandbox():
    """A sandbox 1C serving RELEASE_BASES (reset before each use by `releases_url`)."""
    bases = ",".join(f"{name}:{config}" for name, (config, _) in RELEASE_BASES.items())
    server = start_server(["b24sandbox.onec", "--port", "0", "--counterparties", "120", "--user", ONEC_LOGIN,
                           "--password", ONEC_PASSWORD, "--bases", bases], "SANDBOX_1C_URL")
    yield server
    server.stop()


@pytest.fixture
def releases_url(releases_sandbox) -> str:
    post_json(releases_sandbox.url + "/_sandbox/reset")
    return releases_sandbox.url


@pytest.fixture
def onec_url(onec_sandbox) -> str:
    post_json(onec_sandbox.url + "/_sandbox/reset")
    return onec_sandbox.url


@pytest.fixture
def configured_base(ctx, installed, onec_url, sandbox_url):
    """The installed portal with the sandbox УТ 11 base configured as its (only) 1C base."""
    from tests.support.processes import get_json

    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    return ctx.bases.save(member_id, name="ООО «Ромашка» (УТ 11)", url=f"{onec_url}/ut/", login=ONEC_LOGIN,
                          password=ONEC_PASSWORD, profile="ut11", legal_entity="ООО «Ромашка»",
                          legal_entity_inn="7707083893")
