"""The seller legal entity moves a deal's order between sellers: 1C bases and organizations inside a base
(issue 6, "Legal entities"; issue 12, "several organizations in one 1C base").

The deal field the settings name (`PortalSettings.legal_entity_field`, a list) decides who sells: its value maps
to a base (`legal_entity_bases`) and, when that base keeps the books of several legal entities, to one of the
base's organizations by INN (`legal_entity_orgs`; none: the base's own legal entity). A deal whose value names no
base goes to the base of its pipeline (`category_bases`; `orders.deal_base` holds the order of these rules). The
payment, shipment and debt streams follow the deal ↔ order links, so a deal counts the payments of the base it is
linked in. The organization a linked order was made under is kept beside its link (mark ORDER_ORG,
`order_model.py`).

When the seller chosen now differs from the seller of the deal's order (the manager changed the legal entity, or
moved the deal to a pipeline of another base), `LegalEntitySwitch` re-issues the order as one operation with one
journal entry (`legal_entity_switch`, its entity naming both sides, e.g. `deal:7 base:1->1/7701234567`):

  1. the order is created (or, when the deal was there before, brought back) under the new seller and posted —
     first, so a failure anywhere leaves the deal with its old order rather than with none; in another base it is
     linked at once (the old base's link still says where the deal lives);
  2. the old order is cancelled the way a lost deal's order is (`order_body.order_body(cancel=True)`: lines
     cancelled, status Закрыт where the profile has them);
  3. the deal's 1C fields are rewritten from the new order (number, link, paid / shipped state) and the manager
     gets one timeline comment naming both organizations and numbers;
  4. the commit point: the old base's link is dropped, or — inside one base, where a link is one order per deal
     and base — the link is repointed to the new order and its organization recorded. Until then the deal is
     still seen under the old seller, so a retry (the outbox retries the job as a whole) repeats the whole
     switch, every step of which is idempotent (DocumentWriter's key finds the documents already written).

Each order carries the key of its (deal, base, organization) (`order_model.order_key`; the base's own legal
entity keeps the key of one order per deal and base), so switching back reopens the order the deal had under
that seller instead of making another.
"""

from __future__ import annotations

from dataclasses import dataclass

from b24app.core.errors import PermanentSyncError
from b24app.core.messages import message
from b24app.core.portal_settings import PortalSettings
from b24app.onec import query as q
from b24app.onec.base import OneCBase
from b24app.onec.documents import DocumentWriter
from b24app.onec.errors import OneCError, OneCQueryError
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import ObjectSpec, Profile
from b24app.onec.readers import OneCDocuments
from b24app.store.links import Link
from b24app.sync.to_bitrix.deal_state import payment_fields, shipment_fields
from b24app.sync.to_onec.deps import Circuit, OrderDeps
from b24app.sync.to_onec.order_body import build_order_body
from b24app.sync.to_onec.order_model import (
    ORDER_ORG,
    PUSHED,
    TOLD,
    DealBundle,
    PushResult,
    Seller,
    fingerprint,
    navigation_link,
    order_comment,
    order_key,
    order_org_key,
    pushed_key,
)

SWITCH_KIND = "legal_entity_switch"
SWITCHED = "switched"


@dataclass(frozen=True)
class LinkedOrder:
    """One customer-order link of a deal and the seller (base, organization) its order was made for."""

    link: Link
    seller: Seller


def order_links_elsewhere(deps: OrderDeps, deal_id: str, base_id: int) -> list[Link]:
    """The deal's customer-order links in bases other than `base_id` (where its order lives, if not there)."""
    return [order.link for order in linked_orders(deps, deal_id) if order.link.base_id != base_id]


def linked_orders(deps: OrderDeps, deal_id: str) -> list[LinkedOrder]:
    """Every customer-order link of the deal with the organization its order was made under (mark ORDER_ORG;
    a link without one — an order linked, not made by the app — is asked of 1C once, `_organization_in_1c`)."""
    found = []
    for link in deps.links.for_entity(deps.member_id, "deal", deal_id):
        if link.onec_set != deps.bases.profile(link.base_id).object("customer_order").entity_set:
            continue
        org = deps.marks.get(ORDER_ORG, order_org_key(deps.member_id, deal_id, link.base_id))
        if org is None:
            org = _organization_in_1c(deps, link)
            if org is not None:
                deps.marks.put(ORDER_ORG, order_org_key(deps.member_id, deal_id, link.base_id), org)
        found.append(LinkedOrder(link, Seller(link.base_id, org or None)))
    return found


