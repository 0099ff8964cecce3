"""Smoke test over HTTP of a УНФ 3.0 base (configuration `unf`, facts unf-3.0.12.261, publications/unf.toml).

Started with `--bases`, as a deployment would choose it: the base answers a posted customer order
(`Document_ЗаказПокупателя`), a posted bank receipt naming it in its payment details, a shipment naming it, and the
Balance of the settlements register `AccumulationRegister_РасчетыСПокупателями` by order, in the forms УНФ publishes
(composite `Заказ` / `Документ` as X + X_Type; structural units without IsFolder).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import Sandbox, start_sandbox, stop_sandbox

BASE = "unf"
ORDER_TYPE = "StandardODATA.Document_ЗаказПокупателя"
REGISTER = "AccumulationRegister_РасчетыСПокупателями"


@pytest.fixture(scope="module")
def unf() -> Iterator[Sandbox]:
    server = start_sandbox("--seed", "7", "--counterparties", "60", "--bases", f"{BASE}:unf")
    yield server
    stop_sandbox(server)


def first(sandbox: Sandbox, resource: str, **params: object) -> dict:
    rows = sandbox.json(resource, BASE, **{"$top": 1, **params})["value"]
    assert rows, resource
    return rows[0]


def order_balance(sandbox: Sandbox, order: str) -> float:
    condition = f"Condition='Заказ eq cast(guid'{order}', 'Document_ЗаказПокупателя')'"
    rows = sandbox.json(f"{REGISTER}/Balance({condition},Dimensions='Заказ')", BASE)["value"]
    return round(sum(r["СуммаBalance"] for r in rows), 2)


def test_order_payment_shipment_and_settlements(unf):
    order = first(unf, "Document_ЗаказПокупателя", **{"$filter": "Posted eq true"})
    goods = order["Запасы"][0]
    assert order["Контрагент_Key"] and goods["Номенклатура_Type"] == "StandardODATA.Catalog_Номенклатура"
    shipment = first(unf, "Document_РасходнаяНакладная", **{"$filter": "Posted eq true"})
    assert shipment["Заказ_Type"] == ORDER_TYPE and shipment["Запасы"]
    payment = first(unf, "Document_ПоступлениеНаСчет", **{"$filter": "Posted eq true"})
    line = payment["РасшифровкаПлатежа"][0]
    assert payment["ВидОперации"] == "ОтПокупателя" and line["Заказ_Type"] == ORDER_TYPE
    balance = unf.json(f"{REGISTER}/Balance(Dimensions='Заказ')", BASE)["value"]
    assert balance and {"Заказ", "Заказ_Type", "СуммаBalance"} <= set(balance[0])
    # The shipped order's balance is what its shipments billed minus what its posted receipts paid.
    of_order = f"cast(guid'{shipment['Заказ']}', 'Document_ЗаказПокупателя')"
    paid = 0.0
    for set_name in ("Document_ПоступлениеНаСчет", "Document_ПоступлениеВКассу"):
        condition = f"Posted eq true and РасшифровкаПлатежа/any(d: d/Заказ eq {of_order})"
        for row in unf.json(set_name, BASE, **{"$filter": condition})["value"]:
            paid += sum(x["СуммаРасчетов"] for x in row["РасшифровкаПлатежа"] if x["Заказ"] == shipment["Заказ"])
    sales = unf.json("Document_РасходнаяНакладная", BASE, **{"$filter": f"Posted eq true and Заказ eq {of_order}"})
    shipped = sum(r["СуммаДокумента"] for r in sales["value"])
    assert order_balance(unf, shipment["Заказ"]) == round(shipped - paid, 2)


def test_warehouses_are_structural_units_of_type_warehouse(unf):
    units = unf.json("Catalog_СтруктурныеЕдиницы", BASE)["value"]
    warehouses = [u for u in units if u["ТипСтруктурнойЕдиницы"] == "Склад"]
    assert len(warehouses) == 2 and len(units) > len(warehouses) and "IsFolder" not in units[0]
    assert any(u["Parent_Key"] in {w["Ref_Key"] for w in warehouses} for u in warehouses)  # a hierarchy of items


def test_control_payment_posts_a_cash_receipt_against_the_order(unf):
    order = first(unf, "Document_ЗаказПокупателя", **{"$filter": "Posted eq true", "$orderby": "Date desc"})
    before = order_balance(unf, order["Ref_Key"])
    made = unf.control(f"{BASE}/seed/payment", {"order_number": order["Number"], "sum": 100.0, "kind": "cash"})
    try:
        assert made["entity"] == "Document_ПоступлениеВКассу"
        receipt = unf.json(f"Document_ПоступлениеВКассу(guid'{made['Ref_Key']}')", BASE)
        assert receipt["Posted"] and receipt["РасшифровкаПлатежа"][0]["Заказ"] == order["Ref_Key"]
        assert order_balance(unf, order["Ref_Key"]) == round(before - 100.0, 2)
    finally:
        unf.control(f"{BASE}/reset")
