"""The seller legal entity moves a deal's order between 1C bases (issue 6, "Legal entities").

The deal field the settings name (`PortalSettings.legal_entity_field`, a list whose values map to bases in
`legal_entity_bases`) decides which base receives the deal's order and whose payments count; a deal whose value
names no base goes to the base of its pipeline (`category_bases`; `orders.deal_base` holds the order of these
rules). The payment, shipment and debt streams follow the deal ↔ order links, so a deal counts the payments of
the base it is linked in. When the base chosen now differs from the base that holds the deal's order (the
manager changed the legal entity, or moved the deal to a pipeline of another base), `LegalEntitySwitch` moves
the order as one operation with one journal entry (`legal_entity_switch`, its entity naming both bases):

  1. the order is created (or, when the deal was there before, brought back) in the new base and posted, and
     linked — first, so a failure anywhere leaves the deal with its old order rather than with none;
  2. the order in the old base is cancelled the way a lost deal's order is (`order_body.order_body(cancel=True)`:
     lines cancelled, status Закрыт where the profile has them);
  3. the deal's 1C fields are rewritten from the new order: number, link, paid / shipped state;
  4. the old link is dropped — the commit point: until then the deal is still seen as living in the old base,
     so a retry (the outbox retries the job as a whole) repeats the whole switch, every step of which is
     idempotent (DocumentWriter's key finds the documents already written).

Both orders carry the same idempotency key `b24:<member_id>:deal:<id>` — one order per deal and base — so
switching back reopens the order the deal had in that base instead of making another.
"""

from __future__ import annotations

from dataclasses import dataclass

from b24app.core.errors import PermanentSyncError
from b24app.core.messages import message
from b24app.core.portal_settings import PortalSettings
from b24app.onec.base import OneCBase
from b24app.onec.documents import DocumentWriter
from b24app.onec.errors import OneCQueryError
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import ObjectSpec, Profile
from b24app.onec.readers import OneCDocuments
from b24app.store.links import Link
from b24app.sync.to_bitrix.deal_state import payment_fields, shipment_fields
from b24app.sync.to_onec.deps import Circuit, OrderDeps
from b24app.sync.to_onec.order_body import build_order_body
from b24app.sync.to_onec.order_model import (
    PUSHED,
    TOLD,
    DealBundle,
    PushResult,
    fingerprint,
    navigation_link,
    order_comment,
    order_key,
    pushed_key,
)

SWITCH_KIND = "legal_entity_switch"
SWITCHED = "switched"


def order_links_elsewhere(deps: OrderDeps, deal_id: str, base_id: int) -> list[Link]:
    """The deal's customer-order links in bases other than `base_id` (where its order lives, if not there)."""
    found = []
    for link in deps.links.for_entity(deps.member_id, "deal", deal_id):
        if link.base_id == base_id:
            continue
        if link.onec_set == deps.bases.profile(link.base_id).object("customer_order").entity_set:
            found.append(link)
    return found


@dataclass(frozen=True)
class _Side:
    """One base of the switch: its connection, profile, order object and circuit breaker."""

    base_id: int
    base: OneCBase
    profile: Profile
    spec: ObjectSpec
    odata: ODataClient
    circuit: Circuit
    seller_inn: str | None

    @classmethod
    def open(cls, deps: OrderDeps, base_id: int) -> _Side:
        # The client has the job's short in-call retries: the outbox retries the whole switch with long backoff.
        odata, profile, base = deps.bases.onec_for(base_id)
        return cls(base_id, base, profile, profile.object("customer_order"), odata, deps.circuit_for(base_id),
                   deps.bases.legal_entity_inn(base_id))


