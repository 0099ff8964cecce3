"""`$metadata`: the EDMX/CSDL document 1C writes for the published objects, and the service document.

Shape (platform docs 17.4.4 and 17.4.7, hacker-cb/1c-odata docs/1c/markdown/; real `$metadata` of a 1C base in
repo datareducer/console, commit 8742fe5, src/test/resources/odata/metadata.xml): types in the namespace
`StandardODATA`; `DataServiceVersion` and `MaxDataServiceVersion` 3.0 on DataServices; an EntityType per
object keyed by `Ref_Key`, non-key properties `Nullable="true"`; tabular sections as
`Collection(StandardODATA.<Object>_<Table>_RowType)` properties plus a `<Object>_<Table>` entity set;
accumulation and accounting registers as `OpenType="true"` record-set entities keyed by `Recorder` +
`Recorder_Type` (a recorder may be one of several document types), a `_RecordType` entity set keyed by
`Recorder`, `LineNumber`, `Recorder_Type`, and `_Balance` / `_Turnover` / `_BalanceAndTurnover` complex types
returned by bound FunctionImports with `IsSideEffecting="false"`; `Post`/`Unpost` FunctionImports
(`IsSideEffecting="true"`) bound to each document type through `bindingParameter`; an `EnumType` per
enumeration the published objects hold (enums.py). The entity container is `EnterpriseV8`, as in real answers
(the review of issue 11 and a public БП/ЗУП `$metadata`); the platform docs do not name it.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from b24sandbox.onec import accounting, enums
from b24sandbox.onec.schema import (
    ACCUMULATION_REGISTER,
    DOCUMENT,
    INFORMATION_REGISTER,
    ObjectDef,
)
from b24sandbox.onec.store import Base

_NS = "StandardODATA"
_CONTAINER = "EnterpriseV8"


def virtual_table_columns(obj: ObjectDef, function: str) -> dict[str, str]:
    """Columns of a register virtual table: dimensions as-is, resources with 1C's English suffixes."""
    if obj.is_accounting:
        return accounting.columns(obj, function)
    cols: dict[str, str] = {}
    for dim in obj.dimensions:
        cols.update(dict(dim.props()))
    if function == "SliceLast" or function == "SliceFirst":
        cols = {"Period": "Edm.DateTime", **cols}
        for res in obj.resources:
            cols.update(dict(res.props()))
        return cols
    suffixes = {
        "Balance": ["Balance"],
        "Turnovers": ["Turnover", "Receipt", "Expense"] if obj.balance else ["Turnover"],
        "BalanceAndTurnovers": ["OpeningBalance", "Turnover", "Receipt", "Expense", "ClosingBalance"],
    }[function]
    for res in obj.resources:
        if res.kind == "number":
            for suffix in suffixes:
                cols[f"{res.name}{suffix}"] = "Edm.Double"
    return cols


def virtual_functions(obj: ObjectDef) -> dict[str, list[tuple[str, str]]]:
    """Function name → its parameters, for a register (17.4.9: names are the query language's English names)."""
    if obj.kind == INFORMATION_REGISTER:
        params = [("Period", "Edm.DateTime"), ("Condition", "Edm.String")]
        return {"SliceLast": params, "SliceFirst": params}
    if obj.is_accounting:
        return accounting.FUNCTIONS
    if obj.kind != ACCUMULATION_REGISTER:
        return {}
    tail = [("Condition", "Edm.String"), ("Dimensions", "Edm.String")]
    span = [("StartPeriod", "Edm.DateTime"), ("EndPeriod", "Edm.DateTime")]
    functions = {"Turnovers": span + tail}
    if obj.balance:
        functions["Balance"] = [("Period", "Edm.DateTime"), *tail]
        functions["BalanceAndTurnovers"] = span + tail
    return functions


def _props_xml(props: dict[str, str], lines: list[str], indent: str, key_nullable: set[str]) -> None:
    for name, edm in props.items():
        nullable = "false" if name in key_nullable else "true"
        lines.append(f"{indent}<Property Name={quoteattr(name)} Type=\"{edm}\" Nullable=\"{nullable}\"/>")


def _key_xml(keys: list[str]) -> str:
    return "   <Key>" + "".join(f"<PropertyRef Name={quoteattr(k)}/>" for k in keys) + "</Key>"


class _Document:
    """The parts of the EDMX document, filled object by object and joined in 1C's order."""

    def __init__(self) -> None:
        self.types: list[str] = []
        self.associations: list[str] = []
        self.sets: list[str] = []
        self.functions: list[str] = []
        self.enumerations: dict[str, tuple[str, ...]] = {}

    def entity_set(self, name: str, type_name: str = "") -> None:
        self.sets.append(f"   <EntitySet Name={quoteattr(name)} EntityType=\"{_NS}.{type_name or name}\"/>")


