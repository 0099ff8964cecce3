"""PHP-style form encoding of REST parameters (settings/how-to-call-rest-api/data-encoding.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qsl, unquote_plus

import pytest

from b24app.bitrix.encoding import batch_command, encode_query, flatten


def test_nested_filter_select_and_fields_use_bracketed_keys_in_order() -> None:
    pairs = flatten(
        {
            "order": {"ID": "ASC"},
            "filter": {">ID": 5, "STAGE_ID": ["NEW", "WON"], "!CATEGORY_ID": 1},
            "select": ["ID", "TITLE", "UF_CRM_INN"],
            "start": -1,
        }
    )
    assert pairs == [
        ("order[ID]", "ASC"),
        ("filter[>ID]", "5"),
        ("filter[STAGE_ID][0]", "NEW"),
        ("filter[STAGE_ID][1]", "WON"),
        ("filter[!CATEGORY_ID]", "1"),
        ("select[0]", "ID"),
        ("select[1]", "TITLE"),
        ("select[2]", "UF_CRM_INN"),
        ("start", "-1"),
    ]


def test_lists_of_structures_keep_each_item_together_at_any_depth() -> None:
    pairs = flatten(
        {
            "fields": {
                "TITLE": "ООО «Ромашка»",
                "PHONE": [{"VALUE": "+7 495 000-00-00", "VALUE_TYPE": "WORK"}, {"VALUE": "112", "VALUE_TYPE": "OTHER"}],
                "UF_CRM_DEEP": {"a": [[1, 2], {"b": "c"}]},
            }
        }
    )
    assert pairs == [
        ("fields[TITLE]", "ООО «Ромашка»"),
        ("fields[PHONE][0][VALUE]", "+7 495 000-00-00"),
        ("fields[PHONE][0][VALUE_TYPE]", "WORK"),
        ("fields[PHONE][1][VALUE]", "112"),
        ("fields[PHONE][1][VALUE_TYPE]", "OTHER"),
        ("fields[UF_CRM_DEEP][a][0][0]", "1"),
        ("fields[UF_CRM_DEEP][a][0][1]", "2"),
        ("fields[UF_CRM_DEEP][a][1][b]", "c"),
    ]


def test_none_and_empty_containers_are_omitted_booleans_become_y_n() -> None:
    pairs = flatten({"fields": {"OPENED": True, "CLOSED": False, "COMMENTS": None, "UF_CRM_TAGS": []}, "x": {}})
    assert pairs == [("fields[OPENED]", "Y"), ("fields[CLOSED]", "N")]


def test_numbers_dates_and_decimals_have_plain_text_forms() -> None:
    moment = dt.datetime(2026, 11, 24, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    pairs = dict(
        flatten(
            {
                "a": 0,
                "b": 1.5,
                "c": 1e20,
                "d": Decimal("1234.50"),
                "e": moment,
                "f": dt.date(2026, 1, 2),
                "g": "0",
            }
        )
    )
    assert pairs == {
        "a": "0",
        "b": "1.5",
        "c": "100000000000000000000",
        "d": "1234.50",
        "e": "2026-11-24T10:30:00+03:00",
        "f": "2026-01-02",
        "g": "0",
    }


def test_unencodable_values_are_refused_with_the_type_named() -> None:
    with pytest.raises(TypeError, match="object"):
        flatten({"fields": {"X": object()}})


def test_query_is_utf8_percent_encoded_and_decodes_back() -> None:
    params = {"fields": {"TITLE": "Счёт №5 & «скидка» 10%", "COMMENTS": "a=b?c#d"}}
    query = encode_query(params)
    assert "Сч" not in query and "&" not in query.replace("&fields", "")
    assert "%D0%A1%D1%87%D1%91%D1%82" in query  # "Счёт" in UTF-8
    assert parse_qsl(query, encoding="utf-8") == flatten(params)


def test_batch_command_is_encoded_once_and_survives_the_second_encoding() -> None:
    command = batch_command(
        "crm.deal.update",
        {"id": 7, "fields": {"TITLE": "John&Martin", "ASSIGNED_BY_ID": "$result[user][0][ID]"}},
    )
    method, query = command.split("?", 1)
    assert method == "crm.deal.update"
    # data-encoding.md: "&" inside a value is %26 in the sub-request, so it cannot split the sub-request
    assert "John%26Martin" in query
    assert dict(parse_qsl(query)) == {
        "id": "7",
        "fields[TITLE]": "John&Martin",
        "fields[ASSIGNED_BY_ID]": "$result[user][0][ID]",
    }
    # the outer form encoding of cmd[...] encodes it again: % becomes %25 (the doc's %2526)
    outer = encode_query({"cmd": {"u": command}})
    assert "John%2526Martin" in outer
    assert unquote_plus(outer.split("=", 1)[1]) == command


def test_batch_command_without_params_is_the_bare_method() -> None:
    assert batch_command("user.current", None) == "user.current"
    assert batch_command("user.current", {"x": None}) == "user.current"
