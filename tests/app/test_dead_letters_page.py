"""The dead letters page over HTTP, opened from the settings page as the sandbox portal's administrator: it lists
what the exchange set aside (deals whose company INN fails its check digits, a pull 1C refused), replays one,
the selected or all, discards the selected after a confirmation page, and refuses forged or non-admin frames."""

from __future__ import annotations

import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import requests
from rq.registry import FailedJobRegistry

from b24app.store.models import OutboxRow
from b24app.store.outbox import DEAD, DISCARDED, PENDING
from b24app.web import dead_letters as page_module
from b24app.web.frame import FrameUser, sign_frame
from tests.support import sync_data as sd
from tests.support.dead_letters_data import failed_pull, refused_deals
from tests.support.settings_data import app_frame, frame_token, open_settings, post_form

pytestmark = pytest.mark.db

PAGE = "/settings/dead-letters"


@pytest.fixture
def refused(ctx, configured_base, sandbox_url, onec_url, settings_env, monkeypatch):
    return refused_deals(ctx, sandbox_url, onec_url, monkeypatch)


def _open(app_url: str, sandbox_url: str, client_id: str, lang: str = "ru") -> requests.Response:
    """The settings page as the portal opens it, then its "Ошибки обмена" link (a POST with the frame token)."""
    settings_page = open_settings(app_url, app_frame(sandbox_url, client_id, lang=lang))
    assert settings_page.status_code == 200, settings_page.text[:500]
    assert 'id="dead-letters-link"' in settings_page.text
    listed = post_form(app_url, PAGE, frame_token(settings_page.text))
    assert listed.status_code == 200, listed.text[:500]
    return listed


def _refs(html: str) -> list[str]:
    return re.findall(r'<tr data-ref="([^"]+)">', html)


def _row_text(html: str, ref: str) -> str:
    found = re.search(rf'<tr data-ref="{re.escape(ref)}">(.*?)</tr>', html, flags=re.S)
    assert found, f"{ref} is not listed"
    return unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def _status(ctx, item_id: int) -> str:
    with ctx.db.transaction() as s:
        return s.get(OutboxRow, item_id).status


def _dead_ids(ctx, refused) -> dict[str, int]:
    return {item.entity_id: item.id for item in ctx.outbox.dead(refused.member)}


def _moscow(ctx, item_id: int) -> str:
    with ctx.db.transaction() as s:
        moment = s.get(OutboxRow, item_id).updated_at
    moment = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo("Europe/Moscow")).strftime("%d.%m.%Y %H:%M")


def test_the_page_lists_with_reasons_and_replays_one_after_the_fix(ctx, refused, running_app, sandbox_url, onec_url,
                                                                   settings):
    failed_pull(ctx, onec_url, refused.member)
    ids = _dead_ids(ctx, refused)
    listed = _open(running_app.url, sandbox_url, settings.client_id)
    html = listed.text
    assert "Ошибки обмена" in html
    [job_id] = FailedJobRegistry(queue=ctx.queue("default")).get_job_ids()
    assert sorted(_refs(html)) == sorted([f"outbox:{i}" for i in ids.values()] + [f"rq:{job_id}"])
    for deal, item_id in ids.items():
        row = _row_text(html, f"outbox:{item_id}")
        assert f"Сделка {deal} → заказ в 1С" in row
        assert "INN" in row and "is not valid (check digits)" in row
        assert _moscow(ctx, item_id) in row and re.search(r"\b1\b", row)
    assert "Загрузка из 1С: оплаты" in _row_text(html, f"rq:{job_id}")
    assert "Traceback" not in html

    refused.fix_inn()
    first, second = refused.deals
    replayed = post_form(running_app.url, f"{PAGE}/replay", frame_token(html), {"one": f"outbox:{ids[first]}"})
    assert replayed.status_code == 200 and "Отправлено повторно: 1" in replayed.text
    assert f"outbox:{ids[first]}" not in _refs(replayed.text) and f"outbox:{ids[second]}" in _refs(replayed.text)
    sd.settle(ctx, sandbox_url)
    assert len(refused.orders(first)) == 1 and not refused.orders(second)

    # The same button pressed again (a stale page): nothing is dead any more, nothing is sent twice.
    again = post_form(running_app.url, f"{PAGE}/replay", frame_token(html), {"one": f"outbox:{ids[first]}"})
    assert again.status_code == 200 and "Уже не в списке ошибок" in again.text
    sd.settle(ctx, sandbox_url)
    assert len(refused.orders(first)) == 1

    everything = post_form(running_app.url, f"{PAGE}/replay", frame_token(again.text), {"all": "1"})
    assert "Отправлено повторно: 2" in everything.text and 'id="no-dead-letters"' in everything.text
    sd.settle(ctx, sandbox_url)
    sd.run_burst(ctx)
    assert len(refused.orders(first)) == 1 and len(refused.orders(second)) == 1
    assert FailedJobRegistry(queue=ctx.queue("default")).get_job_ids() == []


