"""Objects of 1C:Бухгалтерия предприятия 3.0 (БП 3.0) that the sandbox publishes.

Names follow real БП 3.0 answers in ../shared/samples/odata/ (garikgsi/LaravelAPI: `Catalog_Номенклатура`
with `Артикул`, `ЕдиницаИзмерения_Key`, `ВидНоменклатуры_Key`, `Услуга`, `ВидСтавкиНДС`;
`Catalog_ДоговорыКонтрагентов` with `Owner_Key`, `Организация_Key`, `ВидДоговора`, `ВалютаВзаиморасчетов_Key`;
`Document_РеализацияТоваровУслуг` with `ВидОперации`, `ДоговорКонтрагента_Key`, `ВалютаДокумента_Key`,
`СуммаВключаетНДС`, `СчетНаОплатуПокупателю_Key` and `Товары` rows with `СтавкаНДС`/`СуммаНДС`) and public code
for `Document_ПоступлениеНаРасчетныйСчет`, `Document_СчетНаОплатуПокупателю`,
`Catalog_КлассификаторЕдиницИзмерения`, `Catalog_ТипыЦенНоменклатуры`, and the extension of a БП base in repo
riazmey/bp_tdfood (commit 5d565d42, `src/<Kind>/<Name>/<Name>.mdo`: adopted objects and attributes). БП 3.0 has
no settlements or stock accumulation register: both are kept on accounts (62.01, 41.01) of the accounting
register `AccountingRegister_Хозрасчетный` (Хозрасчетный.mdo there: chart of accounts Хозрасчетный, with
correspondence; dimensions Организация (balanced), Валюта, Подразделение; resources Сумма (balanced),
ВалютнаяСумма, Количество), with subconto kinds from `ChartOfCharacteristicTypes_ВидыСубконтоХозрасчетные`.
Which dimensions/resources are unbalanced (published per side, `ВалютаDr_Key`, `КоличествоDr`) follows a
real БП 3.0 `$metadata` of `AccountingRegister_Хозрасчетный_RecordType` found in public code.
"""

from __future__ import annotations

from b24sandbox.onec.schema import Configuration, ObjectDef, composite, date, enum, flag, num, ref, s

_CHART = "ChartOfAccounts_Хозрасчетный"
_SUBCONTO_KINDS = "ChartOfCharacteristicTypes_ВидыСубконтоХозрасчетные"

_ORG = "Catalog_Организации"
_CURRENCY = "Catalog_Валюты"
_COUNTERPARTY = "Catalog_Контрагенты"
_CONTRACT = "Catalog_ДоговорыКонтрагентов"
_UNIT = "Catalog_КлассификаторЕдиницИзмерения"
_PRODUCT = "Catalog_Номенклатура"
_PRICE_TYPE = "Catalog_ТипыЦенНоменклатуры"
_WAREHOUSE = "Catalog_Склады"
_BANK_ACCOUNT = "Catalog_БанковскиеСчета"
_INVOICE = "Document_СчетНаОплатуПокупателю"

_GOODS_ROWS = [
    ref("Номенклатура", _PRODUCT),
    ref("ЕдиницаИзмерения", _UNIT),
    num("Количество"),
    num("Цена"),
    num("Сумма"),
    enum("СтавкаНДС", "СтавкиНДС"),
    num("СуммаНДС"),
]

_PAYMENT_ROWS = [
    ref("ДоговорКонтрагента", _CONTRACT),
    ref("СчетНаОплату", _INVOICE),
    num("СуммаПлатежа"),
    num("СуммаВзаиморасчетов"),
]

