"""Deal → 1C customer order (ARCHITECTURE.md flow 4; issue 5 "Bitrix24 → 1C").

When a deal is in the stage the settings name `make_order` (or an order is asked for by a button, `force`), the
deal, its company with requisites and its product rows are read through REST (events carry only the ID:
api-reference/events/event-bind.md), the buyer is found in 1C by INN (+KPP) or created, every row's product is
resolved by XML_ID / article, and the order is created or updated and posted through `DocumentWriter` under the
idempotency key `b24:<member_id>:deal:<id>` (`order_model.order_key`: another organization than the base's own
adds its INN) — so however often the deal's events arrive, 1C holds one order per deal, base and organization.
The 1C number and a link are written back to the deal; a deal that already has an order keeps it in step with
later changes, and a deal moved to a failure stage ("lost") cancels its order's lines when 1C
accepts that (not for an order 1C refuses to change, e.g. one already shipped and closed). A deal whose seller
legal entity or pipeline now names another base, or another organization of its base, has its order re-issued
there (`legal_entity.py`).

One job per deal at a time (a lock shared by every worker, `OrderDeps.locks`), because DocumentWriter's
look-then-create is safe against retries, not against two writers racing; a fingerprint of what was last sent
skips a redelivered event without writing to 1C. Everything the class uses comes in one `OrderDeps` built by the
job layer (`b24app/jobs/outbox.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from b24app.bitrix.errors import NotFound
from b24app.core.errors import PermanentSyncError
from b24app.core.messages import message
from b24app.core.portal_settings import PortalSettings
from b24app.onec.documents import DocumentWriter
from b24app.onec.errors import OneCQueryError
from b24app.sync.to_onec.deal_reads import read_deal
from b24app.sync.to_onec.deps import OneCBases, OrderDeps
from b24app.sync.to_onec.legal_entity import (
    LegalEntitySwitch,
    orders_elsewhere,
    remember_seller,
    require_organization,
)
from b24app.sync.to_onec.order_body import build_order_body
from b24app.sync.to_onec.order_model import (
    CANCELLED,
    CREATED,
    PUSHED,
    PUSHED_INPUT,
    SKIPPED,
    TOLD,
    UNCHANGED,
    UPDATED,
    DealBundle,
    PushResult,
    fingerprint,
    input_fingerprint,
    navigation_link,
    order_comment,
    order_key,
    pushed_key,
    seller_of,
)
from b24app.sync.to_onec.write_back import WriteBacks


def choose_base(bases: OneCBases, settings: PortalSettings, deal: dict, also: list[int] | tuple = ()) -> int:
    """The 1C base of the deal's seller among the portal's enabled bases (`deal_base`); `also`: the enabled bases
    1C reaches over CommerceML, which `bases` (OData only) does not list."""
    enabled = sorted(set(bases.enabled()) | set(also))
    if not enabled:
        raise PermanentSyncError("no 1C base is configured (or all are disabled) for this portal")
    return deal_base(settings, deal, enabled)


def deal_base(settings: PortalSettings, deal: dict, enabled: list[int]) -> int:
    """Which base a deal belongs to: the base its seller legal-entity value is mapped to; else the base of its
    pipeline (`category_bases`, deal field CATEGORY_ID, "0" = default pipeline: crm-deal-get.md); else, when no
    legal-entity field is in use, the only (or first) enabled base. A deal whose base changes this way (another
    legal entity, another pipeline) has its order moved by `legal_entity.LegalEntitySwitch`.
    Raises PermanentSyncError when the chosen base is disabled or gone, or nothing names a base."""
    if settings.legal_entity_field:
        value = str(deal.get(settings.legal_entity_field) or "")
        base_id = settings.legal_entity_bases.get(value)
        if base_id is not None:
            return _usable(base_id, enabled, f"legal entity {value}")
    category = str(deal.get("CATEGORY_ID") or 0)
    base_id = settings.category_bases.get(category)
    if base_id is not None:
        return _usable(base_id, enabled, f"pipeline {category}")
    if settings.legal_entity_field:
        value = str(deal.get(settings.legal_entity_field) or "")
        raise PermanentSyncError(f"the deal's {settings.legal_entity_field} = {value or '(empty)'} names no 1C "
                                 f"base and its pipeline {category} has none: map one in the settings (legal "
                                 "entities or deal stages)")
    return min(enabled)


def _usable(base_id: int, enabled: list[int], chosen_for: str) -> int:
    if base_id not in enabled:
        raise PermanentSyncError(f"the 1C base {base_id} chosen for {chosen_for} is disabled or gone")
    return base_id


def _wants_order(bundle: DealBundle, settings: PortalSettings, linked: bool, force: bool) -> str | None:
    """None (leave it), 'order' or 'cancel'."""
    deal = bundle.deal
    if deal.get("STAGE_SEMANTIC_ID") == "F":
        return "cancel" if linked else None
    if force or linked:
        return "order"
    target = settings.stage_map(deal.get("CATEGORY_ID")).make_order
    return "order" if target and deal.get("STAGE_ID") == target else None


class DealOrders:
    """Pushes deals of one portal to 1C as customer orders."""

    def __init__(self, deps: OrderDeps, write_backs: WriteBacks | None = None) -> None:
        self.deps = deps
        self.member_id = deps.member_id
        self.client = deps.bitrix
        self.settings = deps.settings
        self.lang = deps.lang
        # Sent at once unless the job shares one batch among many deals (and flushes it itself).
        self.write_backs = write_backs or WriteBacks(deps.bitrix, deps.member_id, deps.own_writes, deferred=False)

    def push(self, deal_id: str, *, force: bool = False, bundle: DealBundle | None = None,
             locked: bool = False) -> PushResult:
        """Bring 1C in line with the deal as Bitrix24 has it now. Safe to repeat and to run concurrently.

        `bundle`: the deal as read by a caller that read many deals together (`deal_reads.read_deals`) while
        already holding the deal's lock (`locked`): a bundle read before another job's push would send stale data.
        """
        if locked:
            return self._push_locked(str(deal_id), force, bundle)
        with self.deps.locks.entity_lock(f"deal:{deal_id}"):
            return self._push_locked(str(deal_id), force, bundle)

    def _push_locked(self, deal_id: str, force: bool, bundle: DealBundle | None = None) -> PushResult:
        deps = self.deps
        if not self.settings.schedules.push_to_1c and not force:
            return PushResult(SKIPPED, reason="sending to 1C is switched off in the settings")
        try:
            bundle = bundle or read_deal(self.client, deal_id)
        except NotFound:
            return PushResult(SKIPPED, reason=f"deal {deal_id} no longer exists")
        cml = deps.commerceml
        base_id = choose_base(deps.bases, self.settings, bundle.deal, cml.bases() if cml else ())
        if cml is not None and cml.serves(base_id):
            return cml.offer(bundle, base_id, force=force)  # 1C fetches the order itself (sync/commerceml_orders.py)
        seller = seller_of(self.settings.seller_inn_for(bundle.deal), base_id, deps.bases.legal_entity_inn(base_id))
        # The deal's order was made for another seller: another base, or another organization of this base — its
        # seller legal entity or pipeline changed (legal_entity.py).
        moved = orders_elsewhere(deps, deal_id, seller)
        if moved and bundle.deal.get("STAGE_SEMANTIC_ID") == "F":
            seller = moved[0].seller  # a lost deal cancels its order where, and under whom, the order is
            base_id = seller.base_id
        elif moved:
            return LegalEntitySwitch(deps).run(bundle, seller, moved)
        onec = deps.bases.onec_for(base_id)
        base, profile = onec.base, onec.profile
        spec = profile.object("customer_order")
        linked = [lk for lk in deps.links.for_entity(self.member_id, "deal", deal_id)
                  if lk.base_id == base_id and lk.onec_set == spec.entity_set]
        action = _wants_order(bundle, self.settings, bool(linked), force)
        if action is None:
            return PushResult(SKIPPED, base_id, reason="the deal is not in the stage that makes an order")
        seller_inn = seller.org_inn or deps.bases.legal_entity_inn(base_id)
        warehouse = self.settings.warehouse_for(base_id, bundle.deal.get("CATEGORY_ID"))
        made_from = input_fingerprint(action, bundle, base_id, seller=[seller_inn, base.profile, warehouse],
                                      legal_entity_field=self.settings.legal_entity_field)
        seen = deps.marks.get(PUSHED_INPUT, pushed_key(self.member_id, "deal", deal_id))
        if linked and not force and seen == made_from:
            # Nothing the order is made from changed (e.g. the event of our own write-back): 1C is not asked.
            return PushResult(UNCHANGED, base_id, linked[0].onec_ref, linked[0].onec_number)
        odata = onec.odata
        circuit = deps.circuit_for(base_id)
        circuit.check(base.label)
        deps.ensure_fields()
        with circuit.watch(), deps.journal.exchange(self.member_id, "deal_order", "b24_to_1c", base_id=base_id,
                                                    entity=f"deal:{deal_id}") as entry:
            if action == "order":
                require_organization(odata, profile, seller)  # the value's organization, never another instead
            body, buyer = build_order_body(odata, profile, bundle, seller_inn=seller_inn, locks=deps.locks,
                                           cancel=action == "cancel", warehouse=warehouse)
            # The company now has its counterparty in this base: the card tab and the debt stream use the link.
            if bundle.company:  # a private buyer's deal has a contact only
                deps.links.put(self.member_id, base_id, "company", str(bundle.company["ID"]),
                               profile.object("counterparty").entity_set, buyer.ref_key)
            mark = fingerprint(action, body, base_id)
            if linked and deps.marks.get(PUSHED, pushed_key(self.member_id, "deal", deal_id)) == mark:
                deps.marks.put(PUSHED_INPUT, pushed_key(self.member_id, "deal", deal_id), made_from)
                entry.status, entry.items = "skipped", 0
                return PushResult(UNCHANGED, base_id, linked[0].onec_ref, linked[0].onec_number)
            writer = DocumentWriter(odata, spec)
            comment = order_comment(deal_id, bundle.deal.get("TITLE"))
            try:
                # Linked as soon as 1C holds it: if posting or reading its number fails, the deal still knows its
                # order (and is never told it was not sent).
                written = writer.save(order_key(self.member_id, deal_id, seller.org_inn), body, comment=comment,
                                      post=True,
                                      on_written=lambda ref: deps.links.put(self.member_id, base_id, "deal", deal_id,
                                                                            spec.entity_set, ref))
            except OneCQueryError as exc:
                if action == "cancel":
                    self._comment(deal_id, message("order_cancel_refused", self.lang, error=exc.message))
                    entry.status = "skipped"
                    return PushResult(SKIPPED, base_id, reason=f"1C refused to cancel: {exc.message}")
                raise PermanentSyncError(f"1C refused the order of deal {deal_id}: {exc.message}") from exc
            number_f = spec.field("number")
            number = str(odata.get(spec.entity_set, written.ref_key, select=[number_f]).get(number_f) or "")
            deps.links.put(self.member_id, base_id, "deal", deal_id, spec.entity_set, written.ref_key, number)
            remember_seller(deps, deal_id, seller)  # which organization this base's linked order belongs to
            outcome = CANCELLED if action == "cancel" else CREATED if written.created else UPDATED
            # The manager is told once per order and outcome: a retry after the order was made (and the first
            # write-back failed) finds it "updated", and still owes the "created" comment.
            told = f"{self.member_id}:deal:{deal_id}:{written.ref_key}:{CANCELLED if action == 'cancel' else CREATED}"
            announce = outcome != UPDATED or not linked
            comment = _comment_text(CANCELLED if action == "cancel" else CREATED, number, base.name, self.lang)
            say = comment if announce and deps.marks.get(TOLD, told) is None else None
            pushed = pushed_key(self.member_id, "deal", deal_id)

            def confirmed(done: set[str], wanted: set[str]) -> None:
                # Marked only for what the portal confirmed: an unconfirmed write-back is sent (and told) again.
                if "comment" in done:
                    deps.marks.put(TOLD, told)
                if done >= wanted:
                    deps.marks.put(PUSHED, pushed, mark)
                    deps.marks.put(PUSHED_INPUT, pushed, made_from)

            self._write_back(bundle, base.url, spec.entity_set, written.ref_key, number, say, confirmed)
            entry.items = 1
            return PushResult(outcome, base_id, written.ref_key, number)

    def _write_back(self, bundle: DealBundle, base_url: str, entity_set: str, ref_key: str, number: str,
                    comment: str | None, confirmed: Callable[[set[str], set[str]], None]) -> None:
        """The order's number and link into the deal's fields and, when something happened a manager should
        know, a timeline comment — queued with the other deals' write-backs of this job (`write_back.py`)."""
        fields = self.settings.deal_fields
        wanted = {fields["order_number"]: number,
                  fields["order_link"]: navigation_link(base_url, entity_set, ref_key)}
        changed = {k: v for k, v in wanted.items() if str(bundle.deal.get(k) or "") != v}
        commands: dict[str, tuple[str, dict]] = {}
        if changed:
            commands["fields"] = ("crm.deal.update", {"id": bundle.deal["ID"], "fields": changed})
        if comment:
            commands["comment"] = ("crm.timeline.comment.add", {"fields": {
                "ENTITY_ID": bundle.deal["ID"], "ENTITY_TYPE": "deal", "COMMENT": comment}})
        self.write_backs.add(str(bundle.deal["ID"]), commands, lambda done: confirmed(done, set(commands)))

    def _comment(self, deal_id: str, text: str) -> None:
        # api-reference/crm/timeline/comments/crm-timeline-comment-add.md: ENTITY_TYPE "deal", ENTITY_ID, COMMENT.
        self.client.call("crm.timeline.comment.add",
                         {"fields": {"ENTITY_ID": deal_id, "ENTITY_TYPE": "deal", "COMMENT": text}})


def _comment_text(outcome: str, number: str, base_name: str, lang: str = "ru") -> str:
    """The timeline comment for an order made (CREATED) or a lost deal's order cancelled, in `lang`."""
    return message("order_created" if outcome == CREATED else "order_cancelled", lang, number=number, base=base_name)

