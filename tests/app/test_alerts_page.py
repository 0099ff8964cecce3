"""The alerts page ("Оповещения") over HTTP and in chromium, opened from the settings page as the sandbox portal's
administrator: recipients (addresses, portal users from user.get), incident types and thresholds saved into the
portal settings without touching the rest; a test alert that really reaches the SMTP server on loopback and the
portal's notifications; bad input and forged or non-admin frames refused."""

from __future__ import annotations

from dataclasses import replace
from html import unescape

import pytest

from b24app.core.alert_settings import AlertSettings
from b24app.jobs.alerts import run_alerts
from b24app.store.models import utcnow
from tests.support.alerts_data import (
    SmtpSink,
    body,
    dead_letter,
    install_alerting,
    notifications,
    running_smtp,
    set_alerts,
)
from tests.support.browser import chromium, screenshot
from tests.support.settings_data import app_frame, frame_token, open_settings, post_form, version_of

pytestmark = pytest.mark.db

PAGE = "/settings/alerts"
KINDS_ON = {f"enabled_{k}": "1" for k in ("reauth", "base_down", "schema_drift", "mapping_broken", "stream_stale")}


@pytest.fixture(scope="module")
def smtp():
    yield from running_smtp()


@pytest.fixture
def mail(smtp) -> SmtpSink:
    return smtp


@pytest.fixture
def member(ctx, app_server, settings, sandbox_url, mail) -> str:
    return install_alerting(ctx, app_server, settings, sandbox_url, mail)


def _open(app_url: str, sandbox_url: str, client_id: str, *, user_id: int = 1, lang: str = "ru"):
    settings_page = open_settings(app_url, app_frame(sandbox_url, client_id, user_id=user_id, lang=lang))
    assert settings_page.status_code == 200, settings_page.text[:500]
    assert 'id="alerts-link"' in settings_page.text
    return post_form(app_url, PAGE, frame_token(settings_page.text))


def test_save_recipients_and_send_a_test_alert(ctx, member, mail, sandbox_url, settings, app_server):
    before = ctx.portal_settings.get(member)
    listed = _open(app_server.url, sandbox_url, settings.client_id)
    assert listed.status_code == 200, listed.text[:500]
    html = unescape(listed.text)
    assert "Оповещения" in html and "Пользователи Битрикс24" in html
    assert 'name="user_id" value="3"' in html and "Ольга Продажина" in html  # the portal's users (user.get)
    token, version = frame_token(listed.text), version_of(listed.text)

    form = {"emails": "admin@example.ru\nbuh@example.ru", "user_id": ["1", "3"], "base_down_minutes": "15",
            "max_per_hour": "5", "version": str(version), **KINDS_ON}
    saved = post_form(app_server.url, PAGE + "/save", token, form)
    assert saved.status_code == 200 and "Настройки оповещений сохранены." in saved.text
    after = ctx.portal_settings.get(member)
    assert after.alerts == AlertSettings(emails=("admin@example.ru", "buh@example.ru"), user_ids=(1, 3),
                                         disabled=("dead_letters",), base_down_minutes=15, max_per_hour=5)
    assert replace(after, alerts=before.alerts) == before  # nothing else of the settings changed

    tested = post_form(app_server.url, PAGE + "/test", token)
    assert tested.status_code == 200 and "Проверочное сообщение отправлено: 4 из 4." in tested.text
    mails = mail.take()
    assert sorted(m["To"] for m in mails) == ["admin@example.ru", "buh@example.ru"]
    assert all(m["Subject"] == "[1С] Проверка оповещений" and "оповещения" in body(m) for m in mails)
    assert sorted(n["user_id"] for n in notifications(sandbox_url)) == [1, 3]
    assert 'data-status="sent"' in tested.text


def test_bad_input_and_a_concurrent_save_are_refused(ctx, member, sandbox_url, settings, app_server):
    listed = _open(app_server.url, sandbox_url, settings.client_id)
    token, version = frame_token(listed.text), version_of(listed.text)
    bad = post_form(app_server.url, PAGE + "/save", token, {"emails": "admin@example", "user_ids": "x1",
                                                            "base_down_minutes": "0", "max_per_hour": "5",
                                                            "version": str(version)})
    assert bad.status_code == 422
    text = unescape(bad.text)
    assert "Неверный адрес электронной почты: admin@example" in text
    assert "«Сообщать о недоступной базе 1С через, минут»: целое число от 1 до 1440." in text
    assert "admin@example" in text  # what was typed is shown again
    assert ctx.portal_settings.load(member)[1] == version  # nothing saved
    set_alerts(ctx, member, emails=("other@example.ru",))  # someone else saves meanwhile
    stale = post_form(app_server.url, PAGE + "/save", token, {"emails": "a@example.ru", "base_down_minutes": "10",
                                                              "max_per_hour": "6", "version": str(version)})
    assert stale.status_code == 409 and "изменил кто-то другой" in stale.text
    assert ctx.portal_settings.get(member).alerts.emails == ("other@example.ru",)


def test_only_administrators_get_in(member, sandbox_url, settings, app_server):
    import requests

    assert requests.get(app_server.url + PAGE, timeout=10).status_code == 400
    forged = requests.post(app_server.url + PAGE, data={"frame": "forged"}, timeout=10)
    assert forged.status_code in (400, 403) and 'id="alerts-refused"' in forged.text
    manager = requests.post(app_server.url + PAGE, data=app_frame(sandbox_url, settings.client_id, user_id=2),
                            timeout=30)
    assert manager.status_code == 403 and "только администратор портала" in manager.text


@pytest.mark.browser
def test_the_page_in_the_portal(ctx, member, mail, sandbox_url, settings):
    set_alerts(ctx, member, emails=("admin@example.ru",), user_ids=(1,))
    dead_letter(ctx, member, "42", "PermanentSyncError: the company of deal 42 has no INN")
    run_alerts(ctx, now=utcnow())
    assert [m["Subject"] for m in mail.take()] == ["[1С] Ошибки обмена"]
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{sandbox_url}/marketplace/app/{settings.client_id}/?user=1&lang=ru")
        frame = page.frame_locator("iframe[name='b24-frame-app']")
        frame.locator("#alerts-link button").click(timeout=20_000)
        frame.locator("#alerts-form").wait_for(timeout=20_000)
        assert frame.locator("#incidents tr.al-open").count() == 1
        assert "Ошибки обмена" in frame.locator("#incidents").inner_text()
        assert frame.locator("#deliveries tr[data-status='sent']").count() == 2
        screenshot(page, "alerts-page")

        frame.locator("#emails").fill("admin@example.ru\nbuh@example.ru")
        frame.locator("input[name='user_id'][value='3']").check()
        frame.locator("input[name='enabled_stream_stale']").uncheck()
        frame.locator("#alerts-save").click()
        frame.locator("#notice").wait_for(timeout=20_000)
        assert "сохранены" in frame.locator("#notice").inner_text()
        frame.locator("#alerts-test").click()
        frame.locator("#notice", has_text="Проверочное сообщение отправлено: 4 из 4").wait_for(timeout=20_000)
        screenshot(page, "alerts-test-sent")
    alerts = ctx.portal_settings.get(member).alerts
    assert alerts.user_ids == (1, 3) and not alerts.enabled("stream_stale")
    assert sorted(m["To"] for m in mail.take()) == ["admin@example.ru", "buh@example.ru"]
