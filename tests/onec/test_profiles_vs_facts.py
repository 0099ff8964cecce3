"""Profiles proven by data: every entry of every shipped profile checked against the facts extracted from the
configuration dumps of each release the profile claims (sandboxes/b24sandbox/onec/facts/, SOURCES.md there).

The facts say what a base of that release publishes (facts/publication.py applies the platform's publication
rules, docs 17.4.3-17.4.4): entity sets, properties and their Edm types, register record and virtual-table
columns, recorder-subordination, enum values. A profile entry that names something the release does not publish is
a failure, unless the entry is optional (`required = false`) or the object unconfirmed (`confirmed = false`).
"""

from __future__ import annotations

import dataclasses

import pytest

from b24app.onec.profiles import Profile, load_profile
from b24sandbox.onec import facts
from b24sandbox.onec.facts import publication

_REGISTER_KINDS = {"information_register", "accumulation_register", "accounting_register"}


def _claims() -> list[tuple[str, str]]:
    """(profile, facts file) for every release each shipped profile claims to fit."""
    out = []
    for name in ("ut11", "ut11_4", "bp30", "bp30_83", "unf"):
        profile = load_profile(name)
        for release in profile.releases:
            out.append((name, release))
    return out


def _published(data: facts.ConfigurationFacts, spec) -> dict[str, str] | None:  # noqa: ANN001 - ObjectSpec
    """Every property the release publishes for the profile object's entity set (records and the virtual tables
    the profile reads, for registers); None when the release has no such object."""
    entity_set = spec.entity_set.removesuffix("_RecordType")
    obj = data.by_entity_set(entity_set)
    if obj is None:
        return None
    if spec.kind not in _REGISTER_KINDS:
        return publication.properties(obj)
    ext = 0
    if obj.kind == "AccountingRegister" and obj.chart_of_accounts:
        chart = data.by_entity_set("ChartOfAccounts_" + obj.chart_of_accounts.split(".", 1)[1])
        ext = (chart.max_ext_dimension_count or 0) if chart else 0
    props = dict(publication.record_properties(obj, ext))
    for table in spec.virtual_tables or publication.virtual_tables(obj):
        props.update(publication.virtual_table_properties(obj, table, ext))
    return props


def _problems(profile: Profile, data: facts.ConfigurationFacts) -> list[str]:
    problems = []
    for logical, spec in profile.objects.items():
        if not spec.enabled or not spec.confirmed:
            continue
        published = _published(data, spec)
        if published is None:
            problems.append(f"{logical}: {spec.entity_set} is not an object of {data.key}")
            continue
        obj = data.by_entity_set(spec.entity_set.removesuffix("_RecordType"))
        if spec.kind == "information_register" and spec.recorder_subordinate != obj.recorder_subordinate:
            problems.append(f"{logical}: recorder_subordinate = {spec.recorder_subordinate}, the release says "
                            f"{obj.write_mode}")
        fields = list(spec.all_fields())
        for table in spec.tables.values():
            rows = publication.row_properties(obj, table.name) if obj.tabular_sections and any(
                t.name == table.name for t in obj.tabular_sections) else None
            if rows is None:
                if table.required:
                    problems.append(f"{logical}: no tabular section {table.name}")
                continue
            problems += _field_problems(logical, f"{table.name}.", table.fields.values(), rows)
        problems += _field_problems(logical, "", fields, published)
        problems += _enum_problems(logical, spec, obj, data)
    return problems


def _field_problems(logical: str, where: str, fields, published: dict[str, str]) -> list[str]:  # noqa: ANN001
    problems = []
    for f in fields:
        if not f.required:
            continue
        if f.name not in published:
            problems.append(f"{logical}: {where}{f.name} is not published")
        elif f.composite and f.type_property not in published:
            problems.append(f"{logical}: {where}{f.name} is not composite in this release")
        elif not f.composite and f.type != "composite" and published[f.name] != f.type and not (
                f.type.startswith("Edm.Int") and published[f.name].startswith("Edm.Int")):
            problems.append(f"{logical}: {where}{f.name} is {published[f.name]}, the profile says {f.type}")
    return problems


