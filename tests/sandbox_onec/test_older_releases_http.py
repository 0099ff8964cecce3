"""Smoke test over HTTP of the older releases the sandbox can serve: УТ 11.4 (ut11_4) and БП 3.0.83 (bp30_83).

Started with `--bases`, as a deployment would choose them; each base answers a customer order (БП: the
invoice to the buyer — БП has no customer order), a posted payment and its settlements register's Balance,
in the names and forms those releases publish (facts/data/ut-11.4.2.139, bp-3.0.83.25-aun; publications/*.toml).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import Sandbox, start_sandbox, stop_sandbox

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
UT = "ut4"
BP = "bp83"


@pytest.fixture(scope="module")
def older() -> Iterator[Sandbox]:
    server = start_sandbox("--seed", "7", "--counterparties", "60", "--bases", f"{UT}:ut11_4,{BP}:bp30_83")
    yield server
    stop_sandbox(server)


def first(sandbox: Sandbox, resource: str, base: str, **params: object) -> dict:
    rows = sandbox.json(resource, base, **{"$top": 1, **params})["value"]
    assert rows, resource
    return rows[0]


def test_ut11_4_order_payment_and_settlements(older):
    order = first(older, "Document_ЗаказКлиента", UT, **{"$filter": "Posted eq true"})
    assert order["Контрагент_Key"] and order["Товары"] and order["Товары"][0]["Номенклатура_Key"]
    payment = first(older, "Document_ПоступлениеБезналичныхДенежныхСредств", UT, **{"$filter": "Posted eq true"})
    line = payment["РасшифровкаПлатежа"][0]
    # УТ 11.4 has no ОбъектРасчетов: the line names the order in the composite Заказ (facts).
    assert "ОбъектРасчетов_Key" not in line and line["Заказ_Type"] == "StandardODATA.Document_ЗаказКлиента"
    register = "AccumulationRegister_РасчетыСКлиентами"
    balance = older.json(f"{register}/Balance", UT)["value"]
    assert balance and {"АналитикаУчетаПоПартнерам_Key", "ЗаказКлиента", "ЗаказКлиента_Type", "СуммаBalance",
                        "КОплатеBalance"} <= set(balance[0])
    assert "StandardODATA.Document_ЗаказКлиента" in {r["ЗаказКлиента_Type"] for r in balance}
    one = older.json(f"{register}/Balance(Condition='ЗаказКлиента eq cast(guid'{balance[0]['ЗаказКлиента']}', "
                     "'Document_ЗаказКлиента')')", UT)["value"]
    assert one and all(r["ЗаказКлиента"] == balance[0]["ЗаказКлиента"] for r in one)


def test_bp30_83_invoice_payment_and_settlements(older):
    invoice = first(older, "Document_СчетНаОплатуПокупателю", BP)
    # A single reference in 3.0.83, composite in 3.0.198 (facts).
    assert invoice["Контрагент_Key"] and "Номенклатура_Key" in invoice["Товары"][0]
    payment = first(older, "Document_ПоступлениеНаРасчетныйСчет", BP, **{"$filter": "Posted eq true"})
    assert "Контрагент_Key" not in payment and payment["Контрагент_Type"] == "StandardODATA.Catalog_Контрагенты"
    register, on_62 = "AccountingRegister_Хозрасчетный", "AccountCondition='Account/Code eq ''62.01'''"
    balance = older.json(f"{register}/Balance({on_62})", BP)["value"]
    assert balance and all(r["ExtDimension1_Type"] == "StandardODATA.Catalog_Контрагенты" for r in balance)
    # Documents carry the counterparty's contract, so the second subconto is filled too.
    assert invoice["ДоговорКонтрагента_Key"] != EMPTY_REF
    assert all(r["ExtDimension2_Type"] == "StandardODATA.Catalog_ДоговорыКонтрагентов" for r in balance)
    # The payment credits 62.01 on the payer (a paid-up payer has no Balance row, so read its turnovers).
    payer = f"Condition='ExtDimension1 eq cast(guid'{payment['Контрагент']}', 'Catalog_Контрагенты')'"
    paid = older.json(f"{register}/Turnovers({on_62},{payer})", BP)["value"]
    assert round(sum(r["СуммаTurnoverCr"] for r in paid), 2) >= payment["СуммаДокумента"]
