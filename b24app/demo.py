"""`b24app demo`: the whole system on loopback — sandbox portal, sandbox 1C, app (gunicorn), worker and
scheduler — with the app installed into the sandbox portal through the real install protocol, the sandbox's
УТ 11 and БП 3.0 bases configured as two legal entities, and the demo's story (both sandboxes seeded from
b24sandbox/demo_scenario.py): a client's deals linked to their 1C orders through the mapped deal field, the
client's company matched to its counterparty in both bases by the ИНН in its requisites."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from b24app.bitrix.client import BitrixClient
from b24app.config import Settings
from b24app.core.model import PaidStatus
from b24app.core.portal_settings import PortalSettings
from b24app.demo_links import client_order, write_deal_field, write_deal_number, write_deal_state
from b24app.jobs.pull import pull_now
from b24app.onec.readers import OneCDocuments
from b24app.runtime import Runtime
from b24app.store.exchange_nodes import ExchangeNodes, NodeCredentials
from b24app.store.migrate import upgrade
from b24app.sync.to_bitrix.user_fields import ensure_user_fields

DEMO_DIR = Path.cwd() / ".demo"
ONEC_LOGIN, ONEC_PASSWORD = "Администратор", "secret"  # the sandbox 1C's defaults
LEGAL_FIELD = "UF_CRM_B24_1C_LEGAL"
# The default pipeline's stages that mean something to the exchange (the portal's stage ids, crm.status.list):
# a deal reaching «Подготовка документов» becomes a 1C order, part paid is «В работе», paid in full is won.
EXCHANGE_ITEMS = 40  # the made-up catalog the sandbox 1C exchange node sends over CommerceML
DEMO_STAGES = {"make_order": "PREPARATION", "partly_paid": "EXECUTING", "paid": "WON"}


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


def add_demo_cards(client: BitrixClient, parties) -> list[int]:  # noqa: ANN001 - demo_scenario.PARTIES
    """The CRM companies a manager typed before the app came (demo_scenario.PARTIES' cards), each with its
    requisite when it has an INN: made through the portal's REST API like any card, so the counterparty page's
    preview meets 1C's counterparties by INN + KPP, by INN with another KPP, by name, and finds the CRM's own
    pair sharing a phone. Returns the companies' ids."""
    cards = [card for party in parties for card in party.cards]
    made = client.batch([("crm.company.add", {"fields": {
        "TITLE": card.title, **({"PHONE": [{"VALUE": card.phone, "VALUE_TYPE": "WORK"}]} if card.phone else {})}})
        for card in cards])
    made.raise_first_error()
    ids = [int(made.results[n]) for n in range(len(cards))]
    # crm-requisite-add.md: ENTITY_TYPE_ID 4 = company; PRESET_ID 1 = organisation on a fresh portal.
    requisites = client.batch([("crm.requisite.add", {"fields": {
        "ENTITY_TYPE_ID": 4, "ENTITY_ID": company, "PRESET_ID": 1, "NAME": "Реквизиты организации",
        "RQ_INN": card.inn, "RQ_KPP": card.kpp, "RQ_COMPANY_NAME": card.title}})
        for card, company in zip(cards, ids, strict=True) if card.inn])
    requisites.raise_first_error()
    return ids


def link_demo_data(ctx: Runtime, portal_url: str, onec_url: str) -> dict[str, str]:
    """Configure both 1C bases and link the demo's deals the way an administrator and managers would.

    The sandboxes were started with ``--demo``: company 1 and deals 1..n of the portal and the client's documents
    in 1C tell one story (b24sandbox/demo_scenario.py). Here a manager types each deal's 1C order number and
    seller legal entity, and the deal's payment and shipment fields get what the app's sync computes from 1C.
    Returns the card URLs worth opening: a paid deal, a partly paid one, the client with debt in both bases.
    """
    from b24sandbox import demo_scenario  # the demo needs the sandboxes; the product never imports them

    member_id = requests.get(portal_url + "/_sandbox/state", timeout=10).json()["member_id"]
    sellers = {}
    for family, profile, label in (("ut", "ut11", "УТ 11"), ("bp", "bp30", "БП 3.0")):
        seller = demo_scenario.seller(family)
        base = ctx.bases.save(member_id, name=f"{seller.title} ({label})", url=f"{onec_url}/{family}/",
                              login=ONEC_LOGIN, password=ONEC_PASSWORD, profile=profile,
                              legal_entity=seller.title, legal_entity_inn=seller.inn)
        sellers[family] = (seller.title, base.id)
    # The deal field naming the seller legal entity routes a deal to its base (a string field here: the
    # sandbox portal has no list fields). Stages as the scenario's deals stand: part paid → in work, paid → won.
    current, version = ctx.portal_settings.load(member_id)
    ctx.portal_settings.save(member_id, PortalSettings.from_json({
        **current.to_json(), "legal_entity_field": LEGAL_FIELD,
        "legal_entity_bases": {name: base_id for name, base_id in sellers.values()},
        "stages": {"0": DEMO_STAGES}}), version)
    settings = ctx.portal_settings.get(member_id)
    client = ctx.bitrix(member_id)
    readers = {family: OneCDocuments.for_base(ctx.bases.connection(member_id, base_id), egress=ctx.egress)
               for family, (_, base_id) in sellers.items()}
    buyer = demo_scenario.CLIENT
    ensure_user_fields(client, settings)
    status = {}
    for deal_id, deal in enumerate(demo_scenario.DEALS, start=1):
        reader = readers[deal.family]
        order = client_order(reader, buyer.inn, buyer.kpp, deal.ordered)
        write_deal_field(client, deal_id, LEGAL_FIELD, sellers[deal.family][0], "Юрлицо (база 1С)")
        write_deal_number(client, deal_id, order.number, settings.deal_fields["order_number"])
        docs = reader.order_documents(order)
        write_deal_state(client, settings, deal_id, docs)
        status[deal_id] = (docs.status, order.number)
    # The client's debt in both bases into the company's fields, as the scheduled debt pull does.
    pull_now(ctx, "debt", member_id, None, None)
    add_demo_cards(client, demo_scenario.PARTIES)
    paid = next(d for d, (s, _) in status.items() if s is PaidStatus.FULLY)
    partly = next(d for d, (s, _) in status.items() if s is PaidStatus.PARTLY)
    return {
        "paid deal": f"{portal_url}/crm/deal/details/{paid}/   (1C order {status[paid][1]})",
        "partly paid": f"{portal_url}/crm/deal/details/{partly}/   (1C order {status[partly][1]})",
        "company, debt": f"{portal_url}/crm/company/details/1/   ({buyer.title}, ИНН {buyer.inn}, "
                         "debt in both bases)",
    }


def add_exchange_node(ctx: Runtime, member_id: str) -> NodeCredentials:
    """A third base on the CommerceML route, as an administrator adds it on the settings page («Обмен с 1С через
    CommerceML»), and the catalog load switched on so what 1C's exchange sends reaches the portal's catalog."""
    node = ExchangeNodes(ctx.db, ctx.box).create(member_id, name="Обмен с сайтом (CommerceML)")
    current, version = ctx.portal_settings.load(member_id)
    ctx.portal_settings.save(member_id, PortalSettings.from_json({
        **current.to_json(), "catalog": {**current.catalog.to_json(), "enabled": True}}), version)
    return node


def run_exchange_node(app_url: str, node: NodeCredentials, items: int) -> str:
    """One exchange of the sandbox 1C exchange node with the app, as 1C's scheduled exchange would run it: the
    catalog (a made-up one of `items` items) and then the orders round. Its line of figures, or why it failed."""
    done = subprocess.run(
        [sys.executable, "-m", "b24sandbox.exchange_node", "--url", f"{app_url}/exchange/{node.token}",
         "--login", node.login, "--password", node.password, "--demo-catalog", str(items), "--timeout", "300"],
        capture_output=True, text=True, timeout=360)
    return (done.stdout.strip() or done.stderr.strip()).splitlines()[-1] if (done.stdout or done.stderr) else ""


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
        portal, portal_url = _start_sandbox("b24sandbox.portal", "SANDBOX_PORTAL_URL", ["--deals", "200", "--demo"])
        children.append(portal)
        # A catalog of 300 items (groups, units, prices, stock in five warehouses) for the catalog page's preview
        # and load: settings → «Каталог» → «Предпросмотр первой загрузки» → «Загрузить каталог».
        onec, onec_url = _start_sandbox("b24sandbox.onec", "SANDBOX_1C_URL", ["--demo", "--catalog", "300"])
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
            "B24APP_EXCHANGE_DIR": str(DEMO_DIR / "exchange"),  # what 1C's exchange node uploads
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
        cards = {}
        node, exchanged = None, ""
        if answer.get("installed"):
            ctx = Runtime(Settings.from_env(env))
            try:
                cards = link_demo_data(ctx, portal_url, onec_url)
                node = add_exchange_node(ctx, state["member_id"])
            finally:
                ctx.db.dispose()
            exchanged = run_exchange_node(app_url, node, EXCHANGE_ITEMS)
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
        print("catalog        : settings page → «Каталог и остатки из 1С»: preview, then load (300 items in 1C; the "
              "catalog load is on, so the scheduler loads them too)")
        if node is not None:
            print(f"CommerceML     : {app_url}/exchange/{node.token}  login {node.login}  password {node.password}")
            print(f"                 first exchange of the sandbox 1C node ({EXCHANGE_ITEMS} items): {exchanged}")
            print(f"                 again: python -m b24sandbox.exchange_node --url {app_url}/exchange/{node.token} "
                  f"--login {node.login} --password {node.password} --demo-catalog {EXCHANGE_ITEMS}")
        print("counterparties : settings page → «Контрагенты из 1С»: preview (matches by INN + KPP, a branch, a name "
              "to confirm, CRM duplicates), decisions, then load")
        print(f"logs           : {DEMO_DIR}/")
        print("Ctrl-C stops everything.\n", flush=True)
        ok = bool(answer.get("installed")) and len(ours) == 2 and bool(cards) and " ok=1" in f" {exchanged}"
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
