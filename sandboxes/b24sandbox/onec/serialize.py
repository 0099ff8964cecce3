"""Rows → the JSON shapes 1C answers with (see ../shared/samples/odata/).

An object lists system properties, attributes, tabular sections (arrays of rows with `Ref_Key` and
`LineNumber`), then `Predefined`/`PredefinedDataName` for catalogs, then `<Ref>@navigationLinkUrl` for every
filled reference. Edm.Int32 and Edm.Int64 values are JSON strings, Edm.Int16 values JSON numbers (see
`json_value`); Edm.Double values are JSON numbers, whole ones without a fraction ("СуммаДокумента": 150129,
"Вес": 20).
"""

from __future__ import annotations

from b24sandbox.onec.schema import EMPTY_REF, ObjectDef

# How real 1C writes whole numbers in JSON, by Edm type (the БП 3.0 answers of garikgsi/LaravelAPI in
# shared/samples/odata/, types by digits from facts/data/bp-3.0.198.19 and publication.scalar_edm):
# - Edm.Int16 as a number: ПоступлениеТоваровУслуг_element's "УдалитьКодСпособаПолучения": 0 (Number(1,0));
# - Edm.Int32 as a string: ДоговорыКонтрагентов's "СрокОплаты": "0" (Number(5,0)) and РеализацияТоваровУслуг's
#   "НомерЧекаККМ": "0" (Number(8,0));
# - Edm.Int64 as a string: "КратностьВзаиморасчетов": "1" (Number(10,0)), every "LineNumber": "1".
_INT_AS_STRING = ("Edm.Int32", "Edm.Int64")


def json_value(value: object, edm: str) -> object:
    if edm in _INT_AS_STRING:
        return str(value if value is not None else 0)
    if edm == "Edm.Int16":
        return int(value or 0)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, float):
        # 1C numbers are decimals: a sum is 130831.29, never binary noise like 0.30000000000000004.
        return float(f"{value:.15g}")
    return value


def object_json(obj: ObjectDef, row: dict, keep: set[str] | None = None, keep_tables: bool = True,
                table_fields: dict[str, set[str]] | None = None) -> dict:
    """One catalog or document element in 1C's layout, restricted by `$select` when `keep` is given."""
    out: dict = {}
    tail = dict(obj.tail_props())
    for prop, edm in obj.props().items():
        if prop in tail:
            continue
        if keep is None or prop in keep:
            out[prop] = json_value(row.get(prop), edm)
    for table in obj.tables:
        fields = (table_fields or {}).get(table)
        # A `$select` list keeps only the tabular sections it names; `**` (keep_tables False) keeps none.
        if fields is None and (keep is not None or not keep_tables):
            continue
        row_props = obj.row_props(table)
        lines = []
        for line in row.get(table) or []:
            lines.append({p: json_value(line.get(p), e) for p, e in row_props.items() if not fields or p in fields})
        out[table] = lines
    for prop, edm in tail.items():
        if keep is None or prop in keep:
            out[prop] = json_value(row.get(prop), edm)
    ref_key = row.get("Ref_Key")
    for ref in obj.ref_attrs():
        value = row.get(ref.prop)
        if value and value != EMPTY_REF and (keep is None or ref.prop in keep):
            out[f"{ref.name}@navigationLinkUrl"] = f"{obj.set_name}(guid'{ref_key}')/{ref.name}"
    return out


def flat_json(props: dict[str, str], row: dict, keep: set[str] | None = None) -> dict:
    """A record, tabular-section row or virtual-table row: its properties in declared order."""
    return {p: json_value(row.get(p), e) for p, e in props.items() if keep is None or p in keep}