_OBJECTS = [
    ObjectDef(_ORG, [s("НаименованиеПолное"), s("ИНН", 12), s("КПП", 9), s("Префикс", 2)]),
    ObjectDef(_CURRENCY, [s("НаименованиеПолное")], code_length=3, description_length=10),
    ObjectDef(
        _COUNTERPARTY,
        [
            s("НаименованиеПолное"),
            s("ИНН", 12),
            s("КПП", 9),
            enum("ЮридическоеФизическоеЛицо", "ЮридическоеФизическоеЛицо"),
            s("КодПоОКПО", 10),
            ref("ГоловнойКонтрагент", _COUNTERPARTY),
            ref("ОсновнойДоговорКонтрагента", _CONTRACT),
            flag("ОбособленноеПодразделение"),
            s("Комментарий"),
        ],
        tables={"КонтактнаяИнформация": [
            enum("Тип", "ТипыКонтактнойИнформации"), s("Представление"), s("АдресЭП"), s("НомерТелефона"),
        ]},
        hierarchical=True,
    ),
    ObjectDef(
        "Catalog_КонтактныеЛица",
        [s("Фамилия"), s("Имя"), s("Отчество"), s("Должность"), composite("ОбъектВладелец")],
    ),
    ObjectDef(
        _CONTRACT,
        [
            ref("Организация", _ORG),
            enum("ВидДоговора", "ВидыДоговоровКонтрагентов"),
            ref("ВалютаВзаиморасчетов", _CURRENCY),
            s("Номер"),
            date("Дата"),
            s("Комментарий"),
        ],
        owner=_COUNTERPARTY,
        hierarchical=True,
    ),
    ObjectDef(
        _UNIT,
        [s("НаименованиеПолное"), s("МеждународноеСокращение", 3)],
        code_length=3,
        description_length=25,
    ),
    ObjectDef("Catalog_ВидыНоменклатуры", [flag("Услуга")]),
    ObjectDef(
        _PRODUCT,
        [
            s("Артикул", 25),
            ref("ВидНоменклатуры", "Catalog_ВидыНоменклатуры"),
            ref("ЕдиницаИзмерения", _UNIT),
            s("НаименованиеПолное"),
            s("Комментарий"),
            flag("Услуга"),
            enum("ВидСтавкиНДС", "ВидыСтавокНДС"),
        ],
        hierarchical=True,
        code_length=11,
    ),
    ObjectDef(_PRICE_TYPE, [ref("ВалютаЦены", _CURRENCY), flag("ЦенаВключаетНДС")]),
    ObjectDef(_WAREHOUSE, [enum("ТипСклада", "ТипыСкладов")], hierarchical=True),
    ObjectDef(
        _BANK_ACCOUNT,
        [composite("Owner"), s("НомерСчета", 20), ref("ВалютаДенежныхСредств", _CURRENCY)],
    ),
    ObjectDef(
        "InformationRegister_ЦеныНоменклатуры",
        dimensions=[ref("ТипЦен", _PRICE_TYPE), ref("Номенклатура", _PRODUCT)],
        resources=[num("Цена"), ref("Валюта", _CURRENCY)],
    ),
    ObjectDef(
        _SUBCONTO_KINDS,
        [s("ТипЗначения")],
        code_length=9,
        description_length=100,
    ),
    ObjectDef(
        # Standard attributes of a chart of accounts (Order, Type, OffBalance) and its ExtDimensionTypes
        # tabular section with ExtDimensionType_Key / TurnoversOnly (17.4.4: prefix ChartOfAccounts).
        _CHART,
        [s("Order"), enum("Type"), flag("OffBalance"), s("НаименованиеПолное"), flag("Количественный")],
        tables={"ExtDimensionTypes": [ref("ExtDimensionType", _SUBCONTO_KINDS), flag("TurnoversOnly")]},
        hierarchical=True,
        code_length=8,
        description_length=120,
    ),
    ObjectDef(
        "AccountingRegister_Хозрасчетный",
        dimensions=[
            ref("Организация", _ORG),
            ref("Валюта", _CURRENCY),
            ref("Подразделение", "Catalog_ПодразделенияОрганизаций"),
        ],
        resources=[num("Сумма"), num("ВалютнаяСумма"), num("Количество")],
        attrs=[s("Содержание")],
        chart=_CHART,
        unbalanced=("Валюта", "Подразделение", "ВалютнаяСумма", "Количество"),
    ),
    ObjectDef(
        _INVOICE,
        [
            ref("Организация", _ORG),
            ref("Контрагент", _COUNTERPARTY),
            ref("ДоговорКонтрагента", _CONTRACT),
            ref("ВалютаДокумента", _CURRENCY),
            num("СуммаДокумента"),
            flag("СуммаВключаетНДС"),
            ref("СчетОрганизации", _BANK_ACCOUNT),
            ref("Склад", _WAREHOUSE),
            s("Комментарий"),
        ],
        tables={"Товары": _GOODS_ROWS, "Услуги": [s("Содержание"), *_GOODS_ROWS]},
    ),
    ObjectDef(
        "Document_РеализацияТоваровУслуг",
        [
            enum("ВидОперации", "ВидыОперацийРеализацияТоваров"),
            ref("Организация", _ORG),
            ref("Склад", _WAREHOUSE),
            ref("Контрагент", _COUNTERPARTY),
            ref("ДоговорКонтрагента", _CONTRACT),
            ref("ВалютаДокумента", _CURRENCY),
            flag("СуммаВключаетНДС"),
            ref("СчетНаОплатуПокупателю", _INVOICE),
            num("СуммаДокумента"),
            s("Комментарий"),
        ],
        tables={"Товары": _GOODS_ROWS, "Услуги": [s("Содержание"), *_GOODS_ROWS]},
    ),
    ObjectDef(
        "Document_ПоступлениеНаРасчетныйСчет",
        [
            enum("ВидОперации", "ВидыОперацийПоступлениеДенежныхСредств"),
            ref("Организация", _ORG),
            ref("СчетОрганизации", _BANK_ACCOUNT),
            ref("Контрагент", _COUNTERPARTY),
            ref("ДоговорКонтрагента", _CONTRACT),
            ref("ВалютаДокумента", _CURRENCY),
            num("СуммаДокумента"),
            s("НазначениеПлатежа"),
            s("НомерВходящегоДокумента"),
            date("ДатаВходящегоДокумента"),
            s("Комментарий"),
        ],
        tables={"РасшифровкаПлатежа": _PAYMENT_ROWS},
    ),
    ObjectDef(
        "Document_ПриходныйКассовыйОрдер",
        [
            enum("ВидОперации", "ВидыОперацийПКО"),
            ref("Организация", _ORG),
            # composite in БП (Контрагенты / ФизическиеЛица / …): profile bp30.toml, cash_receipt
            composite("Контрагент"),
            ref("ДоговорКонтрагента", _CONTRACT),
            ref("ВалютаДокумента", _CURRENCY),
            num("СуммаДокумента"),
            s("ПринятоОт"),
            s("Основание"),
            s("Комментарий"),
        ],
        tables={"РасшифровкаПлатежа": _PAYMENT_ROWS},
    ),
    ObjectDef(
        "Document_СчетФактураВыданный",
        [
            enum("ВидСчетаФактуры", "ВидСчетаФактурыВыставленного"),
            ref("Организация", _ORG),
            ref("Контрагент", _COUNTERPARTY),
            ref("ДоговорКонтрагента", _CONTRACT),
            composite("ДокументОснование"),
            ref("ВалютаДокумента", _CURRENCY),
            # adopted attributes Сумма / СуммаНДС in riazmey/bp_tdfood СчетФактураВыданный.mdo
            num("Сумма"),
            num("СуммаНДС"),
        ],
        tables={"ДокументыОснования": [composite("ДокументОснование")]},
    ),
]

BP30 = Configuration("bp30", "1С:Бухгалтерия предприятия, редакция 3.0", {o.set_name: o for o in _OBJECTS})
