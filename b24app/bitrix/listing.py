"""Reading whole lists from ``*.list`` methods.

List methods answer pages of at most 50 records with ``next`` (the ``start`` of the following page) and ``total``
(``settings/how-to-call-rest-api/list-methods-pecularities.md``). Counting ``total`` costs the portal a query per
page, so for big sets ``settings/performance/huge-data.md`` prescribes: order by ID ascending, filter
``>ID`` = the last ID seen, pass ``start=-1`` (no count), and stop at a page with fewer than 50 records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from b24app.bitrix.errors import BitrixError

PAGE_SIZE = 50


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
    query = dict(params or {})
    order = query.get("order")
    if order and dict(order) != {id_field: "ASC"}:
        raise ValueError(f"iterate_by_id orders by {id_field} ascending; got order={order!r}")
    query["order"] = {id_field: "ASC"}
    select = query.get("select")
    if select and "*" not in select and id_field not in select:
        query["select"] = [*select, id_field]
    filters = dict(query.get("filter") or {})
    bound_key = f">{id_field}"
    last = filters.get(bound_key)
    query["start"] = -1
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
            raise BitrixError(
                "LISTING_NOT_ADVANCING",
                f"a full page ended at {id_field}={newest!r} after {last!r}; the portal ignored the"
                f" {bound_key} filter or the ascending order, so paging would never end",
                method,
            )
        last = newest


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
