"""A sandbox `Configuration` built from the facts of one real configuration release and a publication list.

The objects a base publishes are an administrator's choice in real life («Настройка состава стандартного
интерфейса OData»); the sandbox keeps them in data files, facts/publications/<family>.toml, one table per sandbox
configuration (`[ut11]`: `facts` = the fact file, `title`, `objects` = entity sets). Every attribute, tabular
section and register column of a published object, with its kind (reference and its target, composite and its
targets, enumeration, string length, integer or fractional number, boolean, date, value storage) comes from the
facts (facts/SOURCES.md), mapped by the platform's publication rules (facts/publication.py, docs 17.4.3/17.4.4).
Nothing here reads the app's profiles.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from b24sandbox.onec import facts
from b24sandbox.onec.facts import AttributeFacts, ConfigurationFacts, ObjectFacts, publication
from b24sandbox.onec.schema import Attr, Configuration, ObjectDef

PUBLICATION_FILES = ("ut", "bp", "unf")


def attr_from_facts(attr: AttributeFacts) -> Attr:
    """One typed field → the sandbox's Attr, by the published form publication.value_properties gives."""
    types = attr.resolved or attr.types
    if publication.is_composite(attr):
        targets = tuple(t for t in (publication.reference_set(x) for x in types) if t)
        return Attr(attr.name, "composite", targets=targets)
    (type_name,) = types
    if type_name == "v8:ValueStorage":
        return Attr(attr.name, "storage")
    target = publication.reference_set(type_name)
    if target:
        return Attr(attr.name, "ref", target=target)
    if type_name.startswith("cfg:EnumRef."):
        return Attr(attr.name, "enum", enumeration=type_name.removeprefix("cfg:EnumRef."))
    edm = publication.scalar_edm(attr)
    if type_name == "xs:string":
        return Attr(attr.name, "string", max_length=attr.length or None)
    if edm == "Edm.Double":
        return Attr(attr.name, "number")
    if edm.startswith("Edm.Int"):
        return Attr(attr.name, "int", edm=edm)
    kind = {"Edm.Boolean": "bool", "Edm.DateTime": "date", "Edm.Guid": "guid"}.get(edm, "string")
    return Attr(attr.name, kind)


def _attrs(items: tuple[AttributeFacts, ...]) -> list[Attr]:
    return [attr_from_facts(a) for a in items]


def _owner_sets(obj: ObjectFacts) -> tuple[str, ...]:
    # Owners are written "Catalog.X" in the dump.
    return tuple(f"{kind}_{name}" for kind, _, name in (o.partition(".") for o in obj.owners))


def _chart_standard(obj: ObjectFacts) -> list[Attr]:
    """Standard attributes of a chart of accounts (publication.standard_properties): Order, Type, OffBalance
    and one boolean per accounting flag."""
    return [Attr("Order", "string"), Attr("Type", "enum"), Attr("OffBalance", "bool"),
            *(Attr(flag, "bool") for flag in obj.accounting_flags)]


def _chart_tables(config: ConfigurationFacts, obj: ObjectFacts) -> dict[str, list[Attr]]:
    kinds = obj.ext_dimension_types or ""
    kind_set = kinds.replace(".", "_", 1)
    rows = [Attr("ExtDimensionType", "ref", target=kind_set), Attr("TurnoversOnly", "bool"),
            *(Attr(flag, "bool") for flag in obj.ext_dimension_accounting_flags)]
    return {"ExtDimensionTypes": rows} if kinds else {}


