"""Compiles a parsed `$filter` tree into a Python predicate over stored rows.

Names are checked while compiling, so an unknown property fails the request before any row is read, with
code 6 «Неверный URL» as real 1C answers (errors.unknown_field); an unknown type in cast() is code 8
(17.4.10). Semantics follow 17.4.5.2: `Field/Sub` navigates through a reference, `cast()`/`isof()` work on
composite attributes, a composite attribute compared to a bare guid is never equal, `substring` counts from 1,
`like` takes 1C's ПОДОБНО templates.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from b24sandbox.onec.errors import ODataError, query_parse_error, unknown_entity_type, unknown_field
from b24sandbox.onec.schema import ObjectDef

Row = dict
Getter = Callable[[Row], object]
Lookup = Callable[[str, str], "Row | None"]

_UNSUPPORTED = {
    "length", "indexof", "replace", "tolower", "toupper", "trim", "years", "days", "hours", "seconds",
    "floor", "ceiling",
}


@dataclass(frozen=True)
class Typed:
    """A value of a composite attribute together with its type name (`StandardODATA.Document_…`)."""

    value: object
    type: str


@dataclass
class Scope:
    """What names mean while compiling: the object, the current tabular section, lambda variables."""

    obj: ObjectDef
    objects: dict[str, ObjectDef]
    lookup: Lookup
    table: str = ""
    variables: dict[str, str] | None = None  # lambda variable → tabular section
    columns: dict[str, str] | None = None  # a virtual table's own columns

    def props(self) -> dict[str, str]:
        if self.columns is not None:
            return self.columns
        return self.obj.row_props(self.table) if self.table else self.obj.props()

    def attr(self, name: str):
        return self.obj.row_attr(self.table, name) if self.table else self.obj.attr(name)

    def entity_name(self) -> str:
        return f"{self.obj.set_name}_{self.table}" if self.table else self.obj.set_name


def _unimplemented(name: str) -> ODataError:
    return ODataError(400, 21, f"Вызов нереализованной функции \"{name}\".")


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _compare(op: str, left: object, right: object) -> bool:
    if isinstance(left, Typed) or isinstance(right, Typed):
        same = isinstance(left, Typed) and isinstance(right, Typed) and (
            _fold(left.value), left.type) == (_fold(right.value), right.type)
        if op == "eq":
            return same
        if op == "ne":
            return not same
        return False
    if op == "eq":
        return _fold(left) == _fold(right)
    if op == "ne":
        return _fold(left) != _fold(right)
    if left is None or right is None:
        return False
    left, right = _fold(left), _fold(right)
    try:
        if op == "gt":
            return left > right
        if op == "ge":
            return left >= right
        if op == "lt":
            return left < right
        return left <= right
    except TypeError:
        return False


def _arith(op: str, left: object, right: object) -> object:
    if not isinstance(left, (int, float)) or not isinstance(right, (int, float)) or isinstance(left, bool):
        return None
    if op == "add":
        return left + right
    if op == "sub":
        return left - right
    if op == "mul":
        return left * right
    if right == 0:
        return None
    return left / right if op == "div" else left % right


def _like_regex(template: str) -> re.Pattern:
    out = []
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch == "[":
            end = template.find("]", i)
            if end < 0:
                raise query_parse_error(f"неверный шаблон like: {template}")
            body = template[i + 1:end]
            neg = body.startswith("^")
            body = body[1:] if neg else body
            out.append("[" + ("^" if neg else "") + re.escape(body).replace("\\-", "-") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _as_datetime(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) < 19:
        return None
    try:
        return dt.datetime.fromisoformat(value[:19])
    except ValueError:
        return None


def _date_part(name: str, value: object) -> object:
    moment = _as_datetime(value)
    if moment is None:
        return None
    if name == "quarter":
        return (moment.month - 1) // 3 + 1
    if name == "dayofweek":
        return moment.isoweekday()  # 1C's ДеньНедели: Monday = 1 … Sunday = 7
    if name == "dayofyear":
        return moment.timetuple().tm_yday
    return getattr(moment, name)


def _date_add(value: object, unit: object, amount: object) -> object:
    moment = _as_datetime(value)
    if moment is None or not isinstance(amount, int):
        return None
    unit = str(unit).lower()
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
    if unit in seconds:
        moment += dt.timedelta(seconds=seconds[unit] * amount)
    elif unit in ("month", "quarter", "year"):
        months = amount * {"month": 1, "quarter": 3, "year": 12}[unit]
        total = moment.month - 1 + months
        year, month = moment.year + total // 12, total % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        moment = moment.replace(year=year, month=month, day=day)
    else:
        raise query_parse_error(f"неизвестная единица времени '{unit}'")
    return moment.isoformat()


def _date_difference(first: object, second: object, unit: object) -> object:
    a, b = _as_datetime(first), _as_datetime(second)
    if a is None or b is None:
        return None
    unit = str(unit).lower()
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
    if unit in seconds:
        return int((b - a).total_seconds() // seconds[unit])
    months = (b.year - a.year) * 12 + b.month - a.month
    return {"month": months, "quarter": months // 3, "year": b.year - a.year}.get(unit)


_SIMPLE_TYPES = {"string": str, "number": (int, float), "boolean": bool, "date": str}


def _isof(value: object, type_name: str) -> bool:
    if isinstance(value, Typed):
        return value.type in (type_name, f"StandardODATA.{type_name}")
    expected = _SIMPLE_TYPES.get(type_name.lower())
    if expected is None:
        return False
    if type_name.lower() == "date":
        return _as_datetime(value) is not None
    if type_name.lower() == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, expected)


class Compiler:
    """Turns trees from `filter_syntax.parse_filter` into predicates for one entity."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def compile(self, node: tuple) -> Getter:
        kind = node[0]
        if kind == "lit":
            value = node[1]
            return lambda row: value
        if kind == "not":
            inner = self.compile(node[1])
            return lambda row: not inner(row)
        if kind == "bin":
            return self._binary(node)
        if kind == "path":
            return self._path(node[1], node[2])
        if kind == "call":
            return self._call(node[1], node[2])
        if kind == "lambda":
            return self._lambda(node)
        raise query_parse_error("неподдерживаемое выражение")

    def _binary(self, node: tuple) -> Getter:
        _, op, left_node, right_node = node
        left, right = self.compile(left_node), self.compile(right_node)
        if op == "and":
            return lambda row: bool(left(row)) and bool(right(row))
        if op == "or":
            return lambda row: bool(left(row)) or bool(right(row))
        if op in ("add", "sub", "mul", "div", "mod"):
            return lambda row: _arith(op, left(row), right(row))
        return lambda row: _compare(op, left(row), right(row))

    def _path(self, segments: list[str], base: tuple | None) -> Getter:
        scope = self.scope
        if base is not None:
            return self._path_from_cast(self.compile(base), base, segments)
        first = segments[0]
        if scope.variables and first in scope.variables:
            table = scope.variables[first]
            inner = Compiler(Scope(scope.obj, scope.objects, scope.lookup, table, scope.variables))
            if len(segments) == 1:
                raise query_parse_error(f"переменная {first} без свойства")
            return inner._path(segments[1:], None)
        return self._navigate(scope, segments)

    def _navigate(self, scope: Scope, segments: list[str]) -> Getter:
        name, rest = segments[0], segments[1:]
        props = scope.props()
        attr = scope.attr(name)
        if not rest:
            type_prop = f"{name}_Type"
            # A composite attribute, or the owner of a catalog with several owner types, published as Owner +
            # Owner_Type (17.4.3): compared through cast() like any composite value.
            if (attr is not None and attr.kind == "composite" and name == attr.name) or (
                    name == "Owner" and type_prop in props):
                return lambda row: Typed(row.get(name), row.get(type_prop))
            if name in props:
                return lambda row: row.get(name)
            raise unknown_field(name, scope.entity_name())
        if attr is None or attr.kind != "ref" or name != attr.name:
            raise unknown_field(name, scope.entity_name())
        target = scope.objects.get(attr.target)
        if target is None:
            raise unknown_field(name, scope.entity_name())
        key_prop, target_set, lookup = attr.prop, attr.target, scope.lookup
        tail = self._navigate(Scope(target, scope.objects, lookup), rest)

        def follow(row: Row) -> object:
            linked = lookup(target_set, row.get(key_prop))
            return tail(linked) if linked is not None else None

        return follow

    def _path_from_cast(self, base: Getter, base_node: tuple, segments: list[str]) -> Getter:
        if base_node[0] != "call" or base_node[1] != "cast" or len(base_node[2]) != 2:
            raise query_parse_error("навигация допустима только после cast()")
        type_name = str(base_node[2][1][1]).removeprefix("StandardODATA.")
        target = self.scope.objects.get(type_name)
        if target is None:
            raise unknown_entity_type(type_name)
        lookup = self.scope.lookup
        tail = self._navigate(Scope(target, self.scope.objects, lookup), segments)

        def follow(row: Row) -> object:
            value = base(row)
            key = value.value if isinstance(value, Typed) else value
            linked = lookup(type_name, key) if isinstance(key, str) else None
            return tail(linked) if linked is not None else None

        return follow

    def _call(self, name: str, arg_nodes: list[tuple]) -> Getter:
        if name in _UNSUPPORTED:
            raise _unimplemented(name)
        args = [self.compile(a) for a in arg_nodes]
        arity = {
            "substringof": (2,), "startswith": (2,), "endswith": (2,), "concat": (2,), "substring": (2, 3),
            "like": (2,), "year": (1,), "month": (1,), "day": (1,), "hour": (1,), "minute": (1,),
            "second": (1,), "quarter": (1,), "dayofweek": (1,), "dayofyear": (1,), "round": (1,),
            "dateadd": (3,), "datedifference": (3,), "cast": (2,), "isof": (2,),
        }
        if name not in arity:
            raise _unimplemented(name)
        if len(args) not in arity[name]:
            raise ODataError(400, 21, f"Неверное количество аргументов функции \"{name}\".")

        def text(value: object) -> str | None:
            return value.casefold() if isinstance(value, str) else None

        if name in ("substringof", "startswith", "endswith"):
            a, b = args
            test = {
                "substringof": lambda x, y: x in y,
                "startswith": lambda x, y: x.startswith(y),
                "endswith": lambda x, y: x.endswith(y),
            }[name]

            def string_test(row: Row) -> bool:
                x, y = text(a(row)), text(b(row))
                return x is not None and y is not None and test(x, y)

            return string_test
        if name == "concat":
            a, b = args
            return lambda row: f"{a(row) or ''}{b(row) or ''}"
        if name == "substring":
            return self._substring(args)
        if name == "like":
            if arg_nodes[1][0] != "lit":
                raise _unimplemented("like")
            pattern = _like_regex(str(arg_nodes[1][1]))
            a = args[0]
            return lambda row: isinstance(a(row), str) and pattern.fullmatch(a(row)) is not None
        if name in ("year", "month", "day", "hour", "minute", "second", "quarter", "dayofweek", "dayofyear"):
            a = args[0]
            return lambda row: _date_part(name, a(row))
        if name == "round":
            a = args[0]
            return lambda row: round(a(row)) if isinstance(a(row), (int, float)) else None
        if name == "dateadd":
            a, unit, n = args
            return lambda row: _date_add(a(row), unit(row), n(row))
        if name == "datedifference":
            a, b, unit = args
            return lambda row: _date_difference(a(row), b(row), unit(row))
        type_name = str(arg_nodes[1][1]) if arg_nodes[1][0] == "lit" else ""
        full = type_name if type_name.startswith("StandardODATA.") else f"StandardODATA.{type_name}"
        a = args[0]
        if name == "isof":
            return lambda row: _isof(a(row), type_name)

        def cast(row: Row) -> object:
            value = a(row)
            if isinstance(value, Typed):
                return value if value.type == full else None
            if type_name.lower() in _SIMPLE_TYPES:
                return value
            return Typed(value, full)

        return cast

    @staticmethod
    def _substring(args: list[Getter]) -> Getter:
        def sub(row: Row) -> object:
            value = args[0](row)
            start = args[1](row)
            if not isinstance(value, str) or not isinstance(start, int):
                return None
            begin = max(start - 1, 0)
            if len(args) == 3:
                length = args[2](row)
                return value[begin:begin + length] if isinstance(length, int) else None
            return value[begin:]

        return sub

    def _lambda(self, node: tuple) -> Getter:
        _, segments, kind, var, body = node
        scope = self.scope
        if len(segments) != 1 or scope.table or segments[0] not in scope.obj.tables:
            raise unknown_field("/".join(segments), scope.entity_name())
        table = segments[0]
        if var is None:
            return lambda row: bool(row.get(table))
        variables = dict(scope.variables or {})
        variables[var] = table
        inner = Compiler(Scope(scope.obj, scope.objects, scope.lookup, "", variables)).compile(body)
        if kind == "any":
            return lambda row: any(inner(line) for line in row.get(table) or [])
        return lambda row: all(inner(line) for line in row.get(table) or [])


