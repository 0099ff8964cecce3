"""The sandbox answers a condition naming many keys (`P eq guid'…' or P eq guid'…' …`, what a client sends to read
the records of a page of items) from a value index, as 1C answers it from its own: the same rows as a scan, in key
order, and never stale after a write."""

from __future__ import annotations

from b24sandbox.onec.filter_eval import equality_hint
from b24sandbox.onec.filter_syntax import parse_filter
from b24sandbox.onec.store import Table

A, B, C = (f"00000000-0000-0000-0000-00000000000{n}" for n in (1, 2, 3))


def test_only_an_or_of_equalities_on_one_property_is_a_hint():
    assert equality_hint(parse_filter(f"X_Key eq guid'{A}' or X_Key eq guid'{B}'")) == ("X_Key", {A, B})
    assert equality_hint(parse_filter(f"Owner eq cast(guid'{A}', 'Catalog_Номенклатура')")) == ("Owner", {A})
    assert equality_hint(parse_filter(f"X_Key eq guid'{A}' or Y_Key eq guid'{B}'")) is None
    assert equality_hint(parse_filter(f"X_Key eq guid'{A}' and Y_Key eq guid'{B}'")) is None
    assert equality_hint(parse_filter("Цена gt 10")) is None
    assert equality_hint(None) is None


def test_candidates_are_what_a_scan_finds_in_key_order_and_follow_every_write():
    table = Table()
    for n, owner in enumerate([A, B, A, C, B, A]):
        table.put((n,), {"Owner": owner, "n": n})
    scan = [r for r in table.iter_from(0) if r["Owner"] in {A, B}]
    assert table.indexed_as_of(1).candidates("Owner", {A, B}) == scan
    table.put((9,), {"Owner": A, "n": 9})  # a new row
    assert [r["n"] for r in table.candidates("Owner", {A})] == [0, 2, 5, 9]
    table.rows[(0,)]["Owner"] = C  # changed in place, as a PATCH or a control action does, under a new version
    assert [r["n"] for r in table.indexed_as_of(2).candidates("Owner", {C})] == [0, 3]
    table.delete((3,))
    assert [r["n"] for r in table.candidates("Owner", {C})] == [0]
