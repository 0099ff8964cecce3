"""The settings page's organization and warehouse controls in chromium, inside the sandbox portal's app page, as an
administrator: the page reads the base's organizations and warehouses from the sandbox 1C (УТ 11) and offers them
as selects; saving the page unchanged leaves the settings exactly as they were (including entries the page does
not show); choosing an organization per legal-entity value and a warehouse per base and pipeline saves them; when
1C cannot be read, the organization is an INN typed by hand and checked by its checksum."""

from __future__ import annotations

import pytest

from b24app.core.portal_settings import PortalSettings, StageMap
from tests.support import sync_data as sd
from tests.support.browser import chromium, screenshot
from tests.support.processes import post_json

pytestmark = [pytest.mark.db, pytest.mark.browser]

FIELD = "UF_CRM_B24_1C_SELLER"
ORGS, STORES = "Catalog_Организации", "Catalog_Склады"
B_NAME, B_INN = "ООО «Торговый дом Север»", "7702123454"
BAD_INN = "7702123450"  # one digit off B_INN: the checksum fails


@pytest.fixture
def page_setup(ctx, installed, sandbox_url, onec_url, settings):
    """A УТ 11 base with a second organization, the seller list field (values A, B) mapped to the base, and
    stored entries the page does not show: a value no longer in the field, a pipeline the portal does not have."""
    member = sd.member_id(sandbox_url)
    odata = sd.release_base(ctx, member, onec_url, "ut", "ut11")
    [base] = ctx.bases.list(member)
    odata.create(ORGS, {"Description": B_NAME, "НаименованиеПолное": B_NAME, "ИНН": B_INN, "Префикс": "СВ"})
    client = sd.manager(sandbox_url)
    client.call("crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": FIELD.removeprefix("UF_CRM_"), "USER_TYPE_ID": "enumeration", "XML_ID": "b24_1c_seller",
        "EDIT_FORM_LABEL": "Юрлицо продавца", "LIST": [{"VALUE": "A", "SORT": 10}, {"VALUE": "B", "SORT": 20}]}})
    values = {i["VALUE"]: i["ID"] for i in client.call("crm.deal.fields").result[FIELD]["items"]}
    stores = odata.query(STORES, filter="IsFolder eq false and DeletionMark eq false",
                         select=["Ref_Key", "Description"], orderby="Description").rows
    assert len(stores) >= 2, "the sandbox base has fewer than two warehouses"
    settings_now, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, PortalSettings.from_json({
        **settings_now.to_json(), "legal_entity_field": FIELD,
        "legal_entity_bases": {values["A"]: base.id, values["B"]: base.id, "9999": base.id},
        "legal_entity_orgs": {values["A"]: base.legal_entity_inn, "9999": B_INN},
        "warehouses": {f"{base.id}:77": stores[1]["Ref_Key"]},
        "category_bases": {"77": base.id},
        "stages": {"0": {"make_order": "PREPARATION"}, "77": {"make_order": "C77:NEW"}}}), version)
    return dict(member=member, base=base, values=values, stores=stores, onec=onec_url,
                app=f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    page.goto(url)
    frame = page.frame_locator("iframe[name='b24-frame-app']")
    frame.locator("#settings-form").wait_for(timeout=20_000)
    return page, frame


def _save(frame, outcome: str = "#notice") -> None:
    """Submit the settings form and wait for the new page to show `outcome` (the page before shows neither)."""
    frame.locator("#save-settings").click()
    frame.locator(outcome).wait_for(timeout=20_000)


def test_organizations_and_warehouses_are_chosen_on_the_page_and_an_unchanged_save_changes_nothing(ctx, page_setup):
    env, member = page_setup, page_setup["member"]
    base_id, a, b = env["base"].id, env["values"]["A"], env["values"]["B"]
    before = ctx.portal_settings.get(member).to_json()
    with chromium() as browser:
        page, frame = _open(browser, env["app"])
        org_b = frame.locator(f"#legal-org-{b}")
        labels = org_b.locator("option").all_inner_texts()
        assert f"{B_NAME}, ИНН {B_INN}" in labels
        assert f"ИНН {env['base'].legal_entity_inn}" in " ".join(labels)  # the base's own organization too
        assert frame.locator(f"#legal-org-{a}").input_value() == env["base"].legal_entity_inn
        stores = frame.locator(f"#warehouse-{base_id}").locator("option").all_inner_texts()
        assert [s["Description"] for s in env["stores"]] == stores[1:]  # after "the first by name"
        screenshot(page, "settings-orgs-loaded")

        # load → save unchanged → identical settings (the value 9999 and pipeline 77 are not on the page)
        _save(frame)
        assert frame.locator("#notice").count() == 1
        assert ctx.portal_settings.get(member).to_json() == before

        page, frame = _open(browser, env["app"])
        frame.locator(f"#legal-org-{b}").select_option(B_INN)
        frame.locator(f"#warehouse-{base_id}").select_option(env["stores"][0]["Ref_Key"])
        frame.locator(f"#warehouse-{base_id}-1").select_option(env["stores"][1]["Ref_Key"])
        _save(frame)
        assert frame.locator("#notice").count() == 1
        saved = ctx.portal_settings.get(member)
        assert saved.legal_entity_orgs == {a: env["base"].legal_entity_inn, b: B_INN, "9999": B_INN}
        assert saved.warehouses == {str(base_id): env["stores"][0]["Ref_Key"],
                                    f"{base_id}:1": env["stores"][1]["Ref_Key"],
                                    f"{base_id}:77": env["stores"][1]["Ref_Key"]}
        assert saved.warehouse_for(base_id, "1") == env["stores"][1]["Ref_Key"]
        assert saved.warehouse_for(base_id, "0") == env["stores"][0]["Ref_Key"]
        assert saved.legal_entity_bases["9999"] == base_id and saved.category_bases == {"77": base_id}
        assert saved.stage_map(77) == StageMap(make_order="C77:NEW")
        screenshot(page, "settings-orgs-saved")

        # "the base's own" again empties the value's organization
        page, frame = _open(browser, env["app"])
        frame.locator(f"#legal-org-{a}").select_option("")
        _save(frame)
        assert a not in ctx.portal_settings.get(member).legal_entity_orgs


def test_when_1c_cannot_be_read_the_organization_is_an_inn_checked_by_its_checksum(ctx, page_setup):
    env, member = page_setup, page_setup["member"]
    base_id, b = env["base"].id, env["values"]["B"]
    post_json(f"{env['onec']}/_sandbox/ut/fault", {"down": True})
    ctx.redis.delete(ctx.keys.base_choices(member, base_id))  # no page read of this base is cached
    try:
        with chromium() as browser:
            page, frame = _open(browser, env["app"])
            assert "сейчас не прочитать" in frame.locator(f"[data-orgs-unread='{base_id}']").inner_text()
            assert frame.locator(f"[data-warehouses-unread='{base_id}']").count() == 1
            typed = frame.locator(f"input#legal-org-{b}")
            typed.fill(BAD_INN)
            # the browser's own pattern check passes (10 digits): the server's checksum check refuses it
            _save(frame, f"#err-legal_org__{b}")
            assert "ИНН с ошибкой" in frame.locator(f"#err-legal_org__{b}").inner_text()
            assert b not in ctx.portal_settings.get(member).legal_entity_orgs
            screenshot(page, "settings-orgs-bad-inn")

            frame.locator(f"input#legal-org-{b}").fill(B_INN)
            _save(frame)
            assert frame.locator("#notice").count() == 1
            saved = ctx.portal_settings.get(member)
            assert saved.legal_entity_orgs[b] == B_INN
            # the warehouse the page could not show stays as stored
            assert saved.warehouses == {f"{base_id}:77": env["stores"][1]["Ref_Key"]}
    finally:
        post_json(f"{env['onec']}/_sandbox/ut/fault", {"down": False})
