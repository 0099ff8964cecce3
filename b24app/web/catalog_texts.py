"""Texts of the catalog page («Каталог и остатки из 1С»), Russian first, English for every other interface
language, and the few words built from numbers (counts with grouped thousands, the outcome of a load).

Pages reach them as `ct(key, lang, **params)` (a template global the catalog blueprint registers).
"""

from __future__ import annotations

from b24app.core.formatting import NARROW_NBSP
from b24app.web.i18n import text_from

TEXTS: dict[str, dict[str, str]] = {
    "title": {"ru": "Каталог и остатки из 1С", "en": "Catalog and stock from 1C"},
    "intro": {
        "ru": "Товары, цены и остатки 1С загружаются в каталог товаров Битрикс24 по расписанию. Перед первой "
              "загрузкой посмотрите предпросмотр: что будет создано, что связано с уже заведёнными товарами и "
              "какие артикулы повторяются. Время московское.",
        "en": "1C's products, prices and stock are loaded into the Bitrix24 product catalog on a schedule. Before "
              "the first load, look at the preview: what will be created, what will be linked to products already "
              "in the portal, and which articles repeat. Times are Moscow time.",
    },
    "btn_back": {"ru": "← К настройкам", "en": "← Back to settings"},
    "btn_journal": {"ru": "Журнал обмена", "en": "Exchange journal"},
    "no_bases": {"ru": "Нет включённых баз 1С. Добавьте базу в настройках приложения.",
                 "en": "No enabled 1C base. Add a base in the app's settings."},
    # state
    "state_title": {"ru": "Состояние", "en": "State"},
    "load_on": {"ru": "Загрузка каталога включена", "en": "The catalog load is on"},
    "load_off": {"ru": "Загрузка каталога выключена", "en": "The catalog load is off"},
    "every": {"ru": "раз в {minutes} мин", "en": "every {minutes} min"},
    "last_run": {"ru": "Последняя загрузка", "en": "Last load"},
    "never_run": {"ru": "ещё не было", "en": "none yet"},
    "run_ok": {"ru": "успешно", "en": "ok"},
    "run_error": {"ru": "с ошибкой", "en": "with an error"},
    "run_other": {"ru": "{status}", "en": "{status}"},
    "run_items": {"ru": "записей: {items}", "en": "items written: {items}"},
    "linked": {"ru": "Связано с 1С", "en": "Linked to 1C"},
    "linked_counts": {
        "ru": "товаров: {products}, вариантов: {offers}, разделов: {sections}, складов: {stores}, типов цен: {types}",
        "en": "products: {products}, variations: {offers}, sections: {sections}, stores: {stores}, "
              "price types: {types}",
    },
    "inventory": {"ru": "Складской учёт портала", "en": "The portal's inventory management"},
    "inventory_on": {"ru": "включён", "en": "on"},
    "inventory_off": {"ru": "выключен", "en": "off"},
    "inventory_unknown": {"ru": "не удалось узнать у портала", "en": "the portal could not be asked"},
    "inventory_on_means": {
        "ru": "Остатки меняются только проведёнными складскими документами: загрузка создаёт и проводит приходы и "
              "списания на разницу с 1С по каждому складу.",
        "en": "Stock moves only by conducted store documents: the load creates and conducts receipts and "
              "write-offs for the difference with 1C, per warehouse.",
    },
    "inventory_off_means": {
        "ru": "Количество товара — сумма остатков по выбранным складам 1С; по отдельным складам портал остатки "
              "не хранит.",
        "en": "A product's quantity is the sum over the chosen 1C warehouses; the portal keeps no per-store "
              "figures.",
    },
    # choices
    "choices_title": {"ru": "Что загружать", "en": "What to load"},
    "price_types": {"ru": "Типы цен", "en": "Price types"},
    "base_price": {"ru": "Базовая цена портала", "en": "The portal's base price"},
    "base_price_default": {"ru": "по умолчанию (первый загружаемый тип)", "en": "default (the first type loaded)"},
    "warehouses": {"ru": "Склады", "en": "Warehouses"},
    "none_means_all": {"ru": "ничего не отмечено — загружаются все", "en": "none ticked: all are loaded"},
    "not_in_1c": {"ru": "нет в 1С", "en": "not in 1C"},
    "deleted_in_1c": {"ru": "помечен на удаление в 1С", "en": "marked for deletion in 1C"},
    "onec_unreadable": {
        "ru": "База 1С сейчас не отвечает ({error}); сохранённый выбор остаётся как есть.",
        "en": "The 1C base does not answer now ({error}); the saved choice stays as it is.",
    },
    "saved_keys": {"ru": "Сохранено: {count}", "en": "Saved: {count}"},
    "interval": {"ru": "Загружать изменения каждые, минут", "en": "Load changes every, minutes"},
    "btn_save": {"ru": "Сохранить", "en": "Save"},
    "saved": {"ru": "Настройки каталога сохранены.", "en": "Catalog settings saved."},
    "err_minutes": {"ru": "Интервал — целое число минут от {low} до {high}.",
                    "en": "The interval is a whole number of minutes from {low} to {high}."},
    "err_choice": {"ru": "Выбор не распознан: {value}.", "en": "Choice not recognised: {value}."},
    "err_stale": {
        "ru": "Настройки изменил кто-то другой, пока страница была открыта. Обновите страницу и повторите.",
        "en": "Someone else changed the settings while this page was open. Reload the page and try again.",
    },
    "err_job": {"ru": "Задание не найдено или уже удалено.", "en": "The job was not found or has been removed."},
    "err_base": {"ru": "Нет такой включённой базы 1С.", "en": "No such enabled 1C base."},
    # preview
    "preview_title": {"ru": "Предпросмотр первой загрузки", "en": "Preview of the first load"},
    "btn_preview": {"ru": "Предпросмотр первой загрузки", "en": "Preview the first load"},
    "btn_csv": {"ru": "Скачать CSV", "en": "Download CSV"},
    "preview_none": {"ru": "Предпросмотра ещё не было.", "en": "No preview yet."},
    "preview_stale": {
        "ru": "Этот предпросмотр сделан до последней загрузки и показывает прежнее положение; запустите его снова, "
              "чтобы увидеть текущее.",
        "en": "This preview was made before the last load and shows how things were then; run it again to see "
              "them as they are now.",
    },
    "col_what": {"ru": "Что", "en": "What"},
    "col_count": {"ru": "Сколько", "en": "How many"},
    "row_groups": {"ru": "Группы 1С → разделы каталога", "en": "1C groups → catalog sections"},
    "row_items": {"ru": "Товары 1С (без помеченных на удаление)", "en": "1C items (not marked for deletion)"},
    "row_to_create": {"ru": "будет создано товаров", "en": "products to create"},
    "row_by_xml_id": {"ru": "связано с товарами портала по XML_ID", "en": "taken over by XML_ID"},
    "row_by_article": {"ru": "связано с товарами портала по артикулу", "en": "taken over by article"},
    "row_linked": {"ru": "уже связано прошлой загрузкой", "en": "already linked by an earlier load"},
    "row_marked": {"ru": "Помечены на удаление в 1С — не создаются", "en": "Marked for deletion in 1C: never created"},
    "row_services": {"ru": "Услуги", "en": "Services"},
    "row_variants": {"ru": "Характеристики → варианты товаров", "en": "Characteristics → product variations"},
    "row_portal_products": {"ru": "Товаров в каталоге портала сейчас", "en": "Products in the portal's catalog now"},
    "row_units": {"ru": "Единицы измерения (коды ОКЕИ)", "en": "Units of measure (ОКЕИ codes)"},
    "row_price_types": {"ru": "Типы цен", "en": "Price types"},
    "row_warehouses": {"ru": "Склады → склады портала", "en": "Warehouses → portal stores"},
    "unit_exists": {"ru": "есть", "en": "exists"},
    "unit_new": {"ru": "будет создана", "en": "to be created"},
    "units_summary": {"ru": "есть в портале: {exists}, будет создано: {new}",
                      "en": "in the portal: {exists}, to be created: {new}"},
    "chosen_summary": {"ru": "загружается {chosen} из {all}", "en": "{chosen} of {all} loaded"},
    "base_mark": {"ru": "базовая", "en": "base"},
    "duplicates_title": {"ru": "Повторяющиеся артикулы", "en": "Repeated articles"},
    "duplicates_none": {"ru": "Повторяющихся артикулов нет.", "en": "No repeated articles."},
    "duplicates_intro": {
        "ru": "Товары с этими артикулами не связываются автоматически: разберитесь с ними до загрузки, иначе "
              "в портале появятся новые товары рядом с заведёнными. Всего: {count}.",
        "en": "Products with these articles are not linked automatically: sort them out before the load, or new "
              "products will appear next to the existing ones. In all: {count}.",
    },
    "duplicates_more": {"ru": "Показаны первые {shown} из {count}; все — в CSV.",
                        "en": "The first {shown} of {count} are shown; all are in the CSV."},
    "col_article": {"ru": "Артикул", "en": "Article"},
    "col_onec": {"ru": "Номенклатура 1С", "en": "1C items"},
    "col_portal": {"ru": "Товары портала", "en": "Portal products"},
    # load
    "load_title": {"ru": "Загрузка", "en": "Load"},
    "btn_load": {"ru": "Загрузить каталог", "en": "Load the catalog"},
    "btn_disable": {"ru": "Выключить загрузку", "en": "Turn the load off"},
    "load_hint": {"ru": "включает загрузку по расписанию и запускает её сейчас",
                  "en": "turns the scheduled load on and runs it now"},
    "disabled_notice": {"ru": "Загрузка каталога выключена.", "en": "The catalog load is turned off."},
    "job_queued": {"ru": "в очереди", "en": "queued"},
    "job_started": {"ru": "выполняется", "en": "running"},
    "job_finished": {"ru": "готово", "en": "done"},
    "job_failed": {"ru": "ошибка", "en": "failed"},
    "job_progress": {"ru": "{done} из {total}", "en": "{done} of {total}"},
    "job_failed_sentence": {"ru": "Не удалось: {error}", "en": "Failed: {error}"},
    "outcome": {
        "ru": "Создано товаров: {created}, обновлено: {updated}, снято с продажи: {deactivated}, "
              "цен записано: {prices}, остатков: {stock}",
        "en": "Products created: {created}, updated: {updated}, taken off sale: {deactivated}, "
              "prices written: {prices}, stock figures: {stock}",
    },
    "outcome_sections": {"ru": "разделов: {sections}", "en": "sections: {sections}"},
    "outcome_refused": {"ru": "Портал отказал в записи: {refused} (подробности — в журнале обмена)",
                        "en": "The portal refused writes: {refused} (details in the exchange journal)"},
    "outcome_off": {"ru": "Загрузка каталога выключена — ничего не загружено.",
                    "en": "The catalog load is off: nothing was loaded."},
    "refused_body": {
        "ru": "Настройки каталога может менять только администратор портала. Откройте страницу из настроек "
              "приложения в Битрикс24.",
        "en": "Only a portal administrator can change the catalog settings. Open this page from the app's "
              "settings in Bitrix24.",
    },
    # CSV
    "csv_section": {"ru": "Раздел", "en": "Section"},
    "csv_counts": {"ru": "Количество", "en": "Counts"},
    "csv_duplicates": {"ru": "Повторяющиеся артикулы", "en": "Repeated articles"},
    "csv_units": {"ru": "Единицы измерения", "en": "Units of measure"},
    "csv_price_types": {"ru": "Типы цен", "en": "Price types"},
    "csv_warehouses": {"ru": "Склады", "en": "Warehouses"},
    "csv_yes": {"ru": "да", "en": "yes"},
    "csv_no": {"ru": "нет", "en": "no"},
}

