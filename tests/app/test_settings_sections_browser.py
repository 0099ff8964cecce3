"""The settings page as a newcomer meets it, in chromium inside the sandbox portal's app page: a section nav whose
anchors all lead somewhere, the monitoring links, field dropdowns that name fields by the portal's label (the code
under them, underscores intact, nothing cut), the "create the 1C order at stage" choice that says what "none" means,
a save that returns to the section it was made from and changes nothing the page was not asked to change (every
key, including ones the page has no control for or can no longer show), and "run now" that ends in a sentence."""

from __future__ import annotations

import re

import pytest

from b24app.core.portal_settings import PortalSettings
from tests.support import sync_data as sd
from tests.support.browser import ARTIFACTS, chromium, screenshot
from tests.support.settings_data import start_worker, stop_worker

pytestmark = [pytest.mark.db, pytest.mark.browser]

SELLER = "UF_CRM_B24_1C_SELLER"
PAID = "UF_CRM_B24_PAID_TOTAL_WITH_RETURNS"
PAID_LABEL = "Оплачено по данным 1С с учётом возвратов и зачтённых авансов покупателя"
STORES = "Catalog_Склады"


@pytest.fixture
def seeded(ctx, installed, sandbox_url, onec_url, settings):
    """A УТ 11 base; a deal field with a long label; the seller list field; and stored settings with every key
    away from its default, including entries the page cannot show: a list value no longer in the field (9999), a
    pipeline the portal does not have (77), a stage gone from its pipeline, a company field deleted from the portal,
    an interval that is not whole minutes (90 s) and the tab timeout, which has no control at all."""
    member = sd.member_id(sandbox_url)
    odata = sd.release_base(ctx, member, onec_url, "ut", "ut11")
    [base] = ctx.bases.list(member)
    client = sd.manager(sandbox_url)
    client.call("crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": PAID.removeprefix("UF_CRM_"), "USER_TYPE_ID": "double", "EDIT_FORM_LABEL": PAID_LABEL}})
    client.call("crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": SELLER.removeprefix("UF_CRM_"), "USER_TYPE_ID": "enumeration", "XML_ID": "b24_1c_seller",
        "EDIT_FORM_LABEL": "Юрлицо продавца", "LIST": [{"VALUE": "A", "SORT": 10}, {"VALUE": "B", "SORT": 20}]}})
    values = {i["VALUE"]: i["ID"] for i in client.call("crm.deal.fields").result[SELLER]["items"]}
    stores = odata.query(STORES, filter="IsFolder eq false and DeletionMark eq false",
                         select=["Ref_Key", "Description"], orderby="Description").rows
    now, version = ctx.portal_settings.load(member)
    doc = {**now.to_json(),
           "deal_fields": {**now.deal_fields, "paid_sum": PAID},
           "company_fields": {**now.company_fields, "debt": "UF_CRM_GONE_DEBT"},
           "legal_entity_field": SELLER,
           "legal_entity_bases": {values["A"]: base.id, values["B"]: base.id, "9999": base.id},
           "legal_entity_orgs": {values["A"]: base.legal_entity_inn},
           "warehouses": {str(base.id): stores[0]["Ref_Key"], f"{base.id}:77": stores[1]["Ref_Key"]},
           "category_bases": {"1": base.id, "77": base.id},
           "stages": {"0": {"make_order": "PREPARATION", "paid": "WON"}, "1": {"shipped": "C1:GONE"},
                      "77": {"make_order": "C77:NEW"}},
           "schedules": {"payments_seconds": 90, "debt_seconds": 1800, "shipments_seconds": 900,
                         "pull_from_1c": True, "push_to_1c": False},
           "tab_timeout_seconds": 7.5}
    ctx.portal_settings.save(member, PortalSettings.from_json(doc), version)
    return dict(member=member, base=base,
                app=f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    frame = page.frame_locator("iframe[name='b24-frame-app']")
    frame.locator("#settings-form").wait_for(timeout=20_000)
    return page, frame


def _in_view(page, frame, selector: str) -> bool:
    """Whether the element's top is inside the browser window (the portal grows the frame: the page scrolls)."""
    box = frame.locator(selector).bounding_box()
    return box is not None and 0 <= box["y"] < page.viewport_size["height"]


def test_sections_labels_make_order_round_trip_and_sync_sentence(ctx, seeded, settings_env):
    member = seeded["member"]
    before = ctx.portal_settings.get(member).to_json()
    worker = start_worker(settings_env)
    try:
        with chromium() as browser:
            page, frame = _open(browser, seeded["app"])
            inner = page.frame(name="b24-frame-app")

            # The nav: every anchor leads to a section of this page; the monitoring links are form posts.
            targets = frame.locator("#section-nav a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
            assert {"#section-bases", "#section-fields", "#section-stages", "#section-schedules", "#section-sync",
                    "#section-monitoring"} <= set(targets)
            assert all(inner.evaluate("h => !!document.querySelector(h)", h) for h in targets), targets
            assert frame.locator("#dead-letters-link button").inner_text() == "Ошибки обмена"
            for link in ("#journal-link", "#dashboard-link", "#alerts-link"):
                if frame.locator(link).count():  # shown once that page is served by this deployment
                    assert frame.locator(f"{link} input[name='frame']").count() == 1

            # Field names, not codes; the code under the select, whole; the select wide enough for the label.
            paid = frame.locator("#deal_field__paid_sum")
            assert paid.evaluate("s => s.options[s.selectedIndex].text") == PAID_LABEL
            assert frame.locator("#code-deal_field__paid_sum").inner_text() == PAID
            texts = frame.locator("select.b24-field-select option").all_inner_texts()
            assert not [t for t in texts if t.startswith("UF_") and "нет на портале" not in t], texts
            fits = paid.evaluate("""s => { const c = document.createElement('canvas').getContext('2d');
                c.font = getComputedStyle(s).font;
                return c.measureText(s.options[s.selectedIndex].text).width + 24 <= s.clientWidth; }""")
            assert fits, "the field's label is cut off in its select"
            code = frame.locator("#code-deal_field__paid_sum")
            # room under the baseline, where an underscore is drawn
            assert code.evaluate("e => e.getBoundingClientRect().height >= "
                                 "parseFloat(getComputedStyle(e).fontSize) * 1.3")
            assert frame.locator("#legal-entity-field").evaluate("s => s.options[s.selectedIndex].text") == \
                "Юрлицо продавца"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            frame.locator("#field-mapping").screenshot(path=str(ARTIFACTS / "settings-sections-fields-close.png"))

            # "Create the 1C order at stage": none says nothing goes to 1C; the note follows the choice.
            none = frame.locator("#stage__1__make_order")
            assert none.evaluate("s => s.options[s.selectedIndex].text") == \
                "— не создавать: в 1С ничего не отправляется —"
            assert frame.locator("#make-order-note-1").get_attribute("data-off") == "true"
            assert "сами в 1С не попадут" in frame.locator("#make-order-note-1").inner_text()
            assert frame.locator("#make-order-note-0").get_attribute("data-off") == "false"
            none.select_option("C1:PREPARATION")
            assert frame.locator("#make-order-note-1").get_attribute("data-off") == "false"
            screenshot(page, "settings-sections-loaded")
            frame.locator("#stage-mapping").screenshot(path=str(ARTIFACTS / "settings-sections-stages-close.png"))
            none.select_option("")
            assert frame.locator("#make-order-note-1").get_attribute("data-off") == "true"

            # The nav leads to the stages; a save made there returns there and changes nothing.
            frame.locator("#section-nav a[data-section='stages']").click()
            assert inner.url.endswith("#section-stages")
            frame.locator("#stage__0__paid").select_option("WON")  # the value it had: touched, not changed
            frame.locator("#save-settings").click()
            frame.locator("#notice").wait_for(timeout=20_000)
            inner = page.frame(name="b24-frame-app")
            assert inner.url.endswith("#section-stages"), inner.url
            page.wait_for_timeout(600)  # openSection scrolls again once the portal has grown the frame
            assert _in_view(page, frame, "#section-stages")
            assert not _in_view(page, frame, "#section-bases")
            after = ctx.portal_settings.get(member).to_json()
            assert after == before, {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
            assert ctx.portal_settings.load(member)[1] == 2  # it was saved (version 1 → 2), as it was
            screenshot(page, "settings-sections-saved-at-stages")

            # Run now: the outcome is a sentence in the admin's language, never the job's JSON.
            frame.locator("#run-payments").click()
            frame.locator("#sync-job[data-state='finished']").wait_for(timeout=60_000)
            sentence = frame.locator("#sync-result").inner_text()
            assert re.fullmatch(r"Оплаты загружены из 1С \(баз: 1\)\. Обновлено сделок: \d+\.", sentence), sentence
            assert page.frame(name="b24-frame-app").url.endswith("#section-sync")
            screenshot(page, "settings-sections-sync-sentence")
            frame.locator("#sync-now").screenshot(path=str(ARTIFACTS / "settings-sections-sync-close.png"))

            page, frame = _open(browser, seeded["app"].replace("lang=ru", "lang=en"))
            assert frame.locator("#section-nav a[data-section='stages']").inner_text() == "Stages"
            assert frame.locator("#stage__1__make_order").evaluate("s => s.options[s.selectedIndex].text") == \
                "— none: nothing is sent to 1C —"
            screenshot(page, "settings-sections-english")
    finally:
        output = stop_worker(worker)
    assert "payments" in output, output[-2000:]


def test_the_demos_text_field_routing_survives_an_unchanged_save(ctx, installed, sandbox_url, onec_url, settings):
    """The demo routes deals by a text field (values matched as text): the page used to offer only list fields, so
    an unchanged save picked "not used" and wiped the routing, after which every deal tab showed a false error."""
    from b24app.demo import LEGAL_FIELD
    from b24app.demo_links import write_deal_field

    member = sd.member_id(sandbox_url)
    sd.release_base(ctx, member, onec_url, "ut", "ut11")
    sd.release_base(ctx, member, onec_url, "bp", "bp30")
    first, second = ctx.bases.list(member)
    write_deal_field(ctx.bitrix(member), 1, LEGAL_FIELD, "ООО «Ромашка»", "Юрлицо (база 1С)")
    now, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, PortalSettings.from_json({
        **now.to_json(), "legal_entity_field": LEGAL_FIELD,
        "legal_entity_bases": {"ООО «Ромашка»": first.id, "ИП Васильков": second.id}}), version)
    before = ctx.portal_settings.get(member).to_json()
    with chromium() as browser:
        page, frame = _open(browser, f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")
        assert frame.locator("#legal-entity-field").input_value() == LEGAL_FIELD
        assert frame.locator("#legal-text-values tr[data-legal-text]").count() == 2
        assert second.name in frame.locator("#legal-text-values").inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        frame.locator("#legal-entities").screenshot(path=str(ARTIFACTS / "settings-sections-demo-text-field.png"))
        frame.locator("#save-settings").click()
        frame.locator("#notice").wait_for(timeout=20_000)
        screenshot(page, "settings-sections-demo-text-field-saved")
    assert ctx.portal_settings.get(member).to_json() == before
