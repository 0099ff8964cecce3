"""Smart invoice → 1C customer invoice (issue 5 "Invoice → 1C invoice … same rules").

A Bitrix24 invoice (crm.item.* with entityTypeId 31, api-reference/crm/universal/invoice.md) is read with its
product rows (crm.item.productrow.list, ownerType "SI") and its company with requisites; the 1C customer invoice
(profile `customer_invoice`: УТ 11 `СчетНаОплатуКлиенту`, БП 3.0 `СчетНаОплатуПокупателю`) is created or updated and
posted under the key `b24:<member_id>:invoice:<id>`, for the same counterparty (by INN, or created), with the
invoice's sum, and — when the invoice belongs to a deal (`parentId2`) whose 1C order the app made in the same
base — that order as its basis document. Goods lines are sent when the profile's invoice has a goods table.
An invoice moved to a failure stage is marked cancelled (`Аннулирован` in УТ 11) when it was sent. A timeline
comment on the deal tells the manager the 1C number.
"""

from __future__ import annotations

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import NotFound
from b24app.core.errors import PermanentSyncError
from b24app.core.messages import message
from b24app.onec import refs as onec_refs
from b24app.onec.documents import DocumentWriter
from b24app.onec.errors import OneCQueryError
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile
from b24app.sync.to_onec import counterparties as cp
from b24app.sync.to_onec.deps import OrderDeps
from b24app.sync.to_onec.order_body import ORDER_REFS, order_lines, targets
from b24app.sync.to_onec.order_model import (
    CANCELLED,
    CREATED,
    ORDER_ORG,
    PUSHED,
    SKIPPED,
    TOLD,
    UNCHANGED,
    UPDATED,
    DealBundle,
    PushResult,
    fingerprint,
    order_org_key,
    pushed_key,
)
from b24app.sync.to_onec.order_refs import currency_code, line_refs, product_refs, seller_refs

INVOICE_TYPE = 31
# crm.item.productrow.list names (api-reference/crm/universal/product-rows/) -> the deal-row names the order code
# reads (crm-deal-productrows-get.md): the same fields, camelCase.
ROW_FIELDS = {"productId": "PRODUCT_ID", "productName": "PRODUCT_NAME", "price": "PRICE",
              "priceExclusive": "PRICE_EXCLUSIVE", "priceNetto": "PRICE_NETTO", "priceBrutto": "PRICE_BRUTTO",
              "quantity": "QUANTITY", "discountTypeId": "DISCOUNT_TYPE_ID", "discountRate": "DISCOUNT_RATE",
              "discountSum": "DISCOUNT_SUM", "taxRate": "TAX_RATE", "taxIncluded": "TAX_INCLUDED",
              "measureCode": "MEASURE_CODE", "measureName": "MEASURE_NAME"}


def invoice_key(member_id: str, invoice_id: str) -> str:
    return f"b24:{member_id}:invoice:{invoice_id}"


