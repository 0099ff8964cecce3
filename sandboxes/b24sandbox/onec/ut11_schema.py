"""Objects of 1C:Управление торговлей 11.5 (УТ 11) that the sandbox publishes.

Transcribed from the configuration dump of УТ 11.5.18.41 in repo andrewnomoore/ut_11_5_should_work (EDT
format, commit 635e9a42, `src/<Kind>/<Name>/<Name>.mdo`): attribute names, which attributes are references
and which are composite (several types, or a defined type of several types → `X` + `X_Type`). In 11.5 the
settlements register `AccumulationRegister_РасчетыСКлиентами` is keyed by `АналитикаУчетаПоПартнерам`,
`ОбъектРасчетов` (→ `Catalog_ОбъектыРасчетов`, whose `Объект` is the order) and `Валюта`, and payment rows
(`РасшифровкаПлатежа`) point at what they pay through `ОбъектРасчетов`; the 11.4 attribute `Заказ` is gone.
Only the attributes the sandbox fills (and the app reads) are listed; a real base publishes many more.
"""

from __future__ import annotations

from b24sandbox.onec.schema import (
    Configuration,
    ObjectDef,
    composite,
    date,
    enum,
    flag,
    i64,
    num,
    ref,
    s,
)

_ORG = "Catalog_Организации"
_CURRENCY = "Catalog_Валюты"
_PARTNER = "Catalog_Партнеры"
_COUNTERPARTY = "Catalog_Контрагенты"
_UNIT = "Catalog_УпаковкиЕдиницыИзмерения"
_PRODUCT = "Catalog_Номенклатура"
_PRICE_TYPE = "Catalog_ВидыЦен"
_WAREHOUSE = "Catalog_Склады"
_VAT_RATE = "Catalog_СтавкиНДС"

_CONTACT_INFO = [
    enum("Тип", "ТипыКонтактнойИнформации"), s("Вид"), s("Представление"), s("АдресЭП"), s("НомерТелефона"),
]

_SETTLEMENT_OBJECT = "Catalog_ОбъектыРасчетов"
_AGREEMENT = "Catalog_СоглашенияСКлиентами"
_CONTRACT = "Catalog_ДоговорыКонтрагентов"
_CHARACTERISTIC = "Catalog_ХарактеристикиНоменклатуры"

# ПоступлениеБезналичныхДенежныхСредств.mdo / ПриходныйКассовыйОрдер.mdo, tabularSections РасшифровкаПлатежа.
_PAYMENT_ROWS = [
    ref("Партнер", _PARTNER),
    composite("ОснованиеПлатежа"),
    num("Сумма"),
    num("СуммаВзаиморасчетов"),
    ref("ОбъектРасчетов", _SETTLEMENT_OBJECT),
]

# Header attributes both receipts share (the two .mdo files above); Договор is composite there
# (ДоговорыМеждуОрганизациями / ДоговорыКонтрагентов).
_PAYMENT_HEADER = [
    ref("Контрагент", _COUNTERPARTY),
    ref("Партнер", _PARTNER),
    composite("Договор"),
    ref("Валюта", _CURRENCY),
    num("СуммаДокумента"),
    enum("ХозяйственнаяОперация", "ХозяйственныеОперации"),
]

