"""What 1C knows about a deal's order, turned into the deal's fields and stage: the shared core of the payments
and shipments streams and of the on-demand refresh.

For each touched 1C order the linked deals (entity_links, deal ↔ customer order) get paid status, sum paid, last
payment date and remaining (payments) or shipped status (shipments), a stage move from the pipeline's stage map,
and a timeline comment per receipt or sale that arrived, was cancelled or unposted. Comments are sent once per
document version (a durable mark written for each comment Bitrix24 added), so a pull repeated after a failure —
even one whose batch partly went through — does not repeat them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from b24app.bitrix.client import BitrixClient
from b24app.core.messages import message
from b24app.core.model import ZERO, OrderDocuments, PaidStatus, Payment, Shipment
from b24app.core.portal_settings import PortalSettings
from b24app.onec.readers import OneCDocuments
from b24app.store.links import LinkStore
from b24app.store.marks import Marks
from b24app.sync.to_bitrix import deal_writes as deal_push
from b24app.sync.to_bitrix.deal_writes import DealUpdate, PushOutcome
from b24app.sync.to_bitrix.pull_deps import PullDeps


@dataclass(frozen=True)
class Touched:
    """A 1C document that changed and the order it concerns."""

    order_key: str
    doc_key: str
    version: str
    number: str = ""
    what: str = "payment"  # payment / shipment


def _money(value: Decimal) -> str:
    """A field value for a Bitrix24 money/double field ("1234.50"), not for people: see `core.formatting.money`."""
    return f"{value:.2f}"


def shipped_status(amount: Decimal, shipped: Decimal) -> PaidStatus:
    """Shipped partly or fully by sum, the way payments are judged (issue 5, "Shipments")."""
    if shipped <= ZERO:
        return PaidStatus.NO
    return PaidStatus.FULLY if shipped >= amount else PaidStatus.PARTLY


def payment_fields(settings: PortalSettings, docs: OrderDocuments) -> dict:
    f = settings.deal_fields
    counted = [p for p in docs.payments if p.counts]
    last = max((p.date for p in counted if p.date), default=None)
    return {f["paid_status"]: docs.status.value, f["paid_sum"]: _money(docs.paid),
            f["payment_date"]: last.date().isoformat() if last else "", f["remaining"]: _money(docs.remaining)}


def shipment_fields(settings: PortalSettings, docs: OrderDocuments) -> dict:
    return {settings.deal_fields["shipment_status"]: shipped_status(docs.order.amount, docs.shipped).value}


def payment_comment(p: Payment, number: str, lang: str = "ru") -> str:
    """The timeline comment for a receipt of the order `number`, in the portal's language."""
    if p.counts:
        kind = message("payment_kind_bank" if p.kind.value == "bank" else "payment_kind_cash", lang)
        return message("payment_received", lang, kind=kind, number=p.number, date=p.date, amount=p.amount,
                       order=number)
    why = message("payment_why_deleted" if p.deleted else "payment_why_unposted", lang)
    return message("payment_not_counted", lang, number=p.number, date=p.date, amount=p.amount, order=number,
                   why=why)


def shipment_comment(s: Shipment, number: str, lang: str = "ru") -> str:
    """The timeline comment for a sale of the order `number`, in the portal's language."""
    if s.posted and not s.deleted:
        return message("shipment_made", lang, number=s.number, date=s.date, amount=s.amount, order=number)
    return message("shipment_cancelled", lang, number=s.number, date=s.date, order=number)


# Durable marks (store/marks.py) of the timeline comments already posted, one per deal and document version.
TOLD = "told"


