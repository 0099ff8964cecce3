"""The template names of the one formatting implementation (`b24app.core.formatting`): pages call
`format_money(amount, lang)` and `format_datetime(value, lang)` (Jinja globals registered in `web/__init__.py`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from b24app.core import formatting
from b24app.core.formatting import MOSCOW


def format_datetime(value: datetime | None, lang: str, tz: ZoneInfo = MOSCOW) -> str:
    """`24.11.2026 14:05` in Russian, `24 Nov 2026, 14:05` in English (Moscow time); an em dash when unknown."""
    return formatting.datetime(value, lang, tz)


def format_money(amount: Decimal | float | int | None, lang: str, currency: str = "RUB") -> str:
    """`1 234 567,89 ₽` (narrow no-break spaces between groups, comma decimal) or `1,234,567.89 ₽`."""
    return formatting.money(amount, currency, lang)


def format_quantity(amount: Decimal | float | int | None, lang: str) -> str:
    """`1 250` / `12,5` in Russian, `1,250` / `12.5` in English."""
    return formatting.quantity(amount, lang)
