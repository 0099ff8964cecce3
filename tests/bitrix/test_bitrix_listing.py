"""Paging rules of iterate_by_id and list_all, driven by a plain function standing in for ``call``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from b24app.bitrix.errors import BitrixError
from b24app.bitrix.listing import iterate_by_id, iterate_by_id_batched, list_all


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


@dataclass
class Outcome:
    results: dict[str, Any]
    errors: dict[str, BitrixError]


def fake_batch(
    rows: list[dict[str, Any]], sent: list[dict[str, Any]], id_field: str = "ID", page_key: str | None = None
):
    """A batch that resolves ``$result[pK]...[49][id]`` like the portal and answers junk after a short page."""

    def batch(commands: dict[str, tuple[str, dict[str, Any]]]) -> Outcome:
        sent.append(commands)
        results: dict[str, Any] = {}
        for key, (_method, params) in commands.items():
            bound = params["filter"].get(f">{id_field}", 0)
            if isinstance(bound, str) and bound.startswith("$result["):
                earlier = results[bound[len("$result[") :].split("]")[0]]
                page = earlier[page_key] if page_key else earlier
                # a reference into a short page resolves to no ID: stand for whatever the portal makes of it
                bound = page[49][id_field] if len(page) == 50 else 0
            chosen = [r for r in rows if int(r[id_field]) > int(bound)][:50]
            results[key] = {page_key: chosen} if page_key else chosen
        return Outcome(results, {})

    return batch


def test_batched_listing_chains_pages_by_reference_and_ignores_what_follows_a_short_page() -> None:
    rows = [{"ID": str(i)} for i in range(1, 5_131)]
    sent: list[dict[str, Any]] = []
    got = list(iterate_by_id_batched(fake_batch(rows, sent), "crm.deal.list", {"select": ["TITLE"]}))
    assert got == rows  # the junk answered after the short page is not yielded
    assert len(sent) == 3 and all(len(commands) == 50 for commands in sent)
    first = sent[0]
    assert ">ID" not in first["p0"][1]["filter"]
    assert first["p1"][1]["filter"][">ID"] == "$result[p0][49][ID]"
    assert first["p49"][1]["filter"][">ID"] == "$result[p48][49][ID]"
    assert sent[1]["p0"][1]["filter"][">ID"] == "2500"  # the next call resumes after the last row seen
    assert all(
        q["order"] == {"ID": "ASC"} and q["start"] == -1 and q["select"] == ["TITLE", "ID"]
        for commands in sent
        for _m, q in commands.values()
    )


def test_batched_listing_of_wrapped_pages_resumes_from_a_bound() -> None:
    rows = [{"id": i} for i in range(1, 301)]
    sent: list[dict[str, Any]] = []
    batch = fake_batch(rows, sent, id_field="id", page_key="items")
    got = list(iterate_by_id_batched(batch, "crm.item.list", {"filter": {">id": 120}}, id_field="id", page_key="items"))
    assert [r["id"] for r in got] == list(range(121, 301))
    assert sent[0]["p0"][1]["filter"][">id"] == 120
    assert sent[0]["p1"][1]["filter"][">id"] == "$result[p0][items][49][id]"


def test_batched_listing_detects_a_portal_that_ignores_the_reference() -> None:
    def batch(commands: dict[str, tuple[str, dict[str, Any]]]) -> Outcome:
        return Outcome({key: [{"ID": str(i)} for i in range(1, 51)] for key in commands}, {})

    with pytest.raises(BitrixError, match="LISTING_NOT_ADVANCING"):
        list(iterate_by_id_batched(batch, "crm.deal.list"))


def test_batched_listing_raises_a_page_error_but_not_one_after_the_end() -> None:
    failure = BitrixError("OPERATION_TIME_LIMIT", "blocked", "crm.deal.list")

    def batch(commands: dict[str, tuple[str, dict[str, Any]]]) -> Outcome:
        return Outcome({"p0": [{"ID": str(i)} for i in range(1, 51)]}, {"p1": failure})

    with pytest.raises(BitrixError, match="OPERATION_TIME_LIMIT"):
        list(iterate_by_id_batched(batch, "crm.deal.list"))

    def ends_then_fails(commands: dict[str, tuple[str, dict[str, Any]]]) -> Outcome:
        return Outcome({"p0": [{"ID": "1"}, {"ID": "2"}]}, {"p1": failure})

    assert len(list(iterate_by_id_batched(ends_then_fails, "crm.deal.list"))) == 2


def test_batched_listing_refuses_a_foreign_order_and_more_than_50_pages() -> None:
    with pytest.raises(ValueError, match="ascending"):
        list(iterate_by_id_batched(lambda c: Outcome({}, {}), "crm.deal.list", {"order": {"ID": "DESC"}}))
    with pytest.raises(ValueError, match="pages_per_call"):
        list(iterate_by_id_batched(lambda c: Outcome({}, {}), "crm.deal.list", pages_per_call=51))
