"""Deals as orders for a 1C base that exchanges over CommerceML (issue 16), both ways.

Bitrix24 → 1C: a base whose profile is "commerceml" is not written to; 1C's exchange node fetches orders from the
app (`type=sale&mode=query`). So where the OData route writes a customer order (`to_onec/orders.py`), this route
records the deal as an order to offer (`CommerceMLOffers.offer`): the same decision — the deal in the stage that
makes an order, a button (`force`), or a deal already offered kept in step — and the same reading of the deal
(`deal_reads.py`: buyer with requisites, rows, row products). Our order number is "B24-<deal id>", the document's
Ид and Номер in every version, so 1C's exchange — which finds a site's order again by its Ид — updates the order
it holds instead of making a second one. A deal changed before 1C confirmed only replaces its waiting document;
after 1C confirmed, a change is offered as a new version (НомерВерсии + 1): 1C's exchange takes a known order's
changes as long as nobody changed it in 1C. A lost deal withdraws an order never offered, and offers a known one
again with «Отменен» = true, which is how the site side of the exchange cancels an order (1C's example,
../shared/samples/commerceml/commerceml_orders__irpsv_commerceml__off-doc-1c.xml).

Each item is named by the Ид 1C knows it by: the key the catalog load linked the product to in this base
(`catalog_links`, kind product or offer), else the product's XML_ID, where a catalog loaded from 1C keeps the Ид
(an XML_ID equal to the product's own ID is what Bitrix24 fills in for a product made by hand: not a 1C key).

1C → Bitrix24 (`apply_returned`): the order documents 1C sends back say what became of each order — its 1C number,
status, payment, shipment, cancellation (`order_docs.ReturnedOrder`). They become the deal's mapped fields and a
stage move, sent in batches like the 1C → Bitrix24 streams' (`to_bitrix/deal_writes.py`), once per distinct
document (a fingerprint of what 1C said is kept when the portal confirmed).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from typing import Protocol

from b24app.bitrix.client import BitrixClient
from b24app.commerceml.order_docs import DEAL_NUMBER, OrderDocument, OrderLine, Party, ReturnedOrder, render_document
from b24app.commerceml.orders_store import CHANGED, NEW, CommerceMLOrders, OrderRecord
from b24app.core.errors import PermanentSyncError
from b24app.core.formatting import MOSCOW
from b24app.core.model import PaidStatus
from b24app.core.portal_settings import PortalSettings
from b24app.store.catalog_links import OFFER, PRODUCT
from b24app.sync.to_bitrix import deal_writes
from b24app.sync.to_bitrix.deal_writes import DealUpdate
from b24app.sync.to_onec import counterparties as cp
from b24app.sync.to_onec.deps import ExchangeJournal
from b24app.sync.to_onec.order_model import CANCELLED, CREATED, SKIPPED, UNCHANGED, UPDATED, DealBundle, PushResult
from b24app.sync.to_onec.order_refs import okei_code
from b24app.sync.to_onec.row_amounts import deal_includes_vat, line_amounts
from b24app.sync.to_onec.write_back import OwnWriteLog

log = logging.getLogger(__name__)

COMMERCEML = "commerceml"  # the profile of a base on this route (onec_bases.profile)
PIECE_OKEI, PIECE = "796", "шт"  # a row that names no unit: Bitrix24's default measure, the piece (OKEI 796)
RUBLE_LETTERS = ("", "RUB", "RUR")
RUBLE_WORD = "руб"  # how 1C's example and its own exports name the rouble in Валюта
APPLY_CHUNK = 50  # documents of 1C answered per write batch (one crm.deal.list + one batch of updates)


def order_number(deal_id: str) -> str:
    """The app's own number of the deal's order: Ид and Номер of every version offered to 1C."""
    return f"B24-{deal_id}"


class ItemKeys(Protocol):
    """The catalog links (`store/catalog_links.py`): portal product id -> (base id, 1C key)."""

    def onec_of(self, member_id: str, kinds: list[str], b24_ids: list[int]) -> dict[int, tuple[int, str]]: ...


def item_keys(links: ItemKeys, member_id: str, base_id: int, bundle: DealBundle) -> dict[str, str]:
    """PRODUCT_ID -> the Ид 1C knows the row's item by; a row without one is missing from the answer."""
    ids = sorted({int(str(r.get("PRODUCT_ID"))) for r in bundle.rows if str(r.get("PRODUCT_ID") or "0").isdigit()
                  and int(str(r.get("PRODUCT_ID"))) > 0})
    linked = links.onec_of(member_id, [PRODUCT, OFFER], ids) if ids else {}
    out: dict[str, str] = {}
    for pid in ids:
        base, key = linked.get(pid, (None, ""))
        xml_id = str((bundle.products.get(str(pid)) or {}).get("XML_ID") or "").strip()
        if base == base_id and key:
            out[str(pid)] = key
        elif xml_id and xml_id != str(pid):  # a product made in the CRM gets its own ID as XML_ID: not 1C's
            out[str(pid)] = xml_id
    return out