def test_replay_selected_and_discard_selected_with_confirmation(ctx, refused, running_app, sandbox_url, settings):
    ids = _dead_ids(ctx, refused)
    first, second = refused.deals
    html = _open(running_app.url, sandbox_url, settings.client_id).text
    token = frame_token(html)

    confirm = post_form(running_app.url, f"{PAGE}/discard", token, {"ref": [f"outbox:{ids[first]}"]})
    assert confirm.status_code == 200 and 'id="confirm-discard"' in confirm.text
    assert "Убрать из списка ошибок?" in confirm.text and _refs(confirm.text) == [f"outbox:{ids[first]}"]
    assert _status(ctx, ids[first]) == DEAD  # asking changes nothing

    cancelled = post_form(running_app.url, PAGE, frame_token(confirm.text))
    assert f"outbox:{ids[first]}" in _refs(cancelled.text)
    done = post_form(running_app.url, f"{PAGE}/discard", frame_token(confirm.text),
                     {"ref": [f"outbox:{ids[first]}"], "confirm": "1"})
    assert done.status_code == 200 and "Убрано: 1" in done.text
    assert _status(ctx, ids[first]) == DISCARDED and _refs(done.text) == [f"outbox:{ids[second]}"]

    refused.fix_inn()
    selected = post_form(running_app.url, f"{PAGE}/replay", frame_token(done.text),
                         {"ref": [f"outbox:{ids[second]}", f"outbox:{ids[first]}"]})
    assert "Отправлено повторно: 1" in selected.text and "Уже не в списке ошибок (повторены или убраны раньше): 1" \
        in selected.text
    sd.settle(ctx, sandbox_url)
    assert len(refused.orders(second)) == 1 and not refused.orders(first)  # the discarded one stays given up
    assert _status(ctx, ids[first]) == DISCARDED and ctx.outbox.counts(refused.member)[PENDING] == 0


def test_english_portal_and_a_bounded_list(ctx, refused, running_app, sandbox_url, settings, monkeypatch):
    monkeypatch.setattr(page_module, "PAGE_LIMIT", 1)
    html = _open(running_app.url, sandbox_url, settings.client_id, lang="en").text
    assert "Dead letters" in html and "Ошибки обмена" not in html
    [ref] = _refs(html)
    newest = max(_dead_ids(ctx, refused).values())
    assert ref == f"outbox:{newest}"
    row = _row_text(html, ref)
    assert re.search(r"Deal \d+ → 1C order", row) and re.search(r"\d{1,2} [A-Z][a-z]{2} 20\d\d, \d\d:\d\d", row)
    assert "Showing the newest 1 of 2" in html and "Replay all (2)" in html


def test_refused_without_a_valid_frame_or_for_a_non_admin(ctx, refused, running_app, sandbox_url, settings):
    ids = _dead_ids(ctx, refused)
    ref = f"outbox:{ids[refused.deals[0]]}"
    forged = post_form(running_app.url, f"{PAGE}/discard", "forged", {"ref": [ref], "confirm": "1"})
    assert forged.status_code == 403 and 'id="dead-letters-refused"' in forged.text
    assert post_form(running_app.url, f"{PAGE}/replay", "", {"all": "1"}).status_code in (400, 401)
    assert requests.get(running_app.url + PAGE, timeout=30).status_code == 400

    # A non-admin: their own frame POST, and a token their frame could hold (a card tab signs one the same way).
    as_user = requests.post(running_app.url + PAGE, data=app_frame(sandbox_url, settings.client_id, user_id=2),
                            timeout=30)
    assert as_user.status_code == 403 and "только администратор" in as_user.text
    token = sign_frame(ctx, FrameUser(refused.member, "2", False, "ru", "DEFAULT", {}))
    for path, data in ((f"{PAGE}/replay", {"all": "1"}), (f"{PAGE}/discard", {"ref": [ref], "confirm": "1"})):
        assert post_form(running_app.url, path, token, data).status_code == 403
    assert set(_dead_ids(ctx, refused).values()) == set(ids.values())  # nothing replayed, nothing discarded

    # An admin's form whose reference was altered is refused as a whole.
    html = _open(running_app.url, sandbox_url, settings.client_id).text
    altered = post_form(running_app.url, f"{PAGE}/replay", frame_token(html), {"ref": [ref, "outbox:1 OR 1=1"]})
    assert altered.status_code == 400 and _status(ctx, ids[refused.deals[0]]) == DEAD
