"""The body of a deal's 1C customer order (and the goods lines a 1C invoice shares with it), in 1C property names.

`order_body` and `order_lines` only translate: the deal's rows and the references found in 1C become the
document the profile describes, each row with its price, quantity, manual discount, VAT rate and amounts as the
deal has them (`row_amounts.py`), its unit by OKEI code and the deal's currency. `build_order_body` finds those
references in one base first — the buyer (`counterparties.py`: a company by INN, a private buyer by INN, phone or
e-mail; created when the base has none), the seller organization, the currency, the warehouse the settings chose,
every row's item, unit and VAT rate — and is what an order made, updated, cancelled (a lost deal) or moved to
another base (`legal_entity.py`) sends.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from b24app.core.errors import PermanentSyncError
from b24app.onec import refs as onec_refs
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile
from b24app.sync.to_onec import counterparties as cp
from b24app.sync.to_onec.deps import OrderLocks
from b24app.sync.to_onec.order_model import DealBundle
from b24app.sync.to_onec.order_refs import (
    LineRefs,
    ProductRef,
    SellerRefs,
    currency_code,
    line_refs,
    okei_code,
    product_refs,
    rate_key,
    seller_refs,
)
from b24app.sync.to_onec.row_amounts import deal_includes_vat, line_amounts

# Which profile object each reference of the order points to: a composite attribute is written with its type
# (refs.py), e.g. БП 3.0.198's СчетНаОплатуПокупателю.Товары.Номенклатура (Номенклатура / ОсновныеСредства).
ORDER_REFS = {"organization": "organization", "counterparty": "counterparty", "partner": "partner",
              "currency": "currency", "warehouse": "warehouse", "contract": "contract"}
LINE_REFS = {"product": "product", "package": "unit"}


def targets(profile: Profile, refs_of: dict[str, str]) -> dict[str, str]:
    """logical field -> entity set of the object it refers to, for the objects the profile maps."""
    return {logical: profile.objects[obj].entity_set for logical, obj in refs_of.items() if obj in profile.objects}


def order_lines(bundle: DealBundle, refs: dict[str, ProductRef], profile: Profile, *, cancel: bool,
                logical: str = "customer_order", line: LineRefs | None = None) -> list[dict]:
    """Goods lines in 1C property names, in the document's VAT mode (`row_amounts.deal_includes_vat`). A row's
    unit and VAT rate are the row's own (`line`: found by `order_refs.line_refs`); a row naming no unit takes
    its item's."""
    goods = profile.object(logical).table("goods").fields
    line_targets = targets(profile, LINE_REFS)
    line = line or LineRefs()
    includes_vat = deal_includes_vat(bundle.rows)
    lines = []
    for row in bundle.rows:
        ref = refs[str(row.get("PRODUCT_ID"))]
        sums = line_amounts(row, includes_vat=includes_vat)
        code = okei_code(row)
        values = {"product": ref.ref_key, "characteristic": ref.characteristic,
                  "package": line.units.get(code) if code else ref.unit,
                  "packages": float(sums.quantity), "quantity": float(sums.quantity), "price": float(sums.price),
                  "discount_percent": float(sums.discount_percent), "discount_amount": float(sums.discount),
                  "amount": float(sums.amount), "vat_rate": line.vat.get(rate_key(sums.vat_rate)),
                  "vat_amount": float(sums.vat), "amount_with_vat": float(sums.amount_with_vat),
                  "cancelled": cancel}
        lines.append(onec_refs.body(goods, values, line_targets))
    return lines


def document_total(bundle: DealBundle) -> float:
    """What the buyer pays for the deal's rows (1C СуммаДокумента: the lines' СуммаСНДС)."""
    includes_vat = deal_includes_vat(bundle.rows)
    return float(sum((line_amounts(r, includes_vat=includes_vat).amount_with_vat for r in bundle.rows), Decimal(0)))


def order_body(bundle: DealBundle, buyer: cp.CounterpartyRef, seller: SellerRefs, refs: dict[str, ProductRef],
               profile: Profile, *, cancel: bool, line: LineRefs | None = None) -> dict:
    spec = profile.object("customer_order")
    lines = order_lines(bundle, refs, profile, cancel=cancel, line=line)
    values: dict[str, Any] = {
        "organization": seller.organization, "counterparty": buyer.ref_key, "partner": buyer.partner_key,
        "currency": seller.currency, "warehouse": seller.warehouse,
        "amount": 0.0 if cancel else document_total(bundle), "price_includes_vat": deal_includes_vat(bundle.rows),
        "customer_number": f"B24-{bundle.deal['ID']}"[:30],
    }
    if "status" in spec.fields and "status_open" in spec.values:
        # Enum values differ between configurations and releases, so the profile names them (УНФ's state is a
        # catalog element the profile does not name: left as 1C fills it).
        values["status"] = spec.value("status_closed" if cancel else "status_open")
    body = onec_refs.body(spec.fields, values, targets(profile, ORDER_REFS))
    body[spec.table("goods").name] = lines
    return body


def build_order_body(odata: ODataClient, profile: Profile, bundle: DealBundle, *, seller_inn: str | None,
                     locks: OrderLocks, cancel: bool, warehouse: str | None = None
                     ) -> tuple[dict, cp.CounterpartyRef]:
    """The order body for one base (`seller_inn`: the INN of the base's seller organization; `warehouse`: the
    Ref_Key the settings chose for the deal's pipeline or base, None for the first one), with the buyer it names.
    Reads 1C (and may create the buyer there, under the per-identity lock); PermanentSyncError says what a person
    has to fix: no buyer or a wrong INN, an unknown product, unit, VAT rate or currency, a warehouse gone, no row
    to order."""
    who = cp.identity_from(bundle.company, bundle.requisites, bundle.contact, bundle.contact_requisites)
    refs = product_refs(odata, profile, bundle)
    if not refs:
        raise PermanentSyncError(f"deal {bundle.deal['ID']} has no product rows to order")
    buyer = cp.counterparty_for(odata, profile, who, locks)
    seller = seller_refs(odata, profile, seller_inn, currency_code(bundle.deal.get("CURRENCY_ID")),
                         warehouse="warehouse" in profile.object("customer_order").fields, warehouse_key=warehouse)
    line = line_refs(odata, profile, bundle.rows)
    return order_body(bundle, buyer, seller, refs, profile, cancel=cancel, line=line), buyer
