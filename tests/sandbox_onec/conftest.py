"""Starts real sandbox 1C servers as subprocesses and gives tests a small `requests` wrapper."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

LOGIN = "Администратор"
PASSWORD = "секрет-pass"


class UTF8BasicAuth(requests.auth.AuthBase):
    """Basic auth with the credentials encoded as UTF-8 (requests' default is latin-1)."""

    def __init__(self, login: str, password: str) -> None:
        self.login, self.password = login, password

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        import base64

        token = base64.b64encode(f"{self.login}:{self.password}".encode()).decode("ascii")
        request.headers["Authorization"] = f"Basic {token}"
        return request


@dataclass
class Sandbox:
    url: str
    process: subprocess.Popen

    def odata(self, base: str = "ut") -> str:
        return f"{self.url}/{base}/odata/standard.odata/"

    def get(self, resource: str, base: str = "ut", auth: object = None, **params: object) -> requests.Response:
        query = {"$format": "json", **params}
        return requests.get(self.odata(base) + resource, params=query, auth=auth or UTF8BasicAuth(LOGIN, PASSWORD),
                            timeout=30)

    def json(self, resource: str, base: str = "ut", **params: object) -> dict:
        response = self.get(resource, base, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def send(self, method: str, resource: str, base: str = "ut", body: object = None,
             headers: dict | None = None, **params: object) -> requests.Response:
        return requests.request(method, self.odata(base) + resource, params={"$format": "json", **params}, json=body,
                                headers=headers, auth=UTF8BasicAuth(LOGIN, PASSWORD), timeout=30)

    def control(self, path: str, body: object = None) -> dict:
        if body is None and path == "state":
            response = requests.get(f"{self.url}/_sandbox/state", timeout=30)
        else:
            response = requests.post(f"{self.url}/_sandbox/{path}", json=body or {}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()


def start_sandbox(*args: str) -> Sandbox:
    command = [sys.executable, "-m", "b24sandbox.onec", "--port", "0", "--user", LOGIN, "--password", PASSWORD,
               *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = process.stdout.readline().strip()
    if not line.startswith("SANDBOX_1C_URL="):
        process.kill()
        raise RuntimeError(f"sandbox did not start: {line!r}")
    return Sandbox(line.split("=", 1)[1], process)


def stop_sandbox(sandbox: Sandbox) -> None:
    sandbox.process.terminate()
    try:
        sandbox.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        sandbox.process.kill()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """Two bases (ut: УТ 11, bp: БП 3.0) with the default 300 counterparties."""
    server = start_sandbox("--seed", "7")
    yield server
    stop_sandbox(server)


@pytest.fixture
def fresh(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The shared sandbox, reset after a test that changes data, faults or schema."""
    yield sandbox
    sandbox.control("reset")
