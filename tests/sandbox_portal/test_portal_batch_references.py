"""batch references resolved as the portal's REST module does: nested paths, short pages, other sections."""

from __future__ import annotations

import requests

from b24sandbox.portal.rest import _resolve
from tests.sandbox_portal.conftest import Portal


def _page_chain(count: int, extra_filter: str = "") -> dict[str, str]:
    base = "crm.deal.list?order[ID]=ASC&select[]=ID&start=-1" + extra_filter
    chain = {"p0": base}
    for number in range(1, count):
        chain[f"p{number}"] = f"{base}&filter[>ID]=$result[p{number - 1}][49][ID]"
    return chain


def test_list_pages_chain_on_the_last_row_and_stop_after_a_short_page(portal: Portal) -> None:
    cmd = _page_chain(5, "&filter[<ID]=181")
    result = requests.post(portal.webhook() + "batch", json={"halt": 1, "cmd": cmd}, timeout=10).json()["result"]
    pages = [[int(row["ID"]) for row in result["result"][f"p{n}"]] for n in range(5)]
    assert pages[:4] == [list(range(1, 51)), list(range(51, 101)), list(range(101, 151)), list(range(151, 181))]
    # p4 refers to row 49 of a page of 30: the reference gives that page, and a list filtered ">ID" by an
    # array answers an empty page (what bitrix24/b24phpsdk's chained listing expects).
    assert pages[4] == []
    assert result["result_error"] == []


def test_a_reference_into_an_empty_page_also_gives_an_empty_page(portal: Portal) -> None:
    cmd = _page_chain(3, "&filter[>ID]=1000000")
    result = requests.post(portal.webhook() + "batch", json={"halt": 1, "cmd": cmd}, timeout=10).json()["result"]
    assert result["result"] == {"p0": [], "p1": [], "p2": []}


def test_next_and_total_sections_are_referable(portal: Portal) -> None:
    cmd = {
        "counted": "crm.deal.list?order[ID]=ASC&select[]=ID",
        "by_next": "crm.deal.get?id=$next[counted]",
        "titled": "crm.deal.update?id=7&fields[TITLE]=of $total[counted] deals",
        "check": "crm.deal.get?id=7",
    }
    result = requests.post(portal.webhook() + "batch", json={"cmd": cmd}, timeout=10).json()["result"]
    assert result["result"]["by_next"]["ID"] == "50"
    assert result["result"]["check"]["TITLE"] == f"of {result['result_total']['counted']} deals"


def test_nested_paths_through_wrapping_results() -> None:
    items = [{"id": n, "title": f"item {n}"} for n in range(101, 151)]
    sections = {"result": {"p0": {"items": items}}, "next": {}, "total": {}, "time": {}, "error": {}}
    assert _resolve({">id": "$result[p0][items][49][id]"}, sections) == {">id": 150}
    assert _resolve("$result[p0][items][0][title]", sections) == "item 101"
    # the pattern ignores case but PHP array keys do not: an upper-case name finds nothing
    assert _resolve("$RESULT[p0][items][0][title]", sections) is None


def test_a_path_that_runs_out_keeps_the_deepest_value_reached() -> None:
    short_page = [{"ID": str(n)} for n in range(1, 31)]
    sections = {"result": {"p0": short_page}, "next": {}, "total": {}, "time": {}, "error": {}}
    assert _resolve("$result[p0][49][ID]", sections) == short_page
    assert _resolve("$result[p0][29][NAME]", sections) == {"ID": "30"}
    # a command with no result: the walk stops at the section itself
    assert _resolve("$result[failed][0][ID]", sections) == {"p0": short_page}


def test_references_inside_text_take_only_strings_and_numbers() -> None:
    sections = {"result": {"a": {"ID": "5", "N": 7, "L": [1, 2]}}, "next": {}, "total": {}, "time": {}, "error": {}}
    assert _resolve("deal $result[a][ID]", sections) == "deal 5"
    assert _resolve("n=$result[a][N]", sections) == "n=7"
    assert _resolve("list $result[a][L]", sections) == "list $result[a][L]"
    # the reference runs to the next space, as the portal's pattern takes it
    assert _resolve("x $result[a][ID]-suffix y", sections) == "x 5 y"
