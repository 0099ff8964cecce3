"""POST/PATCH/DELETE, Post/Unpost, register virtual tables and their consistency with documents."""

from __future__ import annotations

SETTLEMENTS = "AccumulationRegister_РасчетыСКлиентами"
OBJECTS = "Catalog_ОбъектыРасчетов"


def settlement_object(sandbox, order_key: str) -> str | None:
    """The Catalog_ОбъектыРасчетов element whose Объект is the order (УТ 11.5), if it has one yet."""
    found = sandbox.json(OBJECTS, **{"$filter": f"Объект eq cast(guid'{order_key}', 'Document_ЗаказКлиента')"})
    keys = [r["Ref_Key"] for r in found["value"]]
    assert len(keys) <= 1
    return keys[0] if keys else None


def balance_for_order(sandbox, order_key: str) -> dict:
    empty = {"СуммаBalance": 0, "КОплатеBalance": 0, "КОтгрузкеBalance": 0}
    target = settlement_object(sandbox, order_key)
    if target is None:
        return empty
    rows = sandbox.json(f"{SETTLEMENTS}/Balance(Condition='ОбъектРасчетов_Key eq guid'{target}'',"
                        "Dimensions='ОбъектРасчетов')")["value"]
    return rows[0] if rows else empty


def new_order(sandbox, amount: float) -> dict:
    template = sandbox.json("Document_ЗаказКлиента", **{"$top": 1, "$filter": "Posted eq true"})["value"][0]
    body = {k: template[k] for k in ("Организация_Key", "Партнер_Key", "Контрагент_Key", "Валюта_Key", "Склад_Key")}
    body.update({"Статус": "КОбеспечению", "СуммаДокумента": amount, "Комментарий": "b24:test:deal:1",
                 "Товары": [{"Номенклатура_Key": template["Товары"][0]["Номенклатура_Key"], "Количество": 2,
                             "Цена": amount / 2, "Сумма": amount}]})
    response = sandbox.send("POST", "Document_ЗаказКлиента", body=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_update_post_unpost_delete(fresh):
    order = new_order(fresh, 1000.0)
    assert order["Posted"] is False and order["Number"] and order["Товары"][0]["LineNumber"] == "1"
    assert order["odata.metadata"].endswith("#Document_ЗаказКлиента/@Element")
    key = order["Ref_Key"]
    patched = fresh.send("PATCH", f"Document_ЗаказКлиента(guid'{key}')", body={"Комментарий": "changed",
                                                                                "НеизвестноеПоле": 1})
    assert patched.status_code == 200 and patched.json()["Комментарий"] == "changed"
    assert patched.json()["DataVersion"] != order["DataVersion"]
    stale = fresh.send("PATCH", f"Document_ЗаказКлиента(guid'{key}')", body={"Комментарий": "x"},
                       headers={"If-Match": order["DataVersion"]})
    assert stale.status_code == 412
    wrong_type = fresh.send("PATCH", f"Document_ЗаказКлиента(guid'{key}')", body={"Posted": "yes"})
    assert wrong_type.status_code == 400 and wrong_type.json()["odata.error"]["code"] == "4"

    assert fresh.send("POST", f"Document_ЗаказКлиента(guid'{key}')/Post",
                      PostingModeOperational="false").status_code == 200
    assert fresh.json(f"Document_ЗаказКлиента(guid'{key}')")["Posted"] is True
    assert balance_for_order(fresh, key)["КОплатеBalance"] == 1000
    assert balance_for_order(fresh, key)["КОтгрузкеBalance"] == 1000
    state = fresh.control("state")["ut"]
    assert state["documents_created"] >= 1 and state["documents_posted"] >= 1

    assert fresh.send("POST", f"Document_ЗаказКлиента(guid'{key}')/Unpost").status_code == 200
    assert fresh.json(f"Document_ЗаказКлиента(guid'{key}')")["Posted"] is False
    assert balance_for_order(fresh, key)["КОплатеBalance"] == 0

    assert fresh.send("DELETE", f"Document_ЗаказКлиента(guid'{key}')").status_code == 204
    assert fresh.get(f"Document_ЗаказКлиента(guid'{key}')").status_code == 404


def test_tabular_rows_cannot_be_posted_directly(sandbox):
    response = sandbox.send("POST", "Document_ЗаказКлиента_Товары", body={"Количество": 1})
    assert response.status_code == 400 and response.json()["odata.error"]["code"] == "13"


def test_seed_payment_updates_settlements(fresh):
    order = new_order(fresh, 5000.0)
    fresh.send("POST", f"Document_ЗаказКлиента(guid'{order['Ref_Key']}')/Post")
    paid = fresh.control("ut/seed/payment", {"order_number": order["Number"], "sum": 1200.5, "kind": "bank"})
    assert paid["entity"] == "Document_ПоступлениеБезналичныхДенежныхСредств"
    after = balance_for_order(fresh, order["Ref_Key"])
    assert after["КОплатеBalance"] == 3799.5 and after["СуммаBalance"] == -1200.5
    fresh.control("ut/seed/payment", {"order_number": order["Number"], "sum": 3799.5, "kind": "cash"})
    assert balance_for_order(fresh, order["Ref_Key"])["КОплатеBalance"] == 0
    payment = fresh.json(f"Document_ПоступлениеБезналичныхДенежныхСредств(guid'{paid['Ref_Key']}')")
    assert payment["Posted"] is True and payment["Партнер_Key"] == order["Партнер_Key"]
    target = payment["РасшифровкаПлатежа"][0]["ОбъектРасчетов_Key"]
    assert target == settlement_object(fresh, order["Ref_Key"])
    linked = fresh.json(f"{OBJECTS}(guid'{target}')")
    assert (linked["Объект"], linked["Объект_Type"]) == (order["Ref_Key"], "StandardODATA.Document_ЗаказКлиента")


def test_balance_consistent_with_documents(sandbox):
    orders = sandbox.json("Document_ЗаказКлиента", **{"$filter": "Posted eq true", "$top": 40})["value"]
    payments = []
    for set_name in ("Document_ПоступлениеБезналичныхДенежныхСредств", "Document_ПриходныйКассовыйОрдер"):
        payments += sandbox.json(set_name, **{"$filter": "Posted eq true"})["value"]
    sales = sandbox.json("Document_РеализацияТоваровУслуг", **{"$filter": "Posted eq true"})["value"]
    object_of = {r["Объект"]: r["Ref_Key"] for r in sandbox.json(OBJECTS)["value"]}
    balances = {r["ОбъектРасчетов_Key"]: r for r in sandbox.json(
        f"{SETTLEMENTS}/Balance(Dimensions='ОбъектРасчетов')")["value"]}
    checked_shipped = 0
    for order in orders:
        target = object_of[order["Ref_Key"]]
        paid = sum(line["Сумма"] for p in payments for line in p["РасшифровкаПлатежа"]
                   if line["ОбъектРасчетов_Key"] == target)
        shipped = sum(s["СуммаДокумента"] for s in sales if s["ЗаказКлиента"] == order["Ref_Key"])
        balance = balances.get(target, {})
        assert balance.get("КОплатеBalance", 0) == round(order["СуммаДокумента"] - paid, 2)
        assert balance.get("КОтгрузкеBalance", 0) == round(order["СуммаДокумента"] - shipped, 2)
        assert balance.get("СуммаBalance", 0) == round(shipped - paid, 2)
        checked_shipped += shipped > 0
    assert checked_shipped


def test_virtual_tables_parameters(sandbox):
    everything = sandbox.json(f"{SETTLEMENTS}/Balance")["value"]
    assert everything and {"АналитикаУчетаПоПартнерам_Key", "ОбъектРасчетов_Key", "Валюта_Key", "СуммаBalance",
                           "КОплатеBalance", "КОтгрузкеBalance", "ОплачиваетсяBalance"} <= set(everything[0])
    early = sandbox.json(f"{SETTLEMENTS}/Balance(Period=datetime'2026-02-01T00:00:00')")["value"]
    assert 0 < len(early) < len(everything)
    by_analytics = sandbox.json(f"{SETTLEMENTS}/Balance", Dimensions="АналитикаУчетаПоПартнерам")["value"]
    assert set(by_analytics[0]) == {"АналитикаУчетаПоПартнерам_Key", "СуммаBalance", "КОплатеBalance",
                                    "ОплачиваетсяBalance", "КОтгрузкеBalance", "ОтгружаетсяBalance"}
    key = by_analytics[0]["АналитикаУчетаПоПартнерам_Key"]
    one = sandbox.json(f"{SETTLEMENTS}/Balance(Condition='АналитикаУчетаПоПартнерам_Key eq guid'{key}'',"
                       "Dimensions='АналитикаУчетаПоПартнерам')")["value"]
    assert one == [by_analytics[0]]
    turnovers = sandbox.json(f"{SETTLEMENTS}/Turnovers(StartPeriod=datetime'2026-01-01T00:00:00',"
                             "EndPeriod=datetime'2026-12-31T23:59:59',Dimensions='Валюта')")["value"]
    total = turnovers[0]
    assert round(total["СуммаReceipt"] - total["СуммаExpense"], 2) == round(total["СуммаTurnover"], 2)
    both = sandbox.json(f"{SETTLEMENTS}/BalanceAndTurnovers(StartPeriod=datetime'2026-06-01T00:00:00',"
                        "EndPeriod=datetime'2026-12-31T23:59:59',Dimensions='Валюта')")["value"][0]
    assert round(both["СуммаOpeningBalance"] + both["СуммаTurnover"], 2) == both["СуммаClosingBalance"]
    filtered = sandbox.json(f"{SETTLEMENTS}/Balance(Dimensions='ОбъектРасчетов')",
                            **{"$filter": "КОплатеBalance gt 0", "$orderby": "КОплатеBalance desc", "$top": 3})
    values = [r["КОплатеBalance"] for r in filtered["value"]]
    assert values == sorted(values, reverse=True) and all(v > 0 for v in values)
    stock = sandbox.json("AccumulationRegister_ТоварыНаСкладах/Balance", **{"$top": 5})["value"]
    assert stock and {"ВНаличииBalance", "КОтгрузкеBalance", "Характеристика_Key", "Серия_Key"} <= set(stock[0])
    # Recorder-subordinate in УТ 11.5.27 (facts): the slice is a function of the _RecordType set (17.4.13.1.1).
    prices = sandbox.json("InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast("
                          "Period=datetime'2026-03-01T00:00:00')")
    assert prices["value"] and all(r["Period"] <= "2026-03-01T00:00:00" for r in prices["value"])
    records = sandbox.json(f"{SETTLEMENTS}_RecordType", **{"$top": 3})["value"]
    assert {"Recorder", "Recorder_Type", "Period", "LineNumber", "RecordType", "Сумма"} <= set(records[0])
    unknown = sandbox.get(f"{SETTLEMENTS}/Balance(Dimensions='Нет')")
    assert unknown.status_code == 400


BP_REGISTER = "AccountingRegister_Хозрасчетный"


def bp_accounts(sandbox) -> dict[str, str]:
    return {r["Code"]: r["Ref_Key"] for r in sandbox.json("ChartOfAccounts_Хозрасчетный", "bp")["value"]}


def test_bp30_payment_and_settlements_on_account_62(fresh):
    accounts = bp_accounts(fresh)
    invoice = fresh.json("Document_СчетНаОплатуПокупателю", "bp", **{"$top": 1})["value"][0]
    customer = invoice["Контрагент_Key"]
    receivable = (f"{BP_REGISTER}/Balance(AccountCondition='Account_Key eq guid'{accounts['62.01']}'',"
                  f"Condition='ExtDimension1 eq cast(guid'{customer}', 'Catalog_Контрагенты')')")
    before = fresh.json(receivable, "bp")["value"]
    assert all(r["Account_Key"] == accounts["62.01"] and r["ExtDimension1"] == customer for r in before)
    amount_before = sum(r["СуммаBalance"] for r in before)
    paid = fresh.control("bp/seed/payment", {"order_number": invoice["Number"], "sum": 100, "kind": "bank"})
    assert paid["entity"] == "Document_ПоступлениеНаРасчетныйСчет"
    after = fresh.json(receivable, "bp")["value"]
    assert round(sum(r["СуммаBalance"] for r in after), 2) == round(amount_before - 100, 2)
    for row in after:
        assert row["СуммаBalance"] == round(row["СуммаBalanceDr"] - row["СуммаBalanceCr"], 2)
    doc = fresh.json(f"Document_ПоступлениеНаРасчетныйСчет(guid'{paid['Ref_Key']}')", "bp")
    assert doc["РасшифровкаПлатежа"][0]["СчетНаОплату_Key"] == invoice["Ref_Key"]
    records = fresh.json(f"{BP_REGISTER}_RecordType", "bp",
                         **{"$filter": f"Recorder eq '{paid['Ref_Key']}'"})["value"]
    assert [(r["AccountDr_Key"], r["AccountCr_Key"], r["Сумма"]) for r in records] == [
        (accounts["51"], accounts["62.01"], 100)]
    assert "ExtDimension1" not in records[0] and {"ВалютаDr_Key", "КоличествоCr"} <= set(records[0])
    units = {r["Code"] for r in fresh.json("Catalog_КлассификаторЕдиницИзмерения", "bp")["value"]}
    assert {"796", "166", "006", "112"} <= units


def test_bp30_receivables_match_documents(sandbox):
    accounts = bp_accounts(sandbox)
    sales = sandbox.json("Document_РеализацияТоваровУслуг", "bp", **{"$filter": "Posted eq true"})["value"]
    receipts = []
    for set_name in ("Document_ПоступлениеНаРасчетныйСчет", "Document_ПриходныйКассовыйОрдер"):
        receipts += sandbox.json(set_name, "bp", **{"$filter": "Posted eq true"})["value"]
    by_code = "AccountCondition='Account/Code eq ''62.01'''"
    balance = sandbox.json(f"{BP_REGISTER}/Balance({by_code})", "bp")["value"]
    by_customer: dict[str, float] = {}
    for row in balance:
        assert row["Account_Key"] == accounts["62.01"]
        assert row["ExtDimension1_Type"] == "StandardODATA.Catalog_Контрагенты"
        by_customer[row["ExtDimension1"]] = by_customer.get(row["ExtDimension1"], 0) + row["СуммаBalance"]
    expected: dict[str, float] = {}
    for sale in sales:
        expected[sale["Контрагент_Key"]] = expected.get(sale["Контрагент_Key"], 0) + sale["СуммаДокумента"]
    for receipt in receipts:
        payer = receipt.get("Контрагент_Key") or receipt["Контрагент"]
        paid = sum(line["СуммаПлатежа"] for line in receipt["РасшифровкаПлатежа"])
        expected[payer] = expected.get(payer, 0) - paid
    assert {k: round(v, 2) for k, v in by_customer.items() if abs(v) > 0.005} == {
        k: round(v, 2) for k, v in expected.items() if abs(v) > 0.005}


def test_bp30_stock_turnovers_and_records_with_ext_dimensions(sandbox):
    accounts = bp_accounts(sandbox)
    goods = f"AccountCondition='Account_Key eq guid'{accounts['41.01']}''"
    stock = sandbox.json(f"{BP_REGISTER}/Balance({goods})", "bp")["value"]
    assert stock and all(r["ExtDimension1_Type"] == "StandardODATA.Catalog_Номенклатура"
                         and r["ExtDimension2_Type"] == "StandardODATA.Catalog_Склады" for r in stock)
    assert any(r["КоличествоBalance"] > 0 for r in stock)
    sales = sandbox.json("Document_РеализацияТоваровУслуг", "bp", **{"$filter": "Posted eq true"})["value"]
    shipped = sum(line["Количество"] for s in sales for line in s["Товары"])
    moves = sandbox.json(f"{BP_REGISTER}/Turnovers(StartPeriod=datetime'2026-01-09T09:00:00',{goods})", "bp")
    assert round(sum(r["КоличествоTurnoverCr"] for r in moves["value"]), 3) == round(shipped, 3)
    product = stock[0]["ExtDimension1"]
    both = sandbox.json(f"{BP_REGISTER}/BalanceAndTurnovers(StartPeriod=datetime'2026-03-01T00:00:00',"
                        f"EndPeriod=datetime'2027-01-01T00:00:00',{goods},"
                        f"Condition='ExtDimension1 eq cast(guid'{product}', 'Catalog_Номенклатура')')", "bp")["value"]
    for row in both:
        assert row["ExtDimension1"] == product
        assert round(row["КоличествоOpeningBalance"] + row["КоличествоTurnover"], 3) == row["КоличествоClosingBalance"]
    kinds = {r["Description"]: r["Ref_Key"] for r in sandbox.json(
        "ChartOfCharacteristicTypes_ВидыСубконтоХозрасчетные", "bp")["value"]}
    by_warehouse = sandbox.json(f"{BP_REGISTER}/Balance({goods},ExtraDimensions='{kinds['Склады']}')", "bp")["value"]
    assert by_warehouse and all(r["ExtDimension1_Type"] == "StandardODATA.Catalog_Склады"
                                and r["ExtDimension2_Type"] == "StandardODATA.Undefined" for r in by_warehouse)
    records = sandbox.json(f"{BP_REGISTER}/RecordsWithExtDimensions(StartPeriod=datetime'2026-02-01T00:00:00',"
                           "EndPeriod=datetime'2026-02-10T00:00:00')", "bp", **{"$top": 20})["value"]
    assert records and all("2026-02-01" <= r["Period"][:10] <= "2026-02-10" for r in records)
    assert {"AccountDr_Key", "ExtDimensionDr1", "ExtDimensionDr1_Type", "ExtDimensionTypeDr1_Key",
            "ExtDimensionCr1"} <= set(records[0])
