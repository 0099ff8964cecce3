"""Atom XML answers: what 1C sends when a request names no JSON format (17.4.2: «Если ключевое слово не
указано, данные получаются в формате atom-xml»; `$format=atom` asks for it explicitly).

The same data as the JSON answer, laid out as real 1C lays it out:
- a set is a `feed` of `entry` elements with `xml:base` at the service root (real feeds in repo
  datareducer/console, commit 8742fe5, src/test/resources/odata/Catalog.xml, TabularSection.xml,
  AccumulationRegister_RecordType.xml); `$inlinecount=allpages` adds `<m:count>` after the entries (17.4.6.2);
- an entry has `id`, `category term="StandardODATA.<Type>"`, empty `title`/`author`/`summary`, `updated`, a
  `related/<Name>` link per filled reference, an `edit` link, and `content` with `m:properties` of `d:<Name>`
  elements (real single entry in ../shared/samples/odata/odata_responses_raw_comments__roman-nevr_Client.txt,
  `Catalog_Контрагенты(guid'…')?$format=atom`; 201 answer in 17.4.13.1.2);
- an empty string is `<d:X/>`, a missing value `<d:X m:null="true"/>`, a tabular section
  `<d:X m:type="Collection(StandardODATA.<Type>_<X>_RowType)">` with `<d:element m:type="…_RowType">` rows;
- a virtual table answers `<d:Result m:type="Collection(StandardODATA.<Register>_Balance)">` with
  `<d:element>` rows (datareducer/console AccumulationRegister_Balance.xml, AccumulationRegister_Turnovers.xml).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

ATOM_NS = "http://www.w3.org/2005/Atom"
DATA_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices"
META_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
_SCHEME = "http://schemas.microsoft.com/ado/2007/08/dataservices/scheme"
_RELATED = "http://schemas.microsoft.com/ado/2007/08/dataservices/related/"
_NS = "StandardODATA"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NAMESPACES = f'xmlns="{ATOM_NS}" xmlns:d="{DATA_NS}" xmlns:m="{META_NS}"'
_PROPERTY_NAMESPACES = f'xmlns:d="{DATA_NS}" xmlns:m="{META_NS}"'

FEED_TYPE = "application/atom+xml;type=feed;charset=utf-8"
ENTRY_TYPE = "application/atom+xml;type=entry;charset=utf-8"
XML_TYPE = "application/xml;charset=utf-8"


@dataclass(frozen=True)
class AtomShape:
    """What an Atom answer needs beyond the JSON body: its kind, its type and what addresses its entries.

    kind: "feed" (a set), "entry" (one element), "result" (a virtual table's rows) or "property" (one value
    read through a path, 17.4.8). `rows` are the stored rows behind the JSON `value` (one for an entry), in
    its order, and `keys` the (property, Edm type) pairs of their key: the entries' `id`s are built from them
    only when Atom is asked for, so a JSON answer does not build them.
    """

    kind: str
    type_name: str
    keys: tuple[tuple[str, str], ...] = ()
    rows: tuple[dict, ...] = field(default_factory=tuple)
    property: str = ""

    def paths(self) -> list[str]:
        """The entries' canonical addresses relative to the service root."""
        return [entity_path(self.type_name, list(self.keys), row) for row in self.rows]


def key_literal(value: object, edm: str) -> str:
    """A key value in URL notation (17.4.2): guid'…', datetime'…', a bare number or a quoted string."""
    if edm == "Edm.Guid":
        return f"guid'{value}'"
    if edm == "Edm.DateTime":
        return f"datetime'{value}'"
    if edm in ("Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Double"):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def entity_path(set_name: str, keys: list[tuple[str, str]], row: dict) -> str:
    """`Set(guid'…')` for a single Ref_Key, `Set(A=…, B=…)` otherwise — the forms of the real `id`s."""
    if [k for k, _ in keys] == ["Ref_Key"]:
        return f"{set_name}(guid'{row.get('Ref_Key')}')"
    return f"{set_name}(" + ", ".join(f"{k}={key_literal(row.get(k), edm)}" for k, edm in keys) + ")"


