"""`b24app demo`: the whole system on loopback — sandbox portal, sandbox 1C, app (gunicorn), worker and
scheduler — with the app installed into the sandbox portal through the real install protocol, the sandbox's
УТ 11 and БП 3.0 bases configured as two legal entities, a few deals linked to 1C orders through the mapped
deal field and a company linked to a client of both bases by the ИНН in its requisites."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from b24app.config import Settings
from b24app.core.model import PaidStatus
from b24app.core.portal_settings import PortalSettings
from b24app.demo_links import make_shared_debtor, write_company_inn, write_deal_field, write_deal_number
from b24app.onec.readers import OneCDocuments
from b24app.runtime import Runtime
from b24app.store.migrate import upgrade

DEMO_DIR = Path.cwd() / ".demo"
ONEC_LOGIN, ONEC_PASSWORD = "Администратор", "secret"  # the sandbox 1C's defaults
# Deals 1-4 of the demo portal and the seeded УТ 11 orders (seed 1) typed into their order-number field.
DEMO_DEALS = {1: "ТД00-000004", 2: "ТД00-000003", 3: "ТД00-000011", 4: "ТД00-000012"}
LEGAL_FIELD = "UF_CRM_B24_1C_LEGAL"


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


def _link_demo_data(env: dict[str, str], portal_url: str, onec_url: str) -> dict[str, str]:
    """Configure both 1C bases and link deals and a company the way an administrator and managers would.

    Returns the card URLs worth opening: a paid deal, a partly paid one, a company with debt in both bases.
    """
    ctx = Runtime(Settings.from_env(env))
    try:
        member_id = requests.get(portal_url + "/_sandbox/state", timeout=10).json()["member_id"]
        ut = ctx.bases.save(member_id, name="ООО «Ромашка» (УТ 11)", url=f"{onec_url}/ut/", login=ONEC_LOGIN,
                            password=ONEC_PASSWORD, profile="ut11", legal_entity="ООО «Ромашка»")
        bp = ctx.bases.save(member_id, name="ООО «Ромашка-Сервис» (БП 3.0)", url=f"{onec_url}/bp/",
                            login=ONEC_LOGIN, password=ONEC_PASSWORD, profile="bp30",
                            legal_entity="ООО «Ромашка-Сервис»")
        # The deal field naming the seller legal entity routes a deal to its base (a string field here: the
        # sandbox portal has no list fields).
        current, version = ctx.portal_settings.load(member_id)
        ctx.portal_settings.save(member_id, PortalSettings.from_json({
            **current.to_json(), "legal_entity_field": LEGAL_FIELD,
            "legal_entity_bases": {"ООО «Ромашка»": ut.id, "ООО «Ромашка-Сервис»": bp.id}}), version)
        number_field = ctx.portal_settings.get(member_id).deal_fields["order_number"]
        client = ctx.bitrix(member_id)
        reader = OneCDocuments.for_base(ctx.bases.connection(member_id, ut.id), egress=ctx.egress)
        status = {}
        for deal_id, number in DEMO_DEALS.items():
            write_deal_field(client, deal_id, LEGAL_FIELD, "ООО «Ромашка»", "Юрлицо (база 1С)")
            write_deal_number(client, deal_id, number, number_field)
            status[deal_id] = reader.order_documents(reader.order_by_number(number)).status
        debtor = make_shared_debtor(reader, OneCDocuments.for_base(ctx.bases.connection(member_id, bp.id),
                                                                   egress=ctx.egress))
        write_company_inn(client, 1, debtor.inn, debtor.kpp)
        paid = next(d for d, s in status.items() if s is PaidStatus.FULLY)
        partly = next(d for d, s in status.items() if s is PaidStatus.PARTLY)
        return {
            "paid deal": f"{portal_url}/crm/deal/details/{paid}/   (1C order {DEMO_DEALS[paid]})",
            "partly paid": f"{portal_url}/crm/deal/details/{partly}/   (1C order {DEMO_DEALS[partly]})",
            "company, debt": f"{portal_url}/crm/company/details/1/   (ИНН {debtor.inn}, debt in both bases)",
        }
    finally:
        ctx.db.dispose()


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
        portal, portal_url = _start_sandbox("b24sandbox.portal", "SANDBOX_PORTAL_URL", ["--deals", "200"])
        children.append(portal)
        onec, onec_url = _start_sandbox("b24sandbox.onec", "SANDBOX_1C_URL", [])
        children.append(onec)
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
            # The sandbox 1C is on loopback, which the app calls only when allowed (as a closed network's 1C).
            "B24APP_ONEC_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
        upgrade(env["DATABASE_URL"])
        requests.post(portal_url + "/_sandbox/apps", json={
            "client_id": client_id, "client_secret": env["B24APP_CLIENT_SECRET"],
            "install_url": app_url + "/install", "handler_url": app_url + "/settings",
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
        cards = _link_demo_data(env, portal_url, onec_url) if answer.get("installed") else {}
        print("\n=== b24-1c demo ===")
        print(f"sandbox portal : {portal_url}")
        print(f"sandbox 1C     : {onec_url}/ut/ (УТ 11), {onec_url}/bp/ (БП 3.0); {ONEC_LOGIN} / {ONEC_PASSWORD}")
        print(f"app            : {app_url}")
        ours = [p["placement"] for p in state.get("placements", []) if p["client_id"] == client_id]
        events = [e["event"] for e in state.get("events", []) if e["client_id"] == client_id]
        print(f"install        : page answered {answer.get('status')}, installFinish called: "
              f"{answer.get('install_finish_called')}, ONAPPINSTALL: "
              f"{[d['status'] for d in answer.get('onappinstall', [])]}")
        print(f"bound          : placements {ours}; events {events}")
        for label, url in cards.items():
            print(f"{label:<15}: {url}")
        print("               (open the card's «1С: …» tab; add ?lang=en for English)")
        print(f"settings page  : {portal_url}/marketplace/app/{client_id}/   (the app's own page, as an admin)")
        print(f"logs           : {DEMO_DIR}/")
        print("Ctrl-C stops everything.\n", flush=True)
        ok = bool(answer.get("installed")) and len(ours) == 2 and bool(cards)
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
