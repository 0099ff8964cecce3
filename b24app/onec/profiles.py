"""Configuration profiles: which entity sets and fields the app uses in a given 1C configuration.

A profile is data (TOML under `b24app/onec/profiles/`), one per configuration (ut11, bp30). An
integrator adapts it without touching code:
  * a file `<name>.toml` in a directory of the search path (`B24APP_ONEC_PROFILE_PATH`, read into Settings;
    `ProfileLoader`) is merged over the shipped profile of that name;
  * explicit override files (`load_profile(..., overrides=[path])`) are merged after that, in order;
  * a file given as the profile itself may say `[profile] extends = "ut11"` to start from a shipped one.
Merging is key by key: an override names only what differs (one field, one object's entity set,
`enabled = false` for an object the base does not use, `{ omit = true }` for a field it lacks).

Besides names, an object may carry `values`: the 1C values (enumeration value names) the app writes or
compares with, under logical keys, e.g. `[objects.customer_order.values] status_closed = "Закрыт"`. They differ
between configurations and releases as names do, so they live here too and merge the same way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED_DIR = Path(__file__).with_name("profiles")
KINDS = ("catalog", "document", "information_register", "accumulation_register", "accounting_register")


class ProfileError(ValueError):
    """A profile is missing, malformed, or lacks an object/field the caller asked for."""


@dataclass(frozen=True)
class FieldSpec:
    """One property the app uses: its 1C name and the EDM type it must have in `$metadata`."""

    logical: str
    name: str
    type: str
    required: bool = True
    note: str = ""


@dataclass(frozen=True)
class TableSpec:
    """A tabular section (`<Set>_<Name>_RowType` rows nested in the object)."""

    logical: str
    name: str
    fields: Mapping[str, FieldSpec]
    source: str = ""


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
    profile: str = ""

    @property
    def is_register(self) -> bool:
        return self.kind.endswith("_register")

    @property
    def records_set(self) -> str:
        """Entity set holding single register records (`<Register>_RecordType`, docs 17.4.4)."""
        if self.kind == "accumulation_register" or self.recorder_subordinate:
            return f"{self.entity_set}_RecordType"
        return self.entity_set

    def field(self, logical: str) -> str:
        """The 1C property name of a logical field (fields, dimensions or resources)."""
        for group in (self.fields, self.dimensions, self.resources):
            if logical in group:
                return group[logical].name
        raise ProfileError(f"object {self.logical!r} ({self.entity_set}) has no field {logical!r} in the profile")

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
    if candidate.suffix == ".toml" or candidate.exists():
        doc = _read(candidate)
        files.append(str(candidate))
        parent = doc.get("profile", {}).get("extends")
        if parent:
            base_doc, base_files = _shipped_with_search(str(parent), search_path)
            doc = merge(base_doc, doc)
            files = base_files + files
    else:
        doc, files = _shipped_with_search(str(name_or_path), search_path)
    for path in overrides:
        doc = merge(doc, _read(Path(path)))
        files.append(str(path))
    return _build(doc, tuple(files))


def _shipped_with_search(name: str, search_path: Iterable[Path | str]) -> tuple[dict, list[str]]:
    if not name.replace("_", "").isalnum():
        raise ProfileError(f"bad profile name: {name!r}")
    shipped = SHIPPED_DIR / f"{name}.toml"
    if not shipped.exists():
        known = sorted(p.stem for p in SHIPPED_DIR.glob("*.toml"))
        raise ProfileError(f"unknown profile {name!r}; shipped profiles: {', '.join(known)}")
    doc = _read(shipped)
    files = [str(shipped)]
    for directory in _search_dirs(search_path):
        local = directory / f"{name}.toml"
        if local.exists():
            doc = merge(doc, _read(local))
            files.append(str(local))
    return doc, files


def _fields(raw: Mapping, where: str) -> dict[str, FieldSpec]:
    out = {}
    for logical, spec in raw.items():
        if isinstance(spec, Mapping) and spec.get("omit"):
            continue  # an override drops a field the base does not have
        if not isinstance(spec, Mapping) or "name" not in spec or "type" not in spec:
            raise ProfileError(f"{where}.{logical}: a field needs 'name' and 'type'")
        out[logical] = FieldSpec(
            logical=logical,
            name=str(spec["name"]),
            type=str(spec["type"]),
            required=bool(spec.get("required", True)),
            note=str(spec.get("note", "")),
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


def _build(doc: Mapping, files: tuple[str, ...]) -> Profile:
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
            )
            for t_logical, t_raw in raw.get("tables", {}).items()
        }
        objects[logical] = ObjectSpec(
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
            profile=str(name),
        )
    return Profile(
        name=str(name),
        title=str(head.get("title", name)),
        objects=objects,
        source=str(head.get("source", "")),
        files=files,
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
