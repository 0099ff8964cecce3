"""Facts about real 1C configurations, extracted from public Designer XML dumps (see SOURCES.md).

One gzip JSON file per configuration release lives in data/ (written by `extract.py`, which reads the dump
straight from a bare git repository). This module loads them into typed, read-only dataclasses:

    from b24sandbox.onec import facts
    ut = facts.load("ut-11.5.27.56")
    ut.object("Catalog", "Контрагенты").code_length        # 0: the catalog publishes no Code
    ut.object("Document", "ЗаказКлиента").tabular_section("Товары").attribute("Номенклатура").resolved

The facts are independent of our profiles: every object of the extracted kinds is there, not only the
ones the app uses. Types are kept as the dump writes them (`cfg:CatalogRef.Контрагенты`, `xs:string`,
`cfg:DefinedType.ИНН`); `resolved` replaces defined types and characteristics by their member types, so
`len(resolved) > 1` is what makes 1C publish a field as `<Field>` + `<Field>_Type` instead of `<Field>_Key`.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

SUFFIX = ".json.gz"
SCHEMA = 1
# Entity-set prefixes of the standard OData interface (platform docs 17.4.4) by object kind.
ENTITY_SET_PREFIXES = {
    "Catalog": "Catalog", "Document": "Document", "Enum": "Enum", "Constant": "Constant",
    "ExchangePlan": "ExchangePlan", "ChartOfAccounts": "ChartOfAccounts",
    "ChartOfCharacteristicTypes": "ChartOfCharacteristicTypes", "InformationRegister": "InformationRegister",
    "AccumulationRegister": "AccumulationRegister", "AccountingRegister": "AccountingRegister",
}


@dataclass(frozen=True)
class AttributeFacts:
    """A typed field: an attribute, a tabular-section column, a register dimension/resource, a value type."""

    name: str
    types: tuple[str, ...]  # as written in the dump, several = composite
    resolved: tuple[str, ...]  # defined types / characteristics replaced by their member types
    length: int | None = None  # string length, 0 = unlimited
    fixed_length: bool = False
    digits: int | None = None
    fraction: int | None = None
    nonnegative: bool = False
    date_fractions: str | None = None  # Date, DateTime or Time
    required: bool = False  # FillChecking = ShowError
    balance: bool = False  # accounting registers: kept as one balance, not per debit/credit

    @property
    def composite(self) -> bool:
        """Holds values of several types: published as `<Name>` + `<Name>_Type`, not `<Name>_Key`. A type set
        with no object name (`cfg:DocumentRef` = any document, `cfg:AnyRef`) counts as several types."""
        return len(self.resolved) > 1 or any(t.startswith("cfg:") and "." not in t for t in self.resolved)

    @property
    def reference(self) -> bool:
        """A single reference to an object with a Ref_Key (`cfg:CatalogRef.X`, `cfg:DocumentRef.X`, ...):
        published as `<Name>_Key`. Enum values are published as strings (platform docs 17.4.3), so
        `cfg:EnumRef.X` is not one."""
        if len(self.resolved) != 1 or "." not in self.resolved[0]:
            return False
        kind = self.resolved[0].partition(".")[0]
        return kind.startswith("cfg:") and kind.endswith("Ref") and kind != "cfg:EnumRef"


@dataclass(frozen=True)
class TabularSectionFacts:
    name: str
    attributes: tuple[AttributeFacts, ...] = ()

    def attribute(self, name: str) -> AttributeFacts:
        return _named(self.attributes, name, f"tabular section {self.name}")


@dataclass(frozen=True)
class ObjectFacts:
    """One metadata object. Fields that do not apply to the object's kind stay None / empty."""

    kind: str  # Catalog, Document, Enum, InformationRegister, ... (Designer XML element names)
    name: str
    attributes: tuple[AttributeFacts, ...] = ()
    tabular_sections: tuple[TabularSectionFacts, ...] = ()
    dimensions: tuple[AttributeFacts, ...] = ()
    resources: tuple[AttributeFacts, ...] = ()
    values: tuple[str, ...] = ()  # Enum values
    value_type: AttributeFacts | None = None  # DefinedType, Constant, ChartOfCharacteristicTypes
    # Catalog, ChartOfCharacteristicTypes, ExchangePlan, ChartOfAccounts
    code_length: int | None = None  # 0 = the object has no Code
    code_type: str | None = None  # String / Number
    code_allowed_length: str | None = None  # Fixed / Variable
    code_mask: str | None = None
    description_length: int | None = None  # 0 = no Description
    hierarchical: bool | None = None
    hierarchy_type: str | None = None  # HierarchyFoldersAndItems (has IsFolder) / HierarchyOfItems
    owners: tuple[str, ...] = ()  # "Catalog.X": the catalog is subordinate (has Owner)
    # Document
    number_length: int | None = None
    number_type: str | None = None
    number_allowed_length: str | None = None
    number_periodicity: str | None = None
    posting: str | None = None  # Allow / Deny
    register_records: tuple[str, ...] = ()  # registers the document records into
    # Registers
    periodicity: str | None = None  # InformationRegister: Nonperiodical, Second, Day, Month, ...
    write_mode: str | None = None  # InformationRegister: Independent / RecorderSubordinate
    register_type: str | None = None  # AccumulationRegister: Balance / Turnovers
    chart_of_accounts: str | None = None  # AccountingRegister
    correspondence: bool | None = None  # AccountingRegister
    # ChartOfAccounts
    max_ext_dimension_count: int | None = None
    ext_dimension_types: str | None = None
    accounting_flags: tuple[str, ...] = ()
    ext_dimension_accounting_flags: tuple[str, ...] = ()

    @property
    def entity_set(self) -> str:
        """Name of the entity set in the standard OData interface, e.g. Catalog_Контрагенты."""
        return f"{ENTITY_SET_PREFIXES.get(self.kind, self.kind)}_{self.name}"

    @property
    def has_code(self) -> bool:
        return bool(self.code_length)

    @property
    def has_folders(self) -> bool:
        """Hierarchical with groups: the catalog has the standard attribute IsFolder."""
        return bool(self.hierarchical) and self.hierarchy_type == "HierarchyFoldersAndItems"

    @property
    def recorder_subordinate(self) -> bool:
        return self.write_mode == "RecorderSubordinate"

    def attribute(self, name: str) -> AttributeFacts:
        return _named(self.attributes, name, f"{self.kind}.{self.name}")

    def tabular_section(self, name: str) -> TabularSectionFacts:
        return _named(self.tabular_sections, name, f"{self.kind}.{self.name}")

    def dimension(self, name: str) -> AttributeFacts:
        return _named(self.dimensions, name, f"{self.kind}.{self.name}")

    def resource(self, name: str) -> AttributeFacts:
        return _named(self.resources, name, f"{self.kind}.{self.name}")


