"""The counterparties page in chromium inside the sandbox portal's app page, as an administrator: from the settings
page to «Контрагенты из 1С», the preview with its progress bar, a name candidate confirmed («Это одна компания»),
then the CSV and the XLSX downloaded — the XLSX opened with openpyxl and its counts checked against the page;
screenshots in artifacts/screenshots."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.support import sync_data as sd
from tests.support.browser import chromium, screenshot
from tests.support.party_data import party_sandbox_fixtures, seed_party_stand

pytestmark = [pytest.mark.db, pytest.mark.browser]


portal_sandbox, party_onec, onec = party_sandbox_fixtures()


def _count(frame, base_id: int, key: str) -> int:  # noqa: ANN001 - a playwright FrameLocator
    text = frame.locator(f"#preview-{base_id} tr[data-count='{key}'] td.num").inner_text()
    return int(text.replace("\u202f", ""))


def test_preview_confirm_and_download(ctx, installed, sandbox_url, onec, settings, settings_env):
    member_id, base_id, _, crm = seed_party_stand(ctx, sandbox_url, onec)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.goto(f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")
        frame = page.frame_locator("iframe[name='b24-frame-app']")
        frame.locator("#counterparties-link button").click(timeout=20_000)
        frame.locator(f"#preview-{base_id}-run").click(timeout=20_000)
        box = frame.locator(f"#preview-job-{base_id}")
        box.wait_for(timeout=20_000)
        assert box.locator(".cp-progress").count() == 1 and box.get_attribute("data-state") == "queued"
        sd.run_burst(ctx)
        frame.locator(f"#preview-{base_id}").wait_for(timeout=20_000)  # the poller reloads the page when done
        assert _count(frame, base_id, "to_decide") == 2 and _count(frame, base_id, "by_name") == 1
        candidate = frame.locator(f"#list-by_name-{base_id} tr[data-onec-key='{crm.name_candidate}']")
        assert candidate.get_attribute("data-outcome") == "decide"
        assert f"/crm/company/details/{crm.crm_ids['by_name']}/" in candidate.locator("a.cp-card").get_attribute(
            "href")
        screenshot(page, "counterparties-preview")
        links_before = _count(frame, base_id, "will_link")

        candidate.locator("button", has_text="Это одна компания").click()
        frame.locator("#notice[data-notice='decision_saved']").wait_for(timeout=20_000)
        candidate = frame.locator(f"#list-by_name-{base_id} tr[data-onec-key='{crm.name_candidate}']")
        assert candidate.get_attribute("data-outcome") == "link"
        assert _count(frame, base_id, "to_decide") == 1 and _count(frame, base_id, "will_link") == links_before + 1
        screenshot(page, "counterparties-decided")
        shown = {key: _count(frame, base_id, key) for key in ("will_link", "will_create", "to_decide", "by_inn_kpp",
                                                               "other_kpp", "crm_duplicates", "invalid_inn")}

        with page.expect_download() as csv_download:
            frame.locator(f"#csv-{base_id} button").click()
        rows = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text(encoding="utf-8-sig")),
                               delimiter=";"))
        assert ["будет связано с карточками CRM", str(shown["will_link"])] in rows
        with page.expect_download() as xlsx_download:
            frame.locator(f"#xlsx-{base_id} button").click()
        assert xlsx_download.value.suggested_filename == f"counterparties-preview-base-{base_id}.xlsx"
        book = load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
    counts = {r[0]: r[1] for r in book["Итоги"].iter_rows(min_row=3, values_only=True)}
    assert counts["будет связано с карточками CRM"] == shown["will_link"]
    assert counts["будет создано карточек"] == shown["will_create"]
    assert counts["ждут вашего решения"] == shown["to_decide"] == 1
    assert counts["Совпали по ИНН и КПП"] == shown["by_inn_kpp"] == 2
    assert counts["Дубли в CRM"] == shown["crm_duplicates"] == 2
    assert counts["Неверные ИНН — не используются для сопоставления"] == shown["invalid_inn"]
    similar = list(book["Похожие названия"].iter_rows(min_row=2, values_only=True))
    assert similar[0][4] == crm.name_candidate and "решено" in similar[0][-1]
