"""Page texts in Russian and English, chosen by the portal's LANG."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: dict[str, dict[str, str]] = {
    "app_name": {"ru": "Интеграция с 1С", "en": "1C integration"},
    "install_done_title": {"ru": "Приложение установлено", "en": "The app is installed"},
    "install_done_body": {
        "ru": "Вкладки «1С» добавлены в карточки сделок и компаний. Осталось подключить базу 1С в настройках.",
        "en": "The 1C tabs were added to deal and company cards. Next, connect a 1C base in the settings.",
    },
    "install_failed_title": {"ru": "Установка не завершена", "en": "Installation was not completed"},
    "install_failed_body": {
        "ru": "Портал не подтвердил установку. Попробуйте переустановить приложение; если ошибка повторится, "
              "сообщите администратору код ниже.",
        "en": "The portal did not confirm the installation. Try reinstalling the app; if it happens again, "
              "give your administrator the code below.",
    },
    "tab_title_deal": {"ru": "Документы 1С по сделке", "en": "1C documents of this deal"},
    "tab_stock": {"ru": "Остатки товаров сделки на складах", "en": "Stock of the deal's products"},
    "tab_stock_product": {"ru": "Товар", "en": "Product"},
    "tab_stock_warehouse": {"ru": "Склад", "en": "Warehouse"},
    "tab_stock_quantity": {"ru": "В наличии", "en": "On hand"},
    "tab_stock_none": {"ru": "«{product}»: на складах нет", "en": "«{product}»: none in stock"},
    "tab_stock_unavailable": {"ru": "Остатки из 1С сейчас не получить — попробуйте позже.",
                              "en": "1C's stock cannot be read right now; try again later."},
    "tab_title_company": {"ru": "Расчёты в 1С", "en": "Settlements in 1C"},
    "tab_no_base": {
        "ru": "База 1С ещё не подключена. Администратор портала подключает её в настройках приложения.",
        "en": "No 1C base is connected yet. A portal administrator connects one in the app's settings.",
    },
    "tab_no_link_deal": {
        "ru": "Сделка пока не связана с 1С. Укажите номер заказа или счёта из 1С в поле сделки «{field}» — "
              "данные появятся здесь. Сделки, по которым приложение само создало заказ в 1С, связываются "
              "автоматически.",
        "en": "This deal is not linked to 1C yet. Enter the 1C order or invoice number in the deal field "
              "\"{field}\" and the data will appear here. Deals the app created a 1C order for are linked "
              "automatically.",
    },
    "tab_no_link_company": {
        "ru": "Компания пока не связана с 1С: в её реквизитах нет ИНН. Добавьте реквизиты с ИНН (и КПП) — "
              "контрагент 1С будет найден по ним.",
        "en": "This company is not linked to 1C: its requisites have no INN. Add requisites with the INN "
              "(and KPP) and the 1C counterparty will be found by them.",
    },
    "tab_not_found_deal": {
        "ru": "В базе нет заказа или счёта с номером «{number}». Проверьте номер в поле сделки.",
        "en": "The base has no order or invoice numbered \"{number}\". Check the number in the deal field.",
    },
    "tab_not_found_company": {
        "ru": "В базе нет контрагента с ИНН/КПП {number}.",
        "en": "The base has no counterparty with INN/KPP {number}.",
    },
    "tab_unreachable": {
        "ru": "1С сейчас недоступна. Показаны последние известные данные на {when}.",
        "en": "1C is unreachable right now. Showing the last known data as of {when}.",
    },
    "tab_unreachable_empty": {
        "ru": "1С сейчас недоступна, а данных по этой базе ещё не было. Откройте вкладку позже.",
        "en": "1C is unreachable right now and there is no data from this base yet. Open the tab later.",
    },
    "tab_address_refused": {
        "ru": "Адрес этой базы 1С приложению вызывать нельзя (внутренний или служебный адрес). Администратору: "
              "укажите в настройках опубликованный адрес базы.",
        "en": "The app may not call this 1C base's address (an internal or reserved address). Administrator: "
              "enter the base's published address in the settings.",
    },
    "tab_config_error": {
        "ru": "Профиль базы 1С не подходит к её данным; администратору стоит запустить проверку схемы.",
        "en": "The 1C base's profile does not fit its data; an administrator should run the schema check.",
    },
    "tab_as_of": {"ru": "Данные 1С на", "en": "1C data as of"},
    "tab_open_in_1c": {"ru": "открыть в 1С", "en": "open in 1C"},
    "tab_order": {"ru": "Заказ", "en": "Order"},
    "tab_customer_order": {"ru": "Заказ клиента", "en": "Customer order"},
    "tab_customer_invoice": {"ru": "Счёт на оплату", "en": "Invoice"},
    "tab_number": {"ru": "Номер", "en": "Number"},
    "tab_date": {"ru": "Дата", "en": "Date"},
    "tab_sum": {"ru": "Сумма", "en": "Amount"},
    "tab_status": {"ru": "Состояние", "en": "Status"},
    "tab_kind": {"ru": "Вид", "en": "Kind"},
    "tab_paid_no": {"ru": "Не оплачен", "en": "Not paid"},
    "tab_paid_partly": {"ru": "Оплачен частично", "en": "Partly paid"},
    "tab_paid_fully": {"ru": "Оплачен полностью", "en": "Fully paid"},
    "tab_paid_sum": {"ru": "Оплачено", "en": "Paid"},
    "tab_remaining": {"ru": "Осталось оплатить", "en": "Remaining to pay"},
    "tab_invoices": {"ru": "Счета на оплату", "en": "Invoices"},
    "tab_payments": {"ru": "Оплаты", "en": "Payments"},
    "tab_no_payments": {"ru": "Оплат пока нет.", "en": "No payments yet."},
    "tab_bank": {"ru": "Банк", "en": "Bank"},
    "tab_cash": {"ru": "Касса", "en": "Cash"},
    "tab_not_posted": {"ru": "не проведён", "en": "not posted"},
    "tab_posted": {"ru": "проведён", "en": "posted"},
    "tab_shipments": {"ru": "Отгрузки", "en": "Shipments"},
    "tab_no_shipments": {"ru": "Отгрузок пока нет.", "en": "No shipments yet."},
    "tab_acts": {"ru": "Акты", "en": "Acts"},
    "tab_vat_invoices": {"ru": "Счета-фактуры", "en": "VAT invoices"},
    "tab_shipped": {"ru": "Отгружено", "en": "Shipped"},
    "tab_debt": {"ru": "Долг клиента", "en": "Receivable"},
    "tab_payable": {"ru": "Наш долг / авансы", "en": "Payable / advances"},
    "tab_overdue": {"ru": "Просрочено", "en": "Overdue"},
    "tab_overdue_unknown": {"ru": "сроки не ведутся", "en": "terms not tracked"},
    "tab_debt_by_base": {"ru": "Долг клиента по базам и организациям", "en": "Receivable by base and organization"},
    "tab_base": {"ru": "База 1С", "en": "1C base"},
    "tab_organization": {"ru": "Организация", "en": "Organization"},
    "tab_total": {"ru": "Итого", "en": "Total"},
    "tab_last_payments": {"ru": "Последние оплаты", "en": "Last payments"},
    "tab_open_orders": {"ru": "Открытые заказы", "en": "Open orders"},
    "tab_no_open_orders": {"ru": "Открытых заказов нет.", "en": "No open orders."},
    "tab_recent_shipments": {"ru": "Последние отгрузки", "en": "Recent shipments"},
    "tab_counterparty": {"ru": "Контрагент", "en": "Counterparty"},
    "tab_inn": {"ru": "ИНН", "en": "INN"},
    "tab_kpp": {"ru": "КПП", "en": "KPP"},
    "refused_title": {"ru": "Доступ запрещён", "en": "Access denied"},
    "error_400": {"ru": "Запрос не может быть обработан: {why}.", "en": "The request cannot be processed: {why}."},
    "error_413": {"ru": "Запрос слишком велик (больше {limit} КБ).",
                  "en": "The request is too large (over {limit} KB)."},
    "error_500": {"ru": "Внутренняя ошибка приложения. Она записана в журнал; повторите попытку позже. "
                        "Номер для обращения в поддержку: {ref}.",
                  "en": "Internal error of the application. It has been logged; try again later. "
                        "Reference for support: {ref}."},
    "error_secrets": {"ru": "Приложение не может расшифровать сохранённые ключи доступа. Администратору сервера: "
                            "проверьте B24APP_SECRET_KEY (и B24APP_OLD_SECRET_KEYS после смены ключа).",
                      "en": "The application cannot decrypt its stored credentials. Server administrator: check "
                            "B24APP_SECRET_KEY (and B24APP_OLD_SECRET_KEYS after a key change)."},
    "error_title": {"ru": "Ошибка", "en": "Error"},
    "refused_body": {
        "ru": "Запрос не прошёл проверку. Откройте страницу из карточки Битрикс24.",
        "en": "The request failed verification. Open this page from a Bitrix24 card.",
    },
    "tab_action_order": {"ru": "Отправить в 1С", "en": "Send to 1C"},
    "tab_action_refresh": {"ru": "Обновить из 1С", "en": "Refresh from 1C"},
    # The button's real outcome (tab_actions.py): queued, then done with the order's number, or failed and why.
    "tab_action_order_queued": {
        "ru": "Заявка принята: заказ в 1С создаётся…",
        "en": "Request accepted: the 1C order is being made…",
    },
    "tab_action_order_retrying": {
        "ru": "1С пока не приняла заказ ({why}). Приложение повторит попытку само.",
        "en": "1C has not taken the order yet ({why}). The app will try again by itself.",
    },
    "tab_action_order_done": {"ru": "Готово: {orders}.", "en": "Done: {orders}."},
    "tab_action_order_number": {"ru": "заказ в 1С № {number} (база «{base}»)",
                                "en": "1C order no. {number} (base “{base}”)"},
    "tab_action_order_nothing": {
        "ru": "Обмен выполнен, но заказа в 1С по сделке нет: сделка закрыта или заказ ей не нужен.",
        "en": "The exchange ran, but the deal has no 1C order: the deal is closed or needs none.",
    },
    "tab_action_order_failed": {
        "ru": "Заказ в 1С не создан: {why}. Исправьте причину и нажмите «Отправить в 1С» ещё раз.",
        "en": "The 1C order was not made: {why}. Fix the cause and press “Send to 1C” again.",
    },
    "tab_action_refresh_queued": {
        "ru": "Заявка принята: оплаты и отгрузки сделки обновляются из 1С…",
        "en": "Request accepted: the deal's payments and shipments are being refreshed from 1C…",
    },
    "tab_action_refresh_done": {
        "ru": "Готово: оплаты и отгрузки сделки обновлены из 1С.",
        "en": "Done: the deal's payments and shipments are refreshed from 1C.",
    },
    "tab_action_refresh_failed": {
        "ru": "Обновить из 1С не удалось: {why}.",
        "en": "Refreshing from 1C failed: {why}.",
    },
    "tab_action_unknown": {"ru": "Заявка не найдена.", "en": "The request was not found."},
    "tab_action_back": {"ru": "← Вернуться на вкладку", "en": "← Back to the tab"},
    "tab_action_reload": {"ru": "Обновить вкладку", "en": "Reload the tab"},
    "tab_action_close": {"ru": "Скрыть", "en": "Hide"},
    "tab_reason_no_rows": {
        "ru": "в сделке нет товаров — добавьте товары в сделку",
        "en": "the deal has no products — add products to the deal",
    },
    "tab_reason_onec_auth": {
        "ru": "1С не приняла логин или пароль базы — администратор исправит их в настройках приложения",
        "en": "1C refused the base's login or password — an administrator fixes them in the app's settings",
    },
    "tab_reason_no_inn": {
        "ru": "у компании нет ИНН — заполните реквизиты компании",
        "en": "the company has no INN — fill in the company's requisites",
    },
    "tab_reason_unknown": {"ru": "причина не записана", "en": "no reason recorded"},
}


def text_from(table: Mapping[str, Mapping[str, str]], key: str, lang: str, **params: object) -> str:
    """The text `key` of a page's table in `lang` (English when there is no such translation), `{named}` params
    filled. Every page's texts module answers through this."""
    entry = table[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**params) if params else text


def t(key: str, lang: str) -> str:
    return text_from(TEXTS, key, lang)
