"""The app against a УНФ 3.0 base: the sandbox's `unf` configuration (facts unf-3.0.12.261, publications/unf.toml)
read with the shipped profile `unf`. The schema check passes; an order's payments, shipments, paid status and a
counterparty's debt agree with what the base holds (read here straight from the documents and the register)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from b24app.core.model import PaidStatus
from b24app.onec.readers import OneCDocuments
from b24app.onec.schema import check
from tests.onec.onec_sandbox import LOOPBACK, Sandbox

BANK, CASH = "Document_ПоступлениеНаСчет", "Document_ПоступлениеВКассу"
SHIPMENT = "Document_РасходнаяНакладная"
REGISTER = "AccumulationRegister_РасчетыСПокупателями"
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def unf() -> Iterator[Sandbox]:
    server = Sandbox("--counterparties", "60", "--bases", "unf:unf")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def reader(unf) -> OneCDocuments:
    return OneCDocuments.for_base(unf.base("unf", profile="unf"), egress=LOOPBACK)


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _of_order(key: str) -> str:
    return f"cast(guid'{key}', 'Document_ЗаказПокупателя')"


def paid_by(reader: OneCDocuments, set_name: str, order: str) -> Decimal:
    """What the posted, unmarked receipts of `set_name` allocate to the order (РасшифровкаПлатежа.Заказ)."""
    condition = f"Posted eq true and DeletionMark eq false and РасшифровкаПлатежа/any(d: d/Заказ eq {_of_order(order)})"
    rows = reader.client.query(set_name, filter=condition).rows
    return sum((_money(x["СуммаРасчетов"]) for r in rows for x in r["РасшифровкаПлатежа"] if x["Заказ"] == order),
               Decimal(0))


def shipped(reader: OneCDocuments, order: str) -> Decimal:
    rows = reader.client.query(SHIPMENT, filter=f"Posted eq true and Заказ eq {_of_order(order)}").rows
    return sum((_money(r["СуммаДокумента"]) for r in rows), Decimal(0))


def posted_orders(reader: OneCDocuments, top: int = 40) -> list[dict]:
    spec = reader.profile.object("customer_order")
    return reader.client.query(spec.entity_set, filter="Posted eq true", orderby="Date", top=top).rows


def test_schema_check_passes_with_nothing_missing(unf):
    report = check(unf.base("unf", profile="unf"), egress=LOOPBACK)
    assert report.ok, report.render_text()
    assert not report.missing_fields and not report.changed_types, report.render_text()


def test_bank_paid_orders_read_as_the_base_holds_them(reader):
    statuses = set()
    for row in posted_orders(reader):
        if paid_by(reader, CASH, row["Ref_Key"]):
            continue  # orders with cash receipts: the next test
        docs = reader.order_documents(reader.order_by_number(row["Number"]))
        assert docs.paid == paid_by(reader, BANK, row["Ref_Key"]), row["Number"]
        assert docs.shipped == shipped(reader, row["Ref_Key"]), row["Number"]
        assert all(p.kind.value == "bank" for p in docs.payments if p.posted)
        statuses.add(docs.status)
    assert {PaidStatus.NO, PaidStatus.PARTLY, PaidStatus.FULLY} <= statuses


def test_cash_paid_orders_count_their_cash_receipts(reader):
    for row in posted_orders(reader):
        cash = paid_by(reader, CASH, row["Ref_Key"])
        if cash:
            docs = reader.order_documents(reader.order_by_number(row["Number"]))
            assert docs.paid == cash + paid_by(reader, BANK, row["Ref_Key"])
            return
    pytest.fail("the seed has no order paid in cash among the first 40")


def test_debt_is_the_register_balance_by_order(reader):
    """Receivable = the orders' positive balances (shipped more than paid), payable = the advances."""
    counterparties = list(dict.fromkeys(r["Контрагент_Key"] for r in posted_orders(reader, 20)))
    owing = 0
    for key in counterparties:
        rows = reader.client.balance(REGISTER, condition=f"Контрагент_Key eq guid'{key}'", dimensions=["Заказ"])
        by_order = [_money(r["СуммаBalance"]) for r in rows]
        debt = reader.debt([key])
        assert debt.receivable == sum((v for v in by_order if v > 0), Decimal(0)), key
        assert debt.payable == -sum((v for v in by_order if v < 0), Decimal(0)), key
        owing += debt.receivable > 0
    assert owing, "no counterparty owes among the first orders' customers"
