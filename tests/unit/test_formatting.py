"""Money, dates, the interface language and the timeline comment texts (`b24app.core.formatting`,
`b24app.core.messages`): pure functions, no Redis, no database."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from b24app.core import formatting, messages
from b24app.core.formatting import money, normalize_lang
from b24app.core.messages import MESSAGES, message, placeholders

G = "\u202f"  # narrow no-break space: groups of thousands in Russian
S = "\u00a0"  # no-break space before the currency sign


# --- money -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "ru", "en"), [
    (Decimal("1234567.89"), f"1{G}234{G}567,89{S}₽", f"1,234,567.89{S}₽"),
    (Decimal("0"), f"0,00{S}₽", f"0.00{S}₽"),
    (Decimal("-5"), f"-5,00{S}₽", f"-5.00{S}₽"),
    (Decimal("-1234.5"), f"-1{G}234,50{S}₽", f"-1,234.50{S}₽"),
    (Decimal("999.999"), f"1{G}000,00{S}₽", f"1,000.00{S}₽"),
    (Decimal("123456789012345.67"), f"123{G}456{G}789{G}012{G}345,67{S}₽", f"123,456,789,012,345.67{S}₽"),
    (1000, f"1{G}000,00{S}₽", f"1,000.00{S}₽"),
    (1234.5, f"1{G}234,50{S}₽", f"1,234.50{S}₽"),
    ("42.1", f"42,10{S}₽", f"42.10{S}₽"),
])
def test_money_in_russian_and_english(amount, ru, en):
    assert money(amount) == ru
    assert money(amount, lang="ru") == ru
    assert money(amount, "RUB", "en") == en


@pytest.mark.parametrize(("amount", "expected"), [
    ("0.005", "0,01"), ("0.015", "0,02"), ("0.025", "0,03"), ("2.675", "2,68"),  # half up, not half to even
    ("0.0049", "0,00"), ("1.004", "1,00"), ("-0.005", "-0,01"), ("-2.675", "-2,68"),
    ("-0.004", "0,00"),  # never "-0,00"
    ("1234567.891", f"1{G}234{G}567,89"),
])
def test_kopecks_are_rounded_half_up_as_accountants_do(amount, expected):
    assert money(Decimal(amount)) == f"{expected}{S}₽"


def test_money_of_a_float_is_its_decimal_repr():
    assert money(0.1 + 0.2) == f"0,30{S}₽"
    assert money(2.675) == f"2,68{S}₽"  # the float 2.675 is 2.67499999…; its repr is what people typed


def test_money_unknown_and_other_currencies():
    assert money(None) == "—"
    assert money(Decimal("10"), "USD", "ru") == f"10,00{S}$"
    assert money(Decimal("10"), "EUR", "en") == f"10.00{S}€"
    assert money(Decimal("1234.5"), "JPY", "ru") == f"1{G}235{S}¥"  # yen have no minor unit


def test_money_language_codes_are_normalised():
    assert money(Decimal("1000"), lang="ua") == money(Decimal("1000"), lang="ru")
    assert money(Decimal("1000"), lang="de") == money(Decimal("1000"), lang="en")
    assert money(Decimal("1000"), lang="") == f"1{G}000,00{S}₽"


# --- dates -----------------------------------------------------------------------------------------------------


def test_dates_as_a_russian_accountant_writes_them():
    assert formatting.date(date(2026, 11, 24)) == "24.11.2026"
    assert formatting.date(date(2026, 1, 5), "ru") == "05.01.2026"
    assert formatting.date(date(2026, 11, 24), "en") == "24 Nov 2026"
    assert formatting.date(date(2026, 9, 4), "en") == "4 Sep 2026"
    assert formatting.date(None, "ru") == "—"


def test_a_1c_datetime_is_a_local_date_and_a_zoned_one_is_moved_to_moscow():
    assert formatting.date(datetime(2026, 11, 24, 23, 59)) == "24.11.2026"  # naive: the base's local time
    assert formatting.date(datetime(2026, 11, 24, 22, 30, tzinfo=UTC)) == "25.11.2026"  # 01:30 in Moscow
    assert formatting.date(datetime(2026, 11, 24, 22, 30, tzinfo=UTC), tz=timezone(timedelta(hours=-5))) \
        == "24.11.2026"


def test_datetimes():
    moment = datetime(2026, 11, 24, 9, 5, tzinfo=UTC)
    assert formatting.datetime(moment, "ru") == "24.11.2026 12:05"
    assert formatting.datetime(moment, "en") == "24 Nov 2026, 12:05"
    assert formatting.datetime(moment, "ru", tz=UTC) == "24.11.2026 09:05"
    assert formatting.datetime(datetime(2026, 3, 1, 0, 0), "ru") == "01.03.2026 00:00"  # naive: as it is
    assert formatting.datetime(None, "en") == "—"


# --- the interface language ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "lang"), [
    ("ru", "ru"), ("ua", "ru"), ("by", "ru"), ("kz", "ru"), ("RU", "ru"), (" ru ", "ru"), ("ru_RU", "ru"),
    ("uk", "ru"), ("en", "en"), ("EN", "en"), ("en-US", "en"), ("en_GB", "en"), ("de", "en"), ("la", "en"),
    ("br", "en"), ("pl", "en"), ("sc", "en"), ("tc", "en"), ("ja", "en"), ("vn", "en"),
    (None, "ru"), ("", "ru"), ("xx", "ru"), ("??", "ru"), ("klingon", "ru"),
])
def test_portal_language_codes(code, lang):
    assert normalize_lang(code) == lang


def test_russian_and_english_codes_do_not_overlap():
    assert not formatting.RUSSIAN_LANGS & formatting.ENGLISH_LANGS


# --- timeline comment catalogue --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_is_in_both_languages_with_the_same_placeholders(key):
    entry = MESSAGES[key]
    assert set(entry) == {"ru", "en"}
    assert entry["ru"].strip() and entry["en"].strip()
    assert placeholders(entry["ru"]) == placeholders(entry["en"])


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_formats_with_its_placeholders(key):
    params = {name: "x" for name in placeholders(MESSAGES[key]["ru"])}
    for lang in ("ru", "en"):
        assert "{" not in message(key, lang, **params)


def test_russian_texts_say_1c_with_a_cyrillic_es():
    for key, entry in MESSAGES.items():
        assert "1C" not in entry["ru"], key  # Latin C
        assert "1С" not in entry["en"], key  # Cyrillic С


def test_message_spells_money_and_dates_in_its_language():
    params = {"kind": message("payment_kind_bank", "ru"), "number": "17", "date": datetime(2026, 11, 24, 10, 0),
              "amount": Decimal("1234.5"), "order": "ЗК-5"}
    assert message("payment_received", "ru", **params) == \
        f"1С: поступила оплата по банку № 17 от 24.11.2026 на 1{G}234,50{S}₽ по заказу № ЗК-5."
    params["kind"] = message("payment_kind_bank", "en")
    assert message("payment_received", "en", **params) == \
        f"1C: payment No. 17 of 24 Nov 2026 for 1,234.50{S}₽ was received by bank transfer against order No. ЗК-5."
    assert message("payment_received", "de", **params) == message("payment_received", "en", **params)
    assert message("shipment_cancelled", "ru", number="3", date=None, order="7") == \
        "1С: отгрузка № 3 от — по заказу № 7 отменена в 1С."


def test_the_texts_tests_and_managers_know_are_kept():
    """The Russian texts the sync wrote before the catalogue (and the app tests look for) read the same."""
    assert message("payment_not_counted", why=message("payment_why_unposted"), number="1", date=date(2026, 1, 2),
                   amount=Decimal("5"), order="2").endswith("не учтена (проведение отменено).")
    assert message("order_created", number="00-7", base="УТ") == \
        "В 1С создан и проведён заказ клиента № 00-7 (база «УТ»)."
    assert message("order_failed", error="нет ИНН") == \
        "Сделку не удалось отправить в 1С: нет ИНН. Исправьте причину и повторите отправку."
    assert message("order_update_failed", number="5", error="1С недоступна").startswith(
        "Заказ клиента № 5 в 1С есть, но обновить его по сделке не удалось: 1С недоступна.")
    assert message("entity_switch_why_legal_entity") == "Юрлицо продавца изменилось"
    assert message("entity_switch_why_pipeline") == "Сделка перешла в воронку другой базы 1С"
    cancelled = message("entity_switch_cancelled", number=None, base="A")
    assert message("entity_switch", why="W", cancelled=cancelled, base="B", number="9") == \
        "W: заказ № — в базе «A» отменён; в базе «B» создан и проведён заказ клиента № 9."


def test_core_formatting_imports_nothing_of_the_app_but_core():
    for module in (formatting, messages):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith("b24app") or name.startswith("b24app.core"), (module.__name__, name)
