"""Configuration profiles: which entity sets and fields the app uses in a given 1C configuration.

A profile is data (TOML under `b24app/onec/profiles/`), one per configuration (ut11, bp30, unf) and per known
release whose names differ (ut11_4, bp30_83). Every 1C name the app sends comes from the active profile or, for
names the platform gives every object of a kind, from `standard.py` (tests/unit/test_no_onec_literals.py keeps
the code free of others). An integrator adapts a profile without touching code:
  * a file `<name>.toml` in a directory of the search path (`B24APP_ONEC_PROFILE_PATH`, read into Settings;
    `ProfileLoader`) is merged over the shipped profile of that name;
  * explicit override files (`load_profile(..., overrides=[path])`) are merged after that, in order;
  * a file given as the profile itself may say `[profile] extends = "ut11"` to start from a shipped one.
Merging is key by key: an override names only what differs (one field, one object's entity set,
`enabled = false` for an object the base does not use, `{ omit = true }` for a field it lacks).

Besides names, an object may carry `values`: the 1C values (enumeration value names) the app writes or
compares with, under logical keys, e.g. `[objects.customer_order.values] status_closed = "Закрыт"`. They differ
between configurations and releases as names do, so they live here too and merge the same way. A value's key
starts with the logical field it is written into or compared with (`status_closed` → field `status`), and that
field may name its enumeration (`enum = "СтатусыЗаказовКлиентов"`) so the schema check can look the value up.

What a field is (the standard OData interface, platform docs 17.4.3):
  * `type = "Edm.Guid"` with a name ending in `_Key`: a reference to one kind of object;
  * `type = "composite"`: a composite-type attribute, published as two Edm.String properties, the value `X`
    and its type `X_Type` ("StandardODATA.Catalog_Контрагенты"); read, filtered and written through `refs.py`;
  * any other `Edm.*` type: a plain value.
Names an object has or lacks depending on its metadata are fields like any other, listed where the object has
them: `Code` (absent when the catalog's CodeLength is 0), `IsFolder` / `Parent_Key` (hierarchical catalogs only;
IsFolder only with folders), `Owner_Key` (subordinate catalogs). An object the app picks "the first of" names
the fields to order by (`order_by = ["name"]`) and may name values the element must have
(`pick_where = ["unit_type_warehouse"]`).

A profile may extend another (`[profile] extends = "ut11"`), shipped profiles too: a known release whose names
differ (УТ 11.4 against 11.5) is a shipped profile extending the one it differs from, and the schema check
offers it when a base fits it better (`family`). `[profile] releases` lists the releases the profile was
checked against ("ut-11.5.27.56"), `checked_release` the one it is written for.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from b24app.onec import standard as std

SHIPPED_DIR = Path(__file__).with_name("profiles")
KINDS = ("catalog", "document", "information_register", "accumulation_register", "accounting_register")
COMPOSITE = "composite"
# The EDM type of both properties of a composite attribute (17.4.3 "Составные типы").
COMPOSITE_EDM = "Edm.String"


class ProfileError(ValueError):
    """A profile is missing, malformed, or lacks an object/field the caller asked for."""


@dataclass(frozen=True)
class FieldSpec:
    """One attribute the app uses: its 1C property name and the EDM type it must have in `$metadata`.

    A composite attribute (`composite`) is the property `name` plus `name_Type`, both Edm.String (17.4.3).
    `enum` names the enumeration of a field whose values the profile lists (for the schema check).
    """

    logical: str
    name: str
    type: str
    required: bool = True
    note: str = ""
    composite: bool = False
    enum: str = ""

    @property
    def type_property(self) -> str:
        """`X_Type` of a composite attribute, "" otherwise."""
        return self.name + std.TYPE_SUFFIX if self.composite else ""

    @property
    def properties(self) -> tuple[str, ...]:
        """Every property the attribute is published as (what `$select` must name to read it whole)."""
        return (self.name, self.type_property) if self.composite else (self.name,)

    @property
    def attribute(self) -> str:
        """The attribute's name in the configuration: `Контрагент` for `Контрагент_Key`.

        The `_Key` suffix is added by the interface to a reference attribute's name (17.4.3 "Key"); a composite
        or plain attribute is published under its own name. A virtual table's `Dimensions` argument lists
        dimensions by this name: its parameters are the query language's (17.4.4, 17.4.9), which knows no `_Key`.
        """
        return self.name if self.composite else self.name.removesuffix(std.KEY_SUFFIX)


@dataclass(frozen=True)
class TableSpec:
    """A tabular section (`<Set>_<Name>_RowType` rows nested in the object)."""

    logical: str
    name: str
    fields: Mapping[str, FieldSpec]
    source: str = ""
    required: bool = True


@dataclass(frozen=True)
class ObjectSpec:
    """A logical object (counterparty, customer_order, settlements…) mapped to an entity set."""

    logical: str
    entity_set: str
    kind: str
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)
    tables: Mapping[str, TableSpec] = field(default_factory=dict)
    dimensions: Mapping[str, FieldSpec] = field(default_factory=dict)
    resources: Mapping[str, FieldSpec] = field(default_factory=dict)
    virtual_tables: tuple[str, ...] = ()
    confirmed: bool = True
    source: str = ""
    why: str = ""
    note: str = ""
    enabled: bool = True
    idempotency_field: str = ""
    periodic: bool = False
    recorder_subordinate: bool = False
    values: Mapping[str, str] = field(default_factory=dict)
    # Values a base of an earlier release may lack (a VAT rate introduced later): the schema check notes their
    # absence without failing the base; writing one there fails for that document only, in plain words.
    optional_values: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    pick_where: tuple[str, ...] = ()
    profile: str = ""

    @property
    def is_register(self) -> bool:
        return self.kind.endswith("_register")

    @property
    def records_set(self) -> str:
        """Entity set holding single register records (`<Register>_RecordType`, docs 17.4.4); a recorder-subordinate
        information register is read, virtual tables included, through it (17.4.13.1.1)."""
        if self.kind == "accumulation_register" or self.recorder_subordinate:
            return self.entity_set + std.RECORD_TYPE_SUFFIX
        return self.entity_set

    def has(self, logical: str) -> bool:
        return logical in self.fields or logical in self.dimensions or logical in self.resources

    def spec_of(self, logical: str) -> FieldSpec:
        """The field spec of a logical field (fields, dimensions or resources)."""
        for group in (self.fields, self.dimensions, self.resources):
            if logical in group:
                return group[logical]
        raise ProfileError(f"object {self.logical!r} ({self.entity_set}) has no field {logical!r} in the profile")

    def field(self, logical: str) -> str:
        """The 1C property name of a logical field (fields, dimensions or resources)."""
        return self.spec_of(logical).name

    def orderby(self) -> str:
        """`$orderby` for "the first" element: the profile's `order_by` fields, else the key."""
        return ",".join(self.field(logical) for logical in (self.order_by or ("key",)))

    def value_field(self, key: str) -> FieldSpec | None:
        """The field a value is written into: the longest logical field `f` with `key` = `f_<what>`, a field of
        a tabular section spelled `<table>_<field>` (`contacts_kind_phone` → table contacts, field kind)."""
        fields = {f: self.spec_of(f) for f in (*self.fields, *self.dimensions, *self.resources)}
        fields.update({f"{t}_{f}": spec for t, table in self.tables.items() for f, spec in table.fields.items()})
        names = [f for f in fields if key.startswith(f + "_")]
        return fields[max(names, key=len)] if names else None

    def value(self, key: str) -> str:
        """The 1C value (e.g. an enumeration value name) the profile gives this object for a logical key."""
        try:
            return self.values[key]
        except KeyError:
            raise ProfileError(
                f"profile {self.profile!r}: object {self.logical!r} ({self.entity_set}) names no value {key!r}; "
                f"add it under [objects.{self.logical}.values]"
            ) from None

    def table(self, logical: str) -> TableSpec:
        try:
            return self.tables[logical]
        except KeyError:
            raise ProfileError(f"object {self.logical!r} has no tabular section {logical!r}") from None

    def all_fields(self) -> list[FieldSpec]:
        return [*self.fields.values(), *self.dimensions.values(), *self.resources.values()]


