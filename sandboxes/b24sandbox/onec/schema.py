"""How the sandbox describes a configuration's objects, and how they map onto OData properties.

The mapping follows the platform docs (hacker-cb/1c-odata, docs/1c/markdown/, 17.4.3 «Представление
данных»): a reference attribute `X` becomes the Edm.Guid property `X_Key` plus a navigation property `X`;
a composite attribute becomes two Edm.String properties `X` and `X_Type`; integers are Edm.Int64, which
1C writes as JSON strings (see LineNumber "1" in ../shared/samples/odata/).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"
UNDEFINED_TYPE = "StandardODATA.Undefined"

CATALOG = "Catalog"
DOCUMENT = "Document"
INFORMATION_REGISTER = "InformationRegister"
ACCUMULATION_REGISTER = "AccumulationRegister"
ACCOUNTING_REGISTER = "AccountingRegister"
CHART_OF_ACCOUNTS = "ChartOfAccounts"
CHART_OF_CHARACTERISTIC_TYPES = "ChartOfCharacteristicTypes"
# Reference objects: one element per Ref_Key, published like catalogs (17.4.4 prefixes).
OBJECT_KINDS = (CATALOG, DOCUMENT, CHART_OF_ACCOUNTS, CHART_OF_CHARACTERISTIC_TYPES)
REGISTERS_WITH_RECORDERS = (ACCUMULATION_REGISTER, ACCOUNTING_REGISTER)

# Attribute kinds and the Edm type of their main property.
EDM_TYPES = {
    "string": "Edm.String",
    "enum": "Edm.String",
    "number": "Edm.Double",
    "int": "Edm.Int64",
    "bool": "Edm.Boolean",
    "date": "Edm.DateTime",
    "guid": "Edm.Guid",
    "ref": "Edm.Guid",
    "composite": "Edm.String",
}

DEFAULTS = {
    "string": "",
    "enum": "",
    "number": 0,
    "int": 0,
    "bool": False,
    "date": EMPTY_DATE,
    "guid": EMPTY_REF,
    "ref": EMPTY_REF,
    "composite": "",
}


@dataclass
class Attr:
    """One attribute of a 1C object (or of a tabular section row, or a register column)."""

    name: str
    kind: str
    target: str = ""  # entity set a reference points to
    max_length: int | None = None
    enumeration: str = ""  # the configuration's enumeration an "enum" attribute holds, for $metadata EnumType

    @property
    def prop(self) -> str:
        """The OData property carrying the value."""
        return f"{self.name}_Key" if self.kind == "ref" else self.name

    def props(self) -> list[tuple[str, str]]:
        """(property name, Edm type) pairs this attribute contributes, in 1C's order."""
        if self.kind == "composite":
            return [(self.name, "Edm.String"), (f"{self.name}_Type", "Edm.String")]
        return [(self.prop, EDM_TYPES[self.kind])]

    def default_values(self) -> dict[str, object]:
        if self.kind == "composite":
            return {self.name: "", f"{self.name}_Type": UNDEFINED_TYPE}
        return {self.prop: DEFAULTS[self.kind]}


def s(name: str, length: int | None = None) -> Attr:
    return Attr(name, "string", max_length=length)


def num(name: str) -> Attr:
    return Attr(name, "number")


def i64(name: str) -> Attr:
    return Attr(name, "int")


def flag(name: str) -> Attr:
    return Attr(name, "bool")


def date(name: str) -> Attr:
    return Attr(name, "date")


def enum(name: str, enumeration: str = "") -> Attr:
    """An enumeration attribute: an Edm.String property (17.4.3) holding a member name of `enumeration`."""
    return Attr(name, "enum", enumeration=enumeration)


def ref(name: str, target: str) -> Attr:
    return Attr(name, "ref", target=target)


def composite(name: str) -> Attr:
    return Attr(name, "composite")


