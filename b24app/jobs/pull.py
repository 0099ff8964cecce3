"""1C → Bitrix24 in the job layer: the collaborators `b24app/sync/to_bitrix/` is handed, built from the runtime.

The RQ entry points keep their dotted names in `b24app/jobs/sync.py` (`pull_stream`, `refresh_deal`, the "sync
now" `payments` / `shipments` / `debt`: queued jobs, the schedule and the settings page name them) and call the
functions here with `process_runtime()`. Nothing here decides a business rule: it opens the portal and the base,
hands over the stores and the portal's settings and language, and loops over the portal's enabled bases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis

from b24app.core.formatting import normalize_lang
from b24app.onec.odata import ODataClient, RetryPolicy
from b24app.onec.profiles import Profile
from b24app.onec.readers import OneCDocuments
from b24app.runtime import Runtime
from b24app.store.keys import RedisKeys
from b24app.sync.to_bitrix.payments import refresh_deal
from b24app.sync.to_bitrix.pull_deps import PullDeps
from b24app.sync.to_bitrix.streams import stream_pull

# 1C client of a scheduled pull: short in-call retries, since a failed pull keeps its watermark and the next tick
# runs it again.
PULL_RETRY = RetryPolicy(attempts=2, base_delay=0.5, max_delay=4.0)

# How long a check of the portal's deal and company fields is trusted (`ensure_fields_once`).
FIELDS_CHECK_SECONDS = 86400


def portal_lang(ctx: Runtime, member_id: str) -> str:
    """The language of the portal's timeline comments: its install LANG, Russian when unknown."""
    record = ctx.portals.get(member_id)
    return normalize_lang(record.lang if record else None)


def open_base(ctx: Runtime, member_id: str, base_id: int) -> tuple[ODataClient, Profile]:
    """A 1C client of one of the portal's bases for a pull, and the profile naming its objects."""
    return ctx.onec(member_id, base_id, retry=PULL_RETRY)


def pull_deps(ctx: Runtime, member_id: str, base_id: int) -> PullDeps:
    """Everything one pull of one base talks to."""
    odata, profile = open_base(ctx, member_id, base_id)
    return PullDeps(bitrix=ctx.bitrix(member_id), odata=odata, profile=profile,
                    documents=OneCDocuments(odata, profile), links=ctx.links, marks=ctx.marks,
                    watermarks=ctx.watermarks, debt_parts=ctx.debt_parts, journal=ctx.journal,
                    settings=ctx.portal_settings.get(member_id),
                    lang=portal_lang(ctx, member_id), clock=ctx.clock, member_id=member_id, base_id=base_id,
                    own_writes=ctx.own_writes)


def pull_portal(ctx: Runtime, member_id: str, stream: str) -> int:
    """Run `stream` for every enabled base of the portal, one after another; returns items sent."""
    total = 0
    for base in ctx.bases.list(member_id):
        if base.enabled and base.is_odata:
            run = stream_pull(stream)
            total += run(pull_deps(ctx, member_id, base.id))
    return total


def pull_now(ctx: Runtime, stream: str, member_id: str, base_id: int | None,
             progress: Callable[[int, int], None] | None) -> dict:
    """"Sync now": run `stream` for the portal's enabled bases (or the one asked for), reporting progress."""
    bases = [b.id for b in ctx.bases.list(member_id)
             if b.enabled and b.is_odata and (base_id is None or b.id == base_id)]
    updated = 0
    for n, one in enumerate(bases, start=1):
        run = stream_pull(stream)
        updated += run(pull_deps(ctx, member_id, one))
        if progress is not None:
            progress(n, len(bases))
    return {"stream": stream, "bases": len(bases), "updated": updated}


def refresh_deal_now(ctx: Runtime, member_id: str, deal_id: str) -> str:
    """Recompute one deal's payment and shipment fields from its orders in whichever bases hold them."""
    bitrix = ctx.bitrix(member_id)

    def documents_of(base_id: int) -> OneCDocuments:
        return OneCDocuments(*open_base(ctx, member_id, base_id))

    return refresh_deal(str(deal_id), bitrix=bitrix, documents_of=documents_of, links=ctx.links, marks=ctx.marks,
                        settings=ctx.portal_settings.get(member_id), lang=portal_lang(ctx, member_id),
                        member_id=member_id)


@dataclass(frozen=True)
class FieldsCheckedToday:
    """`user_fields.FieldsChecked` in Redis: a portal's fields checked under a mapping are trusted for a day, so
    every deal pushed may ask `ensure_fields_once` and the portal is asked at most daily. Losing it costs one
    crm.*.userfield.list; that is why it may live in Redis."""

    redis: Redis
    keys: RedisKeys
    seconds: int = FIELDS_CHECK_SECONDS

    def seen(self, member_id: str, mapping: str) -> bool:
        return bool(self.redis.get(self.keys.fields_ok(member_id, mapping)))

    def remember(self, member_id: str, mapping: str) -> None:
        self.redis.set(self.keys.fields_ok(member_id, mapping), "1", ex=self.seconds)


def fields_checked(ctx: Runtime) -> FieldsCheckedToday:
    return FieldsCheckedToday(ctx.redis, ctx.keys)
