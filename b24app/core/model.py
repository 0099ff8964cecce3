"""The domain's view of 1C data: small dataclasses the card tabs and the sync jobs share.

`onec_documents.py` translates 1C OData rows into these at the edge; nothing here knows entity-set or
property names. Money is `Decimal` rounded to kopecks (1C publishes sums as Edm.Double, which must not be
compared or added as floats); dates are naive `datetime`s in the base's local time, as 1C keeps them.
Every object converts to and from plain JSON (`to_json` / `from_json`) so it can be cached in Redis.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: object) -> Decimal:
    """A sum from 1C (float, int, str, Decimal or None) as Decimal with two places."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, float):
        value = repr(value)  # the shortest repr round-trips, so 0.1 stays 0.1
    return Decimal(str(value)).quantize(KOPECK, rounding=ROUND_HALF_UP)


class PaidStatus(enum.StrEnum):
    """How much of an order 1C has received; the values are what the deal field stores (no/partly/fully)."""

    NO = "no"
    PARTLY = "partly"
    FULLY = "fully"


def paid_status(amount: Decimal, paid: Decimal) -> PaidStatus:
    """Fully paid when the posted payments cover the order sum, partly when some arrived, else no."""
    if paid <= ZERO:
        return PaidStatus.NO
    if paid >= amount:
        return PaidStatus.FULLY
    return PaidStatus.PARTLY


class PaymentKind(enum.StrEnum):
    BANK = "bank"
    CASH = "cash"


@dataclass(frozen=True)
class Counterparty:
    """A legal counterparty of a 1C base (Catalog Контрагенты)."""

    key: str
    name: str
    inn: str = ""
    kpp: str = ""
    full_name: str = ""
    partner_key: str | None = None  # УТ 11 keeps the business partner apart (Catalog Партнеры)
    deleted: bool = False
    link: str | None = None


@dataclass(frozen=True)
class Order:
    """The document a deal becomes in 1C: a customer order (УТ 11) or a customer invoice (БП 3.0)."""

    key: str
    number: str
    date: datetime | None
    amount: Decimal
    posted: bool = False
    deleted: bool = False
    status: str = ""
    counterparty_key: str | None = None
    customer_number: str = ""
    kind: str = "customer_order"  # the profile's logical object it was read from
    link: str | None = None
    # Ended in 1C: closed (УТ 11 status Закрыт) or every goods row cancelled (УТ 11 Отменено); the reader
    # judges both from the profile's values, so a configuration without them never reports either.
    closed: bool = False
    cancelled: bool = False


@dataclass(frozen=True)
class Invoice:
    """A customer invoice (счёт на оплату); `basis_key` is the order it was made from, if any."""

    key: str
    number: str
    date: datetime | None
    amount: Decimal
    posted: bool = False
    deleted: bool = False
    basis_key: str | None = None
    counterparty_key: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Payment:
    """A bank or cash receipt, or the part of it allocated to one order.

    `amount` is what this receipt pays for the order it was read for (its allocation lines), `total` the whole
    document sum. `order_key` / `invoice_key` are the basis the allocation names. Only a posted receipt not
    marked for deletion counts as money received (`counts`).
    """

    kind: PaymentKind
    key: str
    number: str
    date: datetime | None
    amount: Decimal
    total: Decimal
    posted: bool
    deleted: bool = False
    order_key: str | None = None
    invoice_key: str | None = None
    counterparty_key: str | None = None
    link: str | None = None

    @property
    def counts(self) -> bool:
        return self.posted and not self.deleted