@dataclass(frozen=True)
class Profile:
    """A loaded profile; `objects` holds every object, enabled or not."""

    name: str
    title: str
    objects: Mapping[str, ObjectSpec]
    source: str = ""
    files: tuple[str, ...] = ()
    checked_release: str = ""
    # The releases the profile was checked against, as "<configuration>-<version>" (e.g. "ut-11.5.27.56"): the
    # configuration dumps named in its header, whose facts the sandbox keeps (sandboxes/b24sandbox/onec/facts/).
    releases: tuple[str, ...] = ()
    # The shipped profile this one descends from through `extends` (itself when it extends none): profiles of one
    # family describe releases of one configuration.
    family: str = ""

    def object(self, logical: str) -> ObjectSpec:
        """The enabled object, or ProfileError saying which profile lacks it."""
        spec = self.objects.get(logical)
        if spec is None:
            raise ProfileError(f"profile {self.name!r} maps no object {logical!r}")
        if not spec.enabled:
            raise ProfileError(f"object {logical!r} is disabled in profile {self.name!r}")
        return spec

    def enabled_objects(self) -> list[ObjectSpec]:
        return [o for o in self.objects.values() if o.enabled]


def merge(base: Mapping, override: Mapping) -> dict:
    """Deep merge of two TOML documents: tables merge key by key, any other value replaces."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ProfileError(f"profile file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile file {path} is not valid TOML: {exc}") from None


def _search_dirs(extra: Iterable[Path | str]) -> list[Path]:
    return [Path(p) for p in extra]


def load_profile(
    name_or_path: str | Path,
    *,
    overrides: Iterable[Path | str] = (),
    search_path: Iterable[Path | str] = (),
) -> Profile:
    """Loads a shipped profile by name (or a profile file by path) with every override merged over it."""
    files: list[str] = []
    candidate = Path(name_or_path)
    family = ""
    if candidate.suffix == ".toml" or candidate.exists():
        doc = _read(candidate)
        files.append(str(candidate))
        parent = doc.get("profile", {}).get("extends")
        if parent:
            base_doc, base_files, family = _shipped_with_search(str(parent), search_path)
            doc = merge(base_doc, doc)
            files = base_files + files
    else:
        doc, files, family = _shipped_with_search(str(name_or_path), search_path)
    for path in overrides:
        doc = merge(doc, _read(Path(path)))
        files.append(str(path))
    return _build(doc, tuple(files), family)


def shipped_names() -> list[str]:
    """Names of the shipped profiles."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.toml"))