def _organization_in_1c(deps: OrderDeps, link: Link) -> str | None:
    """The INN of the linked order's organization as 1C has it ("" = the base's own legal entity); None when 1C
    is not asked or cannot say now (then the order counts as the base's own, as every order did before
    organizations). Only an organization some legal-entity value names (`legal_entity_orgs`) counts as another
    one: the base's own legal entity may be sold as without its INN matching (a base without INN, or one whose
    only organization `order_refs.seller_refs` takes)."""
    own = deps.bases.legal_entity_inn(link.base_id)
    named = set(deps.settings.legal_entity_orgs.values()) - {own}
    if not named:
        return None  # nothing to tell apart: not asked, not recorded (a later mapping asks again)
    odata, profile, _ = deps.bases.onec_for(link.base_id)
    spec, org = profile.object("customer_order"), profile.object("organization")
    try:
        org_ref = odata.get(spec.entity_set, link.onec_ref, select=[spec.field("organization")]).get(
            spec.field("organization"))
        inn = str(odata.get(org.entity_set, org_ref, select=[org.field("inn")]).get(org.field("inn")) or "") \
            if org_ref else ""
    except OneCError:
        return None
    return inn if inn in named else ""


def orders_elsewhere(deps: OrderDeps, deal_id: str, seller: Seller) -> list[LinkedOrder]:
    """The deal's orders made for another seller than `seller`: in another base, or in its base under another
    organization — the orders a switch to `seller` cancels."""
    return [order for order in linked_orders(deps, deal_id) if order.seller != seller]


def require_organization(odata: ODataClient, profile: Profile, seller: Seller) -> None:
    """An organization a legal-entity value names must be a live organization of the base: the order is never
    made under another one instead (`order_refs.seller_refs` falls back to a base's only organization, which is
    right only for the base's own legal entity). PermanentSyncError names the INN and the base."""
    if not seller.org_inn:
        return
    org = profile.object("organization")
    key_f, inn_f = org.field("key"), org.field("inn")
    deleted_f = org.field("deleted") if org.has("deleted") else None
    rows = odata.query(org.entity_set, filter=q.eq(inn_f, seller.org_inn),
                       select=[key_f] + ([deleted_f] if deleted_f else []), top=5).rows
    if not any(not (deleted_f and r.get(deleted_f)) for r in rows):
        raise PermanentSyncError(f"1C base {odata.base.label} has no live organization with INN {seller.org_inn} "
                                 "(the settings' organization of the deal's seller legal entity): restore it in "
                                 "1C or choose another organization in the app's settings")


def remember_seller(deps: OrderDeps, deal_id: str, seller: Seller) -> None:
    """Record which organization the deal's order linked in `seller`'s base belongs to."""
    deps.marks.put(ORDER_ORG, order_org_key(deps.member_id, deal_id, seller.base_id), seller.org_inn or "")


@dataclass(frozen=True)
class _Side:
    """One seller of the switch: its base's connection, profile, order object and circuit breaker, and the
    organization (INN) the order is made under."""

    seller: Seller
    base: OneCBase
    profile: Profile
    spec: ObjectSpec
    odata: ODataClient
    circuit: Circuit
    seller_inn: str | None

    @property
    def base_id(self) -> int:
        return self.seller.base_id

    @classmethod
    def open(cls, deps: OrderDeps, seller: Seller) -> _Side:
        # The client has the job's short in-call retries: the outbox retries the whole switch with long backoff.
        odata, profile, base = deps.bases.onec_for(seller.base_id)
        return cls(seller, base, profile, profile.object("customer_order"), odata, deps.circuit_for(seller.base_id),
                   seller.org_inn or deps.bases.legal_entity_inn(seller.base_id))

    def key(self, member_id: str, deal_id: str) -> str:
        return order_key(member_id, deal_id, self.seller.org_inn)


