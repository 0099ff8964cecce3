"""A CommerceML catalog exchange: parse + staging time and peak memory at 100,000 offers, then a portal load.

    python bench/commerceml_import.py [--offers 100000] [--load-items 2000] [--fast]

Part 1, files. An exchange of `--offers` items, one offer each (import.xml + offers.xml as 1C's exchange with a
website writes them, schema 2.08: groups, ОКЕИ units, VAT, barcodes, two price types, stock in two warehouses;
`sandboxes/b24sandbox/exchange_node/files.py`), and one of a tenth of that, are written to a temp directory. Each is
then read by a child process of its own through the production code (`jobs/commerceml_import.stage_files`: the
streaming reader, the staging table on SQLite) and merged into the base's CommerceML catalog the way the load pages
through it (`CommerceMLCatalog.item_pages`, no portal). Printed: the time of each step, wall and CPU (a run
without tracing; the CPU figure is the one that does not depend on what else the machine runs), and
the peak Python memory of both together (a second run under tracemalloc), with `ratio` = peak at N / peak at N/10
(flat memory: about 1; growing with the file: about 10) and `mib_per_10k` = the peak per 10,000 offers.

Part 2, the portal. An exchange of `--load-items` items (every fourth in two sizes) loaded into a sandbox portal at
its default limit (2 requests/s, burst 50: limits.md) by `jobs/commerceml_import.import_files` — sections,
products, variations, prices, stores, quantities — then the same exchange again (nothing to write).

The last line holds the figures as key=value. `--fast`: 5,000 offers (and 500), a portal load of 300 items.
Redis: `B24APP_BENCH_REDIS` (default redis://127.0.0.1:6379/1); a fresh key prefix, SQLite in a temp directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from b24app.core.catalog_settings import CatalogSettings  # noqa: E402
from b24app.store.migrate import upgrade  # noqa: E402
from b24sandbox.exchange_node import files as xf  # noqa: E402
from bench._stand import BURST, RATE, AppStand, print_figures  # noqa: E402

MEMBER = "bench-commerceml"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--offers", type=int, default=100_000)
    p.add_argument("--load-items", type=int, default=2_000)
    p.add_argument("--fast", action="store_true", help="5,000 offers (and 500), a portal load of 300 items")
    p.add_argument("--child", help=argparse.SUPPRESS)  # a folder of exchange files: measure it, print JSON
    p.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    options = p.parse_args(argv)
    if options.fast:
        options.offers, options.load_items = 5_000, 300
    return options


# ---------------------------------------------------------------------------------------------- part 1 (child)


def measure_child(folder: str, trace: bool) -> dict:
    """Parse + stage the folder's exchange into a fresh SQLite file, then merge it as the load would."""
    from sqlalchemy import insert

    from b24app.commerceml.catalog_source import CommerceMLCatalog
    from b24app.commerceml.staging import Staging
    from b24app.jobs.commerceml_import import stage_files
    from b24app.store.journal import Journal
    from b24app.store.models import OneCBaseRow, Portal

    url = f"sqlite:///{folder}/bench-{uuid.uuid4().hex[:6]}.sqlite3"
    upgrade(url)
    from b24app.store.db import Database

    db = Database(url)
    with db.transaction() as s:
        pid = s.execute(insert(Portal).values(member_id=MEMBER, domain="bench.bitrix24.ru",
                                              client_endpoint="https://bench.bitrix24.ru/rest/")
                        .returning(Portal.id)).scalar_one()
        base_id = s.execute(insert(OneCBaseRow).values(portal_id=pid, name="bench", url="", login="",
                                                       profile="commerceml").returning(OneCBaseRow.id)).scalar_one()

    class Context:  # what stage_files uses of the runtime: the journal
        journal = Journal(db)

    staging = Staging(db)
    paths = [str(Path(folder) / "import.xml"), str(Path(folder) / "offers.xml")]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    started, cpu_started = time.monotonic(), time.process_time()
    summaries = stage_files(Context(), staging, MEMBER, base_id, "bench", paths)  # type: ignore[arg-type]
    parsed, cpu_parsed = time.monotonic(), time.process_time()
    source = CommerceMLCatalog(staging, MEMBER, base_id, "bench")
    source.settle_references()
    items = sum(len(page.items) for page in source.item_pages())
    merged, cpu_merged = time.monotonic(), time.process_time()
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    return {"offers": sum(s.offers for s in summaries), "items": items, "parse_s": parsed - started,
            "merge_s": merged - parsed, "parse_cpu_s": cpu_parsed - cpu_started, "merge_cpu_s": cpu_merged - cpu_parsed,
            "peak_mib": peak / 2**20,
            "rss_growth_mib": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024,
            "bytes": sum(os.path.getsize(p) for p in paths)}


