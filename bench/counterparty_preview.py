"""The counterparty preview on the sandboxes: what reading both sides and matching them costs before a first load.

    python bench/counterparty_preview.py [--counterparties 10000] [--fast]

A sandbox УТ 11 base with `--counterparties` counterparties and a sandbox portal whose CRM already knows most of
them: as many companies as 1C has counterparties, each with a requisite and a phone — 60 % carrying a 1C
counterparty's INN + KPP, 10 % its INN with another KPP, the rest INNs of their own — and 1 % pairs sharing a phone
(the CRM's own duplicates). The CRM is seeded unthrottled through REST; then the preview runs through the production
code (`jobs/counterparty_preview.preview_base`) at the portal's default limit (2 requests/s, burst 50: limits.md).

Printed: portal requests of the preview (counted by the sandbox portal) and what they read (companies, contacts,
requisites, `crm.duplicate.findbycomm` values: 20 a call, 50 calls a request), the time next to the bound the
requests imply at the limit, `max(0, requests - burst) / rate` (a preview of 10,000 cards stays inside the burst, so
its time is reading and matching, not waiting for the limit), and the preview's counts.
The last line holds the figures as key=value. `--fast`: 1,000 counterparties.
Redis: `B24APP_BENCH_REDIS` (default redis://127.0.0.1:6379/1); a fresh key prefix, SQLite in a temp directory.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stdnum.ru import inn as stdnum_inn  # noqa: E402

from b24app.jobs.counterparty_preview import preview_base  # noqa: E402
from b24app.sync import counterparty_preview  # noqa: E402
from bench._stand import BURST, EMPTY_CRM, RATE, AppStand, print_figures  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--counterparties", type=int, default=10_000)
    p.add_argument("--fast", action="store_true", help="1,000 counterparties")
    options = p.parse_args(argv)
    if options.fast:
        options.counterparties = 1_000
    return options


class Stand(AppStand):
    """A sandbox portal with an empty CRM (default limits) and a sandbox 1C; the app installed; the base set up."""

    def __init__(self, counterparties: int, tmp: str) -> None:
        super().__init__(tmp, "preview", portal_args=EMPTY_CRM,
                         onec_args=["--counterparties", str(counterparties), "--bases", "ut:ut11"])
        self.base_id = self.add_ut_base()

    def counterparties(self) -> list[dict]:
        return self.onec_rows("Catalog_Контрагенты", **{"$select": "Ref_Key,ИНН,КПП,Description"})


def _kpp_elsewhere(kpp: str) -> str:
    return f"{kpp[:2]}{(int(kpp[2:4]) % 98) + 1:02d}{kpp[4:]}" if len(kpp) == 9 and kpp[2:4].isdigit() else ""


def seed_crm(stand: Stand, rows: list[dict], rng: random.Random) -> int:
    """As many CRM companies as 1C rows, each with a requisite (see the module docstring); returns cards made."""
    client = stand.ctx.bitrix(stand.member)
    cards = []
    for n, row in enumerate(rows):
        roll = rng.random()
        if roll < 0.6 and row["ИНН"]:
            inn, kpp = row["ИНН"], row["КПП"]
        elif roll < 0.7 and row["ИНН"] and row["КПП"]:
            inn, kpp = row["ИНН"], _kpp_elsewhere(row["КПП"])
        else:  # a valid INN of the CRM's own (check digit by the FNS rule, python-stdnum)
            body = f"{770_000_000 + n:09d}"
            inn, kpp = body + stdnum_inn.calc_company_check_digit(body), "770001001"
        phone = f"+7 812 {n // 2 if n % 100 < 2 else n + 5_000_000:07d}"  # 1 % pairs share a phone
        cards.append((f"Клиент CRM {n}", inn, kpp, phone))
    made = client.batch([("crm.company.add", {"fields": {
        "TITLE": title, "PHONE": [{"VALUE": phone, "VALUE_TYPE": "WORK"}]}}) for title, _, _, phone in cards])
    made.raise_first_error()
    requisites = client.batch([("crm.requisite.add", {"fields": {
        "ENTITY_TYPE_ID": 4, "ENTITY_ID": int(made.results[n]), "PRESET_ID": 1, "NAME": "Реквизиты",
        "RQ_INN": inn, "RQ_KPP": kpp}}) for n, (_, inn, kpp, _) in enumerate(cards)])
    requisites.raise_first_error()
    return len(cards)


def timed(spent: dict[str, float]) -> None:
    """Wrap the preview's steps so the run says where its time went (the sandbox answers findbycomm by walking
    every card per value, as no real portal does: its share is the sandbox's, not the app's)."""
    for name in ("read_crm_parties", "comm_duplicates", "build_preview"):
        step = getattr(counterparty_preview, name)

        def wrapper(*args, _step=step, _name=name, **kwargs):  # noqa: ANN002, ANN003, ANN202
            begun = time.monotonic()
            try:
                return _step(*args, **kwargs)
            finally:
                spent[_name] = spent.get(_name, 0.0) + time.monotonic() - begun

        setattr(counterparty_preview, name, wrapper)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        stand = Stand(options.counterparties, tmp)
        try:
            rows = stand.counterparties()
            stand.unthrottle()
            cards = seed_crm(stand, rows, rng)
            print(f"stand ready in {time.monotonic() - started:.0f} s: {len(rows)} 1C counterparties, "
                  f"{cards} CRM companies with requisites", flush=True)
            stand.limit(RATE, BURST)
            spent: dict[str, float] = {}
            timed(spent)
            before, begun = stand.requests(), time.monotonic()
            preview = preview_base(stand.ctx, stand.member, stand.base_id)
            seconds, used = time.monotonic() - begun, stand.requests() - before
        finally:
            stand.stop()
    bound = max(0.0, used - BURST) / RATE
    counts = preview["counts"]
    print(f"preview: {used} portal requests for {cards} companies and their requisites, {seconds:.1f} s "
          f"(bound at the limit {bound:.1f} s)")
    onec_seconds = seconds - sum(spent.values())
    print(f"time: CRM read {spent['read_crm_parties']:.1f} s, findbycomm {spent['comm_duplicates']:.1f} s, "
          f"matching {spent['build_preview']:.1f} s, 1C read and the rest {onec_seconds:.1f} s")
    print("counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    figures = {"counterparties": len(rows), "crm_cards": cards, "requests": used, "seconds": f"{seconds:.1f}",
               "bound_seconds": f"{bound:.1f}", "crm_read_seconds": f"{spent['read_crm_parties']:.1f}",
               "findbycomm_seconds": f"{spent['comm_duplicates']:.1f}",
               "match_seconds": f"{spent['build_preview']:.1f}", "onec_seconds": f"{onec_seconds:.1f}",
               "requests_per_1000_cards": f"{1000 * used / cards:.1f}", "by_inn_kpp": counts["by_inn_kpp"],
               "other_kpp": counts["other_kpp"], "crm_duplicates": counts["crm_duplicates"],
               "to_create": counts["to_create"]}
    print_figures(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