def buyer_of(bundle: DealBundle) -> Party:
    """The deal's buyer as a Контрагент: the company with its INN/KPP, or the contact for a private buyer.
    PermanentSyncError (from `counterparties.identity_from`) names what a person must fill in."""
    who = cp.identity_from(bundle.company, bundle.requisites, bundle.contact, bundle.contact_requisites)
    if bundle.company:
        return Party(key=f"B24-company-{who.company_id}", name=who.title, full_name=who.full_name, inn=who.inn,
                     kpp=who.kpp)
    contact = bundle.contact or {}
    return Party(key=f"B24-contact-{contact.get('ID')}", name=who.title, full_name=who.full_name, inn=who.inn,
                 last_name=str(contact.get("LAST_NAME") or "").strip(),
                 first_name=str(contact.get("NAME") or "").strip(),
                 middle_name=str(contact.get("SECOND_NAME") or "").strip())


def order_lines(bundle: DealBundle, keys: Mapping[str, str]) -> tuple[OrderLine, ...]:
    """Every row as an item of the order, in the deal's VAT mode (`row_amounts.py`, as the OData route)."""
    if not bundle.rows:
        raise PermanentSyncError(f"deal {bundle.deal.get('ID')} has no product rows to order")
    missing = [str(r.get("PRODUCT_NAME") or r.get("PRODUCT_ID")) for r in bundle.rows
               if str(r.get("PRODUCT_ID")) not in keys]
    if missing:
        raise PermanentSyncError(f"deal {bundle.deal.get('ID')}: rows {', '.join(missing)} name no product 1C "
                                 "knows (load the catalog from this base or give the product its 1C XML_ID)")
    includes_vat = deal_includes_vat(bundle.rows)
    lines = []
    for row in bundle.rows:
        pid = str(row.get("PRODUCT_ID"))
        sums = line_amounts(row, includes_vat=includes_vat)
        name = str(row.get("PRODUCT_NAME") or (bundle.products.get(pid) or {}).get("NAME") or keys[pid])
        lines.append(OrderLine(key=keys[pid], name=name, okei=okei_code(row) or PIECE_OKEI,
                               unit=str(row.get("MEASURE_NAME") or PIECE), price=sums.price, quantity=sums.quantity,
                               amount=sums.amount, vat_rate=sums.vat_rate, vat=sums.vat, discount=sums.discount))
    return tuple(lines)


def currency_word(currency_id: object) -> str:
    letters = str(currency_id or "").strip().upper()
    return RUBLE_WORD if letters in RUBLE_LETTERS else letters


def order_document(bundle: DealBundle, keys: Mapping[str, str], *, cancelled: bool) -> OrderDocument:
    """The deal's order, version and time left to fill (`with_version`)."""
    lines = order_lines(bundle, keys)
    includes_vat = deal_includes_vat(bundle.rows)
    total = sum((line.amount if includes_vat else line.amount + line.vat for line in lines), Decimal(0))
    deal_id = str(bundle.deal.get("ID"))
    title = str(bundle.deal.get("TITLE") or "").strip()
    return OrderDocument(number=order_number(deal_id), version=0, created=datetime(2000, 1, 1),
                         currency=currency_word(bundle.deal.get("CURRENCY_ID")), amount=total,
                         includes_vat=includes_vat, buyer=buyer_of(bundle), lines=lines,
                         comment=f"Сделка Битрикс24 №{deal_id}: {title}".strip(), cancelled=cancelled,
                         values=((DEAL_NUMBER, deal_id),))


