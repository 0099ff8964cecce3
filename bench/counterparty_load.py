"""The counterparties' first load on the sandboxes: 1C's counterparties into an empty CRM at the portal's limit.

    python bench/counterparty_load.py [--counterparties 10000] [--changes 20] [--fast]

Part 1, first load. A sandbox УТ 11 base with `--counterparties` counterparties (legal entities, sole proprietors,
individuals, 1C duplicates, broken INNs, branches, a deletion mark; requisites always, bank accounts, addresses and
contact persons where the sandbox seeds them) is loaded into a sandbox portal at its default limit (2 requests/s,
burst 50: limits.md) through the production code (`jobs/counterparties.run_base`, the "sync now" load). Printed:
portal requests (counted by the sandbox portal), cards, and the time against the bound those requests imply at the
limit, `max(0, requests - burst) / rate` (ratio 1.0 = the limit, not the app, set the pace; the target is ≥ 0.9);
duplicates = cards carrying the same 1C key (must be 0).

Part 2, ticks. The first tick (no watermark yet: it walks 1C and finds every card up to date), an unchanged tick,
and a tick after `--changes` renames made in 1C through its OData PATCH: the portal requests each used.

The last line holds the figures as key=value. `--fast`: 1,000 counterparties, 10 changes (under two minutes).
Redis: `B24APP_BENCH_REDIS` (default redis://127.0.0.1:6379/1); a fresh key prefix, SQLite in a temp directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402

from b24app.core.party_settings import PartySettings  # noqa: E402
from b24app.jobs.counterparties import run_base  # noqa: E402
from b24app.store.party_links import PartyLinks  # noqa: E402
from b24app.sync.to_bitrix.party_portal import originator_id  # noqa: E402
from bench._stand import BURST, EMPTY_CRM, LOGIN, PASSWORD, RATE, AppStand, print_figures  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--counterparties", type=int, default=10_000)
    p.add_argument("--changes", type=int, default=20)
    p.add_argument("--fast", action="store_true", help="1,000 counterparties, 10 changes")
    options = p.parse_args(argv)
    if options.fast:
        # 1,000, not fewer: the load makes about one request per ten counterparties, and a load within the burst
        # (50 requests) implies no bound to compare with.
        options.counterparties, options.changes = 1000, 10
    return options


class Stand(AppStand):
    """A sandbox portal (default limits, no seeded CRM cards) and a sandbox УТ 11 base; the app installed; the
    base's counterparties confirmed for loading."""

    def __init__(self, counterparties: int, tmp: str) -> None:
        super().__init__(tmp, f"parties-{counterparties}", portal_args=EMPTY_CRM,
                         onec_args=["--counterparties", str(counterparties), "--settlements", "0", "--bases",
                                    "ut:ut11"])
        self.base_id = self.add_ut_base()
        current, version = self.ctx.portal_settings.load(self.member)
        self.ctx.portal_settings.save(self.member, dataclasses.replace(
            current, counterparties=PartySettings(enabled_bases=(str(self.base_id),))), version)

    def run(self, *, full: bool) -> tuple[object, int, float]:
        before, started = self.requests(), time.monotonic()
        figures = run_base(self.ctx, self.member, self.base_id, full=full)
        return figures, self.requests() - before, time.monotonic() - started

    def rename(self, key: str, name: str) -> None:
        answer = requests.patch(f"{self.onec.url}/ut/odata/standard.odata/Catalog_Контрагенты(guid'{key}')",
                                params={"$format": "json"}, json={"Description": name},
                                auth=(LOGIN.encode(), PASSWORD.encode()), timeout=60)
        answer.raise_for_status()

    def origins(self) -> list[str]:
        """The 1C key on every card of this base (companies and contacts), read 2,500 a request, unthrottled."""
        bitrix = self.ctx.bitrix(self.member)
        out: list[str] = []
        for entity in ("company", "contact"):
            out += [str(r["ORIGIN_ID"]) for r in bitrix.iterate_by_id_batched(f"crm.{entity}.list", {
                "select": ["ID", "ORIGIN_ID", "ORIGINATOR_ID"]})
                if r.get("ORIGIN_ID") and r.get("ORIGINATOR_ID") == originator_id(self.base_id)]
        return out


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the app's event endpoint logs every delivery
    rng = random.Random(7)
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        stand = Stand(options.counterparties, tmp)
        try:
            print(f"{options.counterparties} counterparties in 1C; portal at {RATE:g} requests/s, burst {BURST}")
            figures, used, seconds = stand.run(full=True)
            bound = max(0, used - BURST) / RATE
            ratio = bound / seconds if seconds else 0.0
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(figures.by_kind.items()))
            print(f"first load: created {figures.created} cards ({kinds}), linked {figures.linked} 1C duplicates, "
                  f"{figures.persons} contact persons; skipped {figures.skipped}, deletion-marked "
                  f"{figures.deleted}, invalid INN {figures.invalid_inn}, refused {len(figures.refused)} "
                  f"in {seconds:.1f} s")
            cards = figures.created + figures.persons
            print(f"  portal requests {used} = {cards / max(1, used):.1f} cards per request; bound at the limit "
                  f"{bound:.1f} s; ratio {ratio:.2f}")
            first_tick, first_tick_used, first_tick_seconds = stand.run(full=False)
            print(f"first tick (walks 1C, no watermark yet): {first_tick.written} writes, {first_tick_used} portal "
                  f"requests, {first_tick_seconds:.1f} s")
            unchanged, unchanged_used, unchanged_seconds = stand.run(full=False)
            print(f"unchanged tick: {unchanged.written} writes, {unchanged_used} portal requests, "
                  f"{unchanged_seconds:.1f} s")
            links = PartyLinks(stand.ctx.db).all(stand.member, stand.base_id)
            owners: dict[tuple[str, int], str] = {}
            for key, link in links.items():
                if link.crm_id:
                    owners.setdefault((link.entity, link.crm_id), key)
            chosen = rng.sample(sorted(owners.values()), min(options.changes, len(owners)))
            for n, key in enumerate(chosen):
                stand.rename(key, f"ООО «Переименован {n}»")
            changed, changed_used, changed_seconds = stand.run(full=False)
            print(f"tick after {len(chosen)} renames in 1C: updated {changed.updated}, {changed_used} portal "
                  f"requests, {changed_seconds:.1f} s")
            stand.unthrottle()
            counts = Counter(stand.origins())
            duplicates = sum(n - 1 for n in counts.values() if n > 1)
            print(f"cards carrying a 1C key: {len(counts)}; duplicates {duplicates}")
            out.update(ratio=f"{ratio:.3f}", counterparties=options.counterparties, created=figures.created,
                       linked=figures.linked, persons=figures.persons, requests=used, seconds=f"{seconds:.1f}",
                       bound=f"{bound:.1f}", duplicates=duplicates, refused=len(figures.refused) + len(
                           changed.refused), first_tick_requests=first_tick_used, unchanged_requests=unchanged_used,
                       changes=len(chosen), tick_updated=changed.updated, tick_requests=changed_used)
        finally:
            stand.stop()
    print_figures(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