def run_child(folder: Path, trace: bool) -> dict:
    args = [sys.executable, __file__, "--child", str(folder)] + (["--trace"] if trace else [])
    done = subprocess.run(args, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def files_part(offers: int, tmp: str) -> dict:
    out: dict[str, object] = {}
    results = {}
    for n in (offers // 10, offers):
        folder = Path(tmp) / f"exchange-{n}"
        started = time.monotonic()
        xf.write_exchange(folder, range(n))
        made = time.monotonic() - started
        timed = run_child(folder, trace=False)
        traced = run_child(folder, trace=True)
        results[n] = (timed, traced)
        print(f"{n} offers ({timed['bytes'] / 2**20:.0f} MiB of XML, written in {made:.1f} s): parse + staging "
              f"{timed['parse_s']:.1f} s ({timed['parse_cpu_s']:.1f} s CPU), merge into the base's catalog "
              f"{timed['merge_s']:.1f} s ({timed['merge_cpu_s']:.1f} s CPU); peak traced memory "
              f"{traced['peak_mib']:.1f} MiB, RSS growth {timed['rss_growth_mib']:.1f} MiB")
        assert timed["offers"] == n and timed["items"] == n, timed
    small, big = results[offers // 10][1], results[offers][1]
    timed = results[offers][0]
    out.update(offers=offers, parse_s=f"{timed['parse_s']:.1f}", parse_cpu_s=f"{timed['parse_cpu_s']:.1f}",
               merge_s=f"{timed['merge_s']:.1f}", merge_cpu_s=f"{timed['merge_cpu_s']:.1f}",
               peak_mib=f"{big['peak_mib']:.1f}", mib_per_10k=f"{big['peak_mib'] / (offers / 10_000):.2f}",
               ratio=f"{big['peak_mib'] / small['peak_mib']:.2f}",
               rss_growth_mib=f"{timed['rss_growth_mib']:.1f}")
    return out


# ---------------------------------------------------------------------------------------------- part 2 (portal)


def portal_part(items: int, tmp: str) -> dict:
    from b24app.jobs.commerceml_import import import_files

    stand = AppStand(tmp, "portal", portal_args=["--deals", "10"])
    try:
        ctx, member = stand.ctx, stand.member
        base = ctx.bases.save(member, name="Обмен с сайтом", url="", login="", password=None, profile="commerceml")
        current, version = ctx.portal_settings.load(member)
        ctx.portal_settings.save(member, dataclasses.replace(current, catalog=CatalogSettings(
            enabled=True, base_price_type={str(base.id): xf.PRICE_TYPES[0][0]})), version)
        paths = xf.write_exchange(Path(tmp) / "portal", range(items), variants_every=4)

        def timed_run(exchange: str) -> tuple[dict, int, float]:
            before, started = stand.requests(), time.monotonic()
            figures = import_files(ctx, member, base.id, exchange, paths)
            return figures, stand.requests() - before, time.monotonic() - started

        first, used, seconds = timed_run("first")
        elements = first["created"]
        bound = max(0, used - BURST) / RATE
        print(f"portal load of {items} items ({elements} products and variations): {used} requests "
              f"({used / max(1, elements):.3f} per element), {seconds:.1f} s; the limit's bound {bound:.1f} s")
        again, used_again, seconds_again = timed_run("again")
        written = sum(again[k] for k in ("sections", "created", "updated", "deactivated", "prices", "stock"))
        print(f"the same exchange again: {written} writes, {used_again} requests, {seconds_again:.1f} s")
        return {"load_items": items, "load_elements": elements, "load_requests": used, "load_s": f"{seconds:.1f}",
                "load_ratio": f"{bound / seconds:.2f}" if seconds else "0", "again_writes": written,
                "again_requests": used_again, "refused": first["refused"]}
    finally:
        stand.stop()


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    if options.child:
        print(json.dumps(measure_child(options.child, options.trace)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        figures = files_part(options.offers, tmp)
        figures.update(portal_part(options.load_items, tmp))
    print_figures(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
