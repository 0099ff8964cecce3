"""Schema check: does a base publish every entity set and field its profile needs, with the right type?

Reads `$metadata` (EDMX/CSDL, platform docs 17.4.7; parsed with defusedxml) and compares it with the
profile. Objects reach the standard interface only after the administrator publishes them: in the
configuration with the global-context method `УстановитьСоставСтандартногоИнтерфейсаOData()` /
`SetStandardODataInterfaceContent()` (docs 17.4.12), which the typical configurations expose as the form
«Настройка стандартного интерфейса OData» (Администрирование → Общие настройки → Интеграция с другими
программами — the menu path is from practice and varies by release). A published object has all its
attributes; a field missing from a published object means a configuration update renamed or removed it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from b24app.onec.base import OneCBase
from b24app.onec.egress import EgressPolicy
from b24app.onec.errors import OneCAuthError, OneCError, OneCUnavailable
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import FieldSpec, ObjectSpec, Profile, load_profile


@dataclass
class Metadata:
    """What `$metadata` declares: properties of every entity/complex type, and the entity sets."""

    types: dict[str, dict[str, str]] = field(default_factory=dict)
    entity_sets: dict[str, str] = field(default_factory=dict)  # set name -> type name
    functions: dict[str, set[str]] = field(default_factory=dict)  # binding type/set -> function names

    def set_properties(self, entity_set: str) -> dict[str, str]:
        return self.types.get(self.entity_sets.get(entity_set, entity_set), {})

    def properties_under(self, prefix: str) -> dict[str, str]:
        """Properties of every type named `<prefix>` or `<prefix>_…` (record, row and virtual-table types)."""
        out: dict[str, str] = {}
        for name, props in self.types.items():
            if name == prefix or name.startswith(prefix + "_"):
                for prop, edm in props.items():
                    out.setdefault(prop, edm)
        return out


def parse_metadata(xml: bytes) -> Metadata:
    """Parses an EDMX document safely (no entities, no external references)."""
    root = SafeET.fromstring(xml)
    meta = Metadata()
    for element in root.iter():
        tag = _local(element.tag)
        if tag in ("EntityType", "ComplexType"):
            props = {}
            for child in element:
                if _local(child.tag) == "Property":
                    props[child.get("Name", "")] = child.get("Type", "")
            meta.types[element.get("Name", "")] = props
        elif tag == "EntitySet":
            meta.entity_sets[element.get("Name", "")] = _short(element.get("EntityType", ""))
        elif tag == "FunctionImport":
            bindings = {_short(p.get("Type", "")) for p in element if _local(p.tag) == "Parameter"}
            if element.get("EntitySet"):
                bindings.add(element.get("EntitySet", ""))
            for binding in bindings or {""}:
                meta.functions.setdefault(_collection_item(binding), set()).add(element.get("Name", ""))
    return meta


@dataclass(frozen=True)
class MissingField:
    logical_object: str
    entity_set: str
    field: str
    expected_type: str
    where: str = ""  # tabular section name, "" for the object itself
    similar: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangedType:
    logical_object: str
    entity_set: str
    field: str
    expected_type: str
    actual_type: str
    where: str = ""


@dataclass
class SchemaReport:
    """Result of a check. `ok` only when reachable, authorised and nothing required is missing."""

    base: str
    profile: str
    reachable: bool = True
    authorised: bool = True
    error: str = ""
    missing_sets: list[tuple[str, str]] = field(default_factory=list)  # (logical object, entity set)
    missing_fields: list[MissingField] = field(default_factory=list)
    changed_types: list[ChangedType] = field(default_factory=list)
    optional_missing: list[MissingField] = field(default_factory=list)
    checked_objects: int = 0

    @property
    def ok(self) -> bool:
        return (
            self.reachable
            and self.authorised
            and not self.error
            and not self.missing_sets
            and not self.missing_fields
            and not self.changed_types
        )

    def instructions(self) -> dict[str, str]:
        """What the 1C administrator (or the integrator) has to do, in Russian and English."""
        ru: list[str] = []
        en: list[str] = []
        if not self.reachable:
            ru.append(
                "База 1С недоступна по адресу публикации. Проверьте адрес (корень публикации, например "
                "http://server/base/), что база опубликована на веб-сервере с флажком «Публиковать "
                "стандартный интерфейс OData» и что веб-сервер запущен."
            )
            en.append(
                "The 1C base cannot be reached. Check the publication URL (its root, e.g. http://server/base/), "
                "that the base is published on the web server with 'Publish standard OData interface' "
                "ticked, and that the web server is running."
            )
        elif not self.authorised:
            ru.append(
                "1С отказала во входе. Проверьте имя и пароль пользователя 1С и его права на чтение и "
                "запись объектов ниже (роль с правами на эти объекты, вход по паролю разрешён)."
            )
            en.append(
                "1C refused the login. Check the 1C user name and password and that the user has rights "
                "to read and write the objects below (a role granting them, password login allowed)."
            )
        if self.missing_sets:
            names = ", ".join(dict.fromkeys(entity for _, entity in self.missing_sets))
            ru.append(
                "Опубликуйте объекты в стандартном интерфейсе OData: откройте обработку «Настройка "
                "стандартного интерфейса OData» (в типовых конфигурациях: Администрирование → Общие "
                "настройки → Интеграция с другими программами), отметьте флажками "
                f"{names} и сохраните. Из конфигуратора или внешней обработки то же делает метод "
                "УстановитьСоставСтандартногоИнтерфейсаOData(), которому передаётся массив объектов "
                "метаданных; он заменяет весь состав, поэтому включите в массив и уже опубликованные объекты."
            )
            en.append(
                "Publish these objects in the standard OData interface: open the form 'Настройка "
                "стандартного интерфейса OData' (typical configurations: Администрирование → Общие "
                f"настройки → Интеграция с другими программами), tick {names} and save. From code, "
                "SetStandardODataInterfaceContent() (УстановитьСоставСтандартногоИнтерфейсаOData) takes "
                "an array of metadata objects and replaces the whole content, so include the objects "
                "already published."
            )
        if self.missing_fields or self.changed_types:
            ru.append(
                "Объекты опубликованы, но в них нет нужных полей или изменились типы: вероятно, "
                "конфигурация обновлена или это другая редакция. Укажите новые имена в файле "
                "переопределения профиля (поле name) — подсказки «похожие» ниже — или сообщите интегратору."
            )
            en.append(
                "The objects are published but lack fields or have other types: the configuration was "
                "probably updated or is another release. Put the new names into a profile override file "
                "(the field's name) — see the 'similar' hints below — or tell the integrator."
            )
        return {"ru": "\n".join(ru), "en": "\n".join(en)}

    def to_dict(self) -> dict:
        return {
            "base": self.base,
            "profile": self.profile,
            "ok": self.ok,
            "reachable": self.reachable,
            "authorised": self.authorised,
            "error": self.error,
            "missing_sets": [{"object": o, "entity_set": s} for o, s in self.missing_sets],
            "missing_fields": [vars(m) | {"similar": list(m.similar)} for m in self.missing_fields],
            "changed_types": [vars(c) for c in self.changed_types],
            "optional_missing": [vars(m) | {"similar": list(m.similar)} for m in self.optional_missing],
            "instructions": self.instructions(),
        }

    def render_text(self) -> str:
        """The report as plain text for a terminal or an e-mail."""
        lines = [f"1C schema check: base {self.base}, profile {self.profile}"]
        if not self.reachable:
            lines.append(f"UNREACHABLE: {self.error}")
        elif not self.authorised:
            lines.append(f"NOT AUTHORISED: {self.error}")
        elif self.error:
            lines.append(f"ERROR: {self.error}")
        else:
            verdict = "OK" if self.ok else "PROBLEMS"
            lines.append(f"{verdict}: {self.checked_objects} objects checked")
        for logical, entity_set in self.missing_sets:
            lines.append(f"  not published: {entity_set}  (needed for {logical})")
        for m in self.missing_fields:
            lines.append("  missing field: " + _describe_field(m))
        for c in self.changed_types:
            where = f".{c.where}" if c.where else ""
            lines.append(
                f"  changed type: {c.entity_set}{where}.{c.field} is {c.actual_type}, "
                f"expected {c.expected_type}  (for {c.logical_object})"
            )
        for m in self.optional_missing:
            lines.append("  optional field absent: " + _describe_field(m))
        advice = self.instructions()
        if advice["ru"]:
            lines += ["", "Что сделать:", advice["ru"], "", "What to do:", advice["en"]]
        return "\n".join(lines)


def _describe_field(m: MissingField) -> str:
    where = f".{m.where}" if m.where else ""
    hint = f"; similar: {', '.join(m.similar)}" if m.similar else ""
    return f"{m.entity_set}{where}.{m.field} ({m.expected_type}, for {m.logical_object}){hint}"


def compare(meta: Metadata, profile: Profile, base_label: str = "") -> SchemaReport:
    """Compares parsed metadata with every enabled object of the profile."""
    report = SchemaReport(base=base_label, profile=profile.name)
    for spec in profile.enabled_objects():
        report.checked_objects += 1
        if spec.entity_set not in meta.entity_sets:
            report.missing_sets.append((spec.logical, spec.entity_set))
            continue
        props = _object_properties(meta, spec)
        _check_fields(report, spec, spec.all_fields(), props, where="")
        for table in spec.tables.values():
            row_props = meta.properties_under(f"{spec.entity_set}_{table.name}")
            if not row_props:
                report.missing_fields.append(MissingField(spec.logical, spec.entity_set, table.name, "tabular section"))
                continue
            _check_fields(report, spec, table.fields.values(), row_props, where=table.name)
    return report


def _object_properties(meta: Metadata, spec: ObjectSpec) -> dict[str, str]:
    if spec.is_register:
        # Dimensions/resources live on <Register>_RecordType and the virtual-table row types.
        return meta.properties_under(spec.entity_set)
    return meta.set_properties(spec.entity_set)


def _check_fields(
    report: SchemaReport, spec: ObjectSpec, fields: Iterable[FieldSpec], props: dict[str, str], where: str
) -> None:
    for f in fields:
        actual = props.get(f.name)
        if actual is None:
            similar = _similar(f.name, props)
            missing = MissingField(spec.logical, spec.entity_set, f.name, f.type, where, similar)
            (report.missing_fields if f.required else report.optional_missing).append(missing)
        elif actual != f.type:
            report.changed_types.append(ChangedType(spec.logical, spec.entity_set, f.name, f.type, actual, where))


def _similar(name: str, props: dict[str, str]) -> tuple[str, ...]:
    """Likely new names of a renamed property: ones containing the old name (ИНН → ИННКонтрагента),
    contained in it, or close by spelling."""
    stem = name.removesuffix("_Key")
    related = [p for p in props if len(stem) >= 3 and p != name and (stem in p or p.removesuffix("_Key") in stem)]
    close = difflib.get_close_matches(name, list(props), n=3, cutoff=0.6)
    return tuple(dict.fromkeys([*related, *close]))[:3]


def check(
    base: OneCBase,
    *,
    profile: Profile | None = None,
    client: ODataClient | None = None,
    egress: EgressPolicy | None = None,
) -> SchemaReport:
    """Reads the base's `$metadata` and checks it against the base's profile. Never raises for 1C errors:
    unreachable / unauthorised bases come back as a report saying so, a refused address (`egress`) as an error.

    Without `client`, one is built under `egress` — pass the deployment's (`Runtime.egress`); without it the
    check fails closed: public addresses only, as if no network were allowed.
    """
    profile = profile or load_profile(base.profile)
    client = client or ODataClient(base, egress=egress or EgressPolicy(), timeout=(5.0, 60.0))
    report = SchemaReport(base=base.label, profile=profile.name)
    try:
        xml = client.metadata()
    except OneCUnavailable as exc:
        report.reachable = False
        report.error = str(exc)
        return report
    except OneCAuthError as exc:
        report.authorised = False
        report.error = str(exc)
        return report
    except OneCError as exc:
        report.error = str(exc)
        return report
    try:
        meta = parse_metadata(xml)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        report.error = f"$metadata is not valid XML: {exc}"
        return report
    return compare(meta, profile, base.label)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _short(type_name: str) -> str:
    return _collection_item(type_name).rsplit(".", 1)[-1]


def _collection_item(type_name: str) -> str:
    if type_name.startswith("Collection(") and type_name.endswith(")"):
        return type_name[len("Collection(") : -1]
    return type_name
