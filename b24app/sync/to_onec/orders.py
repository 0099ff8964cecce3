"""Deal → 1C customer order (ARCHITECTURE.md flow 4; issue 5 "Bitrix24 → 1C").

When a deal is in the stage the settings name `make_order` (or an order is asked for by a button, `force`), the
deal, its company with requisites and its product rows are read through REST (events carry only the ID:
api-reference/events/event-bind.md), the buyer is found in 1C by INN (+KPP) or created, every row's product is
resolved by XML_ID / article, and the order is created or updated and posted through `DocumentWriter` under the
idempotency key `b24:<member_id>:deal:<id>` — so however often the deal's events arrive, 1C holds one order per
deal and base. The 1C number and a link are written back to the deal; a deal that already has an order keeps it
in step with later changes, and a deal moved to a failure stage ("lost") cancels its order's lines when 1C
accepts that (not for an order 1C refuses to change, e.g. one already shipped and closed). A deal whose seller
legal entity or pipeline now names another base has its order moved there (`legal_entity.py`).

One job per deal at a time (a Redis lock), because DocumentWriter's look-then-create is safe against retries,
not against two writers racing; a fingerprint of what was last sent skips a redelivered event without touching 1C.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import NotFound
from b24app.config import SyncTuning
from b24app.core.errors import Busy, PermanentSyncError
from b24app.core.formatting import normalize_lang
from b24app.core.messages import message
from b24app.core.portal_settings import PortalSettings
from b24app.onec.documents import DocumentWriter
from b24app.onec.errors import OneCQueryError
from b24app.onec.odata import ODataClient, RetryPolicy
from b24app.onec.profiles import Profile, load_profile
from b24app.runtime import Runtime
from b24app.sync.to_bitrix.user_fields import ensure_fields_once
from b24app.sync.to_onec import counterparties as cp
from b24app.sync.to_onec import legal_entity
from b24app.sync.to_onec.order_refs import ProductRef, SellerRefs, resolve_product, seller_refs

log = logging.getLogger(__name__)

CREATED, UPDATED, CANCELLED, UNCHANGED, SKIPPED = "created", "updated", "cancelled", "unchanged", "skipped"


@dataclass(frozen=True)
class DealBundle:
    """What Bitrix24 says about a deal: the deal, its product rows, company, requisites and row products."""

    deal: dict
    rows: list[dict]
    company: dict | None
    requisites: list[dict]
    products: dict[str, dict] = field(default_factory=dict)  # PRODUCT_ID -> crm.product.get answer


@dataclass(frozen=True)
class PushResult:
    outcome: str  # created / updated / cancelled / unchanged / skipped
    base_id: int | None = None
    ref_key: str | None = None
    number: str | None = None
    reason: str = ""


# Durable marks (store/marks.py): what was last sent to 1C for an entity, and which order announcements the
# manager has had on the deal's timeline.
PUSHED, TOLD = "pushed", "order-told"


def pushed_key(member_id: str, kind: str, entity_id: str) -> str:
    return f"{member_id}:{kind}:{entity_id}"


def order_key(member_id: str, deal_id: str) -> str:
    return f"b24:{member_id}:deal:{deal_id}"


def read_deal(client: BitrixClient, deal_id: str) -> DealBundle:
    """Deal, rows, company and requisites in one batch (one request against the rate limit,
    settings/how-to-call-rest-api/batch.md, `$result[deal][COMPANY_ID]` references the deal's answer), then the
    rows' products in a second."""
    answer = client.batch({
        "deal": ("crm.deal.get", {"id": deal_id}),
        "rows": ("crm.deal.productrows.get", {"id": deal_id}),
        "company": ("crm.company.get", {"id": "$result[deal][COMPANY_ID]"}),
        "requisites": ("crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": "$result[deal][COMPANY_ID]"},
                                              "select": ["ID", "RQ_INN", "RQ_KPP", "RQ_COMPANY_NAME",
                                                         "RQ_COMPANY_FULL_NAME"]}),
    })
    if "deal" in answer.errors:
        raise answer.errors["deal"]
    deal = answer.results["deal"]
    rows = list(answer.results.get("rows") or [])
    company = answer.results.get("company") if str(deal.get("COMPANY_ID") or "0") != "0" else None
    requisites = list(answer.results.get("requisites") or []) if company else []
    ids = sorted({str(r.get("PRODUCT_ID")) for r in rows if str(r.get("PRODUCT_ID") or "0") != "0"})
    products: dict[str, dict] = {}
    if ids:
        got = client.batch({pid: ("crm.product.get", {"id": pid}) for pid in ids})
        products = {pid: got.results[pid] for pid in ids if pid in got.results}
    return DealBundle(deal, rows, company, requisites, products)


