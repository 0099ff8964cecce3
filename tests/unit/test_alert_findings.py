"""The alert detectors and words with a clock the test sets: thresholds, what counts as a base being down or its
schema drifting, what is left undecided when facts are missing, and that every message says what to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from b24app.core.alert_settings import AlertSettings, check_alerts
from b24app.core.portal_settings import PortalSettings, check_document
from b24app.ops.alerts import texts
from b24app.ops.alerts.findings import DeadLetterFacts, PortalFacts, StreamFacts, detect
from b24app.store.alert_facts import BaseFacts, JournalLine
from b24app.store.incidents import Incident

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DOWN = "OneCUnavailable: 1C base ut: connection refused"


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def facts(**kw) -> PortalFacts:
    base = {"member_id": "m", "needs_reauth": False, "reauth_reason": None, "reauth_since": ago(60)}
    return PortalFacts(**{**base, **kw})


def base(latest: JournalLine | None, since: datetime | None, base_id: int = 1) -> BaseFacts:
    return BaseFacts(base_id, "ut", ago(600), latest, since)


def keys(found) -> set[str]:
    return {f.key for f in found.findings}


def test_a_base_is_down_only_past_its_threshold_and_only_for_outage_errors():
    settings = AlertSettings(base_down_minutes=10)
    down = base(JournalLine("payments", "error", DOWN, ago(1)), ago(10))
    assert keys(detect(facts(bases=[down]), settings, NOW)) == {"base_down:1"}
    early = base(JournalLine("payments", "error", DOWN, ago(1)), ago(9.9))
    assert keys(detect(facts(bases=[early]), settings, NOW)) == set()
    refused = base(JournalLine("payments", "error", "OneCAuthError: 1C base ut, HTTP 401: bad password", ago(1)),
                   ago(30))
    [finding] = detect(facts(bases=[refused]), settings, NOW).findings
    assert finding.detail["refused"] is True and finding.since == ago(30)
    # 1C answered, with a data error: the base is not down.
    data_error = base(JournalLine("deal_order", "error", "PermanentSyncError: no INN", ago(1)), ago(30))
    assert keys(detect(facts(bases=[data_error]), settings, NOW)) == set()
    # The circuit breaker's own words, written by the outbox's retry policy.
    waiting = base(JournalLine("deal_order", "retry", "1C base ut is unavailable (connection refused)", ago(1)),
                   ago(45))
    assert keys(detect(facts(bases=[waiting]), AlertSettings(base_down_minutes=30), NOW)) == {"base_down:1"}


def test_schema_drift_from_a_failed_check_or_a_mismatch_but_not_from_an_unreachable_base():
    bases = [base(None, None, 1), base(None, None, 2), base(None, None, 3)]
    schema = {
        1: {"schema_check": JournalLine("schema_check", "error", "Document_X is not published", ago(5))},
        2: {"schema_check": JournalLine("schema_check", "error", DOWN, ago(5))},
        3: {"schema_check": JournalLine("schema_check", "ok", "", ago(50)),
            "payments": JournalLine("payments", "error", "SchemaMismatch: Document_Y lacks Сумма", ago(3))},
    }
    assert keys(detect(facts(bases=bases, schema=schema), AlertSettings(), NOW)) == {"schema_drift:1",
                                                                                    "schema_drift:3"}
    schema[3]["payments"] = JournalLine("payments", "ok", "", ago(1))  # the next pull went through
    assert keys(detect(facts(bases=bases, schema=schema), AlertSettings(), NOW)) == {"schema_drift:1"}


def test_a_stream_is_stale_after_twice_its_interval_and_the_grace():
    def stream(last_ok_minutes: float | None) -> StreamFacts:
        return StreamFacts("payments", 1, "ut", 300, ago(last_ok_minutes) if last_ok_minutes else None, ago(16))

    assert keys(detect(facts(streams=[stream(14.9)]), AlertSettings(), NOW)) == set()
    assert keys(detect(facts(streams=[stream(15.1)]), AlertSettings(), NOW)) == {"stream_stale:payments:1"}
    # Never ran since the base was added 16 minutes ago.
    assert keys(detect(facts(streams=[stream(None)]), AlertSettings(), NOW)) == {"stream_stale:payments:1"}
    # Without a token nothing runs: the re-authorisation incident speaks for it, streams stay undecided.
    lost = detect(facts(needs_reauth=True, streams=[stream(60)]), AlertSettings(), NOW)
    assert keys(lost) == {"reauth"} and "stream_stale" not in lost.covered


def test_missing_facts_leave_their_kinds_undecided():
    found = detect(facts(), AlertSettings(), NOW)
    assert found.covered == {"reauth"}
    found = detect(facts(missing_fields=[], dead_letters=DeadLetterFacts(0, None, "")), AlertSettings(), NOW)
    assert found.covered == {"reauth", "mapping_broken", "dead_letters"} and found.findings == []


def _incident(kind: str, **detail) -> Incident:
    return Incident(1, kind, kind, detail, ago(12), ago(1), ago(1), None, "", "", None)


def test_every_message_says_what_happened_since_when_and_what_to_do():
    cases = [_incident("reauth", reason="token refresh refused: invalid_grant"),
             _incident("base_down", base="УТ", reason=DOWN), _incident("base_down", base="УТ", refused=True),
             _incident("schema_drift", base="УТ", reason="Document_X"),
             _incident("mapping_broken", fields=["deal.paid_sum=UF_CRM_X"]),
             _incident("dead_letters", count=3, reason="no INN"),
             _incident("stream_stale", stream="debt", base="УТ", interval=900)]
    for incident in cases:
        subject, ru = texts.opened(incident, "ru", "corp.bitrix24.ru")
        assert subject.startswith("[1С] ") and "Что сделать:" in ru and "01.12.2026 11:48" in ru, ru
        _, en = texts.opened(incident, "en", "corp.bitrix24.ru")
        assert "What to do:" in en and "1 Dec 2026, 11:48" in en, en
        _, done = texts.resolved(incident, "ru", "corp.bitrix24.ru", NOW)
        assert done.startswith("Решено: ") and "с 01.12.2026 11:48 до 01.12.2026 12:00" in done
    reauth_ru = texts.opened(cases[0], "ru", "corp.bitrix24.ru")[1]
    assert "откройте приложение в Битрикс24, чтобы заново авторизовать его" in reauth_ru
    assert "Обмен отложил 3 задания" in texts.opened(cases[5], "ru", "d")[1]
    assert "каждые 15 мин" in texts.opened(cases[6], "ru", "d")[1]


def test_alert_settings_survive_the_settings_document_and_are_checked():
    alerts = AlertSettings(emails=("a@example.ru",), user_ids=(1, 7), disabled=("dead_letters",),
                           base_down_minutes=20, max_per_hour=4)
    document = PortalSettings(alerts=alerts).to_json()
    check_document(document)
    assert PortalSettings.from_json(document).alerts == alerts
    assert PortalSettings.from_json({}).alerts == AlertSettings()
    tolerant = AlertSettings.from_json({"emails": ["bad", "b@example.ru"], "user_ids": [0, "5"], "x": 1,
                                        "disabled": ["nope"], "max_per_hour": 1000})
    assert tolerant == AlertSettings(emails=("b@example.ru",), user_ids=(5,))
    for bad in ({"emails": ["nope"]}, {"user_ids": [True]}, {"disabled": ["x"]}, {"base_down_minutes": 0},
                {"max_per_hour": "6"}):
        try:
            check_alerts(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} passed the check")
