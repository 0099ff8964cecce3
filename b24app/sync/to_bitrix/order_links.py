"""1C → Bitrix24: deals linked to 1C orders the app did not make (issue 12, "Follow every 1C order linked to a deal").

On day one a company running 1C already holds many open orders, and its deals name them: the order-number deal
field (`PortalSettings.deal_fields["order_number"]`; in БП 3.0 the customer invoice's number, the invoice being
the order document there), else ORIGIN_ID (a GUID = the order's Ref_Key, else its number), the order of trust of
`linking.deal_targets` that the card tab uses. The payments and shipments streams follow stored links only, so the
payments pull first turns what deals name into links of their own kind (`NAMED_LINK`: followed, never written to 1C — a
link of kind "deal" would make the deal push update or re-create that order), and hands back the orders whose
deals still owe their first full update: every existing receipt and sale of the order, with its DataVersion, so
the timeline comments get the same durable marks the streams give them and none is posted twice.

The first pass lists deals with the field (else ORIGIN_ID) not empty — `"!=FIELD": ""`, the filter the REST docs use
for "not empty" (api-reference/crm/contacts/crm-contact-list.md, example 2; crm/universal/crm-item-list.md) — sorted
and paged by ID (`iterate_by_id_batched`, settings/performance/huge-data.md). After it, every deal changed since the
newest DATE_MODIFY seen, less a look-back, is listed (a deal changed while the pass ran behind it is caught next
time; a deal whose name was cleared stops following its order). A deal routed to another base by its legal-entity
value or pipeline is not linked here; a deal whose order the app made keeps that order. A name matching no order or
several is logged and journaled once per name, never guessed, and looked at again on every pass (the order may be
entered in 1C later). An edited number moves the link.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from b24app.core.model import Order, OrderDocuments, PaymentKind
from b24app.core.portal_settings import PortalSettings
from b24app.onec import query as q
from b24app.onec.readers import MAX_OR_TERMS, OneCDocuments
from b24app.store.journal import JournalEntry
from b24app.store.links import Link
from b24app.sync.to_bitrix.deal_state import NAMED_LINK, Touched
from b24app.sync.to_bitrix.deal_writes import PushOutcome
from b24app.sync.to_bitrix.pull_deps import PullDeps

log = logging.getLogger(__name__)

STREAM = "order_links"  # the watermark of this pass, per portal and base
LOOKBACK = timedelta(minutes=10)
# Deals whose name matched nothing, looked at again each pass: bounded, the oldest reported fall out first.
MAX_UNRESOLVED = 500
_IDS_PER_CALL = 50  # crm.deal.list answers at most 50 records (list-methods-pecularities.md)
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_RECEIPTS = {PaymentKind.BANK: "bank_receipt", PaymentKind.CASH: "cash_receipt"}


@dataclass(frozen=True)
class NamedOrder:
    """What a deal names as its 1C order: a number (the field or ORIGIN_ID) or a Ref_Key (ORIGIN_ID)."""

    deal_id: str
    via: str  # "field" | "origin"
    number: str = ""
    ref: str = ""

    @property
    def name(self) -> str:
        return self.number or self.ref


@dataclass
class LinkState:
    """The stored watermark: where listing resumes, orders owing their first update, names reported."""

    since: str | None = None  # DATE_MODIFY as the portal writes it (ISO 8601 with offset)
    pending: tuple[str, ...] = ()
    unresolved: dict[str, str] | None = None  # deal id -> the name reported as matching no order or several
    routing: str = ""  # the settings `since` was reached under (`routing_digest`): other settings list all again

    def to_dict(self) -> dict:
        return {"since": self.since, "pending": sorted(self.pending), "unresolved": dict(self.unresolved or {}),
                "routing": self.routing}

    @classmethod
    def from_dict(cls, data: dict) -> LinkState:
        return cls(since=data.get("since"), pending=tuple(data.get("pending") or ()),
                   unresolved=dict(data.get("unresolved") or {}), routing=str(data.get("routing") or ""))


def routing_digest(settings: PortalSettings) -> str:
    """The settings deciding which deal names which order in which base: the number field, the legal-entity field
    and the maps of its values and of pipelines to bases. A deal skipped under one mapping may belong here under
    another without changing itself, so a new mapping starts a full pass."""
    raw = json.dumps([settings.deal_fields.get("order_number"), settings.legal_entity_field,
                      sorted(settings.legal_entity_bases.items()), sorted(settings.category_bases.items())])
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def _text(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None or value is False else str(value).strip()


def named_order(deal: dict, number_field: str) -> NamedOrder | None:
    """The number field first, then ORIGIN_ID (a GUID is a Ref_Key, anything else a number): linking.deal_targets."""
    deal_id = str(deal["ID"])
    number = _text(deal.get(number_field)) if number_field else ""
    if number:
        return NamedOrder(deal_id, "field", number=number)
    origin = _text(deal.get("ORIGIN_ID"))
    if not origin:
        return None
    if _GUID_RE.match(origin):
        return NamedOrder(deal_id, "origin", ref=origin.lower())
    return NamedOrder(deal_id, "origin", number=origin)


def routed_elsewhere(deps: PullDeps, deal: dict) -> bool:
    """Whether the deal's seller legal-entity value, else its pipeline, maps to another base (the base choice of
    linking.deal_bases and to_onec.orders.deal_base): its order is looked for there, not here."""
    settings = deps.settings
    if settings.legal_entity_field:
        mapped = settings.legal_entity_bases.get(_text(deal.get(settings.legal_entity_field)))
        if mapped is not None:
            return mapped != deps.base_id
    mapped = settings.category_bases.get(str(deal.get("CATEGORY_ID") or 0))
    return mapped is not None and mapped != deps.base_id


def same_number(stored: str, named: str) -> bool:
    """The deal still names the linked order: the same number, or its digits after the prefix and leading zeros
    (a bare "12" for "ТД00-000012", as readers.order_by_number matches)."""
    stored, named = stored.strip(), named.strip()
    if stored == named:
        return True
    tail = re.search(r"(\d+)$", stored)
    return named.isdigit() and tail is not None and tail.group(1).lstrip("0") == named.lstrip("0")


class NamedOrderLinks:
    """Links one base's orders to the deals that name them, at the start of the payments pull."""

    def __init__(self, deps: PullDeps) -> None:
        self.deps = deps
        self.docs: OneCDocuments = deps.documents
        self.order_set = deps.profile.object("customer_order").entity_set
        self.number_field = deps.settings.deal_fields.get("order_number", "")
        self._orders: dict[str, Order] = {}
        self._pending: tuple[str, ...] = ()

    # ------------------------------------------------------------------ the pass

    def link(self) -> list[Touched]:
        """Store the links deals name, and return what the pull must send to the deals still owing their first
        full update (payments and shipments both): one `Touched` per existing receipt and sale, and a refresh."""
        deps = self.deps
        stored = LinkState.from_dict(deps.watermarks.get(deps.member_id, deps.base_id, STREAM))
        routing = routing_digest(deps.settings)
        state = stored if stored.routing == routing else replace(stored, since=None)
        deals = self._listed(state)
        linked, problems = self._resolve([d for d in deals.values() if not routed_elsewhere(deps, d)])
        unresolved = {k: v for k, v in (state.unresolved or {}).items() if k in problems}
        for deal_id, (name, why) in problems.items():
            if unresolved.get(deal_id) != name:
                self._report(deal_id, why)
            unresolved[deal_id] = name
        moments = [datetime.fromisoformat(str(d["DATE_MODIFY"])) for d in deals.values() if d.get("DATE_MODIFY")]
        since = (max(moments) - LOOKBACK).isoformat(timespec="seconds") if moments else state.since
        state = LinkState(since=since, pending=tuple(sorted({*state.pending, *linked})),
                          unresolved=dict(list(unresolved.items())[-MAX_UNRESOLVED:]),
                          routing=routing if since else "")  # the mapping a listing position was reached under
        if state.to_dict() != stored.to_dict():
            deps.watermarks.put(deps.member_id, deps.base_id, STREAM, state.to_dict())
        if linked:
            # A pass that linked nothing is no exchange: the journal records the ones that did, and each problem.
            deps.journal.record(deps.member_id, JournalEntry(kind=STREAM, direction="1c_to_b24",
                                                             base_id=deps.base_id, items=len(linked)))
        self._pending = state.pending
        return self.first_update(state.pending)

    def settle(self, outcome: PushOutcome) -> None:
        """The pending orders are done once Bitrix24 confirmed every deal update they caused; else they are sent
        again next pass (what already arrived is not repeated: unchanged fields are left out, comments marked)."""
        if not outcome.complete or not self._pending:
            return
        deps = self.deps
        state = LinkState.from_dict(deps.watermarks.get(deps.member_id, deps.base_id, STREAM))
        deps.watermarks.put(deps.member_id, deps.base_id, STREAM,
                            LinkState(state.since, (), state.unresolved, state.routing).to_dict())

    # ------------------------------------------------------------------ reading the portal

    def _listed(self, state: LinkState) -> dict[str, dict]:
        """Deals that name an order, changed since the watermark, and those whose name matched nothing before."""
        settings = self.deps.settings
        select = ["ID", "DATE_MODIFY", "CATEGORY_ID", "ORIGIN_ID", *filter(None, (self.number_field,
                                                                                 settings.legal_entity_field))]
        deals: dict[str, dict] = {}
        # The first pass lists deals that name something; later passes every deal changed since, so a deal whose
        # name was cleared is seen too and stops following its order (`_resolve`).
        conditions = [{">=DATE_MODIFY": state.since}] if state.since else [
            {f"!={named_by}": ""} for named_by in filter(None, (self.number_field, "ORIGIN_ID"))]
        for condition in conditions:
            for deal in self.deps.bitrix.iterate_by_id_batched("crm.deal.list",
                                                               {"filter": condition, "select": select}):
                deals[str(deal["ID"])] = deal
        retry = sorted((state.unresolved or {}).keys() - deals.keys(), key=int)
        for start in range(0, len(retry), _IDS_PER_CALL):
            ids = retry[start:start + _IDS_PER_CALL]
            for deal in self.deps.bitrix.iterate_by_id("crm.deal.list", {"filter": {"@ID": ids}, "select": select}):
                deals[str(deal["ID"])] = deal
        return deals

    # ------------------------------------------------------------------ linking

    def _resolve(self, deals: list[dict]) -> tuple[set[str], dict[str, tuple[str, str]]]:
        """Link what the deals name; returns the keys of the orders whose deals must be recomputed (newly linked,
        or made by the app in place of a named one) and, per deal, the name that matched no order or several, with
        the reason."""
        deps = self.deps
        wanted: list[NamedOrder] = []
        replaced: set[str] = set()
        followed: dict[str, list[Link]] = {}  # deal id -> its named link in this base, if any
        for deal in deals:
            named = named_order(deal, self.number_field)
            if named is None:
                # Its number and ORIGIN_ID were cleared: the order it named no longer speaks for it.
                for stale in deps.links.for_entity(deps.member_id, NAMED_LINK, str(deal["ID"])):
                    if stale.base_id == deps.base_id:
                        deps.links.remove(deps.member_id, stale)
                continue
            made = [lk for lk in deps.links.for_entity(deps.member_id, "deal", named.deal_id)
                    if lk.base_id == deps.base_id and lk.onec_set == self.order_set]
            current = [lk for lk in deps.links.for_entity(deps.member_id, NAMED_LINK, named.deal_id)
                       if lk.base_id == deps.base_id and lk.onec_set == self.order_set]
            if made:
                # The app made this deal's order (linking.deal_targets: a stored link first): that one is the
                # deal's, and an order it named before no longer speaks for it; the deal is recomputed from it.
                for stale in current:
                    deps.links.remove(deps.member_id, stale)
                    replaced.add(made[0].onec_ref)
                continue
            if current and (current[0].onec_ref == named.ref if named.ref
                            else same_number(current[0].onec_number or "", named.number)):
                continue
            followed[named.deal_id] = current
            wanted.append(named)
        if not wanted:
            return replaced, {}
        found = self.docs.orders_named(sorted({n.number for n in wanted if n.number}),
                                       sorted({n.ref for n in wanted if n.ref}))
        linked: set[str] = set(replaced)
        problems: dict[str, tuple[str, str]] = {}
        for named in wanted:
            orders = found.get(named.name, [])
            if len(orders) != 1:
                problems[named.deal_id] = (named.name, self._why(named, orders))
                # The deal no longer names the order it followed: it follows none until its name is right.
                for stale in followed[named.deal_id]:
                    deps.links.remove(deps.member_id, stale)
                continue
            order = orders[0]
            self._orders[order.key] = order
            deps.links.put(deps.member_id, deps.base_id, NAMED_LINK, named.deal_id, self.order_set, order.key,
                           order.number)
            log.info("deal %s linked to 1C order %s (%s) by its %s %r in base %s", named.deal_id, order.number,
                     order.key, named.via, named.name, deps.base_id)
            linked.add(order.key)
        return linked, problems

    def _why(self, named: NamedOrder, orders: list[Order]) -> str:
        where = "order-number field" if named.via == "field" else "ORIGIN_ID"
        if not orders:
            return f"deal {named.deal_id}: its {where} {named.name!r} matches no 1C order in this base; not linked"
        listed = ", ".join(f"№ {o.number} of {o.date:%d.%m.%Y}" if o.date else f"№ {o.number}" for o in orders)
        return (f"deal {named.deal_id}: its {where} {named.name!r} matches {len(orders)} 1C orders ({listed}); "
                "not linked: enter the full number")

    def _report(self, deal_id: str, why: str) -> None:
        deps = self.deps
        log.warning("%s (base %s)", why, deps.base_id)
        deps.journal.record(deps.member_id, JournalEntry(kind="order_link", direction="1c_to_b24", status="skipped",
                                                         base_id=deps.base_id, entity=f"deal:{deal_id}", error=why))

    # ------------------------------------------------------------------ the first update

    def first_update(self, order_keys: Iterable[str]) -> list[Touched]:
        """Every receipt and sale of these orders as changed at its current DataVersion, plus a refresh (an order
        without documents still gets its fields)."""
        touched: list[Touched] = []
        documents: list[OrderDocuments] = []
        for key in order_keys:
            order = self._orders.get(key) or self.docs.order_by_key(key)
            if order is not None:
                documents.append(self.docs.order_documents(order))
        versions = self._versions(documents)
        for docs in documents:
            key = docs.order.key
            touched += [Touched(key, p.key, versions.get(p.key, ""), p.number, "payment") for p in docs.payments]
            touched += [Touched(key, s.key, versions.get(s.key, ""), s.number, "shipment") for s in docs.shipments]
            touched.append(Touched(key, "", "", what="refresh"))
        return touched

    def _versions(self, documents: list[OrderDocuments]) -> dict[str, str]:
        """DataVersion of every receipt and sale listed, a few keys per request and document kind."""
        by_kind: dict[str, set[str]] = {}
        for docs in documents:
            for p in docs.payments:
                by_kind.setdefault(_RECEIPTS[p.kind], set()).add(p.key)
            by_kind.setdefault("shipment", set()).update(s.key for s in docs.shipments)
        out: dict[str, str] = {}
        for logical, keys in by_kind.items():
            spec = self.docs.spec(logical)
            if spec is None or not keys:
                continue
            key_p, version_p = spec.field("key"), spec.field("version")
            ordered = sorted(keys)
            for start in range(0, len(ordered), MAX_OR_TERMS):
                condition = q.any_of(*(q.eq(key_p, k) for k in ordered[start:start + MAX_OR_TERMS]))
                for row in self.docs.client.query(spec.entity_set, filter=condition, select=[key_p, version_p]).rows:
                    out[row[key_p]] = str(row.get(version_p, ""))
        return out

