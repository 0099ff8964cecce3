"""The settings page in chromium inside the sandbox portal's app page, as an administrator: add a base, test the
connection (wrong password, good, an unpublished object), map stages from the sandbox's pipelines, save, run
"check every 1C base" on a real RQ worker and watch the progress bar reach the end; then as a non-admin."""

from __future__ import annotations

import pytest

from b24app.web import create_app
from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support.browser import chromium, screenshot
from tests.support.processes import get_json, post_json
from tests.support.settings_data import start_worker, stop_worker

pytestmark = [pytest.mark.db, pytest.mark.browser]


@pytest.fixture
def registered_app(settings, sandbox_url) -> dict:
    """Registered with the settings page as the app's handler (the page the left-menu entry opens)."""
    post_json(sandbox_url + "/_sandbox/apps", {
        "client_id": settings.client_id, "client_secret": settings.client_secret,
        "install_url": settings.public_url + "/install", "handler_url": settings.public_url + "/settings",
        "scopes": ["crm", "placement", "user", "catalog"], "title": "b24-1c",
    })
    return {"client_id": settings.client_id}


@pytest.fixture
def running_app(ctx, app_server, registered_app):
    app_server.serve(create_app(context=ctx))
    return app_server


def _fill_base(frame, onec_url: str, password: str) -> None:
    frame.locator("#base-name").fill("ООО «Ромашка» (УТ 11)")
    frame.locator("#base-url").fill(f"{onec_url}/ut/")
    frame.locator("#base-login").fill(ONEC_LOGIN)
    frame.locator("#base-password").fill(password)
    frame.locator("#base-profile").select_option("ut11")
    frame.locator("#base-legal-entity").fill("ООО «Ромашка»")
    frame.locator("#base-inn").fill("7707083893")


def test_settings_page_as_admin_then_refused_as_non_admin(ctx, installed, onec_url, sandbox_url, settings,
                                                           settings_env):
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    worker = start_worker(settings_env)
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")
            frame = page.frame_locator("iframe[name='b24-frame-app']")
            frame.locator("#base-form").wait_for(timeout=20_000)

            _fill_base(frame, onec_url, "wrong-password")
            frame.locator("#test-typed-base").click()
            report = frame.locator("#test-report")
            report.wait_for(timeout=20_000)
            assert report.get_attribute("data-verdict") == "unauthorised"
            assert "1С не пустила" in report.inner_text()
            screenshot(page, "settings-test-wrong-password")

            _fill_base(frame, onec_url, ONEC_PASSWORD)
            frame.locator("#test-typed-base").click()
            frame.locator("#test-report[data-verdict='ok']").wait_for(timeout=20_000)
            screenshot(page, "settings-test-good")

            _fill_base(frame, onec_url, ONEC_PASSWORD)
            frame.locator("#save-base").click()
            frame.locator("#notice").wait_for(timeout=20_000)
            [base] = ctx.bases.list(member_id)

            post_json(f"{onec_url}/_sandbox/ut/unpublish", {"entity": "Document_ЗаказКлиента"})
            frame.locator(f"tr[data-base-id='{base.id}'] .test-base").click()
            frame.locator("#test-report[data-verdict='unpublished']").wait_for(timeout=20_000)
            assert "Document_ЗаказКлиента" in frame.locator("#missing-sets").inner_text()
            assert "Настройка стандартного интерфейса OData" in frame.locator("#report-instructions").inner_text()
            screenshot(page, "settings-test-unpublished")
            post_json(f"{onec_url}/_sandbox/ut/publish", {"entity": "Document_ЗаказКлиента"})

            frame.locator("#stage__0__make_order").select_option("PREPAYMENT_INVOICE")
            frame.locator("#stage__0__paid").select_option("WON")
            frame.locator("#stage__1__make_order").select_option("C1:PREPARATION")
            frame.locator("#stage__1__shipped").select_option("C1:EXECUTING")
            frame.locator("#save-settings").click()
            frame.locator("#notice").wait_for(timeout=20_000)
            saved = ctx.portal_settings.get(member_id)
            assert saved.stage_map(0).make_order == "PREPAYMENT_INVOICE" and saved.stage_map(0).paid == "WON"
            assert saved.stage_map(1).shipped == "C1:EXECUTING"
            screenshot(page, "settings-saved")

            frame.locator("#run-check_bases").click()
            frame.locator("#sync-job[data-state='finished']").wait_for(timeout=30_000)
            assert frame.locator("#sync-progress").evaluate("el => el.value") == 100
            assert frame.locator("#sync-count").inner_text() == "1 / 1"
            assert "в порядке: 1" in frame.locator("#sync-result").inner_text()
            assert frame.locator("#run-payments").count() == 1
            screenshot(page, "settings-sync-now")

            page.goto(f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=2&lang=ru")
            readonly = page.frame_locator("iframe[name='b24-frame-app']").locator("#settings-readonly")
            readonly.wait_for(timeout=20_000)
            assert page.frame_locator("iframe[name='b24-frame-app']").locator("#base-form").count() == 0
            screenshot(page, "settings-non-admin")
    finally:
        output = stop_worker(worker)
    assert "check_all_bases" in output or "sync now" in output, output[-2000:]
