"""The exchange journal page over HTTP as the sandbox portal's administrator, over a seeded day of exchanges:
rows with their CRM card links, 1C documents and errors in plain words; filters by stream, result, entity, base
and period; keyset paging that shows every row once across equal timestamps, both ways; refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import requests

from b24app.store.journal_query import Cursor
from b24app.store.models import JournalRow
from b24app.web.frame import FrameUser, sign_frame
from tests.support.journal_data import (
    ERRORS,
    PLAIN_ERRORS,
    FixedNow,
    insert_journal,
    moment,
    seeded_journal,
    two_bases,
)
from tests.support.processes import get_json
from tests.support.settings_data import app_frame, frame_token, open_settings, post_form

pytestmark = pytest.mark.db

PAGE = "/settings/journal"
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def journal(ctx, installed, sandbox_url):
    """The installed portal with two 1C bases, a seeded journal and a 1C order linked to one deal."""
    member = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    now = datetime.now(UTC).replace(microsecond=0)
    ctx.clock = FixedNow(now)
    bases = two_bases(ctx, member)
    rows = seeded_journal(now, bases)
    insert_journal(ctx, member, rows)
    ctx.links.put(member, bases[0], "deal", "100", "Document_ЗаказКлиента", "5c0f7a4e-9a3b-11ee-8c90-0242ac120002",
                  "УТ-000100")
    return member, bases, rows


def _token(ctx, member: str, lang: str = "ru", admin: bool = True, user: str = "1") -> str:
    return sign_frame(ctx, FrameUser(member, user, admin, lang, "DEFAULT", {}))


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)">', html)]


def _row(html: str, row_id: int) -> str:
    found = re.search(rf'<tr data-id="{row_id}">(.*?)</tr>', html, flags=re.S)
    assert found, f"row {row_id} is not shown"
    return found.group(1)


def _text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _cursor(html: str, form_id: str) -> str | None:
    found = re.search(rf'id="{form_id}">.*?name="(?:after|before)" value="([^"]+)"', html, flags=re.S)
    return found.group(1) if found else None


def _all_rows(ctx, member: str) -> list[tuple[datetime, int, JournalRow]]:
    from sqlalchemy import select

    from b24app.store.tenancy import portal_id

    with ctx.db.transaction() as s:
        rows = s.scalars(select(JournalRow).where(JournalRow.portal_id == portal_id(s, member))).all()
    return sorted(((moment(r.started_at), r.id, r) for r in rows), key=lambda t: (t[0], t[1]), reverse=True)


def _walk(app_url: str, token: str, data: dict) -> list[list[int]]:
    """Every page from the newest to the oldest through the "older" buttons, then back through "newer"."""
    pages, html = [], post_form(app_url, PAGE, token, data).text
    pages.append(_ids(html))
    while (after := _cursor(html, "older-page")) is not None:
        html = post_form(app_url, PAGE, token, {**data, "after": after}).text
        pages.append(_ids(html))
        assert len(pages) < 100
    back = [_ids(html)]
    while (before := _cursor(html, "newer-page")) is not None:
        html = post_form(app_url, PAGE, token, {**data, "before": before}).text
        back.append(_ids(html))
        assert len(back) < 100
    assert back[::-1] == pages, "newer pages are not the older pages read back"
    return pages


def test_the_page_opens_from_settings_with_links_documents_and_plain_errors(ctx, journal, running_app, sandbox_url,
                                                                            settings):
    member, bases, rows = journal
    settings_page = open_settings(running_app.url, app_frame(sandbox_url, settings.client_id))
    assert 'id="journal-link"' in settings_page.text and 'id="dashboard-link"' in settings_page.text
    html = post_form(running_app.url, PAGE, frame_token(settings_page.text)).text
    assert "Журнал обмена" in html and "Traceback" not in html
    ordered = _all_rows(ctx, member)
    assert _ids(html) == [i for _, i, _ in ordered[:50]]

    deal = next(r for _, _, r in ordered if r.entity == "deal:100")
    company = next(r for _, _, r in ordered if r.entity == "company:7")
    failed = next(r for _, _, r in ordered[:50] if r.status == "error")
    for row, card in ((deal, "/crm/deal/details/100/"), (company, "/crm/company/details/7/")):
        html = post_form(running_app.url, PAGE, _token(ctx, member), {"entity": row.entity}).text
        cell = _row(html, row.id)
        assert f'href="{sandbox_url}{card}"' in cell and 'target="_top"' in cell
    html = post_form(running_app.url, PAGE, _token(ctx, member), {"entity": "deal:100"}).text
    shown = _text(_row(html, deal.id))
    assert "Сделка 100" in shown and "ЗаказКлиента № УТ-000100" in shown and "Заказы по сделкам" in shown
    assert "Битрикс24 → 1С" in shown and "УТ <Москва>" in shown
    assert moment(deal.started_at).astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M") in shown
    assert "&lt;Москва&gt;" in html  # a base's name is text, not markup

    html = post_form(running_app.url, PAGE, _token(ctx, member)).text
    cell = _text(_row(html, failed.id))
    assert "ошибка" in cell and "b24app." not in cell
    assert PLAIN_ERRORS[ERRORS.index(failed.error)] in cell

    english = post_form(running_app.url, PAGE, _token(ctx, member, lang="en")).text
    assert "Exchange journal" in english and "Журнал обмена" not in english
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} 20\d\d, \d\d:\d\d", english)


def test_filters_by_stream_result_entity_base_and_period(ctx, journal, running_app):
    member, bases, _ = journal
    ordered = _all_rows(ctx, member)
    token = _token(ctx, member)

    def shown(data: dict) -> set[int]:
        return {i for page in _walk(running_app.url, token, data) for i in page}

    def expected(pred) -> set[int]:
        return {i for _, i, r in ordered if pred(r)}

    assert shown({"kind": "deal_order", "status": "error"}) == expected(
        lambda r: r.kind == "deal_order" and r.status == "error")
    assert shown({"entity": "DEAL:105"}) == expected(lambda r: r.entity == "deal:105") != set()
    assert shown({"base": str(bases[1]), "status": "retry"}) == expected(
        lambda r: r.base_id == bases[1] and r.status == "retry") != set()
    today = ctx.clock.now().astimezone(MOSCOW).date()
    since = today - timedelta(days=5)
    until = today - timedelta(days=2)
    period = expected(lambda r: since <= moment(r.started_at).astimezone(MOSCOW).date() <= until)
    assert shown({"since": since.strftime("%d.%m.%Y"), "until": until.strftime("%d.%m.%Y")}) == period != set()
    assert shown({"since": since.isoformat(), "until": until.isoformat(), "kind": "payments"}) == {
        i for i in period if next(r for _, j, r in ordered if j == i).kind == "payments"}

    bad = post_form(running_app.url, PAGE, token, {"entity": "deal 42; drop", "since": "31.02.2026"})
    assert bad.status_code == 200 and bad.text.count('id="filter-error"') == 2
    assert _ids(bad.text) == [i for _, i, _ in ordered[:50]]  # the broken fields are left out, not guessed
    damaged = post_form(running_app.url, PAGE, token, {"after": "bm9uc2Vuc2U"})
    assert damaged.status_code == 200 and "ссылка на страницу повреждена" in damaged.text


def test_keyset_paging_shows_every_row_once_across_equal_timestamps(ctx, journal, running_app):
    member, _, rows = journal
    ordered = _all_rows(ctx, member)
    pages = _walk(running_app.url, _token(ctx, member), {})
    flat = [i for page in pages for i in page]
    assert flat == [i for _, i, _ in ordered] and len(flat) == len(set(flat)) == len(rows)
    assert all(len(page) == 50 for page in pages[:-1]) and 0 < len(pages[-1]) <= 50
    # The seven exchanges journaled at one moment straddle a page boundary yet each is shown once.
    same = [i for t, i, _ in ordered if sum(1 for u, _, _ in ordered if u == t) == 7]
    assert len(same) == 7
    boundary = Cursor(next(t for t, i, _ in ordered if i == same[2]), same[2])
    after = post_form(running_app.url, PAGE, _token(ctx, member), {"after": boundary.encode()}).text
    assert _ids(after)[:4] == same[3:]


def test_refused_for_get_forged_tokens_and_non_admins(ctx, journal, running_app, sandbox_url, settings):
    member = journal[0]
    for path in (PAGE, "/settings/dashboard"):
        assert requests.get(running_app.url + path, timeout=30).status_code == 400
        forged = post_form(running_app.url, path, _token(ctx, member)[:-4] + "AAAA")
        assert forged.status_code == 403 and "только администратор" in forged.text and "data-id" not in forged.text
        assert post_form(running_app.url, path, _token(ctx, member, admin=False, user="2")).status_code == 403
        as_user = requests.post(running_app.url + path, timeout=30,
                                data=app_frame(sandbox_url, settings.client_id, user_id=2))
        assert as_user.status_code == 403 and "только администратор" in as_user.text
    as_admin = requests.post(running_app.url + PAGE, data=app_frame(sandbox_url, settings.client_id), timeout=30)
    assert as_admin.status_code == 200 and len(_ids(as_admin.text)) == 50