def compile_filter(tree: tuple, scope: Scope) -> Callable[[Row], bool]:
    """A predicate that is true for the rows the filter keeps."""
    getter = Compiler(scope).compile(tree)
    return lambda row: getter(row) is True


def key_lower_bound(tree: tuple) -> tuple[str, str] | None:
    """(`gt`|`ge`, guid) when the filter's top-level AND chain bounds Ref_Key from below.

    This is what key-range paging (`$filter=Ref_Key gt guid'…'&$orderby=Ref_Key`) sends; the store then
    starts from a bisect instead of scanning every row.
    """
    if tree[0] == "bin" and tree[1] == "and":
        return key_lower_bound(tree[2]) or key_lower_bound(tree[3])
    if (
        tree[0] == "bin"
        and tree[1] in ("gt", "ge")
        and tree[2][0] == "path"
        and tree[2][1] == ["Ref_Key"]
        and tree[2][2] is None
        and tree[3][0] == "lit"
        and isinstance(tree[3][1], str)
    ):
        return tree[1], tree[3][1]
    return None


def equality_hint(tree: tuple | None) -> tuple[str, set[str]] | None:
    """(property, values) when the filter is one equality, or an `or` of equalities, on one property of the row
    (`P eq guid'…' or P eq guid'…'`, the cast() form of a composite value included).

    1C answers such a condition from the register's or catalog's index on that field; the store does the same
    with an index of its own (store.Table.candidates), and the compiled predicate still decides each row."""
    if tree is None or tree[0] != "bin":
        return None
    if tree[1] == "or":
        left, right = equality_hint(tree[2]), equality_hint(tree[3])
        if left and right and left[0] == right[0]:
            return left[0], left[1] | right[1]
        return None
    if tree[1] != "eq" or tree[2][0] != "path" or len(tree[2][1]) != 1 or tree[2][2] is not None:
        return None
    value = tree[3]
    if value[0] == "call" and value[1] == "cast" and len(value[2]) == 2:
        value = value[2][0]
    if value[0] != "lit" or not isinstance(value[1], str):
        return None
    return tree[2][1][0], {value[1]}
