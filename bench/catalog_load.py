"""The catalog stream on the sandboxes: 1C's catalog into the portal's product catalog at the portal's limit.

    python bench/catalog_load.py [--items 10000] [--changes 100] [--memory-items 100000] [--fast]

Part 1, first load. A sandbox УТ 11 base with `--items` catalog items (groups, characteristics, OKEI units,
barcodes, three price types with history, stock in five warehouses) is loaded into a sandbox portal at its default
limit (2 requests/s, burst 50: limits.md) through the production code (`jobs/catalog.run_base`: sections,
products, variations, price types, prices, stores, quantities). Printed: portal requests (counted by the sandbox
portal) per product, and the time against the bound those requests imply at the limit, `max(0, requests - burst)
/ rate` (ratio 1.0 = the limit, not the app, set the pace; the target is ≥ 0.9). A second run with nothing changed
shows what an unchanged catalog costs.

Part 2, an incremental tick. `--changes` changes made in 1C as users make them (new prices, stock moves, renames,
new items, deletion marks: the sandbox's control API) and one run: the portal requests it used.

Part 3, memory. The app's peak Python memory (tracemalloc) of an unchanged run over a catalog of `--items` and
over one of `--memory-items` (portal unthrottled: the point is memory, not pace); "flat" = the larger catalog's
peak is about the smaller one's (items are read and compared a page at a time).

The last line holds the figures as key=value. `--fast`: 500 items, 50 changes, memory at 500 and 5,000 items.
`--memory-only`: part 3 alone. tracemalloc counts this process only (the sandboxes are processes of their own; the
harness keeps a bounded tail of their logs).
Redis: `B24APP_BENCH_REDIS` (default redis://127.0.0.1:6379/1); a fresh key prefix, SQLite in a temp directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from b24app.core.catalog_settings import CatalogSettings  # noqa: E402
from b24app.jobs.catalog import catalog_links, run_base  # noqa: E402
from b24app.store.catalog_links import OFFER, PRODUCT  # noqa: E402
from bench._stand import BURST, RATE, AppStand, print_figures  # noqa: E402
from tests.support.processes import post_json  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=10_000)
    p.add_argument("--changes", type=int, default=100)
    p.add_argument("--memory-items", type=int, default=100_000)
    p.add_argument("--fast", action="store_true", help="500 items, 50 changes, memory at 500 and 5,000 items")
    p.add_argument("--memory-only", action="store_true",
                   help="part 3 alone: both catalogs loaded unthrottled, then an unchanged run of each measured")
    options = p.parse_args(argv)
    if options.fast:
        options.items, options.changes, options.memory_items = 500, 50, 5_000
    return options


class Stand(AppStand):
    """A sandbox portal (default limits) and a sandbox 1C with a catalog; the app installed; the base set up."""

    def __init__(self, items: int, tmp: str) -> None:
        super().__init__(tmp, f"catalog-{items}", portal_args=["--deals", "10"],
                         onec_args=["--counterparties", "20", "--catalog", str(items), "--bases", "ut:ut11"])
        self.base_id = self.add_ut_base()
        current, version = self.ctx.portal_settings.load(self.member)
        self.ctx.portal_settings.save(self.member, dataclasses.replace(
            current, catalog=CatalogSettings(enabled=True)), version)

    def run(self) -> tuple[object, int, float]:
        before, started = self.requests(), time.monotonic()
        figures = run_base(self.ctx, self.member, self.base_id)
        return figures, self.requests() - before, time.monotonic() - started


def make_changes(stand: Stand, count: int, rng: random.Random) -> dict[str, int]:
    """`count` changes in 1C, as users make them: 40 % prices, 40 % stock, 10 % renames, 5 % new items, 5 %
    deletion marks."""
    items = [r for r in stand.onec_rows("Catalog_Номенклатура", timeout=120, **{
                 "$filter": "IsFolder eq false", "$select": "Ref_Key,Code,Description"})
             if r["Code"] >= "00-00010000"]
    kinds = [r["Ref_Key"] for r in stand.onec_rows("Catalog_ВидыЦен", timeout=120)]
    warehouses = [r["Ref_Key"] for r in stand.onec_rows("Catalog_Склады", timeout=120)]
    control = f"{stand.onec.url}/_sandbox/ut/catalog"
    plan = {"price": int(count * 0.4), "stock": int(count * 0.4), "rename": int(count * 0.1),
            "item": int(count * 0.05)}
    plan["delete"] = count - sum(plan.values())
    chosen = rng.sample(items, count)
    n = 0
    for action, times in plan.items():
        for _ in range(times):
            item = chosen[n]
            n += 1
            if action == "price":
                post_json(f"{control}/price", {"item": item["Ref_Key"], "price_type": rng.choice(kinds),
                                               "price": round(rng.uniform(100, 9000), 2)})
            elif action == "stock":
                post_json(f"{control}/stock", {"item": item["Ref_Key"], "warehouse": rng.choice(warehouses),
                                               "quantity": rng.choice([-3, -1, 2, 5, 10])})
            elif action == "rename":
                post_json(f"{control}/rename", {"item": item["Ref_Key"], "name": item["Description"] + " (новое)"})
            elif action == "item":
                post_json(f"{control}/item", {"name": f"Новинка {n}", "article": f"NEW-{n}", "unit": "796"})
            else:
                post_json(f"{control}/delete", {"item": item["Ref_Key"], "deleted": True})
    return plan


def peak_of_unchanged_run(stand: Stand) -> float:
    """MiB of the app's peak traced memory during a run that finds nothing to write."""
    gc.collect()
    tracemalloc.start()
    try:
        run_base(stand.ctx, stand.member, stand.base_id)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    rng = random.Random(7)
    figures_out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if options.memory_only:
            small_peak = memory_of(options.items, tmp)
        else:
            small_peak = load_and_tick(options, rng, figures_out, tmp)
        big_peak = memory_of(options.memory_items, tmp)
        print(f"memory of an unchanged run: {small_peak:.1f} MiB at {options.items} items, {big_peak:.1f} MiB at "
              f"{options.memory_items} items ({big_peak / small_peak:.2f}x for "
              f"{options.memory_items / options.items:.0f}x the items)")
        figures_out.update(memory_items=options.memory_items, peak_small_mib=f"{small_peak:.1f}",
                           peak_big_mib=f"{big_peak:.1f}", memory_growth=f"{big_peak / small_peak:.2f}")
    print_figures(figures_out)
    return 0