@dataclass(frozen=True)
class Shipment:
    """A sale (реализация товаров и услуг) shipping an order."""

    key: str
    number: str
    date: datetime | None
    amount: Decimal
    posted: bool = False
    deleted: bool = False
    status: str = ""
    order_key: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Return:
    """Goods the customer gave back (УТ 11 ВозвратТоваровОтКлиента, БП 3.0 ВозвратТоваровОтПокупателя, УНФ a
    goods receipt of the operation ВозвратОтПокупателя) against a sale of the order.

    `amount` is the part of the return that concerns the order (its goods rows naming the order or its sales),
    `total` the whole document sum; only a posted return not marked for deletion takes goods back (`counts`).
    """

    key: str
    number: str
    date: datetime | None
    amount: Decimal
    total: Decimal
    posted: bool = False
    deleted: bool = False
    sale_key: str | None = None
    order_key: str | None = None
    link: str | None = None

    @property
    def counts(self) -> bool:
        return self.posted and not self.deleted


@dataclass(frozen=True)
class Act:
    """An act of services rendered."""

    key: str
    number: str
    date: datetime | None
    amount: Decimal
    posted: bool = False
    deleted: bool = False
    order_key: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class VatInvoice:
    """A VAT invoice issued (счёт-фактура выданный) for a shipment or an act (`basis_key`)."""

    key: str
    number: str
    date: datetime | None
    amount: Decimal | None = None
    posted: bool = False
    deleted: bool = False
    basis_key: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class DebtBalance:
    """A counterparty's settlements in one base at a moment.

    `receivable`: the client owes us; `payable`: we owe the client (advances received, overpayments);
    `overdue`: the part of `receivable` past its due date, None when the base's profile cannot tell due dates.
    `organization_key` / `organization`: the organization (legal entity of the base) the settlements are with,
    when the balance is one organization's ("" for a balance over all of them).
    """

    base: str
    counterparty_key: str
    receivable: Decimal
    payable: Decimal
    overdue: Decimal | None
    as_of: datetime
    organization_key: str = ""
    organization: str = ""

    @property
    def net(self) -> Decimal:
        return self.receivable - self.payable


@dataclass(frozen=True)
class OrderDocuments:
    """An order with everything 1C holds about it: invoices, payments, shipments, returns, acts, VAT invoices."""

    order: Order
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    vat_invoices: list[VatInvoice] = field(default_factory=list)
    returns: list[Return] = field(default_factory=list)

    @property
    def paid(self) -> Decimal:
        """Money received for the order: posted receipts not marked for deletion."""
        return sum((p.amount for p in self.payments if p.counts), ZERO)

    @property
    def remaining(self) -> Decimal:
        return max(self.order.amount - self.paid, ZERO)

    @property
    def status(self) -> PaidStatus:
        return paid_status(self.order.amount, self.paid)

    @property
    def shipped_gross(self) -> Decimal:
        """What posted sales not marked for deletion shipped, before returns."""
        return sum((s.amount for s in self.shipments if s.posted and not s.deleted), ZERO)

    @property
    def returned(self) -> Decimal:
        """What the customer gave back: posted returns not marked for deletion."""
        return sum((r.amount for r in self.returns if r.counts), ZERO)

    @property
    def shipped(self) -> Decimal:
        """Shipped and kept: sales minus returns, never below zero (a fully returned order is not shipped)."""
        return max(self.shipped_gross - self.returned, ZERO)


# --------------------------------------------------------------------------------------------- JSON

T = TypeVar("T")


def to_json(obj: Any) -> Any:
    """Plain JSON values for a model object (Decimal -> str, datetime -> ISO text, enums -> value)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_json(item) for item in obj]
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, datetime):
        return obj.isoformat()
    return obj


def from_json(cls: type[T], data: Any) -> T:
    """The inverse of `to_json` for a model dataclass; unknown keys (from a newer version) are ignored."""
    hints = _type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            values[f.name] = _decode(hints[f.name], data[f.name])
    return cls(**values)


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    # Resolving the (string) annotations is the slow part of decoding a cached tab; classes never change.
    return typing.get_type_hints(cls)


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(inner[0], value)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_decode(item, v) for v in value]
    if hint is Decimal:
        return Decimal(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if dataclasses.is_dataclass(hint):
        return from_json(hint, value)
    return value