def render_metadata(base: Base) -> str:
    """The EDMX document for the base's currently published objects."""
    doc = _Document()
    for name, obj in base.config.objects.items():
        if name not in base.published:
            continue
        if obj.has_recorder:
            _register_types(obj, doc)
        elif obj.kind == INFORMATION_REGISTER:
            _information_register_types(obj, doc)
        else:
            _object_types(obj, base, doc)
        _functions(obj, doc)
        _collect_enumerations(obj, doc, base.config.enumerations)
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0">',
        ' <edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
        'm:DataServiceVersion="3.0" m:MaxDataServiceVersion="3.0">',
        f'  <Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" Namespace="{_NS}">',
        *doc.types,
        *doc.associations,
        *_enum_types_xml(doc.enumerations),
        f'  <EntityContainer Name="{_CONTAINER}" m:IsDefaultEntityContainer="true">',
        *doc.sets,
        *doc.functions,
        "  </EntityContainer>",
        "  </Schema>",
        " </edmx:DataServices>",
        "</edmx:Edmx>",
        "",
    ])


def _object_types(obj: ObjectDef, base: Base, doc: _Document) -> None:
    """A catalog, document or chart: its entity type with navigation properties, and its tabular sections."""
    name = obj.set_name
    types = doc.types
    types.append(f"  <EntityType Name={quoteattr(name)}>")
    types.append(_key_xml(["Ref_Key"]))
    _props_xml(obj.props(), types, "   ", {"Ref_Key"})
    for table in obj.tables:
        types.append(f"   <Property Name={quoteattr(table)} "
                     f"Type=\"Collection({_NS}.{name}_{table}_RowType)\" Nullable=\"false\"/>")
    for ref in obj.ref_attrs():
        if ref.target not in base.published:
            continue
        assoc = f"{name}_{ref.name}"
        types.append(f"   <NavigationProperty Name={quoteattr(ref.name)} "
                     f"Relationship=\"{_NS}.{assoc}\" FromRole=\"Begin\" ToRole=\"End\"/>")
        doc.associations.append(
            f"  <Association Name={quoteattr(assoc)}>"
            f"<End Role=\"Begin\" Type=\"{_NS}.{name}\" Multiplicity=\"*\"/>"
            f"<End Role=\"End\" Type=\"{_NS}.{ref.target}\" Multiplicity=\"0..1\"/></Association>")
    types.append("  </EntityType>")
    doc.entity_set(name)
    for table in obj.tables:
        row_props = obj.row_props(table)
        types.append(f"  <EntityType Name=\"{name}_{table}\">")
        types.append(_key_xml(["Ref_Key", "LineNumber"]))
        _props_xml(row_props, types, "   ", {"Ref_Key", "LineNumber"})
        types.append("  </EntityType>")
        types.append(f"  <ComplexType Name=\"{name}_{table}_RowType\">")
        _props_xml(row_props, types, "   ", {"Ref_Key", "LineNumber"})
        types.append("  </ComplexType>")
        doc.entity_set(f"{name}_{table}")


def _information_register_types(obj: ObjectDef, doc: _Document) -> None:
    name = obj.set_name
    keys = (["Period"] if obj.periodic else []) + [d.prop for d in obj.dimensions]
    doc.types.append(f"  <EntityType Name={quoteattr(name)}>")
    doc.types.append(_key_xml(keys))
    _props_xml(obj.props(), doc.types, "   ", set(keys))
    doc.types.append("  </EntityType>")
    doc.types.append(f"  <ComplexType Name=\"{name}_RecordType\">")
    _props_xml(virtual_table_columns(obj, "SliceLast"), doc.types, "   ", set())
    doc.types.append("  </ComplexType>")
    doc.entity_set(name)


def _functions(obj: ObjectDef, doc: _Document) -> None:
    """Post/Unpost of a document (actions: IsSideEffecting="true") and a register's virtual tables
    (functions: IsSideEffecting="false"), as the real `$metadata` writes them — without m:HttpMethod."""
    name = obj.set_name
    # A recorder-subordinate information register's slices are bound to its records:
    # `InformationRegister_X_RecordType/SliceLast` (17.4.13.1.1, «к имени регистра следует добавить _RecordType»).
    bound = f"{name}_RecordType" if obj.kind == INFORMATION_REGISTER and obj.recorder_subordinate else name
    binding = f"<Parameter Name=\"bindingParameter\" Type=\"{_NS}.{bound}\"/>"
    if obj.kind == DOCUMENT:
        doc.functions.append(
            f"   <FunctionImport Name=\"Post\" IsBindable=\"true\" IsSideEffecting=\"true\">{binding}"
            "<Parameter Name=\"PostingModeOperational\" Type=\"Edm.Boolean\"/></FunctionImport>")
        doc.functions.append(
            f"   <FunctionImport Name=\"Unpost\" IsBindable=\"true\" IsSideEffecting=\"true\">{binding}"
            "</FunctionImport>")
    for function, params in virtual_functions(obj).items():
        suffix = "RecordType" if obj.kind == INFORMATION_REGISTER else result_suffix(function)
        param_xml = "".join(f"<Parameter Name=\"{p}\" Type=\"{t}\"/>" for p, t in params)
        doc.functions.append(
            f"   <FunctionImport Name=\"{function}\" IsBindable=\"true\" IsSideEffecting=\"false\" "
            f"ReturnType=\"Collection({_NS}.{name}_{suffix})\">{binding}{param_xml}</FunctionImport>")


