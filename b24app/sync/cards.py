"""What a card tab shows for one 1C base: the deal's order with its documents, or the company's settlements.

A section is built from 1C through `OneCDocuments` and kept as JSON in the tab cache, so it holds plain model
objects (b24app/sync/model.py) and the state a manager needs explained ("not found in 1C").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from b24app.core.model import Counterparty, DebtBalance, Order, OrderDocuments, Payment, Shipment
from b24app.onec.readers import OneCDocuments
from b24app.sync.linking import CompanyTarget, DealTarget

FOUND = "found"
NOT_FOUND = "not_found"


@dataclass(frozen=True)
class DealSection:
    base_id: int
    base_name: str
    state: str
    via: str
    looked_for: str = ""  # the number or key searched, shown when nothing was found
    documents: OrderDocuments | None = None


@dataclass(frozen=True)
class CompanySection:
    base_id: int
    base_name: str
    state: str
    via: str
    looked_for: str = ""
    counterparties: list[Counterparty] = field(default_factory=list)
    debt: DebtBalance | None = None
    payments: list[Payment] = field(default_factory=list)
    open_orders: list[Order] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)


def deal_section(reader: OneCDocuments, target: DealTarget, base_name: str) -> DealSection:
    """The deal's order in this base (by stored key, else by number) with everything linked to it."""
    order = None
    if target.ref:
        for logical in ("customer_order", "customer_invoice"):
            spec = reader.spec(logical)
            if spec is not None and (target.entity_set in (None, spec.entity_set)):
                order = reader.order_by_key(target.ref, logical)
                if order is not None:
                    break
    if order is None and target.number:
        order = reader.order_by_number(target.number)
    looked_for = target.number or target.ref or ""
    if order is None:
        return DealSection(target.base_id, base_name, NOT_FOUND, target.via, looked_for)
    return DealSection(target.base_id, base_name, FOUND, target.via, looked_for, reader.order_documents(order))


def company_section(reader: OneCDocuments, target: CompanyTarget, base_name: str) -> CompanySection:
    """Debt, last payments, open orders and recent shipments of the company's counterparties in this base."""
    if target.refs:
        counterparties = [c for c in (reader.counterparty(k) for k in target.refs) if c is not None]
        looked_for = ", ".join(target.refs)
    else:
        counterparties = reader.counterparties_by_inn(target.inn, target.kpp or None)
        looked_for = f"{target.inn}/{target.kpp}" if target.kpp else target.inn
    if not counterparties:
        return CompanySection(target.base_id, base_name, NOT_FOUND, target.via, looked_for)
    keys = [c.key for c in counterparties]
    return CompanySection(
        target.base_id, base_name, FOUND, target.via, looked_for, counterparties=counterparties,
        debt=reader.debt(keys), payments=reader.recent_payments(keys), open_orders=reader.open_orders(keys),
        shipments=reader.recent_shipments(keys))
