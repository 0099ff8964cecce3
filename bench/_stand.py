"""The stand the end-to-end benches share: a sandbox portal (and, when asked, a sandbox 1C) started as processes of
their own, the app registered in the portal, served on loopback (AppServer + create_app) and installed through the
protocol, with its own SQLite file in the bench's temp directory and a fresh key prefix in the bench Redis
(`B24APP_BENCH_REDIS`, default redis://127.0.0.1:6379/1); and the one line of key=value figures every bench ends
with.

A bench keeps what is its own (its 1C data, its settings, what it measures) in a subclass of `AppStand`.
"""

from __future__ import annotations

import os
import secrets
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402

from b24app.config import Settings  # noqa: E402
from b24app.runtime import Runtime  # noqa: E402
from b24app.store.migrate import upgrade  # noqa: E402
from b24app.web import create_app  # noqa: E402
from tests.support.appserver import AppServer  # noqa: E402
from tests.support.processes import Server, get_json, post_json, start_server  # noqa: E402

# The sandbox portal's default limit, an ordinary plan's: 2 requests/s drained, a burst of 50 (limits.md).
RATE, BURST = 2.0, 50
# What the sandbox 1C is started with (--user/--password) and what the app's base record stores.
LOGIN, PASSWORD = "Администратор", "secret"
EMPTY_CRM = ("--deals", "0", "--companies", "0")  # a portal whose CRM holds only what the bench adds
UNTHROTTLED = (1000, 100_000)  # rate and burst that keep both limiters out of the way
SCOPES = ["crm", "placement", "user", "catalog"]


def bench_redis() -> str:
    return os.environ.get("B24APP_BENCH_REDIS", "redis://127.0.0.1:6379/1")


class AppStand:
    """The sandbox portal (`portal_args` after `--port 0`), a sandbox 1C when `onec_args` are given (after
    `--port 0 --user LOGIN --password PASSWORD`), and the app installed in the portal: `ctx` is the app's Runtime,
    `member` the portal's member id. `database` names the SQLite file in `tmp`; `settings` adds to (or overrides)
    the app's Settings."""

    def __init__(self, tmp: str, database: str, *, portal_args: Sequence[str], onec_args: Sequence[str] | None = None,
                 onec_timeout: float = 1800, settings: Mapping[str, object] | None = None) -> None:
        self.onec: Server | None = None
        self.server: AppServer | None = None
        self.ctx: Runtime | None = None
        self.portal = start_server(["b24sandbox.portal", "--port", "0", *portal_args], "SANDBOX_PORTAL_URL",
                                   timeout=180)
        try:
            if onec_args is not None:
                self.onec = start_server(["b24sandbox.onec", "--port", "0", *onec_args, "--user", LOGIN,
                                          "--password", PASSWORD], "SANDBOX_1C_URL", timeout=onec_timeout)
            self.server = AppServer()
            self.ctx = Runtime(self._settings(tmp, database, settings or {}))
            self.member = self._install()
        except BaseException:
            self.stop()
            raise

    def _settings(self, tmp: str, database: str, extra: Mapping[str, object]) -> Settings:
        database_url = f"sqlite:///{tmp}/{database}-{uuid.uuid4().hex[:8]}.sqlite3"
        upgrade(database_url)
        if self.onec is not None:
            # The sandbox 1C listens on loopback, which the app refuses unless the deployment allows it.
            extra = {"onec_allowed_networks": ("127.0.0.0/8",), **extra}
        return Settings(
            database_url=database_url, redis_url=bench_redis(), public_url=self.server.url,
            client_id=f"local.{uuid.uuid4().hex[:12]}.{uuid.uuid4().hex[:8]}",
            client_secret=secrets.token_urlsafe(24), oauth_server=self.portal.url,
            secret_key=secrets.token_urlsafe(32), allow_insecure_loopback=True,
            queue_prefix=f"bench{uuid.uuid4().hex[:8]}", bx24_js_url=self.portal.url + "/bx24.js", **extra)

    def _install(self) -> str:
        """The app registered in the sandbox portal, served, and installed as an administrator does it (the install
        page's BX24.installFinish() included); the portal's member id."""
        settings = self.ctx.settings
        post_json(self.portal.url + "/_sandbox/apps", {
            "client_id": settings.client_id, "client_secret": settings.client_secret,
            "install_url": self.server.url + "/install", "handler_url": self.server.url + "/app",
            "scopes": SCOPES, "title": "b24-1c bench"})
        self.server.serve(create_app(context=self.ctx))
        post_json(f"{self.portal.url}/_sandbox/apps/{settings.client_id}/install", {"finish": True, "lang": "ru"})
        return get_json(self.portal.url + "/_sandbox/state")["member_id"]

    def add_ut_base(self) -> int:
        """The sandbox 1C's УТ 11 base (`ut`) saved as the portal's base; its id."""
        return self.ctx.bases.save(self.member, name="УТ 11 (sandbox)", url=f"{self.onec.url}/ut/", login=LOGIN,
                                   password=PASSWORD, profile="ut11").id

    def requests(self) -> int:
        """Requests the sandbox portal has counted so far (all apps, all methods)."""
        return int(get_json(self.portal.url + "/_sandbox/state")["requests"])

    def limit(self, rate: float, burst: float) -> None:
        """Both limiters (the sandbox's and the app's own Redis bucket) at `rate` and `burst`, buckets emptied."""
        post_json(self.portal.url + "/_sandbox/config", {"rate": rate, "burst": burst, "reset_limits": True})
        self.ctx.portals.set_rate_limit(self.member, rate, int(burst))

    def unthrottle(self) -> None:
        self.limit(*UNTHROTTLED)

    def onec_rows(self, resource: str, *, timeout: float = 300, **params: str) -> list[dict]:
        """Rows of an entity set of the УТ 11 base as its OData answers them, read straight (not through the app)."""
        answer = requests.get(f"{self.onec.url}/ut/odata/standard.odata/{resource}",
                              auth=(LOGIN.encode(), PASSWORD.encode()), params={"$format": "json", **params},
                              timeout=timeout)
        answer.raise_for_status()
        return answer.json()["value"]

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.portal.stop()
        if self.onec is not None:
            self.onec.stop()
        if self.ctx is not None:
            self.ctx.db.dispose()


def print_figures(figures: Mapping[str, object]) -> None:
    """The bench's last line: its figures as key=value, in the order given."""
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
