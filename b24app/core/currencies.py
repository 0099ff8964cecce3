"""Currencies as 1C and Bitrix24 name them: Bitrix24 by ISO 4217 letters (RUB), 1C by the element code of
Catalog_Валюты, the numeric ОКВ code (ОК 014-2000), which shares ISO 4217's numbers (643)."""

from __future__ import annotations

# ISO 4217 letters -> numeric code, which Russia's ОКВ (ОК 014-2000) shares and 1C keeps as a currency's code.
CURRENCY_NUMBERS = {
    "RUB": "643", "USD": "840", "EUR": "978", "CNY": "156", "KZT": "398", "BYN": "933", "UAH": "980", "GBP": "826",
    "CHF": "756", "JPY": "392", "TRY": "949", "AMD": "051", "KGS": "417", "UZS": "860", "AZN": "944", "GEL": "981",
    "MDL": "498", "TJS": "972", "TMT": "934", "AED": "784", "INR": "356", "KRW": "410", "PLN": "985", "CZK": "203",
    "SEK": "752", "NOK": "578", "DKK": "208", "CAD": "124", "AUD": "036", "HKD": "344", "SGD": "702",
}

_LETTERS = {number: letters for letters, number in CURRENCY_NUMBERS.items()}


def letters_of(number: str) -> str | None:
    """ISO letters of an ОКВ / ISO numeric code ("643" -> "RUB"); None for a code the table does not know."""
    return _LETTERS.get(number.strip().zfill(3)) if number.strip().isdigit() else None
