"""Money, dates and the interface language as people read them: the one implementation for pages, timeline
comments and anything else a person reads. Built on Babel (CLDR data), with two deliberate departures where a
Russian accountant writes differently from CLDR's defaults:

* thousands are grouped with a narrow no-break space U+202F ("1 234 567,89 ₽"), not CLDR ru's U+00A0: the
  typographic thin space of Russian documents, and a group is never broken across lines; the currency sign is
  separated by an ordinary no-break space U+00A0;
* kopecks are rounded half up (0,005 → 0,01), as accountants and 1C round, not half to even (Babel's default).

English keeps the sign after the amount too ("1,234,567.89 ₽") so a sum reads the same in both languages; CLDR en
would write "RUB1,234,567.89".

Imports nothing of the app (the `core` package rule).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import get_currency_precision, get_currency_symbol, get_group_symbol, parse_pattern

Lang = Literal["ru", "en"]

MOSCOW = ZoneInfo("Europe/Moscow")
NARROW_NBSP = "\u202f"  # groups of thousands
NBSP = "\u00a0"  # between the amount and the currency sign
NONE = "—"  # what an unknown amount or date reads as

# Bitrix24 interface languages (LANG of a placement, `lang` of the portal record). The cloud's list is the enum
# B24LangList of bitrix24/b24jssdk (packages/@b24-jssdk/src/language/list.ts); "by" is an on-premise Belarusian
# interface; uk/be/kk are the ISO spellings of ua/by/kz. Russian for the Russian-reading interfaces, English for
# every other known interface language; a code we do not know (or none) reads Russian, the app's users' language.
RUSSIAN_LANGS = frozenset({"ru", "ua", "by", "kz", "uk", "be", "kk"})
ENGLISH_LANGS = frozenset({"en", "de", "la", "br", "fr", "it", "pl", "tr", "sc", "tc", "ja", "vn", "id", "ms",
                           "th", "ar", "in", "hi", "es", "pt", "zh"})

_LOCALES: dict[str, Locale] = {"ru": Locale.parse("ru_RU"), "en": Locale.parse("en_US")}
_AMOUNT = {digits: parse_pattern("#,##0" + ("." + "0" * digits if digits else "")) for digits in range(4)}
_DATE = {"ru": "dd.MM.yyyy", "en": "d MMM yyyy"}  # 24.11.2026 / 24 Nov 2026
_DATETIME = {"ru": "dd.MM.yyyy HH:mm", "en": "d MMM yyyy, HH:mm"}  # 24.11.2026 14:05 / 24 Nov 2026, 14:05


def normalize_lang(code: str | None) -> Lang:
    """The language a text is written in for a portal's LANG code: "ru" or "en".

    ru/ua/by/kz read Russian; en, de and the other Bitrix24 interface languages read English; empty or unknown
    codes read Russian. Region suffixes are ignored ("en-US", "ru_RU")."""
    base = (code or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return "en" if base in ENGLISH_LANGS else "ru"


def money(amount: Decimal | float | int | str | None, currency: str = "RUB", lang: str = "ru") -> str:
    """An amount with its currency sign: "1 234 567,89 ₽" (ru) or "1,234,567.89 ₽" (en); "—" for None.

    `currency` is an ISO 4217 code (RUB, USD, EUR, ...); its sign is the one Russian users see (₽, $, €) in both
    languages. Rounded half up to the currency's minor unit (kopecks for RUB); a float is taken by its decimal
    repr (0.1 is 0,10, not 0,1000000000000000055...)."""
    if amount is None:
        return NONE
    language = normalize_lang(lang)
    locale = _LOCALES[language]
    digits = min(get_currency_precision(currency), 3)
    value = (amount if isinstance(amount, Decimal) else Decimal(str(amount))).quantize(
        Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if value == 0:
        value = abs(value)  # never "-0,00"
    text = _AMOUNT[digits].apply(value, locale)
    if language == "ru":
        text = text.replace(get_group_symbol(locale), NARROW_NBSP)
    return f"{text}{NBSP}{get_currency_symbol(currency, _LOCALES['ru'])}"


def quantity(amount: Decimal | float | int | str | None, lang: str = "ru") -> str:
    """A quantity as stock figures are written: "1 250" or "12,5" (ru), "1,250" / "12.5" (en); up to three
    decimals (kilograms to the gram), trailing zeros dropped; "—" for None."""
    if amount is None:
        return NONE
    language = normalize_lang(lang)
    locale = _LOCALES[language]
    value = (amount if isinstance(amount, Decimal) else Decimal(str(amount))).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_UP).normalize()
    text = parse_pattern("#,##0.###").apply(value, locale)
    return text.replace(get_group_symbol(locale), NARROW_NBSP) if language == "ru" else text


def date(value: dt.date | dt.datetime | None, lang: str = "ru", tz: ZoneInfo = MOSCOW) -> str:
    """A calendar date: "24.11.2026" (ru) or "24 Nov 2026" (en); "—" for None.

    A datetime with a zone is first moved to `tz` (Moscow unless told); one without a zone (1C document dates
    are the base's local time) is taken as it is."""
    if value is None:
        return NONE
    if isinstance(value, dt.datetime):
        value = (value.astimezone(tz) if value.tzinfo is not None else value).date()
    language = normalize_lang(lang)
    return format_date(value, _DATE[language], locale=_LOCALES[language])


def datetime(value: dt.datetime | None, lang: str = "ru", tz: ZoneInfo = MOSCOW) -> str:
    """A moment: "24.11.2026 14:05" (ru) or "24 Nov 2026, 14:05" (en) in `tz` (Moscow unless told); "—" for None.
    A value without a zone is taken as local time already."""
    if value is None:
        return NONE
    if value.tzinfo is not None:
        value = value.astimezone(tz).replace(tzinfo=None)
    language = normalize_lang(lang)
    return format_datetime(value, _DATETIME[language], locale=_LOCALES[language])
