"""Reading whole lists from ``*.list`` methods.

List methods answer pages of at most 50 records with ``next`` (the ``start`` of the following page) and ``total``
(``settings/how-to-call-rest-api/list-methods-pecularities.md``). Counting ``total`` costs the portal a query per
page, so for big sets ``settings/performance/huge-data.md`` prescribes: order by ID ascending, filter
``>ID`` = the last ID seen, pass ``start=-1`` (no count), and stop at a page with fewer than 50 records.

The same paging also rides in ``batch`` calls, 50 pages per request: command k+1 filters ``>ID`` by a reference to
the last record of command k, ``$result[<key k>][49][ID]`` (``settings/how-to-call-rest-api/batch.md``, "Using
Results": ``$result[request_id][response_field]``, nested keys allowed as in its ``[0][ID]`` example). The
official PHP SDK chains its list pages the same way (bitrix24/b24phpsdk, ``src/Core/Batch.php``,
``getReferenceFieldPath``: ``$result[cmd_N][49][ID]``, or ``[items][49][id]`` for crm.item.list).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from b24app.bitrix.errors import BitrixError

PAGE_SIZE = 50
BATCH_PAGES = 50  # batch.md: at most 50 commands in one batch call


class _Page(Protocol):
    result: Any
    next: int | None


Call = Callable[[str, Mapping[str, Any]], _Page]


def list_all(
    call: Call, method: str, params: Mapping[str, Any] | None = None, *, page_key: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of ``method``, following ``next`` from page to page (meant for small sets)."""
    query = dict(params or {})
    while True:
        page = call(method, query)
        yield from page_records(page.result, method, page_key)
        if page.next is None:
            return
        query["start"] = page.next


