"""Building blocks of the sync tests: a webhook client on the sandbox portal (what a manager does by hand),
1C items to sell, deals with product rows, stage settings, and RQ workers run for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rq import SimpleWorker, Worker

from b24app.bitrix.client import BitrixClient
from b24app.core.portal_settings import PortalSettings, StageMap
from b24app.onec.base import OneCBase
from b24app.onec.egress import EgressPolicy
from b24app.onec.odata import ODataClient
from b24app.runtime import Runtime
from tests.support.processes import get_json, post_json

ORDER_STAGE = "PREPARATION"
ORDER_SET = "Document_ЗаказКлиента"
# The sandbox 1C is on loopback: tests allow it as a closed-network deployment allows its 1C subnet.
SANDBOX_EGRESS = EgressPolicy.from_entries(["127.0.0.0/8"])


@dataclass(frozen=True)
class Item:
    """A 1C item and the Bitrix24 catalog product standing for it."""

    ref_key: str
    article: str
    name: str
    product_id: int


def member_id(sandbox_url: str) -> str:
    return get_json(sandbox_url + "/_sandbox/state")["member_id"]


def manager(sandbox_url: str) -> BitrixClient:
    """The portal as a manager drives it: an incoming webhook of user 1 (their changes raise the app's events)."""
    url = post_json(sandbox_url + "/_sandbox/webhooks", {"user_id": 1})["url"]
    return BitrixClient(webhook_url=url)


def onec(onec_url: str, base: str = "ut") -> ODataClient:
    return ODataClient(OneCBase(url=f"{onec_url}/{base}/", login="Администратор", password="secret",
                                profile="ut11" if base == "ut" else "bp30", name=base), egress=SANDBOX_EGRESS)


def catalog_items(client: BitrixClient, odata: ODataClient, count: int) -> list[Item]:
    """`count` 1C items with an article, each added to the Bitrix24 catalog (XML_ID = the 1C Ref_Key for the
    first, the article for the rest, the two ways a portal names 1C items)."""
    rows = odata.query("Catalog_Номенклатура", filter="IsFolder eq false and Артикул ne ''",
                       select=["Ref_Key", "Артикул", "Description"], orderby="Code", top=count).rows
    items = []
    for n, row in enumerate(rows):
        xml_id = row["Ref_Key"] if n == 0 else row["Артикул"]
        pid = client.call("crm.product.add", {"fields": {"NAME": row["Description"], "XML_ID": xml_id,
                                                         "PRICE": 100 + n}}).result
        items.append(Item(row["Ref_Key"], row["Артикул"], row["Description"], int(pid)))
    return items


def deal_with_company(client: BitrixClient) -> tuple[str, dict, dict]:
    """A seeded deal in the default pipeline whose company has requisites: (deal id, company, requisite)."""
    for deal in client.list_all("crm.deal.list", {"filter": {"CATEGORY_ID": 0, ">COMPANY_ID": 0},
                                                  "select": ["ID", "COMPANY_ID", "STAGE_ID"]}):
        reqs = client.call("crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": 4,
                                                             "ENTITY_ID": deal["COMPANY_ID"]}}).result
        if reqs and deal["STAGE_ID"] not in ("WON", "LOSE", "APOLOGY"):
            company = client.call("crm.company.get", {"id": deal["COMPANY_ID"]}).result
            client.call("crm.deal.update", {"id": deal["ID"], "fields": {"STAGE_ID": "NEW"}})
            return str(deal["ID"]), company, reqs[0]
    raise AssertionError("the seeded portal has no open deal with a company that has requisites")


def new_deal(client: BitrixClient, company_id: str, title: str) -> str:
    return str(client.call("crm.deal.add", {"fields": {"TITLE": title, "COMPANY_ID": company_id,
                                                       "CATEGORY_ID": 0, "STAGE_ID": "NEW"}}).result)


def set_rows(client: BitrixClient, deal_id: str, items: Sequence[Item], quantities: Sequence[float]) -> None:
    rows = [{"PRODUCT_ID": it.product_id, "PRODUCT_NAME": it.name, "PRICE": 1200.0 + 10 * n, "QUANTITY": q,
             "TAX_RATE": 20, "TAX_INCLUDED": "Y"} for n, (it, q) in enumerate(zip(items, quantities, strict=True))]
    client.call("crm.deal.productrows.set", {"id": deal_id, "rows": rows})


def order_on_stage(ctx: Runtime, member: str, stage: str = ORDER_STAGE) -> None:
    """Settings: deals of the default pipeline entering `stage` become 1C orders; payments move to WON-less
    stages so a test sees the move."""
    settings, version = ctx.portal_settings.load(member)
    updated = PortalSettings.from_json({**settings.to_json(), "stages": {
        "0": {"make_order": stage, "partly_paid": "EXECUTING", "paid": "FINAL_INVOICE"}}})
    assert updated.stage_map(0) == StageMap(stage, "EXECUTING", "FINAL_INVOICE", None)
    ctx.portal_settings.save(member, updated, version)


def orders_with_key(odata: ODataClient, key: str) -> list[dict]:
    rows = odata.query(ORDER_SET, filter=f"substringof('{key}', Комментарий) eq true").rows
    return [r for r in rows if key in (r.get("Комментарий") or "").split()]


