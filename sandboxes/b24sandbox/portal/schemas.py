"""Field sets of the CRM entities the sandbox serves, as ``crm.<entity>.fields`` reports them.

Field names and types from api-reference/crm/deals/crm-deal-get.md (deal), crm/companies/crm-company-get.md,
crm/contacts/crm-contact-get.md and crm/requisites/universal/crm-requisite-add.md.
"""

from __future__ import annotations

from b24sandbox.portal.entities import FieldSpec


def _spec(name: str, kind: str, title: str, **flags: bool) -> FieldSpec:
    return FieldSpec(name=name, type=kind, title=title, **flags)


def deal_fields() -> dict[str, FieldSpec]:
    specs = [
        _spec("ID", "integer", "ID", read_only=True),
        _spec("TITLE", "string", "Название"),
        _spec("TYPE_ID", "crm_status", "Тип"),
        _spec("CATEGORY_ID", "crm_category", "Воронка"),
        _spec("STAGE_ID", "crm_status", "Стадия сделки"),
        _spec("STAGE_SEMANTIC_ID", "string", "Группа стадии", read_only=True),
        _spec("IS_NEW", "char", "Новая сделка", read_only=True),
        _spec("PROBABILITY", "integer", "Вероятность"),
        _spec("CURRENCY_ID", "crm_currency", "Валюта"),
        _spec("OPPORTUNITY", "double", "Сумма"),
        _spec("IS_MANUAL_OPPORTUNITY", "char", "Ручной режим суммы"),
        _spec("TAX_VALUE", "double", "Ставка налога"),
        _spec("COMPANY_ID", "crm_company", "Компания"),
        _spec("CONTACT_ID", "crm_contact", "Контакт"),
        _spec("BEGINDATE", "date", "Дата начала"),
        _spec("CLOSEDATE", "date", "Дата завершения"),
        _spec("OPENED", "char", "Доступна для всех"),
        _spec("CLOSED", "char", "Закрыта"),
        _spec("COMMENTS", "string", "Комментарий"),
        _spec("ASSIGNED_BY_ID", "user", "Ответственный"),
        _spec("CREATED_BY_ID", "user", "Кем создана", read_only=True),
        _spec("MODIFY_BY_ID", "user", "Кем изменена", read_only=True),
        _spec("DATE_CREATE", "datetime", "Дата создания", read_only=True),
        _spec("DATE_MODIFY", "datetime", "Дата изменения", read_only=True),
        _spec("SOURCE_ID", "crm_status", "Источник"),
        _spec("ORIGINATOR_ID", "string", "Внешний источник"),
        _spec("ORIGIN_ID", "string", "Идентификатор во внешнем источнике"),
    ]
    return {s.name: s for s in specs}


def _multifields() -> list[FieldSpec]:
    return [
        _spec("PHONE", "crm_multifield", "Телефон", multiple=True, in_star=False),
        _spec("EMAIL", "crm_multifield", "E-mail", multiple=True, in_star=False),
    ]


def company_fields() -> dict[str, FieldSpec]:
    specs = [
        _spec("ID", "integer", "ID", read_only=True),
        _spec("TITLE", "string", "Название компании", required=True),
        _spec("COMPANY_TYPE", "crm_status", "Тип компании"),
        _spec("INDUSTRY", "crm_status", "Сфера деятельности"),
        _spec("REVENUE", "double", "Годовой оборот"),
        _spec("CURRENCY_ID", "crm_currency", "Валюта"),
        _spec("COMMENTS", "string", "Комментарий"),
        _spec("OPENED", "char", "Доступна для всех"),
        _spec("ASSIGNED_BY_ID", "user", "Ответственный"),
        _spec("CREATED_BY_ID", "user", "Кем создана", read_only=True),
        _spec("MODIFY_BY_ID", "user", "Кем изменена", read_only=True),
        _spec("DATE_CREATE", "datetime", "Дата создания", read_only=True),
        _spec("DATE_MODIFY", "datetime", "Дата изменения", read_only=True),
        _spec("ORIGINATOR_ID", "string", "Внешний источник"),
        _spec("ORIGIN_ID", "string", "Идентификатор во внешнем источнике"),
        *_multifields(),
    ]
    return {s.name: s for s in specs}


def contact_fields() -> dict[str, FieldSpec]:
    specs = [
        _spec("ID", "integer", "ID", read_only=True),
        _spec("NAME", "string", "Имя"),
        _spec("SECOND_NAME", "string", "Отчество"),
        _spec("LAST_NAME", "string", "Фамилия"),
        _spec("POST", "string", "Должность"),
        _spec("COMPANY_ID", "crm_company", "Компания"),
        _spec("TYPE_ID", "crm_status", "Тип контакта"),
        _spec("COMMENTS", "string", "Комментарий"),
        _spec("OPENED", "char", "Доступен для всех"),
        _spec("ASSIGNED_BY_ID", "user", "Ответственный"),
        _spec("CREATED_BY_ID", "user", "Кем создан", read_only=True),
        _spec("MODIFY_BY_ID", "user", "Кем изменен", read_only=True),
        _spec("DATE_CREATE", "datetime", "Дата создания", read_only=True),
        _spec("DATE_MODIFY", "datetime", "Дата изменения", read_only=True),
        _spec("ORIGINATOR_ID", "string", "Внешний источник"),
        _spec("ORIGIN_ID", "string", "Идентификатор во внешнем источнике"),
        *_multifields(),
    ]
    return {s.name: s for s in specs}


def requisite_fields() -> dict[str, FieldSpec]:
    specs = [
        _spec("ID", "integer", "ID", read_only=True),
        _spec("ENTITY_TYPE_ID", "integer", "Тип родительской сущности", required=True),
        _spec("ENTITY_ID", "integer", "Идентификатор родительской сущности", required=True),
        _spec("PRESET_ID", "integer", "Шаблон реквизитов", required=True),
        _spec("NAME", "string", "Название", required=True),
        _spec("CODE", "string", "Символьный код"),
        _spec("XML_ID", "string", "Внешний ключ"),
        _spec("ACTIVE", "char", "Активность"),
        _spec("SORT", "integer", "Сортировка"),
        _spec("DATE_CREATE", "datetime", "Дата создания", read_only=True),
        _spec("DATE_MODIFY", "datetime", "Дата изменения", read_only=True),
        _spec("CREATED_BY_ID", "user", "Кем создан", read_only=True),
        _spec("MODIFY_BY_ID", "user", "Кем изменен", read_only=True),
        _spec("RQ_COMPANY_NAME", "string", "Сокращенное наименование организации"),
        _spec("RQ_COMPANY_FULL_NAME", "string", "Полное наименование организации"),
        _spec("RQ_INN", "string", "ИНН"),
        _spec("RQ_KPP", "string", "КПП"),
        _spec("RQ_OGRN", "string", "ОГРН"),
        _spec("RQ_OKPO", "string", "ОКПО"),
        _spec("RQ_DIRECTOR", "string", "Генеральный директор"),
    ]
    return {s.name: s for s in specs}
