"""Posting and unposting documents: the register movements each document makes.

The movements are the sandbox's own simplified model, chosen so that the balances the app reads stay
consistent with the documents:
- УТ 11.5 `AccumulationRegister_РасчетыСКлиентами` (by partner analytics, settlement object, currency): an
  agreed customer order becomes a settlement object (`Catalog_ОбъектыРасчетов` with `Объект` = the order) and
  adds `КОплате` (to be paid) and `КОтгрузке` (to be shipped) on it; a sale or an act adds `Сумма` (the
  customer's debt) and takes `КОтгрузке` away; a bank or cash receipt takes `Сумма` and `КОплате` away on the
  settlement object named in each `РасшифровкаПлатежа` row. So `СуммаBalance` is the debt (negative = advance),
  `КОплатеBalance` what is still to be paid and `КОтгрузкеBalance` what is still to be shipped.
- УТ 11 `AccumulationRegister_ТоварыНаСкладах`: an agreed order adds `КОтгрузке` per line; a sale takes
  `ВНаличии` away, and `КОтгрузке` too when it ships an order.
- БП 3.0 `AccountingRegister_Хозрасчетный`: see `b24sandbox/onec/accounting.py`.
- УНФ 3.0 `AccumulationRegister_РасчетыСПокупателями` (dimensions Организация, ТипРасчетов, Контрагент, Договор,
  composite Документ and Заказ: facts unf-3.0.12.261): a customer order moves nothing there; a shipment
  (`РасходнаяНакладная`) adds the debt (`Долг`, Документ = the shipment) on its order; a bank or cash receipt takes
  each `РасшифровкаПлатежа` line away on the line's order, as `Долг` against the shipment the line names or as an
  advance (`Аванс`, Документ = the receipt) when it names none. So `СуммаBalance` by `Заказ` is shipped minus
  paid: positive = owed to us, negative = an advance.
- УНФ `AccumulationRegister_ЗапасыНаСкладах`: a shipment takes `Количество` away per line and structural unit.
"""

from __future__ import annotations

from b24sandbox.onec import accounting
from b24sandbox.onec import values as published
from b24sandbox.onec.errors import ODataError
from b24sandbox.onec.schema import EMPTY_REF, UNDEFINED_TYPE, ObjectDef
from b24sandbox.onec.store import Base

RECEIPT = "Receipt"
EXPENSE = "Expense"
_LAST_LINE = 10**9

UT_SETTLEMENTS = "AccumulationRegister_РасчетыСКлиентами"
UT_STOCK = "AccumulationRegister_ТоварыНаСкладах"
UT_ORDER = "Document_ЗаказКлиента"
SETTLEMENT_OBJECTS = "Catalog_ОбъектыРасчетов"
_COUNTERPARTY_TYPE = "StandardODATA.Catalog_Контрагенты"

UNF_SETTLEMENTS = "AccumulationRegister_РасчетыСПокупателями"
UNF_STOCK = "AccumulationRegister_ЗапасыНаСкладах"
UNF_ORDER = "Document_ЗаказПокупателя"
UNF_SHIPMENT = "Document_РасходнаяНакладная"
UNF_RECEIPTS = ("Document_ПоступлениеНаСчет", "Document_ПоступлениеВКассу")


def _catalog_row(base: Base, set_name: str, key: str, **values: object) -> dict:
    obj = base.obj(set_name)
    if obj is None:  # not published: kept only so the documents' references resolve
        return {"Ref_Key": key, "DataVersion": base.next_version(), **values}
    from b24sandbox.onec.seed import blank_row  # seed imports posting

    row = blank_row(obj)
    row.update(Ref_Key=key, DataVersion=base.next_version())
    row.update(published.fit(base, obj, values))
    return row


def analytics_key(base: Base, partner: str, counterparty: str, organization: str) -> str:
    """The УТ 11 partner-analytics key for this triple, created on first use as 1C does."""
    triple = (partner, counterparty, organization)
    key = base.analytics.get(triple)
    if key is None:
        key = base.new_guid()
        counterparty_row = base.lookup("Catalog_Контрагенты", counterparty) or {}
        base.table("Catalog_КлючиАналитикиУчетаПоПартнерам").put(key, _catalog_row(
            base, "Catalog_КлючиАналитикиУчетаПоПартнерам", key,
            Description=str(counterparty_row.get("Description", "")), Партнер_Key=partner,
            Организация_Key=organization, **_composite("Контрагент", counterparty, _COUNTERPARTY_TYPE)))
        base.analytics[triple] = key
    return key