class LegalEntitySwitch:
    """Re-issues one deal's order under the seller (base, organization) its legal entity names now."""

    def __init__(self, deps: OrderDeps) -> None:
        self.deps = deps
        self.member_id = deps.member_id

    def run(self, bundle: DealBundle, new_seller: Seller, olds: list[LinkedOrder]) -> PushResult:
        """Create the order under the new seller, cancel the old ones, rewrite the deal, commit the links.
        Raises (and journals the error) when any step fails; nothing is undone, a retry finishes the switch."""
        deps = self.deps
        deal_id = str(bundle.deal["ID"])
        new = _Side.open(deps, new_seller)
        old_sides = [_Side.open(deps, o.seller) for o in olds]
        for side in (new, *old_sides):
            side.circuit.check(side.base.label)
        deps.ensure_fields()
        moved = f"deal:{deal_id} base:{','.join(o.seller.describe() for o in olds)}->{new_seller.describe()}"
        same_base = any(o.link.base_id == new.base_id for o in olds)
        with deps.journal.exchange(self.member_id, SWITCH_KIND, "b24_to_1c", base_id=new.base_id,
                                   entity=moved) as entry:
            ref_key, number, body = self._order_in(new, bundle, link_now=not same_base)
            cancelled = [self._cancel_in(side, o.link, bundle, new, ref_key, number)
                         for side, o in zip(old_sides, olds, strict=True)]
            self._rewrite_deal(bundle, new, body, ref_key, number, old_sides, cancelled)
            for o in olds:
                if o.link.base_id != new.base_id:
                    deps.links.remove(self.member_id, o.link)
            deps.links.put(self.member_id, new.base_id, "deal", deal_id, new.spec.entity_set, ref_key, number)
            remember_seller(deps, deal_id, new_seller)
            self._remember(deal_id, body, new.base_id)
            entry.items = 1 + len(olds)
        return PushResult(SWITCHED, new.base_id, ref_key, number)

    def _body(self, side: _Side, bundle: DealBundle, *, cancel: bool) -> tuple[dict, str]:
        """The order body for one side of the switch and the Ref_Key of the buyer it names."""
        # The warehouse the settings chose for the deal's pipeline in that base, as a deal sent there directly gets.
        warehouse = self.deps.settings.warehouse_for(side.base_id, bundle.deal.get("CATEGORY_ID"))
        body, buyer = build_order_body(side.odata, side.profile, bundle, seller_inn=side.seller_inn,
                                       locks=self.deps.locks, cancel=cancel, warehouse=warehouse)
        return body, buyer.ref_key

    def _order_in(self, new: _Side, bundle: DealBundle, *, link_now: bool) -> tuple[str, str, dict]:
        """The deal's order under the new seller, posted (and, in another base, linked as soon as 1C holds it):
        (Ref_Key, number, the body sent)."""
        links = self.deps.links
        deal_id = str(bundle.deal["ID"])

        def linked(ref: str) -> None:
            if link_now:
                links.put(self.member_id, new.base_id, "deal", deal_id, new.spec.entity_set, ref)
                remember_seller(self.deps, deal_id, new.seller)

        with new.circuit.watch():
            require_organization(new.odata, new.profile, new.seller)
            body, buyer_key = self._body(new, bundle, cancel=False)
            if bundle.company:  # a private buyer's deal has a contact only
                links.put(self.member_id, new.base_id, "company", str(bundle.company["ID"]),
                          new.profile.object("counterparty").entity_set, buyer_key)
            try:
                written = DocumentWriter(new.odata, new.spec).save(
                    new.key(self.member_id, deal_id), body, comment=_order_comment(bundle), post=True,
                    on_written=linked)
            except OneCQueryError as exc:
                raise PermanentSyncError(f"moving deal {deal_id} to {_where(new)}: 1C refused the order: "
                                         f"{exc.message}") from exc
            number = _number(new, written.ref_key)
        return written.ref_key, number, body

    def _cancel_in(self, old: _Side, link: Link, bundle: DealBundle, new: _Side, new_ref: str,
                   new_number: str) -> tuple[str, str]:
        """Cancel the deal's order of an old seller as a lost deal's order is cancelled: the order carrying that
        seller's key, else (an order linked, not made by the app) the linked one. Returns its number and the
        Ref_Key of its organization."""
        deal_id = str(bundle.deal["ID"])
        writer = DocumentWriter(old.odata, old.spec)
        key = old.key(self.member_id, deal_id)
        with old.circuit.watch():
            body, _ = self._body(old, bundle, cancel=True)
            # Cancelling changes the lines and status, never the seller: the order keeps its organization (PATCH
            # writes only the properties sent, 17.4.13.1.3), whatever organization the base offers now.
            body.pop(old.spec.field("organization"), None)
            try:
                found = writer.find(key)
                if found is not None:
                    ref = writer.save(key, body, comment=_order_comment(bundle), post=True).ref_key
                elif link.onec_ref != new_ref:
                    ref = link.onec_ref
                    old.odata.update(old.spec.entity_set, ref, body)
                    old.odata.post_document(old.spec.entity_set, ref)
                else:
                    return link.onec_number or "", ""
            except OneCQueryError as exc:
                raise PermanentSyncError(
                    f"moving deal {deal_id} from {_where(old)} to {_where(new)}: the order № {new_number} is made "
                    f"in {_where(new)}, but 1C refused to cancel order № {link.onec_number or link.onec_ref} in "
                    f"{_where(old)} ({exc.message}); cancel it there by hand, then send the deal again") from exc
            number_f, org_f = old.spec.field("number"), old.spec.field("organization")
            row = old.odata.get(old.spec.entity_set, ref, select=[number_f, org_f])
        return str(row.get(number_f) or "") or link.onec_number or "", str(row.get(org_f) or "")

    def _rewrite_deal(self, bundle: DealBundle, new: _Side, body: dict, ref_key: str, number: str,
                      olds: list[_Side], cancelled: list[tuple[str, str]]) -> None:
        """The deal's 1C fields from the new order (number, link, paid and shipped state) and a timeline comment
        naming both organizations and numbers, in one batch (crm.deal.update, crm.timeline.comment.add:
        api-reference/crm/deals/crm-deal-update.md, crm/timeline/comments/crm-timeline-comment-add.md)."""
        deps = self.deps
        settings = deps.settings
        reader = OneCDocuments(new.odata, new.profile)
        lang = deps.lang
        with new.circuit.watch():
            order = reader.order_by_key(ref_key)
            state = reader.order_documents(order) if order is not None else None
            new_org = _org_label(new, _organization_of(new, body), lang)
        wanted = {settings.deal_fields["order_number"]: number,
                  settings.deal_fields["order_link"]: navigation_link(new.base.url, new.spec.entity_set, ref_key)}
        if state is not None:
            wanted.update({k: str(v) for k, v in payment_fields(settings, state).items()})
            wanted.update({k: str(v) for k, v in shipment_fields(settings, state).items()})
        changed = {k: v for k, v in wanted.items() if str(bundle.deal.get(k) or "") != v}
        parts = []
        for side, (old_number, org_ref) in zip(olds, cancelled, strict=True):
            with side.circuit.watch():
                org = _org_label(side, org_ref, lang)
            parts.append(message("entity_switch_org_cancelled", lang, number=old_number or None, org=org,
                                 base=side.base.name))
        comment = message("entity_switch_org", lang, why=_why_moved(settings, bundle.deal, new.base_id, lang),
                          cancelled="; ".join(parts), base=new.base.name, number=number, org=new_org)
        # Told once per switch: a retry of the whole switch (a later step failed) does not repeat the comment.
        told = f"{self.member_id}:deal:{bundle.deal['ID']}:switch:{new.base_id}:{ref_key}"
        commands: dict[str, tuple[str, dict]] = {}
        if deps.marks.get(TOLD, told) is None:
            commands["comment"] = ("crm.timeline.comment.add", {"fields": {
                "ENTITY_ID": bundle.deal["ID"], "ENTITY_TYPE": "deal", "COMMENT": comment}})
        if changed:
            commands["fields"] = ("crm.deal.update", {"id": bundle.deal["ID"], "fields": changed})
        if not commands:
            return
        answer = deps.bitrix.batch(commands)
        if "comment" in answer.results:
            deps.marks.put(TOLD, told)
        answer.raise_first_error()

    def _remember(self, deal_id: str, body: dict, base_id: int) -> None:
        """What was sent, so a replayed event finds the deal unchanged (DealOrders' fingerprint)."""
        self.deps.marks.put(PUSHED, pushed_key(self.member_id, "deal", deal_id), fingerprint("order", body, base_id))


