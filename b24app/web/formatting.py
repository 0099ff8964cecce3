"""Dates and money as a Russian accountant writes them (and their English equivalents)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")
NARROW_NBSP = "\u202f"  # groups of thousands: never broken across lines
NBSP = "\u00a0"


def format_datetime(value: datetime | None, lang: str, tz: ZoneInfo = MOSCOW) -> str:
    """`24.11.2026 14:05` in Russian, `24 Nov 2026, 14:05` in English; an em dash when unknown."""
    if value is None:
        return "—"
    local = value.astimezone(tz)
    return local.strftime("%d.%m.%Y %H:%M") if lang == "ru" else local.strftime("%d %b %Y, %H:%M")


def format_money(amount: Decimal | float | int, lang: str, currency: str = "₽") -> str:
    """`1 234 567,89 ₽` (narrow no-break spaces between groups, comma decimal) or `1,234,567.89 ₽`."""
    quantized = Decimal(str(amount)).quantize(Decimal("0.01"))
    sign = "-" if quantized < 0 else ""
    whole, frac = f"{abs(quantized):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    if lang == "ru":
        return f"{sign}{NARROW_NBSP.join(groups)},{frac}{NBSP}{currency}"
    return f"{sign}{','.join(groups)}.{frac}{NBSP}{currency}"
