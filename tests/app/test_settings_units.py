"""Settings page pieces without servers: texts, legal-entity mapping validation against a portal schema with list
values (the sandbox portal's user fields carry no list values), pipeline bases and the order in which a deal's
base is decided, the sync-now registry."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from b24app.core.errors import PermanentSyncError
from b24app.core.portal_settings import PortalSettings
from b24app.jobs import sync_now
from b24app.store.bases import BaseRecord
from b24app.sync.to_onec.orders import deal_base
from b24app.web.settings_forms import BaseInput, SettingsInput, broken_mapping, validate_base, validate_settings
from b24app.web.settings_portal import Pipeline, PortalField, PortalSchema
from b24app.web.settings_texts import TEXTS, st

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_text_has_russian_and_english_and_every_used_key_exists():
    assert all(set(v) == {"ru", "en"} for v in TEXTS.values())
    sources = [p.read_text() for p in [*TEMPLATES.glob("settings*.html"), *TEMPLATES.glob("settings/*.html")]]
    sources += [p.read_text() for p in Path(__file__).resolve().parents[2].glob("b24app/web/settings*.py")]
    used = set()
    for text in sources:
        used |= set(re.findall(r"st\('([a-z_0-9]+)'", text)) | set(re.findall(r'msg\("([a-z_0-9]+)"', text))
    used = {key for key in used if not key.endswith("_")}  # prefixes of composed keys, checked below
    assert used and used <= set(TEXTS), sorted(used - set(TEXTS))
    from b24app.core.portal_settings import DEFAULT_COMPANY_FIELDS, DEFAULT_DEAL_FIELDS
    from b24app.web.settings import SYNC_JOBS
    from b24app.web.settings_forms import SCHEDULED_STREAMS, STAGE_ROLES

    composed = ([f"logical_{k}" for k in [*DEFAULT_DEAL_FIELDS, *DEFAULT_COMPANY_FIELDS, "legal_entity"]]
                + [f"job_{k}" for k in SYNC_JOBS] + [f"stage_{k}" for k in STAGE_ROLES]
                + [f"schedule_{k}" for k in SCHEDULED_STREAMS] + ["entity_deal", "entity_company", "fields_deal",
                                                                  "fields_company", "state_queued", "state_started",
                                                                  "state_finished", "state_failed"])
    assert set(composed) <= set(TEXTS), sorted(set(composed) - set(TEXTS))
    assert st("err_host_unreachable", "en", host="h", port=1) == st("err_host_unreachable", "de", host="h", port=1)


def _schema(items: list[dict]) -> PortalSchema:
    return PortalSchema(
        deal_fields={"UF_CRM_SELLER": PortalField("UF_CRM_SELLER", "Продавец", "enumeration", items),
                     "UF_CRM_TEXT": PortalField("UF_CRM_TEXT", "Текст", "string")},
        company_fields={}, pipelines=[Pipeline("0", "Общая", [("NEW", "Новая"), ("WON", "Успешна")]),
                                      Pipeline("1", "Опт", [("C1:NEW", "Новая")])])


def _base(base_id: int) -> BaseRecord:
    return BaseRecord(base_id, f"base {base_id}", "http://x/", "u", "ut11", None, None, True, True)


def _inp(**kw) -> SettingsInput:
    return SettingsInput(version=0, minutes={"payments": "5", "debt": "15", "shipments": "15"}, **kw)


def test_legal_entity_values_map_to_bases():
    schema = _schema([{"ID": "11", "VALUE": "ООО «Ромашка»"}, {"ID": "12", "VALUE": "ИП Васильков"}])
    new, errors = validate_settings(_inp(legal_entity_field="UF_CRM_SELLER",
                                         legal_entity_bases={"11": "1", "12": "2"}),
                                    PortalSettings(), schema, [_base(1), _base(2)])
    assert errors == {} and new.legal_entity_field == "UF_CRM_SELLER"
    assert new.legal_entity_bases == {"11": 1, "12": 2}


def test_legal_entity_field_must_be_a_list_with_known_values_and_bases():
    schema = _schema([{"ID": "11", "VALUE": "ООО «Ромашка»"}])
    _, errors = validate_settings(_inp(legal_entity_field="UF_CRM_TEXT"), PortalSettings(), schema, [_base(1)])
    assert errors["legal_entity_field"][0] == "err_field_not_list"
    _, errors = validate_settings(_inp(legal_entity_field="UF_CRM_SELLER", legal_entity_bases={"11": "7", "99": "1"}),
                                  PortalSettings(), schema, [_base(1)])
    assert errors["legal_value__11"][0] == "err_base_missing" and errors["legal_value__99"][0] == "err_value_missing"


def test_pipeline_bases_are_checked_against_the_portals_bases_and_pipelines():
    new, errors = validate_settings(_inp(category_bases={"0": "", "1": "2", "7": "1"}), PortalSettings(),
                                    _schema([]), [_base(1), _base(2)])
    assert errors == {} and new.category_bases == {"1": 2}  # "" = any base; pipeline 7 is not on the portal
    _, errors = validate_settings(_inp(category_bases={"0": "9", "1": "x"}), PortalSettings(), _schema([]),
                                  [_base(1)])
    assert errors["category_base__0"][0] == "err_base_missing" and errors["category_base__1"][0] == "err_base_missing"
    stored = PortalSettings.from_json({"category_bases": {1: "2"}})
    assert stored.category_bases == {"1": 2} and PortalSettings.from_json({}).category_bases == {}
    assert SettingsInput.from_settings(stored, 3).category_bases == {"1": "2"}


def test_a_deals_base_is_its_legal_entitys_then_its_pipelines_then_the_first():
    by_pipeline = PortalSettings(category_bases={"0": 1, "1": 2})
    legal = PortalSettings(legal_entity_field="UF_SELLER", legal_entity_bases={"11": 3}, category_bases={"1": 2})
    enabled = [3, 2, 1]
    assert deal_base(PortalSettings(), {"CATEGORY_ID": "1"}, enabled) == 1  # nothing mapped: the first base
    assert deal_base(by_pipeline, {"CATEGORY_ID": "1"}, enabled) == 2
    assert deal_base(by_pipeline, {"CATEGORY_ID": "0"}, enabled) == 1
    assert deal_base(by_pipeline, {}, enabled) == 1  # no CATEGORY_ID: the default pipeline
    assert deal_base(by_pipeline, {"CATEGORY_ID": "5"}, enabled) == 1  # an unmapped pipeline: the first base
    assert deal_base(legal, {"UF_SELLER": "11", "CATEGORY_ID": "1"}, enabled) == 3  # the legal entity wins
    assert deal_base(legal, {"UF_SELLER": "", "CATEGORY_ID": "1"}, enabled) == 2  # no value: the pipeline
    assert deal_base(legal, {"UF_SELLER": "12", "CATEGORY_ID": "1"}, enabled) == 2  # unmapped value: the pipeline
    with pytest.raises(PermanentSyncError, match="names no 1C base and its pipeline 0 has none"):
        deal_base(legal, {"UF_SELLER": "", "CATEGORY_ID": "0"}, enabled)
    with pytest.raises(PermanentSyncError, match="chosen for pipeline 1 is disabled"):
        deal_base(by_pipeline, {"CATEGORY_ID": "1"}, [1])
    with pytest.raises(PermanentSyncError, match="chosen for legal entity 11 is disabled"):
        deal_base(legal, {"UF_SELLER": "11", "CATEGORY_ID": "1"}, [1, 2])


def test_broken_mapping_tells_custom_fields_from_the_apps_own():
    settings = PortalSettings(deal_fields={"paid_sum": "UF_CRM_GONE"}, legal_entity_field="UF_CRM_OLD")
    broken = {(b.logical, b.default) for b in broken_mapping(PortalSettings.from_json(settings.to_json()),
                                                              _schema([]))}
    assert ("paid_sum", False) in broken and ("legal_entity", False) in broken and ("paid_status", True) in broken


def test_base_validation_probes_only_a_well_formed_allowed_url():
    probed, checked = [], []
    allow = lambda url: checked.append(url)  # noqa: E731 - the address policy says yes (None)
    errors = validate_base(BaseInput(name="b", url="http://1c.local:8080/ut/", login="u", password="p",
                                     profile="bp30"), has_stored_password=False, address=allow,
                           probe=lambda host, port: probed.append((host, port)))
    assert errors == {} and probed == [("1c.local", 8080)] and checked == ["http://1c.local:8080/ut/"]
    errors = validate_base(BaseInput(name="b", url="http://:99999/", login="u", password="", profile="ut11",
                                     base_id=3), has_stored_password=True, address=allow,
                           probe=lambda *a: pytest.fail("probed"))
    assert set(errors) == {"url"}
    # An address the policy refuses is never connected to: no port-scan oracle through the form.
    refuse = lambda url: ("err_address_refused", {"why": "loopback"})  # noqa: E731
    errors = validate_base(BaseInput(name="b", url="http://127.0.0.1:22/", login="u", password="p",
                                     profile="ut11"), has_stored_password=False, address=refuse,
                           probe=lambda *a: pytest.fail("probed"))
    assert errors == {"url": ("err_address_refused", {"why": "loopback"})}


def test_a_stored_password_is_bound_to_its_server():
    allow = lambda url: None  # noqa: E731
    edited = BaseInput(name="b", url="http://elsewhere.example/ut/", login="u", password="", profile="ut11",
                       base_id=3)
    errors = validate_base(edited, has_stored_password=True, address=allow, probe=None,
                           stored_url="http://1c.example/ut/")
    assert errors == {"password": ("err_password_host", {})}
    moved_path = replace(edited, url="http://1c.example/other/")
    assert validate_base(moved_path, has_stored_password=True, address=allow, probe=None,
                         stored_url="http://1c.example/ut/") == {}


def test_registry_resolves_lazily_and_reports_missing_streams():
    assert sync_now.available("check_bases")
    assert not sync_now.available("no_such_job")
    original = sync_now.REGISTRY["payments"]
    sync_now.REGISTRY["payments"] = sync_now.NamedJob("payments", "b24app.jobs.sync.no_such_function")
    try:
        assert not sync_now.available("payments")
        with pytest.raises(sync_now.UnknownJob, match="does not exist"):
            sync_now.resolve("payments")
    finally:
        sync_now.REGISTRY["payments"] = original
