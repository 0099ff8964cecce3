"""Schema check: does a base publish every entity set and field its profile needs, with the right type?

Reads `$metadata` (EDMX/CSDL, platform docs 17.4.7; parsed with defusedxml) and compares it with the
profile. Objects reach the standard interface only after the administrator publishes them: in the
configuration with the global-context method `УстановитьСоставСтандартногоИнтерфейсаOData()` /
`SetStandardODataInterfaceContent()` (docs 17.4.12), which the typical configurations expose as the form
«Настройка стандартного интерфейса OData» (Администрирование → Общие настройки → Интеграция с другими
программами — the menu path is from practice and varies by release). A published object has all its
attributes; a field missing from a published object means a configuration update renamed or removed it.

Every name the app sends is in the profile (tests/unit/test_no_onec_literals.py keeps code free of them), so
checking the profile checks what the app will ask for:
  * every field of every enabled object, a composite one as its two properties `X` and `X_Type` (17.4.3), in
    tabular sections too;
  * a register's virtual tables (the FunctionImport bound to it or to its `_RecordType`, 17.4.9) and the
    dimensions among their columns — the dimensions `Dimensions='…'` names;
  * whether an information register is recorder-subordinate as the profile says: its record set is then keyed
    by the recorder and it is read through `<Register>_RecordType` (17.4.13.1.1);
  * the enumeration values the app writes or compares (`values`), where `$metadata` declares the field's
    enumeration as `<EnumType Name="…"><Member Name="…"/>` (repo hacker-cb/1c-odata counts 953 EnumTypes in the
    `$metadata` of its УТ 11.5 base, snapshots/README.md, and its live test
    packages/client/test/integration/live/enum-roundtrip.test.ts checks Catalog_Валюты.СпособУстановкиКурса
    against the members of EnumType СпособыУстановкиКурсаВалюты); where it declares none, that is reported.
When something differs, the check tries the other shipped profiles of the family (`extends`, e.g. ut11_4 for
УТ 11.4): if one fits, the advice says the base is another release and names that profile; otherwise the
configuration was changed in a way no profile knows.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from b24app.onec import standard as std
from b24app.onec.base import OneCBase
from b24app.onec.egress import EgressPolicy
from b24app.onec.errors import OneCAuthError, OneCError, OneCUnavailable
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import FieldSpec, ObjectSpec, Profile, ProfileError, load_profile, shipped_names


@dataclass
class Metadata:
    """What `$metadata` declares: properties and keys of every entity/complex type, the entity sets, the functions
    bound to each (with the type they return) and the enumerations."""

    types: dict[str, dict[str, str]] = field(default_factory=dict)
    keys: dict[str, list[str]] = field(default_factory=dict)  # type name -> key property names
    entity_sets: dict[str, str] = field(default_factory=dict)  # set name -> type name
    functions: dict[str, set[str]] = field(default_factory=dict)  # binding type/set -> function names
    returns: dict[tuple[str, str], str] = field(default_factory=dict)  # (binding, function) -> returned type
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)  # enumeration -> member names

    def set_properties(self, entity_set: str) -> dict[str, str]:
        return self.types.get(self.entity_sets.get(entity_set, entity_set), {})

    def set_keys(self, entity_set: str) -> list[str]:
        return self.keys.get(self.entity_sets.get(entity_set, entity_set), [])

    def properties_under(self, prefix: str) -> dict[str, str]:
        """Properties of every type named `<prefix>` or `<prefix>_…` (record, row and virtual-table types)."""
        out: dict[str, str] = {}
        for name, props in self.types.items():
            if name == prefix or name.startswith(prefix + "_"):
                for prop, edm in props.items():
                    out.setdefault(prop, edm)
        return out

    def function_of(self, bindings: Iterable[str], name: str) -> str | None:
        """The binding (set or type) a function is declared for among `bindings`, None when none has it."""
        return next((b for b in bindings if name in self.functions.get(b, set())), None)


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
                elif _local(child.tag) == "Key":
                    meta.keys[element.get("Name", "")] = [ref.get("Name", "") for ref in child]
            meta.types[element.get("Name", "")] = props
        elif tag == "EnumType":
            meta.enums[element.get("Name", "")] = tuple(
                m.get("Name", "") for m in element if _local(m.tag) == "Member")
        elif tag == "EntitySet":
            meta.entity_sets[element.get("Name", "")] = _short(element.get("EntityType", ""))
        elif tag == "FunctionImport":
            # Bound through a `bindingParameter` (a real 1C $metadata: repo datareducer/console @8742fe5,
            # src/test/resources/odata/metadata.xml) or, in other CSDL writers, `EntitySetPath` / `EntitySet`.
            bindings = {_short(p.get("Type", "")) for p in element
                        if _local(p.tag) == "Parameter" and p.get("Name") == "bindingParameter"}
            bindings |= {element.get(a, "") for a in ("EntitySetPath", "EntitySet") if element.get(a)}
            name = element.get("Name", "")
            for binding in bindings or {""}:
                meta.functions.setdefault(binding, set()).add(name)
                meta.returns[(binding, name)] = _short(element.get("ReturnType", ""))
    return meta


@dataclass(frozen=True)
class MissingField:
    """Something a published object lacks: a field (`what` "field"), a tabular section, a virtual table, or an
    enumeration value (`field` is then `<property>=<value>`)."""

    logical_object: str
    entity_set: str
    field: str
    expected_type: str
    where: str = ""  # tabular section or virtual table, "" for the object itself
    similar: tuple[str, ...] = ()
    what: str = "field"


@dataclass(frozen=True)
class ChangedType:
    """A property of another EDM type than the profile's, or a register of another kind (`what` "register":
    recorder-subordinate or independent)."""

    logical_object: str
    entity_set: str
    field: str
    expected_type: str
    actual_type: str
    where: str = ""
    what: str = "type"


@dataclass(frozen=True)
class FittingProfile:
    """A shipped profile of the same family that fits the base where the checked one does not."""

    name: str
    title: str
    release: str


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
    # Enumerations the profile names that `$metadata` does not declare: their values could not be checked.
    unchecked_enums: list[str] = field(default_factory=list)
    # Shipped profiles of the same family that fit this base: it is another release, not a changed configuration.
    fitting: list[FittingProfile] = field(default_factory=list)
    checked_objects: int = 0
    profile_release: str = ""

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

    @property
    def mismatched(self) -> bool:
        """Published objects differ from the profile (fields, types, register kinds, enumeration values)."""
        return bool(self.missing_fields or self.changed_types)

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
        if self.fitting:
            # Everything the other profile needs is published: the differences are the release's, not missing
            # publications or a changed configuration.
            names = ", ".join(f"«{f.name}» ({f.title}, {f.release})" for f in self.fitting)
            release = f" (релиз {self.profile_release})" if self.profile_release else ""
            release_en = f" (release {self.profile_release})" if self.profile_release else ""
            ru.append(
                f"Профиль «{self.profile}»{release} не подходит к релизу этой базы: опубликованные объекты "
                f"совпадают с профилем {names}. Выберите этот профиль в настройках базы 1С."
            )
            en.append(
                f"The profile '{self.profile}'{release_en} does not fit this base's release: the published objects "
                f"match the profile {names}. Choose that profile in the 1C base's settings."
            )
            return {"ru": "\n".join(ru), "en": "\n".join(en)}
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
        if self.mismatched:
            ru.append(
                "Объекты опубликованы, но отличаются от профиля (нет полей или значений перечислений, другие "
                "типы или вид регистра), и ни один известный релиз этой конфигурации с ними не совпадает: "
                "конфигурация изменена (обновлена или доработана). Укажите новые имена в файле "
                "переопределения профиля (поле name) — подсказки «похожие» ниже — или сообщите интегратору."
            )
            en.append(
                "The objects are published but differ from the profile (missing fields or enumeration values, "
                "other types or register kind), and no known release of this configuration matches them: the "
                "configuration was changed (updated or customized). Put the new names into a profile override "
                "file (the field's name) — see the 'similar' hints below — or tell the integrator."
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
            "unchecked_enums": list(self.unchecked_enums),
            "fitting_profiles": [vars(f) for f in self.fitting],
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
            lines.append(f"  missing {m.what}: " + _describe_field(m))
        for c in self.changed_types:
            where = f".{c.where}" if c.where else ""
            noun = "register kind" if c.what == "register" else "type"
            lines.append(
                f"  changed {noun}: {c.entity_set}{where}.{c.field} is {c.actual_type}, "
                f"expected {c.expected_type}  (for {c.logical_object})"
            )
        for m in self.optional_missing:
            lines.append("  optional field absent: " + _describe_field(m))
        for name in self.unchecked_enums:
            lines.append(f"  not checked: $metadata declares no enumeration {name}")
        for f in self.fitting:
            lines.append(f"  fits the profile {f.name} ({f.title}, release {f.release})")
        advice = self.instructions()
        if advice["ru"]:
            lines += ["", "Что сделать:", advice["ru"], "", "What to do:", advice["en"]]
        return "\n".join(lines)


def _describe_field(m: MissingField) -> str:
    where = f".{m.where}" if m.where else ""
    hint = f"; similar: {', '.join(m.similar)}" if m.similar else ""
    return f"{m.entity_set}{where}.{m.field} ({m.expected_type}, for {m.logical_object}){hint}"


def compare(meta: Metadata, profile: Profile, base_label: str = "",
            variants: Iterable[Profile] | None = None) -> SchemaReport:
    """Compares parsed metadata with every enabled object of the profile. When they differ, `variants` (by
    default the other shipped profiles of the profile's family) are compared too, and those that fit are named."""
    report = _compare_objects(meta, profile, base_label)
    if not report.ok:
        for other in related_profiles(profile) if variants is None else variants:
            if _compare_objects(meta, other, base_label).ok:
                report.fitting.append(FittingProfile(other.name, other.title, other.checked_release))
    return report


def related_profiles(profile: Profile) -> list[Profile]:
    """The other shipped profiles of the profile's family (releases of the same configuration)."""
    out = []
    for name in shipped_names():
        if name == profile.name:
            continue
        try:
            other = load_profile(name)
        except ProfileError:
            continue
        if other.family == profile.family:
            out.append(other)
    return out


def _compare_objects(meta: Metadata, profile: Profile, base_label: str) -> SchemaReport:
    report = SchemaReport(base=base_label, profile=profile.name, profile_release=profile.checked_release)
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
                report.missing_fields.append(MissingField(spec.logical, spec.entity_set, table.name, "tabular section",
                                                          what="tabular section"))
                continue
            _check_fields(report, spec, table.fields.values(), row_props, where=table.name)
        if spec.kind == "information_register":
            _check_recorder(report, meta, spec)
        if spec.is_register:
            _check_virtual_tables(report, meta, spec)
        _check_values(report, meta, spec)
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
        # A composite attribute is two Edm.String properties, the value and its type (17.4.3).
        for name in f.properties:
            actual = props.get(name)
            if actual is None:
                similar = _similar(name, props)
                missing = MissingField(spec.logical, spec.entity_set, name, f.type, where, similar)
                (report.missing_fields if f.required else report.optional_missing).append(missing)
            elif actual != f.type:
                report.changed_types.append(ChangedType(spec.logical, spec.entity_set, name, f.type, actual, where))


def _check_recorder(report: SchemaReport, meta: Metadata, spec: ObjectSpec) -> None:
    """A recorder-subordinate information register's record set is keyed by its recorder and its records and
    virtual tables are read through `<Register>_RecordType` (17.4.13.1.1); an independent one is keyed by period
    and dimensions (17.4.8). Reading one the other way fails, so a difference is a problem like a missing field."""
    main = set(meta.set_properties(spec.entity_set)) | set(meta.set_keys(spec.entity_set))
    subordinate = any(name in main for name in std.RECORDER_KEYS)
    if subordinate != spec.recorder_subordinate:
        kinds = {True: "recorder-subordinate", False: "independent"}
        report.changed_types.append(ChangedType(spec.logical, spec.entity_set, std.RECORDER, kinds[
            spec.recorder_subordinate], kinds[subordinate], what="register"))
    elif subordinate and spec.records_set not in meta.entity_sets:
        report.missing_sets.append((spec.logical, spec.records_set))


def _check_virtual_tables(report: SchemaReport, meta: Metadata, spec: ObjectSpec) -> None:
    """Each virtual table the profile names is a function of the register (or of its `_RecordType`, 17.4.13.1.1),
    and the rows of Balance — the table the app reads, naming dimensions in `Dimensions='…'` (17.4.9) — carry
    every dimension of the profile."""
    for function in spec.virtual_tables:
        binding = meta.function_of((spec.entity_set, spec.records_set), function)
        if binding is None:
            report.missing_fields.append(MissingField(spec.logical, spec.entity_set, f"{function}()",
                                                      "virtual table", what="virtual table"))
            continue
        columns = meta.types.get(meta.returns.get((binding, function), ""))
        if function != std.BALANCE or columns is None:
            continue  # only Balance is read; a returned type not declared leaves nothing to compare
        for dim in spec.dimensions.values():
            for name in dim.properties:
                if name not in columns:
                    missing = MissingField(spec.logical, spec.entity_set, name, dim.type, function,
                                           _similar(name, columns), what="dimension")
                    (report.missing_fields if dim.required else report.optional_missing).append(missing)


def _check_values(report: SchemaReport, meta: Metadata, spec: ObjectSpec) -> None:
    """The enumeration values the app writes or compares are members of the field's enumeration, where
    `$metadata` declares it."""
    for key, value in spec.values.items():
        target = spec.value_field(key)
        if target is None or not target.enum:
            continue
        members = meta.enums.get(target.enum)
        if members is None:
            if target.enum not in report.unchecked_enums:
                report.unchecked_enums.append(target.enum)
            continue
        if value not in members:
            similar = tuple(difflib.get_close_matches(value, list(members), n=3, cutoff=0.5))
            missing = MissingField(spec.logical, spec.entity_set, f"{target.name}={value}",
                                   f"value of enumeration {target.enum}", "", similar, what="enumeration value")
            (report.optional_missing if key in spec.optional_values else report.missing_fields).append(missing)


def _similar(name: str, props: dict[str, str]) -> tuple[str, ...]:
    """Likely new names of a renamed property: ones containing the old name (ИНН → ИННКонтрагента),
    contained in it, or close by spelling."""
    stem = name.removesuffix(std.KEY_SUFFIX)
    related = [p for p in props if len(stem) >= 3 and p != name and (stem in p or p.removesuffix(std.KEY_SUFFIX)
                                                                     in stem)]
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