def iterate_by_id(
    call: Call,
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    id_field: str = "ID",
    page_key: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Every record of ``method`` in ascending ``id_field`` order, paged by ``>id_field`` with ``start=-1``.

    The caller's ``filter`` and ``select`` are kept (``id_field`` is added to a narrow select, since paging
    needs it); a ``>id_field`` already in the filter is where the listing resumes. ``order`` other than
    ``id_field`` ascending is refused: the method depends on it. For methods that wrap the list, such as
    ``crm.item.list`` (``{"items": [...]}``, lower-case ``id``), pass ``page_key="items", id_field="id"``.
    """
    query, filters, bound_key, last = _paging_query(params, id_field)
    while True:
        if last is not None:
            filters[bound_key] = last
        query["filter"] = filters
        records = page_records(call(method, query).result, method, page_key)
        yield from records
        if len(records) < PAGE_SIZE:
            return
        newest = records[-1].get(id_field)
        if newest is None or (last is not None and not _after(newest, last)):
            raise _not_advancing(method, id_field, newest, last)
        last = newest


class _BatchOutcome(Protocol):
    results: dict[Any, Any]
    errors: dict[Any, BitrixError]


BatchCall = Callable[[Mapping[str, tuple[str, Mapping[str, Any]]]], _BatchOutcome]


def iterate_by_id_batched(
    batch: BatchCall,
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    id_field: str = "ID",
    page_key: str | None = None,
    pages_per_call: int = BATCH_PAGES,
) -> Iterator[dict[str, Any]]:
    """What ``iterate_by_id`` yields, read ``pages_per_call`` pages per ``batch`` request.

    Same guarantees as ``iterate_by_id``: ascending ``id_field`` order is required, ``id_field`` joins a narrow
    select, a ``>id_field`` in the filter is where the listing resumes, and a page that does not start and end
    after the previous one (the portal ignored the filter or the reference) raises ``LISTING_NOT_ADVANCING``.
    ``batch(commands)`` must run the commands in one request with ``halt`` on, so that nothing runs after a
    failed page. The listing stops at the first page with fewer than 50 records; the commands after it filtered
    by a reference into that short page, which resolves to no ID, so their answers (or errors) are ignored.
    A set of N records costs ``floor(N / (50 * pages_per_call)) + 1`` requests.
    """
    if not 1 <= pages_per_call <= BATCH_PAGES:
        raise ValueError(f"pages_per_call must be 1..{BATCH_PAGES} (batch.md: at most 50 commands per call)")
    query, filters, bound_key, last = _paging_query(params, id_field)
    while True:
        commands: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for number in range(pages_per_call):
            page_filter = dict(filters)
            if number:
                page_filter[bound_key] = _last_row_reference(f"p{number - 1}", page_key, id_field)
            elif last is not None:
                page_filter[bound_key] = last
            commands[f"p{number}"] = (method, {**query, "filter": page_filter})
        outcome = batch(commands)
        for key in commands:
            if key in outcome.errors:
                raise outcome.errors[key]
            if key not in outcome.results:
                raise BitrixError(
                    "BATCH_PAGE_MISSING",
                    f"the batch answer has neither a result nor an error for list page {key}",
                    method,
                )
            records = page_records(outcome.results[key], method, page_key)
            if records:
                first, newest = records[0].get(id_field), records[-1].get(id_field)
                if last is not None and (first is None or not _after(first, last)):
                    raise _not_advancing(method, id_field, first, last)
                if newest is None or (last is not None and not _after(newest, last)):
                    raise _not_advancing(method, id_field, newest, last)
                last = newest
            yield from records
            if len(records) < PAGE_SIZE:
                return


def _paging_query(params: Mapping[str, Any] | None, id_field: str) -> tuple[dict[str, Any], dict[str, Any], str, Any]:
    """The list query for paging by ID, its filter, the ``>id_field`` key and the bound to resume after."""
    query = dict(params or {})
    order = query.get("order")
    if order and dict(order) != {id_field: "ASC"}:
        raise ValueError(f"paging by {id_field} needs order {id_field} ascending; got order={order!r}")
    query["order"] = {id_field: "ASC"}
    select = query.get("select")
    if select and "*" not in select and id_field not in select:
        query["select"] = [*select, id_field]
    query["start"] = -1
    filters = dict(query.get("filter") or {})
    bound_key = f">{id_field}"
    return query, filters, bound_key, filters.get(bound_key)


def _last_row_reference(key: str, page_key: str | None, id_field: str) -> str:
    """``$result[key][49][ID]``: the ID of the 50th row of an earlier command's page (batch.md)."""
    inner = f"[{page_key}]" if page_key is not None else ""
    return f"$result[{key}]{inner}[{PAGE_SIZE - 1}][{id_field}]"


def _not_advancing(method: str, id_field: str, newest: Any, last: Any) -> BitrixError:
    return BitrixError(
        "LISTING_NOT_ADVANCING",
        f"a page reached {id_field}={newest!r} after {last!r}; the portal ignored the >{id_field} filter or"
        " the ascending order, so paging would never end",
        method,
    )


def page_records(result: Any, method: str, page_key: str | None) -> list[dict[str, Any]]:
    """The records of one page: ``result`` itself, or ``result[page_key]`` for wrapping methods."""
    if page_key is not None:
        if not isinstance(result, Mapping) or page_key not in result:
            raise BitrixError("UNEXPECTED_LIST_SHAPE", f"the answer has no {page_key!r} list in result", method)
        result = result[page_key]
    if isinstance(result, Mapping) and all(isinstance(v, Mapping) for v in result.values()):
        # PHP sends an array whose keys are not 0..n-1 as a JSON object of records.
        result = list(result.values())
    if not isinstance(result, list):
        raise BitrixError(
            "UNEXPECTED_LIST_SHAPE",
            f"result is a {type(result).__name__}, not a list; pass page_key for methods that wrap lists",
            method,
        )
    return result


def _after(newest: Any, last: Any) -> bool:
    a, b = str(newest), str(last)
    if a.isdigit() and b.isdigit():
        return int(a) > int(b)
    return a > b