def choose_base(ctx: Runtime, member_id: str, settings: PortalSettings, deal: dict) -> int:
    """The 1C base of the deal's seller among the portal's enabled bases (`deal_base`)."""
    enabled = [b.id for b in ctx.bases.list(member_id) if b.enabled]
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


def _number(value: Any) -> float:
    try:
        return float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return 0.0


def order_lines(bundle: DealBundle, refs: dict[str, ProductRef], profile: Profile, *, cancel: bool,
                logical: str = "customer_order") -> list[dict]:
    """Goods lines in 1C property names. A row's PRICE is the final unit price with tax as Bitrix24 shows it
    (crm-deal-productrows-get.md); VAT is extracted at the row's TAX_RATE."""
    goods = profile.object(logical).table("goods").fields
    lines = []
    for row in bundle.rows:
        ref = refs[str(row.get("PRODUCT_ID"))]
        qty = _number(row.get("QUANTITY")) or 1.0
        price = _number(row.get("PRICE"))
        amount = round(price * qty, 2)
        rate = _number(row.get("TAX_RATE"))
        vat = round(amount * rate / (100 + rate), 2) if rate else 0.0
        values = {"product": ref.ref_key, "package": ref.unit, "packages": qty, "quantity": qty, "price": price,
                  "amount": amount, "vat_rate": ref.vat_rate, "vat_amount": vat, "amount_with_vat": amount,
                  "cancelled": cancel}
        lines.append({goods[k].name: v for k, v in values.items() if k in goods and v is not None})
    return lines


def order_body(bundle: DealBundle, buyer: cp.CounterpartyRef, seller: SellerRefs, refs: dict[str, ProductRef],
               profile: Profile, *, cancel: bool) -> dict:
    spec = profile.object("customer_order")
    lines = order_lines(bundle, refs, profile, cancel=cancel)
    amount_f = spec.table("goods").fields.get("amount")
    total = 0.0 if cancel else round(sum(line.get(amount_f.name, 0.0) for line in lines), 2) if amount_f else 0.0
    values: dict[str, Any] = {
        "organization": seller.organization, "counterparty": buyer.ref_key, "partner": buyer.partner_key,
        "currency": seller.currency, "warehouse": seller.warehouse, "amount": total, "price_includes_vat": True,
        "customer_number": f"B24-{bundle.deal['ID']}"[:30],
    }
    if "status" in spec.fields:
        # Enum values differ between configurations and releases, so the profile names them.
        values["status"] = spec.value("status_closed" if cancel else "status_open")
    body = {spec.field(k): v for k, v in values.items() if v is not None and k in spec.fields}
    body[spec.table("goods").name] = lines
    return body


def navigation_link(base_url: str, entity_set: str, ref_key: str) -> str:
    """A link that opens the document in the 1C web client: `e1cib/data/<Документ.Имя>?ref=<hex>`, where the hex
    is the reference's 16 bytes in 1C's storage order (the GUID's last two groups first, then the 3rd, 2nd, 1st)."""
    a, b, c, d, e = ref_key.split("-")
    kind, _, name = entity_set.partition("_")
    prefix = {"Document": "Документ", "Catalog": "Справочник"}.get(kind, kind)
    return f"{base_url.rstrip('/')}/#e1cib/data/{prefix}.{name}?ref={d}{e}{c}{b}{a}"


