"""Starting real servers (the sandboxes) as subprocesses and learning where they listen."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import requests


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    output: deque[str]  # the last lines the process printed (for the message when it fails to start)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_server(args: Sequence[str], marker: str, *, env: dict | None = None, timeout: float = 60) -> Server:
    """Run `python -m <args>` and wait for the first stdout line `<marker>=<url>`."""
    proc = subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
    )
    # Bounded: a sandbox logs a line per request, and a long run (a benchmark) must not keep them all.
    output: deque[str] = deque(maxlen=400)
    found: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        for line in proc.stdout:  # keeps draining so the child never blocks on a full pipe
            output.append(line)
            if not found and line.startswith(marker + "="):
                found.append(line.split("=", 1)[1].strip())
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(timeout) or not found:
        proc.kill()
        raise RuntimeError(f"{' '.join(args)} did not start:\n{''.join(list(output)[-40:])}")
    return Server(proc, found[0], output)


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def get_json(url: str, **kw) -> dict:
    r = requests.get(url, timeout=10, **kw)
    r.raise_for_status()
    return r.json()


def post_json(url: str, payload: dict | None = None, **kw) -> dict:
    r = requests.post(url, json=payload or {}, timeout=30, **kw)
    r.raise_for_status()
    return r.json()