@dataclass(frozen=True)
class CommonAttributeFacts:
    """A common attribute (e.g. the data-area separator): type, use and the objects it names explicitly."""

    attribute: AttributeFacts
    auto_use: str  # Use / DontUse: whether objects not in `content` get it
    data_separation: str  # Separate / DontUse
    content: tuple[tuple[str, str], ...] = ()  # ("Catalog.X", "Use" / "DontUse" / "Auto")


@dataclass(frozen=True)
class SourceFacts:
    """Where the facts come from."""

    repo: str  # owner/name on GitHub
    commit: str
    commit_date: str
    root: str  # folder of the dump inside the repository, "" = top
    format: str  # designer-xml
    format_version: str  # version attribute of the dump's MetaDataObject
    extracted: str  # date of the extraction
    notes: str = ""


@dataclass(frozen=True)
class ConfigurationFacts:
    key: str  # file name without .json.gz, e.g. ut-11.5.27.56
    name: str  # УправлениеТорговлей, БухгалтерияПредприятия, ...
    synonym: str
    version: str
    vendor: str
    compatibility_mode: str
    source: SourceFacts
    objects: dict[tuple[str, str], ObjectFacts] = field(repr=False)
    common_attributes: tuple[CommonAttributeFacts, ...] = field(default=(), repr=False)
    missing: tuple[str, ...] = ()  # objects listed in Configuration.xml whose file the snapshot lacks

    def get(self, kind: str, name: str) -> ObjectFacts | None:
        return self.objects.get((kind, name))

    def object(self, kind: str, name: str) -> ObjectFacts:
        found = self.get(kind, name)
        if found is None:
            raise KeyError(f"{self.key}: no {kind}.{name}")
        return found

    def of_kind(self, kind: str) -> list[ObjectFacts]:
        """All objects of a kind, in the configuration's order."""
        return [facts for (object_kind, _), facts in self.objects.items() if object_kind == kind]

    def by_entity_set(self, entity_set: str) -> ObjectFacts | None:
        """The object behind an OData entity set name such as Document_ЗаказКлиента."""
        prefix, _, name = entity_set.partition("_")
        return self.get(prefix, name)