@dataclass
class ObjectDef:
    """A configuration object as published: catalog, document or register."""

    set_name: str
    attrs: list[Attr] = field(default_factory=list)
    tables: dict[str, list[Attr]] = field(default_factory=dict)
    hierarchical: bool = False
    owner: str = ""  # entity set of the owner for subordinate catalogs
    code_length: int = 9
    description_length: int = 100
    # registers
    dimensions: list[Attr] = field(default_factory=list)
    resources: list[Attr] = field(default_factory=list)
    balance: bool = True  # accumulation register of balances (vs turnovers only)
    periodic: bool = True  # information register with Period
    # accounting registers: the chart of accounts, and the dimensions/resources without the «Балансовый»
    # flag, which records carry twice as <Name>Dr / <Name>Cr
    chart: str = ""
    unbalanced: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.set_name.split("_", 1)[0]

    @property
    def is_register(self) -> bool:
        return self.kind in (INFORMATION_REGISTER, ACCUMULATION_REGISTER, ACCOUNTING_REGISTER)

    @property
    def is_accounting(self) -> bool:
        return self.kind == ACCOUNTING_REGISTER and bool(self.chart)

    def standard_props(self) -> list[tuple[str, str]]:
        """System properties in the order 1C writes them (see the samples)."""
        if self.kind in (CATALOG, CHART_OF_ACCOUNTS, CHART_OF_CHARACTERISTIC_TYPES):
            props = [("Ref_Key", "Edm.Guid"), ("DataVersion", "Edm.String"), ("DeletionMark", "Edm.Boolean")]
            if self.owner:
                props.append(("Owner_Key", "Edm.Guid"))
            if self.hierarchical:
                props += [("Parent_Key", "Edm.Guid"), ("IsFolder", "Edm.Boolean")]
            return props + [("Code", "Edm.String"), ("Description", "Edm.String")]
        if self.kind == DOCUMENT:
            return [
                ("Ref_Key", "Edm.Guid"),
                ("DataVersion", "Edm.String"),
                ("DeletionMark", "Edm.Boolean"),
                ("Number", "Edm.String"),
                ("Date", "Edm.DateTime"),
                ("Posted", "Edm.Boolean"),
            ]
        if self.kind == INFORMATION_REGISTER:
            return [("Period", "Edm.DateTime")] if self.periodic else []
        if self.is_accounting:
            # AccountingRegister_Хозрасчетный_RecordType of a real БП 3.0 $metadata: Recorder, Period,
            # LineNumber, Active, AccountDr_Key, AccountCr_Key, then dimensions and resources.
            return [
                ("Recorder", "Edm.String"),
                ("Recorder_Type", "Edm.String"),
                ("Period", "Edm.DateTime"),
                ("LineNumber", "Edm.Int64"),
                ("Active", "Edm.Boolean"),
                ("AccountDr_Key", "Edm.Guid"),
                ("AccountCr_Key", "Edm.Guid"),
            ]
        props = [
            ("Recorder", "Edm.String"),
            ("Recorder_Type", "Edm.String"),
            ("Period", "Edm.DateTime"),
            ("LineNumber", "Edm.Int64"),
            ("Active", "Edm.Boolean"),
        ]
        if self.balance:
            props.append(("RecordType", "Edm.String"))
        return props

    def tail_props(self) -> list[tuple[str, str]]:
        if self.kind in (CATALOG, CHART_OF_ACCOUNTS, CHART_OF_CHARACTERISTIC_TYPES):
            return [("Predefined", "Edm.Boolean"), ("PredefinedDataName", "Edm.String")]
        return []

    def columns(self) -> list[Attr]:
        """Attributes of an object, or dimensions + resources of a register (an accounting register's
        unbalanced ones split into their debit and credit sides)."""
        if not self.is_register:
            return self.attrs
        if not self.is_accounting:
            return self.dimensions + self.resources + self.attrs
        out = []
        for attr in self.dimensions + self.resources:
            if attr.name in self.unbalanced:
                out += [Attr(f"{attr.name}{side}", attr.kind, attr.target, attr.max_length, attr.enumeration)
                        for side in ("Dr", "Cr")]
            else:
                out.append(attr)
        return out + self.attrs

    def props(self) -> dict[str, str]:
        """Every scalar property name → Edm type (without tabular sections)."""
        out = dict(self.standard_props())
        for attr in self.columns():
            out.update(dict(attr.props()))
        out.update(dict(self.tail_props()))
        return out

    def ref_attrs(self) -> list[Attr]:
        """References, including the system Owner/Parent ones, for navigation properties."""
        refs = []
        if self.is_accounting:
            refs += [ref("AccountDr", self.chart), ref("AccountCr", self.chart)]
        if self.owner:
            refs.append(ref("Owner", self.owner))
        if self.hierarchical:
            refs.append(ref("Parent", self.set_name))
        return refs + [a for a in self.columns() if a.kind == "ref"]

    def attr(self, name: str) -> Attr | None:
        """Find an attribute by its 1C name or by its OData property name."""
        for a in self.ref_attrs() + self.columns():
            if a.name == name or a.prop == name:
                return a
        return None

    def row_props(self, table: str) -> dict[str, str]:
        out = {"Ref_Key": "Edm.Guid", "LineNumber": "Edm.Int64"}
        for attr in self.tables[table]:
            out.update(dict(attr.props()))
        return out

    def row_attr(self, table: str, name: str) -> Attr | None:
        for a in self.tables[table]:
            if a.name == name or a.prop == name:
                return a
        return None


@dataclass
class Configuration:
    """A configuration: its name, title and published-able objects."""

    name: str
    title: str
    objects: dict[str, ObjectDef]

    def clone(self) -> Configuration:
        """A private copy a base may change (renames) without touching the shared definition."""
        return copy.deepcopy(self)
