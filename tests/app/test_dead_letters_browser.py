"""The dead letters page in chromium inside the sandbox portal's app page, as an administrator: from the settings
page to "Ошибки обмена", a deal refused for its INN replayed after the fix and gone from the list, another
discarded through the confirmation page; screenshots in artifacts/screenshots."""

from __future__ import annotations

import pytest

from b24app.store.outbox import DISCARDED
from tests.support import sync_data as sd
from tests.support.browser import chromium, screenshot
from tests.support.dead_letters_data import refused_deals

pytestmark = [pytest.mark.db, pytest.mark.browser]


@pytest.fixture
def refused(ctx, configured_base, sandbox_url, onec_url, settings_env, monkeypatch):
    return refused_deals(ctx, sandbox_url, onec_url, monkeypatch)


def test_replay_a_dead_letter_from_the_page_and_see_it_gone(ctx, refused, sandbox_url, settings):
    ids = {item.entity_id: item.id for item in ctx.outbox.dead(refused.member)}
    first, second = refused.deals
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")
        frame = page.frame_locator("iframe[name='b24-frame-app']")
        frame.locator("#dead-letters-link button").click(timeout=20_000)
        row = frame.locator(f"tr[data-ref='outbox:{ids[first]}']")
        row.wait_for(timeout=20_000)
        assert f"Сделка {first} → заказ в 1С" in row.inner_text()
        assert "check digits" in row.locator(".dl-reason").inner_text()
        assert frame.locator("tr[data-ref]").count() == 2
        screenshot(page, "dead-letters-list")

        refused.fix_inn()
        row.locator(".replay-one").click()
        frame.locator("#notice").wait_for(timeout=20_000)
        assert "Отправлено повторно: 1" in frame.locator("#notice").inner_text()
        assert frame.locator(f"tr[data-ref='outbox:{ids[first]}']").count() == 0
        assert frame.locator(f"tr[data-ref='outbox:{ids[second]}']").count() == 1
        screenshot(page, "dead-letters-replayed")

        frame.locator(f"tr[data-ref='outbox:{ids[second]}'] input[name='ref']").check()
        frame.locator("#discard-selected").click()
        frame.locator("#confirm-discard").wait_for(timeout=20_000)
        screenshot(page, "dead-letters-confirm-discard")
        frame.locator("#confirm-discard").click()
        frame.locator("#no-dead-letters").wait_for(timeout=20_000)
        screenshot(page, "dead-letters-empty")

    sd.settle(ctx, sandbox_url)
    [order] = refused.orders(first)
    assert order["Posted"] is True
    assert not refused.orders(second) and ctx.outbox.get(ids[second]).status == DISCARDED
