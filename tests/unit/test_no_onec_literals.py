"""No 1C name outside a profile: the code sends 1C only names it got from the active profile or from the one
module of platform-wide names, b24app/onec/standard.py.

The rule, applied to every string literal in b24app/**/*.py except b24app/onec/standard.py and the CommerceML
format package b24app/commerceml/ (the profiles are TOML and not scanned):

A literal *looks like a 1C name* when, stripped of surrounding punctuation, it is
  1. a name with an entity-set prefix of the standard interface (`Catalog_…`, `Document_…`,
     `…Register_…`, platform docs 17.4.4) or the type namespace `StandardODATA` (17.4.3);
  2. an identifier ending in a suffix of the interface (`X_Key`, `X_Type`, `X_RecordType`, `X_RowType`,
     `X_Base64Data`, 17.4.3/17.4.4) or such a suffix alone (`_Key`);
  3. a name that exists only on some objects (`Code`, `IsFolder`, `Parent`, `Owner`), or a platform name that is
     never English prose (`DeletionMark`, `DataVersion`, `LineNumber`, `SliceLast`, `BalanceDr`, …);
  4. an identifier, `/` path or comma list of identifiers holding a Cyrillic letter (`ИНН`, `Контрагент/ИНН`,
     `Номенклатура,Склад`);
  5. a platform name that is also an English word (`Date`, `Number`, `Posted`, `Description`, `Period`,
     `Balance`, `Post`, `Catalog`, `Document`, …).
Spellings 1-3 are unambiguous: they are flagged wherever they are not prose. Spellings 4-5 are flagged only
in a *query position*, where the value reaches 1C:
  a. an argument of a call that builds a query or talks to 1C: any `q.<function>` (b24app.onec.query), the
     ODataClient methods (query, get, count, iter_rows, iter_pages, iter_pages_by_key, create, update,
     post_document, unpost_document, virtual_table, balance, turnovers, get_json, request), row access
     (`.get`, `.pop`, `.setdefault`) and name tests (`.startswith`, `.endswith`, `.removesuffix`,
     `.removeprefix`); or a keyword argument of any call named select / filter / orderby / key / dimensions /
     condition / register / entity_set;
  b. a subscript (`row["Ref_Key"]`) or a dict key (`{"Контрагент_Key": …}`);
  c. an operand of ==, !=, in, not in;
  d. a parameter's default value;
  e. anything nested in the above: list / tuple / set / dict displays (keys and values), pieces of an f-string,
     `+` concatenation, conditional expressions.
Prose is never flagged: docstrings (comments are not in the AST), the text of an exception raised, of an
assert message, of a log record (`log.*`, `logger.*`, `logging.*`, `warnings.warn`, `print`) and of a message
shown to people (`message(...)`, `msg(...)`), and translation tables (values of a dict display whose keys are
language codes: `{"ru": …, "en": …}`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "b24app"
ALLOWED = {PACKAGE / "onec" / "standard.py"}
# CommerceML is a published exchange format, not a configuration: its element names (Ид, Товар, Предложение, …)
# are the same for every base that runs the exchange with a website, so they live in the code that reads the format.
ALLOWED_DIRS = (PACKAGE / "commerceml",)

PREFIXES = ("Catalog", "Document", "DocumentJournal", "Constant", "ExchangePlan", "ChartOfAccounts",
            "ChartOfCalculationTypes", "ChartOfCharacteristicTypes", "InformationRegister", "AccumulationRegister",
            "CalculationRegister", "AccountingRegister", "BusinessProcess", "Task")
SUFFIXES = ("_Key", "_Type", "_RecordType", "_RowType", "_Base64Data")
UNAMBIGUOUS = {
    # exist only on some objects (the profile says which)
    "Code", "IsFolder", "Parent", "Parent_Key", "Owner", "Owner_Key",
    # platform names that are not English prose
    "StandardODATA", "Ref_Key", "DeletionMark", "DataVersion", "LineNumber", "Predefined", "PredefinedDataName",
    "SliceLast", "SliceFirst", "BalanceAndTurnovers", "BalanceDr", "BalanceCr", "TurnoverDr", "TurnoverCr",
    "PostingModeOperational", "ExtDimension1", "ExtDimension2", "ExtDimension3", "AccountCondition",
    "ExtraDimensions", "RecordSet", "Recorder_Key", "Recorder_Type",
}
WORDS = {
    "Date", "Number", "Posted", "Description", "Period", "Active", "Recorder", "RecordType", "Balance", "Turnover",
    "Turnovers", "Receipt", "Expense", "Post", "Unpost", "Condition", "Dimensions", "StartPeriod", "EndPeriod",
    *PREFIXES,
}
QUERY_CALLS = {
    "query", "get", "count", "iter_rows", "iter_pages", "iter_pages_by_key", "create", "update", "post_document",
    "unpost_document", "virtual_table", "balance", "turnovers", "get_json", "request",
    "pop", "setdefault", "startswith", "endswith", "removesuffix", "removeprefix",
}
QUERY_KEYWORDS = {"select", "filter", "orderby", "key", "dimensions", "condition", "register", "entity_set"}
PROSE_CALLS = {"message", "msg", "print", "warn"}
LOGGERS = {"log", "logger", "logging", "warnings"}
LANGUAGES = {"ru", "en"}

_IDENT = r"[^\W\d]\w*"
_PATH_LIST = re.compile(rf"^{_IDENT}(/{_IDENT})*(\s*,\s*{_IDENT}(/{_IDENT})*)*$")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_PREFIXED = re.compile(rf"^({'|'.join(PREFIXES)})_{_IDENT}")
_PUNCT = " \t\n()[]{}/,.=':\"?&$"


def looks_like(text: str) -> str | None:
    """"unambiguous", "word" or None (rules 1-5 of the module docstring)."""
    token = text.strip(_PUNCT)
    if not token:
        return None
    if _PREFIXED.match(token) or token in UNAMBIGUOUS or token.startswith("StandardODATA"):
        return "unambiguous"
    if token in SUFFIXES or (re.fullmatch(_IDENT, token) and token.endswith(SUFFIXES) and token not in SUFFIXES
                             and len(token) > max(len(s) for s in SUFFIXES if token.endswith(s))):
        return "unambiguous"
    if _PATH_LIST.match(token):
        parts = re.split(r"\s*,\s*", token)
        if any(_CYRILLIC.search(p) for p in parts) or any(p in WORDS for p in parts):
            return "word"
    return None


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r} ({self.why})"


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _docstrings(tree: ast.AST) -> set[ast.AST]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(first.value)
    return out


def _call_name(call: ast.Call) -> tuple[str, str]:
    """(receiver name or "", function name) of a call: `q.eq` -> ("q", "eq"), `row.get` -> ("row", "get")."""
    func = call.func
    if isinstance(func, ast.Attribute):
        receiver = func.value.id if isinstance(func.value, ast.Name) else ""
        return receiver, func.attr
    if isinstance(func, ast.Name):
        return "", func.id
    return "", ""


def _is_prose_call(call: ast.Call) -> bool:
    receiver, name = _call_name(call)
    return receiver in LOGGERS or name in PROSE_CALLS


def _is_translation(node: ast.Dict) -> bool:
    keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
    return bool(keys) and all(k in LANGUAGES for k in keys)


_NESTING = (ast.JoinedStr, ast.FormattedValue, ast.List, ast.Tuple, ast.Set, ast.BinOp, ast.IfExp, ast.Starred)


def _position(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> tuple[bool, bool]:
    """(prose, query position) of a constant, walking up through the nesting of rule e."""
    query = False
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, (ast.Raise, ast.Assert)):
            return True, False
        if isinstance(parent, ast.Call):
            if _is_prose_call(parent):
                return True, False
            receiver, name = _call_name(parent)
            if child is not parent.func and (receiver == "q" or name in QUERY_CALLS):
                query = True
        elif isinstance(parent, ast.keyword):
            if parent.arg in QUERY_KEYWORDS:
                query = True
        elif isinstance(parent, ast.Dict):
            if child in parent.keys:
                query = True
            elif _is_translation(parent):
                return True, False
        elif isinstance(parent, ast.Subscript) and child is parent.slice:
            query = True
        elif isinstance(parent, ast.Compare):
            query = True
        elif isinstance(parent, ast.arguments):
            query = True
        elif not isinstance(parent, (*_NESTING, ast.Dict, ast.Subscript, ast.Compare, ast.keyword)):
            # A statement or another expression ends the nesting; only prose may still enclose it.
            if isinstance(parent, (ast.stmt,)):
                break
        child, parent = parent, parents.get(parent)
    # Prose may enclose the constant further out (an f-string built earlier is not traced; a raise is).
    while parent is not None:
        if isinstance(parent, (ast.Raise, ast.Assert)) or (isinstance(parent, ast.Call) and _is_prose_call(parent)):
            return True, False
        parent = parents.get(parent)
    return False, query


def scan_source(source: str, path: str = "<source>") -> Iterator[Finding]:
    tree = ast.parse(source)
    parents = _parents(tree)
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or node in docstrings:
            continue
        kind = looks_like(node.value)
        if kind is None:
            continue
        prose, query = _position(node, parents)
        if prose:
            continue
        if kind == "unambiguous" or query:
            yield Finding(path, node.lineno, node.value, f"{kind} 1C name" + (" in a query position" if query else ""))


def scan_package() -> list[Finding]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in ALLOWED or any(d in path.parents for d in ALLOWED_DIRS):
            continue
        found += scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return found


def test_no_onec_name_outside_the_profiles_and_standard_names():
    found = scan_package()
    assert not found, "1C names in code (put them in the profile or b24app/onec/standard.py):\n" + "\n".join(
        map(str, found))


@pytest.mark.parametrize("source", [
    # what seller_refs did: object-dependent names in a filter and an order
    'rows = client.query(s, filter=q.all_of(q.eq("DeletionMark", False), q.eq("IsFolder", False)), orderby="Code")',
    'row["Ref_Key"]',
    'client.query(spec.entity_set, select=["Ref_Key", name])',
    'body = {"Контрагент_Key": key}',
    'x.virtual_table(register, "Balance", {"Period": moment})',
    'row.get(f"{resource}BalanceDr")',
    'values["basis_type"] = f"StandardODATA.{order_set}"',
    'if str(row.get(t)).endswith("_Key"): pass',
    'client.balance(s, dimensions=["Номенклатура", "Склад"])',
    'def f(orderby="Ref_Key"): pass',
    'ok = status == "Закрыт"',
    'x = "Catalog_Склады"',
    'q.eq("Статус", value)',
])
def test_the_scan_finds_names_used_in_queries(source):
    assert list(scan_source(source)), source


@pytest.mark.parametrize("source", [
    'def f():\n    """Reads Catalog_Контрагенты by Code and IsFolder."""',
    'raise PermanentSyncError(f"1C base has no Code in Catalog_Склады {x}")',
    'log.warning("IsFolder missing in %s", "Catalog_Склады")',
    'TEXTS = {"tab_number": {"ru": "Номер", "en": "Number"}}',
    'ONEC_LOGIN = "Администратор"',
    'comment = f"Счёт Битрикс24 {n} (№{i})"',
    'client.call("crm.requisite.add", {"fields": {"NAME": "Организация"}})',
    'label = "Номер заказа 1С"',
    'spec.field("inn")',
    'q.eq(spec.field("deleted"), False)',
    'assert x, "Document_ЗаказКлиента has no Posted"',
])
def test_the_scan_leaves_prose_and_logical_names_alone(source):
    assert not list(scan_source(source)), source
