"""Texts of the counterparties page («Контрагенты из 1С»), its CSV and XLSX, Russian first, English for every other
interface language; and the few words built from values (INN / KPP as an accountant writes them, counts, the
outcome of a load).

Pages reach them as `pt(key, lang, **params)` (a template global the counterparties blueprint registers).
"""

from __future__ import annotations

from b24app.core.formatting import NARROW_NBSP
from b24app.web.i18n import text_from

TEXTS: dict[str, dict[str, str]] = {
    "title": {"ru": "Контрагенты из 1С", "en": "Counterparties from 1C"},
    "intro": {
        "ru": "Контрагенты 1С становятся компаниями и контактами CRM. Перед первой загрузкой посмотрите "
              "предпросмотр: что свяжется с уже заведёнными карточками, что будет создано, где нужны ваши решения "
              "и какие дубли есть в 1С и в CRM. Ничего не записывается, пока вы не нажмёте «Загрузить».",
        "en": "1C's counterparties become CRM companies and contacts. Before the first load, look at the preview: "
              "what will be linked to cards already in the CRM, what will be created, where your decision is "
              "needed, and which duplicates 1C and the CRM hold. Nothing is written until you press “Load”.",
    },
    "btn_back": {"ru": "← К настройкам", "en": "← Back to settings"},
    "no_bases": {"ru": "Нет включённых баз 1С, которые приложение читает через OData. Добавьте базу в настройках.",
                 "en": "No enabled 1C base the app reads over OData. Add a base in the settings."},
    "state_on": {"ru": "Контрагенты этой базы загружены и обновляются по расписанию",
                 "en": "This base's counterparties are loaded and kept in step on a schedule"},
    "state_off": {"ru": "Контрагенты этой базы ещё не загружались", "en": "This base's counterparties are not "
                                                                          "loaded yet"},
    "err_base": {"ru": "Нет такой включённой базы 1С.", "en": "No such enabled 1C base."},
    "err_job": {"ru": "Задание не найдено или уже удалено.", "en": "The job was not found or has been removed."},
    "err_decision": {"ru": "Решение не распознано.", "en": "Decision not recognised."},
    "err_stale": {
        "ru": "Настройки изменил кто-то другой, пока страница была открыта. Обновите страницу и повторите.",
        "en": "Someone else changed the settings while this page was open. Reload the page and try again.",
    },
    "err_settings": {"ru": "Настройки не распознаны: {what}.", "en": "Settings not recognised: {what}."},
    "err_no_preview": {"ru": "Сначала выполните предпросмотр этой базы.", "en": "Run this base's preview first."},
    # preview
    "preview_title": {"ru": "Предпросмотр первой загрузки", "en": "Preview of the first load"},
    "btn_preview": {"ru": "Выполнить предпросмотр", "en": "Run the preview"},
    "preview_none": {"ru": "Предпросмотра ещё не было.", "en": "No preview yet."},
    "preview_read": {
        "ru": "Прочитано контрагентов 1С: {onec} (помечены на удаление и не загружаются: {marked}); в CRM "
              "компаний: {companies}, контактов: {contacts}.",
        "en": "1C counterparties read: {onec} (marked for deletion, never loaded: {marked}); CRM companies: "
              "{companies}, contacts: {contacts}.",
    },
    "btn_csv": {"ru": "Скачать CSV", "en": "Download CSV"},
    "btn_xlsx": {"ru": "Скачать XLSX", "en": "Download XLSX"},
    "col_what": {"ru": "Что", "en": "What"},
    "col_count": {"ru": "Сколько", "en": "How many"},
    "col_onec": {"ru": "1С", "en": "1C"},
    "col_crm": {"ru": "CRM", "en": "CRM"},
    "col_decision": {"ru": "Решение", "en": "Decision"},
    "col_name": {"ru": "Наименование", "en": "Name"},
    "col_inn_kpp": {"ru": "ИНН / КПП", "en": "INN / KPP"},
    "col_phones": {"ru": "Телефоны, e-mail", "en": "Phones, e-mails"},
    "col_card": {"ru": "Карточка CRM", "en": "CRM card"},
    "col_side": {"ru": "Где", "en": "Where"},
    "col_score": {"ru": "Сходство", "en": "Similarity"},
    "col_outcome": {"ru": "Что будет", "en": "What happens"},
    "col_key": {"ru": "Ключ 1С", "en": "1C key"},
    # the lists, in the order the page, the CSV and the XLSX show them
    "list_by_origin": {"ru": "Уже связаны с карточками CRM", "en": "Already linked to CRM cards"},
    "list_by_inn_kpp": {"ru": "Совпали по ИНН и КПП", "en": "Matched by INN and KPP"},
    "list_other_kpp": {"ru": "ИНН совпал, КПП другой — филиал или головная?",
                       "en": "Same INN, another KPP: a branch or the head office?"},
    "list_by_inn": {"ru": "Совпали по ИНН (предприниматели)", "en": "Matched by INN (sole proprietors)"},
    "list_by_contact": {"ru": "Совпали по телефону или e-mail (физлица)",
                        "en": "Matched by phone or e-mail (individuals)"},
    "list_by_name": {"ru": "Похожие названия — подтвердите по одному", "en": "Similar names: confirm one by one"},
    "list_to_create": {"ru": "Будут созданы", "en": "To be created"},
    "list_onec_duplicates": {"ru": "Дубли в 1С", "en": "Duplicates in 1C"},
    "list_crm_duplicates": {"ru": "Дубли в CRM", "en": "Duplicates in the CRM"},
    "list_invalid_inn": {"ru": "Неверные ИНН — не используются для сопоставления",
                         "en": "Invalid INNs: not used for matching"},
    "sheet_counts": {"ru": "Итоги", "en": "Counts"},
    "sheet_by_origin": {"ru": "Уже связаны", "en": "Already linked"},
    "sheet_by_inn_kpp": {"ru": "ИНН и КПП", "en": "INN and KPP"},
    "sheet_other_kpp": {"ru": "Другой КПП", "en": "Another KPP"},
    "sheet_by_inn": {"ru": "ИНН (ИП)", "en": "INN (proprietors)"},
    "sheet_by_contact": {"ru": "Телефон, e-mail", "en": "Phone, e-mail"},
    "sheet_by_name": {"ru": "Похожие названия", "en": "Similar names"},
    "sheet_to_create": {"ru": "Будут созданы", "en": "To be created"},
    "sheet_onec_duplicates": {"ru": "Дубли в 1С", "en": "1C duplicates"},
    "sheet_crm_duplicates": {"ru": "Дубли в CRM", "en": "CRM duplicates"},
    "sheet_invalid_inn": {"ru": "Неверные ИНН", "en": "Invalid INNs"},
    "count_will_link": {"ru": "будет связано с карточками CRM", "en": "to be linked to CRM cards"},
    "count_will_create": {"ru": "будет создано карточек", "en": "cards to be created"},
    "count_will_join": {"ru": "войдут в карточку своего дубля из 1С", "en": "to join the card of their 1C duplicate"},
    "count_to_decide": {"ru": "ждут вашего решения", "en": "waiting for your decision"},
    "count_will_skip": {"ru": "пропускаются по вашему решению", "en": "left out by your decision"},
    "list_more": {"ru": "Показаны первые {shown} из {count}; все — в CSV и XLSX.",
                  "en": "The first {shown} of {count} are shown; all are in the CSV and the XLSX."},
    "list_more_cut": {"ru": "Показаны первые {shown} из {count}; в CSV и XLSX — первые {listed}.",
                      "en": "The first {shown} of {count} are shown; the CSV and the XLSX hold the first {listed}."},
    "list_empty": {"ru": "нет", "en": "none"},
    "by_inn": {"ru": "по ИНН/КПП", "en": "by INN/KPP"},
    "by_comm": {"ru": "по телефону или e-mail", "en": "by phone or e-mail"},
    "by_comm+inn": {"ru": "по ИНН/КПП, телефону или e-mail", "en": "by INN/KPP, phone or e-mail"},
    "side_1c": {"ru": "1С", "en": "1C"},
    "side_crm": {"ru": "CRM", "en": "CRM"},
    "entity_company": {"ru": "Компания", "en": "Company"},
    "entity_contact": {"ru": "Контакт", "en": "Contact"},
    "no_inn": {"ru": "без ИНН", "en": "no INN"},
    # decisions
    "btn_same": {"ru": "Это одна компания", "en": "The same company"},
    "btn_different": {"ru": "Разные", "en": "Different"},
    "btn_branch": {"ru": "Филиал — отдельная карточка", "en": "A branch: its own card"},
    "btn_same_company": {"ru": "Та же компания", "en": "The same company"},
    "btn_skip": {"ru": "Не загружать", "en": "Leave out"},
    "btn_undo": {"ru": "Отменить решение", "en": "Undo the decision"},
    "outcome_link": {"ru": "связать с {card}", "en": "link to {card}"},
    "outcome_create": {"ru": "создать новую карточку", "en": "create a new card"},
    "outcome_join": {"ru": "одна карточка с дублем «{name}»", "en": "one card with its duplicate “{name}”"},
    "outcome_skip": {"ru": "не загружать", "en": "leave out"},
    "outcome_decide": {"ru": "нужно ваше решение", "en": "needs your decision"},
    "decided": {"ru": "решено", "en": "decided"},
    "decision_saved": {"ru": "Решение сохранено.", "en": "Decision saved."},
    "decision_undone": {"ru": "Решение отменено.", "en": "Decision undone."},
    # settings
    "settings_title": {"ru": "Как загружать", "en": "How to load"},
    "individuals_as": {"ru": "Физлица из 1С (без компании) становятся", "en": "1C individuals (no company) become"},
    "as_contact": {"ru": "контактами", "en": "contacts"},
    "as_company": {"ru": "компаниями", "en": "companies"},
    "crm_to_onec": {"ru": "Изменения компаний и реквизитов в CRM передавать в 1С",
                    "en": "Send changes of CRM companies and requisites to 1C"},
    "winners_title": {"ru": "Чьё значение главнее при расхождении", "en": "Whose value wins when they differ"},
    "winner_1c": {"ru": "1С", "en": "1C"},
    "winner_crm": {"ru": "CRM", "en": "CRM"},
    "field_name": {"ru": "Краткое наименование", "en": "Short name"},
    "field_full_name": {"ru": "Полное наименование", "en": "Legal name"},
    "field_inn": {"ru": "ИНН", "en": "INN"},
    "field_kpp": {"ru": "КПП", "en": "KPP"},
    "field_ogrn": {"ru": "ОГРН", "en": "OGRN"},
    "field_addresses": {"ru": "Адреса", "en": "Addresses"},
    "field_bank_accounts": {"ru": "Банковские реквизиты", "en": "Bank details"},
    "field_phones": {"ru": "Телефоны", "en": "Phones"},
    "field_emails": {"ru": "E-mail", "en": "E-mails"},
    "default_mark": {"ru": "по умолчанию", "en": "default"},
    "btn_save": {"ru": "Сохранить", "en": "Save"},
    "saved": {"ru": "Настройки контрагентов сохранены.", "en": "Counterparty settings saved."},
    "err_bind": {
        "ru": "Настройки сохранены, но портал не принял подписку на изменения компаний и реквизитов: изменения из "
              "CRM не попадут в 1С. Повторите сохранение позже или переустановите приложение.",
        "en": "Settings saved, but the portal refused the subscription to company and requisite changes: CRM changes "
              "will not reach 1C. Save again later or reinstall the app.",
    },
    # load
    "load_title": {"ru": "Загрузка", "en": "Load"},
    "btn_load": {"ru": "Загрузить", "en": "Load"},
    "load_hint": {
        "ru": "сохраняет ваши решения, включает обмен контрагентами этой базы и запускает первую загрузку",
        "en": "saves your decisions, turns this base's counterparty exchange on and starts the first load",
    },
    "load_undecided": {
        "ru": "Без решения осталось пар: {count}. При загрузке они будут пропущены; решите их позже и загрузите "
              "снова.",
        "en": "Pairs left without a decision: {count}. The load leaves them out; decide them later and load "
              "again.",
    },
    "load_started": {"ru": "Загрузка запущена.", "en": "The load has started."},
    "job_queued": {"ru": "в очереди", "en": "queued"},
    "job_started": {"ru": "выполняется", "en": "running"},
    "job_finished": {"ru": "готово", "en": "done"},
    "job_failed": {"ru": "ошибка", "en": "failed"},
    "job_progress": {"ru": "{done} из {total}", "en": "{done} of {total}"},
    "job_failed_sentence": {"ru": "Не удалось: {error}", "en": "Failed: {error}"},
    "outcome_sentence": {
        "ru": "Загрузка завершена: связано с карточками CRM — {linked}, создано — {created}, обновлено — "
              "{updated}, контактных лиц — {persons}, пропущено — {skipped}.",
        "en": "The load is done: linked to CRM cards: {linked}, created: {created}, updated: {updated}, contact "
              "persons: {persons}, left out: {skipped}.",
    },
    "outcome_failed_items": {"ru": " Не записано: {failed} (подробности — в журнале обмена).",
                             "en": " Not written: {failed} (details in the exchange journal)."},
    "refused_body": {
        "ru": "Загрузку контрагентов может настраивать только администратор портала. Откройте страницу из "
              "настроек приложения в Битрикс24.",
        "en": "Only a portal administrator can set up the counterparty load. Open this page from the app's "
              "settings in Bitrix24.",
    },
    # CSV / XLSX
    "csv_counts": {"ru": "Итоги", "en": "Counts"},
    "csv_base": {"ru": "База 1С", "en": "1C base"},
}