def _named(items: tuple[Any, ...], name: str, owner: str) -> Any:
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"{owner} has no {name}")


# ------------------------------------------------------------------------------------------------------ loading


def _attribute(raw: dict[str, Any]) -> AttributeFacts:
    types = tuple(raw.get("types", ()))
    return AttributeFacts(
        name=raw["name"], types=types, resolved=tuple(raw.get("resolved", types)), length=raw.get("length"),
        fixed_length=raw.get("fixed_length", False), digits=raw.get("digits"), fraction=raw.get("fraction"),
        nonnegative=raw.get("nonnegative", False), date_fractions=raw.get("date_fractions"),
        required=raw.get("required", False), balance=raw.get("balance", False))


_FIELD_LIST_KEYS = ("attributes", "dimensions", "resources")
_NAME_LIST_KEYS = ("values", "owners", "register_records", "accounting_flags", "ext_dimension_accounting_flags")


def _object(kind: str, raw: dict[str, Any]) -> ObjectFacts:
    fields_: dict[str, Any] = {key: value for key, value in raw.items()
                              if key not in (*_FIELD_LIST_KEYS, *_NAME_LIST_KEYS, "tabular_sections", "value_type")}
    for key in _FIELD_LIST_KEYS:
        fields_[key] = tuple(_attribute(item) for item in raw.get(key, ()))
    for key in _NAME_LIST_KEYS:
        fields_[key] = tuple(raw.get(key, ()))
    fields_["tabular_sections"] = tuple(
        TabularSectionFacts(section["name"], tuple(_attribute(item) for item in section["attributes"]))
        for section in raw.get("tabular_sections", ()))
    if "value_type" in raw:
        fields_["value_type"] = _attribute(raw["value_type"])
    return ObjectFacts(kind=kind, **fields_)


def _common_attribute(raw: dict[str, Any]) -> CommonAttributeFacts:
    return CommonAttributeFacts(attribute=_attribute(raw), auto_use=raw.get("auto_use", ""),
                                data_separation=raw.get("data_separation", ""),
                                content=tuple((item[0], item[1]) for item in raw.get("content", ())))


def from_document(key: str, document: dict[str, Any]) -> ConfigurationFacts:
    """A decoded fact file -> ConfigurationFacts (also used by tests on freshly extracted documents)."""
    if document.get("schema") != SCHEMA:
        raise ValueError(f"{key}: fact file schema {document.get('schema')!r}, expected {SCHEMA}")
    configuration = document["configuration"]
    objects = {(kind, raw["name"]): _object(kind, raw)
               for kind, items in document["objects"].items() for raw in items}
    return ConfigurationFacts(
        key=key, name=configuration["name"], synonym=configuration.get("synonym", ""),
        version=configuration["version"], vendor=configuration.get("vendor", ""),
        compatibility_mode=configuration.get("compatibility_mode", ""),
        source=SourceFacts(**document["source"]), objects=objects,
        common_attributes=tuple(_common_attribute(raw) for raw in document.get("common_attributes", ())),
        missing=tuple(document.get("missing", ())))


def _data() -> Any:
    return resources.files(__name__).joinpath("data")


def available() -> list[str]:
    """Names of the fact files in data/, e.g. ["bp-3.0.198.19", "ut-11.5.27.56", ...], sorted."""
    return sorted(entry.name.removesuffix(SUFFIX) for entry in _data().iterdir() if entry.name.endswith(SUFFIX))


@cache
def load(name: str) -> ConfigurationFacts:
    """The facts of one configuration release by file name (see `available()`); cached, read-only."""
    if name not in available():
        raise KeyError(f"no fact file {name!r}; available: {', '.join(available())}")
    raw = _data().joinpath(name + SUFFIX).read_bytes()
    return from_document(name, json.loads(gzip.decompress(raw)))
