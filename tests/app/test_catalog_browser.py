"""The catalog page in chromium inside the sandbox portal's app page, as an administrator: from the settings page to
«Каталог и остатки из 1С», the preview of the first load (with two portal products sharing one 1C item's article,
listed as a duplicate), then "Загрузить каталог" with its progress and outcome, the outcome checked against the
portal's catalog; screenshots in artifacts/screenshots."""

from __future__ import annotations

import re

import pytest

from b24app.jobs.catalog import catalog_links
from b24app.store.catalog_links import OFFER
from tests.support import sync_data as sd
from tests.support.browser import chromium, screenshot
from tests.support.catalog_data import (
    add_base,
    live_articles,
    odata,
    portal_product_count,
    reset,
    seed_duplicates,
    start_catalog_onec,
)

pytestmark = [pytest.mark.db, pytest.mark.browser]

OUTCOME = re.compile(r"Создано товаров: (\d+), обновлено: (\d+), снято с продажи: (\d+), цен записано: (\d+), "
                     r"остатков: (\d+)")


@pytest.fixture(scope="module")
def catalog_onec():
    server = start_catalog_onec()
    yield server
    server.stop()


def test_preview_then_load_from_the_page(ctx, installed, sandbox_url, catalog_onec, settings, settings_env):
    onec = reset(catalog_onec.url)
    member_id, base_id = add_base(ctx, sandbox_url, onec)
    bitrix = ctx.bitrix(member_id)
    article = live_articles(onec)[0]
    seeded = seed_duplicates(bitrix, article, copies=2)
    before = portal_product_count(bitrix)
    assert before >= 2
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")
        frame = page.frame_locator("iframe[name='b24-frame-app']")
        frame.locator("#catalog-link button").click(timeout=20_000)
        frame.locator(f"#preview-{base_id}-run").click(timeout=20_000)
        frame.locator(f"#preview-job-{base_id}").wait_for(timeout=20_000)
        sd.run_burst(ctx)
        frame.locator(f"#preview-{base_id}").wait_for(timeout=20_000)  # the poller reloads the page when done
        duplicates = frame.locator(f"#duplicates-{base_id}")
        row = duplicates.locator("tr[data-article]").filter(has_text=article)
        assert row.count() == 1
        assert all(f"#{product_id}" in row.inner_text() for product_id in seeded)
        to_create = int(frame.locator(f"#preview-{base_id} tr[data-count='to_create'] td.num").inner_text()
                        .replace("\u202f", ""))
        assert frame.locator(f"#preview-{base_id} tr[data-count='by_article'] td.num").inner_text() == "0"
        assert frame.locator(f"#csv-{base_id}").count() == 1
        screenshot(page, "catalog-preview")

        frame.locator(f"#load-{base_id}-run").click()
        frame.locator(f"#load-job-{base_id}").wait_for(timeout=20_000)
        assert frame.locator("#load-state").get_attribute("data-enabled") == "1"
        sd.run_burst(ctx)
        outcome = frame.locator(f"#load-outcome-{base_id}")
        outcome.wait_for(timeout=30_000)
        box = frame.locator(f"#load-job-{base_id}")
        assert box.get_attribute("data-state") == "finished"
        assert box.locator(".cat-progress").evaluate("el => el.value") == 100
        items = len([r for r in odata(onec, "Catalog_Номенклатура") if not r["IsFolder"]])
        assert box.locator(".cat-count").inner_text() == f"{items} из {items}"  # every 1C item walked
        found = OUTCOME.search(outcome.inner_text())
        assert found, outcome.inner_text()
        assert "Последняя загрузка" in frame.locator(f"#base-{base_id}").inner_text()
        assert "успешно" in frame.locator(f"#last-run-{base_id}").inner_text()
        assert frame.locator(f"#preview-stale-{base_id}").count() == 1  # the preview predates the load
        screenshot(page, "catalog-loaded")

    created, updated, deactivated, prices, stock = map(int, found.groups())
    made = portal_product_count(bitrix) - before
    offers = catalog_links(ctx).count(member_id, base_id, OFFER)
    assert made == to_create  # the preview said so; nothing taken over by the shared article
    assert created == made + offers  # the sentence counts products and their variations
    assert (updated, deactivated) == (0, 0)
    assert prices > 0 and stock > 0
