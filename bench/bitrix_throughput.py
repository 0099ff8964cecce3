"""Throughput of the Bitrix24 client under a portal's rate limit, against the sandbox portal.

    python bench/bitrix_throughput.py [--deals 10000] [--rate 2 --burst 50] [--fast] [--workers 2]

Starts the sandbox portal with the given limits, lists every deal with ``iterate_by_id_batched`` (50 list pages
of 50 chained by ``$result[...]`` references in each batch request, ``settings/how-to-call-rest-api/batch.md``)
and updates each one through ``batch`` (50 ``crm.deal.update`` per call), all through one RateLimiter in Redis
that matches the sandbox's bucket. Then it re-reads every deal (with the sandbox's limit lifted, outside the
timed part) to count updates that did not land, and reads the sandbox's count of QUERY_LIMIT_EXCEEDED answers.

The ceiling (``limits.md``: a leaky bucket admits X = burst requests at once, then Y = rate per second):

    calls      = list requests + update batches = (floor(N / 2500) + 1) + ceil(N / 50)
    best_time  = max(0, calls - burst) / rate                  seconds
    best_rate  = N / best_time                                 entities per second

Sustained, updates go at ``rate x 50`` entities/s (one batch of 50 per request); the batched listing adds only
one request per 2,500 records, so a list-then-update job approaches that ceiling, and the initial burst lifts
a short job above it. Redis for the limiter: ``B24APP_BENCH_REDIS`` (default ``redis://127.0.0.1:6379/2``; the
tests of tests/bitrix flush DB 2, so do not run them at the same time or point this elsewhere); the bench uses
one fresh key and deletes it afterwards.
"""

from __future__ import annotations

import argparse
import math
import os
import queue
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from b24app.bitrix.client import BitrixClient  # noqa: E402
from b24app.bitrix.ratelimit import RateLimiter  # noqa: E402
from tests.support.processes import start_server  # noqa: E402

PAGE = 50
LIST_PER_CALL = PAGE * 50  # records one batched list request reads
MARGIN = 3


@dataclass
class Tally:
    updated: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def best_seconds(calls: int, rate: float, burst: int) -> float:
    """Least time ``calls`` requests take through a bucket of ``burst`` draining ``rate`` per second."""
    return max(0, calls - burst) / rate


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    sandbox = start_server(
        [
            "b24sandbox.portal",
            "--port",
            "0",
            "--deals",
            str(options.deals),
            "--rate",
            str(options.rate),
            "--burst",
            str(options.burst),
        ],
        "SANDBOX_PORTAL_URL",
        timeout=120,
    )
    store = redis.Redis.from_url(os.environ.get("B24APP_BENCH_REDIS", "redis://127.0.0.1:6379/2"))
    key = f"bench:b24:{uuid.uuid4().hex}"
    try:
        return run(options, sandbox.url, store, key)
    finally:
        store.delete(key, f"{key}:operating", f"{key}:verify", f"{key}:verify:operating")
        sandbox.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=2.0, help="portal bucket drain per second (limits.md Y)")
    parser.add_argument("--burst", type=int, default=50, help="portal bucket size (limits.md X)")
    parser.add_argument("--fast", action="store_true", help="rate 20 instead of the real default, for short runs")
    parser.add_argument("--workers", type=int, default=2, help="threads sending update batches")
    options = parser.parse_args(argv)
    if options.fast:
        options.rate = 20.0
    return options