class LegalEntitySwitch:
    """Moves one deal's order from the base(s) it is linked in to the base its legal entity names now."""

    def __init__(self, deps: OrderDeps) -> None:
        self.deps = deps
        self.member_id = deps.member_id

    def run(self, bundle: DealBundle, new_base_id: int, old_links: list[Link]) -> PushResult:
        """Create the order in the new base, cancel it in the old ones, rewrite the deal, drop the old links.
        Raises (and journals the error) when any step fails; nothing is undone, a retry finishes the move."""
        deps = self.deps
        deal_id = str(bundle.deal["ID"])
        new = _Side.open(deps, new_base_id)
        olds = [_Side.open(deps, link.base_id) for link in old_links]
        for side in (new, *olds):
            side.circuit.check(side.base.label)
        deps.ensure_fields()
        moved = f"deal:{deal_id} base:{','.join(str(s.base_id) for s in olds)}->{new_base_id}"
        with deps.journal.exchange(self.member_id, SWITCH_KIND, "b24_to_1c", base_id=new_base_id,
                                   entity=moved) as entry:
            ref_key, number, body = self._order_in(new, bundle)
            old_numbers = [self._cancel_in(side, link, bundle, new, number)
                           for side, link in zip(olds, old_links, strict=True)]
            self._rewrite_deal(bundle, new, ref_key, number, olds, old_numbers)
            for link in old_links:
                deps.links.remove(self.member_id, link)
            self._remember(deal_id, body, new_base_id)
            entry.items = 1 + len(olds)
        return PushResult(SWITCHED, new_base_id, ref_key, number)

    def _body(self, side: _Side, bundle: DealBundle, *, cancel: bool) -> tuple[dict, str]:
        """The order body for one side of the move and the Ref_Key of the buyer it names."""
        body, buyer = build_order_body(side.odata, side.profile, bundle, seller_inn=side.seller_inn,
                                       locks=self.deps.locks, cancel=cancel)
        return body, buyer.ref_key

    def _order_in(self, new: _Side, bundle: DealBundle) -> tuple[str, str, dict]:
        """The deal's order in the new base, posted and linked: (Ref_Key, number, the body sent)."""
        links = self.deps.links
        deal_id = str(bundle.deal["ID"])
        with new.circuit.watch():
            body, buyer_key = self._body(new, bundle, cancel=False)
            links.put(self.member_id, new.base_id, "company", str(bundle.company["ID"]),
                      new.profile.object("counterparty").entity_set, buyer_key)
            try:
                written = DocumentWriter(new.odata, new.spec).save(
                    order_key(self.member_id, deal_id), body, comment=_order_comment(bundle), post=True,
                    on_written=lambda ref: links.put(self.member_id, new.base_id, "deal", deal_id,
                                                     new.spec.entity_set, ref))
            except OneCQueryError as exc:
                raise PermanentSyncError(f"moving deal {deal_id} to 1C base «{new.base.name}»: 1C refused the "
                                         f"order: {exc.message}") from exc
            number_f = new.spec.field("number")
            number = str(new.odata.get(new.spec.entity_set, written.ref_key, select=[number_f]).get(number_f) or "")
        links.put(self.member_id, new.base_id, "deal", deal_id, new.spec.entity_set, written.ref_key, number)
        return written.ref_key, number, body

    def _cancel_in(self, old: _Side, link: Link, bundle: DealBundle, new: _Side, new_number: str) -> str:
        """Cancel the deal's order in an old base as a lost deal's order is cancelled; returns its number."""
        deal_id = str(bundle.deal["ID"])
        with old.circuit.watch():
            body, _ = self._body(old, bundle, cancel=True)
            try:
                DocumentWriter(old.odata, old.spec).save(order_key(self.member_id, deal_id), body,
                                                         comment=_order_comment(bundle), post=True)
            except OneCQueryError as exc:
                raise PermanentSyncError(
                    f"moving deal {deal_id} from 1C base «{old.base.name}» to «{new.base.name}»: the order "
                    f"№ {new_number} is made in «{new.base.name}», but 1C refused to cancel order "
                    f"№ {link.onec_number or link.onec_ref} in «{old.base.name}» ({exc.message}); cancel it "
                    "there by hand, then send the deal again") from exc
        return link.onec_number or ""

    def _rewrite_deal(self, bundle: DealBundle, new: _Side, ref_key: str, number: str, olds: list[_Side],
                      old_numbers: list[str]) -> None:
        """The deal's 1C fields from the new order (number, link, paid and shipped state) and a timeline comment,
        in one batch (crm.deal.update, crm.timeline.comment.add: api-reference/crm/deals/crm-deal-update.md,
        crm/timeline/comments/crm-timeline-comment-add.md)."""
        deps = self.deps
        settings = deps.settings
        reader = OneCDocuments(new.odata, new.profile)
        with new.circuit.watch():
            order = reader.order_by_key(ref_key)
            state = reader.order_documents(order) if order is not None else None
        wanted = {settings.deal_fields["order_number"]: number,
                  settings.deal_fields["order_link"]: navigation_link(new.base.url, new.spec.entity_set, ref_key)}
        if state is not None:
            wanted.update({k: str(v) for k, v in payment_fields(settings, state).items()})
            wanted.update({k: str(v) for k, v in shipment_fields(settings, state).items()})
        changed = {k: v for k, v in wanted.items() if str(bundle.deal.get(k) or "") != v}
        lang = deps.lang
        cancelled = "; ".join(message("entity_switch_cancelled", lang, number=n or None, base=s.base.name)
                              for s, n in zip(olds, old_numbers, strict=True))
        comment = message("entity_switch", lang, why=_why_moved(settings, bundle.deal, new.base_id, lang),
                          cancelled=cancelled, base=new.base.name, number=number)
        # Told once per move: a retry of the whole switch (a later step failed) does not repeat the comment.
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


def _why_moved(settings: PortalSettings, deal: dict, new_base_id: int, lang: str = "ru") -> str:
    """The manager's words for the move: the legal entity when its value names the new base, else the pipeline."""
    value = str(deal.get(settings.legal_entity_field) or "") if settings.legal_entity_field else ""
    if value and settings.legal_entity_bases.get(value) == new_base_id:
        return message("entity_switch_why_legal_entity", lang)
    return message("entity_switch_why_pipeline", lang)

