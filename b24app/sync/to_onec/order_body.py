"""The body of a deal's 1C customer order (and the goods lines a 1C invoice shares with it), in 1C property names.

`order_body` and `order_lines` only translate: the deal's rows and the references found in 1C become the
document the profile describes. `build_order_body` finds those references in one base first — the buyer by INN
(+KPP, created when the base has none), the seller organization, currency and warehouse, every row's item — and
is what an order made, updated, cancelled (a lost deal) or moved to another base (`legal_entity.py`) sends.
"""

from __future__ import annotations

from typing import Any

from b24app.core.errors import PermanentSyncError
from b24app.onec import refs as onec_refs
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile
from b24app.sync.to_onec import counterparties as cp
from b24app.sync.to_onec.deps import OrderLocks
from b24app.sync.to_onec.order_model import DealBundle
from b24app.sync.to_onec.order_refs import ProductRef, SellerRefs, product_refs, seller_refs

# Which profile object each reference of the order points to: a composite attribute is written with its type
# (refs.py), e.g. БП 3.0.198's СчетНаОплатуПокупателю.Товары.Номенклатура (Номенклатура / ОсновныеСредства).
ORDER_REFS = {"organization": "organization", "counterparty": "counterparty", "partner": "partner",
              "currency": "currency", "warehouse": "warehouse", "contract": "contract"}
LINE_REFS = {"product": "product", "package": "unit"}


def targets(profile: Profile, refs_of: dict[str, str]) -> dict[str, str]:
    """logical field -> entity set of the object it refers to, for the objects the profile maps."""
    return {logical: profile.objects[obj].entity_set for logical, obj in refs_of.items() if obj in profile.objects}


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
    line_targets = targets(profile, LINE_REFS)
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
        lines.append(onec_refs.body(goods, values, line_targets))
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
    body = onec_refs.body(spec.fields, values, targets(profile, ORDER_REFS))
    body[spec.table("goods").name] = lines
    return body


def build_order_body(odata: ODataClient, profile: Profile, bundle: DealBundle, *, seller_inn: str | None,
                     locks: OrderLocks, cancel: bool) -> tuple[dict, cp.CounterpartyRef]:
    """The order body for one base (`seller_inn`: the INN of the base's seller organization), with the buyer it
    names. Reads 1C (and may create the buyer there, under the per-INN lock); PermanentSyncError says what a
    person has to fix: no company or INN, an unknown product, no row to order."""
    buyer = cp.counterparty_for(odata, profile, cp.identity_from(bundle.company, bundle.requisites), locks)
    seller = seller_refs(odata, profile, seller_inn,
                         warehouse="warehouse" in profile.object("customer_order").fields)
    refs = product_refs(odata, profile, bundle)
    if not refs:
        raise PermanentSyncError(f"deal {bundle.deal['ID']} has no product rows to order")
    return order_body(bundle, buyer, seller, refs, profile, cancel=cancel), buyer
