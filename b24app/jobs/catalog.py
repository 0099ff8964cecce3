"""The catalog stream in the job layer: for each enabled base of a portal, 1C's catalog into the portal's product
catalog (`sync/to_bitrix/catalog_load.py`), one run per base at a time.

Scheduled through the ordinary stream tick (`jobs/sync.py`, stream "catalog", every `catalog_seconds`) and run by
"sync now" (`catalog`, registered in `jobs/sync_now.py`) with progress in items. Nothing runs while the portal's
catalog settings are off: the administrator turns the load on from the catalog page after looking at the preview.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from b24app.core.errors import Busy
from b24app.jobs.pull import open_base
from b24app.onec.catalog_reads import OneCCatalog
from b24app.runtime import Runtime, process_runtime
from b24app.store.catalog_links import CatalogLinks
from b24app.sync.to_bitrix.catalog_load import CatalogDeps, CatalogFigures, pull_catalog
from b24app.sync.to_bitrix.catalog_preview import preview_catalog

Progress = Callable[[int, int], None]
LOCK_SECONDS = 3600  # a first load of a big catalog at the ordinary rate limit takes minutes, not hours


def catalog_links(ctx: Runtime) -> CatalogLinks:
    return CatalogLinks(ctx.db)


def catalog_deps(ctx: Runtime, member_id: str, base_id: int) -> CatalogDeps:
    odata, profile = open_base(ctx, member_id, base_id)
    base = next((b for b in ctx.bases.list(member_id) if b.id == base_id), None)
    return CatalogDeps(bitrix=ctx.bitrix(member_id), catalog=OneCCatalog(odata, profile, today=ctx.clock.now().date()),
                       links=catalog_links(ctx), journal=ctx.journal,
                       settings=ctx.portal_settings.get(member_id).catalog, clock=ctx.clock, member_id=member_id,
                       base_id=base_id, base_name=base.name if base else "")


def run_base(ctx: Runtime, member_id: str, base_id: int, progress: Progress | None = None) -> CatalogFigures:
    """One catalog run of one base, under a lock: a scheduled run and "sync now" never interleave their creates.
    Busy when another run holds it (the caller's next tick comes soon enough)."""
    lock = ctx.redis.lock(ctx.keys.sync_lock(member_id, f"catalog:{base_id}"), timeout=LOCK_SECONDS,
                          blocking=False)
    if not lock.acquire():
        raise Busy(f"the catalog of base {base_id} is being loaded by another run")
    try:
        return pull_catalog(catalog_deps(ctx, member_id, base_id), progress)
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - the lock expired during a very long run; nothing to give back
            pass


def catalog_portal(ctx: Runtime, member_id: str, base_id: int | None = None,
                   progress: Progress | None = None, *, skip_busy: bool = False) -> dict:
    """The catalog of every enabled base (or one), when the portal's catalog load is on."""
    settings = ctx.portal_settings.get(member_id).catalog
    bases = [b for b in ctx.bases.list(member_id)
             if b.enabled and b.is_odata and (base_id is None or b.id == base_id)]
    if not settings.enabled:
        return {"stream": "catalog", "bases": 0, "enabled": False}
    totals = CatalogFigures()
    for base in bases:
        try:
            figures = run_base(ctx, member_id, base.id, progress)
        except Busy:
            if not skip_busy:
                raise
            continue
        for name in ("sections", "created", "updated", "deactivated", "prices", "stock"):
            setattr(totals, name, getattr(totals, name) + getattr(figures, name))
        totals.refused.update(figures.refused)
    out = {k: v for k, v in asdict(totals).items() if k != "refused"}
    return {"stream": "catalog", "bases": len(bases), "enabled": True, "refused": len(totals.refused), **out}


def catalog_pull(ctx: Runtime, member_id: str) -> int:
    """The scheduled run: every enabled base; a base whose catalog another run is loading is left to it."""
    figures = catalog_portal(ctx, member_id, skip_busy=True)
    return int(sum(figures.get(k, 0) for k in ("sections", "created", "updated", "deactivated", "prices", "stock")))


def catalog(member_id: str, base_id: int | None = None, *, progress: Progress | None = None) -> dict:
    """"Sync now": load the catalog now (all bases, or one), reporting items done of items in the base."""
    return catalog_portal(process_runtime(), member_id, base_id, progress)


def preview_base(ctx: Runtime, member_id: str, base_id: int, progress: Progress | None = None) -> dict:
    """What the first load of one base would do (sync/to_bitrix/catalog_preview.py), as plain JSON."""
    deps = catalog_deps(ctx, member_id, base_id)
    settings = ctx.portal_settings.get(member_id).catalog
    return preview_catalog(deps.bitrix, deps.catalog, deps.links, settings, member_id, base_id, deps.base_name,
                           progress).to_json()


def preview(member_id: str, base_id: int | None = None, *, progress: Progress | None = None) -> dict:
    """"Sync now" registry job "catalog_preview": the preview of one base (the first enabled one when not named),
    items read of items in the base as progress. {"bases": {id: preview}}."""
    ctx = process_runtime()
    bases = [b for b in ctx.bases.list(member_id)
             if b.enabled and b.is_odata and (base_id is None or b.id == base_id)]
    return {"bases": {str(b.id): preview_base(ctx, member_id, b.id, progress) for b in bases[:1]}}