class DealStateSync:
    """Recomputes deals from their 1C orders and sends the result for one portal and base.

    `client` writes the portal, `docs` reads the base; `links` finds the deals of an order, `marks` remembers the
    timeline comments already posted; `settings` (fields, stage maps) and `lang` (of the comments: the portal's
    install LANG, normalised) are the portal's values for this run.
    """

    def __init__(self, client: BitrixClient, docs: OneCDocuments, *, links: LinkStore, marks: Marks,
                 settings: PortalSettings, lang: str, member_id: str, base_id: int) -> None:
        self.client = client
        self.docs = docs
        self.links = links
        self.marks = marks
        self.settings = settings
        self.lang = lang
        self.member_id = member_id
        self.base_id = base_id

    @classmethod
    def for_pull(cls, deps: PullDeps) -> DealStateSync:
        return cls(deps.bitrix, deps.documents, links=deps.links, marks=deps.marks, settings=deps.settings,
                   lang=deps.lang, member_id=deps.member_id, base_id=deps.base_id)

    def _mark(self, doc_key: str, version: str, deal_id: str) -> str:
        return f"{self.member_id}:{deal_id}:{doc_key}:{version}"

    def deals_of(self, order_keys: Iterable[str]) -> dict[str, list[str]]:
        """order key -> linked deal ids (deals whose order the app made, or linked by number)."""
        order_set = self.docs.profile.object("customer_order").entity_set
        return {key: [lk.b24_id for lk in self.links.for_onec(self.member_id, self.base_id, order_set, key)
                      if lk.b24_type == "deal"] for key in order_keys}

    def sync(self, touched: list[Touched], *, payments: bool, shipments: bool) -> PushOutcome:
        """Send the state of every deal linked to a touched order. PushOutcome says what Bitrix24 confirmed."""
        by_order: dict[str, list[Touched]] = {}
        for t in touched:
            by_order.setdefault(t.order_key, []).append(t)
        deals_by_order = {k: v for k, v in self.deals_of(by_order).items() if v}
        if not deals_by_order:
            return PushOutcome(set(), set(), {})
        current = deal_push.current_deals(self.client, [d for ds in deals_by_order.values() for d in ds])
        candidates: list[tuple[DealUpdate, list[tuple[str, str]]]] = []
        for order_key, deal_ids in deals_by_order.items():
            order = self.docs.order_by_key(order_key)
            if order is None:
                continue
            docs = self.docs.order_documents(order)
            changed = {t.doc_key: t for t in by_order[order_key]}
            for deal_id in deal_ids:
                deal = current.get(deal_id)
                if deal is None:
                    continue
                up = self._update(deal, docs, changed, payments=payments, shipments=shipments)
                up.fields = {k: v for k, v in up.fields.items() if str(deal.get(k) or "") != str(v)}
                candidates.append((up, up.comments))
        # Comments already on the timeline (durable marks, one query for all) are not sent again.
        told = self.marks.get_many(TOLD, [mark for _, pairs in candidates for _, mark in pairs])
        updates: list[DealUpdate] = []
        marks: dict[str, list[str]] = {}
        for up, pairs in candidates:
            todo = [(text, mark) for text, mark in pairs if mark not in told]
            up.comments = [text for text, _ in todo]
            marks[up.deal_id] = [mark for _, mark in todo]
            if up.fields or up.comments:
                updates.append(up)
        outcome = deal_push.push(self.client, updates)
        # Every comment that arrived is marked, also where the deal's other commands failed: a retry (the
        # watermark stayed) then sends only what is missing.
        self.marks.put_many(TOLD, {marks[deal_id][n]: "1" for deal_id, sent in outcome.comments_added.items()
                                   for n in sent})
        return outcome

    def _update(self, deal: dict, docs: OrderDocuments, changed: dict[str, Touched], *, payments: bool,
                shipments: bool) -> DealUpdate:
        deal_id = str(deal["ID"])
        stages = self.settings.stage_map(deal.get("CATEGORY_ID"))
        order_flow = [s for s in (stages.make_order, stages.partly_paid, stages.paid, stages.shipped) if s]
        up = DealUpdate(deal_id)
        comments: list[tuple[str, str]] = []
        target = None
        if payments:
            up.fields.update(payment_fields(self.settings, docs))
            target = {PaidStatus.PARTLY: stages.partly_paid, PaidStatus.FULLY: stages.paid}.get(docs.status)
            comments += [(payment_comment(p, docs.order.number, self.lang),
                          self._mark(p.key, changed[p.key].version, deal_id))
                         for p in docs.payments if p.key in changed]
            comments += self._vanished(changed, {p.key for p in docs.payments}, "payment", docs, deal_id)
        if shipments:
            up.fields.update(shipment_fields(self.settings, docs))
            if shipped_status(docs.order.amount, docs.shipped) is PaidStatus.FULLY and stages.shipped:
                target = stages.shipped
            comments += [(shipment_comment(s, docs.order.number, self.lang),
                          self._mark(s.key, changed[s.key].version, deal_id))
                         for s in docs.shipments if s.key in changed]
            comments += self._vanished(changed, {s.key for s in docs.shipments}, "shipment", docs, deal_id)
        stage = deal_push.stage_for(self.settings, deal, target, forward_only=order_flow)
        if stage:
            up.fields["STAGE_ID"] = stage
        up.comments = comments  # (text, mark) pairs until sync() filters them
        return up

    def _vanished(self, changed: dict[str, Touched], listed: set[str], what: str, docs: OrderDocuments,
                  deal_id: str) -> list[tuple[str, str]]:
        """Comments for changed documents the order no longer lists: marked for deletion in 1C."""
        key = "payment_vanished" if what == "payment" else "shipment_vanished"
        return [(message(key, self.lang, number=t.number, order=docs.order.number),
                 self._mark(t.doc_key, t.version, deal_id))
                for t in changed.values() if t.what == what and t.doc_key not in listed]
