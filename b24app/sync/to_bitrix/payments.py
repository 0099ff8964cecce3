"""1C → Bitrix24: payments (issue 5 "Payments").

Bank and cash receipts created or changed since the stream's watermark (`b24app/onec/changes.py`: by date with a
look-back window and DataVersion, so a receipt posted, unposted or marked for deletion later is seen again) are
traced to the orders their allocation lines pay — a settlement object (УТ 11.5, `Catalog_ОбъектыРасчетов.Объект`),
an order or an invoice (БП 3.0) — and every deal linked to such an order is recomputed from 1C: paid status, sum
paid, last payment date, remaining, the stage the pipeline's map names for "partly paid" / "paid", and a timeline
comment per receipt. A cancelled or unposted receipt no longer counts, so recomputing reverses it. The watermark
is stored only when Bitrix24 confirmed every update it covers.

Deals that name a 1C order the app did not make are linked first (order_links.py); a deal newly linked gets the
order's existing receipts and sales at once, however old they are. Only this stream links (the more frequent one,
run for every base): were the shipments stream to do it too, the two running side by side could both bring the
same new link and post its comments twice; it follows the links through `DealStateSync.deals_of` all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from b24app.bitrix.client import BitrixClient
from b24app.core.errors import SyncError
from b24app.core.portal_settings import PortalSettings
from b24app.onec import refs
from b24app.onec.changes import DocumentWatermark, document_changes
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import ObjectSpec, Profile
from b24app.onec.readers import OneCDocuments
from b24app.store.links import LinkStore
from b24app.store.marks import Marks
from b24app.sync.to_bitrix.deal_state import FOLLOWED_LINKS, DealStateSync, Touched
from b24app.sync.to_bitrix.order_links import NamedOrderLinks
from b24app.sync.to_bitrix.pull_deps import PullDeps

log = logging.getLogger(__name__)

RECEIPTS = ("bank_receipt", "cash_receipt")


def orders_paid_by(odata: ODataClient, profile: Profile, spec: ObjectSpec, row: dict) -> set[str]:
    """Keys of the orders a receipt's allocation lines pay: a line's order (a composite one only when it holds a
    customer order), its invoice (БП 3.0, where the invoice is the order document) or its settlement object's."""
    if "allocation" not in spec.tables:
        return set()
    table = spec.table("allocation")
    order_set = profile.object("customer_order").entity_set
    invoice = profile.objects.get("customer_invoice")
    targets = {"order": order_set, "invoice": invoice.entity_set if invoice is not None else None}
    found: set[str] = set()
    for line in row.get(table.name) or []:
        for logical, target in targets.items():
            if logical in table.fields:
                found.add(refs.read(table.fields[logical], line, target) or "")
        if "settlement_object" in table.fields:
            key = refs.read(table.fields["settlement_object"], line)
            if key:
                found |= _settlement_targets(odata, profile, key, order_set)
    return {k for k in found if k}


def _settlement_targets(odata: ODataClient, profile: Profile, key: str, order_set: str) -> set[str]:
    if "settlement_object" not in profile.objects:
        return set()
    spec = profile.object("settlement_object")
    obj = spec.spec_of("object")
    row = odata.get(spec.entity_set, key, select=refs.select(obj))
    target = refs.read(obj, row, order_set)
    return {target} if target else set()


def pull_payments(deps: PullDeps) -> int:
    """Bring the deals of one base up to date with its receipts; returns how many deals were updated."""
    odata, profile = deps.odata, deps.profile
    stored = deps.watermarks.get(deps.member_id, deps.base_id, "payments")
    named = NamedOrderLinks(deps)
    first = named.link()
    with deps.journal.exchange(deps.member_id, "payments", "1c_to_b24", base_id=deps.base_id) as entry:
        touched: list[Touched] = []
        new_marks: dict[str, dict] = {}
        for logical in RECEIPTS:
            spec = profile.objects.get(logical)
            if spec is None or not spec.enabled:
                continue
            changes = document_changes(odata, spec, DocumentWatermark.from_dict(stored.get(logical)))
            new_marks[logical] = changes.watermark.to_dict()
            number_f = spec.field("number")
            for change in changes.changes:
                for order_key in orders_paid_by(odata, profile, spec, dict(change.row)):
                    touched.append(Touched(order_key, change.ref_key, change.data_version,
                                           str(change.row.get(number_f, "")), "payment"))
        sync = DealStateSync.for_pull(deps)
        outcome = sync.sync(touched, payments=True, shipments=False)
        brought = sync.sync(first, payments=True, shipments=True)
        named.settle(brought)
        confirmed, failed = outcome.confirmed | brought.confirmed, {**outcome.failed, **brought.failed}
        entry.items = len(confirmed)
        if failed:
            detail = "; ".join(f"deal {d}: {e}" for d, e in sorted(failed.items()))
            raise SyncError(f"Bitrix24 refused {len(failed)} deal update(s), watermark kept: {detail}")
        deps.watermarks.put(deps.member_id, deps.base_id, "payments", {**stored, **new_marks})
    return len(confirmed)


def refresh_deal(deal_id: str, *, bitrix: BitrixClient, documents_of: Callable[[int], OneCDocuments],
                 links: LinkStore, marks: Marks, settings: PortalSettings, lang: str, member_id: str) -> str:
    """On demand ("refresh from 1C"): recompute one deal's payment and shipment fields from its linked orders.

    `documents_of(base_id)` opens a reader of one of the portal's bases: the deal's orders may live in several."""
    done = 0
    for link in (lk for kind in FOLLOWED_LINKS for lk in links.for_entity(member_id, kind, deal_id)):
        docs = documents_of(link.base_id)
        if link.onec_set != docs.profile.object("customer_order").entity_set:
            continue
        sync = DealStateSync(bitrix, docs, links=links, marks=marks, settings=settings, lang=lang,
                             member_id=member_id, base_id=link.base_id)
        outcome = sync.sync([Touched(link.onec_ref, "", "", what="refresh")], payments=True, shipments=True)
        if not outcome.complete:
            raise SyncError(f"Bitrix24 refused the update of deal {deal_id}: {outcome.failed.get(deal_id)}")
        done += 1
    return "refreshed" if done else "not linked to a 1C order"
