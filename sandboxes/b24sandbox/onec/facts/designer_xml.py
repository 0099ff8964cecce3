"""Designer XML («Конфигуратор → Выгрузить конфигурацию в файлы») -> plain facts, one object file at a time.

Each object lives in `<Kind folder>/<Name>.xml` (namespace http://v8.1c.ru/8.3/MDClasses): `Properties` holds
the object's own flags, `ChildObjects` its attributes, tabular sections, register dimensions/resources and enum
values. A type is `<Type>` with one `<v8:Type>` per member (several = composite), `<v8:TypeSet>` for a defined
type (`cfg:DefinedType.X`), a characteristic (`cfg:Characteristic.X`) or "any reference of a kind"
(`cfg:DocumentRef`), plus String/Number/Date qualifiers. Types are kept as written; `resolve` expands them.

Facts are plain dicts whose keys are the field names of the loader's dataclasses (see `__init__.py`); keys
with no value are left out to keep the files small. Forms, templates, commands, modules, roles and
subsystems are skipped: a metadata/OData publication needs none of them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any

MD = "{http://v8.1c.ru/8.3/MDClasses}"
V8 = "{http://v8.1c.ru/8.1/data/core}"
XR = "{http://v8.1c.ru/8.3/xcf/readable}"

Facts = dict[str, Any]

# Object kinds we extract, in the order of the output, and the dump folder each lives in.
KIND_FOLDERS = {
    "DefinedType": "DefinedTypes",
    "Constant": "Constants",
    "Enum": "Enums",
    "Catalog": "Catalogs",
    "Document": "Documents",
    "ChartOfCharacteristicTypes": "ChartsOfCharacteristicTypes",
    "ChartOfAccounts": "ChartsOfAccounts",
    "ExchangePlan": "ExchangePlans",
    "InformationRegister": "InformationRegisters",
    "AccumulationRegister": "AccumulationRegisters",
    "AccountingRegister": "AccountingRegisters",
}
COMMON_ATTRIBUTE_FOLDER = "CommonAttributes"


def _str(element: ET.Element) -> str:
    return (element.text or "").strip()


def _int(element: ET.Element) -> int:
    return int(_str(element) or 0)


def _bool(element: ET.Element) -> bool:
    return _str(element) == "true"


def _items(element: ET.Element) -> list[str]:
    """`<Owners><xr:Item>Catalog.X</xr:Item>…` -> ["Catalog.X", …]."""
    return [_str(item) for item in element if _str(item)]


# Kind -> (Properties tag, fact key, converter). Only what shapes the published entity set.
_PROPERTY_FACTS: dict[str, list[tuple[str, str, Callable[[ET.Element], Any]]]] = {
    "Catalog": [("CodeLength", "code_length", _int), ("CodeType", "code_type", _str),
                ("CodeAllowedLength", "code_allowed_length", _str), ("DescriptionLength", "description_length", _int),
                ("Hierarchical", "hierarchical", _bool), ("HierarchyType", "hierarchy_type", _str),
                ("Owners", "owners", _items)],
    "Document": [("NumberLength", "number_length", _int), ("NumberType", "number_type", _str),
                 ("NumberAllowedLength", "number_allowed_length", _str),
                 ("NumberPeriodicity", "number_periodicity", _str), ("Posting", "posting", _str),
                 ("RegisterRecords", "register_records", _items)],
    "ChartOfCharacteristicTypes": [("CodeLength", "code_length", _int),
                                   ("CodeAllowedLength", "code_allowed_length", _str),
                                   ("DescriptionLength", "description_length", _int),
                                   ("Hierarchical", "hierarchical", _bool)],
    "ChartOfAccounts": [("CodeLength", "code_length", _int), ("CodeMask", "code_mask", _str),
                        ("DescriptionLength", "description_length", _int),
                        ("MaxExtDimensionCount", "max_ext_dimension_count", _int),
                        ("ExtDimensionTypes", "ext_dimension_types", _str)],
    "ExchangePlan": [("CodeLength", "code_length", _int), ("CodeAllowedLength", "code_allowed_length", _str),
                     ("DescriptionLength", "description_length", _int)],
    "InformationRegister": [("InformationRegisterPeriodicity", "periodicity", _str),
                            ("WriteMode", "write_mode", _str)],
    "AccumulationRegister": [("RegisterType", "register_type", _str)],
    "AccountingRegister": [("ChartOfAccounts", "chart_of_accounts", _str),
                           ("Correspondence", "correspondence", _bool)],
}

# ChildObjects tag -> fact key holding the list of those children's facts.
_FIELD_LISTS = {"Attribute": "attributes", "Dimension": "dimensions", "Resource": "resources"}
# ChildObjects tag -> fact key holding their names only.
_NAME_LISTS = {"EnumValue": "values", "AccountingFlag": "accounting_flags",
               "ExtDimensionAccountingFlag": "ext_dimension_accounting_flags"}
# Kinds whose own `<Type>` is their value type.
_VALUE_TYPE_KINDS = {"DefinedType", "Constant", "ChartOfCharacteristicTypes"}


class DumpFormatError(ValueError):
    """The file is not a Designer XML metadata object of the expected shape."""


def _text(parent: ET.Element, tag: str) -> str | None:
    child = parent.find(tag)
    return None if child is None else (child.text or "").strip()


def _metadata_object(xml: bytes) -> ET.Element:
    """The single object element under `<MetaDataObject>`."""
    # The dumps are public files of a known vendor format; ElementTree (expat) expands no external entities.
    root = ET.fromstring(xml)
    if root.tag != f"{MD}MetaDataObject" or len(root) != 1:
        raise DumpFormatError(f"not a Designer XML metadata object: <{root.tag}>")
    return root[0]


def parse_type(type_element: ET.Element | None) -> Facts:
    """`<Type>` -> {"types": [...as written...], qualifiers...}. Qualifier keys appear only when written."""
    if type_element is None:
        return {"types": []}
    facts: Facts = {"types": [(member.text or "").strip() for member in type_element
                              if member.tag in (f"{V8}Type", f"{V8}TypeSet")]}
    string = type_element.find(f"{V8}StringQualifiers")
    if string is not None:
        facts["length"] = int(_text(string, f"{V8}Length") or 0)  # 0 = unlimited
        if _text(string, f"{V8}AllowedLength") == "Fixed":
            facts["fixed_length"] = True
    number = type_element.find(f"{V8}NumberQualifiers")
    if number is not None:
        facts["digits"] = int(_text(number, f"{V8}Digits") or 0)
        facts["fraction"] = int(_text(number, f"{V8}FractionDigits") or 0)
        if _text(number, f"{V8}AllowedSign") == "Nonnegative":
            facts["nonnegative"] = True
    date = type_element.find(f"{V8}DateQualifiers")
    if date is not None:
        facts["date_fractions"] = _text(date, f"{V8}DateFractions")
    return facts


def parse_field(element: ET.Element) -> Facts:
    """An attribute, dimension or resource: name, type, and whether filling is checked."""
    properties = element.find(f"{MD}Properties")
    if properties is None:
        raise DumpFormatError(f"<{element.tag}> without Properties")
    facts: Facts = {"name": _text(properties, f"{MD}Name") or "", **parse_type(properties.find(f"{MD}Type"))}
    # FillChecking=ShowError: the platform's fill check (run when a document is posted, and by forms) fails
    # while the field is empty.
    if _text(properties, f"{MD}FillChecking") == "ShowError":
        facts["required"] = True
    # Accounting registers: a dimension/resource kept per debit and credit side unless Balance.
    if _text(properties, f"{MD}Balance") == "true":
        facts["balance"] = True
    return facts


def _tabular_section(element: ET.Element) -> Facts:
    properties = element.find(f"{MD}Properties")
    children = element.find(f"{MD}ChildObjects")
    name = _text(properties, f"{MD}Name") if properties is not None else ""
    attributes = [parse_field(child) for child in (children if children is not None else [])
                  if child.tag == f"{MD}Attribute"]
    return {"name": name or "", "attributes": attributes}


def _child_facts(children: Iterable[ET.Element]) -> Facts:
    facts: Facts = {}
    for child in children:
        tag = child.tag.removeprefix(MD)
        if tag in _FIELD_LISTS:
            facts.setdefault(_FIELD_LISTS[tag], []).append(parse_field(child))
        elif tag == "TabularSection":
            facts.setdefault("tabular_sections", []).append(_tabular_section(child))
        elif tag in _NAME_LISTS:
            properties = child.find(f"{MD}Properties")
            name = _text(properties, f"{MD}Name") if properties is not None else None
            facts.setdefault(_NAME_LISTS[tag], []).append(name or "")
    return facts


def _property_facts(kind: str, properties: ET.Element) -> Facts:
    facts: Facts = {}
    for tag, key, convert in _PROPERTY_FACTS.get(kind, []):
        element = properties.find(f"{MD}{tag}")
        if element is None:
            continue
        value = convert(element)
        if value not in ("", [], None):
            facts[key] = value
    return facts


def parse_object(kind: str, xml: bytes) -> Facts:
    """One object file -> {"name": ..., <kind flags>, attributes, tabular_sections, ...}."""
    element = _metadata_object(xml)
    if element.tag != f"{MD}{kind}":
        raise DumpFormatError(f"expected <{kind}>, found <{element.tag.removeprefix(MD)}>")
    properties = element.find(f"{MD}Properties")
    if properties is None:
        raise DumpFormatError(f"<{kind}> without Properties")
    name = _text(properties, f"{MD}Name") or ""
    facts: Facts = {"name": name, **_property_facts(kind, properties)}
    if kind in _VALUE_TYPE_KINDS:
        facts["value_type"] = {"name": name, **parse_type(properties.find(f"{MD}Type"))}
    children = element.find(f"{MD}ChildObjects")
    facts.update(_child_facts(children if children is not None else []))
    return facts


def parse_common_attribute(xml: bytes) -> Facts:
    """A common attribute: its type, how it is used, and the objects it is explicitly (not) used in."""
    element = _metadata_object(xml)
    properties = element.find(f"{MD}Properties")
    if element.tag != f"{MD}CommonAttribute" or properties is None:
        raise DumpFormatError(f"expected <CommonAttribute>, found <{element.tag}>")
    facts: Facts = {"name": _text(properties, f"{MD}Name") or "", **parse_type(properties.find(f"{MD}Type")),
                    "auto_use": _text(properties, f"{MD}AutoUse") or "",
                    "data_separation": _text(properties, f"{MD}DataSeparation") or ""}
    content = properties.find(f"{MD}Content")
    facts["content"] = [[_text(item, f"{XR}Metadata") or "", _text(item, f"{XR}Use") or ""]
                        for item in (content if content is not None else [])]
    return facts


def parse_configuration(xml: bytes) -> tuple[Facts, list[tuple[str, str]]]:
    """Configuration.xml -> (name/version/vendor facts, [(kind, object name)] in the configuration's order)."""
    element = _metadata_object(xml)
    properties = element.find(f"{MD}Properties")
    if element.tag != f"{MD}Configuration" or properties is None:
        raise DumpFormatError("Configuration.xml has no <Configuration><Properties>")
    synonym = properties.find(f"{MD}Synonym/{V8}item/{V8}content")
    facts: Facts = {"name": _text(properties, f"{MD}Name") or "",
                    "synonym": "" if synonym is None else (synonym.text or "").strip(),
                    "version": _text(properties, f"{MD}Version") or "",
                    "vendor": _text(properties, f"{MD}Vendor") or "",
                    "compatibility_mode": _text(properties, f"{MD}CompatibilityMode") or ""}
    children = element.find(f"{MD}ChildObjects")
    listed = [(child.tag.removeprefix(MD), (child.text or "").strip())
              for child in (children if children is not None else [])]
    return facts, listed


def dump_format_version(xml: bytes) -> str:
    """The `version` attribute of `<MetaDataObject>` (2.20 for platform 8.3.27 dumps)."""
    return ET.fromstring(xml).get("version", "")