def object_from_facts(config: ConfigurationFacts, obj: ObjectFacts) -> ObjectDef:
    """One published object, every field from its facts."""
    set_name = obj.entity_set
    tables = {t.name: _attrs(t.attributes) for t in obj.tabular_sections}
    if obj.kind in publication.REFERENCE_KINDS:
        owners = _owner_sets(obj)
        chart = obj.kind == "ChartOfAccounts"
        if chart:
            tables = {**_chart_tables(config, obj), **tables}
        return ObjectDef(
            set_name, _attrs(obj.attributes), tables,
            hierarchical=bool(obj.hierarchical) or chart, folders=obj.has_folders,
            owner=owners[0] if len(owners) == 1 else "", owners=owners if len(owners) > 1 else (),
            code_length=obj.code_length or 0, has_code=obj.has_code,
            description_length=obj.description_length or 0, has_description=(obj.description_length or 0) > 0,
            chart_standard=_chart_standard(obj) if chart else [])
    if obj.kind == "Document":
        return ObjectDef(set_name, _attrs(obj.attributes), tables, has_number=(obj.number_length or 0) > 0,
                         has_posted=obj.posting != "Deny")
    if obj.kind == "InformationRegister":
        return ObjectDef(set_name, attrs=_attrs(obj.attributes), dimensions=_attrs(obj.dimensions),
                         resources=_attrs(obj.resources),
                         periodic=(obj.periodicity or "Nonperiodical") != "Nonperiodical",
                         recorder_subordinate=obj.recorder_subordinate)
    if obj.kind == "AccumulationRegister":
        return ObjectDef(set_name, attrs=_attrs(obj.attributes), dimensions=_attrs(obj.dimensions),
                         resources=_attrs(obj.resources), balance=obj.register_type != "Turnovers")
    if obj.kind == "AccountingRegister":
        # Fields without the «Балансовый» flag are kept per side (publication._sided): <Name>Dr / <Name>Cr.
        unbalanced = tuple(a.name for a in (*obj.dimensions, *obj.resources) if not a.balance)
        chart = (obj.chart_of_accounts or "").replace(".", "_", 1)
        return ObjectDef(set_name, attrs=_attrs(obj.attributes), dimensions=_attrs(obj.dimensions),
                         resources=_attrs(obj.resources), chart=chart,
                         unbalanced=unbalanced if obj.correspondence else ())
    raise ValueError(f"{config.key}: the sandbox does not publish {obj.kind} objects ({set_name})")


def _enumerations(config: ConfigurationFacts, objects: list[ObjectDef]) -> dict[str, tuple[str, ...]]:
    """Members of every enumeration the published objects hold (facts' Enum values)."""
    names: set[str] = set()
    for obj in objects:
        for attr in [*obj.columns(), *(a for rows in obj.tables.values() for a in rows)]:
            if attr.kind == "enum" and attr.enumeration:
                names.add(attr.enumeration)
    out = {}
    for name in sorted(names):
        enum = config.get("Enum", name)
        out[name] = enum.values if enum is not None else ()
    return out


def build(name: str, release: str, objects: list[str], title: str = "") -> Configuration:
    """The configuration `name` of release `release` (a fact file) publishing `objects` (entity sets)."""
    config = facts.load(release)
    defs = []
    for set_name in objects:
        obj = config.by_entity_set(set_name)
        if obj is None:
            raise KeyError(f"{release}: no object behind {set_name}")
        defs.append(object_from_facts(config, obj))
    return Configuration(name, title or config.synonym, {d.set_name: d for d in defs},
                         enumerations=_enumerations(config, defs), release=release)


@cache
def publications() -> dict[str, dict]:
    """Every sandbox configuration's publication table from facts/publications/*.toml, by its name."""
    folder = resources.files(facts.__name__).joinpath("publications")
    out: dict[str, dict] = {}
    for family in PUBLICATION_FILES:
        entry = folder.joinpath(f"{family}.toml")
        if entry.is_file():
            out.update(tomllib.loads(entry.read_text(encoding="utf-8")))
    return out


@cache
def configuration(name: str) -> Configuration:
    """The sandbox configuration `name` (ut11, bp30, …) as its publication file declares it; cached — bases
    take a private copy (`Configuration.clone`)."""
    table = publications()[name]
    return build(name, table["facts"], list(table["objects"]), table.get("title", ""))


def names() -> list[str]:
    return list(publications())
