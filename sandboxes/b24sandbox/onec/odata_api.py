"""Handlers of the standard OData interface of one base: reads, writes, actions, virtual tables.

URL forms (platform docs 17.4.4, 17.4.8, 17.4.9, 17.4.13, hacker-cb/1c-odata docs/1c/markdown/):
`<Set>`, `<Set>/$count`, `<Set>(guid'…')`, `<Set>(guid'…')/<Reference>`, `<Set>(guid'…')/Post|Unpost`,
`<Object>_<Table>`, `<Object>_<Table>(Ref_Key=guid'…', LineNumber=1)`, `AccumulationRegister_X_RecordType`,
`<Register>/<VirtualTable>(…)`, a register's record set `<Register>(Recorder='…', Recorder_Type='…')`.

Every answer is built once as the JSON body plus an `atom.AtomShape`; the server writes JSON or Atom XML
from them, whichever the request asks for (17.4.2).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from b24sandbox.onec import accounting, metadata, posting, query, registers, serialize
from b24sandbox.onec.atom import AtomShape
from b24sandbox.onec.errors import (
    ODataError,
    bad_request,
    entity_not_found,
    unknown_property,
    unknown_resource,
)
from b24sandbox.onec.filter_eval import Scope
from b24sandbox.onec.schema import (
    ACCOUNTING_REGISTER,
    ACCUMULATION_REGISTER,
    DOCUMENT,
    EMPTY_REF,
    INFORMATION_REGISTER,
    OBJECT_KINDS,
    ObjectDef,
)
from b24sandbox.onec.seed import blank_row
from b24sandbox.onec.store import Base

_RESOURCE = re.compile(r"^([^/(]+)(?:\(([^)]*)\))?(?:/(.*))?$", re.DOTALL)
_GUID = re.compile(r"^guid'([0-9a-fA-F-]{36})'$")
_KEY_PART = re.compile(r"^\s*(\w+)\s*=\s*(.+?)\s*$")


@dataclass
class Reply:
    status: int
    body: object = None  # dict → JSON (or Atom when `atom` is set and asked for), str → as is
    content_type: str = "application/json;charset=utf-8"
    headers: dict[str, str] | None = None
    atom: AtomShape | None = None


_RECORDER_KEYS = [("Recorder", "Edm.String"), ("Recorder_Type", "Edm.String")]


def entry_keys(obj: ObjectDef, kind: str) -> list[tuple[str, str]]:
    """(property, Edm type) pairs that address one entry of a set, in the order of real `id`s: Ref_Key;
    Ref_Key, LineNumber for a tabular row; Recorder, Recorder_Type (, LineNumber) for a register's record set
    (record); Period and dimensions for an information register (metadata.py has the same keys)."""
    if kind == "RecordType":
        return [*_RECORDER_KEYS, ("LineNumber", "Edm.Int64")]
    if kind:
        return [("Ref_Key", "Edm.Guid"), ("LineNumber", "Edm.Int64")]
    if obj.has_recorder:
        return list(_RECORDER_KEYS)
    if obj.kind == INFORMATION_REGISTER:
        props = obj.props()
        names = (["Period"] if obj.periodic else []) + [d.prop for d in obj.dimensions]
        return [(n, props[n]) for n in names]
    return [("Ref_Key", "Edm.Guid")]


def _feed_shape(name: str, keys: list[tuple[str, str]], rows: list[dict]) -> AtomShape:
    return AtomShape("feed", name, tuple(keys), tuple(rows))


def _entry_shape(name: str, keys: list[tuple[str, str]], row: dict) -> AtomShape:
    return AtomShape("entry", name, tuple(keys), (row,))


def _obj(base: Base, name: str) -> ObjectDef:
    obj = base.obj(name)
    if obj is None or name not in base.published:
        raise unknown_resource(name)
    return obj


def _resolve_set(base: Base, name: str) -> tuple[ObjectDef, str]:
    """(object, kind) where kind is '' (the object itself), 'RecordType' or a tabular section name."""
    if name in base.config.objects:
        return _obj(base, name), ""
    if name.endswith("_RecordType"):
        owner = name.removesuffix("_RecordType")
        obj = _obj(base, owner)
        if obj.has_recorder:
            return obj, "RecordType"
    for owner, obj in base.config.objects.items():
        prefix = owner + "_"
        if name.startswith(prefix) and name[len(prefix):] in obj.tables:
            return _obj(base, owner), name[len(prefix):]
    raise unknown_resource(name)


def _parse_guid(text: str) -> str:
    m = _GUID.match(text.strip())
    if not m:
        raise ODataError(400, 7, f"Не хватает элемента ключа сущности: {text}")
    return m.group(1).lower()


def _parse_key(text: str) -> dict[str, str]:
    parts = {}
    for piece in text.split(","):
        m = _KEY_PART.match(piece)
        if not m:
            parts["Ref_Key"] = _parse_guid(piece)
            continue
        name, value = m.group(1), m.group(2)
        parts[name] = _parse_guid(value) if value.startswith("guid'") else value.strip("'")
    return parts


class ODataApi:
    """Answers requests under `/<base>/odata/standard.odata/` for one base."""

    def __init__(self, base: Base, root_url: str) -> None:
        self.base = base
        self.root = root_url  # …/odata/standard.odata/

    def scope(self, obj: ObjectDef, table: str = "", columns: dict[str, str] | None = None) -> Scope:
        return Scope(obj, self.base.config.objects, self.base.lookup, table=table, columns=columns)

    # -- dispatch ------------------------------------------------------------------------------
    def handle(self, method: str, resource: str, args: dict[str, str], body: bytes,
               headers: dict[str, str]) -> Reply:
        m = _RESOURCE.match(resource)
        if not m:
            raise unknown_resource(resource)
        name, key, tail = m.group(1), m.group(2), m.group(3)
        obj, kind = _resolve_set(self.base, name)
        if key is None and not tail:
            if method == "GET":
                return self.collection(obj, kind, name, args)
            if method == "POST" and kind == "":
                return self.create(obj, body)
            if method == "POST" and kind:
                raise ODataError(400, 13, "Создание строк табличных частей напрямую не поддерживается.")
            raise ODataError(405, 19, f"Использованный HTTP-метод {method} запрещен в данном контексте.")
        if key is None:
            if tail == "$count" and method == "GET":
                rows, count = query.run(self.source(obj, kind), _count_options(args))
                return Reply(200, str(count), "text/plain;charset=utf-8")
            return self.function(obj, kind, name, tail, args, method)
        return self.element(obj, kind, name, key, tail or "", method, args, body, headers)

    # -- reads ---------------------------------------------------------------------------------
    def source(self, obj: ObjectDef, kind: str) -> query.Source:
        table = self.base.table(obj.set_name)
        if kind == "":
            if obj.kind in OBJECT_KINDS:
                return query.Source(self.scope(obj), table.iter_from, table,
                                    indexed=table.indexed_as_of(self.base.version))
            return query.Source(self.scope(obj), table.iter_from, indexed=table.indexed_as_of(self.base.version))
        if kind == "RecordType":
            # An accounting register's records are published with columns of their own (Dr/Cr, ExtDimension…):
            # its rows are not what a filter names, so no index.
            return query.Source(self.scope(obj), table.iter_from,
                                indexed=None if obj.is_accounting else table.indexed_as_of(self.base.version))

        def lines(start: int):
            for row in table.iter_from(0):
                yield from row.get(kind) or []

        return query.Source(self.scope(obj, kind), lines)

    def collection(self, obj: ObjectDef, kind: str, name: str, args: dict[str, str]) -> Reply:
        if obj.has_recorder and kind == "":
            # The record-set entity: one element per recorder with its RecordSet.
            return self.record_sets(obj, name, args)
        options = query.parse_options(args)
        source = self.source(obj, kind)
        rows, count = query.run(source, options)
        if kind == "" and obj.kind in OBJECT_KINDS:
            keep, keep_tables, table_fields = query.selection(source.scope, options.select, list(obj.tables))
            value = [serialize.object_json(obj, r, keep, keep_tables, table_fields) for r in rows]
        else:
            props = source.scope.props()
            keep, _, _ = query.selection(source.scope, options.select, [])
            value = [serialize.flat_json(props, r, keep) for r in rows]
        return Reply(200, self.feed(name, value, count), atom=_feed_shape(name, entry_keys(obj, kind), rows))

    def feed(self, name: str, value: list[dict], count: int | None) -> dict:
        out: dict = {"odata.metadata": f"{self.root}$metadata#{name}"}
        if count is not None:
            out["odata.count"] = str(count)  # a string in 1C's answer (17.4.6.2)
        out["value"] = value
        return out

    def record_sets(self, obj: ObjectDef, name: str, args: dict[str, str]) -> Reply:
        props = obj.props()
        grouped: dict[tuple[str, str], dict] = {}
        for record in self.base.table(obj.set_name).iter_from(0):
            # The record set's key is Recorder + Recorder_Type: the same GUID under two document types is two
            # record sets (metadata.py, _register_types).
            key = (record["Recorder"], record["Recorder_Type"])
            entry = grouped.setdefault(key, {
                "Recorder": record["Recorder"], "Recorder_Type": record["Recorder_Type"], "RecordSet": []})
            entry["RecordSet"].append(serialize.flat_json(props, record))
        options = query.parse_options(args)
        end = None if options.top is None else options.skip + options.top
        page = list(grouped.values())[options.skip:end]
        return Reply(200, self.feed(name, page, None), atom=_feed_shape(name, list(_RECORDER_KEYS), page))

    def record_set(self, obj: ObjectDef, kind: str, name: str, parts: dict[str, str]) -> Reply:
        """One record set by `(Recorder='…', Recorder_Type='…')` (or a bare `(guid'…')`, 17.4.13.1.1), or one
        record of `_RecordType` by `(Recorder='…', Recorder_Type='…', LineNumber=N)`."""
        recorder = (parts.get("Recorder") or parts.get("Recorder_Key") or parts.get("Ref_Key") or "").lower()
        recorder_type = parts.get("Recorder_Type", "")
        records = [r for r in self.base.table(obj.set_name).iter_from(0) if r["Recorder"] == recorder
                   and (not recorder_type or r["Recorder_Type"] == recorder_type)]
        if len({r["Recorder_Type"] for r in records}) > 1:
            raise ODataError(400, 7, "Не хватает элемента ключа сущности: Recorder_Type")
        if kind == "RecordType":
            line_no = parts.get("LineNumber", "")
            records = [r for r in records if str(r["LineNumber"]) == line_no]
        if not records:
            raise entity_not_found(name)
        element = f"{self.root}$metadata#{name}/@Element"
        shape = _entry_shape(name, entry_keys(obj, kind), records[0])
        if kind == "RecordType":
            return Reply(200, {"odata.metadata": element, **serialize.flat_json(obj.props(), records[0])}, atom=shape)
        body = {"odata.metadata": element, "Recorder": records[0]["Recorder"],
                "Recorder_Type": records[0]["Recorder_Type"],
                "RecordSet": [serialize.flat_json(obj.props(), r) for r in records]}
        return Reply(200, body, atom=shape)

    def function(self, obj: ObjectDef, kind: str, name: str, tail: str, args: dict[str, str],
                 method: str) -> Reply:
        m = re.match(r"^(\w+)(?:\((.*)\))?$", tail, re.DOTALL)
        if not m or obj.kind not in (ACCUMULATION_REGISTER, ACCOUNTING_REGISTER, INFORMATION_REGISTER):
            raise unknown_resource(f"{name}/{tail}")
        # Slices of a recorder-subordinate information register are read from its records, `<Register>_RecordType/
        # SliceLast` (17.4.13.1.1); every other register's virtual tables hang on the register itself. What 1C
        # answers for the other spelling 17.4 does not say: the sandbox answers «method not found» (code 11).
        subordinate = obj.kind == INFORMATION_REGISTER and obj.recorder_subordinate
        if kind != ("RecordType" if subordinate else ""):
            if kind not in ("", "RecordType"):
                raise unknown_resource(f"{name}/{tail}")
            raise ODataError(400, 11, f"Метод \"{m.group(1)}\" не найден.")
        if method != "GET":
            raise ODataError(405, 19, f"Использованный HTTP-метод {method} запрещен в данном контексте.")
        function, inline = m.group(1), m.group(2) or ""
        rows = registers.virtual_table(self.base, obj, function, inline, args)
        columns = registers.columns(obj, function)
        # An accounting register's tables have columns of their own (Account, ExtDimension1…), so names
        # in $filter resolve against them, references and composites included.
        scope_obj = accounting.table_object(obj, function) if obj.is_accounting else obj
        source = query.Source(self.scope(scope_obj, columns=columns), lambda start: iter(rows[start:]))
        options = query.parse_options(args)
        page, count = query.run(source, options)
        keep, _, _ = query.selection(source.scope, options.select, [])
        # With `Dimensions` only the listed dimensions are columns of the result.
        value = [serialize.flat_json({c: t for c, t in columns.items() if c in r}, r, keep) for r in page]
        suffix = metadata.result_suffix(function)
        if obj.kind == INFORMATION_REGISTER:
            suffix = "RecordType"
        result = name if kind == "RecordType" else f"{name}_{suffix}"
        return Reply(200, self.feed(result, value, count), atom=AtomShape("result", result))

    def find(self, obj: ObjectDef, ref_key: str) -> dict:
        row = self.base.table(obj.set_name).get(ref_key)
        if row is None:
            raise entity_not_found(obj.set_name)
        return row

    def element(self, obj: ObjectDef, kind: str, name: str, key: str, tail: str, method: str,
                args: dict[str, str], body: bytes, headers: dict[str, str]) -> Reply:
        parts = _parse_key(key)
        if kind and kind != "RecordType":
            row = self.find(obj, parts.get("Ref_Key", ""))
            line_no = int(parts.get("LineNumber", "0") or 0)
            for line in row.get(kind) or []:
                if line["LineNumber"] == line_no:
                    value = serialize.flat_json(obj.row_props(kind), line)
                    shape = _entry_shape(name, entry_keys(obj, kind), line)
                    return Reply(200, {"odata.metadata": f"{self.root}$metadata#{name}/@Element", **value},
                                 atom=shape)
            raise entity_not_found(name)
        if obj.has_recorder and method == "GET" and not tail:
            return self.record_set(obj, kind, name, parts)
        if kind == "RecordType" or obj.is_register:
            raise ODataError(501, 0, "Возможность не поддерживается.")
        row = self.find(obj, parts.get("Ref_Key", ""))
        if tail in ("Post", "Unpost"):
            if method != "POST" or obj.kind != DOCUMENT:
                raise ODataError(405, 19, f"Использованный HTTP-метод {method} запрещен в данном контексте.")
            if tail == "Post":
                posting.post(self.base, obj.set_name, row)
            else:
                posting.unpost(self.base, obj.set_name, row)
            return Reply(200, "", "text/plain;charset=utf-8")
        if tail:
            return self.navigate(obj, row, tail)
        if method == "GET":
            return self.element_reply(obj, row, args)
        if method in ("PATCH", "PUT", "MERGE"):
            self.check_version(row, headers)
            self.apply(obj, row, _json_body(body), full=method == "PUT")
            self.base.table(obj.set_name).touch()  # the row changed in place: its value indexes are stale
            row["DataVersion"] = self.base.next_version()
            self.base.counters.updated += 1
            return self.element_reply(obj, row, {})
        if method == "DELETE":
            self.check_version(row, headers)
            if obj.kind == DOCUMENT:
                posting.clear_movements(self.base, obj.set_name, row["Ref_Key"])
            self.base.table(obj.set_name).delete(row["Ref_Key"])
            self.base.counters.deleted += 1
            return Reply(204, "", "text/plain;charset=utf-8")
        raise ODataError(405, 19, f"Использованный HTTP-метод {method} запрещен в данном контексте.")

    def element_reply(self, obj: ObjectDef, row: dict, args: dict[str, str], status: int = 200) -> Reply:
        keep, keep_tables, table_fields = query.selection(self.scope(obj), args.get("$select", ""), list(obj.tables))
        value = serialize.object_json(obj, row, keep, keep_tables, table_fields)
        shape = _entry_shape(obj.set_name, entry_keys(obj, ""), row)
        return Reply(status, {"odata.metadata": f"{self.root}$metadata#{obj.set_name}/@Element", **value},
                     atom=shape)

    def navigate(self, obj: ObjectDef, row: dict, tail: str) -> Reply:
        segments = tail.split("/")
        attr = obj.attr(segments[0])
        if attr is None or attr.kind != "ref" or attr.name != segments[0]:
            raise unknown_property(segments[0], obj.set_name)
        target = _obj(self.base, attr.target)
        linked = self.base.lookup(attr.target, row.get(attr.prop))
        if linked is None:
            raise entity_not_found(attr.target)
        if len(segments) == 1:
            return self.element_reply(target, linked, {})
        prop = segments[1]
        props = target.props()
        if prop not in props:
            raise unknown_property(prop, target.set_name)
        value = serialize.json_value(linked.get(prop), props[prop])
        return Reply(200, {"odata.metadata": f"{self.root}$metadata#{target.set_name}/{prop}", "value": value},
                     atom=AtomShape("property", target.set_name, property=prop))

    @staticmethod
    def check_version(row: dict, headers: dict[str, str]) -> None:
        # Optimistic locking by If-Match = DataVersion (17.4.13.1.5): a mismatch answers 412.
        expected = headers.get("If-Match")
        if expected and expected.strip('"') != row["DataVersion"]:
            raise ODataError(412, 4, "Версия данных объекта не совпадает с переданной в заголовке If-Match.")

    # -- writes --------------------------------------------------------------------------------
    def create(self, obj: ObjectDef, body: bytes) -> Reply:
        if obj.is_register:
            raise ODataError(501, 0, "Возможность не поддерживается.")
        data = _json_body(body)
        table = self.base.table(obj.set_name)
        row = blank_row(obj)
        for name in obj.tables:
            row[name] = []
        requested = str(data.get("Ref_Key") or "").lower()
        if requested and requested != EMPTY_REF:
            if table.get(requested) is not None:
                raise ODataError(409, 15, "Сущность с таким ключом уже существует.")
            row["Ref_Key"] = requested
        else:
            row["Ref_Key"] = self.base.new_guid()
        self.apply(obj, row, {k: v for k, v in data.items() if k not in ("Ref_Key", "DataVersion", "Posted")},
                   full=False)
        if obj.kind == DOCUMENT:
            if not row["Number"]:
                row["Number"] = self.base.next_number(obj.set_name, "ТД00" if self.base.config.family == "ut"
                                                      else "0000")
            if row["Date"] == "0001-01-01T00:00:00":
                row["Date"] = dt.datetime.now().replace(microsecond=0).isoformat()
        if obj.kind != DOCUMENT and obj.has_code and not row.get("Code"):
            row["Code"] = f"{len(table) + 1:0{obj.code_length}d}"[-obj.code_length:]
        row["DataVersion"] = self.base.next_version()
        table.put(row["Ref_Key"], row)
        self.base.counters.created += 1
        reply = self.element_reply(obj, row, {}, status=201)
        reply.headers = {"Location": f"{self.root}{obj.set_name}(guid'{row['Ref_Key']}')"}
        return reply

    def apply(self, obj: ObjectDef, row: dict, data: dict, full: bool) -> None:
        """Copy known properties from a request body; unknown ones are ignored as 1C does (17.4.13.1.2)."""
        props = obj.props()
        for name, value in data.items():
            if name in obj.tables:
                if not isinstance(value, list):
                    raise ODataError(400, 4, f"Неверное значение свойства \"{name}\".")
                row[name] = [self.table_line(obj, name, row["Ref_Key"], i, line)
                             for i, line in enumerate(value, start=1)]
            elif name in props and name not in ("Ref_Key", "DataVersion"):
                row[name] = _coerce(name, props[name], value)

    def table_line(self, obj: ObjectDef, table: str, ref_key: str, number: int, data: dict) -> dict:
        if not isinstance(data, dict):
            raise ODataError(400, 4, f"Неверное значение строки табличной части \"{table}\".")
        line: dict = {"Ref_Key": ref_key, "LineNumber": number}
        for attr in obj.tables[table]:
            line.update(attr.default_values())
        props = obj.row_props(table)
        for name, value in data.items():
            if name in props and name not in ("Ref_Key", "LineNumber"):
                line[name] = _coerce(name, props[name], value)
        return line


def _count_options(args: dict[str, str]) -> query.Options:
    options = query.parse_options(args)
    options.inlinecount, options.top, options.skip = True, None, 0
    return options


def _json_body(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ODataError(400, 1, f"Не удалось разобрать строку: {exc}") from exc
    if not isinstance(data, dict):
        raise bad_request("ожидался объект JSON")
    return data


def _coerce(name: str, edm: str, value: object) -> object:
    """Check a written value against the property's Edm type; code 4 names the property on mismatch."""
    try:
        if edm == "Edm.Boolean":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if edm == "Edm.Double":
            if isinstance(value, bool):
                raise ValueError
            return float(value) if not isinstance(value, int) else value
        if edm in ("Edm.Int16", "Edm.Int32", "Edm.Int64"):  # kept as int, written per serialize.json_value
            return int(value)
        if edm == "Edm.Guid":
            text = str(value).lower()
            if not re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text):
                raise ValueError
            return text
        if edm == "Edm.DateTime":
            text = str(value)[:19]
            dt.datetime.fromisoformat(text)
            return text if len(text) == 19 else dt.datetime.fromisoformat(text).isoformat()
        return "" if value is None else str(value)
    except (TypeError, ValueError) as exc:
        raise ODataError(400, 4, f"Неверное значение свойства \"{name}\": {value!r}") from exc