def read_invoice(client: BitrixClient, invoice_id: str) -> DealBundle:
    """The invoice as a bundle shaped like a deal's (rows in the deal-row field names), so the order code's
    product and counterparty resolution serve both."""
    first = client.batch({
        "item": ("crm.item.get", {"entityTypeId": INVOICE_TYPE, "id": invoice_id}),
        "rows": ("crm.item.productrow.list", {"filter": {"=ownerType": "SI", "=ownerId": invoice_id}}),
    })
    if "item" in first.errors:
        raise first.errors["item"]
    item = first.results["item"]["item"]
    rows = [{deal_name: r.get(item_name) for item_name, deal_name in ROW_FIELDS.items()}
            for r in (first.results.get("rows") or {}).get("productRows", [])]
    company_id = str(item.get("companyId") or "0")
    contact_id = str(item.get("contactId") or "0")
    company, requisites, products, contact, contact_requisites = None, [], {}, None, []
    second: dict[str, tuple[str, dict]] = {}
    if company_id != "0":
        second["company"] = ("crm.company.get", {"id": company_id})
        second["requisites"] = ("crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": company_id}})
    elif contact_id != "0":  # a private buyer (crm-requisite-add.md: ENTITY_TYPE_ID 3 = contact)
        second["contact"] = ("crm.contact.get", {"id": contact_id})
        second["contact_rq"] = ("crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": 3, "ENTITY_ID": contact_id}})
    ids = sorted({str(r["PRODUCT_ID"]) for r in rows if str(r.get("PRODUCT_ID") or "0") != "0"})
    second.update({f"p:{pid}": ("crm.product.get", {"id": pid}) for pid in ids})
    if second:
        got = client.batch(second)
        company = got.results.get("company")
        requisites = list(got.results.get("requisites") or [])
        contact = got.results.get("contact") if isinstance(got.results.get("contact"), dict) else None
        contact_requisites = list(got.results.get("contact_rq") or [])
        products = {pid: got.results[f"p:{pid}"] for pid in ids if f"p:{pid}" in got.results}
    stage = str(item.get("stageId") or "")
    deal_like = {"ID": str(item["id"]), "TITLE": item.get("title") or "", "STAGE_ID": stage,
                 "STAGE_SEMANTIC_ID": "F" if stage.endswith(":D") else "P", "OPPORTUNITY": item.get("opportunity"),
                 "CURRENCY_ID": item.get("currencyId") or "",
                 "PARENT_DEAL": str(item.get("parentId2") or "0"), "ACCOUNT_NUMBER": item.get("accountNumber") or ""}
    return DealBundle(deal_like, rows, company, requisites, products, contact=contact,
                      contact_requisites=contact_requisites)


