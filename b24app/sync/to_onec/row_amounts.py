"""A Bitrix24 product row's money in the terms of a 1C goods line, rounded as 1C rounds (kopecks, half up).

What a deal row holds (api-reference/crm/deals/crm-deal-productrows-get.md; the official PHP SDK's
ProductrowItemResult spells the same): every price is per unit — PRICE with discount and tax, PRICE_EXCLUSIVE with
discount and without tax, PRICE_NETTO without either, PRICE_BRUTTO without discount and with tax; DISCOUNT_TYPE_ID
1 = an absolute discount, 2 = a percentage; DISCOUNT_RATE the percentage, DISCOUNT_SUM the discount of one unit (the
docs' answer: PRICE_NETTO 999 − DISCOUNT_SUM 99.9 = PRICE_EXCLUSIVE 899.1 at DISCOUNT_RATE 10); TAX_RATE the VAT
percentage (null: no VAT); TAX_INCLUDED "Y"/"N" whether the price is shown with the tax. The row's sum in the deal
is PRICE × QUANTITY.

A 1C document has one flag for the whole table (УТ 11 ЗаказКлиента.ЦенаВключаетНДС, БП СчетНаОплатуПокупателю.
СуммаВключаетНДС), so `includes_vat` is decided for the deal (`deal_includes_vat`) and every line is expressed in
it: Цена is the unit price before the discount, Сумма the line after the manual discount (with the VAT when the
prices include it), СуммаНДС the VAT of Сумма — Сумма × r / (100 + r) inside, Сумма × r / 100 on top —,
СуммаСНДС what the buyer pays for the line. 1C's Окр(x, 2) rounds half away from zero (its default mode
РежимОкругления.Окр15как20), which Decimal's ROUND_HALF_UP is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

KOPECK = Decimal("0.01")
HUNDRED = Decimal(100)
DISCOUNT_ABSOLUTE, DISCOUNT_PERCENT = 1, 2  # DISCOUNT_TYPE_ID


def money(value: Decimal) -> Decimal:
    """Rounded to kopecks, half up (1C's Окр(x, 2))."""
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def number(value: object, default: Decimal | None = Decimal(0)) -> Decimal | None:
    """A REST number (a JSON number, "1210.5", or "1210,5" typed by a person); `default` when empty or not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return default


def vat_rate(row: Mapping) -> Decimal | None:
    """The row's VAT percentage; None when the row has none (TAX_RATE null or empty: the row is without VAT)."""
    return number(row.get("TAX_RATE"), None)


def shown_with_vat(row: Mapping) -> bool:
    """TAX_INCLUDED of the row. A row that does not say is taken as shown with the tax, which is what its PRICE
    always is."""
    return str(row.get("TAX_INCLUDED") or "Y").upper() != "N"


def deal_includes_vat(rows: Iterable[Mapping]) -> bool:
    """The document's "prices include VAT": the rows' TAX_INCLUDED when they agree; prices with VAT when they
    differ (PRICE carries the tax in every row, so no amount changes, only how the lines show it)."""
    rows = list(rows)
    return not rows or any(shown_with_vat(r) for r in rows)


@dataclass(frozen=True)
class LineAmounts:
    quantity: Decimal
    price: Decimal  # one unit before the discount, with VAT when the document's prices include it
    discount_percent: Decimal
    discount: Decimal  # the whole line's manual discount
    amount: Decimal  # after the discount (1C Сумма)
    vat_rate: Decimal | None
    vat: Decimal
    amount_with_vat: Decimal


def _unit_prices(row: Mapping, rate: Decimal) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(PRICE, PRICE_EXCLUSIVE, PRICE_NETTO, PRICE_BRUTTO) as the row has them; those missing (a row built by hand,
    not read from the portal) follow from PRICE, the discount and the rate by the definitions above."""
    price = number(row.get("PRICE"))
    factor = 1 + rate / HUNDRED
    exclusive = number(row.get("PRICE_EXCLUSIVE"), None)
    if exclusive is None:
        exclusive = price / factor
    netto = number(row.get("PRICE_NETTO"), None)
    if netto is None:
        percent = number(row.get("DISCOUNT_RATE"))
        kind = int(number(row.get("DISCOUNT_TYPE_ID"), Decimal(DISCOUNT_PERCENT)))
        if kind == DISCOUNT_PERCENT and 0 < percent < HUNDRED:
            netto = exclusive / (1 - percent / HUNDRED)
        else:
            netto = exclusive + number(row.get("DISCOUNT_SUM"))
    brutto = number(row.get("PRICE_BRUTTO"), None)
    if brutto is None:
        brutto = netto * factor
    return price, exclusive, netto, brutto


def line_amounts(row: Mapping, *, includes_vat: bool) -> LineAmounts:
    """The 1C line of one deal row, in the document's VAT mode."""
    quantity = number(row.get("QUANTITY")) or Decimal(1)
    rate = vat_rate(row)
    r = rate or Decimal(0)
    price, exclusive, netto, brutto = _unit_prices(row, r)
    if includes_vat:
        unit = money(brutto)
        amount = money(price * quantity)  # the row's sum in the deal
        vat = money(amount * r / (HUNDRED + r))
        with_vat = amount
    else:
        unit = money(netto)
        amount = money(exclusive * quantity)
        vat = money(amount * r / HUNDRED)
        with_vat = amount + vat
    before = money(unit * quantity)
    discount = max(before - amount, Decimal(0))
    percent = number(row.get("DISCOUNT_RATE"))
    if not percent and discount and before:
        percent = discount * HUNDRED / before
    return LineAmounts(quantity=quantity, price=unit, discount_percent=money(percent) if discount else Decimal(0),
                       discount=discount, amount=amount, vat_rate=rate, vat=vat, amount_with_vat=with_vat)
