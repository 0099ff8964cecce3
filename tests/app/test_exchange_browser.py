"""The settings page in chromium inside the sandbox portal, as an administrator: add a CommerceML exchange node, see
its address, user and password once, check them with the sandbox exchange node, regenerate them, and see the
old password refused and the new one accepted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from b24app.web import create_app
from b24sandbox.exchange_node.protocol import ExchangeFailure, NodeSession
from tests.support.browser import chromium, screenshot
from tests.support.processes import get_json, post_json

pytestmark = [pytest.mark.db, pytest.mark.browser]


@pytest.fixture
def settings(settings, tmp_path):
    return replace(settings, exchange_dir=str(tmp_path / "exchange"))


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


def _login_works(url: str, login: str, password: str) -> bool:
    session = NodeSession(url, login, password)
    try:
        session.checkauth("catalog")
        return session.init("catalog").file_limit > 0
    except ExchangeFailure:
        return False
    finally:
        session.close()


def test_add_an_exchange_node_see_its_credentials_once_and_regenerate(ctx, installed, sandbox_url, settings):
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")
        frame = page.frame_locator("iframe[name='b24-frame-app']")
        frame.locator("#exchange-form").wait_for(timeout=20_000)
        assert "Обмен с 1С через CommerceML (обмен с сайтом)" in frame.locator("#exchange-nodes").inner_text()

        frame.locator("#exchange-name").fill("ООО «Ромашка» (обмен с сайтом)")
        frame.locator("#exchange-inn").fill("7707083894")  # a wrong check digit
        frame.locator("#add-exchange-node").click()
        frame.locator("#err-exchange_inn").wait_for(timeout=20_000)
        assert ctx.bases.list(member_id) == []

        frame.locator("#exchange-inn").fill("7707083893")
        frame.locator("#exchange-legal-entity").fill("ООО «Ромашка»")
        frame.locator("#add-exchange-node").click()
        frame.locator("#exchange-credentials").wait_for(timeout=20_000)
        url = frame.locator("#exchange-url").inner_text().strip()
        login = frame.locator("#exchange-login").inner_text().strip()
        password = frame.locator("#exchange-password").inner_text().strip()
        assert url.startswith(settings.public_url + "/exchange/") and len(password) >= 20
        assert "показан один раз" in frame.locator("#exchange-credentials").inner_text()
        [base] = ctx.bases.list(member_id)
        assert base.route == "commerceml" and base.url == "" and base.login == login
        row = frame.locator(f"tr[data-base-id='{base.id}']")
        assert url in row.inner_text() and "Обмен с сайтом (CommerceML)" in row.inner_text()
        assert row.locator(".test-base").count() == 0  # nothing to test over OData
        screenshot(page, "settings-exchange-node-created")
        assert _login_works(url, login, password)

        # Shown once: the next render of the page has the address but no password.
        page.goto(f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")
        frame = page.frame_locator("iframe[name='b24-frame-app']")
        frame.locator(f"tr[data-base-id='{base.id}']").wait_for(timeout=20_000)
        assert frame.locator("#exchange-credentials").count() == 0
        assert password not in page.content() and password not in frame.locator("body").inner_html()

        frame.locator(f"tr[data-base-id='{base.id}'] .regenerate-exchange").click()
        frame.locator("#exchange-credentials").wait_for(timeout=20_000)
        new_login = frame.locator("#exchange-login").inner_text().strip()
        new_password = frame.locator("#exchange-password").inner_text().strip()
        assert frame.locator("#exchange-url").inner_text().strip() == url  # 1C keeps its address
        assert new_password != password
        assert "прежние больше не действуют" in frame.locator("#notice").inner_text()
        screenshot(page, "settings-exchange-node-regenerated")
    assert not _login_works(url, login, password)
    assert _login_works(url, new_login, new_password)