# The preview's counts in the order the page and the CSV list them: (key of CatalogPreview.to_json(), text key).
PREVIEW_COUNTS = (("groups", "row_groups"), ("items", "row_items"), ("to_create", "row_to_create"),
                  ("by_xml_id", "row_by_xml_id"), ("by_article", "row_by_article"), ("linked", "row_linked"),
                  ("marked", "row_marked"), ("services", "row_services"), ("variants", "row_variants"),
                  ("portal_products", "row_portal_products"))


def ct(key: str, lang: str, **params: object) -> str:
    """The text `key` in `lang` (English when there is no such translation), with `{named}` params filled."""
    return text_from(TEXTS, key, lang, **params)


def count_text(value: int | None, lang: str) -> str:
    """A count as people read it: 12 345 (narrow no-break space, as the money on every page) or 12,345."""
    if value is None:
        return "—"
    grouped = f"{int(value):,}"
    return grouped.replace(",", NARROW_NBSP) if lang == "ru" else grouped


def outcome_sentence(result: dict, lang: str) -> str:
    """What a finished "catalog" job did (jobs/catalog.catalog_portal's figures), as one sentence."""
    if result.get("enabled") is False:
        return ct("outcome_off", lang)
    n = {k: count_text(int(result.get(k) or 0), lang)
         for k in ("created", "updated", "deactivated", "prices", "stock", "sections", "refused")}
    text = ct("outcome", lang, **n)
    if int(result.get("sections") or 0):
        text += ", " + ct("outcome_sections", lang, sections=n["sections"])
    if int(result.get("refused") or 0):
        text += ". " + ct("outcome_refused", lang, refused=n["refused"])
    return text
