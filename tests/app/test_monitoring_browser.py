"""The journal and the dashboard in chromium inside the sandbox portal's app page, as an administrator, after a
seeded day of exchanges: from the settings page to «Журнал обмена», filtered to failures and paged; then
«Сводка обмена» with its charts. Figures checked against the seeded journal; screenshots in
artifacts/screenshots (journal-page, journal-filtered, dashboard)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.browser import chromium, screenshot
from tests.support.journal_data import FixedNow, insert_journal, moment, seeded_journal, two_bases
from tests.support.processes import get_json

pytestmark = [pytest.mark.db, pytest.mark.browser]

MOSCOW = ZoneInfo("Europe/Moscow")


def test_journal_and_dashboard_in_the_portal(ctx, installed, sandbox_url, settings):
    member = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    now = datetime.now(UTC).replace(microsecond=0)
    ctx.clock = FixedNow(now)
    bases = two_bases(ctx, member)
    rows = seeded_journal(now, bases)
    insert_journal(ctx, member, rows)
    newest = max(rows, key=lambda r: r.started_at)
    failures = [r for r in rows if r.status == "error"]
    day_start = (now.astimezone(MOSCOW).replace(hour=0, minute=0, second=0) - timedelta(days=13)).astimezone(UTC)
    orders_ok = sum(1 for r in rows if r.kind == "deal_order" and r.status == "ok" and r.base_id == bases[0]
                    and day_start <= moment(r.started_at) < day_start + timedelta(days=14))

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")
        frame = page.frame_locator("iframe[name='b24-frame-app']")
        frame.locator("#journal-link button").click(timeout=20_000)
        table = frame.locator("#journal-table")
        table.wait_for(timeout=20_000)
        assert frame.locator("tr[data-id]").count() == 50
        first = frame.locator("tr[data-id]").first
        assert newest.started_at.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M") in first.locator(".j-time").inner_text()
        screenshot(page, "journal-page")

        frame.locator("#f-status").select_option("error")
        frame.locator("#apply-filters").click()
        frame.locator("#older-page, #no-exchanges, #journal-table").first.wait_for(timeout=20_000)
        frame.locator("select#f-status option[value='error'][selected]").wait_for(state="attached", timeout=20_000)
        statuses = frame.locator("td.j-status").evaluate_all("cells => cells.map(c => c.dataset.status)")
        assert statuses and set(statuses) == {"error"}
        assert len(statuses) == min(50, len(failures))
        assert "b24app." not in frame.locator("td.j-error").first.inner_text()
        screenshot(page, "journal-filtered")

        frame.locator("#to-dashboard button").click()
        frame.locator("#streams").wait_for(timeout=20_000)
        cell = frame.locator(f"tr[data-kind='deal_order'][data-base='{bases[0]}'] .d-ok-14d")
        assert cell.inner_text().strip() == str(orders_ok)
        assert frame.locator("svg.chart").count() >= 8
        assert "ни один не работает" in frame.locator("#health-workers").inner_text()
        screenshot(page, "dashboard")
