"""CRM → 1C for counterparties on the sandboxes: managers' phone changes on linked companies reach 1C, at the
portal's limit, and nothing comes back.

    python bench/counterparty_to_onec.py [--counterparties 300] [--changes 100] [--fast]

A sandbox УТ 11 base with `--counterparties` counterparties is loaded into an empty sandbox portal by the real first
load (`jobs/counterparties.run_base`, unthrottled: the load has its own bench, bench/counterparty_load.py), the
"CRM → 1C" switch on. Then a manager changes the phone of `--changes` linked companies (their events reach the
app's handler and wait in the outbox), the portal goes back to its default limit (2 requests/s, burst 50:
limits.md), and one worker works the outbox through the production job (`jobs/sync.run_outbox_item`). Printed:
portal requests (counted by the sandbox portal) and 1C requests (counted by the sandbox 1C) per change, 1C writes,
and the time against the bound the portal requests imply at the limit, `max(0, requests - burst) / rate` (ratio
1.0 = the portal's limit set the pace; well below it, 1C's round trips did: about one portal request a change
against a dozen 1C requests — the counterparty read before and after its write, with its contact information,
bank accounts and contact persons). Then the echo checks: the next 1C → CRM tick must write no card, and every
event delivered again must write nothing to 1C.

The last line holds the figures as key=value. `--fast`: 120 counterparties, 60 changes (well under two minutes).
Redis: `B24APP_BENCH_REDIS` (default redis://127.0.0.1:6379/1); a fresh key prefix, SQLite in a temp directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402

from b24app.bitrix.client import BitrixClient  # noqa: E402
from b24app.core.counterparty_keys import normal_phone  # noqa: E402
from b24app.core.party_settings import PartySettings  # noqa: E402
from b24app.jobs.counterparties import counterparties_pull, run_base  # noqa: E402
from b24app.jobs.outbox import StoreBases  # noqa: E402
from b24app.jobs.sync import run_outbox_item  # noqa: E402
from b24app.onec.counterparty_reads import OneCParties  # noqa: E402
from b24app.store.models import OutboxRow  # noqa: E402
from b24app.store.outbox import PENDING  # noqa: E402
from b24app.store.party_links import PartyLinks  # noqa: E402
from bench._stand import BURST, EMPTY_CRM, RATE, AppStand, print_figures  # noqa: E402
from tests.support.processes import get_json, post_json  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--counterparties", type=int, default=300)
    p.add_argument("--changes", type=int, default=100)
    p.add_argument("--fast", action="store_true", help="120 counterparties, 60 changes")
    options = p.parse_args(argv)
    if options.fast:
        options.counterparties, options.changes = 120, 60
    return options


class Stand(AppStand):
    """A sandbox portal (no seeded cards) and a sandbox УТ 11 base; the app installed and serving events; the
    base's counterparties loaded and kept in step both ways."""

    def __init__(self, counterparties: int, tmp: str) -> None:
        super().__init__(tmp, "to-onec", portal_args=EMPTY_CRM, onec_timeout=600,
                         onec_args=["--counterparties", str(counterparties), "--settlements", "0", "--bases",
                                    "ut:ut11"])
        self.base_id = self.add_ut_base()
        current, version = self.ctx.portal_settings.load(self.member)
        self.ctx.portal_settings.save(self.member, dataclasses.replace(current, counterparties=PartySettings(
            enabled_bases=(str(self.base_id),), crm_to_onec=True)), version)
        self.manager = BitrixClient(webhook_url=post_json(self.portal.url + "/_sandbox/webhooks",
                                                          {"user_id": 1})["url"])

    def onec_state(self) -> dict:
        return get_json(self.onec.url + "/_sandbox/state")["ut"]

    def wait_events(self) -> None:
        post_json(self.portal.url + "/_sandbox/events/wait")

    def pending(self) -> list[int]:
        with self.ctx.db.transaction() as s:
            return [r.id for r in s.query(OutboxRow).filter(OutboxRow.status == PENDING).order_by(OutboxRow.id)]

    def work_outbox(self) -> int:
        """One worker's loop: every pending item through the production job until none is left."""
        done = 0
        for _ in range(20):
            pending = self.pending()
            if not pending:
                return done
            for item_id in pending:
                run_outbox_item(self.ctx, item_id)
                done += 1
            self.wait_events()
        raise RuntimeError("the outbox did not empty in 20 rounds")


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the app's event endpoint logs every delivery
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        stand = Stand(options.counterparties, tmp)
        try:
            ctx, member = stand.ctx, stand.member
            stand.unthrottle()
            loaded = run_base(ctx, member, stand.base_id, full=True)
            counterparties_pull(ctx, member)  # the first tick sets the watermark
            stand.wait_events()
            stand.work_outbox()  # the load's own events: consumed at the handler or read and found unchanged
            links = PartyLinks(ctx.db).all(member, stand.base_id)
            odata, profile, _ = StoreBases(ctx.bases, ctx.profiles, member, ctx.egress).onec_for(stand.base_id)
            reader = OneCParties(odata, profile)
            cards: dict[int, str] = {}  # one 1C key per card: a 1C duplicate's two keys share one card
            for key, link in sorted(links.items()):
                if link.entity == "company" and link.crm_id and not link.person_of:
                    cards.setdefault(link.crm_id, key)
            chosen = [(key, crm_id) for crm_id, key in sorted(cards.items())][:options.changes]
            print(f"{options.counterparties} counterparties in 1C; first load made {loaded.created} cards; "
                  f"{len(chosen)} linked companies get a new phone; portal at {RATE:g} requests/s, burst {BURST}")

            phones = {key: f"+7 383 3{n:06d}" for n, (key, _) in enumerate(chosen)}
            result = stand.manager.batch([("crm.company.update", {"id": crm_id, "fields": {
                "PHONE": [{"VALUE": phones[key], "VALUE_TYPE": "WORK"}]}}) for key, crm_id in chosen])
            result.raise_first_error()
            stand.wait_events()
            queued = len(stand.pending())

            stand.limit(RATE, BURST)
            portal_before, onec_before = stand.requests(), stand.onec_state()
            started = time.monotonic()
            worked = stand.work_outbox()
            seconds = time.monotonic() - started
            portal_used = stand.requests() - portal_before
            onec_after = stand.onec_state()
            onec_used = onec_after["requests"] - onec_before["requests"]
            writes = onec_after["updated"] - onec_before["updated"]
            bound = max(0, portal_used - BURST) / RATE
            ratio = bound / seconds if seconds and bound else 0.0
            arrived = sum(1 for key, _ in chosen
                          if normal_phone(phones[key]) in {normal_phone(p) for p in reader.get(key).phones})
            print(f"{queued} outbox items, {worked} jobs in {seconds:.1f} s ({seconds / max(1, worked):.2f} s a "
                  f"job, one worker): {writes} 1C writes (a card linked to 1C duplicates writes each); {arrived} of "
                  f"{len(chosen)} phones in 1C")
            print(f"  portal requests {portal_used} ({portal_used / max(1, len(chosen)):.2f} per change), bound at "
                  f"the limit {bound:.1f} s, ratio {ratio:.2f}; 1C requests {onec_used} "
                  f"({onec_used / max(1, len(chosen)):.1f} per change)")

            stand.unthrottle()
            echo = counterparties_pull(ctx, member)
            stand.wait_events()
            stand.work_outbox()
            before_replay = stand.onec_state()["updated"]
            deliveries = [d for d in get_json(stand.portal.url + "/_sandbox/state")["deliveries"]
                          if d["event"] == "ONCRMCOMPANYUPDATE"][-len(chosen):]
            for d in deliveries:
                requests.post(d["url"], data=d["payload"], timeout=30).raise_for_status()
            replayed = stand.work_outbox()
            replay_writes = stand.onec_state()["updated"] - before_replay
            print(f"echo: the next 1C → CRM tick wrote {echo} cards; {len(deliveries)} events delivered again made "
                  f"{replayed} jobs and {replay_writes} 1C writes")
            out.update(changes=len(chosen), arrived=arrived, onec_writes=writes, seconds=f"{seconds:.1f}",
                       portal_requests=portal_used, portal_per_change=f"{portal_used / max(1, len(chosen)):.2f}",
                       onec_per_change=f"{onec_used / max(1, len(chosen)):.1f}", bound=f"{bound:.1f}",
                       ratio=f"{ratio:.3f}", seconds_per_change=f"{seconds / max(1, len(chosen)):.2f}",
                       echo_writes=echo, replay_writes=replay_writes)
        finally:
            stand.stop()
    print_figures(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
