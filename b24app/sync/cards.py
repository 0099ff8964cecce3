"""What a card tab shows for one 1C base: the deal's order with its documents, or the company's settlements.

A section is built from 1C through `OneCDocuments` and kept as JSON in the tab cache, so it holds plain model
objects (b24app/sync/model.py) and the state a manager needs explained ("not found in 1C").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from b24app.core.model import ZERO, Counterparty, DebtBalance, Order, OrderDocuments, Payment, Shipment
from b24app.onec.catalog_reads import OneCCatalog
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
    debt_parts: list[DebtBalance] = field(default_factory=list)  # `debt` per organization of the base
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
    """Debt (in total and per organization of the base), last payments, open orders and recent shipments of the
    company's counterparties in this base."""
    if target.refs:
        counterparties = [c for c in (reader.counterparty(k) for k in target.refs) if c is not None]
        looked_for = ", ".join(target.refs)
    else:
        counterparties = reader.counterparties_by_inn(target.inn, target.kpp or None)
        looked_for = f"{target.inn}/{target.kpp}" if target.kpp else target.inn
    if not counterparties:
        return CompanySection(target.base_id, base_name, NOT_FOUND, target.via, looked_for)
    keys = [c.key for c in counterparties]
    moment = datetime.now().replace(microsecond=0)
    parts = reader.debt_by_organization(keys, as_of=moment)
    return CompanySection(
        target.base_id, base_name, FOUND, target.via, looked_for, counterparties=counterparties,
        debt=reader.debt_total(keys, parts, moment), debt_parts=parts, payments=reader.recent_payments(keys),
        open_orders=reader.open_orders(keys), shipments=reader.recent_shipments(keys))


@dataclass(frozen=True)
class DebtRow:
    """One line of the company tab's debt overview: what one base reports under one of its organizations."""

    base_id: int
    base_name: str
    organization: str
    receivable: Decimal
    overdue: Decimal | None


@dataclass(frozen=True)
class DebtOverview:
    rows: list[DebtRow]
    total: Decimal
    overdue: Decimal | None  # None when no base owed money can tell due dates


def debt_overview(sections: Iterable[CompanySection | None]) -> DebtOverview | None:
    """The company's debt across the bases the tab read: a row per base and organization owed money, and the total
    (the sum the company's debt field shows, `sync/to_bitrix/debt.py`); None when no base told a debt."""
    read = [s for s in sections if s is not None and s.debt is not None]
    if not read:
        return None
    rows = [DebtRow(s.base_id, s.base_name, p.organization, p.receivable, p.overdue)
            for s in read for p in (s.debt_parts or [s.debt]) if p.receivable > 0]
    known = [r.overdue for r in rows if r.overdue is not None]
    overdue = sum(known, ZERO) if known or not rows else None
    return DebtOverview(rows, sum((r.receivable for r in rows), ZERO), overdue)


@dataclass(frozen=True)
class StockRow:
    product: str  # the deal row's product name
    warehouse: str
    quantity: Decimal


@dataclass(frozen=True)
class StockSection:
    """What 1C holds now of the deal's catalog products, per warehouse (the warehouses chosen for the catalog)."""

    base_id: int
    base_name: str
    rows: list[StockRow] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # products 1C holds none of, anywhere


def stock_section(catalog: OneCCatalog, products: list[tuple[str, str | None, str]], base_id: int, base_name: str,
                  warehouses: tuple[str, ...] = ()) -> StockSection:
    """`products` as (item key, characteristic key or None, name); only the chosen warehouses when some are."""
    names = {w.key: w.name for w in catalog.warehouses()}
    stock = catalog.stock_of([item for item, _, _ in products])
    rows, missing = [], []
    for item, variant, name in products:
        found = {w: q for w, q in stock.get((item, variant), {}).items()
                 if q > 0 and (not warehouses or w in warehouses)}
        if not found:
            missing.append(name)
        ordered = sorted(found.items(), key=lambda pair: names.get(pair[0], ""))
        rows += [StockRow(name, names.get(w, w), q) for w, q in ordered]
    return StockSection(base_id, base_name, rows, missing)
