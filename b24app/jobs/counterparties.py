"""The counterparties in the job layer: the confirmed first load of a base ("sync now" job `load`) and the
"counterparties" stream tick (`jobs/sync.py`), both through `sync/to_bitrix/party_load.py`, one run per base at a
time. Nothing runs for a base the administrator has not confirmed (`settings.counterparties.enabled_bases`, set
when the load is confirmed on the counterparties page after the preview).
"""

from __future__ import annotations

from collections.abc import Callable

from b24app.core.errors import Busy
from b24app.jobs.pull import open_base, portal_lang
from b24app.onec.counterparty_reads import OneCParties
from b24app.runtime import Runtime, process_runtime
from b24app.store.party_decisions import PartyDecisions
from b24app.store.party_links import PartyLinks
from b24app.sync.to_bitrix.crm_parties import read_crm_parties
from b24app.sync.to_bitrix.party_load import STREAM, PartyDeps, PartyFigures, load_parties, tick_parties

Progress = Callable[[int, int], None]
LOCK_SECONDS = 3600  # a first load of 10,000 counterparties at the ordinary limit takes minutes, not hours
FIGURES = ("created", "linked", "updated", "persons", "skipped", "deleted", "invalid_inn", "vanished", "refused")


def party_deps(ctx: Runtime, member_id: str, base_id: int) -> PartyDeps:
    odata, profile = open_base(ctx, member_id, base_id)
    base = next((b for b in ctx.bases.list(member_id) if b.id == base_id), None)
    decisions = PartyDecisions(ctx.db)
    return PartyDeps(bitrix=ctx.bitrix(member_id), parties=OneCParties(odata, profile), links=PartyLinks(ctx.db),
                     decisions=lambda: decisions.get_all(member_id, base_id), read_crm=read_crm_parties,
                     journal=ctx.journal, own_writes=ctx.own_writes, watermarks=ctx.watermarks,
                     settings=ctx.portal_settings.get(member_id).counterparties, member_id=member_id,
                     base_id=base_id, base_name=base.name if base else "", lang=portal_lang(ctx, member_id))


def run_base(ctx: Runtime, member_id: str, base_id: int, *, full: bool, progress: Progress | None = None,
             deps: PartyDeps | None = None) -> PartyFigures:
    """One run of one base under its lock, so a scheduled tick and the load never interleave their creates. Busy
    when another run holds it. `full`: every counterparty (the load); else what changed since the watermark."""
    lock = ctx.redis.lock(ctx.keys.sync_lock(member_id, f"{STREAM}:{base_id}"), timeout=LOCK_SECONDS,
                          blocking=False)
    if not lock.acquire():
        raise Busy(f"the counterparties of base {base_id} are being loaded by another run")
    try:
        deps = deps or party_deps(ctx, member_id, base_id)
        return load_parties(deps, progress) if full else tick_parties(deps)
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - the lock expired during a very long run; nothing to give back
            pass


def _enabled_bases(ctx: Runtime, member_id: str, base_id: int | None) -> list:
    settings = ctx.portal_settings.get(member_id).counterparties
    return [b for b in ctx.bases.list(member_id)
            if b.enabled and settings.enabled_for(b.id) and (base_id is None or b.id == base_id)]


def _sum(runs: list[PartyFigures]) -> dict:
    out = {name: 0 for name in FIGURES}
    by_kind: dict[str, int] = {}
    for figures in runs:
        for name, value in figures.to_json().items():
            if name == "by_kind":
                for kind, count in value.items():
                    by_kind[kind] = by_kind.get(kind, 0) + count
            else:
                out[name] += value
    return {**out, "by_kind": by_kind}


def load(member_id: str, base_id: int | None = None, *, progress: Progress | None = None) -> dict:
    """"Sync now" job "counterparties": the confirmed first load of every enabled base (or one), progress in
    counterparties placed of counterparties in the base. A base not confirmed yet is left out."""
    ctx = process_runtime()
    bases = _enabled_bases(ctx, member_id, base_id)
    runs = [run_base(ctx, member_id, b.id, full=True, progress=progress) for b in bases]
    return {"stream": STREAM, "bases": len(bases), **_sum(runs)}


def counterparties_pull(ctx: Runtime, member_id: str) -> int:
    """The scheduled tick: every enabled base; a base another run is loading is left to it. Returns cards
    written."""
    written = 0
    for base in _enabled_bases(ctx, member_id, None):
        try:
            written += run_base(ctx, member_id, base.id, full=False).written
        except Busy:
            continue
    return written
