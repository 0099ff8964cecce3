"""Writing values by 1C attribute name in the form the base publishes them (platform docs 17.4.3).

The seed and the posting rules say what they mean — `Контрагент_Key=<ref>` or `Контрагент=<ref>` — and `fit`
turns it into the properties this release publishes: `Контрагент_Key` when the attribute is a single reference,
`Контрагент` + `Контрагент_Type` when it is composite (the type found from which published table holds the
reference). A property the release does not publish (`Code` of a catalog with CodeLength 0, an attribute the
release lacks) is dropped, so no stored row carries a property `$metadata` does not declare.
"""

from __future__ import annotations

from b24sandbox.onec.schema import EMPTY_REF, UNDEFINED_TYPE, Attr, ObjectDef
from b24sandbox.onec.store import Base

_KEY = "_Key"
_TYPE = "_Type"


def _attrs(obj: ObjectDef, table: str) -> dict[str, Attr]:
    attrs = obj.tables[table] if table else [*obj.ref_attrs(), *obj.columns(), *obj.chart_standard]
    return {a.name: a for a in attrs}


def _props(obj: ObjectDef, table: str) -> dict[str, str]:
    return obj.row_props(table) if table else obj.props()


def ref_type(base: Base, attr: Attr, value: object) -> str:
    """`StandardODATA.<Set>` of the object `value` refers to, among the composite attribute's targets."""
    if not value or value == EMPTY_REF:
        return UNDEFINED_TYPE
    for target in attr.targets:
        if base.lookup(target, value) is not None:
            return f"StandardODATA.{target}"
    for set_name, table in base.tables.items():
        if set_name.startswith(("Catalog_", "Document_")) and table.get(value) is not None:
            return f"StandardODATA.{set_name}"
    return f"StandardODATA.{attr.targets[0]}" if attr.targets else UNDEFINED_TYPE


def fit(base: Base, obj: ObjectDef, values: dict, table: str = "") -> dict:
    """`values` (by property or by 1C attribute name) → the properties the base publishes for `obj` (or for a
    row of its tabular section `table`); the rest is dropped."""
    props = _props(obj, table)
    attrs = _attrs(obj, table)
    out: dict = {}
    for key, value in values.items():
        if key in props or (not table and key in obj.tables):
            attr = attrs.get(key)
            if attr is not None and attr.kind == "composite" and f"{key}{_TYPE}" not in values:
                out[f"{key}{_TYPE}"] = ref_type(base, attr, value)
            if attr is not None and attr.kind == "composite" and value == EMPTY_REF:
                value = ""
            out[key] = value
            continue
        name = key.removesuffix(_KEY) if key.endswith(_KEY) else key
        attr = attrs.get(name)
        if attr is None:
            continue  # _Type of a single reference, or a property this release does not publish
        if attr.kind == "composite" and key.endswith(_KEY):
            out[name] = "" if value == EMPTY_REF else value
            out[f"{name}{_TYPE}"] = ref_type(base, attr, value)
        elif attr.kind == "ref" and key == name:
            out[attr.prop] = value or EMPTY_REF
    return out


def published_only(props: dict[str, str], row: dict, tables: tuple[str, ...] = ()) -> dict:
    """A row restricted to declared properties (and tabular sections)."""
    return {k: v for k, v in row.items() if k in props or k in tables}


def ref(row: dict, name: str, default: str = EMPTY_REF) -> str:
    """The reference attribute `name` holds, whichever form the release publishes it in (`X_Key` or the
    composite `X`); `default` when the row has neither or holds an empty value."""
    value = row.get(f"{name}{_KEY}") or row.get(name)
    return value if isinstance(value, str) and value and value != EMPTY_REF else default