def _shipped_with_search(name: str, search_path: Iterable[Path | str],
                         seen: tuple[str, ...] = ()) -> tuple[dict, list[str], str]:
    """The shipped profile `name` (over the one it extends, if any) with the search path's overrides of each:
    the merged document, the files read and the family (the name at the root of the `extends` chain)."""
    if not name.replace("_", "").isalnum():
        raise ProfileError(f"bad profile name: {name!r}")
    if name in seen:
        raise ProfileError(f"profile {name!r} extends itself through {' -> '.join(seen)}")
    shipped = SHIPPED_DIR / f"{name}.toml"
    if not shipped.exists():
        raise ProfileError(f"unknown profile {name!r}; shipped profiles: {', '.join(shipped_names())}")
    search_path = tuple(search_path)
    doc = _read(shipped)
    files = [str(shipped)]
    for directory in _search_dirs(search_path):
        local = directory / f"{name}.toml"
        if local.exists():
            doc = merge(doc, _read(local))
            files.append(str(local))
    family = name
    parent = doc.get("profile", {}).get("extends")
    if parent:
        base_doc, base_files, family = _shipped_with_search(str(parent), search_path, (*seen, name))
        doc = merge(base_doc, doc)
        files = base_files + files
    return doc, files, family


def _fields(raw: Mapping, where: str) -> dict[str, FieldSpec]:
    out = {}
    for logical, spec in raw.items():
        if isinstance(spec, Mapping) and spec.get("omit"):
            continue  # an override drops a field the base does not have
        if not isinstance(spec, Mapping) or "name" not in spec or "type" not in spec:
            raise ProfileError(f"{where}.{logical}: a field needs 'name' and 'type'")
        kind = str(spec["type"])
        if kind != COMPOSITE and not kind.startswith("Edm."):
            raise ProfileError(f"{where}.{logical}: type {kind!r} is neither an Edm type nor {COMPOSITE!r}")
        name = str(spec["name"])
        if kind == COMPOSITE and name.endswith((std.KEY_SUFFIX, std.TYPE_SUFFIX)):
            raise ProfileError(f"{where}.{logical}: a composite attribute is named without _Key/_Type ({name!r}): "
                               "the profile names the value property, its _Type comes with it")
        out[logical] = FieldSpec(
            logical=logical,
            name=name,
            type=COMPOSITE_EDM if kind == COMPOSITE else kind,
            required=bool(spec.get("required", True)),
            note=str(spec.get("note", "")),
            composite=kind == COMPOSITE,
            enum=str(spec.get("enum", "")),
        )
    return out