class _NoCommandChannel:
    """Burst workers without RQ's pubsub command channel (remote stop/kill commands: unused by tests).

    rq 2.12 listens on it in a thread that waits up to 60 s for a message (`run_in_thread(sleep_time=60)`), and
    redis-py 8's `PubSubWorkerThread.stop()` joins that thread without a bound, so a burst that unsubscribes while
    the thread is in that wait stalls for up to a minute in teardown — long enough for leases and circuits to
    expire under a test that counts on them."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


class QuietSimpleWorker(_NoCommandChannel, SimpleWorker):
    pass


class QuietWorker(_NoCommandChannel, Worker):
    pass


def run_burst(ctx: Runtime, *, fork: bool = False, max_jobs: int | None = None) -> None:
    """Run the app's queues until empty in this process (a forking `Worker` when `fork`, as in production)."""
    worker_cls = QuietWorker if fork else QuietSimpleWorker
    worker_cls(ctx.queues(), connection=ctx.redis).work(burst=True, max_jobs=max_jobs)


def worker_process(env: dict[str, str]) -> subprocess.Popen:
    """`b24app worker` as its own process (killable with SIGKILL mid-job)."""
    command = str(Path(sys.executable).with_name("b24app"))
    return subprocess.Popen([command, "worker"], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (RQ's work horse runs in its own session, so a group kill misses it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the worker and the work horse running its job, as a crashed machine would stop them."""
    for pid in [*_children(proc.pid), proc.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(10)


def unthrottle(ctx: Runtime, sandbox_url: str, member: str, rate: float = 500, burst: int = 2000) -> None:
    """Raise the portal's rate limit on both sides (sandbox and the app's limiter) for bulk tests."""
    post_json(sandbox_url + "/_sandbox/config", {"rate": rate, "burst": burst, "reset_limits": True})
    ctx.portals.set_rate_limit(member, rate, burst)


def bulk_deals(client: BitrixClient, company_id: str, items: Sequence[Item], count: int,
               stage: str = ORDER_STAGE, title: str = "Поставка") -> list[str]:
    """`count` deals of one company, each with rows of `items`, moved to `stage` (each change raises events)."""
    added = client.batch([("crm.deal.add", {"fields": {"TITLE": f"{title} {n + 1}", "COMPANY_ID": company_id,
                                                       "CATEGORY_ID": 0, "STAGE_ID": "NEW"}})
                          for n in range(count)])
    added.raise_first_error()
    ids = [str(added.results[n]) for n in range(count)]
    rows = [{"PRODUCT_ID": it.product_id, "PRODUCT_NAME": it.name, "PRICE": 500.0, "QUANTITY": 2, "TAX_RATE": 20,
             "TAX_INCLUDED": "Y"} for it in items]
    commands = []
    for deal in ids:
        commands.append(("crm.deal.productrows.set", {"id": deal, "rows": rows}))
        commands.append(("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": stage}}))
    client.batch(commands).raise_first_error()
    return ids


def retune(ctx: Runtime, monkeypatch, **env: str) -> None:
    """Shorter leases and retries for a test: the environment for worker processes and RQ jobs (their runtime
    reads it once), and the same tuning for the test's own runtime (and the app it serves)."""
    import dataclasses

    from b24app.config import SyncTuning

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ctx.settings = dataclasses.replace(ctx.settings, sync=SyncTuning.from_env(os.environ))
    ctx.__dict__.pop("outbox", None)  # rebuilt with the new tuning on next use
    from b24app.runtime import process_runtime

    process_runtime.cache_clear()


def settle(ctx: Runtime, sandbox_url: str, *, rounds: int = 10) -> None:
    """Deliver every event the portal has queued, work every job, and repeat until nothing new arrives.

    One burst is not enough: the app's own write-backs (the order number on the deal) raise events the portal
    delivers asynchronously, and events fired right before the burst may still be in flight; a row accepted after
    the burst worker quit would stay pending. Bounded, so a loop of events fails the test instead of hanging."""
    from b24app.store.outbox import PENDING

    for _ in range(rounds):
        post_json(sandbox_url + "/_sandbox/events/wait")
        run_burst(ctx)
        post_json(sandbox_url + "/_sandbox/events/wait")
        if ctx.outbox.counts(member_id(sandbox_url))[PENDING] == 0 and all(q.count == 0 for q in ctx.queues()):
            return
    raise AssertionError(f"the exchange did not settle in {rounds} rounds of events and jobs")


def release_base(ctx: Runtime, member: str, url: str, base: str, profile: str) -> ODataClient:
    """Configure `url`/`base` (a sandbox base of some release) as the portal's 1C base under `profile`, selling as
    its first organization; the client of that base."""
    odata = ODataClient(OneCBase(url=f"{url}/{base}/", login="Администратор", password="secret", profile=profile,
                                 name=base), egress=SANDBOX_EGRESS)
    org = ctx.profiles.load(profile).object("organization")
    seller = odata.query(org.entity_set, select=[org.field("inn")], top=1).rows[0][org.field("inn")]
    ctx.bases.save(member, name=f"{base} ({profile})", url=f"{url}/{base}/", login="Администратор",
                   password="secret", profile=profile, legal_entity="seller", legal_entity_inn=seller)
    return odata


def order_live(order: dict) -> bool:
    """A УТ 11 customer order in force: posted, not closed, no row cancelled."""
    return order["Posted"] and order["Статус"] != "Закрыт" and not any(line["Отменено"] for line in order["Товары"])


def order_cancelled(order: dict) -> bool:
    """A УТ 11 customer order cancelled the way a lost deal's order is: closed, every row cancelled."""
    return order["Статус"] == "Закрыт" and all(line["Отменено"] for line in order["Товары"])


def switches(ctx: Runtime, member: str) -> list:
    """The journal's legal-entity switches of a portal, newest first."""
    from b24app.sync.to_onec.legal_entity import SWITCH_KIND

    return [e for e in ctx.journal.recent(member) if e.kind == SWITCH_KIND]
