"""`b24app demo`: the whole system on loopback — sandbox portal, app (gunicorn), worker and scheduler — with
the app installed into the sandbox portal through the real install protocol."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from b24app.store.migrate import upgrade

DEMO_DIR = Path.cwd() / ".demo"


def _start(args: list[str], env: dict[str, str], log_name: str) -> subprocess.Popen:
    log = open(DEMO_DIR / log_name, "w")  # noqa: SIM115 - closed with the process at exit
    return subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _start_sandbox(module: str, marker: str, extra: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", "0", *extra], stdout=subprocess.PIPE,
                            stderr=open(DEMO_DIR / f"{module.rsplit('.', 1)[-1]}.log", "w"),  # noqa: SIM115
                            text=True, start_new_session=True)
    line = proc.stdout.readline().strip()
    if not line.startswith(marker + "="):
        proc.kill()
        raise SystemExit(f"{module} did not start (said {line!r}); see {DEMO_DIR}")
    return proc, line.split("=", 1)[1]


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up; see the logs in {DEMO_DIR}")


def run_demo(port: int = 8000, exit_after: float | None = None) -> int:
    DEMO_DIR.mkdir(exist_ok=True)
    for stale in DEMO_DIR.glob("demo.sqlite3*"):
        stale.unlink()
    children: list[subprocess.Popen] = []

    def stop_all(*_args) -> None:
        for proc in reversed(children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in children:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        portal, portal_url = _start_sandbox("b24app.sandbox.portal", "SANDBOX_PORTAL_URL", ["--deals", "200"])
        children.append(portal)
        app_url = f"http://127.0.0.1:{port}"
        client_id = f"local.{secrets.token_hex(7)}.{secrets.token_hex(4)}"
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{DEMO_DIR / 'demo.sqlite3'}",
            "B24APP_PUBLIC_URL": app_url,
            "B24APP_CLIENT_ID": client_id,
            "B24APP_CLIENT_SECRET": secrets.token_urlsafe(24),
            "B24APP_OAUTH_SERVER": portal_url,
            "B24APP_SECRET_KEY": secrets.token_urlsafe(32),
            "B24APP_DEV_INSECURE_LOOPBACK": "1",
            "B24APP_BX24_JS_URL": portal_url + "/bx24.js",
            "B24APP_QUEUE_PREFIX": "b24demo",
        }
        upgrade(env["DATABASE_URL"])
        requests.post(portal_url + "/_sandbox/apps", json={
            "client_id": client_id, "client_secret": env["B24APP_CLIENT_SECRET"],
            "install_url": app_url + "/install", "handler_url": app_url + "/app",
            "scopes": ["crm", "placement", "user", "catalog"], "title": "b24-1c (demo)",
        }, timeout=10).raise_for_status()

        exe = [sys.executable, "-m", "b24app.cli"]
        children.append(_start([*exe, "web", "--bind", f"127.0.0.1:{port}", "--workers", "2"], env, "web.log"))
        children.append(_start([*exe, "worker"], env, "worker.log"))
        children.append(_start([*exe, "scheduler"], env, "scheduler.log"))
        _wait_http(app_url + "/healthz")

        answer = requests.post(f"{portal_url}/_sandbox/apps/{client_id}/install",
                               json={"finish": True, "lang": "ru"}, timeout=60).json()
        state = requests.get(portal_url + "/_sandbox/state", timeout=10).json()
        print("\n=== b24-1c demo ===")
        print(f"sandbox portal : {portal_url}")
        print(f"app            : {app_url}")
        ours = [p["placement"] for p in state.get("placements", []) if p["client_id"] == client_id]
        events = [e["event"] for e in state.get("events", []) if e["client_id"] == client_id]
        print(f"install        : page answered {answer.get('status')}, installFinish called: "
              f"{answer.get('install_finish_called')}, ONAPPINSTALL: "
              f"{[d['status'] for d in answer.get('onappinstall', [])]}")
        print(f"bound          : placements {ours}; events {events}")
        print(f"deal card      : {portal_url}/crm/deal/details/1/")
        print(f"company card   : {portal_url}/crm/company/details/1/")
        print(f"logs           : {DEMO_DIR}/")
        print("Ctrl-C stops everything.\n", flush=True)
        ok = bool(answer.get("installed")) and len(ours) == 2
        deadline = None if exit_after is None else time.monotonic() + exit_after
        while deadline is None or time.monotonic() < deadline:
            if any(p.poll() is not None for p in children):
                print("a demo process exited; see the logs", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0 if ok else 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all()
