"""The calling convention catalog.<object>.add/get/list/update/delete/getFields share, registered per object.

SOURCES (bitrix24/b24restdocs, the method pages of measure, price-type, store, section, vat):
- add: ``fields`` -> ``{"result": {"<object>": {...}}}``; update: ``id`` + ``fields`` -> the same wrapper with the
  whole changed object; get: ``id`` -> the same wrapper; delete: ``id`` -> ``true``; list: ``select`` / ``filter`` /
  ``order`` / ``start`` -> ``{"result": {"<objects>": [...]}, "total": n}`` (``next`` while more follow);
  getFields: ``{"result": {"<object>": {field: description}}}``.
- Errors: 100 "Could not find value for parameter {fields}" / "{id}" (catalog/price/catalog-price-add.md,
  catalog-price-get.md), 0 "Required fields: ..." (catalog/measure/catalog-measure-update.md), and the object's own
  "does not exist" code (e.g. 200600000020 for a unit, catalog/measure/catalog-measure-get.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from b24sandbox.portal.entities import EntityTable
from b24sandbox.portal.methods_catalog_common import (
    CatalogError,
    CatalogState,
    ListQuery,
    Schema,
    catalog,
    fields_param,
    out,
    positive_id,
    required_fields,
    stamp,
    write,
)
from b24sandbox.portal.registry import Call, Outcome, method

Record = dict[str, Any]


def _no_check(cat: CatalogState, record: Record, record_id: int | None) -> None:
    return None


def _no_commit(cat: CatalogState, before: Record | None, after: Record | None) -> None:
    return None


def _no_defaults(call: Call) -> Record:
    return {}


@dataclass
class Family:
    """One catalog object served through the shared convention, with its own rules as hooks."""

    prefix: str  # "catalog.measure"
    one: str  # "measure": the wrapper of one object
    many: str  # "measures": the wrapper of a list
    schema: Schema
    table: Callable[[CatalogState], EntityTable]
    not_found: Callable[[], CatalogError]
    required: tuple[str, ...] = ()
    defaults: Callable[[Call], Record] = _no_defaults  # upper-cased keys, before ``fields`` are written
    check: Callable[[CatalogState, Record, int | None], None] = _no_check  # raise to refuse a write
    commit: Callable[[CatalogState, Record | None, Record | None], None] = _no_commit  # keep indexes right
    touch: tuple[str, ...] = ()  # stored names set to "now" on every write (TIMESTAMPX, DATEMODIFY)
    modifier: str = ""  # stored name set to the calling user on every write
    deletable: Callable[[CatalogState, Record, int], None] = _no_check  # raise to refuse a delete


def _missing(family: Family, record: Record) -> list[str]:
    return [name for name in family.required if record.get(name.upper()) in (None, "")]


def _stamp(call: Call, family: Family, record: Record) -> None:
    for name in family.touch:
        record[name] = stamp()
    if family.modifier:
        record[family.modifier] = call.caller.user_id


def add(call: Call, family: Family) -> Record:
    """Write a new object; return its stored record (call with the state's lock held)."""
    fields = fields_param(call.params)
    cat = catalog(call)
    record = family.defaults(call)
    write(family.schema, record, fields)
    missing = _missing(family, record)
    if missing:
        raise required_fields(missing)
    family.check(cat, record, None)
    _stamp(call, family, record)
    family.table(cat).insert(record)
    family.commit(cat, None, record)
    return record


def update(call: Call, family: Family) -> Record:
    record_id = positive_id(call.params)
    fields = fields_param(call.params)
    cat = catalog(call)
    record = family.table(cat).get(record_id)
    if record is None:
        raise family.not_found()
    changed = dict(record)
    write(family.schema, changed, fields)
    missing = _missing(family, changed)
    if missing:
        raise required_fields(missing)
    family.check(cat, changed, record_id)
    _stamp(call, family, changed)
    before = dict(record)
    record.update(changed)
    family.commit(cat, before, record)
    return record


def fetch(call: Call, family: Family) -> Record:
    record_id = positive_id(call.params)
    record = family.table(catalog(call)).get(record_id)
    if record is None:
        raise family.not_found()
    return record


def remove(call: Call, family: Family) -> None:
    record_id = positive_id(call.params)
    cat = catalog(call)
    table = family.table(cat)
    record = table.get(record_id)
    if record is None:
        raise family.not_found()
    family.deletable(cat, record, record_id)
    table.delete(record_id)
    family.commit(cat, record, None)


def listing(call: Call, family: Family, query: ListQuery) -> Outcome:
    page = family.table(catalog(call)).list(query.filter, query.order, query.start)
    items = [out(family.schema, r, query.select) for r in page.items]
    return Outcome({family.many: items}, total=page.total, next=page.next)


def register(family: Family, verbs: tuple[str, ...] = ("add", "get", "list", "update", "delete", "getFields")) -> None:
    """Register ``<prefix>.<verb>`` for each verb, scope "catalog" (each page: "Scope: catalog")."""

    def one(record: Record) -> Outcome:
        return Outcome({family.one: out(family.schema, record)})

    def run_add(call: Call) -> Outcome:
        with call.state.lock:
            return one(add(call, family))

    def run_get(call: Call) -> Outcome:
        with call.state.lock:
            return one(fetch(call, family))

    def run_update(call: Call) -> Outcome:
        with call.state.lock:
            return one(update(call, family))

    def run_delete(call: Call) -> Outcome:
        with call.state.lock:
            remove(call, family)
        return Outcome(True)

    def run_list(call: Call) -> Outcome:
        with call.state.lock:
            return listing(call, family, ListQuery.of(call.params))

    def run_fields(call: Call) -> Outcome:
        return Outcome({family.one: family.schema.describe()})

    handlers = {"add": run_add, "get": run_get, "update": run_update, "delete": run_delete, "list": run_list,
                "getFields": run_fields}
    for verb in verbs:
        method(f"{family.prefix}.{verb}".lower(), scope="catalog")(handlers[verb])