def settlement_object(base: Base, set_name: str, doc: dict) -> str:
    """The `Catalog_ОбъектыРасчетов` element standing for this document, created on first use.

    In УТ 11.5 settlements with a client are kept per settlement object; an order (or a sale without an
    order) gets one whose `Объект` is the document itself (ОбъектыРасчетов.mdo).
    """
    ref_key = doc["Ref_Key"]
    key = base.settlement_objects.get(ref_key)
    if key is None:
        key = base.new_guid()
        base.table(SETTLEMENT_OBJECTS).put(key, _catalog_row(
            base, SETTLEMENT_OBJECTS, key,
            Description=f"{doc.get('Number', '')} от {str(doc.get('Date', ''))[:10]}",
            ТипРасчетов="РасчетыСКлиентом", Номер=doc.get("Number", ""), Дата=doc.get("Date", ""),
            Сумма=doc.get("СуммаДокумента", 0), Валюта_Key=published.ref(doc, "Валюта"),
            Партнер_Key=published.ref(doc, "Партнер"), Организация_Key=published.ref(doc, "Организация"),
            **_composite("Объект", ref_key, f"StandardODATA.{set_name}"),
            **_composite("Контрагент", published.ref(doc, "Контрагент"), _COUNTERPARTY_TYPE)))
        base.settlement_objects[ref_key] = key
    return key


def _composite(name: str, value: str, type_name: str) -> dict:
    if not value or value == EMPTY_REF:
        return {name: "", f"{name}_Type": UNDEFINED_TYPE}
    return {name: value, f"{name}_Type": type_name}


def _record(doc: dict, set_name: str, kind: str, **values: object) -> dict:
    row = {
        "Recorder": doc["Ref_Key"],
        "Recorder_Type": f"StandardODATA.{set_name}",
        "Period": doc["Date"],
        "LineNumber": 0,
        "Active": True,
        "RecordType": kind,
    }
    row.update(values)
    return row


def _shipped_object(base: Base, set_name: str, doc: dict) -> tuple[str, bool]:
    """(settlement object, whether it is an order's) for a sale or an act."""
    order = doc.get("ЗаказКлиента", "")
    if order and doc.get("ЗаказКлиента_Type") == f"StandardODATA.{UT_ORDER}":
        order_row = base.lookup(UT_ORDER, order)
        if order_row is not None:
            return settlement_object(base, UT_ORDER, order_row), True
    return settlement_object(base, set_name, doc), False


def _ut_movements(base: Base, set_name: str, doc: dict) -> dict[str, list[dict]]:
    moves: dict[str, list[dict]] = {}
    org, counterparty = published.ref(doc, "Организация"), published.ref(doc, "Контрагент")
    currency = published.ref(doc, "Валюта")
    if set_name == UT_ORDER:
        if doc.get("Статус") == "НеСогласован":
            return moves
        key = analytics_key(base, published.ref(doc, "Партнер"), counterparty, org)
        amount = doc.get("СуммаДокумента", 0)
        moves[UT_SETTLEMENTS] = [
            _record(doc, set_name, RECEIPT, АналитикаУчетаПоПартнерам_Key=key, Валюта_Key=currency,
                    ОбъектРасчетов_Key=settlement_object(base, set_name, doc), ЗаказКлиента_Key=doc["Ref_Key"],
                    КОплате=amount, КОтгрузке=amount),
        ]
        moves[UT_STOCK] = [
            _record(doc, set_name, RECEIPT, Номенклатура_Key=published.ref(line, "Номенклатура"),
                    Склад_Key=published.ref(line, "Склад", "") or published.ref(doc, "Склад"),
                    КОтгрузке=line.get("Количество", 0))
            for line in doc.get("Товары", []) if not line.get("Отменено")
        ]
    elif set_name in ("Document_РеализацияТоваровУслуг", "Document_АктВыполненныхРабот"):
        key = analytics_key(base, published.ref(doc, "Партнер"), counterparty, org)
        target, for_order = _shipped_object(base, set_name, doc)
        amount = doc.get("СуммаДокумента", 0)
        order = published.ref(doc, "ЗаказКлиента") if for_order else doc["Ref_Key"]
        common = dict(АналитикаУчетаПоПартнерам_Key=key, Валюта_Key=currency, ОбъектРасчетов_Key=target,
                      ЗаказКлиента_Key=order)
        records = [_record(doc, set_name, RECEIPT, Сумма=amount, **common)]
        if for_order:
            records.append(_record(doc, set_name, EXPENSE, КОтгрузке=amount, **common))
        moves[UT_SETTLEMENTS] = records
        if set_name == "Document_РеализацияТоваровУслуг":
            moves[UT_STOCK] = [
                _record(doc, set_name, EXPENSE, Номенклатура_Key=published.ref(line, "Номенклатура"),
                        Склад_Key=published.ref(line, "Склад", "") or published.ref(doc, "Склад"),
                        ВНаличии=line.get("Количество", 0), КОтгрузке=line.get("Количество", 0) if for_order else 0)
                for line in doc.get("Товары", [])
            ]
    elif set_name in ("Document_ПоступлениеБезналичныхДенежныхСредств", "Document_ПриходныйКассовыйОрдер"):
        records = []
        for line in doc.get("РасшифровкаПлатежа", []):
            key = analytics_key(base, published.ref(line, "Партнер"), counterparty, org)
            records.append(_record(doc, set_name, EXPENSE, АналитикаУчетаПоПартнерам_Key=key,
                                   Валюта_Key=currency, ОбъектРасчетов_Key=published.ref(line, "ОбъектРасчетов"),
                                   ЗаказКлиента_Key=published.ref(line, "Заказ"),
                                   Сумма=line.get("Сумма", 0), КОплате=line.get("Сумма", 0)))
        moves[UT_SETTLEMENTS] = records
    return moves


