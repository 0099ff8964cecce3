"""Paging rules of iterate_by_id and list_all, driven by a plain function standing in for ``call``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from b24app.bitrix.errors import BitrixError
from b24app.bitrix.listing import iterate_by_id, list_all


@dataclass
class Page:
    result: Any
    next: int | None = None


def test_iterate_by_id_asks_for_id_order_start_minus_one_and_the_last_id() -> None:
    rows = [{"ID": str(i), "TITLE": f"d{i}"} for i in range(1, 121)]
    seen: list[dict[str, Any]] = []

    def call(method: str, params: dict[str, Any]) -> Page:
        seen.append({**params, "filter": dict(params["filter"])})
        bound = int(params["filter"].get(">ID", 0))
        return Page([r for r in rows if int(r["ID"]) > bound][:50])

    got = list(iterate_by_id(call, "crm.deal.list", {"filter": {"STAGE_ID": "NEW"}, "select": ["TITLE"]}))
    assert got == rows
    assert [q["filter"] for q in seen] == [
        {"STAGE_ID": "NEW"},
        {"STAGE_ID": "NEW", ">ID": "50"},
        {"STAGE_ID": "NEW", ">ID": "100"},
    ]
    assert all(q["start"] == -1 and q["order"] == {"ID": "ASC"} and q["select"] == ["TITLE", "ID"] for q in seen)


def test_iterate_by_id_resumes_from_a_given_bound_and_reads_wrapped_pages() -> None:
    def call(method: str, params: dict[str, Any]) -> Page:
        bound = int(params["filter"][">id"])
        return Page({"items": [{"id": i} for i in range(bound + 1, min(bound + 51, 131))]})

    got = list(iterate_by_id(call, "crm.item.list", {"filter": {">id": 70}}, id_field="id", page_key="items"))
    assert [r["id"] for r in got] == list(range(71, 131))


def test_a_portal_that_ignores_the_id_filter_is_detected_not_looped_forever() -> None:
    def call(method: str, params: dict[str, Any]) -> Page:
        return Page([{"ID": str(i)} for i in range(1, 51)])

    with pytest.raises(BitrixError, match="LISTING_NOT_ADVANCING"):
        list(iterate_by_id(call, "crm.deal.list"))


def test_a_foreign_order_is_refused() -> None:
    with pytest.raises(ValueError, match="ascending"):
        list(iterate_by_id(lambda m, p: Page([]), "crm.deal.list", {"order": {"DATE_CREATE": "DESC"}}))


def test_a_wrapped_answer_without_page_key_is_an_error_not_silent_garbage() -> None:
    with pytest.raises(BitrixError, match="page_key"):
        list(list_all(lambda m, p: Page({"items": [{"id": 1}]}), "crm.item.list"))


def test_list_all_follows_next_until_it_is_absent() -> None:
    starts: list[Any] = []

    def call(method: str, params: dict[str, Any]) -> Page:
        start = params.get("start", 0)
        starts.append(params.get("start"))
        return Page(
            [{"ID": str(i)} for i in range(start, min(start + 50, 120))], start + 50 if start + 50 < 120 else None
        )

    assert len(list(list_all(call, "crm.company.list", {"filter": {"X": 1}}))) == 120
    assert starts == [None, 50, 100]
