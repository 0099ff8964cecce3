"""Benchmark: stream 100,000 counterparties and 100,000 settlement records out of the sandbox 1C.

Starts the sandbox (`python -m b24sandbox.onec`) with the requested sizes, reads both sets in
full through the app's OData client, and prints per set: rows/s, HTTP requests made against the
minimum the page size allows, and the client's memory growth during the read (ru_maxrss delta for the
process, tracemalloc peak for Python objects) to show that streaming keeps memory flat.

    .venv/bin/python bench/onec_read.py [--rows 100000] [--page 1000]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator

from b24app.onec.base import OneCBase
from b24app.onec.egress import EgressPolicy
from b24app.onec.odata import ODataClient, minimum_requests
from b24app.onec.profiles import load_profile

LOGIN, PASSWORD = "Администратор", "bench"


def start_sandbox(rows: int) -> tuple[subprocess.Popen, str]:
    cmd = [
        sys.executable, "-m", "b24sandbox.onec", "--port", "0", "--seed", "1",
        "--counterparties", str(rows), "--settlements", str(rows), "--bases", "ut:ut11",
        "--user", LOGIN, "--password", PASSWORD,
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
    line = proc.stdout.readline().strip()
    if not line.startswith("SANDBOX_1C_URL="):
        proc.kill()
        raise SystemExit(f"sandbox did not start: {line!r}")
    return proc, line.split("=", 1)[1]


def measure(name: str, client: ODataClient, pages: Callable[[], Iterator[list[dict]]], page: int) -> None:
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    before = client.requests_made
    started = time.perf_counter()
    rows = sum(len(p) for p in pages())
    elapsed = time.perf_counter() - started
    made = client.requests_made - before
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before

    tracemalloc.start()
    sum(len(p) for p in pages())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"{name}")
    print(
        f"    rows {rows}  {rows / elapsed:.0f} rows/s  {elapsed:.1f} s  "
        f"requests {made} (ceil(rows/page) = {math.ceil(rows / page)}; a walk that stops on a short page "
        f"needs {minimum_requests(rows, page)})  "
        f"maxrss +{rss_growth / 1024:.1f} MiB  python peak {peak / 2**20:.1f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    proc, url = start_sandbox(args.rows)
    print(f"sandbox up in {time.perf_counter() - started:.1f} s at {url} (pid {proc.pid}, bench pid {os.getpid()})")
    try:
        profile = load_profile("ut11")
        # The sandbox is on loopback: allowed here as a closed-network deployment allows its 1C subnet.
        client = ODataClient(OneCBase(url=f"{url}/ut/", login=LOGIN, password=PASSWORD, name="bench"),
                             egress=EgressPolicy.from_entries(["127.0.0.0/8"]))
        counterparty = profile.object("counterparty")
        select = [counterparty.field(n) for n in ("key", "version", "name", "inn", "kpp")]
        measure(
            f"{counterparty.entity_set} (key ranges)",
            client,
            lambda: client.iter_pages_by_key(counterparty.entity_set, select=select, page_size=args.page),
            args.page,
        )
        settlements = profile.object("settlements")
        measure(
            f"{settlements.records_set} ($skip)",
            client,
            lambda: client.iter_pages(settlements.records_set, orderby=None, page_size=args.page),
            args.page,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
