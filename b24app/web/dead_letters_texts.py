"""Texts of the dead letters page ("Ошибки обмена"), Russian first, English for every other interface language.

Pages reach them as `dlt(key, lang, **params)` (a template global the dead letters blueprint registers, so the
settings page can link here with the same words).
"""

from __future__ import annotations

from b24app.web.i18n import text_from

TEXTS: dict[str, dict[str, str]] = {
    "title": {"ru": "Ошибки обмена", "en": "Dead letters"},
    "link": {"ru": "Ошибки обмена", "en": "Dead letters"},
    "link_hint": {"ru": "что обмен не смог передать и почему; повторить или убрать",
                  "en": "what the exchange could not deliver and why; replay or discard"},
    "intro": {
        "ru": "Здесь то, что обмен с 1С не смог передать и отложил: сделки, заказ по которым 1С не приняла, и "
              "загрузки из 1С, завершившиеся ошибкой. Исправьте причину (например, ИНН в реквизитах компании) и "
              "нажмите «Повторить». То, что повторять не нужно, можно убрать из списка.",
        "en": "This is what the exchange with 1C could not deliver and set aside: deals whose order 1C did not "
              "accept and loads from 1C that ended in an error. Fix the cause (e.g. the INN in the company's "
              "requisites) and press “Replay”. What need not be replayed can be discarded.",
    },
    "none": {"ru": "Ошибок обмена нет: всё передано.", "en": "No dead letters: everything was delivered."},
    "more": {"ru": "Показаны последние {shown} из {total}; остальные появятся, когда эти будут разобраны.",
             "en": "Showing the newest {shown} of {total}; the rest appear once these are dealt with."},
    "col_what": {"ru": "Что", "en": "What"},
    "col_reason": {"ru": "Причина", "en": "Reason"},
    "col_attempts": {"ru": "Попыток", "en": "Attempts"},
    "col_time": {"ru": "Когда", "en": "When"},
    "what_deal": {"ru": "Сделка {id} → заказ в 1С", "en": "Deal {id} → 1C order"},
    "what_invoice": {"ru": "Счёт {id} → 1С", "en": "Invoice {id} → 1C"},
    "what_company": {"ru": "Компания {id} → контрагент в 1С", "en": "Company {id} → 1C counterparty"},
    "what_contact": {"ru": "Контакт {id} → контрагент в 1С", "en": "Contact {id} → 1C counterparty"},
    "what_requisite": {"ru": "Реквизит {id} → контрагент в 1С", "en": "Requisite {id} → 1C counterparty"},
    "what_pull_stream": {"ru": "Загрузка из 1С: {stream}", "en": "Load from 1C: {stream}"},
    "what_run_named_job": {"ru": "Запуск вручную: {stream}", "en": "Run by hand: {stream}"},
    "what_other": {"ru": "Задание {what}", "en": "Job {what}"},
    "stream_payments": {"ru": "оплаты", "en": "payments"},
    "stream_shipments": {"ru": "отгрузки", "en": "shipments"},
    "stream_debt": {"ru": "долги", "en": "debt"},
    "no_reason": {"ru": "причина не записана", "en": "no reason recorded"},
    "btn_replay": {"ru": "Повторить", "en": "Replay"},
    "btn_replay_selected": {"ru": "Повторить отмеченные", "en": "Replay selected"},
    "btn_replay_all": {"ru": "Повторить все ({count})", "en": "Replay all ({count})"},
    "btn_discard_selected": {"ru": "Убрать отмеченные…", "en": "Discard selected…"},
    "btn_back": {"ru": "← К настройкам", "en": "← Back to settings"},
    "btn_back_list": {"ru": "Отмена, назад к списку", "en": "Cancel, back to the list"},
    "select_all": {"ru": "отметить все", "en": "select all"},
    "confirm_title": {"ru": "Убрать из списка ошибок?", "en": "Discard these dead letters?"},
    "confirm_body": {
        "ru": "Эти записи ({count}) будут убраны навсегда: приложение больше не будет их повторять. Сами сделки "
              "не меняются; новое изменение сделки снова отправится в 1С.",
        "en": "These {count} letters will be given up for good: the app will not replay them again. The deals "
              "themselves do not change; a new change of a deal is sent to 1C again.",
    },
    "btn_confirm_discard": {"ru": "Да, убрать ({count})", "en": "Yes, discard ({count})"},
    "notice_replayed": {"ru": "Отправлено повторно: {done}. Обмен выполнит их в течение минуты.",
                        "en": "Sent again: {done}. The exchange will run them within a minute."},
    "notice_discarded": {"ru": "Убрано: {done}.", "en": "Discarded: {done}."},
    "notice_missing": {"ru": "Уже не в списке ошибок (повторены или убраны раньше): {missing}.",
                       "en": "No longer dead letters (replayed or discarded before): {missing}."},
    "err_nothing_selected": {"ru": "Ничего не отмечено.", "en": "Nothing was selected."},
    "err_bad_ref": {"ru": "Запрос повреждён: неизвестная запись.", "en": "The request is damaged: unknown entry."},
    "refused_body": {
        "ru": "Ошибки обмена может смотреть и разбирать только администратор портала. Откройте страницу из "
              "настроек приложения в Битрикс24.",
        "en": "Only a portal administrator can see and handle dead letters. Open this page from the app's "
              "settings in Bitrix24.",
    },
}


def dlt(key: str, lang: str, **params: object) -> str:
    """The text `key` in `lang` (English when there is no such translation), with `{named}` params filled."""
    return text_from(TEXTS, key, lang, **params)
