"""Texts of the settings page, Russian first, English for every other interface language.

Kept apart from `i18n.py` (shared by every page) because the settings page has many texts of its own; a text
may take `{named}` parameters.
"""

from __future__ import annotations

from b24app.web.i18n import text_from

TEXTS: dict[str, dict[str, str]] = {
    "page_title": {"ru": "Настройки интеграции с 1С", "en": "1C integration settings"},
    "refused_body": {
        "ru": "Настройки интеграции может открывать и менять только администратор портала. Обратитесь к нему, "
              "если нужно что-то изменить.",
        "en": "Only a portal administrator can open and change the integration settings. Ask one if something "
              "needs changing.",
    },
    "readonly_body": {
        "ru": "Менять настройки может только администратор портала. Ниже — краткая сводка.",
        "en": "Only a portal administrator can change the settings. Here is a short summary.",
    },
    "summary_bases": {"ru": "Базы 1С", "en": "1C bases"},
    "yes": {"ru": "да", "en": "yes"},
    "no": {"ru": "нет", "en": "no"},
    # bases
    "bases_title": {"ru": "Базы 1С", "en": "1C bases"},
    "bases_none": {
        "ru": "Ни одна база 1С ещё не подключена. Добавьте базу в форме ниже.",
        "en": "No 1C base is connected yet. Add one with the form below.",
    },
    "base_name": {"ru": "Название", "en": "Name"},
    "base_url": {"ru": "Адрес публикации (OData)", "en": "Publication address (OData)"},
    "base_url_hint": {
        "ru": "Корень публикации базы на веб-сервере, например https://1c.example.ru/trade/ — без "
              "odata/standard.odata.",
        "en": "The base's publication root on the web server, e.g. https://1c.example.ru/trade/ — without "
              "odata/standard.odata.",
    },
    "base_login": {"ru": "Пользователь 1С", "en": "1C user"},
    "base_password": {"ru": "Пароль", "en": "Password"},
    "base_password_keep": {
        "ru": "Пароль сохранён и не показывается. Оставьте поле пустым, чтобы не менять его.",
        "en": "The password is stored and never shown. Leave the field empty to keep it.",
    },
    "base_profile": {"ru": "Конфигурация", "en": "Configuration"},
    "base_legal_entity": {"ru": "Юрлицо", "en": "Legal entity"},
    "base_legal_entity_hint": {"ru": "ООО «Ромашка»", "en": "Romashka LLC"},
    "base_enabled": {"ru": "Обмен включён", "en": "Exchange on"},
    "base_disabled": {"ru": "обмен выключен", "en": "exchange off"},
    "base_last_check": {"ru": "Последняя проверка", "en": "Last check"},
    "base_form_add": {"ru": "Добавить базу 1С", "en": "Add a 1C base"},
    "base_form_edit": {"ru": "Изменить базу «{name}»", "en": "Edit base “{name}”"},
    "inn": {"ru": "ИНН", "en": "INN"},
    "check_ok_short": {"ru": "в порядке", "en": "OK"},
    "check_bad_short": {"ru": "есть проблемы", "en": "problems"},
    "check_never": {"ru": "не проверялась", "en": "never checked"},
    "delete_confirm": {"ru": "да, удалить", "en": "yes, delete"},
    "btn_test": {"ru": "Проверить подключение", "en": "Test connection"},
    "btn_test_typed": {"ru": "Проверить подключение", "en": "Test connection"},
    "btn_edit": {"ru": "Изменить", "en": "Edit"},
    "btn_delete": {"ru": "Удалить", "en": "Delete"},
    "btn_save_base": {"ru": "Сохранить базу", "en": "Save base"},
    # test report
    "report_title": {"ru": "Проверка подключения: {name}", "en": "Connection test: {name}"},
    "report_reachable": {"ru": "База отвечает по этому адресу", "en": "The base answers at this address"},
    "report_unreachable": {"ru": "База не отвечает по этому адресу", "en": "The base does not answer at this address"},
    "report_authorised": {"ru": "Вход выполнен: имя и пароль верны",
                          "en": "Logged in: user name and password are right"},
    "report_unauthorised": {"ru": "1С не пустила: неверное имя или пароль, или у пользователя нет прав",
                            "en": "1C refused the login: wrong user name or password, or the user lacks rights"},
    "report_published": {"ru": "Все нужные объекты опубликованы в стандартном интерфейсе OData",
                         "en": "Every object needed is published in the standard OData interface"},
    "report_unpublished": {"ru": "Не опубликованы объекты:", "en": "These objects are not published:"},
    "report_fields": {"ru": "В опубликованных объектах нет нужных полей:",
                      "en": "Published objects lack fields the app needs:"},
    "report_similar": {"ru": "похожие:", "en": "similar:"},
    "report_what_to_do": {"ru": "Что сделать", "en": "What to do"},
    # legal entities
    "legal_title": {"ru": "Юрлица", "en": "Legal entities"},
    "legal_hint": {
        "ru": "Если продаёте от нескольких юрлиц, поле сделки «Юрлицо продавца» решает, в какую базу 1С уйдёт заказ "
              "и чьи оплаты учитываются.",
        "en": "When you sell as several legal entities, the deal field “Seller legal entity” decides which 1C base "
              "receives the order and whose payments count.",
    },
    "legal_field": {"ru": "Поле сделки «Юрлицо продавца»", "en": "Deal field “Seller legal entity”"},
    "legal_field_none": {"ru": "не используется (одна база)", "en": "not used (one base)"},
    "legal_field_text": {"ru": "текстовое поле", "en": "a text field"},
    "legal_text_hint": {
        "ru": "Это текстовое поле: база выбирается по тексту значения в сделке, как указано ниже. Чтобы менять "
              "соответствие на этой странице, создайте поле-список «Юрлицо продавца».",
        "en": "This is a text field: the base is chosen by the deal's value as text, as listed below. To change the "
              "mapping on this page, create the list field “Seller legal entity”.",
    },
    "legal_field_label": {"ru": "Юрлицо продавца", "en": "Seller legal entity"},
    "legal_value": {"ru": "Значение поля", "en": "Field value"},
    "legal_base": {"ru": "База 1С", "en": "1C base"},
    "legal_org": {"ru": "Организация в базе", "en": "Organization in the base"},
    "legal_org_own": {"ru": "— юрлицо базы —", "en": "— the base's legal entity —"},
    "legal_org_typed": {"ru": "ИНН {inn} (нет среди прочитанных из 1С)",
                        "en": "INN {inn} (not among those read from 1C)"},
    "legal_org_inn_placeholder": {"ru": "ИНН организации (пусто — юрлицо базы)",
                                  "en": "Organization INN (empty: the base's legal entity)"},
    "legal_orgs_unread": {
        "ru": "Организации базы «{base}» сейчас не прочитать ({why}): укажите ИНН организации вручную.",
        "en": "The organizations of base “{base}” cannot be read now ({why}): type the organization's INN.",
    },
    "kpp": {"ru": "КПП", "en": "KPP"},
    # warehouses
    "warehouses_title": {"ru": "Склады заказов", "en": "Order warehouses"},
    "warehouses_hint": {
        "ru": "С какого склада 1С отгружать заказы: для базы в целом и, если нужно, для отдельной воронки.",
        "en": "Which 1C warehouse orders ship from: for the whole base and, where needed, for one pipeline.",
    },
    "warehouse_all_pipelines": {"ru": "все воронки", "en": "all pipelines"},
    "warehouse_first": {"ru": "— первый по названию —", "en": "— the first by name —"},
    "warehouse_as_base": {"ru": "— как для базы —", "en": "— as for the base —"},
    "warehouse_unknown": {"ru": "склад {ref} (нет среди прочитанных из 1С)",
                          "en": "warehouse {ref} (not among those read from 1C)"},
    "warehouses_unread": {
        "ru": "Склады базы «{base}» сейчас не прочитать ({why}); сохранённый выбор не изменится.",
        "en": "The warehouses of base “{base}” cannot be read now ({why}); the stored choice stays as it is.",
    },
    "legal_no_values": {"ru": "У поля нет значений: добавьте их в настройках поля на портале.",
                        "en": "The field has no values: add them in the field's settings on the portal."},
    "legal_field_create_hint": {
        "ru": "Приложение может само создать поле-список «Юрлицо продавца» со значениями из юрлиц баз 1С.",
        "en": "The app can create the list field “Seller legal entity” with the legal entities of the 1C bases.",
    },
    "btn_create_legal_field": {"ru": "Создать поле «Юрлицо продавца»", "en": "Create the “Seller legal entity” field"},
    # field mapping
    "fields_title": {"ru": "Поля Битрикс24", "en": "Bitrix24 fields"},
    "fields_hint": {
        "ru": "Куда записывать данные из 1С. По умолчанию — поля, которые создаёт приложение.",
        "en": "Where data from 1C goes. By default, fields the app creates.",
    },
    "fields_deal": {"ru": "Сделка", "en": "Deal"},
    "fields_company": {"ru": "Компания", "en": "Company"},
    "entity_deal": {"ru": "сделка", "en": "deal"},
    "entity_company": {"ru": "компания", "en": "company"},
    "logical_paid_status": {"ru": "Признак оплаты", "en": "Paid flag"},
    "logical_paid_sum": {"ru": "Сумма оплаты", "en": "Sum paid"},
    "logical_payment_date": {"ru": "Дата оплаты", "en": "Payment date"},
    "logical_remaining": {"ru": "Остаток к оплате", "en": "Remaining"},
    "logical_shipment_status": {"ru": "Статус отгрузки", "en": "Shipment status"},
    "logical_order_number": {"ru": "Номер заказа 1С", "en": "1C order number"},
    "logical_order_link": {"ru": "Ссылка на заказ 1С", "en": "1C order link"},
    "logical_debt": {"ru": "Долг", "en": "Debt"},
    "logical_overdue": {"ru": "Просроченный долг", "en": "Overdue debt"},
    "logical_debt_by_base": {"ru": "Долг по базам и организациям", "en": "Debt by base and organization"},
    "logical_returned_sum": {"ru": "Сумма возвратов", "en": "Sum returned"},
    "logical_legal_entity": {"ru": "Юрлицо продавца", "en": "Seller legal entity"},
    "field_app_default": {"ru": "Поле приложения, будет создано", "en": "The app's field, will be created"},
    "field_missing_short": {"ru": "нет на портале!", "en": "missing on the portal!"},
    "broken_title": {
        "ru": "Эти поля указаны в настройках, но их нет на портале (поле удалили или переименовали). Выберите другое "
              "поле и сохраните:",
        "en": "These fields are in the settings but missing on the portal (deleted or renamed). Choose another "
              "field and save:",
    },
    "not_created_title": {
        "ru": "Поля приложения ещё не созданы на портале. Их создаст первый обмен, или создайте их сейчас:",
        "en": "The app's fields do not exist on the portal yet. The first exchange creates them, or create them now:",
    },
    "btn_create_fields": {"ru": "Создать поля приложения", "en": "Create the app's fields"},
    # stages
    "stages_title": {"ru": "Стадии сделок", "en": "Deal stages"},
    "stages_hint": {
        "ru": "Для каждой воронки: в какую базу 1С идут её сделки (если значение поля «Юрлицо продавца» не "
              "назначает базу), на какой стадии создавать заказ в 1С и куда переводить сделку при оплате и "
              "отгрузке. Сделка, перенесённая в воронку другой базы, переносит туда и заказ: в старой базе он "
              "отменяется.",
        "en": "For each pipeline: which 1C base its deals go to (unless the “Seller legal entity” value names a "
              "base), the stage that creates the 1C order, and where a deal moves when paid and shipped. A deal "
              "moved to a pipeline of another base takes its order along: the order in the old base is cancelled.",
    },
    "pipeline": {"ru": "Воронка", "en": "Pipeline"},
    "pipeline_default": {"ru": "Общая", "en": "General"},
    "pipeline_base": {"ru": "База 1С", "en": "1C base"},
    "pipeline_base_any": {"ru": "— любая: решает поле «Юрлицо продавца» —",
                          "en": "— any: the “Seller legal entity” field decides —"},
    "base_missing_short": {"ru": "базы нет", "en": "no such base"},
    "stage_make_order": {"ru": "Создать заказ в 1С на стадии", "en": "Create the 1C order at stage"},
    "stage_partly_paid": {"ru": "Частично оплачена", "en": "Partly paid"},
    "stage_paid": {"ru": "Оплачена", "en": "Paid"},
    "stage_shipped": {"ru": "Отгружена", "en": "Shipped"},
    "stage_returned": {"ru": "Возвращена клиентом", "en": "Returned by the customer"},
    "stage_cancelled_in_1c": {"ru": "Заказ закрыт или отменён в 1С", "en": "Order closed or cancelled in 1C"},
    "stage_none": {"ru": "— не менять —", "en": "— do not move —"},
    # The empty choice of "make order" is not "leave the stage alone": it means no deal of the pipeline reaches 1C
    # by itself, so the option and the note under it say so.
    "stage_make_order_none": {"ru": "— не создавать: в 1С ничего не отправляется —",
                              "en": "— none: nothing is sent to 1C —"},
    "stage_make_order_off": {
        "ru": "Стадия не выбрана: сделки этой воронки сами в 1С не попадут. Заказ создаётся только кнопкой "
              "«Отправить в 1С» на вкладке сделки.",
        "en": "No stage chosen: deals of this pipeline never reach 1C by themselves. An order is made only by the "
              "“Send to 1C” button on the deal's tab.",
    },
    "stage_make_order_on": {
        "ru": "Сделка, перешедшая на эту стадию, отправляется в 1С как заказ клиента.",
        "en": "A deal that enters this stage is sent to 1C as a customer order.",
    },
    # schedules
    "schedules_title": {"ru": "Расписание и направления обмена", "en": "Schedule and directions"},
    "schedule_payments": {"ru": "Оплаты из 1С — каждые", "en": "Payments from 1C — every"},
    "schedule_debt": {"ru": "Долг из 1С — каждые", "en": "Debt from 1C — every"},
    "schedule_shipments": {"ru": "Отгрузки из 1С — каждые", "en": "Shipments from 1C — every"},
    "minutes": {"ru": "мин", "en": "min"},
    "direction_pull": {"ru": "Загружать данные из 1С в Битрикс24", "en": "Bring data from 1C into Bitrix24"},
    "direction_push": {"ru": "Отправлять сделки из Битрикс24 в 1С", "en": "Send deals from Bitrix24 to 1C"},
    "btn_save_settings": {"ru": "Сохранить настройки", "en": "Save settings"},
    "schema_unavailable": {
        "ru": "Не удалось прочитать поля и воронки портала ({code}). Обновите страницу через минуту.",
        "en": "Could not read the portal's fields and pipelines ({code}). Reload the page in a minute.",
    },
    # sync now
    "sync_title": {"ru": "Запустить сейчас", "en": "Run now"},
    "job_check_bases": {"ru": "Проверить все базы 1С", "en": "Check every 1C base"},
    "job_payments": {"ru": "Загрузить оплаты", "en": "Pull payments"},
    "job_debt": {"ru": "Загрузить долг", "en": "Pull debt"},
    "job_shipments": {"ru": "Загрузить отгрузки", "en": "Pull shipments"},
    "job_unavailable": {"ru": "пока недоступно в этой версии", "en": "not available in this version yet"},
    "job_result_checked": {"ru": "Проверено баз: {checked}, в порядке: {ok}",
                           "en": "Bases checked: {checked}, OK: {ok}"},
    "btn_run": {"ru": "Запустить", "en": "Run"},
    # What a finished or running "sync now" job did, as a sentence (job_sentence below), never as raw JSON.
    "job_done_payments": {"ru": "Оплаты загружены из 1С (баз: {bases}). Обновлено сделок: {updated}.",
                          "en": "Payments pulled from 1C ({bases} base(s)). Deals updated: {updated}."},
    "job_done_shipments": {"ru": "Отгрузки загружены из 1С (баз: {bases}). Обновлено сделок: {updated}.",
                           "en": "Shipments pulled from 1C ({bases} base(s)). Deals updated: {updated}."},
    "job_done_debt": {"ru": "Долг загружен из 1С (баз: {bases}). Обновлено компаний: {updated}.",
                      "en": "Debt pulled from 1C ({bases} base(s)). Companies updated: {updated}."},
    "job_done_no_bases": {"ru": "Загружать не из чего: нет включённых баз 1С.",
                          "en": "Nothing to pull from: no 1C base is enabled."},
    "job_done_other": {"ru": "Готово.", "en": "Done."},
    "job_queued": {"ru": "Задание в очереди: начнётся, как только освободится обработчик.",
                   "en": "The job is queued: it starts as soon as a worker is free."},
    "job_running": {"ru": "Выполняется: база {done} из {total}.", "en": "Running: base {done} of {total}."},
    "job_running_start": {"ru": "Выполняется…", "en": "Running…"},
    "job_failed": {"ru": "Не выполнено: {error}", "en": "Failed: {error}"},
    "job_stopped": {"ru": "Задание остановлено, не закончив работу.", "en": "The job was stopped before it ended."},
    "btn_refresh": {"ru": "Обновить", "en": "Refresh"},
    "state_queued": {"ru": "в очереди", "en": "queued"},
    "state_started": {"ru": "выполняется", "en": "running"},
    "state_finished": {"ru": "готово", "en": "done"},
    "state_failed": {"ru": "ошибка", "en": "failed"},
    "state_deferred": {"ru": "ожидает", "en": "waiting"},
    "state_scheduled": {"ru": "запланировано", "en": "scheduled"},
    "state_stopped": {"ru": "остановлено", "en": "stopped"},
    "state_canceled": {"ru": "отменено", "en": "cancelled"},
    # the section nav and the links to the other pages of the settings area
    "nav_title": {"ru": "Разделы", "en": "Sections"},
    "nav_bases": {"ru": "Базы 1С", "en": "1C bases"},
    "nav_legal": {"ru": "Юрлица", "en": "Legal entities"},
    "nav_fields": {"ru": "Поля", "en": "Fields"},
    "nav_stages": {"ru": "Стадии", "en": "Stages"},
    "nav_warehouses": {"ru": "Склады", "en": "Warehouses"},
    "nav_schedules": {"ru": "Расписание", "en": "Schedule"},
    "nav_sync": {"ru": "Запустить сейчас", "en": "Run now"},
    "nav_transfer": {"ru": "Перенос", "en": "Move"},
    "nav_monitoring": {"ru": "Наблюдение", "en": "Monitoring"},
    "monitoring_title": {"ru": "Наблюдение за обменом", "en": "Watching the exchange"},
    "link_journal": {"ru": "Журнал обмена", "en": "Exchange journal"},
    "link_journal_hint": {"ru": "каждый обмен: когда, что, чем закончился",
                          "en": "every exchange: when, what, how it ended"},
    "link_dashboard": {"ru": "Сводка обмена", "en": "Exchange dashboard"},
    "link_dashboard_hint": {"ru": "успешные и неудачные обмены, время передачи, очередь",
                            "en": "successful and failed exchanges, transfer time, backlog"},
    "link_alerts": {"ru": "Оповещения", "en": "Alerts"},
    "link_alerts_hint": {"ru": "кому и как сообщать о сбоях", "en": "whom to tell about failures, and how"},
    "link_catalog": {"ru": "Каталог и остатки из 1С", "en": "Catalog and stock from 1C"},
    "link_catalog_hint": {"ru": "товары, цены и остатки: выбор, предпросмотр, загрузка",
                          "en": "products, prices and stock: choices, preview, load"},
    "link_counterparties": {"ru": "Контрагенты из 1С", "en": "Counterparties from 1C"},
    "link_counterparties_hint": {"ru": "компании и контакты: предпросмотр совпадений и дублей, решения, загрузка",
                                 "en": "companies and contacts: matches and duplicates preview, decisions, load"},
    "field_code": {"ru": "код поля", "en": "field code"},
    # export / import
    "transfer_title": {"ru": "Перенос настроек", "en": "Move the settings"},
    "transfer_hint": {
        "ru": "Выгрузите все настройки в файл JSON и загрузите его на другом портале. Пароли в файл не попадают: "
              "для новых баз их спросят при загрузке.",
        "en": "Export every setting as a JSON file and import it on another portal. Passwords are not exported: "
              "the import asks for those of new bases.",
    },
    "btn_export": {"ru": "Выгрузить в файл", "en": "Export to a file"},
    "btn_import": {"ru": "Загрузить из файла", "en": "Import from a file"},
    "import_preview": {"ru": "Что будет загружено", "en": "What will be imported"},
    "import_password": {"ru": "Пароль новой базы", "en": "Password of the new base"},
    "import_existing": {"ru": "уже подключена, пароль сохранится", "en": "already connected, password kept"},
    "btn_import_apply": {"ru": "Загрузить настройки", "en": "Import the settings"},
    # notices
    "notice_base_saved": {"ru": "База «{name}» сохранена.", "en": "Base “{name}” saved."},
    "notice_base_deleted": {"ru": "База «{name}» удалена.", "en": "Base “{name}” deleted."},
    "notice_settings_saved": {"ru": "Настройки сохранены.", "en": "Settings saved."},
    "notice_fields_created": {"ru": "Создано полей: {count}.", "en": "Fields created: {count}."},
    "notice_legal_field": {"ru": "Поле «Юрлицо продавца» ({field}) выбрано. Проверьте соответствие баз и сохраните.",
                           "en": "The “Seller legal entity” field ({field}) is selected. Check the bases and save."},
    "notice_imported": {"ru": "Настройки загружены, баз в файле: {count}.",
                        "en": "Settings imported, bases in the file: {count}."},
    # errors
    "err_form": {"ru": "Ничего не сохранено: исправьте отмеченные поля.",
                 "en": "Nothing was saved: correct the marked fields."},
    "err_required": {"ru": "Заполните это поле.", "en": "Fill in this field."},
    "err_too_long": {"ru": "Не длиннее {limit} символов.", "en": "At most {limit} characters."},
    "err_bad_url": {
        "ru": "Это не адрес публикации: нужен адрес вида https://сервер/база/ (http или https, без параметров).",
        "en": "This is not a publication address: it should look like https://server/base/ (http or https, "
              "no parameters).",
    },
    "err_host_unknown": {"ru": "Сервер {host} не найден: проверьте имя сервера.",
                         "en": "Server {host} not found: check the server name."},
    "err_host_unreachable": {
        "ru": "Сервер {host} не отвечает на порту {port}: проверьте адрес, что веб-сервер запущен и доступен "
              "из интернета.",
        "en": "Server {host} does not answer on port {port}: check the address and that the web server is "
              "running and reachable from the internet.",
    },
    "err_password_new": {"ru": "Укажите пароль пользователя 1С.", "en": "Enter the 1C user's password."},
    "err_password_host": {
        "ru": "Адрес сервера изменён — введите пароль заново: сохранённый пароль уходит только на тот сервер, "
              "для которого он был сохранён.",
        "en": "The server address changed — enter the password again: a stored password goes only to the server "
              "it was saved for.",
    },
    "err_address_refused": {
        "ru": "Этот адрес приложению недоступен: {why}. Внутренние, служебные и локальные адреса сервера "
              "приложения закрыты; для 1С в закрытой сети администратор сервера разрешает её подсеть "
              "(B24APP_ONEC_ALLOWED_NETWORKS).",
        "en": "The app may not use this address: {why}. Internal, reserved and local addresses of the app's "
              "server are closed; for a 1C base in a closed network the server administrator allows its subnet "
              "(B24APP_ONEC_ALLOWED_NETWORKS).",
    },
    "err_unknown_profile": {"ru": "Неизвестная конфигурация «{profile}».", "en": "Unknown configuration “{profile}”."},
    "err_bad_inn": {"ru": "ИНН с ошибкой: проверьте цифры.", "en": "The INN is wrong: check the digits."},
    "err_field_missing": {"ru": "Поля {field} нет на портале.", "en": "The portal has no field {field}."},
    "err_field_not_list": {"ru": "Поле {field} — не список.", "en": "Field {field} is not a list."},
    "err_value_missing": {"ru": "Этого значения больше нет в поле.", "en": "The field no longer has this value."},
    "err_base_missing": {"ru": "Такой базы нет.", "en": "No such base."},
    "err_org_missing": {"ru": "В этой базе 1С нет организации с ИНН {inn}.",
                        "en": "This 1C base has no organization with INN {inn}."},
    "err_warehouse_missing": {"ru": "В этой базе 1С нет такого склада.", "en": "This 1C base has no such warehouse."},
    "err_stage_missing": {"ru": "Стадии {stage} нет в этой воронке.", "en": "This pipeline has no stage {stage}."},
    "err_minutes": {"ru": "Целое число минут от {low} до {high}.", "en": "Whole minutes from {low} to {high}."},
    "err_stale": {
        "ru": "Настройки только что изменил кто-то другой. Обновите страницу и внесите изменения ещё раз.",
        "en": "Someone else has just changed the settings. Reload the page and make your change again.",
    },
    "err_base_gone": {"ru": "Этой базы уже нет.", "en": "This base no longer exists."},
    "err_delete_confirm": {"ru": "Чтобы удалить базу «{name}», отметьте «да, удалить».",
                           "en": "To delete base “{name}”, tick “yes, delete”."},
    "err_portal": {"ru": "Портал не ответил ({code}); ничего не сохранено. Попробуйте через минуту.",
                   "en": "The portal did not answer ({code}); nothing was saved. Try again in a minute."},
    "err_fields_create": {"ru": "Поля не созданы: {why}", "en": "The fields were not created: {why}"},
    "err_job_unavailable": {"ru": "Задание «{job}» недоступно.", "en": "Job “{job}” is not available."},
    "err_job_unknown": {"ru": "Задание не найдено.", "en": "The job was not found."},
    "err_import": {"ru": "Файл не загружен: {why}", "en": "The file was not imported: {why}"},
    # CommerceML exchange node (issue 16)
    "exchange_title": {"ru": "Обмен с 1С через CommerceML (обмен с сайтом)",
                       "en": "Exchange with 1C over CommerceML (exchange with a website)"},
    "exchange_hint": {
        "ru": "Для базы, которую нельзя опубликовать по OData: 1С сама выгружает каталог и забирает заказы "
              "штатным «Обменом с сайтом». Приложение создаст адрес, имя пользователя и пароль — вставьте их в "
              "настройки узла обмена в 1С: «Адрес сайта», «Пользователь», «Пароль».",
        "en": "For a base that cannot publish OData: 1C itself uploads the catalog and takes the orders with its "
              "built-in “Exchange with a website”. The app makes an address, a user name and a password: paste "
              "them into the 1C exchange node's settings «Адрес сайта», «Пользователь», «Пароль».",
    },
    "exchange_profile": {"ru": "Обмен с сайтом (CommerceML)", "en": "Exchange with a website (CommerceML)"},
    "exchange_url": {"ru": "Адрес сайта", "en": "Site address"},
    "exchange_login": {"ru": "Пользователь", "en": "User"},
    "exchange_password": {"ru": "Пароль", "en": "Password"},
    "exchange_shown_once": {
        "ru": "Пароль показан один раз: скопируйте его в 1С сейчас. Потерянный пароль можно только заменить новым.",
        "en": "The password is shown once: copy it into 1C now. A lost password can only be replaced by a new one.",
    },
    "exchange_created": {"ru": "Узел обмена «{name}» создан.", "en": "Exchange node “{name}” created."},
    "exchange_regenerated": {
        "ru": "Для «{name}» созданы новые имя пользователя и пароль; прежние больше не действуют.",
        "en": "A new user name and password were made for “{name}”; the old ones no longer work.",
    },
    "exchange_add": {"ru": "Добавить узел обмена", "en": "Add an exchange node"},
    "btn_add_exchange": {"ru": "Создать узел обмена", "en": "Create the exchange node"},
    "btn_regenerate": {"ru": "Новый пароль", "en": "New password"},
    "err_name_taken": {"ru": "База с таким названием уже есть.", "en": "A base with this name already exists."},
}


def job_sentence(job: dict, lang: str) -> str:
    """What a "sync now" job (`JobProgress.to_json()`) has done or is doing, as one sentence in `lang`."""
    state, result = job.get("state"), job.get("result") or {}
    if state == "finished":
        if job.get("name") == "check_bases":
            return st("job_result_checked", lang, checked=result.get("checked", 0), ok=result.get("ok", 0))
        stream = result.get("stream") or job.get("name")
        if "bases" in result and not result["bases"]:
            return st("job_done_no_bases", lang)
        if stream in ("payments", "shipments", "debt"):
            return st(f"job_done_{stream}", lang, bases=result.get("bases", 0), updated=result.get("updated", 0))
        return st("job_done_other", lang)
    if state == "failed":
        return st("job_failed", lang, error=job.get("error") or st("state_failed", lang))
    if state in ("stopped", "canceled"):
        return st("job_stopped", lang)
    if state == "started":
        if job.get("total"):
            return st("job_running", lang, done=job.get("done", 0), total=job["total"])
        return st("job_running_start", lang)
    return st("job_queued", lang)


def st(key: str, lang: str, **params) -> str:
    """The text `key` in `lang` (English when there is no such translation), with `{named}` params filled."""
    return text_from(TEXTS, key, lang, **params)