def memory_of(items: int, tmp: str) -> float:
    """A catalog of `items` loaded unthrottled, then the peak of an unchanged run over it."""
    stand = Stand(items, tmp)
    try:
        stand.unthrottle()
        stand.run()
        return peak_of_unchanged_run(stand)
    finally:
        stand.stop()


def load_and_tick(options: argparse.Namespace, rng: random.Random, figures_out: dict, tmp: str) -> float:
    """Parts 1 and 2 at the portal's limit; returns the peak of an unchanged run over this catalog."""
    stand = Stand(options.items, tmp)
    try:
        print(f"catalog of {options.items} items; portal at {RATE:g} requests/s, burst {BURST}")
        figures, used, seconds = stand.run()
        links = catalog_links(stand.ctx)
        products = links.count(stand.member, stand.base_id, PRODUCT)
        offers = links.count(stand.member, stand.base_id, OFFER)
        bound = max(0, used - BURST) / RATE
        ratio = bound / seconds if seconds else 0.0
        print(f"first load: {products} products + {offers} variations, {figures.prices} price sets, "
              f"{figures.stock} stock figures, {figures.sections} sections in {seconds:.1f} s")
        print(f"  portal requests {used} = {used / max(1, products):.3f} per product; bound at the limit "
              f"{bound:.1f} s; ratio {ratio:.2f}; refused {len(figures.refused)}")
        again, used_again, seconds_again = stand.run()
        print(f"unchanged run: {again.written} writes, {used_again} portal requests, {seconds_again:.1f} s")
        duplicates = products + offers - len({p for p in _xml_ids(stand)})
        plan = make_changes(stand, options.changes, rng)
        changed, used_changes, seconds_changes = stand.run()
        print(f"tick after {options.changes} changes in 1C ({', '.join(f'{k} {v}' for k, v in plan.items())}): "
              f"created {changed.created}, updated {changed.updated}, deactivated {changed.deactivated}, "
              f"prices {changed.prices}, stock {changed.stock}; {used_changes} portal requests, "
              f"{seconds_changes:.1f} s")
        small_peak = peak_of_unchanged_run(stand)
        figures_out.update(ratio=f"{ratio:.3f}", items=options.items, products=products, offers=offers,
                           requests=used, requests_per_product=f"{used / max(1, products):.3f}",
                           seconds=f"{seconds:.1f}", duplicates=duplicates, unchanged_requests=used_again,
                           changes=options.changes, tick_requests=used_changes,
                           refused=len(figures.refused) + len(changed.refused))
    finally:
        stand.stop()
    return small_peak


def _xml_ids(stand: Stand) -> list[str]:
    bitrix = stand.ctx.bitrix(stand.member)
    out = []
    for iblock, method, key in ((23, "catalog.product.list", "products"), (24, "catalog.product.offer.list",
                                                                             "offers")):
        out += [str(r.get("xmlId")) for r in bitrix.iterate_by_id_batched(method, {
            "filter": {"iblockId": iblock}, "select": ["id", "iblockId", "xmlId"]}, id_field="id", page_key=key)
            if r.get("xmlId") and str(r.get("xmlId")) != str(r["id"])]
    return out


if __name__ == "__main__":
    sys.exit(main())