def fingerprint(action: str, body: dict, base_id: int) -> str:
    raw = json.dumps({"a": action, "b": body, "base": base_id}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


class DealOrders:
    """Pushes deals of one portal to 1C as customer orders."""

    def __init__(self, ctx: Runtime, member_id: str, client: BitrixClient | None = None,
                 tuning: SyncTuning | None = None) -> None:

        self.ctx = ctx
        self.member_id = member_id
        self.client = client or ctx.bitrix(member_id)
        self.tuning = tuning or ctx.tuning
        self.settings = ctx.portal_settings.get(member_id)

    @functools.cached_property
    def lang(self) -> str:
        """The language of the deal's timeline comments: the portal's (its install LANG), Russian when unknown.
        Assign it to override."""
        record = self.ctx.portals.get(self.member_id)
        return normalize_lang(record.lang if record else None)

    def push(self, deal_id: str, *, force: bool = False) -> PushResult:
        """Bring 1C in line with the deal as Bitrix24 has it now. Safe to repeat and to run concurrently."""
        lock = self.ctx.redis.lock(self.ctx.keys.sync_lock(self.member_id, f"deal:{deal_id}"),
                                   timeout=self.tuning.lease_seconds, blocking_timeout=5)
        if not lock.acquire():
            raise Busy(f"deal {deal_id} is being sent to 1C by another job")
        try:
            return self._push_locked(str(deal_id), force)
        finally:
            try:
                lock.release()
            except Exception:  # noqa: BLE001 - the lock expired under a long job; nothing to undo
                log.warning("deal %s: sync lock expired before release", deal_id)

    def _push_locked(self, deal_id: str, force: bool) -> PushResult:
        if not self.settings.schedules.push_to_1c and not force:
            return PushResult(SKIPPED, reason="sending to 1C is switched off in the settings")
        try:
            bundle = read_deal(self.client, deal_id)
        except NotFound:
            return PushResult(SKIPPED, reason=f"deal {deal_id} no longer exists")
        base_id = choose_base(self.ctx, self.member_id, self.settings, bundle.deal)
        # The deal's order lives in another base: its seller legal entity changed (legal_entity.py).
        moved = legal_entity.order_links_elsewhere(self.ctx, self.member_id, deal_id, base_id)
        if moved and bundle.deal.get("STAGE_SEMANTIC_ID") == "F":
            base_id = moved[0].base_id  # a lost deal cancels its order where the order is
        elif moved:
            return legal_entity.LegalEntitySwitch(self).run(bundle, base_id, moved)
        base = self.ctx.bases.connection(self.member_id, base_id)
        profile = load_profile(base.profile)
        spec = profile.object("customer_order")
        linked = [lk for lk in self.ctx.links.for_entity(self.member_id, "deal", deal_id)
                  if lk.base_id == base_id and lk.onec_set == spec.entity_set]
        action = _wants_order(bundle, self.settings, bool(linked), force)
        if action is None:
            return PushResult(SKIPPED, base_id, reason="the deal is not in the stage that makes an order")
        # Short in-call retries: the outbox and RQ retry with long backoff, so one job need not wait out an outage.
        odata = ODataClient(base, retry=RetryPolicy(attempts=2, base_delay=0.3, max_delay=2.0))
        circuit = self.ctx.circuit(self.member_id, base_id)
        circuit.check(base.label)
        ensure_fields_once(self.ctx, self.member_id, self.client, self.settings)
        with circuit.watch(), self.ctx.journal.exchange(self.member_id, "deal_order", "b24_to_1c", base_id=base_id,
                                                        entity=f"deal:{deal_id}") as entry:
            body, buyer = self._body(odata, profile, bundle, base_id, cancel=action == "cancel")
            # The company now has its counterparty in this base: the card tab and the debt stream use the link.
            self.ctx.links.put(self.member_id, base_id, "company", str(bundle.company["ID"]),
                               profile.object("counterparty").entity_set, buyer.ref_key)
            mark = fingerprint(action, body, base_id)
            if linked and self.ctx.marks.get(PUSHED, pushed_key(self.member_id, "deal", deal_id)) == mark:
                entry.status, entry.items = "skipped", 0
                return PushResult(UNCHANGED, base_id, linked[0].onec_ref, linked[0].onec_number)
            writer = DocumentWriter(odata, spec)
            comment = f"Сделка Битрикс24 №{deal_id}: {bundle.deal.get('TITLE') or ''}".strip()
            try:
                written = writer.save(order_key(self.member_id, deal_id), body, comment=comment, post=True)
            except OneCQueryError as exc:
                if action == "cancel":
                    self._comment(deal_id, message("order_cancel_refused", self.lang, error=exc.message))
                    entry.status = "skipped"
                    return PushResult(SKIPPED, base_id, reason=f"1C refused to cancel: {exc.message}")
                raise PermanentSyncError(f"1C refused the order of deal {deal_id}: {exc.message}") from exc
            number = str(odata.get(spec.entity_set, written.ref_key, select=["Number"]).get("Number") or "")
            self.ctx.links.put(self.member_id, base_id, "deal", deal_id, spec.entity_set, written.ref_key, number)
            outcome = CANCELLED if action == "cancel" else CREATED if written.created else UPDATED
            # The manager is told once per order and outcome: a retry after the order was made (and the first
            # write-back failed) finds it "updated", and still owes the "created" comment.
            told = f"{self.member_id}:deal:{deal_id}:{written.ref_key}:{CANCELLED if action == 'cancel' else CREATED}"
            announce = outcome != UPDATED or not linked
            comment = _comment_text(CANCELLED if action == "cancel" else CREATED, number, base.name, self.lang)
            if announce and self.ctx.marks.get(TOLD, told) is None:
                self._write_back(bundle, base.url, spec.entity_set, written.ref_key, number, comment)
                self.ctx.marks.put(TOLD, told)
            else:
                self._write_back(bundle, base.url, spec.entity_set, written.ref_key, number, None)
            self.ctx.marks.put(PUSHED, pushed_key(self.member_id, "deal", deal_id), mark)
            entry.items = 1
            return PushResult(outcome, base_id, written.ref_key, number)

    def _body(self, odata: ODataClient, profile: Profile, bundle: DealBundle, base_id: int, *,
              cancel: bool) -> tuple[dict, cp.CounterpartyRef]:
        buyer = self.counterparty_for(odata, profile, cp.identity_from(bundle.company, bundle.requisites))
        record = self.ctx.bases.get(self.member_id, base_id)
        seller = seller_refs(odata, profile, record.legal_entity_inn)
        refs = self.product_refs(odata, profile, bundle)
        if not refs:
            raise PermanentSyncError(f"deal {bundle.deal['ID']} has no product rows to order")
        return order_body(bundle, buyer, seller, refs, profile, cancel=cancel), buyer

    @staticmethod
    def product_refs(odata: ODataClient, profile: Profile, bundle: DealBundle) -> dict[str, ProductRef]:
        """The 1C item of every product row (by PRODUCT_ID); PermanentSyncError names a row 1C cannot place."""
        refs: dict[str, ProductRef] = {}
        for row in bundle.rows:
            pid = str(row.get("PRODUCT_ID") or "0")
            label = str(row.get("PRODUCT_NAME") or pid)
            if pid == "0" or pid not in bundle.products:
                raise PermanentSyncError(f"product row «{label}» is not a catalog product: 1C needs a product "
                                         "with an XML_ID (1C reference or article)")
            if pid not in refs:
                refs[pid] = resolve_product(odata, profile, str(bundle.products[pid].get("XML_ID") or ""), label)
        return refs

    def counterparty_for(self, odata: ODataClient, profile: Profile, who: cp.CompanyIdentity) -> cp.CounterpartyRef:
        """The buyer's counterparty, created once even when several jobs meet a new company together."""
        found = cp.find_counterparty(odata, profile, who)
        if found is not None:
            return found
        # Two deals of one new company must not create two counterparties: look again under a per-INN lock.
        with self.ctx.redis.lock(self.ctx.keys.counterparty_lock(self.member_id, who.inn, who.kpp),
                                 timeout=self.tuning.lease_seconds, blocking_timeout=30):
            found = cp.find_counterparty(odata, profile, who)
            if found is not None:
                return found
            return cp.create_counterparty(odata, profile, who)

    def _write_back(self, bundle: DealBundle, base_url: str, entity_set: str, ref_key: str, number: str,
                    comment: str | None) -> None:
        """The order's number and link into the deal's fields and, when something happened a manager should
        know, a timeline comment: one batch, one request against the rate limit."""
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
        if commands:
            self.client.batch(commands).raise_first_error()

    def _comment(self, deal_id: str, text: str) -> None:
        # api-reference/crm/timeline/comments/crm-timeline-comment-add.md: ENTITY_TYPE "deal", ENTITY_ID, COMMENT.
        self.client.call("crm.timeline.comment.add",
                         {"fields": {"ENTITY_ID": deal_id, "ENTITY_TYPE": "deal", "COMMENT": text}})


def _comment_text(outcome: str, number: str, base_name: str, lang: str = "ru") -> str:
    """The timeline comment for an order made (CREATED) or a lost deal's order cancelled, in `lang`."""
    return message("order_created" if outcome == CREATED else "order_cancelled", lang, number=number, base=base_name)

