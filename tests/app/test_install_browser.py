"""The whole install in a real browser: the sandbox portal's install wizard frames our install page, whose
BX24.installFinish() finishes the installation, after which ONAPPINSTALL brings the application_token; then the
deal card shows our tab."""

from __future__ import annotations

import pytest

from b24app.store.models import PortalStatus
from tests.support.browser import chromium, screenshot
from tests.support.processes import get_json, wait_until

pytestmark = [pytest.mark.db, pytest.mark.browser]


def test_install_wizard_in_chromium_finishes_and_shows_tabs(ctx, running_app, settings, sandbox_url):
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{sandbox_url}/marketplace/app/{settings.client_id}/install?lang=ru")
        # Playwright's locators wait through the frame's navigation (wizard form POST -> our page).
        heading = page.frame_locator("iframe[name='b24-frame-install']").locator("#install-ok")
        heading.wait_for(timeout=20_000)
        assert "Приложение установлено" in heading.inner_text()
        state = wait_until(lambda: (s := get_json(sandbox_url + "/_sandbox/state"))["apps"][settings.client_id]
                           ["installed"] and s, timeout=20, what="BX24.installFinish to reach the portal")
        screenshot(page, "install-wizard")

        member_id = state["member_id"]
        record = wait_until(lambda: (r := ctx.portals.get(member_id)) and r.application_token and r,
                            timeout=20, what="ONAPPINSTALL after installFinish")
        assert record.status is PortalStatus.ACTIVE

        page.goto(f"{sandbox_url}/crm/deal/details/1/")
        page.click("#b24-tab-CRM_DEAL_DETAIL_TAB-1")
        page.frame_locator("iframe[name='b24-frame-1']").locator("#tab-no-base").wait_for(timeout=20_000)
        screenshot(page, "deal-card-tab")
