"""Matching 1C counterparties with CRM cards before the first load: every kind of match and duplicate, and an
invalid INN that is reported and never a key."""

from __future__ import annotations

import pytest

from b24app.core.counterparty_keys import normal_name, valid_inn, valid_kpp, valid_ogrn
from b24app.core.counterparty_match import Party, match

ROMASHKA, KPP_HEAD, KPP_BRANCH = "7707083893", "770701001", "784201001"
ENTREPRENEUR = "500100732259"  # 12 digits, valid check digits
OTHER = "7736050003"


@pytest.mark.parametrize("name", ["ООО «Ромашка»", "Ромашка ООО", "ООО Ромашка", "  ооо  \"РОМАШКА\" ",
                                  "Общество с ограниченной ответственностью «Ромашка»"])
def test_legal_forms_and_quotes_are_set_aside(name):
    assert normal_name(name) == "ромашка"


def test_checksums_and_formats():
    assert valid_inn(ROMASHKA) == ROMASHKA and valid_inn("7707083894") is None and valid_inn("12345") is None
    assert valid_inn(ENTREPRENEUR) == ENTREPRENEUR
    assert valid_kpp("7707 01 001".replace(" ", "")) == KPP_HEAD and valid_kpp("77070100") is None
    assert valid_kpp("7707AB001") == "7707AB001"
    assert valid_ogrn("1027700132195") == "1027700132195" and valid_ogrn("1027700132196") is None


def test_every_kind_of_match_duplicate_and_what_is_created():
    onec = [
        Party("1c-head", "ООО «Ромашка»", ROMASHKA, KPP_HEAD),
        Party("1c-branch", "Ромашка, филиал СПб", ROMASHKA, KPP_BRANCH),
        Party("1c-ip", "ИП Иванов Иван Иванович", ENTREPRENEUR),
        Party("1c-person", "Петров Пётр", phones=("8 (916) 123-45-67",)),
        Party("1c-fuzzy", "Торговый дом Вектор ООО"),
        Party("1c-new", "ЗАО Совсем Новая Компания", OTHER, "773601001"),
        Party("1c-bad", "ООО Кривой ИНН", "7707083894"),
        Party("1c-dup-a", "Альфа", "7702070139", "770201001"),
        Party("1c-dup-b", "Альфа (дубль)", "7702070139", "770201001"),
    ]
    crm = [
        Party("company:1", "Ромашка", ROMASHKA, KPP_BRANCH),
        Party("company:2", "Иванов ИП", ENTREPRENEUR),
        Party("contact:3", "Пётр", phones=("+7 916 123 45 67",)),
        Party("company:4", "ООО «Торговый дом «Вектор»»"),
        Party("company:5", "Совсем Новая Компания", "7728168971"),  # same name, another INN: never a candidate
        Party("company:6", "Дубль А", ROMASHKA, KPP_BRANCH),
        Party("company:7", "Сломанный", "0000000001"),
    ]
    report = match(onec, crm)
    pairs = {(a.key, b.key) for a, b in report.by_inn_kpp}
    assert pairs == {("1c-branch", "company:1")}
    assert [(a.key, [b.key for b in bs]) for a, bs in report.other_kpp] == [("1c-head", ["company:1", "company:6"])]
    assert {(a.key, b.key) for a, b in report.by_inn} == {("1c-ip", "company:2")}
    assert {(a.key, b.key) for a, b in report.by_contact} == {("1c-person", "contact:3")}
    assert [(a.key, b.key, score) for a, b, score in report.by_name] == [("1c-fuzzy", "company:4", 1.0)]
    assert {p.key for p in report.to_create} == {"1c-new", "1c-bad", "1c-dup-a", "1c-dup-b"}
    assert [[p.key for p in g] for g in report.onec_duplicates] == [["1c-dup-a", "1c-dup-b"]]
    assert [[p.key for p in g] for g in report.crm_duplicates] == [["company:1", "company:6"]]
    assert {(side, p.key) for side, p in report.invalid_inn} == {("1c", "1c-bad"), ("crm", "company:7")}


def test_a_near_name_is_a_candidate_and_a_distant_one_is_not():
    crm = [Party("company:1", "Строительная компания Северный Ветер"), Party("company:2", "Южный Берег")]
    report = match([Party("a", "ООО Северный ветер строительная компания"), Party("b", "Северный полюс")], crm)
    assert [(a.key, b.key) for a, b, _ in report.by_name] == [("a", "company:1")]
    assert [p.key for p in report.to_create] == ["b"]
