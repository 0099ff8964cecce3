"""Texts the sync writes into deal timelines (crm.timeline.comment.add), in Russian and English, chosen by the
portal's language (`PortalRecord.lang`, normalised by `formatting.normalize_lang`).

`message(key, lang, **params)` fills a text's `{named}` placeholders; a Decimal is written as money and a date or
datetime as a date of that language (`b24app.core.formatting`), so callers pass the values, not their spelling.
Russian texts say "1С" with a Cyrillic С, as 1C's own interface does.

Imports nothing of the app but `core` (the `core` package rule).
"""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal

from b24app.core import formatting

MESSAGES: dict[str, dict[str, str]] = {
    # 1C → Bitrix24: payments and shipments of the deal's order (sync/to_bitrix/deal_state.py)
    "payment_received": {
        "ru": "1С: поступила оплата {kind} № {number} от {date} на {amount} по заказу № {order}.",
        "en": "1C: payment No. {number} of {date} for {amount} was received {kind} against order No. {order}.",
    },
    "payment_kind_bank": {"ru": "по банку", "en": "by bank transfer"},
    "payment_kind_cash": {"ru": "в кассу", "en": "in cash"},
    "payment_not_counted": {
        "ru": "1С: оплата № {number} от {date} на {amount} по заказу № {order} не учтена ({why}).",
        "en": "1C: payment No. {number} of {date} for {amount} against order No. {order} is not counted ({why}).",
    },
    "payment_why_deleted": {"ru": "помечена на удаление", "en": "marked for deletion"},
    "payment_why_unposted": {"ru": "проведение отменено", "en": "unposted"},
    "payment_vanished": {
        "ru": "1С: оплата № {number} по заказу № {order} помечена на удаление и не учтена.",
        "en": "1C: payment No. {number} against order No. {order} is marked for deletion and not counted.",
    },
    "shipment_made": {
        "ru": "1С: отгрузка № {number} от {date} на {amount} по заказу № {order}.",
        "en": "1C: shipment No. {number} of {date} for {amount} against order No. {order}.",
    },
    "shipment_cancelled": {
        "ru": "1С: отгрузка № {number} от {date} по заказу № {order} отменена в 1С.",
        "en": "1C: shipment No. {number} of {date} against order No. {order} was cancelled in 1C.",
    },
    "shipment_vanished": {
        "ru": "1С: отгрузка № {number} по заказу № {order} помечена на удаление и не учтена.",
        "en": "1C: shipment No. {number} against order No. {order} is marked for deletion and not counted.",
    },
    # 1C → Bitrix24: returns from the customer and the order ended in 1C (sync/to_bitrix/deal_state.py)
    "return_made": {
        "ru": "1С: возврат товаров от клиента № {number} от {date} на {amount} по заказу № {order}.",
        "en": "1C: customer return No. {number} of {date} for {amount} against order No. {order}.",
    },
    "return_cancelled": {
        "ru": "1С: возврат товаров № {number} от {date} по заказу № {order} отменён в 1С и не учтён.",
        "en": "1C: customer return No. {number} of {date} against order No. {order} was cancelled in 1C and is "
              "not counted.",
    },
    "return_vanished": {
        "ru": "1С: возврат товаров № {number} по заказу № {order} помечен на удаление и не учтён.",
        "en": "1C: customer return No. {number} against order No. {order} is marked for deletion and not counted.",
    },
    "order_closed_in_1c": {
        "ru": "1С: заказ клиента № {order} закрыт в 1С (отгружено {shipped} из {amount}).",
        "en": "1C: customer order No. {order} was closed in 1C ({shipped} of {amount} shipped).",
    },
    "order_cancelled_in_1c": {
        "ru": "1С: заказ клиента № {order} отменён в 1С: все строки заказа отменены.",
        "en": "1C: customer order No. {order} was cancelled in 1C: every line of the order is cancelled.",
    },
    # Bitrix24 → 1C: the deal's customer order (sync/to_onec/orders.py, jobs)
    "order_created": {
        "ru": "В 1С создан и проведён заказ клиента № {number} (база «{base}»).",
        "en": "Customer order No. {number} was created and posted in 1C (base \"{base}\").",
    },
    "order_cancelled": {
        "ru": "Сделка проиграна: строки заказа клиента № {number} в 1С отменены, заказ закрыт (база «{base}»).",
        "en": "The deal is lost: the lines of customer order No. {number} were cancelled in 1C and the order "
              "closed (base \"{base}\").",
    },
    "order_cancel_refused": {
        "ru": "1С не дала отменить заказ: {error}",
        "en": "1C did not let the order be cancelled: {error}",
    },
    # Bitrix24 → 1C: a smart invoice became a 1C invoice (sync/to_onec/invoices.py)
    "invoice_created": {
        "ru": "В 1С создан и проведён счёт на оплату № {number} по счёту {account}.",
        "en": "Invoice No. {number} for invoice {account} was created and posted in 1C.",
    },
    "invoice_cancelled": {
        "ru": "Счёт на оплату № {number} в 1С аннулирован.",
        "en": "Invoice No. {number} was cancelled in 1C.",
    },
    # a failure told earlier on the deal (`order_failed`) is settled: the comment is rewritten with this
    "order_failure_resolved": {
        "ru": "Исправлено: сделка передана в 1С, заказ клиента № {number}. (Было: {error})",
        "en": "Resolved: the deal reached 1C, customer order No. {number}. (Was: {error})",
    },
    # the outbox gave up on a deal (jobs/sync.py `_tell_deal`): no order in 1C yet / the order exists
    "order_failed": {
        "ru": "Сделку не удалось отправить в 1С: {error}. Исправьте причину и повторите отправку.",
        "en": "The deal could not be sent to 1C: {error}. Fix the cause and send the deal again.",
    },
    "order_update_failed": {
        "ru": "Заказ клиента № {number} в 1С есть, но обновить его по сделке не удалось: {error}. Исправьте "
              "причину и повторите отправку.",
        "en": "Customer order No. {number} exists in 1C, but it could not be updated from the deal: {error}. "
              "Fix the cause and send the deal again.",
    },
    # Bitrix24 → 1C: the deal's order moves to another base (sync/to_onec/legal_entity.py)
    "entity_switch": {
        "ru": "{why}: {cancelled}; в базе «{base}» создан и проведён заказ клиента № {number}.",
        "en": "{why}: {cancelled}; customer order No. {number} was created and posted in base \"{base}\".",
    },
    "entity_switch_cancelled": {
        "ru": "заказ № {number} в базе «{base}» отменён",
        "en": "order No. {number} in base \"{base}\" cancelled",
    },
    "entity_switch_why_legal_entity": {"ru": "Юрлицо продавца изменилось", "en": "The seller legal entity changed"},
    # Bitrix24 → 1C: the deal's order re-issued under another organization, of its base or of another base
    # (sync/to_onec/legal_entity.py): both organizations and both numbers named in one comment
    "entity_switch_org": {
        "ru": "{why}: {cancelled}; создан и проведён заказ клиента № {number} ({org}, база «{base}»).",
        "en": "{why}: {cancelled}; customer order No. {number} was created and posted ({org}, base \"{base}\").",
    },
    "entity_switch_org_cancelled": {
        "ru": "заказ клиента № {number} ({org}, база «{base}») отменён",
        "en": "customer order No. {number} ({org}, base \"{base}\") cancelled",
    },
    # an organization as a Russian accountant names it: its name and ИНН
    "org_label": {"ru": "{name}, ИНН {inn}", "en": "{name}, INN {inn}"},
    "entity_switch_why_pipeline": {
        "ru": "Сделка перешла в воронку другой базы 1С",
        "en": "The deal moved to a pipeline of another 1C base",
    },
    # 1C → Bitrix24: counterparties (sync/to_bitrix/party_load.py, issue 14)
    "party_invalid_inn": {
        "ru": "1С: ИНН «{inn}» не прошёл проверку контрольной суммы и не записан в реквизиты. Исправьте его в 1С.",
        "en": "1C: the INN {inn} fails its checksum and was not written to the requisites. Correct it in 1C.",
    },
}


def placeholders(text: str) -> set[str]:
    """The `{named}` fields of a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _spelled(value: object, lang: str) -> object:
    if isinstance(value, Decimal):
        return formatting.money(value, lang=lang)
    if isinstance(value, dt.date):  # a datetime is a date too: comments name the day
        return formatting.date(value, lang)
    if value is None:
        return formatting.NONE
    return value


def message(key: str, lang: str = "ru", **params: object) -> str:
    """The text `key` in the portal's language (any LANG code; see `formatting.normalize_lang`) with its
    placeholders filled: Decimal → money, date/datetime → date, None → "—", anything else as str() writes it."""
    text = MESSAGES[key][formatting.normalize_lang(lang)]
    return text.format(**{name: _spelled(value, lang) for name, value in params.items()})
