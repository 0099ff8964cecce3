"""What the standard OData interface publishes for an object, derived from its configuration facts.

The platform's publication rules (1C:Enterprise 8.3.27 docs, chapter 17.4 «Стандартный интерфейс OData», repo
hacker-cb/1c-odata, docs/1c/markdown/17.4_-_Cтандартный_интерфейс_OData_8_3_27.md):

* 17.4.3 «Представление данных» — String → Edm.String, Date → Edm.DateTime, an integer Number → Edm.Int16/Int32/
  Int64, a fractional Number → Edm.Double, Boolean → Edm.Boolean, a reference or UUID → Edm.Guid (a reference
  attribute `X` is published as `X_Key` plus a navigation property `X`), an enum → Edm.String, a composite type →
  two Edm.String properties `X` and `X_Type`, ValueStorage → `X_Base64Data` and `X_Type` (plus a navigation
  property);
* 17.4.4 «Правила формирования имен» — entity sets `<Prefix>_<Name>`, tabular sections `<Set>_<Section>`, register
  records `<Register>_RecordType`;
* the standard attributes of each kind (Ref_Key, DataVersion, DeletionMark; Code only when the catalog has one,
  Parent_Key with hierarchy and IsFolder only for folder hierarchies, Owner_Key for subordinate catalogs; Number,
  Date, Posted for documents; Recorder, Period, LineNumber, Active, RecordType for register records).

The doc names the integer types but not which digit count gets which; the sandbox picks the narrowest type whose
range holds the number of digits (Int16 up to 4, Int32 up to 9, else Int64).

Nothing here reads our app's profiles: the input is facts extracted from configuration dumps.
"""

from __future__ import annotations

from b24sandbox.onec.facts import AttributeFacts, ObjectFacts

REFERENCE_PREFIXES = (
    "cfg:CatalogRef.", "cfg:DocumentRef.", "cfg:ChartOfCharacteristicTypesRef.", "cfg:ChartOfAccountsRef.",
    "cfg:ChartOfCalculationTypesRef.", "cfg:ExchangePlanRef.", "cfg:BusinessProcessRef.", "cfg:TaskRef.",
)
_SET_PREFIX = {
    "cfg:CatalogRef.": "Catalog_", "cfg:DocumentRef.": "Document_",
    "cfg:ChartOfCharacteristicTypesRef.": "ChartOfCharacteristicTypes_", "cfg:ChartOfAccountsRef.": "ChartOfAccounts_",
    "cfg:ChartOfCalculationTypesRef.": "ChartOfCalculationTypes_", "cfg:ExchangePlanRef.": "ExchangePlan_",
    "cfg:BusinessProcessRef.": "BusinessProcess_", "cfg:TaskRef.": "Task_",
}
REFERENCE_KINDS = ("Catalog", "ChartOfCharacteristicTypes", "ChartOfAccounts", "ExchangePlan")


def reference_set(type_name: str) -> str | None:
    """The entity set a reference type points to (`cfg:CatalogRef.Склады` → `Catalog_Склады`), else None."""
    for prefix, set_prefix in _SET_PREFIX.items():
        if type_name.startswith(prefix):
            return set_prefix + type_name[len(prefix):]
    return None


def _types(attr: AttributeFacts) -> tuple[str, ...]:
    return attr.resolved or attr.types


def is_composite(attr: AttributeFacts) -> bool:
    types = _types(attr)
    return len(types) > 1 or any(t == "cfg:AnyIBRef" or t.startswith("cfg:AnyRef") for t in types)


def scalar_edm(attr: AttributeFacts) -> str:
    """The Edm type of a single-typed attribute's value property (17.4.3)."""
    (type_name,) = _types(attr)
    if type_name == "xs:string":
        return "Edm.String"
    if type_name == "xs:boolean":
        return "Edm.Boolean"
    if type_name == "xs:dateTime":
        return "Edm.DateTime"
    if type_name == "xs:decimal":
        if attr.fraction:
            return "Edm.Double"
        digits = attr.digits or 0
        return "Edm.Int16" if 0 < digits <= 4 else "Edm.Int32" if 0 < digits <= 9 else "Edm.Int64"
    if type_name == "v8:UUID" or reference_set(type_name):
        return "Edm.Guid"
    if type_name.startswith("cfg:EnumRef."):
        return "Edm.String"
    return "Edm.String"


def value_properties(attr: AttributeFacts) -> list[tuple[str, str]]:
    """The (property, Edm type) pairs one attribute contributes."""
    types = _types(attr)
    if is_composite(attr):
        return [(attr.name, "Edm.String"), (f"{attr.name}_Type", "Edm.String")]
    if types == ("v8:ValueStorage",):
        return [(f"{attr.name}_Base64Data", "Edm.Binary"), (f"{attr.name}_Type", "Edm.String")]
    if reference_set(types[0]):
        return [(f"{attr.name}_Key", "Edm.Guid")]
    return [(attr.name, scalar_edm(attr))]


