"""The two-way exchange end to end on the sandboxes: deal events → 1C orders, and payments → deals.

    python bench/sync_transfer.py [--deals 1000] [--steady 120] [--payments 10000] [--workers 2] [--real-limits]
                                  [--fast]

Part 1, document transfer. The app is installed in a sandbox portal (through the protocol), the sandbox УТ 11 base
configured, `--deals` deals with product rows created in the NEW stage and settled; then all are moved to the
order stage at once (managers' requests, made before the app's limit is set). Each move is an ONCRMDEALUPDATE event
POSTed to the app's handler (served on loopback), written to the outbox and run by `--workers` RQ worker processes
(`b24app worker`), which read many waiting deals in shared batch calls and write back in batches
(b24app/jobs/deal_batch.py); the write-backs' own events are recognised without a read (store/own_writes.py).
Printed: the portal requests the app made per order (counted by the sandbox portal, including those after the
last order for the write-backs' own events), the time against the bound those requests imply at the limit
(`max(0, requests - burst) / rate`: 1.0 = the limit, not the app, set the pace), and the median and p95 of "event
received → 1C order posted and its number confirmed on the deal". Part 1 runs at `--order-rate` (default 50/s,
burst 500); `--real-limits` at the portal's default 2/s, burst 50 (limits.md). Then `--steady` more deals are
moved one every `--interval` seconds (the steady flow of a working day) and their transfer time is printed.

Part 2, payments into deals. `--payments` payments (one per deal: paid fields + a timeline comment, the shape the
payments stream sends) are pushed through `deal_push.push` — batches of 50 under the app's Redis limiter — at the
sandbox portal's default limit (2 requests/s, burst 50: limits.md). The ceiling is `max(0, batches - burst) / rate`
seconds; printed is the ratio of that ideal to the time taken (1.0 = every request the limit allows was used).

The last line holds the figures as key=value. `--fast`: 200 deals, 30 in the steady flow and 2,000 payments.
Redis: `B24APP_BENCH_REDIS` (default redis://127.0.0.1:6379/1); the bench
uses a fresh key prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from redis import Redis  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402
from sqlalchemy import select  # noqa: E402

from b24app.core.model import Order, OrderDocuments, Payment, PaymentKind  # noqa: E402
from b24app.runtime import Runtime  # noqa: E402
from b24app.store.models import JournalRow, OutboxRow  # noqa: E402
from b24app.sync.to_bitrix import deal_writes as deal_push  # noqa: E402
from b24app.sync.to_bitrix.deal_state import payment_comment, payment_fields  # noqa: E402
from b24app.sync.to_bitrix.deal_writes import DealUpdate  # noqa: E402
from b24app.sync.to_bitrix.user_fields import ensure_user_fields  # noqa: E402
from bench._stand import BURST, RATE, AppStand, print_figures  # noqa: E402
from tests.support import sync_data as sd  # noqa: E402
from tests.support.processes import get_json, post_json, wait_until  # noqa: E402

DEFAULT_RATE, DEFAULT_BURST = RATE, BURST  # the sandbox portal's default


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--deals", type=int, default=1000)
    p.add_argument("--payments", type=int, default=10_000)
    p.add_argument("--workers", type=int, default=2, help="RQ worker processes for part 1")
    p.add_argument("--order-rate", type=float, default=50.0, help="portal limit during part 1 (requests/s)")
    p.add_argument("--order-burst", type=int, default=500)
    p.add_argument("--real-limits", action="store_true", help="part 1 at the default 2/s, burst 50")
    p.add_argument("--steady", type=int, default=120, help="deals then moved one by one (steady flow)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between the steady flow's deals")
    p.add_argument("--fast", action="store_true", help="200 deals, 30 in the steady flow and 2,000 payments")
    p.add_argument("--skip-orders", action="store_true")
    p.add_argument("--skip-payments", action="store_true")
    options = p.parse_args(argv)
    if options.fast:
        options.deals, options.payments = min(options.deals, 200), min(options.payments, 2000)
        options.steady = min(options.steady, 30)
    if options.real_limits:
        options.order_rate, options.order_burst = DEFAULT_RATE, DEFAULT_BURST
    return options


class Stand(AppStand):
    """Sandbox portal and 1C, the app served on loopback and installed, a configured base."""

    def __init__(self, deals: int) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        super().__init__(self.tmp.name, "bench", portal_args=["--deals", str(deals)],
                         onec_args=["--counterparties", "300"], onec_timeout=180)
        self.settings = self.ctx.settings
        self.add_ut_base()
        self.env = {  # the RQ worker processes read the same settings from their environment
            "DATABASE_URL": self.settings.database_url, "REDIS_URL": self.settings.redis_url,
            "B24APP_PUBLIC_URL": self.server.url, "B24APP_CLIENT_ID": self.settings.client_id,
            "B24APP_CLIENT_SECRET": self.settings.client_secret, "B24APP_OAUTH_SERVER": self.portal.url,
            "B24APP_SECRET_KEY": self.settings.secret_key, "B24APP_DEV_INSECURE_LOOPBACK": "1",
            "B24APP_QUEUE_PREFIX": self.settings.queue_prefix,
            "B24APP_ONEC_ALLOWED_NETWORKS": ",".join(self.settings.onec_allowed_networks),
        }
        os.environ.update(self.env)

    def limit(self, rate: float, burst: float) -> None:
        super().limit(rate, burst)
        self.ctx.redis.delete(f"{self.settings.queue_prefix}:ratelimit:{self.member}")

    def close(self) -> None:
        redis = Redis.from_url(self.settings.redis_url)
        for pattern in (f"{self.settings.queue_prefix}*", f"rq:*{self.settings.queue_prefix}*"):
            for key in redis.scan_iter(pattern):
                redis.delete(key)
        self.stop()
        self.tmp.cleanup()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run_orders(stand: Stand, options: argparse.Namespace) -> dict[str, str]:
    ctx = stand.ctx
    stand.limit(500, 5000)  # set-up is not what is measured
    client = sd.manager(stand.portal.url)
    items = sd.catalog_items(client, sd.onec(stand.onec.url), 3)
    _, company, _ = sd.deal_with_company(client)
    sd.order_on_stage(ctx, stand.member)
    deals = sd.bulk_deals(client, company["ID"], items, options.deals + options.steady, stage="NEW",
                          title="Бенчмарк")
    bulk, steady = deals[:options.deals], deals[options.deals:]
    post_json(stand.portal.url + "/_sandbox/events/wait")
    sd.run_burst(ctx)  # the set-up's events: nothing to order yet
    ensure_user_fields(ctx.bitrix(stand.member), ctx.portal_settings.get(stand.member))

    workers = [subprocess.Popen([str(Path(sys.executable).with_name("b24app")), "worker"], env={**os.environ},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(options.workers)]
    try:
        moves = [("crm.deal.update", {"id": d, "fields": {"STAGE_ID": sd.ORDER_STAGE}}) for d in bulk]
        client.batch(moves).raise_first_error()  # the managers' moves, before the limit applies to the app
        stand.limit(options.order_rate, options.order_burst)
        before = _counters(stand)
        created_before = get_json(stand.onec.url + "/_sandbox/state")["ut"]["documents_created"]
        started = time.monotonic()
        wait_until(lambda: _ordered(ctx) >= len(bulk), timeout=24 * 3600, interval=0.5, what="all orders")
        elapsed = time.monotonic() - started
        used = _counters(stand)
        documents = get_json(stand.onec.url + "/_sandbox/state")["ut"]["documents_created"] - created_before
        wait_until(lambda: not ctx.outbox.counts(stand.member).get("pending"), timeout=600, interval=0.5,
                   what="the write-backs' own events")
        after_echoes = _counters(stand)
        steady_latencies = _steady(stand, steady, options.interval)
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(30)
    latencies = _latencies(ctx, bulk)
    requests = used["requests"] - before["requests"]
    echo_requests = after_echoes["requests"] - used["requests"]
    per_order = (requests + echo_requests) / len(bulk)
    bound = max(0, requests - options.order_burst) / options.order_rate
    print(f"part 1: {len(bulk)} deal events -> 1C orders, {options.workers} worker(s), portal limit "
          f"{options.order_rate:g}/s burst {options.order_burst}")
    print(f"  {elapsed:.1f} s in all, {len(bulk) / elapsed:.1f} orders/s; portal requests {requests} "
          f"(+{echo_requests} after the last order, for the write-backs' own events) = {per_order:.2f} per order; "
          f"refused by the limit {used['query_limit_exceeded'] - before['query_limit_exceeded']}")
    print(f"  the bound those requests imply at the limit: {bound:.1f} s -> ratio {bound / elapsed:.3f}")
    print(f"  transfer time median {statistics.median(latencies):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
          f"max {max(latencies):.2f} s; 1C documents created: {documents} (orders + the buyer's partner and "
          "counterparty)")
    figures = {"orders": str(len(bulk)), "seconds": f"{elapsed:.1f}", "requests_per_order": f"{per_order:.2f}",
               "bound_ratio": f"{bound / elapsed:.3f}" if elapsed else "0", "rate": f"{options.order_rate:g}"}
    if steady_latencies:
        print(f"  steady flow: {len(steady_latencies)} deals moved one every {options.interval:g} s: transfer time "
              f"median {statistics.median(steady_latencies):.2f} s, p95 {percentile(steady_latencies, 0.95):.2f} s")
        figures["steady_median_s"] = f"{statistics.median(steady_latencies):.2f}"
        figures["steady_p95_s"] = f"{percentile(steady_latencies, 0.95):.2f}"
    return figures


def _counters(stand: Stand) -> dict[str, int]:
    state = get_json(stand.portal.url + "/_sandbox/state")
    return {"requests": int(state.get("requests", 0)),
            "query_limit_exceeded": int(state.get("query_limit_exceeded", 0))}


class _FromAddress(HTTPAdapter):
    """Connections from another loopback address: the sandbox's limit is per calling IP (limits.md), and the
    managers' own clicks are not the app's requests."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - urllib3's signature
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _steady(stand: Stand, deals: list[str], interval: float) -> list[float]:
    """Move the deals to the order stage one by one, `interval` seconds apart, as managers would (through a
    webhook called from 127.0.0.2), and time each from its event to its order."""
    if not deals:
        return []
    hook = post_json(stand.portal.url + "/_sandbox/webhooks", {"user_id": 1})["url"]
    session = requests.Session()
    session.mount("http://", _FromAddress("127.0.0.2"))
    before = _ordered(stand.ctx)
    for deal_id in deals:
        answer = session.post(hook.rstrip("/") + "/crm.deal.update.json",
                              json={"id": deal_id, "fields": {"STAGE_ID": sd.ORDER_STAGE}}, timeout=30)
        answer.raise_for_status()
        time.sleep(interval)
    wait_until(lambda: _ordered(stand.ctx) >= before + len(deals), timeout=600, interval=0.5,
               what="the steady flow's orders")
    return _latencies(stand.ctx, deals)