def _values(raw: object, where: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise ProfileError(f"{where}: must be a table of key = \"value\"")
    out = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            raise ProfileError(f"{where}.{key}: a value must be a string, got {value!r}")
        out[key] = value
    return out


def _names(raw: object, where: str) -> tuple[str, ...]:
    if isinstance(raw, str) or not isinstance(raw, (list, tuple)) or not all(isinstance(x, str) for x in raw):
        raise ProfileError(f"{where}: must be a list of names")
    return tuple(raw)


def _checked(spec: ObjectSpec, where: str) -> ObjectSpec:
    """Cross-references inside one object: values name a field, order_by fields and pick_where values exist."""
    for key in spec.values:
        if spec.value_field(key) is None:
            raise ProfileError(f"{where}.values.{key}: names no field of the object; a value's key starts with the "
                               "logical field it is written into (status_closed -> status)")
    for key in spec.optional_values:
        if key not in spec.values:
            raise ProfileError(f"{where}.optional_values: {key!r} is not one of the object's values")
    for logical in spec.order_by:
        if not spec.has(logical):
            raise ProfileError(f"{where}.order_by: {logical!r} is not a field of the object")
    for key in spec.pick_where:
        if key not in spec.values:
            raise ProfileError(f"{where}.pick_where: {key!r} is not one of the object's values")
    return spec


def _build(doc: Mapping, files: tuple[str, ...], family: str = "") -> Profile:
    head = doc.get("profile", {})
    name = head.get("name")
    if not name:
        raise ProfileError(f"profile has no [profile] name ({', '.join(files)})")
    objects = {}
    for logical, raw in doc.get("objects", {}).items():
        where = f"objects.{logical}"
        if "entity_set" not in raw or "kind" not in raw:
            raise ProfileError(f"{where}: needs 'entity_set' and 'kind'")
        if raw["kind"] not in KINDS:
            raise ProfileError(f"{where}: kind {raw['kind']!r} is not one of {', '.join(KINDS)}")
        tables = {
            t_logical: TableSpec(
                logical=t_logical,
                name=str(t_raw["name"]),
                fields=_fields(t_raw.get("fields", {}), f"{where}.tables.{t_logical}"),
                source=str(t_raw.get("source", "")),
                required=bool(t_raw.get("required", True)),
            )
            for t_logical, t_raw in raw.get("tables", {}).items()
        }
        objects[logical] = _checked(ObjectSpec(
            logical=logical,
            entity_set=str(raw["entity_set"]),
            kind=str(raw["kind"]),
            fields=_fields(raw.get("fields", {}), where),
            tables=tables,
            dimensions=_fields(raw.get("dimensions", {}), f"{where}.dimensions"),
            resources=_fields(raw.get("resources", {}), f"{where}.resources"),
            virtual_tables=tuple(raw.get("virtual_tables", ())),
            confirmed=bool(raw.get("confirmed", True)),
            source=str(raw.get("source", "")),
            why=str(raw.get("why", "")),
            note=str(raw.get("note", "")),
            enabled=bool(raw.get("enabled", True)),
            idempotency_field=str(raw.get("idempotency_field", "")),
            periodic=bool(raw.get("periodic", False)),
            recorder_subordinate=bool(raw.get("recorder_subordinate", False)),
            values=_values(raw.get("values", {}), f"{where}.values"),
            optional_values=_names(raw.get("optional_values", []), f"{where}.optional_values"),
            order_by=_names(raw.get("order_by", []), f"{where}.order_by"),
            pick_where=_names(raw.get("pick_where", []), f"{where}.pick_where"),
            profile=str(name),
        ), where)
    return Profile(
        name=str(name),
        title=str(head.get("title", name)),
        objects=objects,
        source=str(head.get("source", "")),
        files=files,
        checked_release=str(head.get("checked_release", "")),
        releases=_names(head.get("releases", []), "profile.releases"),
        family=family or str(name),
    )


_PROFILE_NAME = re.compile(r"[a-z0-9_]{1,40}")


class ProfileLoader:
    """Loads profiles by name with the deployment's override directories (`B24APP_ONEC_PROFILE_PATH`, read once
    into Settings), caching each: the composition root builds one and hands it to whoever reads 1C."""

    def __init__(self, search_path: Iterable[Path | str] = ()) -> None:
        self._search_path = tuple(search_path)
        self._cache: dict[str, Profile] = {}

    def load(self, name: str) -> Profile:
        """The profile called `name` (shipped, or from an override directory). Only names: the name comes from
        a stored base, which an administrator's form or settings file chose — a file path there would make the
        server read any file it can (a path is for the operator's CLI, `load_profile`)."""
        if not _PROFILE_NAME.fullmatch(str(name)):
            raise ProfileError(f"{str(name)[:60]!r} is not a profile name")
        if name not in self._cache:
            self._cache[name] = load_profile(name, search_path=self._search_path)
        return self._cache[name]
