"""Texts of the alerts page ("Оповещения"), Russian first, English for every other interface language.

Pages reach them as `alt(key, lang, **params)` (a template global the alerts blueprint registers, so the settings
page can link here with the same words).
"""

from __future__ import annotations

from b24app.web.i18n import text_from

TEXTS: dict[str, dict[str, str]] = {
    "title": {"ru": "Оповещения", "en": "Alerts"},
    "link": {"ru": "Оповещения", "en": "Alerts"},
    "link_hint": {"ru": "кому и о чём сообщать, когда обмен с 1С остановился",
                  "en": "who is told, and about what, when the exchange with 1C stops"},
    "intro": {
        "ru": "Приложение сообщает о неполадках обмена по электронной почте и уведомлением в Битрикс24: одно "
              "сообщение, когда неполадка началась, и одно, когда она устранена. Если сообщений больше, чем "
              "разрешено в час, остальные приходят одной сводкой.",
        "en": "The app reports exchange problems by e-mail and as a Bitrix24 notification: one message when a "
              "problem begins and one when it is over. When there are more messages than allowed an hour, the "
              "rest arrive as one digest.",
    },
    "btn_back": {"ru": "← К настройкам", "en": "← Back to settings"},
    "recipients": {"ru": "Кому сообщать", "en": "Recipients"},
    "emails": {"ru": "Адреса электронной почты (по одному в строке)", "en": "E-mail addresses (one per line)"},
    "users": {"ru": "Пользователи Битрикс24 (уведомление на портале)", "en": "Bitrix24 users (portal notification)"},
    "user_ids": {"ru": "ID пользователей Битрикс24 через запятую", "en": "Bitrix24 user ids, comma-separated"},
    "users_unavailable": {"ru": "Список пользователей портала сейчас недоступен; укажите их ID.",
                          "en": "The portal's user list is unavailable right now; enter their ids."},
    "smtp_off": {
        "ru": "Отправка почты не настроена на сервере приложения (переменные B24APP_SMTP_HOST и B24APP_SMTP_FROM): "
              "письма не отправляются, уведомления в Битрикс24 работают.",
        "en": "Sending e-mail is not configured on the app's server (B24APP_SMTP_HOST and B24APP_SMTP_FROM): no "
              "e-mails go out; Bitrix24 notifications work.",
    },
    "kinds": {"ru": "О чём сообщать", "en": "What to report"},
    "kind_reauth": {"ru": "Приложению нужна повторная авторизация на портале",
                    "en": "The app needs to be authorised on the portal again"},
    "kind_base_down": {"ru": "База 1С недоступна или не принимает пароль",
                       "en": "A 1C base is unreachable or refuses the password"},
    "kind_schema_drift": {"ru": "В базе 1С изменился состав опубликованных объектов (схема)",
                          "en": "A 1C base's published objects changed (schema drift)"},
    "kind_mapping_broken": {"ru": "Поля сделки или компании из настроек удалены на портале",
                            "en": "Deal or company fields named in the settings were deleted on the portal"},
    "kind_dead_letters": {"ru": "Появились ошибки обмена (отложенные задания)",
                          "en": "New dead letters (items the exchange set aside)"},
    "kind_stream_stale": {"ru": "Обмен не выполняется дольше, чем позволяет расписание",
                          "en": "An exchange has not run for longer than its schedule allows"},
    "thresholds": {"ru": "Пороги", "en": "Thresholds"},
    "base_down_minutes": {"ru": "Сообщать о недоступной базе 1С через, минут",
                          "en": "Report an unreachable 1C base after, minutes"},
    "max_per_hour": {"ru": "Не больше сообщений в час (остальные — сводкой)",
                     "en": "At most this many messages an hour (the rest as a digest)"},
    "btn_save": {"ru": "Сохранить", "en": "Save"},
    "btn_test": {"ru": "Отправить проверочное сообщение", "en": "Send a test alert"},
    "saved": {"ru": "Настройки оповещений сохранены.", "en": "Alert settings saved."},
    "test_sent": {"ru": "Проверочное сообщение отправлено: {sent} из {total}.",
                  "en": "Test alert sent: {sent} of {total}."},
    "test_failed": {"ru": "Не отправлено: {failed}; повтор — при следующей проверке (раз в минуту). Причина: {error}",
                    "en": "Not sent: {failed}; retried at the next evaluation (every minute). Reason: {error}"},
    "test_nobody": {"ru": "Некому отправлять: укажите адреса или пользователей и сохраните.",
                    "en": "Nobody to send to: enter addresses or users and save."},
    "err_emails": {"ru": "Неверный адрес электронной почты: {value}", "en": "Not an e-mail address: {value}"},
    "err_user_ids": {"ru": "ID пользователя — целое число больше нуля: {value}",
                     "en": "A user id is a whole number above zero: {value}"},
    "err_too_many": {"ru": "Слишком много получателей (не больше {limit}).",
                     "en": "Too many recipients (at most {limit})."},
    "err_number": {"ru": "«{label}»: целое число от {low} до {high}.",
                   "en": "“{label}”: a whole number from {low} to {high}."},
    "err_stale": {"ru": "Настройки только что изменил кто-то другой. Страница обновлена — повторите изменение.",
                  "en": "Someone else has just changed the settings. The page was reloaded: make the change again."},
    "incidents": {"ru": "Неполадки", "en": "Incidents"},
    "no_incidents": {"ru": "Неполадок не было.", "en": "No incidents so far."},
    "col_what": {"ru": "Что", "en": "What"},
    "col_since": {"ru": "С", "en": "Since"},
    "col_state": {"ru": "Состояние", "en": "State"},
    "state_open": {"ru": "продолжается", "en": "ongoing"},
    "state_resolved": {"ru": "устранено {when}", "en": "resolved {when}"},
    "deliveries": {"ru": "Отправленные сообщения", "en": "Messages"},
    "no_deliveries": {"ru": "Сообщений ещё не было.", "en": "No messages yet."},
    "col_when": {"ru": "Когда", "en": "When"},
    "col_to": {"ru": "Кому", "en": "To"},
    "col_subject": {"ru": "Тема", "en": "Subject"},
    "col_status": {"ru": "Статус", "en": "Status"},
    "status_sent": {"ru": "отправлено {when}", "en": "sent {when}"},
    "status_pending": {"ru": "ждёт повтора (попыток: {attempts}): {error}",
                       "en": "waiting for a retry ({attempts} attempts): {error}"},
    "status_new": {"ru": "в очереди", "en": "queued"},
    "channel_email": {"ru": "почта", "en": "e-mail"},
    "channel_b24": {"ru": "Битрикс24, пользователь {id}", "en": "Bitrix24, user {id}"},
    "refused_body": {
        "ru": "Оповещения может настраивать только администратор портала. Откройте страницу из настроек приложения "
              "в Битрикс24.",
        "en": "Only a portal administrator can set up alerts. Open this page from the app's settings in Bitrix24.",
    },
}


def alt(key: str, lang: str, **params: object) -> str:
    """The text `key` in `lang` (English when there is no such translation), with `{named}` params filled."""
    return text_from(TEXTS, key, lang, **params)
