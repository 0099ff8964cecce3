"""How the sandbox describes a configuration's objects, and how they map onto OData properties.

The mapping follows the platform docs (hacker-cb/1c-odata, docs/1c/markdown/, 17.4.3 «Представление
данных»): a reference attribute `X` becomes the Edm.Guid property `X_Key` plus a navigation property `X`;
a composite attribute becomes two Edm.String properties `X` and `X_Type`; integers are Edm.Int16/Int32/Int64
by their digits (facts/publication.py), written in JSON as serialize.json_value says (Int32/Int64 as strings
like LineNumber "1", Int16 as numbers — ../shared/samples/odata/).
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
    "storage": "Edm.Binary",
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
    "storage": "",
}


@dataclass
class Attr:
    """One attribute of a 1C object (or of a tabular section row, or a register column)."""

    name: str
    kind: str
    target: str = ""  # entity set a reference points to
    max_length: int | None = None
    enumeration: str = ""  # the configuration's enumeration an "enum" attribute holds, for $metadata EnumType
    edm: str = ""  # Edm type when the kind does not decide it (integers: Int16/Int32/Int64 by digits, 17.4.3)
    targets: tuple[str, ...] = ()  # entity sets a composite attribute may point to (facts' type list)

    @property
    def prop(self) -> str:
        """The OData property carrying the value."""
        if self.kind == "ref":
            return f"{self.name}_Key"
        return f"{self.name}_Base64Data" if self.kind == "storage" else self.name

    def props(self) -> list[tuple[str, str]]:
        """(property name, Edm type) pairs this attribute contributes, in 1C's order."""
        if self.kind == "composite":
            return [(self.name, "Edm.String"), (f"{self.name}_Type", "Edm.String")]
        if self.kind == "storage":
            # 17.4.3: ValueStorage → <Name>_Base64Data (Edm.Binary) and <Name>_Type.
            return [(self.prop, "Edm.Binary"), (f"{self.name}_Type", "Edm.String")]
        return [(self.prop, self.edm or EDM_TYPES[self.kind])]

    def default_values(self) -> dict[str, object]:
        if self.kind == "composite":
            return {self.name: "", f"{self.name}_Type": UNDEFINED_TYPE}
        if self.kind == "storage":
            return {self.prop: "", f"{self.name}_Type": ""}
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
    # What the facts decide (publication.py, standard_properties); the defaults keep hand-made objects as before.
    has_code: bool = True  # CodeLength > 0
    folders: bool | None = None  # HierarchyFoldersAndItems → IsFolder; None = follow `hierarchical`
    has_description: bool = True  # DescriptionLength > 0
    owners: tuple[str, ...] = ()  # several owner types: Owner + Owner_Type instead of Owner_Key
    has_number: bool = True  # documents: NumberLength > 0
    has_posted: bool = True  # documents: Posting = Allow
    recorder_subordinate: bool = False  # information register written by documents (Recorder, _RecordType)
    chart_standard: list[Attr] = field(default_factory=list)  # charts of accounts: Order, Type, OffBalance, flags

    @property
    def kind(self) -> str:
        return self.set_name.split("_", 1)[0]

    @property
    def is_register(self) -> bool:
        return self.kind in (INFORMATION_REGISTER, ACCUMULATION_REGISTER, ACCOUNTING_REGISTER)

    @property
    def has_recorder(self) -> bool:
        """Records belong to a recorder document: read as record sets and `<Register>_RecordType`."""
        subordinate = self.kind == INFORMATION_REGISTER and self.recorder_subordinate
        return self.kind in REGISTERS_WITH_RECORDERS or subordinate

    @property
    def is_accounting(self) -> bool:
        return self.kind == ACCOUNTING_REGISTER and bool(self.chart)

    def standard_props(self) -> list[tuple[str, str]]:
        """System properties in the order 1C writes them (see the samples)."""
        if self.kind in (CATALOG, CHART_OF_ACCOUNTS, CHART_OF_CHARACTERISTIC_TYPES):
            props = [("Ref_Key", "Edm.Guid"), ("DataVersion", "Edm.String"), ("DeletionMark", "Edm.Boolean")]
            if self.owners:
                props += [("Owner", "Edm.String"), ("Owner_Type", "Edm.String")]
            elif self.owner:
                props.append(("Owner_Key", "Edm.Guid"))
            if self.hierarchical:
                props.append(("Parent_Key", "Edm.Guid"))
                if self.folders is None or self.folders:
                    props.append(("IsFolder", "Edm.Boolean"))
            if self.has_code:
                props.append(("Code", "Edm.String"))
            if self.has_description:
                props.append(("Description", "Edm.String"))
            for attr in self.chart_standard:
                props += attr.props()
            return props
        if self.kind == DOCUMENT:
            props = [("Ref_Key", "Edm.Guid"), ("DataVersion", "Edm.String"), ("DeletionMark", "Edm.Boolean")]
            if self.has_number:
                props.append(("Number", "Edm.String"))
            props.append(("Date", "Edm.DateTime"))
            if self.has_posted:
                props.append(("Posted", "Edm.Boolean"))
            return props
        if self.kind == INFORMATION_REGISTER:
            # publication.record_properties: a recorder-subordinate register's records carry the recorder.
            subordinate = self.recorder_subordinate
            recorder = [("Recorder", "Edm.String"), ("Recorder_Type", "Edm.String")] if subordinate else []
            period = [("Period", "Edm.DateTime")] if self.periodic else []
            tail = [("LineNumber", "Edm.Int64"), ("Active", "Edm.Boolean")] if subordinate else []
            return recorder + period + tail
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
        if self.owner and not self.owners:
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
    # enumeration → member names, for $metadata EnumType (facts' Enum values); empty = enums.py's lists
    enumerations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    release: str = ""  # the facts file the configuration is built from, e.g. ut-11.5.27.56

    @property
    def family(self) -> str:
        """ut, bp or unf: which seed and posting rules apply (the release's prefix, facts/SOURCES.md)."""
        if self.release:
            return self.release.split("-", 1)[0]
        return {"ut11": "ut", "bp30": "bp"}.get(self.name, self.name)

    def clone(self) -> Configuration:
        """A private copy a base may change (renames) without touching the shared definition."""
        return copy.deepcopy(self)
