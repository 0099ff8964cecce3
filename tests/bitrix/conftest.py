"""Fixtures for the Bitrix24 client tests: Redis DB 2 and the sandbox portal started as a subprocess."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
import requests

from tests.support.processes import Server, start_server, wait_until

REDIS_DB = 2  # this test folder's own database; only it is flushed


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@dataclass
class Sandbox:
    """A running sandbox portal and the calls the tests make to its control API."""

    url: str
    server: Server

    def stop(self) -> None:
        self.server.stop()

    @property
    def client_endpoint(self) -> str:
        return f"{self.url}/rest/"

    def control(self, path: str, payload: dict | None = None) -> dict:
        if payload is None and path in {"state", "health"}:
            response = requests.get(f"{self.url}/_sandbox/{path}", timeout=10)
        else:
            response = requests.post(f"{self.url}/_sandbox/{path}", json=payload or {}, timeout=30)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict:
        return self.control("state")

    def configure(self, **settings: float) -> dict:
        return self.control("config", settings)


def start_sandbox(*args: str) -> Sandbox:
    """Start ``python -m b24sandbox.portal --port 0 <args>``; wait until it answers its health check."""
    server = start_server(["b24sandbox.portal", "--port", "0", *args], "SANDBOX_PORTAL_URL")
    sandbox = Sandbox(server.url, server)
    try:
        wait_until(lambda: _healthy(sandbox.url), timeout=30, what="the sandbox portal's health check")
    except AssertionError:
        server.stop()
        raise
    return sandbox


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/_sandbox/health", timeout=2).ok
    except requests.ConnectionError:
        return False


SANDBOX_RATE = 50  # fast where the point is not the limit itself; the limit tests set their own
SANDBOX_BURST = 50
SANDBOX_DEALS = 10_050


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox portal for the folder, with 10,050 deals and a quick bucket (50/s, 50)."""
    running = start_sandbox("--deals", str(SANDBOX_DEALS), "--rate", str(SANDBOX_RATE), "--burst", str(SANDBOX_BURST))
    yield running
    running.stop()


@pytest.fixture
def portal(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The sandbox with its buckets emptied and its default limits back after the test."""
    sandbox.configure(reset_limits=True)
    yield sandbox
    sandbox.configure(rate=SANDBOX_RATE, burst=SANDBOX_BURST, operating_limit=480, reset_limits=True)


class SandboxTokens:
    """A TokenSource over a sandbox-registered app that counts how often a rejection made it refresh."""

    def __init__(self, portal: Sandbox, client_id: str = "app.bitrix.tests") -> None:
        self.portal = portal
        self.client_id = client_id
        self.client_secret = "s3cret-for-tests"
        portal.control(
            "apps",
            {
                "client_id": client_id,
                "client_secret": self.client_secret,
                "install_url": "http://127.0.0.1:9/install",
                "handler_url": "http://127.0.0.1:9/handler",
                "scopes": ["crm", "user", "placement", "event"],
                "title": "client tests",
            },
        )
        grant = portal.control(f"apps/{client_id}/tokens", {"user_id": 1})
        self.member_id = grant["member_id"]
        self.client_endpoint = grant["client_endpoint"]
        self._access = grant["access_token"]
        self._refresh = grant["refresh_token"]
        self.rejections: list[str] = []

    def access_token(self) -> str:
        return self._access

    def refresh_after_rejection(self, rejected: str) -> str:
        self.rejections.append(rejected)
        response = requests.post(
            f"{self.portal.url}/oauth/token/",
            data={
                "grant_type": "refresh_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "refresh_token": self._refresh,
            },
            timeout=10,
        )
        response.raise_for_status()
        grant = response.json()
        self._access, self._refresh = grant["access_token"], grant["refresh_token"]
        return self._access


@pytest.fixture
def tokens(portal: Sandbox) -> SandboxTokens:
    return SandboxTokens(portal)