def _unf_shipment(doc: dict) -> dict[str, list[dict]]:
    org, counterparty = published.ref(doc, "Организация"), published.ref(doc, "Контрагент")
    amount = doc.get("СуммаДокумента", 0)
    debt = _record(doc, UNF_SHIPMENT, RECEIPT, Организация_Key=org, ТипРасчетов="Долг", Контрагент_Key=counterparty,
                   Договор_Key=published.ref(doc, "Договор"), Документ=doc["Ref_Key"],
                   Заказ=published.ref(doc, "Заказ", ""), Сумма=amount, СуммаВал=amount, СодержаниеПроводки="Отгрузка")
    stock = [_record(doc, UNF_SHIPMENT, EXPENSE, Организация_Key=org,
                     Номенклатура_Key=published.ref(line, "Номенклатура"),
                     СтруктурнаяЕдиница_Key=published.ref(line, "СтруктурнаяЕдиница", "")
                     or published.ref(doc, "СтруктурнаяЕдиница"), Количество=line.get("Количество", 0))
             for line in doc.get("Запасы", [])]
    return {UNF_SETTLEMENTS: [debt], UNF_STOCK: stock}


def _unf_receipt(set_name: str, doc: dict) -> dict[str, list[dict]]:
    records = []
    for line in doc.get("РасшифровкаПлатежа", []):
        against = published.ref(line, "Документ", "")
        amount = line.get("СуммаРасчетов", 0)
        records.append(_record(
            doc, set_name, EXPENSE, Организация_Key=published.ref(doc, "Организация"),
            ТипРасчетов="Долг" if against else "Аванс", Контрагент_Key=published.ref(doc, "Контрагент"),
            Договор_Key=published.ref(line, "Договор"), Документ=against or doc["Ref_Key"],
            Заказ=published.ref(line, "Заказ", ""), Сумма=amount, СуммаВал=amount, ДокументОплаты=doc["Ref_Key"],
            СуммаПлатежа=line.get("СуммаПлатежа", 0), ЭтоОплатаЗаказа=bool(published.ref(line, "Заказ", "")),
            СодержаниеПроводки="Оплата от покупателя"))
    return {UNF_SETTLEMENTS: records}


def _unf_movements(base: Base, set_name: str, doc: dict) -> dict[str, list[dict]]:
    """УНФ 3.0 rules (module docstring); the order itself moves neither register published here."""
    if set_name == UNF_SHIPMENT:
        return _unf_shipment(doc)
    if set_name in UNF_RECEIPTS:
        return _unf_receipt(set_name, doc)
    return {}


def record_defaults(obj: ObjectDef) -> dict:
    """Every column of a register record at its empty value, so records carry all their properties."""
    row: dict = {}
    for attr in obj.columns():
        row.update(attr.default_values())
    return row


def movements(base: Base, set_name: str, doc: dict) -> dict[str, list[tuple[tuple[str, int], dict]]]:
    """The (key, record) pairs a posted document writes, per published register."""
    rules = {"ut": _ut_movements, "unf": _unf_movements}.get(base.config.family, accounting.movements)
    out = {}
    for register, records in rules(base, set_name, doc).items():
        obj = base.obj(register)
        if obj is None:
            continue
        defaults = record_defaults(obj)
        filled = []
        for line, record in enumerate(records, start=1):
            record["LineNumber"] = line
            accounting.keep_subconto(base, record)
            filled.append({**defaults, **published.fit(base, obj, record)})
        out[register] = [((doc["Ref_Key"], r["LineNumber"]), r) for r in filled]
    return out


def write_movements(base: Base, set_name: str, doc: dict) -> int:
    """Replace the document's movements in every register; returns how many records were written."""
    clear_movements(base, set_name, doc["Ref_Key"])
    written = 0
    for register, items in movements(base, set_name, doc).items():
        table = base.table(register)
        for key, record in items:
            table.put(key, record)
            written += 1
    return written


def clear_movements(base: Base, set_name: str, recorder: str) -> None:
    for register in base.registers():
        table = base.tables.get(register.set_name)
        if table is not None:
            table.delete_range((recorder, 0), (recorder, _LAST_LINE))


def post(base: Base, set_name: str, doc: dict) -> None:
    """Post a document: 1C refuses a deletion-marked one with an internal error (HTTP 500, code -1)."""
    if doc.get("DeletionMark"):
        raise ODataError(500, -1, "Помеченный на удаление документ не может быть проведен.")
    write_movements(base, set_name, doc)
    doc["Posted"] = True
    doc["DataVersion"] = base.next_version()
    base.counters.posted += 1


def unpost(base: Base, set_name: str, doc: dict) -> None:
    clear_movements(base, set_name, doc["Ref_Key"])
    doc["Posted"] = False
    doc["DataVersion"] = base.next_version()
    base.counters.unposted += 1
