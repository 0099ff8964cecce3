"""1C → Bitrix24 rules on their own: paid status, remaining, shipped status by sum, the deal fields they fill, and
stage moves that only go forward. No Redis, no database, no HTTP."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from b24app.core.model import Order, OrderDocuments, PaidStatus, Payment, PaymentKind, Shipment
from b24app.core.portal_settings import PortalSettings, StageMap
from b24app.sync.to_bitrix.deal_state import (
    payment_comment,
    payment_fields,
    shipment_comment,
    shipment_fields,
    shipped_status,
)
from b24app.sync.to_bitrix.deal_writes import stage_for

SETTINGS = PortalSettings(stages={"0": StageMap("PREPARATION", "EXECUTING", "FINAL_INVOICE", "SHIPPED")})
FLOW = ["PREPARATION", "EXECUTING", "FINAL_INVOICE", "SHIPPED"]
ORDER = Order(key="o1", number="ТД00-000012", date=datetime(2026, 11, 20), amount=Decimal("3610.00"), posted=True)


def _payment(key: str, amount: str, *, posted: bool = True, deleted: bool = False, day: int = 25,
             kind: PaymentKind = PaymentKind.BANK) -> Payment:
    return Payment(kind=kind, key=key, number=f"N{key}", date=datetime(2026, 11, day, 10, 0), amount=Decimal(amount),
                   total=Decimal(amount), posted=posted, deleted=deleted, order_key="o1")


def _shipment(key: str, amount: str, *, posted: bool = True, deleted: bool = False) -> Shipment:
    return Shipment(key=key, number=f"S{key}", date=datetime(2026, 11, 26), amount=Decimal(amount), posted=posted,
                    deleted=deleted, order_key="o1")


# -- stage moves -----------------------------------------------------------------------------------------------


def _deal(stage: str, semantic: str = "P") -> dict:
    return {"ID": "7", "STAGE_ID": stage, "STAGE_SEMANTIC_ID": semantic, "CATEGORY_ID": "0"}


@pytest.mark.parametrize(("current", "target", "moved"), [
    ("PREPARATION", "EXECUTING", "EXECUTING"),        # forward
    ("EXECUTING", "FINAL_INVOICE", "FINAL_INVOICE"),  # forward
    ("PREPARATION", "SHIPPED", "SHIPPED"),            # forward, skipping stages
    ("FINAL_INVOICE", "EXECUTING", None),             # never back: a receipt unposted after "paid"
    ("SHIPPED", "FINAL_INVOICE", None),
    ("EXECUTING", "EXECUTING", None),                 # already there
    ("NEW", "EXECUTING", "EXECUTING"),                 # a stage outside the flow: the map's stage wins
    ("EXECUTING", None, None),                        # nothing mapped for this status
])
def test_a_stage_moves_forward_only(current, target, moved):
    assert stage_for(SETTINGS, _deal(current), target, forward_only=FLOW) == moved


@pytest.mark.parametrize("semantic", ["S", "F"])
def test_a_won_or_lost_deal_is_never_moved(semantic):
    assert stage_for(SETTINGS, _deal("WON", semantic), "FINAL_INVOICE", forward_only=FLOW) is None


# -- paid status and remaining -----------------------------------------------------------------------------------


def test_paid_status_remaining_and_last_date_count_only_posted_live_receipts():
    docs = OrderDocuments(order=ORDER, payments=[
        _payment("r1", "1000", day=25),
        _payment("r2", "500", posted=False, day=27),   # unposted: listed, not counted
        _payment("r3", "700", deleted=True, day=28),   # marked for deletion: not counted
    ])
    f = SETTINGS.deal_fields
    assert docs.status is PaidStatus.PARTLY
    assert payment_fields(SETTINGS, docs) == {f["paid_status"]: "partly", f["paid_sum"]: "1000.00",
                                              f["payment_date"]: "2026-11-25", f["remaining"]: "2610.00"}


@pytest.mark.parametrize(("amounts", "status", "paid", "remaining"), [
    ([], "no", "0.00", "3610.00"),
    (["3610"], "fully", "3610.00", "0.00"),
    (["3000", "1000"], "fully", "4000.00", "0.00"),  # overpaid: nothing remains, never a negative remainder
    (["0.01"], "partly", "0.01", "3609.99"),
])
def test_paid_status_and_remaining_by_sum(amounts, status, paid, remaining):
    docs = OrderDocuments(order=ORDER, payments=[_payment(f"r{n}", a) for n, a in enumerate(amounts)])
    f = SETTINGS.deal_fields
    fields = payment_fields(SETTINGS, docs)
    assert (fields[f["paid_status"]], fields[f["paid_sum"]], fields[f["remaining"]]) == (status, paid, remaining)
    assert fields[f["payment_date"]] == ("2026-11-25" if amounts else "")


def test_the_fields_written_follow_the_portals_mapping():
    mapped = PortalSettings.from_json({"deal_fields": {"paid_status": "UF_CRM_OURS", "shipment_status": "UF_CRM_SHIP"}})
    docs = OrderDocuments(order=ORDER, payments=[_payment("r1", "3610")], shipments=[_shipment("s1", "10")])
    assert payment_fields(mapped, docs)["UF_CRM_OURS"] == "fully"
    assert shipment_fields(mapped, docs) == {"UF_CRM_SHIP": "partly", "UF_CRM_B24_1C_RETURNED": "0.00"}


# -- shipments -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("shipped", "status"), [
    ("0", PaidStatus.NO),
    ("2400", PaidStatus.PARTLY),
    ("3610", PaidStatus.FULLY),
    ("4000", PaidStatus.FULLY),
])
def test_shipped_partly_or_fully_by_sum(shipped, status):
    assert shipped_status(Decimal("3610.00"), Decimal(shipped)) is status


def test_only_posted_live_sales_count_as_shipped():
    docs = OrderDocuments(order=ORDER, shipments=[_shipment("s1", "2400"), _shipment("s2", "1210", posted=False),
                                                  _shipment("s3", "1210", deleted=True)])
    assert shipment_fields(SETTINGS, docs)[SETTINGS.deal_fields["shipment_status"]] == "partly"


# -- comments --------------------------------------------------------------------------------------------------


def test_comments_say_what_happened_in_the_portals_language():
    assert "поступила оплата по банку" in payment_comment(_payment("r1", "1000"), ORDER.number, "ru")
    assert "in cash" in payment_comment(_payment("r1", "1000", kind=PaymentKind.CASH), ORDER.number, "en")
    assert "проведение отменено" in payment_comment(_payment("r1", "1000", posted=False), ORDER.number, "ru")
    assert "marked for deletion" in payment_comment(_payment("r1", "1000", deleted=True), ORDER.number, "en")
    assert "cancelled" in shipment_comment(_shipment("s1", "10", posted=False), ORDER.number, "en")
    assert ORDER.number in shipment_comment(_shipment("s1", "10"), ORDER.number, "ru")