# The counts in the order the page, the CSV and the XLSX list them: (key of the preview's counts, text key).
PREVIEW_COUNTS = (
    ("will_link", "count_will_link"), ("will_create", "count_will_create"), ("will_join", "count_will_join"),
    ("to_decide", "count_to_decide"),
    ("will_skip", "count_will_skip"), ("by_origin", "list_by_origin"), ("by_inn_kpp", "list_by_inn_kpp"),
    ("other_kpp", "list_other_kpp"), ("by_inn", "list_by_inn"), ("by_contact", "list_by_contact"),
    ("by_name", "list_by_name"), ("to_create", "list_to_create"), ("onec_duplicates", "list_onec_duplicates"),
    ("crm_duplicates", "list_crm_duplicates"), ("invalid_inn", "list_invalid_inn"),
)


def pt(key: str, lang: str, **params: object) -> str:
    """The text `key` in `lang` (English when there is no such translation), with `{named}` params filled."""
    return text_from(TEXTS, key, lang, **params)


def count_text(value: int | None, lang: str) -> str:
    """A count as people read it: 12 345 (narrow no-break space) or 12,345."""
    if value is None:
        return "—"
    grouped = f"{int(value):,}"
    return grouped.replace(",", NARROW_NBSP) if lang == "ru" else grouped


