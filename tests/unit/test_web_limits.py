"""Request bounds (web/limits.py) and the strict check of imported settings (core/portal_settings.check_document)."""

from __future__ import annotations

import pytest

from b24app.core.portal_settings import PortalSettings, check_document
from b24app.web.limits import RequestTooComplex, ascii_id, bounded_json, check_form_keys, for_log, json_depth


def test_json_depth_counts_brackets_outside_strings_only():
    assert json_depth('{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth('"\\"[" ') == 0
    assert json_depth("[" * 5000 + "]" * 5000) == 5000


def test_bounded_json_refuses_deep_text_before_parsing_it():
    assert bounded_json('{"ID": "5"}') == {"ID": "5"}
    with pytest.raises(RequestTooComplex):
        bounded_json("[" * 100_000 + "]" * 100_000)  # json.loads would hit RecursionError
    with pytest.raises(ValueError):
        bounded_json("{not json")


def test_form_keys_are_bounded_in_number_length_and_depth():
    check_form_keys(["event", "data[FIELDS][ID]", "auth[member_id]"])
    for keys in (["a" + "[b]" * 5], ["k" * 201], [f"f{i}" for i in range(501)]):
        with pytest.raises(RequestTooComplex):
            check_form_keys(keys)


@pytest.mark.parametrize("raw", ["１", "١٢", "²", "1e3", "-1", "0x1", " 1", "1 ", "", "0", "01", "1" * 19, None])
def test_ids_are_positive_ascii_integers_only(raw):
    assert ascii_id(raw) is None


def test_ids_pass_as_written():
    assert ascii_id("42") == "42" and ascii_id(7) == "7"


def test_log_values_cannot_forge_lines():
    assert for_log("ONCRMDEALUPDATE\nINFO forged") == "ONCRMDEALUPDATE\\x0aINFO forged"
    assert for_log("x" * 100, limit=10) == "x" * 10 + "…"


def test_our_own_settings_documents_pass_the_strict_check():
    check_document(PortalSettings().to_json())
    check_document({})


@pytest.mark.parametrize("document", [
    {"tab_timeout_seconds": "abc"},
    {"tab_timeout_seconds": 1000},
    {"tab_timeout_seconds": True},
    {"schedules": {"pull_from_1c": "false"}},
    {"schedules": {"payments_seconds": "300"}},
    {"schedules": {"payments_seconds": 5}},
    {"schedules": []},
    {"deal_fields": {"paid_sum": "UF_CRM_X; DROP"}},
    {"deal_fields": ["UF_CRM_X"]},
    {"legal_entity_field": 5},
    {"legal_entity_bases": {"1": "2"}},
    {"category_bases": {"0": True}},
    {"stages": {"0": {"paid": "WON", "evil": "X"}}},
    {"stages": {"abc": {"paid": "WON"}}},
    [],
])
def test_foreign_documents_with_wrong_types_or_ranges_are_refused(document):
    with pytest.raises(ValueError):
        check_document(document)
