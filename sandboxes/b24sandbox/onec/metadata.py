"""`$metadata`: the EDMX/CSDL document 1C writes for the published objects, and the service document.

Shape (platform docs 17.4.4 and 17.4.7, hacker-cb/1c-odata docs/1c/markdown/; the CSDL fixtures in
that repo's packages/cli/test/codegen/fixtures/): namespace `StandardODATA`; an EntityType per object keyed by
`Ref_Key`; tabular sections as `Collection(StandardODATA.<Object>_<Table>_RowType)` properties plus a
`<Object>_<Table>` entity set; accumulation registers as a record-set entity keyed by `Recorder`, a
`_RecordType` entity set, and `_Balance` / `_Turnover` / `_BalanceAndTurnover` complex types returned by bound
FunctionImports; `Post`/`Unpost` FunctionImports bound to each document type through `bindingParameter`.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from b24sandbox.onec import accounting
from b24sandbox.onec.schema import (
    ACCUMULATION_REGISTER,
    DOCUMENT,
    INFORMATION_REGISTER,
    REGISTERS_WITH_RECORDERS,
    ObjectDef,
)
from b24sandbox.onec.store import Base

_NS = "StandardODATA"


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


def render_metadata(base: Base) -> str:
    """The EDMX document for the base's currently published objects."""
    objects = [o for name, o in base.config.objects.items() if name in base.published]
    types: list[str] = []
    associations: list[str] = []
    sets: list[str] = []
    functions: list[str] = []
    for obj in objects:
        name = obj.set_name
        if obj.kind in REGISTERS_WITH_RECORDERS:
            _register_types(obj, types, sets)
        elif obj.kind == INFORMATION_REGISTER:
            keys = (["Period"] if obj.periodic else []) + [d.prop for d in obj.dimensions]
            types.append(f"  <EntityType Name={quoteattr(name)}>")
            types.append("   <Key>" + "".join(f"<PropertyRef Name={quoteattr(k)}/>" for k in keys) + "</Key>")
            _props_xml(obj.props(), types, "   ", set(keys))
            types.append("  </EntityType>")
            sets.append(f"   <EntitySet Name={quoteattr(name)} EntityType=\"{_NS}.{name}\"/>")
        else:
            types.append(f"  <EntityType Name={quoteattr(name)}>")
            types.append("   <Key><PropertyRef Name=\"Ref_Key\"/></Key>")
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
                associations.append(
                    f"  <Association Name={quoteattr(assoc)}>"
                    f"<End Role=\"Begin\" Type=\"{_NS}.{name}\" Multiplicity=\"*\"/>"
                    f"<End Role=\"End\" Type=\"{_NS}.{ref.target}\" Multiplicity=\"0..1\"/></Association>")
            types.append("  </EntityType>")
            sets.append(f"   <EntitySet Name={quoteattr(name)} EntityType=\"{_NS}.{name}\"/>")
            for table in obj.tables:
                row_props = obj.row_props(table)
                types.append(f"  <EntityType Name=\"{name}_{table}\">")
                types.append("   <Key><PropertyRef Name=\"Ref_Key\"/><PropertyRef Name=\"LineNumber\"/></Key>")
                _props_xml(row_props, types, "   ", {"Ref_Key", "LineNumber"})
                types.append("  </EntityType>")
                types.append(f"  <ComplexType Name=\"{name}_{table}_RowType\">")
                _props_xml(row_props, types, "   ", {"Ref_Key", "LineNumber"})
                types.append("  </ComplexType>")
                sets.append(f"   <EntitySet Name=\"{name}_{table}\" EntityType=\"{_NS}.{name}_{table}\"/>")
        if obj.kind == DOCUMENT:
            functions.append(
                f"   <FunctionImport Name=\"Post\" IsBindable=\"true\" IsSideEffecting=\"true\" m:HttpMethod=\"POST\">"
                f"<Parameter Name=\"bindingParameter\" Type=\"{_NS}.{name}\"/>"
                f"<Parameter Name=\"PostingModeOperational\" Type=\"Edm.Boolean\"/></FunctionImport>")
            functions.append(
                f"   <FunctionImport Name=\"Unpost\" IsBindable=\"true\" IsSideEffecting=\"true\" "
                f"m:HttpMethod=\"POST\">"
                f"<Parameter Name=\"bindingParameter\" Type=\"{_NS}.{name}\"/></FunctionImport>")
        for function, params in virtual_functions(obj).items():
            suffix = "RecordType" if obj.kind == INFORMATION_REGISTER else result_suffix(function)
            result = f"{name}_{suffix}"
            param_xml = "".join(f"<Parameter Name=\"{p}\" Type=\"{t}\"/>" for p, t in params)
            functions.append(
                f"   <FunctionImport Name=\"{function}\" ReturnType=\"Collection({_NS}.{result})\" "
                f"IsBindable=\"true\" m:HttpMethod=\"GET\">"
                f"<Parameter Name=\"bindingParameter\" Type=\"{_NS}.{name}\"/>{param_xml}</FunctionImport>")
        if obj.kind == INFORMATION_REGISTER:
            types.append(f"  <ComplexType Name=\"{name}_RecordType\">")
            _props_xml(virtual_table_columns(obj, "SliceLast"), types, "   ", set())
            types.append("  </ComplexType>")
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0">',
        ' <edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
        'm:DataServiceVersion="3.0">',
        f'  <Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" Namespace="{_NS}">',
        *types,
        *associations,
        f'  <EntityContainer Name="{_NS}" m:IsDefaultEntityContainer="true">',
        *sets,
        *functions,
        "  </EntityContainer>",
        "  </Schema>",
        " </edmx:DataServices>",
        "</edmx:Edmx>",
        "",
    ])


