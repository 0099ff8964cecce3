"""References in 1C rows and queries, plain or composite, as the profile describes the field.

The standard OData interface (platform docs 17.4, repo hacker-cb/1c-odata,
docs/1c/markdown/17.4_-_Cтандартный_интерфейс_OData_8_3_27.md) publishes
  * a reference attribute X as `X_Key` (Edm.Guid), filtered by `X_Key eq guid'…'` (17.4.3 "Key");
  * a composite-type attribute X as `X` (the value) and `X_Type` (its type, "StandardODATA.Catalog_Контрагенты";
    "StandardODATA.Undefined" when empty), both Edm.String (17.4.3 "Type"). It equals a reference only through
    `X eq cast(guid'…', 'Catalog_Контрагенты')`; `X eq guid'…'` never matches (17.4.5.2). Writing one sets both
    properties: `X_Type` tells 1C which object the GUID in `X` is (17.4.3: "в элемент с суффиксом _Type должно
    быть записано значение StandardODATA.Document_РасходТовара").
A caller names the object a reference should point to by its entity set; the field says how to spell it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from b24app.onec import query as q
from b24app.onec import standard as std
from b24app.onec.profiles import FieldSpec, ProfileError


def equals(field: FieldSpec, key: str, target_set: str, *, within: str = "") -> str:
    """The condition "the field refers to `key` in `target_set`"; `within` is a lambda variable (`d`) for a line
    of a tabular section inside `any(d: …)` (17.4.5.2)."""
    path = f"{within}/{field.name}" if within else field.name
    if field.composite:
        return f"{q.prop(path)} eq cast({q.guid(key)}, {q.string(target_set)})"
    return f"{q.prop(path)} eq {q.guid(key)}"


def any_equals(field: FieldSpec, keys: Iterable[str], target_set: str, *, within: str = "") -> str | None:
    """`equals` for any of `keys`, joined with `or`; None without keys."""
    return q.any_of(*(equals(field, k, target_set, within=within) for k in keys))


def read(field: FieldSpec, row: Mapping, target_set: str | None = None) -> str | None:
    """The GUID the field holds in `row`, None when empty; for a composite field also None when it refers to
    something other than `target_set` (a БП bank receipt's Контрагент may be a ФизическиеЛица element)."""
    value = row.get(field.name)
    if not value or not isinstance(value, str) or value == std.EMPTY_REF:
        return None
    if field.composite:
        kind = row.get(field.type_property)
        if kind == std.UNDEFINED_TYPE or (target_set is not None and kind != std.type_name(target_set)):
            return None  # Неопределено: the value is to be ignored (17.4.3); or a reference to something else
    return value


def assign(field: FieldSpec, key: str, target_set: str | None) -> dict[str, str]:
    """The properties that make the field refer to `key` in `target_set`, for a POST or PATCH body."""
    if not field.composite:
        return {field.name: key}
    if not target_set:
        raise ProfileError(f"{field.logical} ({field.name}) is composite: writing it needs the referenced object")
    return {field.name: key, field.type_property: std.type_name(target_set)}


def body(fields: Mapping[str, FieldSpec], values: Mapping[str, object],
         targets: Mapping[str, str] | None = None) -> dict:
    """A POST/PATCH body in 1C property names from logical values: fields the profile lacks and None values are
    left out; a composite field is written with the entity set `targets` gives for it."""
    out: dict = {}
    for logical, value in values.items():
        field = fields.get(logical)
        if field is None or value is None:
            continue
        if field.composite:
            out.update(assign(field, str(value), (targets or {}).get(logical)))
        else:
            out[field.name] = value
    return out


def select(*fields: FieldSpec | None) -> list[str]:
    """`$select` naming every property of these fields (both of a composite one)."""
    return [prop for f in fields if f is not None for prop in f.properties]
