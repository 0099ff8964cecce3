"""1C → Bitrix24: the orders and returns the shipments stream follows besides sales (issue 12, "Not followed back").

A customer order changed in 1C (closed, its rows cancelled, its sum edited) touches its own deals; a return from
the customer (the profile's `customer_return`) touches the orders of the sales it takes goods back from (УТ 11
`ДокументРеализации`, БП 3.0 `Сделка`, header or goods row) or the order it names itself (УНФ `Заказ`). Each is
read since its own watermark, kept inside the shipments stream's stored watermark under its own key, so the
stream's position for sales stays where it was (`DocumentWatermark.from_dict` ignores keys it does not know).

Changes are found by document date (onec/changes.py): an order closed long after its date (beyond the lookback
window) is not seen here; the on-demand refresh of a deal still shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from b24app.onec import query as q
from b24app.onec import refs
from b24app.onec.changes import Change, DocumentWatermark, document_changes
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import ObjectSpec, Profile
from b24app.sync.to_bitrix.deal_state import Touched

ORDERS = "orders"
RETURNS = "returns"
# Sales read at once to learn their orders: keeps the `or` filter's URL short (as readers.MAX_OR_TERMS).
_SALES_PER_QUERY = 40


@dataclass(frozen=True)
class Followed:
    """What changed among orders and returns, and the watermark parts to store once Bitrix24 confirmed."""

    touched: list[Touched]
    watermarks: dict[str, dict]


def order_spec(profile: Profile) -> ObjectSpec | None:
    """The object deals are linked to: the customer order (БП 3.0: the customer invoice is the order there)."""
    for logical in ("customer_order", "customer_invoice"):
        spec = profile.objects.get(logical)
        if spec is not None and spec.enabled:
            return spec
    return None


def followed_changes(odata: ODataClient, profile: Profile, stored: dict) -> Followed:
    """Changed orders and returns since the parts of the shipments watermark `stored` holds."""
    touched: list[Touched] = []
    marks: dict[str, dict] = {}
    orders = order_spec(profile)
    if orders is not None:
        changes = document_changes(odata, orders, DocumentWatermark.from_dict(stored.get(ORDERS)))
        touched += [Touched(c.ref_key, c.ref_key, c.data_version, _number(orders, c), "order")
                    for c in changes.changes]
        marks[ORDERS] = changes.watermark.to_dict()
    returns = profile.objects.get("customer_return")
    if orders is not None and returns is not None and returns.enabled:
        changes = document_changes(odata, returns, DocumentWatermark.from_dict(stored.get(RETURNS)),
                                   extra_filter=_return_operation(returns))
        touched += returns_touched(odata, profile, orders, returns, changes.changes)
        marks[RETURNS] = changes.watermark.to_dict()
    return Followed(touched, marks)


def returns_touched(odata: ODataClient, profile: Profile, orders: ObjectSpec, returns: ObjectSpec,
                    changes: list[Change]) -> list[Touched]:
    """One `Touched` per (order, changed return): the orders a return names directly or through its sales."""
    sale_spec = profile.objects.get("shipment")
    sales_of: dict[str, set[str]] = {c.ref_key: _sales_named(returns, c.row, sale_spec) for c in changes}
    order_of_sale = _orders_of_sales(odata, sale_spec, orders, {s for sales in sales_of.values() for s in sales})
    out = []
    for c in changes:
        named = set(_refs_named(returns, c.row, "order", orders.entity_set))
        named |= {order_of_sale[s] for s in sales_of[c.ref_key] if s in order_of_sale}
        out += [Touched(order_key, c.ref_key, c.data_version, _number(returns, c), "return")
                for order_key in sorted(named)]
    return out


def _number(spec: ObjectSpec, change: Change) -> str:
    return str(change.row.get(spec.field("number"), "") or "").strip()


def _return_operation(returns: ObjectSpec) -> str | None:
    """УНФ: only goods receipts of the return operation are returns (profile value `operation_return`)."""
    if "operation_return" not in returns.values:
        return None
    return q.eq(returns.field("operation"), returns.value("operation_return"))


def _refs_named(spec: ObjectSpec, row: dict, logical: str, target: str) -> Iterable[str]:
    """The references to `target` a document holds in its header field and its goods rows' field `logical`."""
    if spec.has(logical) and (key := refs.read(spec.spec_of(logical), row, target)):
        yield key
    goods = spec.tables.get("goods")
    if goods is not None and logical in goods.fields:
        for line in row.get(goods.name) or []:
            if key := refs.read(goods.fields[logical], line, target):
                yield key


def _sales_named(returns: ObjectSpec, row: dict, sale_spec: ObjectSpec | None) -> set[str]:
    return set(_refs_named(returns, row, "sale", sale_spec.entity_set)) if sale_spec is not None else set()


def _orders_of_sales(odata: ODataClient, sale_spec: ObjectSpec | None, orders: ObjectSpec,
                     sale_keys: set[str]) -> dict[str, str]:
    """sale key -> the order it ships (УТ 11 `ЗаказКлиента`, composite; БП 3.0 the invoice `СчетНаОплатуПокупателю`)."""
    if sale_spec is None or not sale_keys:
        return {}
    logical = "order" if sale_spec.has("order") else "invoice" if sale_spec.has("invoice") else None
    if logical is None:
        return {}
    ref_f, key_f = sale_spec.spec_of(logical), sale_spec.field("key")
    keys = sorted(sale_keys)
    out: dict[str, str] = {}
    for start in range(0, len(keys), _SALES_PER_QUERY):
        condition = q.any_of(*(q.eq(key_f, k) for k in keys[start:start + _SALES_PER_QUERY]))
        for row in odata.query(sale_spec.entity_set, filter=condition, select=refs.select(ref_f) + [key_f]).rows:
            if order_key := refs.read(ref_f, row, orders.entity_set):
                out[row[key_f]] = order_key
    return out
