"""The words of alert messages, Russian first, English for portals whose LANG reads English.

Every "opened" message says what happened, since when (dd.mm.yyyy hh:mm, Moscow time, as an accountant writes
it) and what to do; every "resolved" message names the same thing and how long it lasted.
"""

from __future__ import annotations

from datetime import datetime

from b24app.core import formatting
from b24app.core.formatting import normalize_lang
from b24app.store.incidents import Incident

STREAM_NAMES = {
    "payments": {"ru": "оплаты", "en": "payments"},
    "shipments": {"ru": "отгрузки", "en": "shipments"},
    "debt": {"ru": "долги", "en": "debt"},
    "catalog": {"ru": "каталог и остатки", "en": "catalog and stock"},
    "counterparties": {"ru": "контрагенты", "en": "counterparties"},
    "offline_events": {"ru": "события портала", "en": "portal events"},
}

KIND_NAMES = {
    "reauth": {"ru": "Нужна повторная авторизация", "en": "Re-authorisation needed"},
    "base_down": {"ru": "База 1С недоступна", "en": "1C base unavailable"},
    "schema_drift": {"ru": "Изменилась схема 1С", "en": "1C schema changed"},
    "mapping_broken": {"ru": "Поля сопоставления не найдены", "en": "Mapped fields missing"},
    "dead_letters": {"ru": "Ошибки обмена", "en": "Dead letters"},
    "stream_stale": {"ru": "Обмен не выполняется", "en": "Exchange not running"},
}

OPENED: dict[str, dict[str, str]] = {
    "reauth": {
        "ru": "Приложение потеряло авторизацию на портале {domain} с {since}: портал отказал в обновлении токена "
              "({reason}). Обмен с 1С остановлен.\nЧто сделать: откройте приложение в Битрикс24, чтобы заново "
              "авторизовать его (его должен открыть администратор портала).",
        "en": "The app lost its authorisation on the portal {domain} on {since}: the portal refused to refresh the "
              "token ({reason}). The exchange with 1C has stopped.\nWhat to do: open the app in Bitrix24 to "
              "authorise it again (a portal administrator must open it).",
    },
    "base_down": {
        "ru": "База 1С «{base}» не отвечает с {since}: {reason}.\nЧто сделать: проверьте, что сервер 1С и его "
              "веб-публикация работают и доступны из интернета; обмен продолжится сам, когда база ответит.",
        "en": "The 1C base “{base}” has not answered since {since}: {reason}.\nWhat to do: check that the 1C server "
              "and its web publication are running and reachable; the exchange resumes by itself once the base "
              "answers.",
    },
    "base_refused": {
        "ru": "База 1С «{base}» отказывает во входе с {since}: {reason}.\nЧто сделать: проверьте логин и пароль "
              "пользователя 1С (он мог быть изменён или заблокирован) и введите их заново в настройках приложения, "
              "раздел «Базы 1С».",
        "en": "The 1C base “{base}” has refused the login since {since}: {reason}.\nWhat to do: check the 1C user's "
              "login and password (it may have been changed or locked) and enter them again in the app's "
              "settings, section “1C bases”.",
    },
    "schema_drift": {
        "ru": "База 1С «{base}» больше не публикует то, что нужно обмену (с {since}): {reason}.\nЧто сделать: "
              "опубликуйте недостающие объекты в стандартном интерфейсе OData (Администрирование → Настройки "
              "синхронизации данных → Настройка стандартного интерфейса OData) или выберите подходящий профиль "
              "базы, затем нажмите «Проверить подключение» в настройках приложения.",
        "en": "The 1C base “{base}” no longer publishes what the exchange needs (since {since}): {reason}.\n"
              "What to do: publish the missing objects in the standard OData interface (Administration → Data "
              "synchronisation settings → Standard OData interface setup) or choose the fitting profile for the "
              "base, then press “Test connection” in the app's settings.",
    },
    "mapping_broken": {
        "ru": "В настройках приложения выбраны поля, которых больше нет на портале (замечено {since}): {fields}.\n"
              "Что сделать: откройте настройки приложения, раздел «Поля», и выберите существующие поля "
              "(или верните удалённые поля в CRM).",
        "en": "The app's settings name fields the portal no longer has (noticed {since}): {fields}.\nWhat to do: "
              "open the app's settings, section “Fields”, and choose existing fields (or bring the deleted "
              "fields back in the CRM).",
    },
    "dead_letters": {
        "ru": "Обмен отложил {count} {items} (последняя ошибка {since}): {reason}.\nЧто сделать: откройте в "
              "настройках приложения «Ошибки обмена», исправьте причину и нажмите «Повторить».",
        "en": "The exchange set aside {count} {items} (latest failure {since}): {reason}.\nWhat to do: open “Dead "
              "letters” in the app's settings, fix the cause and press “Replay”.",
    },
    "stream_stale": {
        "ru": "Обмен «{stream}»{base_part} не выполнялся успешно с {since} (по расписанию — каждые {minutes} мин)."
              "\nЧто сделать: проверьте, что процессы worker и scheduler запущены, и посмотрите ошибки этого "
              "обмена в журнале; в настройках приложения можно запустить обмен вручную («Синхронизировать "
              "сейчас»).",
        "en": "The “{stream}” exchange{base_part} has not run successfully since {since} (scheduled every "
              "{minutes} min).\nWhat to do: check that the worker and scheduler processes are running and look at "
              "this exchange's errors in the journal; the app's settings can run it by hand (“Sync now”).",
    },
}

RESOLVED = {
    "ru": "Решено: {title}{subject}. Продолжалось с {since} до {until}.",
    "en": "Resolved: {title}{subject}. It lasted from {since} to {until}.",
}