def _ordered(ctx: Runtime) -> int:
    with ctx.db.transaction() as s:
        rows = s.execute(select(JournalRow.entity).where(JournalRow.kind == "deal_order",
                                                         JournalRow.status == "ok")).all()
    return len({r[0] for r in rows})


def _latencies(ctx: Runtime, deals: list[str]) -> list[float]:
    with ctx.db.transaction() as s:
        done = {}
        for entity, started_at, duration in s.execute(select(JournalRow.entity, JournalRow.started_at,
                                                              JournalRow.duration_ms)
                                                       .where(JournalRow.kind == "deal_order",
                                                              JournalRow.status == "ok")):
            end = started_at + timedelta(milliseconds=duration or 0)
            done[entity.split(":", 1)[1]] = min(done.get(entity.split(":", 1)[1], end), end)
        received = {}
        for entity_id, created_at in s.execute(select(OutboxRow.entity_id, OutboxRow.created_at)
                                               .where(OutboxRow.kind == "deal")):
            if entity_id in done and created_at <= done[entity_id]:
                # the latest event received before the order was made: the move to the order stage
                received[entity_id] = max(received.get(entity_id, created_at), created_at)
    return [(done[d] - received[d]).total_seconds() for d in deals if d in done and d in received]


def run_payments(stand: Stand, options: argparse.Namespace) -> dict[str, str]:
    ctx = stand.ctx
    stand.limit(500, 5000)
    client = ctx.bitrix(stand.member)
    ensure_user_fields(client, ctx.portal_settings.get(stand.member))
    settings = ctx.portal_settings.get(stand.member)
    ids = [str(d["ID"]) for d in client.list_all("crm.deal.list", {"select": ["ID"], "order": {"ID": "ASC"}})]
    ids = ids[:options.payments]
    updates = []
    for n, deal_id in enumerate(ids):
        order = Order(key=str(uuid.uuid4()), number=f"ТД00-{n + 1:06d}", date=datetime.now(), amount=Decimal("3610"))
        payment = Payment(kind=PaymentKind.BANK, key=str(uuid.uuid4()), number=f"{n + 1}", date=datetime.now(),
                          amount=Decimal("1000.00"), total=Decimal("1000.00"), posted=True)
        docs = OrderDocuments(order=order, payments=[payment])
        updates.append(DealUpdate(deal_id, payment_fields(settings, docs), [payment_comment(payment, order.number)]))
    stand.limit(DEFAULT_RATE, DEFAULT_BURST)  # the portal's default from here on: limits.md
    time.sleep(DEFAULT_BURST / DEFAULT_RATE)  # an empty bucket, as after a quiet spell
    client = ctx.bitrix(stand.member)
    started = time.monotonic()
    outcome = deal_push.push(client, updates)
    elapsed = time.monotonic() - started
    commands = sum(bool(u.fields) + len(u.comments) for u in updates)
    batches = -(-commands // 50)
    ideal = max(0, batches - DEFAULT_BURST) / DEFAULT_RATE
    state = get_json(stand.portal.url + "/_sandbox/state")
    refused = {k: state.get(k) for k in ("query_limit_exceeded", "operation_time_limit") if state.get(k)}
    print(f"part 2: {len(updates)} payments -> deals (fields + timeline comment = {commands} sub-requests in "
          f"{batches} batches) at the default limit {DEFAULT_RATE:g}/s burst {DEFAULT_BURST}")
    print(f"  {elapsed:.1f} s, {commands / elapsed:.1f} sub-requests/s ({len(updates) / elapsed:.1f} payments/s); "
          f"ceiling {ideal:.1f} s -> ratio {ideal / elapsed:.3f} of the rate-limit maximum; "
          f"confirmed {len(outcome.confirmed)}, failed {len(outcome.failed)}")
    if refused:
        print(f"  portal counters: {refused}")
    return {"payments": str(len(updates)), "payments_ratio": f"{ideal / elapsed:.3f}"}


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per event drowns the figures
    stand = Stand(max(options.payments, 200, options.deals + options.steady + 10))
    try:
        figures: dict[str, str] = {}
        if not options.skip_orders:
            figures |= run_orders(stand, options)
        if not options.skip_payments:
            figures |= run_payments(stand, options)
    finally:
        stand.close()
    print_figures(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