def _collect_enumerations(obj: ObjectDef, doc: _Document, known: dict[str, tuple[str, ...]]) -> None:
    """Members from the configuration's facts (Enum values) when it has them, else enums.py's lists."""
    attrs = [*obj.columns(), *(a for rows in obj.tables.values() for a in rows)]
    for attr in attrs:
        if attr.kind == "enum" and attr.enumeration:
            members = known.get(attr.enumeration) or enums.members(attr.enumeration)
            doc.enumerations.setdefault(attr.enumeration, members)


def _enum_types_xml(enumerations: dict[str, tuple[str, ...]]) -> list[str]:
    # `<EnumType Name="ХарактерВыплатыЗарплаты" UnderlyingType="Edm.Int32"><Member Name="Аванс"/>…` in a
    # public БП/ЗУП `$metadata`: members by name only. Values stay Edm.String properties (17.4.3).
    lines = []
    for name, members in enumerations.items():
        member_xml = "".join(f"<Member Name={quoteattr(m)}/>" for m in members)
        lines.append(f"  <EnumType Name={quoteattr(name)} UnderlyingType=\"Edm.Int32\">{member_xml}</EnumType>")
    return lines


def result_suffix(function: str) -> str:
    """Name suffix of the complex type a virtual table returns (`<Register>_Turnover` for Turnovers…)."""
    return {"Turnovers": "Turnover", "BalanceAndTurnovers": "BalanceAndTurnover"}.get(function, function)


def _register_types(obj: ObjectDef, doc: _Document) -> None:
    """An accumulation/accounting register: the record set keyed by its recorder, the record type, and the
    virtual tables' row types. A recorder may be a document of several types, so the record set's key is
    `Recorder` + `Recorder_Type` and a record's is `Recorder`, `LineNumber`, `Recorder_Type` (real
    `$metadata`, datareducer/console metadata.xml: AccountingRegister_Хозрасчетный and its _RecordType)."""
    name = obj.set_name
    record_props = obj.props()
    record_keys = {"Recorder", "Recorder_Type", "LineNumber"}
    types = doc.types
    types.append(f"  <EntityType Name={quoteattr(name)} OpenType=\"true\">")
    types.append(_key_xml(["Recorder", "Recorder_Type"]))
    types.append("   <Property Name=\"Recorder\" Type=\"Edm.String\" Nullable=\"false\"/>")
    types.append(f"   <Property Name=\"RecordSet\" Type=\"Collection({_NS}.{name}_RowType)\" Nullable=\"false\"/>")
    types.append("   <Property Name=\"Recorder_Type\" Type=\"Edm.String\" Nullable=\"false\"/>")
    types.append("  </EntityType>")
    types.append(f"  <ComplexType Name=\"{name}_RowType\">")
    _props_xml(record_props, types, "   ", record_keys)
    types.append("  </ComplexType>")
    types.append(f"  <EntityType Name=\"{name}_RecordType\" OpenType=\"true\">")
    types.append(_key_xml(["Recorder", "LineNumber", "Recorder_Type"]))
    _props_xml(record_props, types, "   ", record_keys)
    types.append("  </EntityType>")
    for function in virtual_functions(obj) if obj.kind != INFORMATION_REGISTER else ():
        types.append(f"  <ComplexType Name=\"{name}_{result_suffix(function)}\">")
        _props_xml(virtual_table_columns(obj, function), types, "   ", set())
        types.append("  </ComplexType>")
    doc.entity_set(name)
    doc.entity_set(f"{name}_RecordType")


def entity_set_names(base: Base) -> list[str]:
    """Entity sets listed by the service document, in metadata order."""
    names = []
    for name, obj in base.config.objects.items():
        if name not in base.published:
            continue
        names.append(name)
        if obj.has_recorder:
            names.append(f"{name}_RecordType")
        names.extend(f"{name}_{table}" for table in obj.tables)
    return names


def render_service_document_atom(base_url: str, names: list[str]) -> str:
    collections = "".join(
        f"<collection href={quoteattr(n)}><atom:title>{n}</atom:title></collection>" for n in names)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<service xmlns="http://www.w3.org/2007/app" xmlns:atom="http://www.w3.org/2005/Atom" '
        f'xml:base={quoteattr(base_url)}><workspace><atom:title>Default</atom:title>{collections}'
        "</workspace></service>\n"
    )