def render(body: dict, shape: AtomShape, root: str) -> tuple[str, str]:
    """(XML text, content type) of a JSON answer body in Atom."""
    if shape.kind == "feed":
        return _feed(body, shape, root), FEED_TYPE
    if shape.kind == "entry":
        return _DECLARATION + _entry(body, shape.type_name, shape.paths()[0], root, standalone=True), ENTRY_TYPE
    if shape.kind == "result":
        return _result(body, shape), XML_TYPE
    return _property(shape.property, body.get("value")), XML_TYPE


def _feed(body: dict, shape: AtomShape, root: str) -> str:
    paths = shape.paths()
    entries = [_entry(row, shape.type_name, path, root) for row, path in zip(body["value"], paths, strict=True)]
    count = f"<m:count>{escape(body['odata.count'])}</m:count>" if "odata.count" in body else ""
    return f"{_DECLARATION}<feed {_NAMESPACES} xml:base={quoteattr(root)}>{''.join(entries)}{count}</feed>\n"


def _entry(row: dict, type_name: str, path: str, root: str, standalone: bool = False) -> str:
    opening = f"<entry {_NAMESPACES} xml:base={quoteattr(root)}>" if standalone else "<entry>"
    links = "".join(
        f"<link rel={quoteattr(_RELATED + name)} href={quoteattr(href)} "
        f"type=\"application/atom+xml;type=entry;charset=utf-8\" title={quoteattr(name)}/>"
        for name, href in _navigation_links(row))
    updated = dt.datetime.now().replace(microsecond=0).isoformat()
    return (
        f"{opening}<id>{escape(root + path)}</id>"
        f"<category term={quoteattr(f'{_NS}.{type_name}')} scheme=\"{_SCHEME}\"/>"
        f"<title type=\"text\"/><updated>{updated}</updated><author/><summary/>{links}"
        f"<link rel=\"edit\" href={quoteattr(path)} title=\"edit-link\"/>"
        f"<content type=\"application/xml\"><m:properties {_PROPERTY_NAMESPACES}>"
        f"{_properties(row, type_name)}</m:properties></content></entry>"
    )


def _result(body: dict, shape: AtomShape) -> str:
    item = f"{_NS}.{shape.type_name}"
    rows = "".join(f"<d:element m:type={quoteattr(item)}>{_properties(row, shape.type_name)}</d:element>"
                   for row in body["value"])
    return (f"{_DECLARATION}<d:Result {_PROPERTY_NAMESPACES} m:type={quoteattr(f'Collection({item})')}>"
            f"{rows}</d:Result>\n")


def _property(name: str, value: object) -> str:
    return _DECLARATION + _value_xml(name, value, "", extra=f" {_PROPERTY_NAMESPACES}") + "\n"


def _navigation_links(row: dict) -> list[tuple[str, str]]:
    return [(key.removesuffix("@navigationLinkUrl"), str(value)) for key, value in row.items()
            if key.endswith("@navigationLinkUrl")]


def _properties(row: dict, type_name: str) -> str:
    return "".join(_value_xml(name, value, type_name) for name, value in row.items()
                   if "@" not in name and name != "odata.metadata")


def _row_type(type_name: str, name: str) -> str:
    # A register's record set holds `<Register>_RowType` rows; a tabular section `<Object>_<Table>_RowType`.
    return f"{_NS}.{type_name}_RowType" if name == "RecordSet" else f"{_NS}.{type_name}_{name}_RowType"


def _value_xml(name: str, value: object, type_name: str, extra: str = "") -> str:
    tag = f"d:{name}"
    if isinstance(value, list):
        row_type = _row_type(type_name, name)
        collection = quoteattr(f"Collection({row_type})")
        if not value:
            return f"<{tag}{extra} m:type={collection}/>"
        rows = "".join(f"<d:element m:type={quoteattr(row_type)}>{_properties(line, type_name)}</d:element>"
                       for line in value)
        return f"<{tag}{extra} m:type={collection}>{rows}</{tag}>"
    if value is None:
        return f"<{tag}{extra} m:null=\"true\"/>"
    text = _text(value)
    return f"<{tag}{extra}/>" if text == "" else f"<{tag}{extra}>{escape(text)}</{tag}>"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
