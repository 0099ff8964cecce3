"""Orders over CommerceML in the job layer: what the exchange endpoint (`web/exchange.py`) calls for 1C's
`type=sale` steps, and the `CommerceMLOffers` the deal job is handed (`jobs/outbox.order_deps`).

  orders_for_query  ← `mode=query`: the orders to offer, marked offered in this exchange
  confirm_offered   ← `mode=success`: the orders of this exchange confirmed
  apply_from_1c     ← `mode=file` (an order file 1C sent): the deals updated from 1C's documents

Each is journaled. Nothing here decides a business rule: the rules are in `sync/commerceml_orders.py` and the
states in `commerceml/orders_store.py`.
"""

from __future__ import annotations

import logging
from functools import partial

from b24app.commerceml.order_docs import order_package, read_documents
from b24app.commerceml.orders_store import CommerceMLOrders
from b24app.core.errors import PermanentSyncError
from b24app.core.portal_settings import PortalSettings
from b24app.jobs.pull import fields_checked
from b24app.runtime import Runtime
from b24app.store.catalog_links import CatalogLinks
from b24app.sync.commerceml_orders import COMMERCEML, CommerceMLOffers, apply_returned, local_time
from b24app.sync.to_bitrix.user_fields import ensure_fields_once

log = logging.getLogger(__name__)


def _profile(ctx: Runtime, member_id: str, base_id: int) -> str:
    return ctx.bases.get(member_id, base_id).profile


def _enabled_bases(ctx: Runtime, member_id: str) -> list[int]:
    return [b.id for b in ctx.bases.list(member_id) if b.enabled and b.profile == COMMERCEML]


def _require_route(ctx: Runtime, member_id: str, base_id: int) -> None:
    if _profile(ctx, member_id, base_id) != COMMERCEML:
        raise PermanentSyncError(f"1C base {base_id} does not exchange over CommerceML")


def commerceml_offers(ctx: Runtime, member_id: str, settings: PortalSettings) -> CommerceMLOffers:
    """The deal job's branch for the portal's CommerceML bases."""
    return CommerceMLOffers(member_id=member_id, store=CommerceMLOrders(ctx.db), links=CatalogLinks(ctx.db),
                            enabled_bases=partial(_enabled_bases, ctx, member_id), settings=settings,
                            journal=ctx.journal, now=ctx.clock.now)


def orders_for_query(ctx: Runtime, member_id: str, base_id: int, exchange_id: str) -> bytes:
    """The `mode=query` answer: a КоммерческаяИнформация with every order of the base 1C has not confirmed, each
    now marked offered in `exchange_id` (offered again by every later query until a `success` confirms it)."""
    _require_route(ctx, member_id, base_id)
    with ctx.journal.exchange(member_id, "commerceml_query", "b24_to_1c", base_id=base_id,
                              entity=f"exchange:{exchange_id}"[:120]) as entry:
        now = ctx.clock.now()
        offered = CommerceMLOrders(ctx.db).offer(member_id, base_id, exchange_id, now)
        entry.items = len(offered)
    return order_package([o.document for o in offered], local_time(now))


def confirm_offered(ctx: Runtime, member_id: str, base_id: int, exchange_id: str) -> int:
    """`mode=success`: the orders offered in `exchange_id` become confirmed (never offered again unless their
    deal changes); an order offered first in a later exchange is not. A second success confirms nothing more."""
    _require_route(ctx, member_id, base_id)
    with ctx.journal.exchange(member_id, "commerceml_success", "b24_to_1c", base_id=base_id,
                              entity=f"exchange:{exchange_id}"[:120]) as entry:
        confirmed = CommerceMLOrders(ctx.db).confirm(member_id, base_id, exchange_id, ctx.clock.now())
        entry.items = len(confirmed)
    return len(confirmed)


def apply_from_1c(ctx: Runtime, member_id: str, base_id: int, path: str) -> dict:
    """An order file 1C sent (`type=sale&mode=file`): each document's status, payment and shipment into its deal.
    Returns {"documents", "updated", "unchanged", "unknown": [Ид…], "failed": {Ид: reason}}; a document for an
    order the app never offered is reported there, not fatal. A hostile or malformed file raises
    `safe_xml.CommerceMLError` before any deal is touched."""
    _require_route(ctx, member_id, base_id)
    settings = ctx.portal_settings.get(member_id)
    client = ctx.bitrix(member_id)
    with ctx.journal.exchange(member_id, "commerceml_orders", "1c_to_b24", base_id=base_id) as entry:
        # The deal fields written below exist even on a portal whose deals never went to 1C over OData.
        ensure_fields_once(fields_checked(ctx), member_id, client, settings)
        result = apply_returned(client, CommerceMLOrders(ctx.db), settings, member_id, base_id,
                                read_documents(path), own_writes=ctx.own_writes)
        entry.items = result.updated
        if result.failed:
            entry.status = "retry"
            entry.error = "; ".join(f"{k}: {v}" for k, v in list(result.failed.items())[:5])
        elif result.unknown:
            entry.error = f"orders the app never offered: {', '.join(result.unknown[:10])}"
    return result.as_dict()
