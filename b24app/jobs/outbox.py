"""Bitrix24 → 1C in the job layer: the `OrderDeps` that `b24app/sync/to_onec/` is handed, built from the runtime.

The RQ entry points keep their dotted names in `b24app/jobs/sync.py` (`process_outbox_item`,
`collect_offline_events`, `request_deal_order`: queued jobs and the schedule name them) and reach the domain
through `deal_orders` / `invoice_documents` here. Nothing here decides a business rule: it opens the portal and
its bases, hands over the stores, the portal's settings and language, the per-base circuit breakers, and the
Redis locks every worker shares.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from redis import Redis
from redis.lock import Lock

from b24app.core.errors import Busy
from b24app.jobs.commerceml_orders import commerceml_offers
from b24app.jobs.pull import fields_checked, portal_lang
from b24app.onec.counterparty_reads import OneCParties
from b24app.onec.counterparty_writes import update_counterparty
from b24app.onec.egress import EgressPolicy
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile, ProfileLoader
from b24app.runtime import JOB_RETRY, Runtime
from b24app.store.bases import OneCBaseStore
from b24app.store.keys import RedisKeys
from b24app.store.party_links import PartyLinks
from b24app.sync.to_bitrix.crm_parties import read_crm_party
from b24app.sync.to_bitrix.user_fields import ensure_fields_once
from b24app.sync.to_onec.deps import OneCConnection, OrderDeps
from b24app.sync.to_onec.invoices import InvoiceDocuments
from b24app.sync.to_onec.orders import DealOrders
from b24app.sync.to_onec.party_update import PartyUpdateDeps, PartyUpdates
from b24app.sync.to_onec.write_back import WriteBacks

log = logging.getLogger(__name__)

# A job waits this long for another job's hold on the same deal or invoice before it is retried (Busy).
ENTITY_LOCK_WAIT = 5
# ... and this long for another job creating the same counterparty (which takes a few 1C calls).
COUNTERPARTY_LOCK_WAIT = 30


@dataclass(frozen=True)
class StoreBases:
    """`OneCBases` of one portal from the base store. Clients get the job's short in-call retries
    (`runtime.JOB_RETRY`): the outbox retries whole items with long backoff, so one job need not wait out an
    outage."""

    store: OneCBaseStore
    profiles: ProfileLoader
    member_id: str
    egress: EgressPolicy

    def enabled(self) -> list[int]:
        return [b.id for b in self.store.list(self.member_id) if b.enabled and b.is_odata]

    def legal_entity_inn(self, base_id: int) -> str | None:
        return self.store.get(self.member_id, base_id).legal_entity_inn

    def profile(self, base_id: int) -> Profile:
        return self.profiles.load(self.store.get(self.member_id, base_id).profile)

    def onec_for(self, base_id: int) -> OneCConnection:
        base = self.store.connection(self.member_id, base_id)
        profile = self.profiles.load(base.profile)
        return OneCConnection(ODataClient(base, egress=self.egress, retry=JOB_RETRY), profile, base)


@dataclass(frozen=True)
class RedisLocks:
    """`OrderLocks` in Redis, held at most `lease_seconds` (the outbox lease: a killed worker's lock expires
    when its item becomes due again)."""

    redis: Redis
    keys: RedisKeys
    member_id: str
    lease_seconds: float

    @contextmanager
    def entity_lock(self, entity: str) -> Iterator[None]:
        kind, _, ident = entity.partition(":")
        lock = self.redis.lock(self.keys.sync_lock(self.member_id, entity), timeout=self.lease_seconds,
                               blocking_timeout=ENTITY_LOCK_WAIT)
        if not lock.acquire():
            raise Busy(f"{kind} {ident} is being sent to 1C by another job")
        try:
            yield
        finally:
            try:
                lock.release()
            except Exception:  # noqa: BLE001 - the lock expired under a long job; nothing to undo
                log.warning("%s %s: sync lock expired before release", kind, ident)

    def try_entity_lock(self, entity: str) -> Lock | None:
        """The entity's lock if nobody holds it, without waiting (None otherwise); the caller releases it."""
        lock = self.redis.lock(self.keys.sync_lock(self.member_id, entity), timeout=self.lease_seconds)
        return lock if lock.acquire(blocking=False) else None

    def counterparty_lock(self, inn: str, kpp: str) -> Lock:
        return self.redis.lock(self.keys.counterparty_lock(self.member_id, inn, kpp), timeout=self.lease_seconds,
                               blocking_timeout=COUNTERPARTY_LOCK_WAIT)


def order_deps(ctx: Runtime, member_id: str) -> OrderDeps:
    """Everything the Bitrix24 → 1C domain of one portal talks to, for one job."""
    client = ctx.bitrix(member_id)
    settings = ctx.portal_settings.get(member_id)
    return OrderDeps(
        member_id=member_id,
        bitrix=client,
        bases=StoreBases(ctx.bases, ctx.profiles, member_id, ctx.egress),
        circuit_for=partial(ctx.circuit, member_id),
        links=ctx.links,
        marks=ctx.marks,
        journal=ctx.journal,
        settings=settings,
        lang=portal_lang(ctx, member_id),
        locks=RedisLocks(ctx.redis, ctx.keys, member_id, ctx.tuning.lease_seconds),
        ensure_fields=partial(ensure_fields_once, fields_checked(ctx), member_id, client, settings),
        own_writes=ctx.own_writes,
        commerceml=commerceml_offers(ctx, member_id, settings),
    )


def deal_orders(ctx: Runtime, member_id: str, write_backs: WriteBacks | None = None) -> DealOrders:
    """The portal's deal → 1C order pusher; `write_backs` shares one write-back batch among a job's deals."""
    return DealOrders(order_deps(ctx, member_id), write_backs)


def invoice_documents(ctx: Runtime, member_id: str) -> InvoiceDocuments:
    """The portal's smart invoice → 1C invoice pusher."""
    return InvoiceDocuments(order_deps(ctx, member_id))


def party_updates(ctx: Runtime, member_id: str) -> PartyUpdates:
    """The portal's CRM company / contact / requisite → 1C counterparty updater (issue 14)."""
    return PartyUpdates(PartyUpdateDeps(
        member_id=member_id, bitrix=ctx.bitrix(member_id),
        settings=ctx.portal_settings.get(member_id).counterparties,
        bases=StoreBases(ctx.bases, ctx.profiles, member_id, ctx.egress), circuit_for=partial(ctx.circuit, member_id),
        links=PartyLinks(ctx.db), journal=ctx.journal,
        locks=RedisLocks(ctx.redis, ctx.keys, member_id, ctx.tuning.lease_seconds),
        read_card=read_crm_party, parties=OneCParties, write=update_counterparty))