_OBJECTS = [
    ObjectDef(_ORG, [s("НаименованиеПолное"), s("ИНН", 12), s("КПП", 9), s("Префикс", 2)]),
    ObjectDef(_CURRENCY, [s("НаименованиеПолное")], code_length=3, description_length=10),
    ObjectDef(
        _PARTNER,
        [
            s("НаименованиеПолное"), flag("Клиент"), flag("Поставщик"), enum("ЮрФизЛицо", "КомпанияЧастноеЛицо"),
            s("Комментарий"),
        ],
        hierarchical=True,
        code_length=11,
    ),
    ObjectDef(
        _COUNTERPARTY,
        [
            s("НаименованиеПолное"),
            s("ИНН", 12),
            s("КПП", 9),
            enum("ЮрФизЛицо", "ЮрФизЛицо"),
            ref("Партнер", _PARTNER),
            s("КодПоОКПО", 10),
            ref("ГоловнойКонтрагент", _COUNTERPARTY),
            flag("ОбособленноеПодразделение"),
            s("Комментарий"),
        ],
        tables={"КонтактнаяИнформация": _CONTACT_INFO},
        code_length=11,
    ),
    ObjectDef(
        "Catalog_КонтактныеЛицаПартнеров",
        [s("Фамилия"), s("Имя"), s("Отчество"), s("ДолжностьПоВизитке"), s("Комментарий")],
        tables={"КонтактнаяИнформация": _CONTACT_INFO},
        owner=_PARTNER,
    ),
    ObjectDef(
        "Catalog_КлючиАналитикиУчетаПоПартнерам",
        # Контрагент and Договор are composite (Организации / Контрагенты, ДоговорыМеждуОрганизациями /
        # ДоговорыКонтрагентов) in КлючиАналитикиУчетаПоПартнерам.mdo.
        [ref("Партнер", _PARTNER), ref("Организация", _ORG), composite("Контрагент"), composite("Договор")],
        description_length=150,
    ),
    ObjectDef(
        _SETTLEMENT_OBJECT,
        # ОбъектыРасчетов.mdo: Объект is the defined type ОбъектРасчетов (the order or another document).
        [
            composite("Объект"),
            enum("ТипРасчетов", "ТипыРасчетовСПартнерами"),
            s("Номер"),
            date("Дата"),
            num("Сумма"),
            ref("Валюта", _CURRENCY),
            ref("Партнер", _PARTNER),
            ref("Организация", _ORG),
            composite("Контрагент"),
            composite("Договор"),
            s("Комментарий"),
        ],
        description_length=150,
    ),
    ObjectDef(
        _UNIT,
        [
            s("НаименованиеПолное"),
            s("МеждународноеСокращение", 3),
            enum("ТипУпаковки", "ТипыУпаковокНоменклатуры"),
            num("Числитель"),
            num("Знаменатель"),
        ],
        code_length=4,
        description_length=25,
    ),
    ObjectDef("Catalog_ВидыНоменклатуры", [enum("ТипНоменклатуры", "ТипыНоменклатуры")]),
    ObjectDef(_VAT_RATE, [num("Ставка"), flag("БезНДС"), enum("ПеречислениеСтавкиНДС", "СтавкиНДС")]),
    ObjectDef(
        _PRODUCT,
        [
            s("НаименованиеПолное"),
            s("Артикул", 25),
            ref("ЕдиницаИзмерения", _UNIT),
            ref("ВидНоменклатуры", "Catalog_ВидыНоменклатуры"),
            enum("ТипНоменклатуры", "ТипыНоменклатуры"),
            ref("СтавкаНДС", _VAT_RATE),
            s("Описание"),
        ],
        hierarchical=True,
        code_length=11,
    ),
    ObjectDef(
        _PRICE_TYPE,
        [ref("ВалютаЦены", _CURRENCY), flag("ЦенаВключаетНДС"), flag("ИспользоватьПриПродаже"), s("Идентификатор")],
    ),
    ObjectDef(_WAREHOUSE, [enum("ТипСклада", "ТипыСкладов")], hierarchical=True),
    ObjectDef("Catalog_Кассы", [ref("ВалютаДенежныхСредств", _CURRENCY)], owner=_ORG),
    ObjectDef(
        "Catalog_БанковскиеСчетаОрганизаций",
        [s("НомерСчета", 20), ref("ВалютаДенежныхСредств", _CURRENCY)],
        owner=_ORG,
    ),
    ObjectDef(
        "InformationRegister_ЦеныНоменклатуры",
        dimensions=[ref("Номенклатура", _PRODUCT), ref("Характеристика", _CHARACTERISTIC), ref("ВидЦены", _PRICE_TYPE)],
        resources=[num("Цена"), ref("Упаковка", _UNIT), ref("Валюта", _CURRENCY)],
    ),
    ObjectDef(
        "AccumulationRegister_ТоварыНаСкладах",
        dimensions=[
            ref("Номенклатура", _PRODUCT),
            ref("Характеристика", _CHARACTERISTIC),
            ref("Назначение", "Catalog_Назначения"),
            ref("Склад", _WAREHOUSE),
            ref("Помещение", "Catalog_СкладскиеПомещения"),
            ref("Серия", "Catalog_СерииНоменклатуры"),
        ],
        resources=[num("ВНаличии"), num("КОтгрузке")],
    ),
    ObjectDef(
        "AccumulationRegister_РасчетыСКлиентами",
        dimensions=[
            ref("АналитикаУчетаПоПартнерам", "Catalog_КлючиАналитикиУчетаПоПартнерам"),
            ref("ОбъектРасчетов", _SETTLEMENT_OBJECT),
            ref("Валюта", _CURRENCY),
        ],
        resources=[num("Сумма"), num("КОплате"), num("Оплачивается"), num("КОтгрузке"), num("Отгружается")],
    ),
    ObjectDef(
        "Document_ЗаказКлиента",
        [
            ref("Организация", _ORG),
            ref("Партнер", _PARTNER),
            ref("Контрагент", _COUNTERPARTY),
            ref("Соглашение", _AGREEMENT),
            ref("Договор", _CONTRACT),
            ref("Валюта", _CURRENCY),
            num("СуммаДокумента"),
            ref("Склад", _WAREHOUSE),
            flag("ЦенаВключаетНДС"),
            enum("Статус", "СтатусыЗаказовКлиентов"),
            enum("ХозяйственнаяОперация", "ХозяйственныеОперации"),
            date("ДатаОтгрузки"),
            s("НомерПоДаннымКлиента"),
            date("ДатаПоДаннымКлиента"),
            s("Комментарий"),
        ],
        tables={
            "Товары": [
                ref("Номенклатура", _PRODUCT),
                ref("Упаковка", _UNIT),
                num("КоличествоУпаковок"),
                num("Количество"),
                ref("ВидЦены", _PRICE_TYPE),
                num("Цена"),
                num("Сумма"),
                ref("СтавкаНДС", _VAT_RATE),
                num("СуммаНДС"),
                num("СуммаСНДС"),
                i64("КодСтроки"),
                flag("Отменено"),
                ref("Склад", _WAREHOUSE),
            ]
        },
    ),
    ObjectDef(
        "Document_СчетНаОплатуКлиенту",
        [
            ref("Организация", _ORG),
            ref("Партнер", _PARTNER),
            ref("Контрагент", _COUNTERPARTY),
            ref("Валюта", _CURRENCY),
            num("СуммаДокумента"),
            composite("ДокументОснование"),
            flag("Аннулирован"),
            ref("БанковскийСчет", "Catalog_БанковскиеСчетаОрганизаций"),
            s("Комментарий"),
        ],
        tables={"ЭтапыГрафикаОплаты": [date("ДатаПлатежа"), num("ПроцентПлатежа"), num("СуммаПлатежа")]},
    ),
    ObjectDef(
        "Document_РеализацияТоваровУслуг",
        [
            ref("Организация", _ORG),
            ref("Партнер", _PARTNER),
            ref("Контрагент", _COUNTERPARTY),
            ref("Склад", _WAREHOUSE),
            ref("Валюта", _CURRENCY),
            num("СуммаДокумента"),
            composite("ЗаказКлиента"),
            ref("Соглашение", _AGREEMENT),
            ref("Договор", _CONTRACT),
            flag("ЦенаВключаетНДС"),
            enum("ХозяйственнаяОперация", "ХозяйственныеОперации"),
            enum("Статус", "СтатусыРеализацийТоваровУслуг"),
            s("Комментарий"),
        ],
        tables={
            "Товары": [
                ref("Номенклатура", _PRODUCT),
                ref("Упаковка", _UNIT),
                num("КоличествоУпаковок"),
                num("Количество"),
                num("Цена"),
                num("Сумма"),
                ref("СтавкаНДС", _VAT_RATE),
                num("СуммаНДС"),
                num("СуммаСНДС"),
                ref("Склад", _WAREHOUSE),
                composite("ЗаказКлиента"),
            ]
        },
    ),
    ObjectDef(
        "Document_ПоступлениеБезналичныхДенежныхСредств",
        [
            ref("Организация", _ORG),
            ref("БанковскийСчет", "Catalog_БанковскиеСчетаОрганизаций"),
            *_PAYMENT_HEADER,
            s("НазначениеПлатежа"),
            s("НомерВходящегоДокумента"),
            date("ДатаВходящегоДокумента"),
            flag("ПроведеноБанком"),
            date("ДатаПроведенияБанком"),
            s("Комментарий"),
        ],
        tables={"РасшифровкаПлатежа": _PAYMENT_ROWS},
    ),
    ObjectDef(
        "Document_ПриходныйКассовыйОрдер",
        [
            ref("Организация", _ORG),
            ref("Касса", "Catalog_Кассы"),
            *_PAYMENT_HEADER,
            s("ПринятоОт"),
            s("Основание"),
            s("Комментарий"),
        ],
        tables={"РасшифровкаПлатежа": _PAYMENT_ROWS},
    ),
    ObjectDef(
        "Document_АктВыполненныхРабот",
        [
            ref("Организация", _ORG),
            ref("Партнер", _PARTNER),
            ref("Контрагент", _COUNTERPARTY),
            ref("Соглашение", _AGREEMENT),
            ref("Договор", _CONTRACT),
            ref("Валюта", _CURRENCY),
            num("СуммаДокумента"),
            composite("ЗаказКлиента"),
            flag("ЦенаВключаетНДС"),
            s("Комментарий"),
        ],
        tables={
            "Услуги": [
                ref("Номенклатура", _PRODUCT),
                s("Содержание"),
                num("Количество"),
                num("Цена"),
                num("Сумма"),
                ref("СтавкаНДС", _VAT_RATE),
                num("СуммаНДС"),
                num("СуммаСНДС"),
                composite("ЗаказКлиента"),
                ref("ОбъектРасчетов", _SETTLEMENT_OBJECT),
            ]
        },
    ),
    ObjectDef(
        "Document_СчетФактураВыданный",
        # СчетФактураВыданный.mdo: no СуммаДокумента; Контрагент (Организации / Контрагенты), Договор and
        # ДокументОснование (defined type ОснованиеСчетФактураВыданный) are composite.
        [
            ref("Организация", _ORG),
            composite("Контрагент"),
            ref("Партнер", _PARTNER),
            composite("Договор"),
            composite("ДокументОснование"),
            ref("Валюта", _CURRENCY),
            date("ДатаВыставления"),
            s("ИННКонтрагента", 12),
            s("КППКонтрагента", 9),
            flag("Исправление"),
            s("Комментарий"),
        ],
    ),
]

UT11 = Configuration("ut11", "1С:Управление торговлей, редакция 11", {o.set_name: o for o in _OBJECTS})
