"""Field sets of the CRM entities the sandbox serves, as ``crm.<entity>.fields`` reports them.

Field names and types from api-reference/crm/deals/crm-deal-get.md (deal), crm/companies/crm-company-get.md,
crm/contacts/crm-contact-get.md, crm/requisites/universal/crm-requisite-fields.md and the requisites' presets,
bank details and addresses (crm/requisites/presets/, bank-detail/, addresses/ *-fields.md).
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
        # crm-company-add.md / crm-contact-add.md, "Fields for connections with external data sources".
        _spec("ORIGIN_VERSION", "string", "Версия во внешнем источнике"),
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
        # crm-company-add.md / crm-contact-add.md, "Fields for connections with external data sources".
        _spec("ORIGIN_VERSION", "string", "Версия во внешнем источнике"),
        *_multifields(),
    ]
    return {s.name: s for s in specs}


def requisite_fields() -> dict[str, FieldSpec]:
    """crm.requisite.fields: the answer shown in api-reference/crm/requisites/universal/crm-requisite-fields.md
    (types, required, read-only flags), titles as a Russian portal names them."""
    specs = [
        _spec("ID", "integer", "ID", read_only=True),
        _spec("ENTITY_TYPE_ID", "integer", "Тип родительской сущности", required=True, immutable=True),
        _spec("ENTITY_ID", "integer", "Идентификатор родительской сущности", required=True, immutable=True),
        _spec("PRESET_ID", "integer", "Шаблон реквизитов", required=True, immutable=True),
        _spec("DATE_CREATE", "datetime", "Дата создания", read_only=True),
        _spec("DATE_MODIFY", "datetime", "Дата изменения", read_only=True),
        _spec("CREATED_BY_ID", "user", "Кем создан", read_only=True),
        _spec("MODIFY_BY_ID", "user", "Кем изменен", read_only=True),
        _spec("NAME", "string", "Название"),
        _spec("CODE", "string", "Символьный код"),
        _spec("XML_ID", "string", "Внешний ключ"),
        _spec("ORIGINATOR_ID", "string", "Внешний источник"),
        _spec("ACTIVE", "char", "Активность"),
        _spec("ADDRESS_ONLY", "char", "Только адрес"),
        _spec("SORT", "integer", "Сортировка"),
        *(_spec(name, kind, title) for name, kind, title in _REQUISITE_RQ_FIELDS),
    ]
    return {s.name: s for s in specs}


# The RQ_* fields of crm-requisite-fields.md in its order; every one is a string but RQ_IDENT_TYPE (crm_status) and
# RQ_VAT_PAYER (char).
_REQUISITE_RQ_FIELDS = (
    ("RQ_NAME", "string", "Ф.И.О."),
    ("RQ_FIRST_NAME", "string", "Имя"),
    ("RQ_LAST_NAME", "string", "Фамилия"),
    ("RQ_SECOND_NAME", "string", "Отчество"),
    ("RQ_COMPANY_ID", "string", "Идентификатор компании"),
    ("RQ_COMPANY_NAME", "string", "Сокращенное наименование организации"),
    ("RQ_COMPANY_FULL_NAME", "string", "Полное наименование организации"),
    ("RQ_COMPANY_REG_DATE", "string", "Дата государственной регистрации"),
    ("RQ_DIRECTOR", "string", "Генеральный директор"),
    ("RQ_ACCOUNTANT", "string", "Главный бухгалтер"),
    ("RQ_CEO_NAME", "string", "Ф.И.О. руководителя"),
    ("RQ_CEO_WORK_POS", "string", "Должность руководителя"),
    ("RQ_CONTACT", "string", "Контактное лицо"),
    ("RQ_EMAIL", "string", "E-mail"),
    ("RQ_PHONE", "string", "Телефон"),
    ("RQ_FAX", "string", "Факс"),
    ("RQ_IDENT_TYPE", "crm_status", "Вид идентификации"),
    ("RQ_IDENT_DOC", "string", "Вид документа"),
    ("RQ_IDENT_DOC_SER", "string", "Серия"),
    ("RQ_IDENT_DOC_NUM", "string", "Номер"),
    ("RQ_IDENT_DOC_PERS_NUM", "string", "Личный номер"),
    ("RQ_IDENT_DOC_DATE", "string", "Дата выдачи"),
    ("RQ_IDENT_DOC_ISSUED_BY", "string", "Кем выдан"),
    ("RQ_IDENT_DOC_DEP_CODE", "string", "Код подразделения"),
    ("RQ_INN", "string", "ИНН"),
    ("RQ_KPP", "string", "КПП"),
    ("RQ_USRLE", "string", "ЕГРЮЛ"),
    ("RQ_IFNS", "string", "ИФНС"),
    ("RQ_OGRN", "string", "ОГРН"),
    ("RQ_OGRNIP", "string", "ОГРНИП"),
    ("RQ_OKPO", "string", "ОКПО"),
    ("RQ_OKTMO", "string", "ОКТМО"),
    ("RQ_OKVED", "string", "ОКВЭД"),
    ("RQ_EDRPOU", "string", "ЕДРПОУ"),
    ("RQ_DRFO", "string", "ДРФО"),
    ("RQ_KBE", "string", "КБЕ"),
    ("RQ_IIN", "string", "ИИН"),
    ("RQ_BIN", "string", "БИН"),
    ("RQ_ST_CERT_SER", "string", "Серия свидетельства о государственной регистрации"),
    ("RQ_ST_CERT_NUM", "string", "Номер свидетельства о государственной регистрации"),
    ("RQ_ST_CERT_DATE", "string", "Дата свидетельства о государственной регистрации"),
    ("RQ_VAT_PAYER", "char", "Плательщик НДС"),
    ("RQ_VAT_ID", "string", "VAT ID"),
    ("RQ_VAT_CERT_SER", "string", "Серия свидетельства плательщика НДС"),
    ("RQ_VAT_CERT_NUM", "string", "Номер свидетельства плательщика НДС"),
    ("RQ_VAT_CERT_DATE", "string", "Дата свидетельства плательщика НДС"),
    ("RQ_RESIDENCE_COUNTRY", "string", "Страна резидентства"),
    ("RQ_BASE_DOC", "string", "Основание действия"),
    ("RQ_REGON", "string", "REGON"),
    ("RQ_KRS", "string", "KRS"),
    ("RQ_PESEL", "string", "PESEL"),
    ("RQ_LEGAL_FORM", "string", "Организационно-правовая форма"),
    ("RQ_SIRET", "string", "SIRET"),
    ("RQ_SIREN", "string", "SIREN"),
    ("RQ_CAPITAL", "string", "Уставный капитал"),
    ("RQ_RCS", "string", "RCS"),
    ("RQ_CNPJ", "string", "CNPJ"),
    ("RQ_STATE_REG", "string", "State registration"),
    ("RQ_MNPL_REG", "string", "Municipal registration"),
    ("RQ_CPF", "string", "CPF"),
)


def preset_fields() -> dict[str, FieldSpec]:
    """crm.requisite.preset.fields (api-reference/crm/requisites/presets/crm-requisite-preset-fields.md)."""
    specs = [
        _spec("ID", "integer", "ID", read_only=True),
        _spec("ENTITY_TYPE_ID", "integer", "Тип объекта", required=True, immutable=True),
        _spec("COUNTRY_ID", "integer", "Страна", required=True, immutable=True),
        _spec("NAME", "string", "Название", required=True),
        _spec("DATE_CREATE", "datetime", "Дата создания", read_only=True),
        _spec("DATE_MODIFY", "datetime", "Дата изменения", read_only=True),
        _spec("CREATED_BY_ID", "user", "Кем создан", read_only=True),
        _spec("MODIFY_BY_ID", "user", "Кем изменен", read_only=True),
        _spec("ACTIVE", "char", "Активен"),
        _spec("SORT", "integer", "Сортировка"),
        _spec("XML_ID", "string", "Внешний код"),
    ]
    return {s.name: s for s in specs}


def bank_detail_fields() -> dict[str, FieldSpec]:
    """crm.requisite.bankdetail.fields (api-reference/crm/requisites/bank-detail/crm-requisite-bank-detail-fields.md):
    only ENTITY_ID (the requisite) is required; crm-requisite-bank-detail-add.md also marks NAME required."""
    specs = [
        _spec("ID", "integer", "ID", read_only=True),
        _spec("ENTITY_ID", "integer", "Идентификатор реквизита", required=True, immutable=True),
        _spec("COUNTRY_ID", "integer", "Страна"),
        _spec("DATE_CREATE", "datetime", "Дата создания", read_only=True),
        _spec("DATE_MODIFY", "datetime", "Дата изменения", read_only=True),
        _spec("CREATED_BY_ID", "user", "Кем создан", read_only=True),
        _spec("MODIFY_BY_ID", "user", "Кем изменен", read_only=True),
        _spec("NAME", "string", "Название"),
        _spec("CODE", "string", "Символьный код"),
        _spec("XML_ID", "string", "Внешний ключ"),
        _spec("ACTIVE", "char", "Активность"),
        _spec("SORT", "integer", "Сортировка"),
        _spec("RQ_BANK_NAME", "string", "Наименование банка"),
        _spec("RQ_BANK_ADDR", "string", "Адрес банка"),
        _spec("RQ_BANK_CODE", "string", "Код банка"),
        _spec("RQ_AGENCY_NAME", "string", "Агентство"),
        _spec("RQ_BANK_ROUTE_NUM", "string", "Routing number"),
        _spec("RQ_BIK", "string", "БИК"),
        _spec("RQ_MFO", "string", "МФО"),
        _spec("RQ_ACC_NAME", "string", "Владелец счета"),
        _spec("RQ_ACC_NUM", "string", "Расчетный счет"),
        _spec("RQ_ACC_TYPE", "string", "Тип счета"),
        _spec("RQ_IIK", "string", "ИИК"),
        _spec("RQ_ACC_CURRENCY", "string", "Валюта счета"),
        _spec("RQ_COR_ACC_NUM", "string", "Кор. счет"),
        _spec("RQ_IBAN", "string", "IBAN"),
        _spec("RQ_SWIFT", "string", "SWIFT"),
        _spec("RQ_BIC", "string", "BIC"),
        _spec("RQ_CODEB", "string", "Code banque"),
        _spec("RQ_CODEG", "string", "Code guichet"),
        _spec("RQ_RIB", "string", "Clé RIB"),
        _spec("COMMENTS", "string", "Комментарий"),
        _spec("ORIGINATOR_ID", "string", "Внешний источник"),
    ]
    return {s.name: s for s in specs}


def address_fields() -> dict[str, FieldSpec]:
    """crm.address.fields (api-reference/crm/requisites/addresses/crm-address-fields.md): an address has no ID of its
    own; TYPE_ID + ENTITY_TYPE_ID + ENTITY_ID name it, ANCHOR_* (the requisite's owner) are set by the portal."""
    specs = [
        _spec("TYPE_ID", "integer", "Тип адреса", required=True, immutable=True),
        _spec("ENTITY_TYPE_ID", "integer", "Тип родительской сущности", required=True, immutable=True),
        _spec("ENTITY_ID", "integer", "Идентификатор родительской сущности", required=True, immutable=True),
        _spec("ADDRESS_1", "string", "Улица, дом, корпус, строение"),
        _spec("ADDRESS_2", "string", "Квартира / офис"),
        _spec("CITY", "string", "Город"),
        _spec("POSTAL_CODE", "string", "Почтовый индекс"),
        _spec("REGION", "string", "Район"),
        _spec("PROVINCE", "string", "Область"),
        _spec("COUNTRY", "string", "Страна"),
        _spec("COUNTRY_CODE", "string", "Код страны"),
        _spec("LOC_ADDR_ID", "integer", "Идентификатор адреса местоположения"),
        _spec("ANCHOR_TYPE_ID", "integer", "Тип основной родительской сущности", read_only=True),
        _spec("ANCHOR_ID", "integer", "ID основной родительской сущности", read_only=True),
    ]
    return {s.name: s for s in specs}