def result_suffix(function: str) -> str:
    """Name suffix of the complex type a virtual table returns (`<Register>_Turnover` for Turnovers…)."""
    return {"Turnovers": "Turnover", "BalanceAndTurnovers": "BalanceAndTurnover"}.get(function, function)


def _register_types(obj: ObjectDef, types: list[str], sets: list[str]) -> None:
    name = obj.set_name
    record_props = obj.props()
    types.append(f"  <EntityType Name={quoteattr(name)}>")
    types.append("   <Key><PropertyRef Name=\"Recorder\"/></Key>")
    types.append("   <Property Name=\"Recorder\" Type=\"Edm.String\" Nullable=\"false\"/>")
    types.append("   <Property Name=\"Recorder_Type\" Type=\"Edm.String\" Nullable=\"false\"/>")
    types.append(f"   <Property Name=\"RecordSet\" Type=\"Collection({_NS}.{name}_RowType)\" Nullable=\"false\"/>")
    types.append("  </EntityType>")
    types.append(f"  <ComplexType Name=\"{name}_RowType\">")
    _props_xml(record_props, types, "   ", {"Recorder", "LineNumber"})
    types.append("  </ComplexType>")
    types.append(f"  <EntityType Name=\"{name}_RecordType\">")
    types.append("   <Key><PropertyRef Name=\"Recorder\"/><PropertyRef Name=\"LineNumber\"/></Key>")
    _props_xml(record_props, types, "   ", {"Recorder", "LineNumber"})
    types.append("  </EntityType>")
    for function in virtual_functions(obj):
        types.append(f"  <ComplexType Name=\"{name}_{result_suffix(function)}\">")
        _props_xml(virtual_table_columns(obj, function), types, "   ", set())
        types.append("  </ComplexType>")
    sets.append(f"   <EntitySet Name={quoteattr(name)} EntityType=\"{_NS}.{name}\"/>")
    sets.append(f"   <EntitySet Name=\"{name}_RecordType\" EntityType=\"{_NS}.{name}_RecordType\"/>")


def entity_set_names(base: Base) -> list[str]:
    """Entity sets listed by the service document, in metadata order."""
    names = []
    for name, obj in base.config.objects.items():
        if name not in base.published:
            continue
        names.append(name)
        if obj.kind in REGISTERS_WITH_RECORDERS:
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
