"""Query options over a row source: `$filter`, `$orderby`, `$skip`, `$top`, `$select`, `$inlinecount`.

Semantics follow the platform docs (hacker-cb/1c-odata, docs/1c/markdown/, 17.4.5–17.4.8): `$skip` applies
before `$top` whatever their order in the URL; `$orderby` takes `asc`/`desc` and `Ref/Field` paths; `$select`
takes `*`, `**` (everything but tabular sections) and `Table/Field`. Without `$orderby` rows come in key order
(Ref_Key for objects), which keeps `$top`/`$skip` paging stable.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from b24sandbox.onec.errors import query_parse_error, unknown_field
from b24sandbox.onec.filter_eval import Compiler, Scope, Typed, compile_filter, equality_hint, key_lower_bound
from b24sandbox.onec.filter_syntax import parse_filter
from b24sandbox.onec.store import Table


@dataclass
class Options:
    filter: str = ""
    orderby: str = ""
    top: int | None = None
    skip: int = 0
    select: str = ""
    inlinecount: bool = False


def parse_options(args: dict[str, str]) -> Options:
    """Read the `$`-options from a query string; malformed numbers answer code 14 as 1C does."""

    def number(name: str) -> int | None:
        raw = args.get(name)
        if raw is None or raw == "":
            return None
        if not raw.strip().isdigit():
            raise query_parse_error(f"неверное значение параметра {name}: {raw}")
        return int(raw)

    inline = (args.get("$inlinecount") or "none").strip().lower()
    if inline not in ("none", "allpages"):
        raise query_parse_error(f"неверное значение параметра $inlinecount: {inline}")
    return Options(
        filter=args.get("$filter", "").strip(),
        orderby=args.get("$orderby", "").strip(),
        top=number("$top"),
        skip=number("$skip") or 0,
        select=args.get("$select", "").strip(),
        inlinecount=inline == "allpages",
    )


@dataclass
class Source:
    """Rows to query: a sorted table (fast paths) or any iterable in its natural order."""

    scope: Scope
    rows: Callable[[int], Iterator[dict]]  # rows starting from a position in key order
    table: Table | None = None  # present when keyed by Ref_Key: enables bisect paging
    indexed: Table | None = None  # the rows' own table: a filter of equalities on one field reads its index


def _sort_key(value: object) -> tuple:
    if isinstance(value, Typed):
        value = value.value
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value).casefold())


def _order(scope: Scope, text: str) -> list[tuple[Callable[[dict], object], bool]]:
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words:
            raise query_parse_error("пустой элемент $orderby")
        desc = False
        if len(words) > 1:
            direction = words[-1].lower()
            if direction not in ("asc", "desc"):
                raise query_parse_error(f"неверное направление сортировки: {words[-1]}")
            desc = direction == "desc"
            words = words[:-1]
        keys.append((Compiler(scope).compile(parse_filter(" ".join(words))), desc))
    return keys


def is_key_order(text: str) -> bool:
    words = text.split()
    return not words or (words[0] == "Ref_Key" and (len(words) == 1 or words[1].lower() == "asc") and len(words) <= 2)


def run(source: Source, options: Options) -> tuple[list[dict], int | None]:
    """The page of rows the options select, and the total count when `$inlinecount=allpages`."""
    scope = source.scope
    predicate = None
    start = 0
    if options.filter:
        tree = parse_filter(options.filter)
        predicate = compile_filter(tree, scope)
        bound = key_lower_bound(tree)
        if bound and source.table is not None and is_key_order(options.orderby):
            start = source.table.index_after(bound[1], inclusive=bound[0] == "ge")
    order = _order(scope, options.orderby) if options.orderby and not (
        source.table is not None and is_key_order(options.orderby)) else []

    if source.table is not None and predicate is None and not order and not options.inlinecount:
        table = source.table
        end = len(table.keys) if options.top is None else options.skip + options.top
        keys = table.keys[options.skip:end]
        return [table.rows[k] for k in keys], None

    hint = equality_hint(tree) if options.filter else None
    rows: Iterable[dict] = (iter(source.indexed.candidates(*hint)) if hint and source.indexed is not None
                            else source.rows(start))
    if predicate is not None:
        rows = (r for r in rows if predicate(r))
    if order:
        materialized = list(rows)
        for getter, desc in reversed(order):
            materialized.sort(key=lambda r, g=getter: _sort_key(g(r)), reverse=desc)
        rows = materialized
    if options.inlinecount:
        # 17.4.6.2: "$inlinecount приводит к игнорированию параметров $skip и $top" — the whole result.
        materialized = rows if isinstance(rows, list) else list(rows)
        return materialized, len(materialized)
    end = None if options.top is None else options.skip + options.top
    return list(itertools.islice(rows, options.skip, end)), None


def selection(scope: Scope, text: str, tables: list[str]) -> tuple[set[str] | None, bool, dict[str, set[str]]]:
    """(properties to keep or None for all, whether to keep tabular sections, Table → its fields).

    Unknown names answer code 6 «Неверный URL» as real 1C does (errors.unknown_field).
    """
    if not text:
        return None, True, {}
    props = scope.props()
    wanted: set[str] = set()
    keep_tables = False
    table_fields: dict[str, set[str]] = {}
    everything = False
    for raw in text.split(","):
        name = raw.strip()
        if name == "*":
            everything, keep_tables = True, True
        elif name == "**":
            everything = True
        elif "/" in name:
            table, field = name.split("/", 1)
            if table not in tables or field not in scope.obj.row_props(table):
                raise unknown_field(name, scope.entity_name())
            table_fields.setdefault(table, set()).add(field)
        elif name in tables:
            table_fields.setdefault(name, set())
        elif name in props or name == "Presentation" or name.endswith("____Presentation"):
            wanted.add(name)
        else:
            raise unknown_field(name, scope.entity_name())
    if everything:
        # `**` with `Товары/X` keeps that one section (serialize.object_json), not every section.
        return None, keep_tables, table_fields
    return wanted, bool(table_fields), table_fields