def inn_kpp_text(inn: str, kpp: str, lang: str) -> str:
    """INN and KPP as an accountant writes them on a document: "7707083893 / 773601001", digits never grouped,
    the INN alone for a sole proprietor or a person; "без ИНН" when there is none."""
    inn, kpp = (inn or "").strip(), (kpp or "").strip()
    if not inn:
        return pt("no_inn", lang)
    return f"{inn} / {kpp}" if kpp else inn


def card_text(key: str, lang: str) -> str:
    """"Компания № 12" ("Company #12" in English) for the crm key "company:12"."""
    entity, _, crm_id = key.partition(":")
    if entity not in ("company", "contact"):
        return key
    return f"{pt(f'entity_{entity}', lang)} {'№ ' if lang == 'ru' else '#'}{crm_id}"


def outcome_sentence(result: dict, lang: str) -> str:
    """What a finished load did (jobs/counterparties.load's figures), as one sentence; a figure it does not
    report reads as 0."""
    figures = {k: count_text(int(result.get(k) or 0), lang)
               for k in ("linked", "created", "updated", "persons", "skipped")}
    text = pt("outcome_sentence", lang, **figures)
    failed = int(result.get("refused") or 0)
    if failed:
        text += pt("outcome_failed_items", lang, failed=count_text(failed, lang))
    return text
