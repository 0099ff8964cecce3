"""Texts of the exchange journal page («Журнал обмена») and the words for streams, directions and statuses that
the dashboard shares, Russian first, English for every other interface language.

Pages reach them as `jt(key, lang, **params)` (a template global the journal blueprint registers, so the settings
page can link here with the same words).
"""

from __future__ import annotations

from b24app.web.i18n import text_from

TEXTS: dict[str, dict[str, str]] = {
    "title": {"ru": "Журнал обмена", "en": "Exchange journal"},
    "link": {"ru": "Журнал обмена", "en": "Exchange journal"},
    "link_hint": {"ru": "каждый обмен с 1С: когда, что, чем закончился",
                  "en": "every exchange with 1C: when, what, how it ended"},
    "intro": {
        "ru": "Каждая передача данных между Битрикс24 и 1С, новые сверху. Время московское.",
        "en": "Every transfer of data between Bitrix24 and 1C, newest first. Times are Moscow time.",
    },
    "btn_back": {"ru": "← К настройкам", "en": "← Back to settings"},
    "btn_dashboard": {"ru": "Сводка обмена", "en": "Exchange dashboard"},
    "filter_stream": {"ru": "Поток", "en": "Stream"},
    "filter_status": {"ru": "Результат", "en": "Result"},
    "filter_entity": {"ru": "Объект", "en": "Object"},
    "filter_entity_hint": {"ru": "например, deal:42 или company:7", "en": "e.g. deal:42 or company:7"},
    "filter_base": {"ru": "База 1С", "en": "1C base"},
    "filter_from": {"ru": "С", "en": "From"},
    "filter_to": {"ru": "По", "en": "To"},
    "filter_any": {"ru": "все", "en": "any"},
    "btn_filter": {"ru": "Показать", "en": "Show"},
    "btn_reset": {"ru": "Сбросить", "en": "Reset"},
    "btn_newer": {"ru": "← Новее", "en": "← Newer"},
    "btn_older": {"ru": "Старее →", "en": "Older →"},
    "btn_newest": {"ru": "К последним", "en": "Newest"},
    "none": {"ru": "Обменов не найдено.", "en": "No exchanges found."},
    "col_time": {"ru": "Время (МСК)", "en": "Time (Moscow)"},
    "col_stream": {"ru": "Поток", "en": "Stream"},
    "col_direction": {"ru": "Направление", "en": "Direction"},
    "col_entity": {"ru": "Объект", "en": "Object"},
    "col_document": {"ru": "Документ 1С", "en": "1C document"},
    "col_base": {"ru": "База 1С", "en": "1C base"},
    "col_status": {"ru": "Результат", "en": "Result"},
    "col_duration": {"ru": "Длительность", "en": "Duration"},
    "col_items": {"ru": "Записей", "en": "Items"},
    "col_error": {"ru": "Ошибка", "en": "Error"},
    "ms": {"ru": "{value} мс", "en": "{value} ms"},
    "seconds": {"ru": "{value} с", "en": "{value} s"},
    "minutes": {"ru": "{value} мин", "en": "{value} min"},
    "number": {"ru": "№ {number}", "en": "No. {number}"},
    "entity_deal": {"ru": "Сделка {id}", "en": "Deal {id}"},
    "entity_company": {"ru": "Компания {id}", "en": "Company {id}"},
    "entity_contact": {"ru": "Контакт {id}", "en": "Contact {id}"},
    "entity_invoice": {"ru": "Счёт {id}", "en": "Invoice {id}"},
    "dir_1c_to_b24": {"ru": "1С → Битрикс24", "en": "1C → Bitrix24"},
    "dir_b24_to_1c": {"ru": "Битрикс24 → 1С", "en": "Bitrix24 → 1C"},
    "dir_internal": {"ru": "служебное", "en": "internal"},
    "status_ok": {"ru": "успешно", "en": "ok"},
    "status_error": {"ru": "ошибка", "en": "error"},
    "status_retry": {"ru": "будет повтор", "en": "to be retried"},
    "status_skipped": {"ru": "пропущено", "en": "skipped"},
    "stream_payments": {"ru": "Оплаты", "en": "Payments"},
    "stream_shipments": {"ru": "Отгрузки", "en": "Shipments"},
    "stream_debt": {"ru": "Долги", "en": "Debt"},
    "stream_catalog": {"ru": "Каталог и остатки", "en": "Catalog and stock"},
    "stream_deal_order": {"ru": "Заказы по сделкам", "en": "Orders from deals"},
    "stream_deal": {"ru": "Сделки → 1С", "en": "Deals → 1C"},
    "stream_invoice": {"ru": "Счета → 1С", "en": "Invoices → 1C"},
    "stream_counterparty_to_1c": {"ru": "Контрагенты → 1С", "en": "Counterparties → 1C"},
    "stream_offline_events": {"ru": "Пропущенные события", "en": "Offline events"},
    "stream_legal_entity_switch": {"ru": "Смена юрлица", "en": "Legal entity switch"},
    "stream_order_link": {"ru": "Связь с заказом 1С", "en": "Link to a 1C order"},
    "stream_order_links": {"ru": "Связь с заказами 1С", "en": "Links to 1C orders"},
    "stream_schema_check": {"ru": "Проверка базы 1С", "en": "1C base check"},
    "stream_commerceml": {"ru": "Обмен с сайтом (CommerceML)", "en": "Exchange with a website (CommerceML)"},
    "stream_commerceml_query": {"ru": "Заказы для 1С (CommerceML)", "en": "Orders offered to 1C (CommerceML)"},
    "stream_commerceml_success": {"ru": "Заказы получены 1С (CommerceML)",
                                  "en": "Orders confirmed by 1C (CommerceML)"},
    "stream_commerceml_orders": {"ru": "Заказы из 1С (CommerceML)", "en": "Orders back from 1C (CommerceML)"},
    "stream_counterparties": {"ru": "Контрагенты из 1С", "en": "Counterparties from 1C"},
    "stream_mapping_broken": {"ru": "Сопоставление полей", "en": "Field mapping"},
    "err_bad_filter": {"ru": "Фильтр не применён: {what}.", "en": "Filter not applied: {what}."},
    "err_bad_entity": {"ru": "объект пишется как тип:номер, например deal:42",
                       "en": "an object is written as type:id, e.g. deal:42"},
    "err_bad_date": {"ru": "дата пишется как дд.мм.гггг", "en": "a date is written as dd.mm.yyyy"},
    "err_bad_period": {"ru": "начало периода позже его конца", "en": "the period starts after it ends"},
    "err_bad_cursor": {"ru": "ссылка на страницу повреждена, показаны последние",
                       "en": "the page link is damaged, the newest are shown"},
    "refused_body": {
        "ru": "Журнал обмена может смотреть только администратор портала. Откройте страницу из настроек "
              "приложения в Битрикс24.",
        "en": "Only a portal administrator can see the exchange journal. Open this page from the app's settings "
              "in Bitrix24.",
    },
}


def jt(key: str, lang: str, **params: object) -> str:
    """The text `key` in `lang` (English when there is no such translation), with `{named}` params filled."""
    return text_from(TEXTS, key, lang, **params)


def stream_name(kind: str, lang: str) -> str:
    """A stream (journal kind) in the reader's words; a kind without words reads as its code."""
    key = f"stream_{kind}"
    return jt(key, lang) if key in TEXTS else kind


def direction_name(direction: str, lang: str) -> str:
    key = f"dir_{direction}"
    return jt(key, lang) if key in TEXTS else direction


def status_name(status: str, lang: str) -> str:
    key = f"status_{status}"
    return jt(key, lang) if key in TEXTS else status


def duration_text(ms: int | None, lang: str) -> str:
    """350 мс · 1,2 с · 2,5 мин (decimal comma in Russian); an em dash when unknown."""
    if ms is None:
        return "—"
    if ms < 1000:
        return jt("ms", lang, value=ms)
    if ms < 60_000:
        value = f"{ms / 1000:.1f}"
        return jt("seconds", lang, value=value.replace(".", ",") if lang == "ru" else value)
    value = f"{ms / 60_000:.1f}"
    return jt("minutes", lang, value=value.replace(".", ",") if lang == "ru" else value)
