"""What 1C knows about a deal's order, turned into the deal's fields and stage: the shared core of the payments
and shipments streams and of the on-demand refresh.

For each touched 1C order the linked deals (entity_links, deal ↔ customer order) get paid status, sum paid, last
payment date and remaining (payments) or shipped status (shipments), a stage move from the pipeline's stage map,
and a timeline comment per receipt or sale that arrived, was cancelled or unposted. Comments are sent once per
document version (a durable mark written for each comment Bitrix24 added), so a pull repeated after a failure —
even one whose batch partly went through — does not repeat them.

Shipments net of returns (issue 12): "shipped" is what posted sales shipped minus what posted returns took back, so
a fully returned order is not shipped; the returned sum has its own deal field and each return a comment. Stages,
in this order of precedence (shipments stream):
  * everything shipped came back → the `returned` stage;
  * the order closed in 1C before it was fully shipped, or every row cancelled → the `cancelled_in_1c` stage;
  * fully shipped → the `shipped` stage;
  * a deal in the `shipped` stage whose order is no longer fully shipped (a sale unposted or marked for deletion,
    goods returned) goes back to the paid / partly paid stage its payments earn, when that stage is mapped: the
    manager sees the flag drop and the deal where its money says it is. Only this move goes backwards.
A closed order that was fully shipped is an order done, not cancelled: it gets a comment and no stage move. The
payments stream never moves a deal out of the `returned` or `cancelled_in_1c` stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from b24app.bitrix.client import BitrixClient
from b24app.core.messages import message
from b24app.core.model import ZERO, OrderDocuments, PaidStatus, Payment, Return, Shipment
from b24app.core.portal_settings import PortalSettings, StageMap
from b24app.onec.readers import OneCDocuments
from b24app.store.links import LinkStore
from b24app.store.marks import Marks
from b24app.sync.to_bitrix import deal_writes as deal_push
from b24app.sync.to_bitrix.deal_writes import DealUpdate, PushOutcome
from b24app.sync.to_bitrix.pull_deps import PullDeps
from b24app.sync.to_onec.write_back import OwnWriteLog


@dataclass(frozen=True)
class Touched:
    """A 1C document that changed and the order it concerns."""

    order_key: str
    doc_key: str
    version: str
    number: str = ""
    what: str = "payment"  # payment / shipment / return / order (the order document itself changed)


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
    """Shipped status net of returns, and the returned sum (when the portal maps that field)."""
    fields = {settings.deal_fields["shipment_status"]: shipped_status(docs.order.amount, docs.shipped).value}
    if settings.deal_fields.get("returned_sum"):
        fields[settings.deal_fields["returned_sum"]] = _money(docs.returned)
    return fields


def order_ended(docs: OrderDocuments) -> bool:
    """The order ended in 1C short of being fully shipped: closed (УТ 11 Закрыт) or every row cancelled."""
    return docs.order.cancelled or (docs.order.closed and
                                    shipped_status(docs.order.amount, docs.shipped) is not PaidStatus.FULLY)


def fully_returned(docs: OrderDocuments) -> bool:
    return docs.returned > ZERO and docs.shipped <= ZERO


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


def return_comment(r: Return, number: str, lang: str = "ru") -> str:
    """The timeline comment for a return from the customer against the order `number`."""
    if r.counts:
        return message("return_made", lang, number=r.number, date=r.date, amount=r.amount, order=number)
    return message("return_cancelled", lang, number=r.number, date=r.date, order=number)


def order_end_comment(docs: OrderDocuments, lang: str = "ru") -> str | None:
    """The comment for an order closed or cancelled in 1C; None while it is open."""
    if docs.order.cancelled:
        return message("order_cancelled_in_1c", lang, order=docs.order.number)
    if docs.order.closed:
        return message("order_closed_in_1c", lang, order=docs.order.number, shipped=docs.shipped,
                       amount=docs.order.amount)
    return None


def shipment_stage(stages: StageMap, docs: OrderDocuments, current: str | None) -> tuple[str | None, bool]:
    """(target stage, whether it may move backwards) for the shipments stream; see the module docstring."""
    if fully_returned(docs) and stages.returned:
        return stages.returned, True  # an order closed after everything came back is a return, not a cancel
    if order_ended(docs) and stages.cancelled_in_1c:
        return stages.cancelled_in_1c, True
    if shipped_status(docs.order.amount, docs.shipped) is PaidStatus.FULLY:
        return stages.shipped, False
    if stages.shipped and current == stages.shipped:
        return {PaidStatus.PARTLY: stages.partly_paid, PaidStatus.FULLY: stages.paid}.get(docs.status), True
    return None, False


# Durable marks (store/marks.py) of the timeline comments already posted, one per deal and document version.
TOLD = "told"
# Links of deals to the 1C orders they name (order-number field, ORIGIN_ID), made by the pull (order_links.py):
# followed like the orders the app made (kind "deal"), but a kind of their own so the deal push never writes them.
NAMED_LINK = "deal_named"
FOLLOWED_LINKS = ("deal", NAMED_LINK)


class DealStateSync:
    """Recomputes deals from their 1C orders and sends the result for one portal and base.

    `client` writes the portal, `docs` reads the base; `links` finds the deals of an order, `marks` remembers the
    timeline comments already posted; `settings` (fields, stage maps) and `lang` (of the comments: the portal's
    install LANG, normalised) are the portal's values for this run.
    """

    def __init__(self, client: BitrixClient, docs: OneCDocuments, *, links: LinkStore, marks: Marks,
                 settings: PortalSettings, lang: str, member_id: str, base_id: int,
                 own_writes: OwnWriteLog | None = None) -> None:
        self.client = client
        self.own_writes = own_writes
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
                   lang=deps.lang, member_id=deps.member_id, base_id=deps.base_id, own_writes=deps.own_writes)

    def _mark(self, doc_key: str, version: str, deal_id: str) -> str:
        return f"{self.member_id}:{deal_id}:{doc_key}:{version}"

    def deals_of(self, order_keys: Iterable[str]) -> dict[str, list[str]]:
        """order key -> linked deal ids (deals whose order the app made, or linked by number)."""
        order_set = self.docs.profile.object("customer_order").entity_set
        return {key: [lk.b24_id for lk in self.links.for_onec(self.member_id, self.base_id, order_set, key)
                      if lk.b24_type in FOLLOWED_LINKS] for key in order_keys}

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
        outcome = deal_push.push(self.client, updates, own_writes=self.own_writes, member_id=self.member_id)
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
        backwards = False
        if payments:
            up.fields.update(payment_fields(self.settings, docs))
            target = {PaidStatus.PARTLY: stages.partly_paid, PaidStatus.FULLY: stages.paid}.get(docs.status)
            comments += [(payment_comment(p, docs.order.number, self.lang),
                          self._mark(p.key, changed[p.key].version, deal_id))
                         for p in docs.payments if p.key in changed]
            comments += self._vanished(changed, {p.key for p in docs.payments}, "payment", docs, deal_id)
        if shipments:
            up.fields.update(shipment_fields(self.settings, docs))
            moved, backwards = shipment_stage(stages, docs, deal.get("STAGE_ID"))
            target = moved or target
            comments += [(shipment_comment(s, docs.order.number, self.lang),
                          self._mark(s.key, changed[s.key].version, deal_id))
                         for s in docs.shipments if s.key in changed]
            comments += self._vanished(changed, {s.key for s in docs.shipments}, "shipment", docs, deal_id)
            comments += [(return_comment(r, docs.order.number, self.lang),
                          self._mark(r.key, changed[r.key].version, deal_id))
                         for r in docs.returns if r.key in changed]
            comments += self._vanished(changed, {r.key for r in docs.returns}, "return", docs, deal_id)
            comments += self._order_end(changed, docs, deal)
        elif deal.get("STAGE_ID") in {stages.returned, stages.cancelled_in_1c} - {None}:
            target = None  # money arriving for a returned or cancelled order does not reopen the deal
        stage = deal_push.stage_for(self.settings, deal, target, forward_only=[] if backwards else order_flow)
        if stage:
            up.fields["STAGE_ID"] = stage
        up.comments = comments  # (text, mark) pairs until sync() filters them
        return up

    def _vanished(self, changed: dict[str, Touched], listed: set[str], what: str, docs: OrderDocuments,
                  deal_id: str) -> list[tuple[str, str]]:
        """Comments for changed documents the order no longer lists: marked for deletion in 1C."""
        key = {"payment": "payment_vanished", "shipment": "shipment_vanished", "return": "return_vanished"}[what]
        return [(message(key, self.lang, number=t.number, order=docs.order.number),
                 self._mark(t.doc_key, t.version, deal_id))
                for t in changed.values() if t.what == what and t.doc_key not in listed]

    def _order_end(self, changed: dict[str, Touched], docs: OrderDocuments, deal: dict) -> list[tuple[str, str]]:
        """One comment when the order itself changed and is now closed or cancelled in 1C, for a deal still in
        progress (the app closes the order of a lost deal itself and says so then). Marked by the order's state,
        not its version: later edits of a closed order do not repeat it."""
        t = changed.get(docs.order.key)
        text = order_end_comment(docs, self.lang)
        if t is None or t.what != "order" or text is None or deal.get("STAGE_SEMANTIC_ID", "P") != "P":
            return []
        state = "cancelled" if docs.order.cancelled else "closed"
        return [(text, self._mark(docs.order.key, state, str(deal["ID"])))]
