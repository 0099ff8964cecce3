"""Unit tests of the $filter parser and of virtual-table parameter splitting (no server)."""

from __future__ import annotations

import pytest

from b24sandbox.onec.errors import ODataError
from b24sandbox.onec.filter_syntax import parse_filter
from b24sandbox.onec.registers import parse_parameters


def test_priority_of_and_over_or():
    tree = parse_filter("A eq 1 or B eq 2 and C eq 3")
    assert tree[0:2] == ("bin", "or") and tree[3][1] == "and"


def test_literals():
    tree = parse_filter("Ref_Key eq guid'0D4A79CB-9843-4147-BCD9-80AC3CA2B9C7' and Date ge datetime'2026-01-02'")
    assert tree[2][3] == ("lit", "0d4a79cb-9843-4147-bcd9-80ac3ca2b9c7")
    assert tree[3][3] == ("lit", "2026-01-02T00:00:00")
    assert parse_filter("Описание eq 'Д''Артаньян'")[3] == ("lit", "Д'Артаньян")


def test_key_lower_bound_is_found_inside_and_chain():
    from b24sandbox.onec.filter_eval import key_lower_bound

    tree = parse_filter("DeletionMark eq false and Ref_Key gt guid'00000000-0000-0000-0000-000000000001'")
    assert key_lower_bound(tree) == ("gt", "00000000-0000-0000-0000-000000000001")
    assert key_lower_bound(parse_filter("Ref_Key gt guid'00000000-0000-0000-0000-000000000001' or A eq 1")) is None


@pytest.mark.parametrize("text", ["A eq", "(A eq 1", "A eq 1)", "A eq 'x", "A ~ 1"])
def test_syntax_errors_are_code_14(text):
    with pytest.raises(ODataError) as caught:
        parse_filter(text)
    assert caught.value.code == 14 and caught.value.http_status == 400


def test_virtual_table_parameters_with_undoubled_quotes():
    params = parse_parameters(
        "StartPeriod=datetime'2014-01-01', EndPeriod=datetime'2014-02-01', Condition='Товар_Key eq guid'x''",
        ["StartPeriod", "EndPeriod", "Condition", "Dimensions"])
    assert params == {"StartPeriod": "datetime'2014-01-01'", "EndPeriod": "datetime'2014-02-01'",
                      "Condition": "'Товар_Key eq guid'x''"}
