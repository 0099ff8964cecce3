"""Reading an order's documents and a counterparty's debt from the sandbox 1C bases (УТ 11 and БП 3.0)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from b24app.core.model import OrderDocuments, PaidStatus, from_json, to_json
from b24app.onec.base import OneCBase
from b24app.onec.readers import OneCDocuments, navigation_path, navigation_ref
from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support.processes import post_json
from tests.support.sync_data import SANDBOX_EGRESS

# base -> the profile for it; ut4 / bp83 / unf: bases of УТ 11.4, БП 3.0.83, УНФ 3.0.12 (conftest RELEASE_BASES).
PROFILES = {"ut": "ut11", "bp": "bp30", "ut4": "ut11_4", "bp83": "bp30_83", "unf": "unf"}
OLDER = ("ut4", "bp83", "unf")


@pytest.fixture
def url_of(request, onec_url):
    """The sandbox URL serving a base: the shared one (ut, bp) or the other releases' (RELEASE_BASES)."""
    def url(base: str) -> str:
        return request.getfixturevalue("releases_url") if base in OLDER else onec_url
    return url


def reader(onec_url: str, base: str) -> OneCDocuments:
    profile = PROFILES[base]
    return OneCDocuments.for_base(OneCBase(f"{onec_url}/{base}/", ONEC_LOGIN, ONEC_PASSWORD, profile, base),
                                  egress=SANDBOX_EGRESS)


def unpaid_order(r: OneCDocuments):
    spec = r.profile.object("customer_order")
    for row in r.client.query(spec.entity_set, filter="Posted eq true", orderby="Date", top=40).rows:
        docs = r.order_documents(r.order_by_number(row["Number"]))
        if not docs.payments:
            return docs
    raise AssertionError("the seed has no unpaid posted order")


@pytest.mark.parametrize("base", ["ut", "bp", *OLDER])
def test_payment_states_follow_posted_receipts(url_of, base):
    onec_url = url_of(base)
    r = reader(onec_url, base)
    docs = unpaid_order(r)
    order = docs.order
    assert docs.status is PaidStatus.NO and docs.paid == 0 and docs.remaining == order.amount
    part = (order.amount / 3).quantize(Decimal("0.01"))
    post_json(f"{onec_url}/_sandbox/{base}/seed/payment", {"order_number": order.number, "sum": float(part),
                                                            "kind": "cash"})
    docs = r.order_documents(order)
    assert docs.status is PaidStatus.PARTLY
    assert docs.paid == part and docs.remaining == order.amount - part
    assert [p.kind.value for p in docs.payments] == ["cash"] and docs.payments[0].posted
    rest = order.amount - part
    post_json(f"{onec_url}/_sandbox/{base}/seed/payment", {"order_number": order.number, "sum": float(rest),
                                                            "kind": "bank"})
    docs = r.order_documents(order)
    assert docs.status is PaidStatus.FULLY and docs.paid == order.amount and docs.remaining == 0
    # Survives the cache's JSON round trip unchanged.
    assert from_json(OrderDocuments, to_json(docs)) == docs


def test_unposted_receipt_is_listed_but_not_counted(onec_url):
    r = reader(onec_url, "bp")
    spec = r.profile.object("customer_order")
    for row in r.client.query(spec.entity_set, filter="Posted eq true", orderby="Date", top=60).rows:
        docs = r.order_documents(r.order_by_number(row["Number"]))
        if docs.payments and not any(p.posted for p in docs.payments):
            assert docs.paid == 0 and docs.status is PaidStatus.NO
            return
    pytest.fail("the seed has no order paid only by an unposted receipt")


@pytest.mark.parametrize("base", ["ut", "bp", *OLDER])
def test_shipments_and_vat_invoices_of_an_order(url_of, base):
    from b24app.onec import refs

    r = reader(url_of(base), base)
    spec = r.profile.object("shipment")
    order_spec = r.profile.object("customer_order")
    link = spec.spec_of("order") if "order" in spec.fields else spec.spec_of("invoice")
    for row in r.client.query(spec.entity_set, filter="Posted eq true", top=20, orderby="Date").rows:
        order_key = refs.read(link, row, order_spec.entity_set)
        if order_key:
            break
    else:
        pytest.fail("no posted shipment of an order among the first 20")
    docs = r.order_documents(r.order_by_key(order_key))
    assert row["Ref_Key"] in [s.key for s in docs.shipments]
    shipment = next(s for s in docs.shipments if s.key == row["Ref_Key"])
    assert shipment.amount == Decimal(str(row[spec.field("amount")])).quantize(Decimal("0.01"))
    for vat in docs.vat_invoices:
        assert vat.basis_key in {s.key for s in docs.shipments}


def test_order_number_without_prefix_finds_the_order(onec_url):
    r = reader(onec_url, "ut")
    assert r.order_by_number("12").number == "ТД00-000012"
    assert r.order_by_number("ТД00-000012").number == "ТД00-000012"
    assert r.order_by_number("НЕТ-999999") is None


@pytest.mark.parametrize("base", ["ut", "bp", *OLDER])
def test_debt_by_inn_matches_the_register(url_of, base):
    onec_url = url_of(base)
    r = reader(onec_url, base)
    found = 0
    spec = r.profile.object("counterparty")
    for row in r.client.query(spec.entity_set, orderby=spec.orderby(), top=60).rows:
        if not row["ИНН"]:
            continue
        people = r.counterparties_by_inn(row["ИНН"], row["КПП"] or None)
        assert row["Ref_Key"] in [c.key for c in people] or row["DeletionMark"]
        debt = r.debt([c.key for c in people])
        assert debt.receivable >= 0 and debt.payable >= 0
        if base.startswith("ut"):
            assert debt.overdue is not None and debt.overdue <= debt.receivable
        else:
            assert debt.overdue is None
        found += debt.receivable > 0
    assert found, "no counterparty with debt among the first 60"


def test_navigation_link_byte_order():
    # 1C stores a reference as the GUID's groups 4, 5, 3, 2, 1 (see onec_documents module docstring).
    assert navigation_ref("21dda1c5-8c44-11db-a9b0-00055d49b45e") == "a9b000055d49b45e11db8c4421dda1c5"
    assert navigation_path("Document_ЗаказКлиента", "21dda1c5-8c44-11db-a9b0-00055d49b45e") == \
        "e1cib/data/Документ.ЗаказКлиента?ref=a9b000055d49b45e11db8c4421dda1c5"
    assert navigation_path("AccumulationRegister_X", "21dda1c5-8c44-11db-a9b0-00055d49b45e") is None
