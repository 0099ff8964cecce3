"""Register virtual tables: `Balance`, `Turnovers`, `BalanceAndTurnovers`, `SliceLast`, `SliceFirst`.

Call syntax (platform docs 17.4.9 and 17.4.13.1.1–17.4.13.2, hacker-cb/1c-odata docs/1c/markdown/):
`AccumulationRegister_X/Balance(Period=datetime'…', Condition='Товар_Key eq guid'…'', Dimensions='A,B')`; the
parameters may also come as query-string arguments (`…/SliceLast?Condition=…`). The docs write the guid inside
`Condition='…'` without doubling its quotes, so the value runs to the last quote before the next parameter.
Columns: dimensions as stored, resources with the query language's English suffixes (`СуммаBalance`,
`СуммаTurnover`, `СуммаReceipt`, `СуммаExpense`, `СуммаOpeningBalance`, `СуммаClosingBalance`).
"""

from __future__ import annotations

import re

from b24sandbox.onec import accounting
from b24sandbox.onec.errors import ODataError, query_parse_error, unknown_field
from b24sandbox.onec.filter_eval import Scope, compile_filter, equality_hint
from b24sandbox.onec.filter_syntax import normalize_datetime, parse_filter
from b24sandbox.onec.metadata import virtual_functions, virtual_table_columns
from b24sandbox.onec.schema import ACCUMULATION_REGISTER, ObjectDef
from b24sandbox.onec.store import Base

_PARAM = re.compile(r"(?:^|,)\s*([A-Za-z]+)\s*=")


def parse_parameters(text: str, names: list[str]) -> dict[str, str]:
    """Split `Period=datetime'…',Condition='…'` into raw values, tolerating undoubled inner quotes."""
    text = text.strip()
    if not text:
        return {}
    starts = [m for m in _PARAM.finditer(text) if m.group(1) in names]
    if not starts or starts[0].start() != 0:
        raise query_parse_error(f"неверные параметры виртуальной таблицы: {text}")
    values = {}
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        values[m.group(1)] = text[m.end():end].strip()
    return values


def _datetime(raw: str | None) -> str | None:
    if not raw:
        return None
    m = re.fullmatch(r"datetime'([^']*)'", raw.strip())
    if not m:
        raise query_parse_error(f"ожидался литерал datetime'…': {raw}")
    return normalize_datetime(m.group(1))


def _string(raw: str | None) -> str:
    if not raw:
        return ""
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == "'" and raw[-1] == "'":
        raw = raw[1:-1]
    return raw


def _condition_tree(raw: str | None) -> tuple | None:
    text = _string(raw)
    if not text:
        return None
    try:
        return parse_filter(text)
    except ODataError:
        return parse_filter(text.replace("''", "'"))


def _condition(obj: ObjectDef, base: Base, raw: str | None, columns: dict[str, str] | None = None):
    tree = _condition_tree(raw)
    if tree is None:
        return None
    return compile_filter(tree, Scope(obj, base.config.objects, base.lookup, columns=columns))


def virtual_table(base: Base, obj: ObjectDef, function: str, inline: str, args: dict[str, str]) -> list[dict]:
    """Rows of the virtual table `function` of register `obj`."""
    functions = virtual_functions(obj)
    if function not in functions:
        raise ODataError(400, 11, f"Метод \"{function}\" не найден.")
    names = [p for p, _ in functions[function]]
    params = parse_parameters(inline, names)
    for name in names:
        if name not in params and args.get(name):
            params[name] = args[name]
    if obj.is_accounting:
        return _accounting_table(base, obj, function, params)
    condition = _condition(obj, base, params.get("Condition"))
    hint = equality_hint(_condition_tree(params.get("Condition")))
    table = base.table(obj.set_name)
    source = table.indexed_as_of(base.version).candidates(*hint) if hint else table.rows.values()
    records = [r for r in source if r.get("Active", True)]
    if condition is not None:
        records = [r for r in records if condition(r)]
    if obj.kind != ACCUMULATION_REGISTER:
        return _slice(obj, records, function, _datetime(params.get("Period")))
    dims = obj.dimensions
    wanted = [d.strip() for d in _string(params.get("Dimensions")).split(",") if d.strip()]
    if wanted:
        known = {d.name: d for d in dims} | {d.prop: d for d in dims}
        missing = [w for w in wanted if w not in known]
        if missing:
            # A parameter of the URL like $select: code 6 «Неверный URL» (errors.unknown_field).
            raise unknown_field(missing[0], obj.set_name)
        dims = [known[w] for w in wanted]
    dim_props = [p for d in dims for p, _ in d.props()]
    resources = [r.name for r in obj.resources if r.kind == "number"]
    if function == "Balance":
        period = _datetime(params.get("Period"))
        return _balance(records, dim_props, resources, period)
    start, end = _datetime(params.get("StartPeriod")), _datetime(params.get("EndPeriod"))
    return _turnovers(records, dim_props, resources, start, end, function == "BalanceAndTurnovers", obj.balance)


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _accounting_table(base: Base, obj: ObjectDef, function: str, params: dict[str, str]) -> list[dict]:
    """Balance / Turnovers / BalanceAndTurnovers / RecordsWithExtDimensions of an accounting register."""
    records = [r for r in base.table(obj.set_name).rows.values() if r.get("Active", True)]
    start, end = _datetime(params.get("StartPeriod")), _datetime(params.get("EndPeriod"))
    if function == accounting.RECORDS_WITH_EXT:
        condition = _condition(obj, base, params.get("Condition"), accounting.columns(obj, function))
        rows = [accounting.with_ext_dimensions(r, accounting.subconto_of(base, r)) for r in records
                if (start is None or r["Period"] >= start) and (end is None or r["Period"] <= end)]
        return [r for r in rows if condition is None or condition(r)]
    extra = _string(params.get("ExtraDimensions"))
    kinds = [k.lower() for k in _GUID.findall(extra)] if extra else None
    row_obj = accounting.table_object(obj, function)
    filter_columns = {p: t for a in row_obj.attrs[: 1 + accounting.MAX_EXT_DIMENSIONS + len(obj.dimensions)]
                      for p, t in a.props()}
    account_condition = _condition(row_obj, base, params.get("AccountCondition"), filter_columns)
    condition = _condition(row_obj, base, params.get("Condition"), filter_columns)
    sides = []
    for record in records:
        for side in accounting.entries(obj, record, accounting.subconto_of(base, record), kinds):
            if account_condition is not None and not account_condition(side):
                continue
            if condition is not None and not condition(side):
                continue
            side["_period"] = record["Period"]
            sides.append(side)
    return accounting.aggregate(obj, function, sides, start, end, _datetime(params.get("Period")))