def run(options: argparse.Namespace, url: str, store: redis.Redis, key: str) -> int:
    webhook = control(url, "webhooks", {"user_id": 1})["url"]
    limiter = RateLimiter(store, key, rate=options.rate, burst=options.burst, margin=MARGIN)
    marker = f"bench {uuid.uuid4().hex[:8]}"
    before = control(url, "state")

    pages: queue.Queue[list[dict] | None] = queue.Queue(maxsize=8)
    tally = Tally()
    listed = [0]

    def lister() -> None:
        client = BitrixClient(webhook_url=webhook, limiter=limiter)
        page: list[dict] = []
        try:
            for deal in client.iterate_by_id_batched("crm.deal.list", {"select": ["ID"]}):
                listed[0] += 1
                page.append(deal)
                if len(page) == PAGE:
                    pages.put(page)
                    page = []
            if page:
                pages.put(page)
        finally:
            for _ in range(options.workers):
                pages.put(None)

    def updater() -> None:
        client = BitrixClient(webhook_url=webhook, limiter=limiter)
        while (page := pages.get()) is not None:
            commands = {d["ID"]: ("crm.deal.update", {"id": d["ID"], "fields": {"COMMENTS": marker}}) for d in page}
            outcome = client.batch(commands)
            with tally.lock:
                tally.updated += sum(1 for v in outcome.results.values() if v is True)
                tally.failed.update({str(k): str(e) for k, e in outcome.errors.items()})

    started = time.monotonic()
    threads = [threading.Thread(target=lister)] + [threading.Thread(target=updater) for _ in range(options.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    after = control(url, "state")

    lost = verify(url, store, key, marker, options.deals)
    report(options, before, after, seconds, listed[0], tally, lost)
    return 0 if lost == 0 and not tally.failed else 1


def verify(url: str, store: redis.Redis, key: str, marker: str, expected: int) -> int:
    """Re-read every deal with the sandbox's limit lifted; return how many lack the marker or are missing."""
    control(url, "config", {"rate": 1000, "burst": 1000, "reset_limits": True})
    webhook = control(url, "webhooks", {"user_id": 1})["url"]
    client = BitrixClient(webhook_url=webhook, limiter=RateLimiter(store, f"{key}:verify", rate=1000, burst=1000))
    deals = client.iterate_by_id_batched("crm.deal.list", {"select": ["ID", "COMMENTS"]})
    marked = sum(1 for deal in deals if deal.get("COMMENTS") == marker)
    return expected - marked


def report(
    options: argparse.Namespace,
    before: dict,
    after: dict,
    seconds: float,
    listed: int,
    tally: Tally,
    lost: int,
) -> None:
    n = options.deals
    list_calls = n // LIST_PER_CALL + 1
    update_calls = math.ceil(n / PAGE)
    planned = list_calls + update_calls
    limited = counter(after, "query_limit_exceeded") - counter(before, "query_limit_exceeded")
    calls = counter(after, "requests") - counter(before, "requests") + limited
    best = best_seconds(planned, options.rate, options.burst)
    best_rate = n / best if best else float("inf")
    ceiling = options.rate * PAGE
    achieved = tally.updated / seconds
    sustained = max(0, calls - options.burst) / seconds
    rows = [
        ("deals", f"{n} (listed {listed}, updated {tally.updated}, sub-errors {len(tally.failed)})"),
        ("portal limit", f"rate {options.rate:g}/s, burst {options.burst} (limiter margin {MARGIN})"),
        ("calls", f"{calls} ({list_calls} batched list requests + {update_calls} update batches needed)"),
        ("seconds", f"{seconds:.2f}"),
        ("calls/s", f"{calls / seconds:.2f} overall, {sustained:.2f} beyond the burst (rate {options.rate:g})"),
        ("entities/s", f"{achieved:.1f} = {100 * achieved / ceiling:.1f} % of the ceiling rate x 50 = {ceiling:g}"),
        ("best possible", f"{best:.2f} s = max(0, {planned} calls - {options.burst} burst) / {options.rate:g}/s"),
        ("best entities/s", f"{best_rate:.1f} = {n} / {best:.2f} s"),
        ("achieved", f"{100 * best / seconds:.1f} % of the best possible"),
        ("QUERY_LIMIT_EXCEEDED", f"{limited}"),
        ("entities lost", f"{lost}"),
    ]
    for label, text in rows:
        print(f"{label:<22} {text}")
    for deal_id, error in list(tally.failed.items())[:5]:
        print(f"  failed {deal_id}: {error}")


def counter(state: dict, name: str) -> int:
    """A count from the sandbox's /_sandbox/state answer (flat, or under "counters")."""
    if name in state:
        return int(state[name])
    return int(state.get("counters", {}).get(name, 0))


def control(url: str, path: str, payload: dict | None = None) -> dict:
    if payload is None:
        response = requests.get(f"{url}/_sandbox/{path}", timeout=30)
    else:
        response = requests.post(f"{url}/_sandbox/{path}", json=payload, timeout=30)
    response.raise_for_status()
    return response.json()


if __name__ == "__main__":
    sys.exit(main())
