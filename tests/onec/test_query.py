"""Literal quoting and URL encoding of OData requests."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import unquote

import pytest

from b24app.onec import query as q


def test_guid_literal_is_lowercase_and_validated():
    value = "8D04CE3C-6360-11E9-DD92-FA163E8BA11D"
    assert q.guid(value) == "guid'8d04ce3c-6360-11e9-dd92-fa163e8ba11d'"
    assert q.guid(uuid.UUID(value)) == "guid'8d04ce3c-6360-11e9-dd92-fa163e8ba11d'"
    injected = "8d04ce3c-6360-11e9-dd92-fa163e8ba11d' or true"
    for bad in ("", "8d04ce3c", injected, "zzzzzzzz-6360-11e9-dd92-fa163e8ba11d"):
        with pytest.raises(ValueError):
            q.guid(bad)


def test_datetime_literal_drops_fractions_and_refuses_zones():
    assert q.datetime_literal(datetime(1945, 5, 9, 6, 0, 0, 999)) == "datetime'1945-05-09T06:00:00'"
    assert q.datetime_literal(date(2026, 11, 24)) == "datetime'2026-11-24T00:00:00'"
    with pytest.raises(ValueError):
        q.datetime_literal(datetime(2026, 1, 1, tzinfo=UTC))


def test_string_literal_doubles_quotes():
    assert q.string("ООО «Ромашка»") == "'ООО «Ромашка»'"
    assert q.string("O'Brien") == "'O''Brien'"
    assert q.string("'; drop") == "'''; drop'"


def test_literal_dispatch():
    assert q.literal(True) == "true"
    assert q.literal(False) == "false"
    assert q.literal(None) == "null"
    assert q.literal(10) == "10"
    assert q.literal(2.5) == "2.5"
    assert q.literal(Decimal("1000.50")) == "1000.50"
    with pytest.raises(ValueError):
        q.literal(float("nan"))
    with pytest.raises(TypeError):
        q.literal(object())


def test_compare_takes_strings_for_key_fields_as_guids():
    ref = "8d04ce3c-6360-11e9-dd92-fa163e8ba11d"
    assert q.eq("Контрагент_Key", ref) == f"Контрагент_Key eq guid'{ref}'"
    assert q.eq("ИНН", "7707083893") == "ИНН eq '7707083893'"
    assert q.compare("Контрагент/ИНН", "ne", "1") == "Контрагент/ИНН ne '1'"
    with pytest.raises(ValueError):
        q.eq("Контрагент_Key", "not-a-guid")
    with pytest.raises(ValueError):
        q.compare("ИНН", "like", "1")
    with pytest.raises(ValueError):
        q.eq("ИНН eq '1' or 1", "x")


def test_contains_and_combinators():
    assert q.contains("Комментарий", "b24:x") == "substringof('b24:x', Комментарий) eq true"
    assert q.all_of("a eq 1", None, "b eq 2") == "(a eq 1) and (b eq 2)"
    assert q.all_of(None, "a eq 1") == "a eq 1"
    assert q.all_of() is None
    assert q.any_of("a eq 1", "b eq 2") == "(a eq 1) or (b eq 2)"


def test_query_encoding_is_utf8_percent_with_spaces_as_20():
    encoded = q.encode_query({"$filter": "Description eq 'Пермь & Ко'", "$top": 5, "$skip": None})
    assert "+" not in encoded
    assert encoded.startswith("$filter=Description%20eq%20'")
    assert "%26" in encoded  # the ampersand inside a value cannot split the query
    assert "$skip" not in encoded
    key, value = encoded.split("&")[0].split("=", 1)
    assert unquote(value, encoding="utf-8") == "Description eq 'Пермь & Ко'"


def test_path_encoding_keeps_function_syntax():
    path = "AccumulationRegister_РасчетыСКлиентами/Balance(Period=datetime'2026-01-01T00:00:00')"
    encoded = q.encode_path(path)
    assert encoded.isascii()
    assert "/Balance(Period=datetime'2026-01-01T00:00:00')" in encoded
    assert unquote(encoded) == path


def test_function_argument_wraps_like_the_docs():
    # 17.4.9: Condition='Валюта_Key eq guid'value''
    cond = q.eq("Валюта_Key", "8d04ce3c-6360-11e9-dd92-fa163e8ba11d")
    assert q.function_argument(cond) == "'Валюта_Key eq guid'8d04ce3c-6360-11e9-dd92-fa163e8ba11d''"
