"""The sandbox portal's deal card with the app's tab in its iframe, opened in chromium; screenshots saved."""

from __future__ import annotations

import pytest

from b24app.sync.onec_documents import OneCDocuments
from b24app.web.formatting import format_money
from tests.support.browser import chromium, screenshot
from tests.support.processes import get_json
from tests.support.tabs_data import link_deal_by_number

pytestmark = [pytest.mark.browser, pytest.mark.db]


def test_deal_card_tab_in_the_browser(ctx, configured_base, running_app, settings, sandbox_url):
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    reader = OneCDocuments.for_base(ctx.bases.connection(member_id, configured_base.id))
    docs = reader.order_documents(reader.order_by_number("ТД00-000003"))
    link_deal_by_number(ctx, member_id, 3, "ТД00-000003")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{sandbox_url}/crm/deal/details/3/")
        page.click("#b24-tab-CRM_DEAL_DETAIL_TAB-1")
        frame = page.frame_locator('iframe[name="b24-frame-1"]')
        frame.locator("#order-sum").wait_for(timeout=15000)
        assert frame.locator("#order-sum").inner_text() == format_money(docs.order.amount, "ru")
        assert frame.locator("#paid-status").get_attribute("data-status") == docs.status.value
        screenshot(page, "tab_deal_partly_paid")