WORDS = {
    "never": {"ru": "ни разу", "en": "never"},
    "unknown": {"ru": "причина не записана", "en": "no reason recorded"},
    "base_part": {"ru": " по базе «{base}»", "en": " of the base “{base}”"},
    "items_one": {"ru": "задание", "en": "item"},
    "items_few": {"ru": "задания", "en": "items"},
    "items_many": {"ru": "заданий", "en": "items"},
    "subject_open": {"ru": "[1С] {title}{subject}", "en": "[1C] {title}{subject}"},
    "subject_resolved": {"ru": "[1С] Решено: {title}{subject}", "en": "[1C] Resolved: {title}{subject}"},
    "digest_subject": {"ru": "[1С] Сводка: {count} сообщений об обмене", "en": "[1C] Digest: {count} exchange alerts"},
    "digest_intro": {
        "ru": "Сообщений об обмене больше, чем {limit} в час, поэтому они собраны в одну сводку:",
        "en": "There are more exchange alerts than {limit} an hour, so they are gathered into one digest:",
    },
    "digest_open": {"ru": "• Открыто: {title}{subject} — с {since}", "en": "• Open: {title}{subject} — since {since}"},
    "digest_resolved": {"ru": "• Решено: {title}{subject} — {since} … {until}",
                        "en": "• Resolved: {title}{subject} — {since} … {until}"},
    "digest_todo": {"ru": "Подробности и что сделать — в настройках приложения, раздел «Оповещения».",
                    "en": "Details and what to do are in the app's settings, section “Alerts”."},
    "test_subject": {"ru": "[1С] Проверка оповещений", "en": "[1C] Alert test"},
    "test_body": {
        "ru": "Это проверочное сообщение приложения «Интеграция с 1С» с портала {domain}. Если вы его видите, "
              "оповещения об ошибках обмена дойдут до вас.",
        "en": "This is a test message of the “1C integration” app on the portal {domain}. If you see it, alerts "
              "about exchange problems will reach you.",
    },
    "footer": {"ru": "Портал: {domain}", "en": "Portal: {domain}"},
}


def _w(key: str, lang: str, **params: object) -> str:
    return WORDS[key][lang].format(**params)


def _when(value: datetime | None, lang: str) -> str:
    return formatting.datetime(value, lang) if value is not None else _w("never", lang)


def _plural(count: int) -> str:
    """Russian plural form of a count: 1 задание, 2 задания, 5 заданий."""
    if count % 10 == 1 and count % 100 != 11:
        return "items_one"
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return "items_few"
    return "items_many"


def subject_part(incident: Incident, lang: str) -> str:
    """What the incident is about, after its title: « — УТ», « — оплаты, УТ»."""
    detail = incident.detail
    parts = []
    if incident.kind == "stream_stale":
        parts.append(STREAM_NAMES.get(detail.get("stream", ""), {}).get(lang, str(detail.get("stream", ""))))
    if detail.get("base"):
        parts.append(str(detail["base"]))
    return (" — " + ", ".join(parts)) if parts else ""


def title(incident: Incident, lang: str) -> str:
    return KIND_NAMES[incident.kind][lang]


def opened(incident: Incident, lang: str, domain: str) -> tuple[str, str]:
    """(subject, body) of the message that an incident opened."""
    lang = normalize_lang(lang)
    d = incident.detail
    since = _when(incident.since, lang)
    reason = str(d.get("reason") or _w("unknown", lang))
    kind = incident.kind
    if kind == "base_down" and d.get("refused"):
        kind = "base_refused"
    params = {"domain": domain, "since": since, "reason": reason, "base": d.get("base", ""),
              "fields": ", ".join(d.get("fields") or []), "count": d.get("count", 0),
              "items": _w(_plural(int(d.get("count") or 0)) if lang == "ru" else
                           "items_one" if d.get("count") == 1 else "items_many", lang),
              "stream": STREAM_NAMES.get(d.get("stream", ""), {}).get(lang, d.get("stream", "")),
              "base_part": _w("base_part", lang, base=d["base"]) if d.get("base") else "",
              "minutes": max(1, int(d.get("interval") or 60) // 60)}
    body = OPENED[kind][lang].format(**params) + "\n\n" + _w("footer", lang, domain=domain)
    return _w("subject_open", lang, title=title(incident, lang), subject=subject_part(incident, lang)), body


def resolved(incident: Incident, lang: str, domain: str, until: datetime) -> tuple[str, str]:
    lang = normalize_lang(lang)
    params = {"title": title(incident, lang), "subject": subject_part(incident, lang)}
    body = RESOLVED[lang].format(since=_when(incident.since, lang), until=_when(until, lang), **params)
    return _w("subject_resolved", lang, **params), body + "\n\n" + _w("footer", lang, domain=domain)


def digest(lines: list[tuple[str, Incident]], lang: str, domain: str, limit: int) -> tuple[str, str]:
    """One message for notices held back by the hourly limit: (event, incident) pairs, oldest first."""
    lang = normalize_lang(lang)
    out = [_w("digest_intro", lang, limit=limit), ""]
    for event, incident in lines:
        params = {"title": title(incident, lang), "subject": subject_part(incident, lang),
                  "since": _when(incident.since, lang), "until": _when(incident.resolved_at, lang)}
        out.append(_w("digest_resolved" if event == "resolved" else "digest_open", lang, **params))
    out += ["", _w("digest_todo", lang), "", _w("footer", lang, domain=domain)]
    return _w("digest_subject", lang, count=len(lines)), "\n".join(out)


def test_message(lang: str, domain: str) -> tuple[str, str]:
    lang = normalize_lang(lang)
    return _w("test_subject", lang), _w("test_body", lang, domain=domain)
