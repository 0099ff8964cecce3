"""Fixtures: the sandbox portal as a real subprocess, and a tiny app-side HTTP receiver."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

DEALS = 10_000
# Generous limits by default so ordinary tests never meet the limiter; limit tests lower them.
RELAXED = {"rate": 10_000, "burst": 1_000_000, "operating_limit": 480, "access_ttl": 3600, "reset_limits": True}


@dataclass
class Portal:
    url: str
    process: subprocess.Popen[str]

    def control(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.post(f"{self.url}/_sandbox/{path}", json=body or {}, timeout=30)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sandbox/state", timeout=10).json()

    def webhook(self, user_id: int = 1) -> str:
        return self.control("webhooks", {"user_id": user_id})["url"]


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    # stderr goes to a file: an undrained pipe would block the server once it filled.
    log = (tmp_path_factory.mktemp("sandbox_portal") / "stderr.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "b24sandbox.portal", "--deals", str(DEALS), "--companies", "50", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline().strip()
    assert first.startswith("SANDBOX_PORTAL_URL=http://127.0.0.1:"), first
    portal = Portal(first.split("=", 1)[1], process)
    try:
        yield portal
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def portal(portal_server: Portal) -> Portal:
    """The shared portal, reset to its seeded state with relaxed limits."""
    portal_server.control("reset")
    portal_server.control("config", RELAXED)
    return portal_server


@dataclass
class Received:
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class Receiver:
    """An app-side HTTP server on loopback that records every POST."""

    url: str
    requests: list[Received] = field(default_factory=list)
    install_html: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # path -> HTML answered to a POST there
    status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, predicate, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [r for r in self.requests if predicate(r)]
            if found:
                return found
            time.sleep(0.02)
        return []

    def events(self, name: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.form.get("event") == name]


def install_page_html(portal_url: str, finish: bool = True) -> str:
    call = "BX24.installFinish();" if finish else ""
    return (
        "<!doctype html><html><head>"
        f'<script src="{portal_url}/bx24.js"></script></head><body><p id="wizard">Мастер установки</p>'
        f"<script>BX24.init(function () {{ {call} }});</script></body></html>"
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            parts = urlsplit(self.path)
            record = Received(
                parts.path,
                dict(parse_qsl(parts.query)),
                dict(parse_qsl(body, keep_blank_values=True)),
                dict(self.headers.items()),
            )
            rec = box["r"]
            with rec.lock:
                rec.requests.append(record)
            text = rec.install_html if parts.path == "/install" else rec.pages.get(parts.path, "ok")
            payload = text.encode("utf-8")
            self.send_response(rec.status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["r"] = Receiver(f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield box["r"]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class InstalledApp:
    client_id: str
    client_secret: str
    access_token: str
    refresh_token: str
    application_token: str


def register_app(portal: Portal, receiver: Receiver, client_id: str = "local.test.app") -> tuple[str, str]:
    secret = "s3cr3t-" + client_id
    portal.control(
        "apps",
        {
            "client_id": client_id,
            "client_secret": secret,
            "install_url": f"{receiver.url}/install",
            "handler_url": f"{receiver.url}/handler",
            "install_event_url": f"{receiver.url}/handler",
            "scopes": ["crm", "placement", "user"],
            "title": "1С-Синхронизация",
        },
    )
    return client_id, secret


@pytest.fixture
def installed_app(portal: Portal, receiver: Receiver) -> InstalledApp:
    """An app registered and installed with BX24.installFinish; tokens taken from ONAPPINSTALL."""
    receiver.install_html = install_page_html(portal.url, finish=True)
    client_id, secret = register_app(portal, receiver)
    answer = portal.control(f"apps/{client_id}/install", {"finish": True, "lang": "ru"})
    assert answer["installed"] is True, answer
    install_event = receiver.events("ONAPPINSTALL")[-1].form
    return InstalledApp(
        client_id,
        secret,
        install_event["auth[access_token]"],
        install_event["auth[refresh_token]"],
        install_event["auth[application_token]"],
    )
