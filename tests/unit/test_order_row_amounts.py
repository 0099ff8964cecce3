"""A Bitrix24 product row in 1C terms, alone: prices before and after a percent or an absolute discount, VAT inside
or on top of the price, and 1C's rounding (kopecks, half up) — every expected figure worked out by hand from the
row definitions of crm-deal-productrows-get.md."""

from __future__ import annotations

from decimal import Decimal

import pytest

from b24app.core.errors import PermanentSyncError
from b24app.sync.to_onec.order_refs import currency_code, okei_code, rate_key
from b24app.sync.to_onec.row_amounts import deal_includes_vat, line_amounts, money

D = Decimal


def _figures(row: dict, *, includes_vat: bool) -> tuple:
    got = line_amounts(row, includes_vat=includes_vat)
    return (got.price, got.discount_percent, got.discount, got.amount, got.vat, got.amount_with_vat)


def test_the_docs_answer_row_is_999_less_ten_percent():
    # The answer shown in crm-deal-productrows-get.md, read back as it is: no tax, 10 % off 999.
    row = {"PRICE": 899.1, "PRICE_EXCLUSIVE": 899.1, "PRICE_NETTO": 999, "PRICE_BRUTTO": 999, "QUANTITY": 1,
           "DISCOUNT_TYPE_ID": 2, "DISCOUNT_RATE": 10, "DISCOUNT_SUM": 99.9, "TAX_RATE": None, "TAX_INCLUDED": "Y"}
    assert _figures(row, includes_vat=True) == (D("999.00"), D("10.00"), D("99.90"), D("899.10"), D("0.00"),
                                                D("899.10"))
    assert line_amounts(row, includes_vat=True).vat_rate is None


def test_a_percent_discount_with_vat_inside_the_price():
    # 1 000 net, 20 % VAT -> 1 200 gross; 10 % off -> 1 080 a unit; three units.
    row = {"PRICE": 1080, "QUANTITY": 3, "DISCOUNT_TYPE_ID": 2, "DISCOUNT_RATE": 10, "TAX_RATE": 20,
           "TAX_INCLUDED": "Y"}
    assert _figures(row, includes_vat=True) == (D("1200.00"), D("10.00"), D("360.00"), D("3240.00"), D("540.00"),
                                                D("3240.00"))


def test_an_absolute_discount_with_vat_on_top_of_the_price():
    # 1 000 net less 50 a unit = 950, plus 20 % = 1 140 a unit (PRICE always carries the tax); two units.
    row = {"PRICE": 1140, "QUANTITY": 2, "DISCOUNT_TYPE_ID": 1, "DISCOUNT_SUM": 50, "TAX_RATE": 20,
           "TAX_INCLUDED": "N"}
    assert _figures(row, includes_vat=False) == (D("1000.00"), D("5.00"), D("100.00"), D("1900.00"), D("380.00"),
                                                 D("2280.00"))
    # What the buyer pays is the deal's row sum either way.
    assert line_amounts(row, includes_vat=True).amount_with_vat == D("2280.00")


def test_the_portals_own_price_fields_win_over_what_they_would_be():
    row = {"PRICE": 570, "PRICE_EXCLUSIVE": 475, "PRICE_NETTO": 500, "PRICE_BRUTTO": 600, "QUANTITY": "2,5",
           "DISCOUNT_TYPE_ID": 1, "DISCOUNT_RATE": 5, "DISCOUNT_SUM": 25, "TAX_RATE": 20, "TAX_INCLUDED": "Y"}
    assert _figures(row, includes_vat=True) == (D("600.00"), D("5.00"), D("75.00"), D("1425.00"), D("237.50"),
                                                D("1425.00"))


def test_rounding_is_half_up_to_kopecks_as_1c_rounds():
    assert money(D("0.125")) == D("0.13") and round(0.125, 2) == 0.12  # Python's own round would lose a kopeck
    assert money(D("2.675")) == D("2.68")
    # A kopeck exactly half way in the VAT: 0.25 on top at 10 % is 0.025 -> 0.03.
    row = {"PRICE": "0.275", "PRICE_EXCLUSIVE": "0.25", "QUANTITY": 1, "TAX_RATE": 10, "TAX_INCLUDED": "N"}
    got = line_amounts(row, includes_vat=False)
    assert (got.amount, got.vat, got.amount_with_vat) == (D("0.25"), D("0.03"), D("0.28"))
    # VAT inside: 100.05 at 10/110 = 9.0954… -> 9.10.
    assert line_amounts({"PRICE": "100.05", "TAX_RATE": 10}, includes_vat=True).vat == D("9.10")


def test_no_quantity_is_one_and_no_rate_is_no_vat():
    got = line_amounts({"PRICE": "99,99"}, includes_vat=True)
    assert (got.quantity, got.amount, got.vat, got.vat_rate) == (D(1), D("99.99"), D("0.00"), None)


def test_the_documents_vat_mode_follows_the_rows():
    assert deal_includes_vat([{"TAX_INCLUDED": "Y"}, {"TAX_INCLUDED": "Y"}]) is True
    assert deal_includes_vat([{"TAX_INCLUDED": "N"}, {"TAX_INCLUDED": "n"}]) is False
    # Mixed rows: with VAT, as PRICE carries it in every row.
    assert deal_includes_vat([{"TAX_INCLUDED": "N"}, {"TAX_INCLUDED": "Y"}]) is True


def test_rate_keys_units_and_currencies_as_1c_knows_them():
    assert [rate_key(D(x)) for x in ("20", "20.00", "10.0", "0")] == ["20", "20", "10", "0"]
    assert rate_key(None) == "none"
    assert [okei_code({"MEASURE_CODE": c}) for c in (796, "166", 6, None, 0)] == ["796", "166", "006", None, None]
    assert [currency_code(c) for c in ("RUB", "usd", "EUR", "CNY", "KZT", "BYN", "", None)] == \
        ["643", "840", "978", "156", "398", "933", "643", "643"]
    with pytest.raises(PermanentSyncError, match="currency XXX of the deal has no known ОКВ code"):
        currency_code("XXX")