def _order_comment(bundle: DealBundle) -> str:
    return order_comment(str(bundle.deal["ID"]), bundle.deal.get("TITLE"))


def _where(side: _Side) -> str:
    """The side for an error message: the base, and the organization's INN when it is not the base's own."""
    base = f"1C base «{side.base.name}»"
    return f"{base} (organization INN {side.seller.org_inn})" if side.seller.org_inn else base


def _number(side: _Side, ref_key: str) -> str:
    number_f = side.spec.field("number")
    return str(side.odata.get(side.spec.entity_set, ref_key, select=[number_f]).get(number_f) or "")


def _organization_of(side: _Side, body: dict) -> str:
    """The Ref_Key of the organization an order body names (the profile's `organization` field of the order)."""
    return str(body.get(side.spec.field("organization")) or "")


def _org_label(side: _Side, org_ref: str, lang: str) -> str:
    """The organization as the comment names it: its name and INN, read from the base's organizations."""
    org = side.profile.object("organization")
    name_f, inn_f = org.field("name"), org.field("inn")
    row = side.odata.get(org.entity_set, org_ref, select=[name_f, inn_f]) if org_ref else {}
    return message("org_label", lang, name=row.get(name_f) or side.base.name, inn=row.get(inn_f) or None)


def _why_moved(settings: PortalSettings, deal: dict, new_base_id: int, lang: str = "ru") -> str:
    """The manager's words for the switch: the legal entity when its value names the new base (or an
    organization), else the pipeline."""
    value = str(deal.get(settings.legal_entity_field) or "") if settings.legal_entity_field else ""
    if value and (settings.legal_entity_bases.get(value) == new_base_id or value in settings.legal_entity_orgs):
        return message("entity_switch_why_legal_entity", lang)
    return message("entity_switch_why_pipeline", lang)
