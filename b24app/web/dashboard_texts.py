"""Texts of the exchange dashboard («Сводка обмена»), Russian first, English for every other interface language.
Stream, direction and status words are the journal's (web/journal_texts.py).

Pages reach them as `dbt(key, lang, **params)` (a template global the dashboard blueprint registers, so the
settings page can link here with the same words).
"""

from __future__ import annotations

from b24app.web.i18n import text_from

TEXTS: dict[str, dict[str, str]] = {
    "title": {"ru": "Сводка обмена", "en": "Exchange dashboard"},
    "link": {"ru": "Сводка обмена", "en": "Exchange dashboard"},
    "link_hint": {"ru": "успешные и неудачные обмены, время передачи, очередь, доступность 1С и портала",
                  "en": "successful and failed exchanges, transfer time, backlog, 1C and portal reachability"},
    "intro": {"ru": "Данные на {now} (МСК). Часы — последние 24 часа, дни — последние 14 дней.",
              "en": "As of {now} (Moscow time). Hours: the last 24 hours; days: the last 14 days."},
    "btn_back": {"ru": "← К настройкам", "en": "← Back to settings"},
    "btn_journal": {"ru": "Журнал обмена", "en": "Exchange journal"},
    "h_health": {"ru": "Состояние", "en": "Health"},
    "h_streams": {"ru": "Потоки обмена", "en": "Exchange streams"},
    "h_charts": {"ru": "Обмены по часам и дням", "en": "Exchanges per hour and per day"},
    "h_backlog": {"ru": "Очередь в 1С", "en": "Backlog to 1C"},
    "h_bases": {"ru": "Базы 1С", "en": "1C bases"},
    "workers": {"ru": "Обработчики заданий", "en": "Job workers"},
    "workers_alive": {"ru": "работают: {count}", "en": "alive: {count}"},
    "workers_none": {"ru": "ни один не работает — обмен стоит", "en": "none alive — the exchange is stopped"},
    "queue": {"ru": "очередь «{name}»: {count}", "en": "queue “{name}”: {count}"},
    "scheduler": {"ru": "Планировщик", "en": "Scheduler"},
    "scheduler_alive": {"ru": "работает (отметка {age} назад)", "en": "alive (ticked {age} ago)"},
    "scheduler_stale": {"ru": "не отмечался {age} — расписание не выполняется",
                        "en": "no tick for {age} — schedules are not run"},
    "scheduler_never": {"ru": "ни разу не запускался", "en": "never ran"},
    "portal": {"ru": "Портал Битрикс24", "en": "Bitrix24 portal"},
    "portal_active": {"ru": "доступен", "en": "reachable"},
    "portal_needs_reauth": {"ru": "нужна повторная авторизация: откройте приложение в портале",
                            "en": "needs re-authorisation: open the app in the portal"},
    "portal_uninstalled": {"ru": "приложение удалено", "en": "the app is uninstalled"},
    "rate_limit": {"ru": "Лимит запросов портала", "en": "Portal request limit"},
    "rate_limit_use": {"ru": "занято {used} из {capacity} ({rate}/с); ожиданий лимита: {waits}, всего {seconds}",
                       "en": "{used} of {capacity} in use ({rate}/s); limit waits: {waits}, {seconds} in all"},
    "refreshes": {"ru": "Обновления токена", "en": "Token refreshes"},
    "refreshes_counts": {"ru": "успешно {ok}, с ошибкой {failed}, отказано {refused}",
                         "en": "ok {ok}, failed {failed}, refused {refused}"},
    "col_stream": {"ru": "Поток", "en": "Stream"},
    "col_base": {"ru": "База 1С", "en": "1C base"},
    "col_ok_24h": {"ru": "Успешно, 24 ч", "en": "OK, 24 h"},
    "col_failed_24h": {"ru": "Ошибок, 24 ч", "en": "Failed, 24 h"},
    "col_median_24h": {"ru": "Медиана, 24 ч", "en": "Median, 24 h"},
    "col_p95_24h": {"ru": "p95, 24 ч", "en": "p95, 24 h"},
    "col_ok_14d": {"ru": "Успешно, 14 дн", "en": "OK, 14 d"},
    "col_failed_14d": {"ru": "Ошибок, 14 дн", "en": "Failed, 14 d"},
    "col_median_14d": {"ru": "Медиана, 14 дн", "en": "Median, 14 d"},
    "col_p95_14d": {"ru": "p95, 14 дн", "en": "p95, 14 d"},
    "col_last_ok": {"ru": "Последний успех", "en": "Last success"},
    "no_streams": {"ru": "За 14 дней обменов не было.", "en": "No exchanges in the last 14 days."},
    "all_bases": {"ru": "—", "en": "—"},
    "series_ok": {"ru": "успешно", "en": "ok"},
    "series_failed": {"ru": "ошибки", "en": "failed"},
    "chart_hours": {"ru": "{stream}: по часам, 24 ч", "en": "{stream}: per hour, 24 h"},
    "chart_days": {"ru": "{stream}: по дням, 14 дн", "en": "{stream}: per day, 14 d"},
    "backlog_waiting": {"ru": "Ждут отправки", "en": "Waiting"},
    "backlog_retrying": {"ru": "из них повторяются после ошибки", "en": "of them retrying after an error"},
    "backlog_dead": {"ru": "Отложены с ошибкой", "en": "Dead letters"},
    "col_check": {"ru": "Последняя проверка", "en": "Last check"},
    "col_reachable": {"ru": "Доступность", "en": "Reachability"},
    "check_ok": {"ru": "успешно, {at}", "en": "ok, {at}"},
    "check_failed": {"ru": "ошибка, {at}: {error}", "en": "failed, {at}: {error}"},
    "check_none": {"ru": "не проверялась («Проверить подключение» в настройках)",
                   "en": "not checked (“Test connection” on the settings page)"},
    "circuit_open": {"ru": "не отвечает, обмен ждёт до {until}: {why}",
                     "en": "not answering, waiting until {until}: {why}"},
    "circuit_closed": {"ru": "отвечает", "en": "answering"},
    "reach_unknown": {"ru": "нет данных", "en": "unknown"},
    "base_disabled": {"ru": "выключена", "en": "disabled"},
    "no_bases": {"ru": "Базы 1С не настроены.", "en": "No 1C bases configured."},
    "age_seconds": {"ru": "{n} с", "en": "{n} s"},
    "age_minutes": {"ru": "{n} мин", "en": "{n} min"},
    "age_hours": {"ru": "{n} ч", "en": "{n} h"},
    "age_days": {"ru": "{n} дн", "en": "{n} d"},
    "refused_body": {
        "ru": "Сводку обмена может смотреть только администратор портала. Откройте страницу из настроек "
              "приложения в Битрикс24.",
        "en": "Only a portal administrator can see the exchange dashboard. Open this page from the app's "
              "settings in Bitrix24.",
    },
}


def dbt(key: str, lang: str, **params: object) -> str:
    """The text `key` in `lang` (English when there is no such translation), with `{named}` params filled."""
    return text_from(TEXTS, key, lang, **params)


def age_text(seconds: float, lang: str) -> str:
    """How long ago, in the largest whole unit: 45 с · 12 мин · 3 ч · 2 дн."""
    seconds = max(0, int(seconds))
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return dbt(f"age_{unit}", lang, n=seconds // size)
    return dbt("age_seconds", lang, n=seconds)