def _enum_problems(logical: str, spec, obj, data: facts.ConfigurationFacts) -> list[str]:  # noqa: ANN001
    problems = []
    for f in spec.all_fields():
        if not f.enum:
            continue
        enum = data.by_entity_set("Enum_" + f.enum)
        if enum is None:
            problems.append(f"{logical}: enum {f.enum} does not exist")
            continue
        for key, value in spec.values.items():
            # An optional value (a VAT rate a later release added) may be absent from some release it claims;
            # `test_an_optional_value_exists_in_a_release_the_profile_claims` holds it to one at least.
            if key.startswith(f.logical) and value not in enum.values and key not in spec.optional_values:
                problems.append(f"{logical}: {f.enum} has no value {value}")
    return problems


@pytest.mark.parametrize(("profile_name", "release"), _claims())
def test_every_profile_entry_exists_in_each_release_it_claims(profile_name: str, release: str):
    problems = _problems(load_profile(profile_name), facts.load(release))
    assert problems == [], "\n".join(problems)


def test_every_release_with_facts_is_claimed_by_a_profile():
    claimed = {release for _, release in _claims()}
    assert set(facts.available()) <= claimed, set(facts.available()) - claimed


@pytest.mark.parametrize("profile_name", ["ut11", "bp30"])
def test_an_optional_value_exists_in_a_release_the_profile_claims(profile_name: str):
    """Optional is not invented: each optional value is a member of its enumeration in some claimed release."""
    profile = load_profile(profile_name)
    optional = [(spec, key) for spec in profile.objects.values() for key in spec.optional_values]
    assert optional, "the profile names no optional value"
    for spec, key in optional:
        field = spec.value_field(key)
        members = set()
        for release in profile.releases:
            enum = facts.load(release).by_entity_set("Enum_" + field.enum)
            members |= set(enum.values) if enum is not None else set()
        assert spec.value(key) in members, f"{spec.logical}.{key} = {spec.value(key)} is in no release claimed"


# The objects the counterparty exchange reads and writes (issue 14): their optional fields are checked too, since an
# optional name that no release publishes would be read as "empty" everywhere without anyone noticing.
_PARTY_OBJECTS = ("counterparty", "contact_person", "bank_account", "bank", "contact_kind", "party_contact_link")


@pytest.mark.parametrize(("profile_name", "release"), _claims())
def test_every_counterparty_name_optional_ones_too_exists_in_each_release_it_claims(profile_name: str, release: str):
    profile, data = load_profile(profile_name), facts.load(release)
    problems = []
    for logical in _PARTY_OBJECTS:
        spec = profile.objects.get(logical)
        if spec is None or not spec.enabled:
            continue
        published = _published(data, spec)
        assert published is not None, f"{logical}: {spec.entity_set} is not an object of {release}"
        obj = data.by_entity_set(spec.entity_set)
        strict = [dataclasses.replace(f, required=True) for f in spec.all_fields()]
        problems += _field_problems(logical, "", strict, published)
        for table in spec.tables.values():
            rows = publication.row_properties(obj, table.name) if any(
                t.name == table.name for t in obj.tabular_sections) else None
            if rows is None:
                problems.append(f"{logical}: no tabular section {table.name}")
                continue
            problems += _field_problems(logical, f"{table.name}.",
                                        [dataclasses.replace(f, required=True) for f in table.fields.values()], rows)
        problems += _enum_problems(logical, spec, obj, data)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("profile_name", ["ut11", "bp30", "unf"])
def test_the_address_kinds_are_named_apart(profile_name: str):
    """Legal, actual and postal address are three predefined kinds, none of them the phone's or e-mail's: a copy
    slip here would file every address under one kind."""
    spec = load_profile(profile_name).object("contact_kind")
    names = [spec.value(f"predefined_name_{k}") for k in ("legal_address", "actual_address", "postal_address",
                                                          "phone", "email")]
    assert len(set(names)) == 5 and all(n.endswith(("Контрагента", "Контрагенты")) for n in names), names
