"""Alerts end to end against real servers: a real SMTP server on loopback (aiosmtpd) and the sandbox portal's
im.notify.system.add. Incidents are seeded as the exchange records them (journal rows, the portal's status, outbox
rows); the scheduled evaluation (`jobs/alerts.run_alerts`) runs with the moment given, so "10 minutes down" needs
no waiting. Each incident type gives exactly one alert and one "resolved"; an open incident is never re-alerted;
a storm is folded into a digest under the hourly limit; a channel that is down loses nothing and blocks nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from b24app.jobs.alerts import run_alerts
from b24app.store.incidents import IncidentStore
from b24app.store.models import utcnow
from tests.support.alerts_data import (
    SmtpSink,
    add_base,
    body,
    dead_letter,
    install_alerting,
    journal,
    member_of,
    minutes,
    notifications,
    running_smtp,
    set_alerts,
    smtp_nowhere,
)
from tests.support.processes import post_json

pytestmark = pytest.mark.db

ADMIN_MAIL = "admin@example.ru"
DOWN = "OneCUnavailable: 1C base bp: connection refused"


@pytest.fixture(scope="module")
def smtp():
    yield from running_smtp()


@pytest.fixture
def mail(smtp) -> SmtpSink:
    return smtp


@pytest.fixture
def member(ctx, app_server, settings, sandbox_url, mail) -> str:
    return install_alerting(ctx, app_server, settings, sandbox_url, mail)


def set_deal_field(ctx, member: str, logical: str, name: str) -> None:
    settings, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, replace(settings, deal_fields={**settings.deal_fields, logical: name}), version)


def test_each_incident_type_gives_one_alert_and_one_resolved(ctx, member, mail, sandbox_url):
    set_alerts(ctx, member, emails=(ADMIN_MAIL,), user_ids=(1,), max_per_hour=30)
    t0 = utcnow()
    ut, bp, unf = (add_base(ctx, member, name) for name in ("ut", "bp", "unf"))
    # ut: payments and shipments ran a minute ago, debt two hours ago (every 15 min by the default schedule).
    journal(ctx, member, "payments", "ok", t0 - minutes(1), base_id=ut)
    journal(ctx, member, "shipments", "ok", t0 - minutes(1), base_id=ut)
    journal(ctx, member, "debt", "ok", t0 - minutes(120), base_id=ut)
    # bp: answered half an hour ago, then stopped answering 12 minutes ago (the threshold is 10).
    journal(ctx, member, "shipments", "ok", t0 - minutes(30), base_id=bp)
    journal(ctx, member, "payments", "error", t0 - minutes(12), base_id=bp, error=DOWN)
    journal(ctx, member, "payments", "error", t0 - minutes(1), base_id=bp, error=DOWN)
    # unf: its schema check finds an object no longer published.
    journal(ctx, member, "schema_check", "error", t0 - minutes(5), base_id=unf, direction="internal",
            error="1C base unf does not publish Document_РеализацияТоваровУслуг")
    set_deal_field(ctx, member, "paid_sum", "UF_CRM_DELETED_SUM")  # a field the portal does not have
    item = dead_letter(ctx, member, "42", "PermanentSyncError: the company of deal 42 has no INN")

    first = run_alerts(ctx, now=t0)[member]
    expected = {f"base_down:{bp}", f"schema_drift:{unf}", "mapping_broken", "dead_letters", f"stream_stale:debt:{ut}"}
    assert set(first.opened) == expected and first.resolved == []
    assert (first.notices, first.sent, first.failed) == (5, 10, 0)
    mails = mail.take()
    assert sorted(m["Subject"] for m in mails) == sorted([
        "[1С] База 1С недоступна — bp", "[1С] Изменилась схема 1С — unf", "[1С] Поля сопоставления не найдены",
        "[1С] Ошибки обмена", "[1С] Обмен не выполняется — долги, ut"])
    assert all(m["To"] == ADMIN_MAIL and "Что сделать" in body(m) for m in mails)
    down = next(body(m) for m in mails if "недоступна" in m["Subject"])
    assert "не отвечает с " + _moscow(t0 - minutes(12)) in down
    assert "UF_CRM_DELETED_SUM" in next(body(m) for m in mails if "Поля" in m["Subject"])
    told = notifications(sandbox_url, 1)
    assert len(told) == 5 and all(n["client_id"] for n in told)
    assert sorted(n["message"].splitlines()[0] for n in told) == sorted(m["Subject"] for m in mails)

    # Still wrong a little later: the incidents are known, nobody is told again.
    again = run_alerts(ctx, now=t0 + minutes(0.5))[member]
    assert (again.opened, again.resolved, again.notices, again.sent) == ([], [], 0, 0)
    assert mail.take() == [] and len(notifications(sandbox_url, 1)) == 5

    # Everything fixed: bp answers, unf's check passes, the mapping is back, the letter was discarded, debt ran.
    journal(ctx, member, "payments", "ok", t0 + minutes(1), base_id=bp)
    journal(ctx, member, "schema_check", "ok", t0 + minutes(1), base_id=unf, direction="internal")
    set_deal_field(ctx, member, "paid_sum", "UF_CRM_B24_1C_PAID_SUM")
    assert ctx.outbox.discard(member, item)
    journal(ctx, member, "debt", "ok", t0 + minutes(1), base_id=ut)
    cleared = run_alerts(ctx, now=t0 + minutes(2))[member]
    assert set(cleared.resolved) == expected and cleared.opened == []
    resolved = mail.take()
    assert sorted(m["Subject"] for m in resolved) == sorted([
        "[1С] Решено: База 1С недоступна — bp", "[1С] Решено: Изменилась схема 1С — unf",
        "[1С] Решено: Поля сопоставления не найдены", "[1С] Решено: Ошибки обмена",
        "[1С] Решено: Обмен не выполняется — долги, ut"])
    assert len(notifications(sandbox_url, 1)) == 10
    assert run_alerts(ctx, now=t0 + minutes(3))[member].notices == 0 and mail.take() == []


def _moscow(moment) -> str:
    from b24app.core.formatting import datetime as format_datetime

    return format_datetime(moment, "ru")


def test_lost_authorisation_is_mailed_at_once_and_notified_once_the_app_is_authorised_again(
        ctx, member, mail, sandbox_url, settings):
    set_alerts(ctx, member, emails=(ADMIN_MAIL,), user_ids=(1,))
    ctx.portals.mark_needs_reauth(member, "token refresh refused: invalid_grant")
    t0 = utcnow()
    first = run_alerts(ctx, now=t0)[member]
    assert first.opened == ["reauth"] and (first.sent, first.failed) == (1, 1)
    [message] = mail.take()
    assert message["Subject"] == "[1С] Нужна повторная авторизация"
    text = body(message)
    assert "откройте приложение в Битрикс24, чтобы заново авторизовать его" in text
    assert "invalid_grant" in text and member_of(sandbox_url)
    # Without a token the portal cannot be told; the notification waits, it is not lost.
    assert notifications(sandbox_url) == []
    waiting = IncidentStore(ctx.db).pending(member)
    assert [(d.channel, d.recipient) for d in waiting] == [("b24", "1")] and "needs_reauth" in waiting[0].last_error
    assert run_alerts(ctx, now=t0 + minutes(1))[member].failed == 1 and mail.take() == []

    # The administrator opens the app: the portal installs it again and hands over fresh tokens.
    post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/install", {"finish": True, "lang": "ru"})
    assert ctx.portals.require(member).is_active
    back = run_alerts(ctx, now=t0 + minutes(2))[member]
    assert back.resolved == ["reauth"] and back.failed == 0
    assert [m["Subject"] for m in mail.take()] == ["[1С] Решено: Нужна повторная авторизация"]
    told = notifications(sandbox_url, 1)
    assert [n["message"].splitlines()[0] for n in told] == ["[1С] Нужна повторная авторизация",
                                                             "[1С] Решено: Нужна повторная авторизация"]


def test_a_storm_is_folded_into_a_digest_under_the_hourly_limit(ctx, member, mail):
    set_alerts(ctx, member, emails=(ADMIN_MAIL,), max_per_hour=3)
    t0 = utcnow()
    bases = [add_base(ctx, member, name) for name in ("ut", "bp", "unf")]
    for base in bases:
        for stream in ("payments", "shipments", "debt"):
            journal(ctx, member, stream, "ok", t0 - minutes(180), base_id=base)
    storm = run_alerts(ctx, now=t0)[member]
    assert len(storm.opened) == 9 and storm.notices == 3
    mails = mail.take()
    assert len(mails) == 3
    digest = next(m for m in mails if m["Subject"].startswith("[1С] Сводка"))
    assert digest["Subject"] == "[1С] Сводка: 7 сообщений об обмене"
    assert body(digest).count("• Открыто: Обмен не выполняется") == 7
    assert run_alerts(ctx, now=t0 + minutes(1))[member].notices == 0 and mail.take() == []

    # All nine clear within the hour: no room is left, so the "resolved" messages wait for the next hour.
    for base in bases:
        for stream in ("payments", "shipments", "debt"):
            journal(ctx, member, stream, "ok", t0 + minutes(61), base_id=base)
    quiet = run_alerts(ctx, now=t0 + minutes(2))[member]
    assert len(quiet.resolved) == 9 and (quiet.notices, quiet.folded) == (0, 9) and mail.take() == []
    later = run_alerts(ctx, now=t0 + minutes(62))[member]
    assert later.notices == 1 and later.opened == []
    [summary] = mail.take()
    assert summary["Subject"] == "[1С] Сводка: 9 сообщений об обмене"
    assert body(summary).count("• Решено: Обмен не выполняется") == 9
    assert run_alerts(ctx, now=t0 + minutes(63))[member].notices == 0 and mail.take() == []


def test_mail_server_down_the_alert_goes_out_later_and_the_notification_at_once(ctx, member, mail, sandbox_url):
    set_alerts(ctx, member, emails=(ADMIN_MAIL, "buh@example.ru"), user_ids=(1,))
    ctx.settings = replace(ctx.settings, smtp=smtp_nowhere())
    t0 = utcnow()
    dead_letter(ctx, member, "7", "PermanentSyncError: 1C refused the order: the warehouse is closed")
    first = run_alerts(ctx, now=t0)[member]
    assert first.opened == ["dead_letters"] and (first.sent, first.failed) == (1, 2)
    assert len(notifications(sandbox_url, 1)) == 1 and mail.take() == []
    assert run_alerts(ctx, now=t0 + minutes(1))[member].failed == 2
    pending = IncidentStore(ctx.db).pending(member)
    assert {d.recipient for d in pending} == {ADMIN_MAIL, "buh@example.ru"}
    assert all(d.attempts == 2 and "ConnectionRefusedError" in d.last_error for d in pending)

    ctx.settings = replace(ctx.settings, smtp=mail.settings())  # the mail server is back
    back = run_alerts(ctx, now=t0 + minutes(2))[member]
    assert (back.sent, back.failed, back.notices) == (2, 0, 0)
    mails = mail.take()
    assert sorted(m["To"] for m in mails) == [ADMIN_MAIL, "buh@example.ru"]
    assert {m["Subject"] for m in mails} == {"[1С] Ошибки обмена"}
    assert "«Ошибки обмена»" in body(mails[0]) and "«Повторить»" in body(mails[0])
    assert len(notifications(sandbox_url, 1)) == 1  # the notification was not sent twice
    assert run_alerts(ctx, now=t0 + minutes(3))[member].sent == 0 and mail.take() == []


def test_a_switched_off_type_and_a_short_outage_are_not_alerted(ctx, member, mail):
    set_alerts(ctx, member, emails=(ADMIN_MAIL,), disabled=("dead_letters",))
    t0 = utcnow()
    base = add_base(ctx, member, "bp")
    journal(ctx, member, "shipments", "ok", t0 - minutes(20), base_id=base)
    journal(ctx, member, "payments", "error", t0 - minutes(9), base_id=base, error=DOWN)  # 9 of 10 minutes
    dead_letter(ctx, member, "9", "PermanentSyncError: no INN")
    quiet = run_alerts(ctx, now=t0)[member]
    assert (quiet.opened, quiet.notices) == ([], 0) and mail.take() == []
    late = run_alerts(ctx, now=t0 + minutes(1.5))[member]
    assert late.opened == [f"base_down:{base}"] and len(mail.take()) == 1
    # Switched off while open: closed without a "resolved" message that would not be true.
    set_alerts(ctx, member, disabled=("dead_letters", "base_down"))
    off = run_alerts(ctx, now=t0 + minutes(2))[member]
    assert (off.resolved, off.notices) == ([], 0) and mail.take() == []
    assert IncidentStore(ctx.db).open_incidents(member) == []


def test_the_scheduled_job_runs_one_evaluation_at_a_time(ctx, member, mail, settings_env, monkeypatch, redis_client):
    from b24app.jobs.alerts import evaluate_alerts
    from b24app.runtime import process_runtime

    for name, value in (("B24APP_SMTP_HOST", "127.0.0.1"), ("B24APP_SMTP_PORT", str(mail.port)),
                        ("B24APP_SMTP_FROM", "b24-1c@example.ru"), ("B24APP_SMTP_STARTTLS", "0")):
        monkeypatch.setenv(name, value)
    process_runtime.cache_clear()
    set_alerts(ctx, member, emails=(ADMIN_MAIL,))
    dead_letter(ctx, member, "5", "PermanentSyncError: no INN")
    lock = redis_client.lock(f"{ctx.settings.queue_prefix}:alerts:evaluation", timeout=30)
    assert lock.acquire(blocking=False)
    try:
        assert evaluate_alerts() == {}  # another evaluation is running
    finally:
        lock.release()
    assert mail.take() == []
    assert evaluate_alerts()[member]["opened"] == ["dead_letters"]
    assert [m["Subject"] for m in mail.take()] == ["[1С] Ошибки обмена"]
    process_runtime.cache_clear()


def test_the_catalog_stream_is_watched_once_the_load_is_on_and_has_run(ctx, member, mail):
    """Not before its first run (a first load of a big catalog may outlast two intervals), then like the others."""
    from b24app.core.catalog_settings import CatalogSettings

    set_alerts(ctx, member, emails=(ADMIN_MAIL,), max_per_hour=30)
    t0 = utcnow()
    ut = add_base(ctx, member, "ut")
    for stream in ("payments", "shipments", "debt"):
        journal(ctx, member, stream, "ok", t0 - minutes(1), base_id=ut)
    settings, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, replace(settings, catalog=CatalogSettings(enabled=True)), version)
    assert run_alerts(ctx, now=t0)[member].opened == []  # on, never run yet: not watched

    journal(ctx, member, "catalog", "ok", t0 - minutes(40), base_id=ut)  # 15-minute schedule: 35 min allowed
    stale = run_alerts(ctx, now=t0)[member]
    assert stale.opened == [f"stream_stale:catalog:{ut}"]
    assert [m["Subject"] for m in mail.take()] == ["[1С] Обмен не выполняется — каталог и остатки, ut"]

    journal(ctx, member, "catalog", "ok", t0 - minutes(1), base_id=ut)
    assert run_alerts(ctx, now=t0 + minutes(1))[member].resolved == [f"stream_stale:catalog:{ut}"]