class InvoiceDocuments:
    """Pushes smart invoices of one portal to 1C as customer invoices."""

    def __init__(self, deps: OrderDeps) -> None:
        self.deps = deps
        self.member_id = deps.member_id
        self.client = deps.bitrix
        self.settings = deps.settings
        self.lang = deps.lang

    def push(self, invoice_id: str) -> PushResult:
        """Bring 1C in line with the invoice as Bitrix24 has it now. Safe to repeat and to run concurrently."""
        with self.deps.locks.entity_lock(f"invoice:{invoice_id}"):
            return self._push_invoice(str(invoice_id))

    def _base_for(self, bundle: DealBundle) -> int:
        deal_id = bundle.deal["PARENT_DEAL"]
        linked = self.deps.links.for_entity(self.member_id, "deal", deal_id) if deal_id != "0" else []
        if linked:
            return linked[0].base_id
        bases = self.deps.bases.enabled()
        if not bases:
            raise PermanentSyncError("no 1C base is configured (or all are disabled) for this portal")
        return min(bases)

    def _push_invoice(self, invoice_id: str) -> PushResult:
        deps = self.deps
        if not self.settings.schedules.push_to_1c:
            return PushResult(SKIPPED, reason="sending to 1C is switched off in the settings")
        try:
            bundle = read_invoice(self.client, invoice_id)
        except NotFound:
            return PushResult(SKIPPED, reason=f"invoice {invoice_id} no longer exists")
        base_id = self._base_for(bundle)
        odata, profile, base = deps.bases.onec_for(base_id)
        spec = profile.object("customer_invoice")
        linked = [lk for lk in deps.links.for_entity(self.member_id, "invoice", invoice_id)
                  if lk.base_id == base_id and lk.onec_set == spec.entity_set]
        cancel = bundle.deal["STAGE_SEMANTIC_ID"] == "F"
        if cancel and not linked:
            return PushResult(SKIPPED, base_id, reason="a declined invoice never sent to 1C")
        circuit = deps.circuit_for(base_id)
        circuit.check(base.label)
        with circuit.watch(), deps.journal.exchange(self.member_id, "invoice", "b24_to_1c", base_id=base_id,
                                                    entity=f"invoice:{invoice_id}") as entry:
            body = self._invoice_body(odata, profile, bundle, base_id, cancel=cancel)
            mark = fingerprint("cancel" if cancel else "invoice", body, base_id)
            if linked and deps.marks.get(PUSHED, pushed_key(self.member_id, "invoice", invoice_id)) == mark:
                entry.status, entry.items = "skipped", 0
                return PushResult(UNCHANGED, base_id, linked[0].onec_ref, linked[0].onec_number)
            comment = f"Счёт Битрикс24 {bundle.deal['ACCOUNT_NUMBER']} (№{invoice_id})".strip()
            try:
                written = DocumentWriter(odata, spec).save(
                    invoice_key(self.member_id, invoice_id), body, comment=comment, post=True,
                    on_written=lambda ref: deps.links.put(self.member_id, base_id, "invoice", invoice_id,
                                                          spec.entity_set, ref))
            except OneCQueryError as exc:
                raise PermanentSyncError(f"1C refused the invoice {invoice_id}: {exc.message}") from exc
            number_f = spec.field("number")
            number = str(odata.get(spec.entity_set, written.ref_key, select=[number_f]).get(number_f) or "")
            deps.links.put(self.member_id, base_id, "invoice", invoice_id, spec.entity_set, written.ref_key, number)
            outcome = CANCELLED if cancel else CREATED if written.created else UPDATED
            deal_id = bundle.deal["PARENT_DEAL"]
            told = f"{self.member_id}:invoice:{invoice_id}:{written.ref_key}:{CANCELLED if cancel else CREATED}"
            if (outcome != UPDATED or not linked) and deal_id != "0" and deps.marks.get(TOLD, told) is None:
                text = (message("invoice_cancelled", self.lang, number=number) if cancel else
                        message("invoice_created", self.lang, number=number, account=bundle.deal["ACCOUNT_NUMBER"]))
                self.client.call("crm.timeline.comment.add", {"fields": {
                    "ENTITY_TYPE": "deal", "ENTITY_ID": deal_id, "COMMENT": text}})
                deps.marks.put(TOLD, told)
            deps.marks.put(PUSHED, pushed_key(self.member_id, "invoice", invoice_id), mark)
            entry.items = 1
            return PushResult(outcome, base_id, written.ref_key, number)

    def _invoice_body(self, odata: ODataClient, profile: Profile, bundle: DealBundle, base_id: int, *,
                      cancel: bool) -> dict:
        deps = self.deps
        spec = profile.object("customer_invoice")
        who = cp.identity_from(bundle.company, bundle.requisites, bundle.contact, bundle.contact_requisites)
        buyer = cp.counterparty_for(odata, profile, who, deps.locks)
        deal_id = bundle.deal["PARENT_DEAL"]
        # Sold by the organization of the deal's order in this base (legal_entity.py), else by the base's own.
        org_inn = deps.marks.get(ORDER_ORG, order_org_key(self.member_id, str(deal_id), base_id)) \
            if deal_id != "0" else None
        seller = seller_refs(odata, profile, org_inn or deps.bases.legal_entity_inn(base_id),
                             currency_code(bundle.deal.get("CURRENCY_ID")), warehouse=False)
        values = {"organization": seller.organization, "counterparty": buyer.ref_key, "partner": buyer.partner_key,
                  "currency": seller.currency, "amount": round(float(bundle.deal.get("OPPORTUNITY") or 0), 2),
                  "cancelled": cancel}
        order_set = profile.object("customer_order").entity_set
        order = next((lk for lk in deps.links.for_entity(self.member_id, "deal", deal_id)
                      if lk.base_id == base_id and lk.onec_set == order_set), None) if deal_id != "0" else None
        if order is not None and order_set != spec.entity_set:
            values["basis"] = order.onec_ref  # composite in УТ 11 (ДокументОснование): written with its type
        body = onec_refs.body(spec.fields, values, {**targets(profile, ORDER_REFS), "basis": order_set})
        if "goods" in spec.tables:
            refs = product_refs(odata, profile, bundle)
            body[spec.table("goods").name] = order_lines(
                bundle, refs, profile, cancel=False, logical="customer_invoice",
                line=line_refs(odata, profile, bundle.rows, "customer_invoice"))
        return body
