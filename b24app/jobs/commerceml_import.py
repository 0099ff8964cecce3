"""A CommerceML catalog exchange in the job layer: the files 1C's exchange with a website uploaded (import*.xml,
offers*.xml; in 3.1 also prices*, rests*) are parsed into the staging table, then loaded into the portal's product
catalog by the one catalog pipeline (`sync/to_bitrix/catalog_load.pull_catalog`), as a base on the OData route is.

The exchange endpoint (`mode=import`) enqueues `import_exchange` once the exchange's files are all uploaded and
answers `progress` until the job is finished. The run holds the base's catalog lock (`jobs/catalog.run_base`'s),
so an exchange and a "sync now" of the same base never interleave their creates.

A file that is not well-formed, or that carries a DOCTYPE or entities (XXE, billion laughs), stops the exchange
before anything reaches the portal: CommerceMLError names the file and the line, and the journal says why.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict

from b24app.commerceml.catalog_files import FileSummary, read_catalog_file
from b24app.commerceml.catalog_source import CommerceMLCatalog
from b24app.commerceml.staging import Staging
from b24app.core.errors import Busy, PermanentSyncError
from b24app.jobs.catalog import LOCK_SECONDS, catalog_links
from b24app.runtime import Runtime, process_runtime
from b24app.sync.to_bitrix.catalog_load import CatalogDeps, pull_catalog

Progress = Callable[[int, int], None]
FIGURES = ("sections", "created", "updated", "deactivated", "prices", "stock", "price_types", "stores")


def import_files(ctx: Runtime, member_id: str, base_id: int, exchange_id: str, paths: list[str],
                 progress: Progress | None = None) -> dict:
    """Parse the exchange's files into staging, then load them into the portal (when the portal's catalog load
    is on); the staging rows are removed whatever happens. Figures as `jobs/catalog.catalog_portal` gives them,
    plus what the files held."""
    base = next((b for b in ctx.bases.list(member_id) if b.id == base_id), None)
    if base is None:
        raise PermanentSyncError(f"base {base_id} is not a base of this portal")
    lock = ctx.redis.lock(ctx.keys.sync_lock(member_id, f"catalog:{base_id}"), timeout=LOCK_SECONDS,
                          blocking=False)
    if not lock.acquire():
        raise Busy(f"the catalog of base {base_id} is being loaded by another run")
    staging = Staging(ctx.db)
    try:
        summaries = stage_files(ctx, staging, member_id, base_id, exchange_id, paths)
        out = {"stream": "catalog", "route": "commerceml", "exchange_id": exchange_id, "files": len(summaries),
               **{k: sum(getattr(s, k) for s in summaries) for k in ("items", "offers", "prices", "groups")}}
        settings = ctx.portal_settings.get(member_id).catalog
        if not settings.enabled:
            # Nothing goes to the portal until an administrator turns the catalog load on (the catalog page).
            return {**out, "enabled": False}
        source = CommerceMLCatalog(staging, member_id, base_id, exchange_id)
        source.settle_references()
        deps = CatalogDeps(bitrix=ctx.bitrix(member_id), catalog=source, links=catalog_links(ctx),
                           journal=ctx.journal, settings=settings, clock=ctx.clock, member_id=member_id,
                           base_id=base_id, base_name=base.name)
        figures = pull_catalog(deps, progress)
        source.forget_vanished()
        written = {k: v for k, v in asdict(figures).items() if k != "refused"}
        return {**out, "enabled": True, "complete": source.complete, "refused": len(figures.refused), **written}
    finally:
        staging.clear(member_id, base_id, exchange_id)
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - the lock expired during a very long run; nothing to give back
            pass


def stage_files(ctx: Runtime, staging: Staging, member_id: str, base_id: int, exchange_id: str,
                paths: list[str]) -> list[FileSummary]:
    """Every XML file of the exchange into staging (pictures and other uploads are not the catalog's), journaled
    as one step: a refused file fails the step with its reason, and nothing of the exchange stays staged."""
    files = [p for p in paths if p.lower().endswith(".xml")]
    names = ", ".join(os.path.basename(p) for p in files)[:200]
    summaries: list[FileSummary] = []
    with ctx.journal.exchange(member_id, "catalog", "1c_to_b24", base_id=base_id,
                              entity=f"CommerceML {exchange_id[:40]}: {names}"[:128]) as entry:
        staging.clear_base(member_id, base_id)  # we hold the base's lock: any rows there are a dead run's
        try:
            for path in files:
                summary = FileSummary(os.path.basename(path))
                staging.stage(member_id, base_id, exchange_id, read_catalog_file(path, summary=summary))
                staging.note_file(member_id, base_id, exchange_id, summary)
                summaries.append(summary)
        except Exception:
            staging.clear(member_id, base_id, exchange_id)
            raise
        staging.attach_offers_to_hash_items(member_id, base_id, exchange_id)
        entry.items = sum(s.items + s.offers for s in summaries)
    return summaries


def import_exchange(member_id: str, base_id: int, exchange_id: str, paths: list[str], *,
                    progress: Progress | None = None) -> dict:
    """The RQ job the exchange endpoint enqueues on `mode=import`: the exchange's files into the portal's catalog,
    reporting items done of items in the exchange."""
    return import_files(process_runtime(), member_id, base_id, exchange_id, list(paths), progress)
