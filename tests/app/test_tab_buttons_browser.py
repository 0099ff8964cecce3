"""The deal tab's buttons in chromium, inside the sandbox portal's deal card: "Отправить в 1С" shows the request's
real outcome on the tab itself — queued, then the 1C order's number once a real RQ worker made it — and a deal with
no product rows is refused with that reason in plain words, the tab (and its buttons) still there. The page a post
without JavaScript lands on polls the same outcome and offers the way back."""

from __future__ import annotations

import re

import pytest
import requests

from tests.app.test_tabs_browser import open_tab
from tests.support import sync_data as sd
from tests.support.browser import chromium, screenshot
from tests.support.tabs_data import frame_params
from tests.support.tabs_data import open_tab as post_tab

pytestmark = [pytest.mark.browser, pytest.mark.db]


def _outcome(frame, state: str):
    box = frame.locator(f"#tab-action-outcome[data-state='{state}']")
    box.wait_for(timeout=15_000)
    return box


def test_send_to_1c_shows_queued_then_the_order_and_a_deal_without_rows_is_refused_on_the_tab(
        ctx, configured_base, running_app, settings, settings_env, sandbox_url, onec_url):
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    items = sd.catalog_items(client, sd.onec(onec_url), 2)
    deal_id, company, _ = sd.deal_with_company(client)
    sd.set_rows(client, deal_id, items, [2, 1])
    empty_id = sd.new_deal(client, str(company["ID"]), "Без товаров")

    with chromium() as browser:
        page, frame = open_tab(browser, sandbox_url, "deal", int(deal_id), wait="#tab-actions")
        frame.locator("#tab-action-order").click()
        queued = _outcome(frame, "queued")
        assert "Заявка принята" in queued.inner_text() and "в течение минуты" not in queued.inner_text()
        assert frame.locator("#tab-action-order").is_disabled()  # no second press while it is under way
        screenshot(page, "tab_button_order_queued")

        sd.run_burst(ctx)  # the worker takes the request while the tab keeps polling
        done = _outcome(frame, "done")
        [link] = [x for x in ctx.links.for_entity(member, "deal", deal_id) if x.onec_number]
        assert f"№ {link.onec_number}" in done.inner_text() and configured_base.name in done.inner_text()
        assert frame.locator("#tab-action-reload").is_visible() and frame.locator("#tab-action-order").is_enabled()
        screenshot(page, "tab_button_order_done")
        page.close()

        page, frame = open_tab(browser, sandbox_url, "deal", int(empty_id), wait="#tab-actions")
        frame.locator("#tab-action-order").click()
        _outcome(frame, "queued")
        sd.run_burst(ctx)
        refused = _outcome(frame, "failed")
        text = refused.inner_text()
        assert "Заказ в 1С не создан" in text and "в сделке нет товаров" in text, text
        [item] = ctx.outbox.dead(member)
        assert item.entity_id == empty_id and "no product rows" in item.last_error
        # The way back is never lost: the tab and its buttons are still here, and the box can be hidden.
        assert frame.locator("#tab-no-link").is_visible() and frame.locator("#tab-action-order").is_enabled()
        screenshot(page, "tab_button_order_refused_no_rows")
        frame.locator("#tab-action-hide").click()
        assert frame.locator("#tab-action-outcome").is_hidden()
        page.close()

        # Without JavaScript the form posts as a page: it shows the same outcome, polls it, and leads back.
        params = frame_params(sandbox_url, settings.client_id, "CRM_DEAL_DETAIL_TAB", empty_id, lang="en")
        token = re.search(r'name="frame" value="([^"]+)"', post_tab(running_app.url, "deal", params).text).group(1)
        page = browser.new_page(viewport={"width": 900, "height": 400})
        page.set_content(f'<form method="post" action="{running_app.url}/tabs/deal/action">'
                         f'<input name="frame" value="{token}"><input name="action" value="order"></form>'
                         '<script>document.forms[0].submit()</script>')
        page.locator("#tab-action-done[data-state='queued']").wait_for(timeout=15_000)
        sd.run_burst(ctx)
        page.locator("#tab-action-done[data-state='failed']").wait_for(timeout=15_000)
        assert "the deal has no products" in page.locator("#tab-action-sentence").inner_text()
        assert page.locator("#tab-action-back").inner_text() == "← Back to the tab"
        screenshot(page, "tab_button_page_without_script_en")
        page.close()

    # The status of one deal's request cannot be read with another deal's token.
    other = re.search(r'name="frame" value="([^"]+)"', post_tab(running_app.url, "deal", frame_params(
        sandbox_url, settings.client_id, "CRM_DEAL_DETAIL_TAB", deal_id)).text).group(1)
    peek = requests.post(running_app.url + "/tabs/deal/action/status",
                         data={"frame": other, "action": "order", "ref": str(item.id)}, timeout=10)
    assert peek.status_code == 404 and "no product" not in peek.text
