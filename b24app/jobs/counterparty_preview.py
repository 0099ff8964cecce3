"""The counterparty preview in the job layer: what the first load of one base's counterparties would do
(`sync/counterparty_preview.py`), run by "sync now" (registry job "counterparty_preview", `jobs/sync_now.py`) with
the 1C counterparties read as progress. The counterparties page starts it and shows its result.
"""

from __future__ import annotations

from collections.abc import Callable

from b24app.jobs.pull import open_base
from b24app.onec.counterparty_reads import OneCParties
from b24app.runtime import Runtime, process_runtime
from b24app.store.party_decisions import PartyDecisions
from b24app.sync.counterparty_preview import preview_counterparties

Progress = Callable[[int, int], None]


def preview_base(ctx: Runtime, member_id: str, base_id: int, progress: Progress | None = None) -> dict:
    """One base's preview as plain JSON, the administrator's decisions so far applied."""
    odata, profile = open_base(ctx, member_id, base_id)
    base = next((b for b in ctx.bases.list(member_id) if b.id == base_id), None)
    return preview_counterparties(ctx.bitrix(member_id), OneCParties(odata, profile), base_id=base_id,
                                  base_name=base.name if base else "",
                                  decisions=PartyDecisions(ctx.db).get_all(member_id, base_id), progress=progress)


def preview(member_id: str, base_id: int | None = None, *, progress: Progress | None = None) -> dict:
    """"Sync now" job "counterparty_preview": the preview of one base (the first enabled OData base when not
    named). {"bases": {id: preview}}."""
    ctx = process_runtime()
    bases = [b for b in ctx.bases.list(member_id)
             if b.enabled and b.is_odata and (base_id is None or b.id == base_id)]
    return {"bases": {str(b.id): preview_base(ctx, member_id, b.id, progress) for b in bases[:1]}}