def source_hash(doc: OrderDocument) -> str:
    """What the document says, without its version and time: equal for a replayed event."""
    raw = json.dumps({"buyer": doc.buyer.__dict__, "lines": [line.__dict__ for line in doc.lines],
                      "currency": doc.currency, "amount": doc.amount, "vat": doc.includes_vat,
                      "comment": doc.comment, "cancelled": doc.cancelled, "values": doc.values},
                     sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def local_time(moment: datetime) -> datetime:
    """The seller's wall-clock time of a stored moment (SQLite hands back naive UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(MOSCOW).replace(tzinfo=None)


def renderer(doc: OrderDocument) -> Callable[[int, datetime], str]:
    """render(version, created) for the store, which decides both inside its transaction."""
    def render(version: int, created: datetime) -> str:
        return render_document(OrderDocument(**{**doc.__dict__, "version": version, "created": local_time(created)}))
    return render


class CommerceMLOffers:
    """Records deals of one portal as orders to offer to its CommerceML bases (the branch of
    `to_onec/orders.DealOrders` for a base on this route)."""

    def __init__(self, *, member_id: str, store: CommerceMLOrders, links: ItemKeys,
                 enabled_bases: Callable[[], list[int]], settings: PortalSettings, journal: ExchangeJournal,
                 now: Callable[[], datetime]) -> None:
        self.member_id = member_id
        self.store = store
        self.links = links
        self._enabled_bases = enabled_bases  # the portal's enabled bases on this route
        self._enabled: list[int] | None = None
        self.settings = settings
        self.journal = journal
        self.now = now

    def bases(self) -> list[int]:
        """The enabled CommerceML bases (read once per job, as the job reads the settings once)."""
        if self._enabled is None:
            self._enabled = list(self._enabled_bases())
        return self._enabled

    def serves(self, base_id: int) -> bool:
        return base_id in self.bases()

    def offer(self, bundle: DealBundle, base_id: int, *, force: bool = False) -> PushResult:
        """Bring the deal's waiting order in line with the deal; safe to repeat (an unchanged deal changes
        nothing, so a replayed event never makes a second offer)."""
        deal = bundle.deal
        deal_id = str(deal.get("ID"))
        known = self.store.get(self.member_id, base_id, deal_id)
        if deal.get("STAGE_SEMANTIC_ID") == "F":
            if known is None:
                return PushResult(SKIPPED, base_id, reason="the deal is lost and has no order")
            if self.store.withdraw(self.member_id, base_id, deal_id):
                return PushResult(CANCELLED, base_id, reason="the order was withdrawn before 1C fetched it")
            return self._save(bundle, base_id, cancelled=True)
        target = self.settings.stage_map(deal.get("CATEGORY_ID")).make_order
        if not (force or known is not None or (target and deal.get("STAGE_ID") == target)):
            return PushResult(SKIPPED, base_id, reason="the deal is not in the stage that makes an order")
        return self._save(bundle, base_id, cancelled=False)

    def _save(self, bundle: DealBundle, base_id: int, *, cancelled: bool) -> PushResult:
        deal_id = str(bundle.deal.get("ID"))
        with self.journal.exchange(self.member_id, "deal_order", "b24_to_1c", base_id=base_id,
                                   entity=f"deal:{deal_id}") as entry:
            doc = order_document(bundle, item_keys(self.links, self.member_id, base_id, bundle), cancelled=cancelled)
            record, what = self.store.save(self.member_id, base_id, deal_id, number=doc.number,
                                           source_hash=source_hash(doc), render=renderer(doc), now=self.now())
            entry.items = 0 if what == UNCHANGED else 1
            if what == UNCHANGED:
                entry.status = "skipped"
        outcome = {NEW: CREATED, CHANGED: CANCELLED if cancelled else UPDATED}.get(what, UNCHANGED)
        # No 1C number yet: 1C gives its own when it loads the order, and sends it back (`apply_returned`).
        return PushResult(outcome, base_id, reason=f"order {record.number} v{record.version}: {record.state}")


# -- 1C → Bitrix24 ------------------------------------------------------------------------------------------------

@dataclass
class AppliedOrders:
    """What one file of 1C's order documents did: documents read, deals updated, documents already applied,
    documents naming orders this base never had (reported, not fatal), and deals the portal refused."""

    documents: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"documents": self.documents, "updated": self.updated, "unchanged": self.unchanged,
                "unknown": list(self.unknown), "failed": dict(self.failed)}


def said_hash(doc: ReturnedOrder) -> str:
    raw = json.dumps({"n": doc.onec_number, "v": doc.version, "d": doc.deleted, "values": doc.values},
                     sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def deal_update(settings: PortalSettings, deal: dict, doc: ReturnedOrder) -> DealUpdate:
    """The deal's mapped fields and stage from what 1C says of its order. Optional roles `order_status` and
    `shipment_number` of the settings' deal fields take 1C's status and shipment number when mapped."""
    f = settings.deal_fields
    fields: dict[str, str] = {}
    if doc.onec_number and f.get("order_number"):
        fields[f["order_number"]] = doc.onec_number
    if doc.status and f.get("order_status"):
        fields[f["order_status"]] = doc.status
    if doc.paid and f.get("paid_status"):
        fields[f["paid_status"]] = PaidStatus.FULLY.value
    if doc.payment_date and f.get("payment_date"):
        fields[f["payment_date"]] = doc.payment_date.isoformat()
    if doc.shipped and f.get("shipment_status"):
        fields[f["shipment_status"]] = PaidStatus.FULLY.value
    if doc.shipment_number and f.get("shipment_number"):
        fields[f["shipment_number"]] = doc.shipment_number
    fields = {k: v for k, v in fields.items() if str(deal.get(k) or "") != v}
    stages = settings.stage_map(deal.get("CATEGORY_ID"))
    order_flow = [s for s in (stages.make_order, stages.partly_paid, stages.paid, stages.shipped) if s]
    # Precedence as in the OData route's shipments stream (deal_state.py): cancelled, then shipped, then paid.
    if doc.cancelled and stages.cancelled_in_1c:
        stage = deal_writes.stage_for(settings, deal, stages.cancelled_in_1c, forward_only=[])
    else:
        target = stages.shipped if doc.shipped and stages.shipped else stages.paid if doc.paid else None
        stage = deal_writes.stage_for(settings, deal, target, forward_only=order_flow)
    if stage:
        fields["STAGE_ID"] = stage
    return DealUpdate(str(deal["ID"]), fields)


def _chunks(docs: Iterable[ReturnedOrder], size: int) -> Iterator[list[ReturnedOrder]]:
    it = iter(docs)
    while chunk := list(islice(it, size)):
        yield chunk


def apply_returned(client: BitrixClient, store: CommerceMLOrders, settings: PortalSettings, member_id: str,
                   base_id: int, docs: Iterable[ReturnedOrder], *, own_writes: OwnWriteLog | None = None
                   ) -> AppliedOrders:
    """Update the deals of the orders 1C's documents describe, `APPLY_CHUNK` documents at a time (the file is
    streamed: memory stays flat). A document whose content was applied before costs no request."""
    result = AppliedOrders()
    for chunk in _chunks(docs, APPLY_CHUNK):
        result.documents += len(chunk)
        known = store.by_numbers(member_id, base_id, [d.key for d in chunk] + [d.number for d in chunk])
        todo: dict[int, tuple[ReturnedOrder, OrderRecord]] = {}  # order id -> its last document in the chunk
        for doc in chunk:
            order = known.get(doc.key) or known.get(doc.number)
            if order is None:
                result.unknown.append(doc.key or doc.number)
            elif order.applied_hash == said_hash(doc):
                result.unchanged += 1
            else:
                todo[order.id] = (doc, order)
        if not todo:
            continue
        current = deal_writes.current_deals(client, [order.deal_id for _, order in todo.values()])
        updates, applied = [], {}
        for doc, order in todo.values():
            deal = current.get(order.deal_id)
            if deal is None:  # deleted in Bitrix24: nothing to update, nothing to retry
                applied[order.deal_id] = (doc, order)
                continue
            updates.append(deal_update(settings, deal, doc))
            applied[order.deal_id] = (doc, order)
        changing = [u for u in updates if u.fields]
        outcome = deal_writes.push(client, changing, own_writes=own_writes, member_id=member_id)
        changed = {u.deal_id for u in changing}
        for deal_id, (doc, order) in applied.items():
            if deal_id in outcome.failed:
                result.failed[doc.key or doc.number] = outcome.failed[deal_id]
                continue
            store.applied(order.id, applied_hash=said_hash(doc), onec_number=doc.onec_number, onec_status=doc.status)
            if deal_id in changed:
                result.updated += 1
            else:
                result.unchanged += 1
    if result.unknown:
        log.warning("1C sent %d order document(s) of %s base %s the app never offered: %s", len(result.unknown),
                    member_id, base_id, ", ".join(result.unknown[:10]))
    return result