def _attributes(attrs: tuple[AttributeFacts, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for attr in attrs:
        out.update(value_properties(attr))
    return out


def _owner_properties(obj: ObjectFacts) -> list[tuple[str, str]]:
    if not obj.owners:
        return []
    if len(obj.owners) == 1:
        return [("Owner_Key", "Edm.Guid")]
    return [("Owner", "Edm.String"), ("Owner_Type", "Edm.String")]


def standard_properties(obj: ObjectFacts) -> dict[str, str]:
    """The standard attributes the object's kind publishes, as its facts allow them."""
    props: dict[str, str] = {}
    if obj.kind in REFERENCE_KINDS:
        props.update({"Ref_Key": "Edm.Guid", "DataVersion": "Edm.String", "DeletionMark": "Edm.Boolean"})
        props.update(_owner_properties(obj))
        # A chart of accounts is always a hierarchy of items (accounts and subaccounts): Parent, no IsFolder.
        if obj.hierarchical or obj.kind == "ChartOfAccounts":
            props["Parent_Key"] = "Edm.Guid"
            if obj.has_folders:
                props["IsFolder"] = "Edm.Boolean"
        if obj.has_code:
            props["Code"] = "Edm.String"
        if (obj.description_length or 0) > 0:
            props["Description"] = "Edm.String"
        if obj.kind == "ChartOfAccounts":
            # Standard attributes Порядок/Вид/Забалансовый (Order, Type — an AccountType value, a string —,
            # OffBalance) and one Boolean per accounting flag (Признаки учета), as the sandbox's bp30 chart and
            # a real БП 3.0 `ChartOfAccounts_Хозрасчетный` answer (`Валютный`, `Количественный`) have them.
            props.update({"Order": "Edm.String", "Type": "Edm.String", "OffBalance": "Edm.Boolean"})
            props.update({flag: "Edm.Boolean" for flag in obj.accounting_flags})
        props.update({"Predefined": "Edm.Boolean", "PredefinedDataName": "Edm.String"})
    elif obj.kind == "Document":
        props.update({"Ref_Key": "Edm.Guid", "DataVersion": "Edm.String", "DeletionMark": "Edm.Boolean"})
        if (obj.number_length or 0) > 0:
            props["Number"] = "Edm.String"
        props["Date"] = "Edm.DateTime"
        if obj.posting != "Deny":
            props["Posted"] = "Edm.Boolean"
    return props


def properties(obj: ObjectFacts) -> dict[str, str]:
    """Every scalar property of the object's entity type (tabular sections are separate types)."""
    if obj.kind in ("InformationRegister", "AccumulationRegister", "AccountingRegister"):
        return record_properties(obj)
    return {**standard_properties(obj), **_attributes(obj.attributes)}


def row_properties(obj: ObjectFacts, section: str) -> dict[str, str]:
    """A tabular section row: `Ref_Key` of its object, `LineNumber` (Edm.Int64) and the section's attributes.
    A chart of accounts' standard section `ExtDimensionTypes` (Виды субконто) has the subconto kind, the
    «only turnovers» flag and one Boolean per subconto accounting flag."""
    if obj.kind == "ChartOfAccounts" and section == "ExtDimensionTypes":
        return {"Ref_Key": "Edm.Guid", "LineNumber": "Edm.Int64", "ExtDimensionType_Key": "Edm.Guid",
                "TurnoversOnly": "Edm.Boolean", **{f: "Edm.Boolean" for f in obj.ext_dimension_accounting_flags}}
    table = obj.tabular_section(section)
    return {"Ref_Key": "Edm.Guid", "LineNumber": "Edm.Int64", **_attributes(table.attributes)}


def record_properties(register: ObjectFacts, ext_dimensions: int = 0) -> dict[str, str]:
    """A register record (`<Register>_RecordType`): recorder fields when records belong to a document (every
    accumulation and accounting register; an information register in RecorderSubordinate mode), the period when
    the register is periodic, then dimensions, resources and attributes. `ext_dimensions` is the chart of
    accounts' MaxExtDimensionCount (accounting registers)."""
    if register.kind == "AccountingRegister":
        return _accounting_record_properties(register, ext_dimensions)
    props: dict[str, str] = {}
    if register.kind != "InformationRegister" or register.recorder_subordinate:
        props.update({"Recorder": "Edm.String", "Recorder_Type": "Edm.String"})
    if register.kind != "InformationRegister" or (register.periodicity or "Nonperiodical") != "Nonperiodical":
        props["Period"] = "Edm.DateTime"
    if register.kind != "InformationRegister" or register.recorder_subordinate:
        props.update({"LineNumber": "Edm.Int64", "Active": "Edm.Boolean"})
    if register.kind == "AccumulationRegister" and register.register_type != "Turnovers":
        props["RecordType"] = "Edm.String"
    for group in (register.dimensions, register.resources, register.attributes):
        props.update(_attributes(group))
    return props


def _sided(attrs: tuple[AttributeFacts, ...], sides: tuple[str, ...]) -> dict[str, str]:
    """An accounting register's dimensions/resources: one property when kept as a balance (`Балансовый`), else
    one per side — `СуммаDr` / `СуммаCr` — as the records of a real БП 3.0 $metadata show (the bp30 profile cites
    it)."""
    props: dict[str, str] = {}
    for attr in attrs:
        if attr.balance or not sides:
            props.update(value_properties(attr))
            continue
        for side in sides:
            for name, edm in value_properties(attr):
                props[name.replace(attr.name, attr.name + side, 1)] = edm
    return props


def _accounting_record_properties(register: ObjectFacts, ext_dimensions: int) -> dict[str, str]:
    sides = ("Dr", "Cr") if register.correspondence else ()
    props = {"Recorder": "Edm.String", "Recorder_Type": "Edm.String", "Period": "Edm.DateTime",
             "LineNumber": "Edm.Int64", "Active": "Edm.Boolean"}
    for side in sides or ("",):
        props[f"Account{side}_Key"] = "Edm.Guid"
        for n in range(1, ext_dimensions + 1):
            props[f"ExtDimension{side}{n}"] = "Edm.String"
            props[f"ExtDimension{side}{n}_Type"] = "Edm.String"
            props[f"ExtDimensionType{side}{n}_Key"] = "Edm.Guid"
    props.update(_sided(register.dimensions, sides))
    props.update(_sided(register.resources, sides))
    props.update(_attributes(register.attributes))
    return props


# The columns each virtual table adds per resource (the English names of the query language's virtual table
# fields, which 17.4 says the functions and their fields are named by): e.g. СуммаBalance, КоличествоTurnover.
_RESOURCE_COLUMNS = {
    "Balance": ("Balance",),
    "Turnovers": ("Turnover", "Receipt", "Expense"),
    "BalanceAndTurnovers": ("OpeningBalance", "Turnover", "Receipt", "Expense", "ClosingBalance"),
}
_ACCOUNTING_COLUMNS = {
    "Balance": ("Balance", "BalanceDr", "BalanceCr"),
    "Turnovers": ("Turnover", "TurnoverDr", "TurnoverCr"),
    "BalanceAndTurnovers": ("OpeningBalance", "OpeningBalanceDr", "OpeningBalanceCr", "Turnover", "TurnoverDr",
                            "TurnoverCr", "ClosingBalance", "ClosingBalanceDr", "ClosingBalanceCr"),
}


def virtual_table_properties(register: ObjectFacts, table: str, ext_dimensions: int = 0) -> dict[str, str]:
    """The columns of one virtual table's rows: the dimensions, then each resource with the table's suffixes
    (accumulation and accounting registers), or the record's own columns for an information register's slice."""
    if register.kind == "InformationRegister":
        return {k: v for k, v in record_properties(register).items()
                if k not in ("Recorder", "Recorder_Type", "LineNumber", "Active")}
    props = _attributes(register.dimensions)
    columns = _RESOURCE_COLUMNS
    if register.kind == "AccountingRegister":
        props["Account_Key"] = "Edm.Guid"
        for n in range(1, ext_dimensions + 1):
            props[f"ExtDimension{n}"] = "Edm.String"
            props[f"ExtDimension{n}_Type"] = "Edm.String"
        columns = _ACCOUNTING_COLUMNS
    elif register.register_type == "Turnovers":
        columns = {"Turnovers": ("Turnover",)}
    for resource in register.resources:
        for suffix in columns.get(table, ()):
            props[resource.name + suffix] = "Edm.Double"
    return props


def virtual_tables(register: ObjectFacts) -> tuple[str, ...]:
    """The virtual tables (functions) a register publishes (17.4.13.2): balances and turnovers for accumulation
    registers of balances, turnovers only otherwise; slices for periodic information registers."""
    if register.kind == "AccumulationRegister":
        return ("Balance", "Turnovers", "BalanceAndTurnovers") if register.register_type != "Turnovers" \
            else ("Turnovers",)
    if register.kind == "InformationRegister":
        return ("SliceFirst", "SliceLast") if (register.periodicity or "Nonperiodical") != "Nonperiodical" else ()
    if register.kind == "AccountingRegister":
        return ("Balance", "Turnovers", "BalanceAndTurnovers", "DrCrTurnovers", "ExtDimensions",
                "RecordsWithExtDimensions")
    return ()
