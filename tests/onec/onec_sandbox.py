"""A sandbox 1C server run as a subprocess for the connector's integration tests."""

from __future__ import annotations

import subprocess
import sys

import requests

from b24app.onec.base import OneCBase
from b24app.onec.egress import EgressPolicy
from b24app.onec.odata import RetryPolicy

LOGIN, PASSWORD = "Администратор", "secret"
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2)
# The sandboxes listen on loopback, which the app refuses unless the deployment allows it: tests opt in.
LOOPBACK = EgressPolicy.from_entries(["127.0.0.0/8"])


class Sandbox:
    def __init__(self, *args: str) -> None:
        cmd = [sys.executable, "-m", "b24sandbox.onec", "--port", "0", "--seed", "1",
               "--user", LOGIN, "--password", PASSWORD, *args]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("SANDBOX_1C_URL="):
            self.proc.kill()
            raise RuntimeError(f"sandbox 1C did not start: {line!r}")
        self.url = line.split("=", 1)[1]

    def base(self, name: str = "ut", profile: str = "ut11", login: str = LOGIN, password: str = PASSWORD) -> OneCBase:
        return OneCBase(url=f"{self.url}/{name}/", login=login, password=password, profile=profile, name=name)

    def control(self, path: str, body: dict | None = None) -> dict:
        response = requests.post(f"{self.url}/_sandbox/{path}", json=body or {}, timeout=30)
        response.raise_for_status()
        return response.json()

    def state(self, base: str = "ut") -> dict:
        return requests.get(f"{self.url}/_sandbox/state", timeout=10).json()[base]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