def _sign(record: dict) -> int:
    return -1 if record.get("RecordType") == "Expense" else 1


def _balance(records: list[dict], dims: list[str], resources: list[str], period: str | None) -> list[dict]:
    groups: dict[tuple, dict] = {}
    for r in records:
        # Остатки(Период): the balance at the start of that moment, movements at it excluded.
        if period is not None and r["Period"] >= period:
            continue
        key = tuple(r.get(d) for d in dims)
        acc = groups.setdefault(key, {d: r.get(d) for d in dims} | {f"{res}Balance": 0.0 for res in resources})
        for res in resources:
            acc[f"{res}Balance"] += _sign(r) * (r.get(res) or 0)
    return [_rounded(g) for g in groups.values() if any(abs(g[f"{res}Balance"]) > 1e-9 for res in resources)]


def _turnovers(records: list[dict], dims: list[str], resources: list[str], start: str | None, end: str | None,
               with_balance: bool, balance_register: bool) -> list[dict]:
    groups: dict[tuple, dict] = {}

    def group(r: dict) -> dict:
        key = tuple(r.get(d) for d in dims)
        if key not in groups:
            acc = {d: r.get(d) for d in dims}
            for res in resources:
                names = ["Turnover", "Receipt", "Expense"] if balance_register else ["Turnover"]
                if with_balance:
                    names = ["OpeningBalance", *names, "ClosingBalance"]
                acc.update({f"{res}{n}": 0.0 for n in names})
            groups[key] = acc
        return groups[key]

    for r in records:
        before = start is not None and r["Period"] < start
        after = end is not None and r["Period"] > end
        if after or (before and not with_balance):
            continue
        acc = group(r)
        for res in resources:
            amount = (r.get(res) or 0) * _sign(r)
            if before:
                acc[f"{res}OpeningBalance"] += amount
                acc[f"{res}ClosingBalance"] += amount
                continue
            acc[f"{res}Turnover"] += amount
            if balance_register:
                acc[f"{res}Receipt" if amount >= 0 else f"{res}Expense"] += abs(amount)
            if with_balance:
                acc[f"{res}ClosingBalance"] += amount
    return [_rounded(g) for g in groups.values() if any(
        abs(v) > 1e-9 for k, v in g.items() if isinstance(v, float))]


def _slice(obj: ObjectDef, records: list[dict], function: str, period: str | None) -> list[dict]:
    dims = [d.prop for d in obj.dimensions]
    chosen: dict[tuple, dict] = {}
    for r in records:
        if period is not None and r["Period"] > period:
            continue
        key = tuple(r.get(d) for d in dims)
        best = chosen.get(key)
        later = best is None or r["Period"] > best["Period"]
        if (function == "SliceLast" and later) or (function == "SliceFirst" and (best is None or not later)):
            chosen[key] = r
    return list(chosen.values())


def _rounded(group: dict) -> dict:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in group.items()}


def columns(obj: ObjectDef, function: str) -> dict[str, str]:
    return virtual_table_columns(obj, function)
