"""The 1C → Bitrix24 streams of one base with every collaborator in memory: what changed in 1C since the watermark
reaches the deals, and the watermark moves only when Bitrix24 took every update; the on-demand refresh reads each
base its deal's orders live in. No Redis, no database, no HTTP."""

from __future__ import annotations

import pytest

from b24app.core.errors import SyncError
from b24app.core.portal_settings import PortalSettings, StageMap
from b24app.onec.profiles import load_profile
from b24app.sync.to_bitrix.payments import pull_payments, refresh_deal
from b24app.sync.to_bitrix.shipments import pull_shipments
from b24app.sync.to_bitrix.streams import PULLS, pull_base, stream_pull
from tests.support.fakes_bitrix import FakeBitrix, FakeDocuments, FakeLinks, FakeMarks, FakePull

PROFILE = load_profile("ut11")
STAGES = PortalSettings(stages={"0": StageMap("PREPARATION", "EXECUTING", "FINAL_INVOICE", "SHIPPED")})
F = STAGES.deal_fields
BANK = PROFILE.object("bank_receipt").entity_set
SALES = PROFILE.object("shipment").entity_set
SETTLEMENT_OBJECTS = PROFILE.object("settlement_object").entity_set
ORDER_SET = PROFILE.object("customer_order").entity_set


@pytest.fixture
def world() -> FakePull:
    """Deal 7 linked to 1C order o1 of 3610.00; УТ 11 receipts pay it through settlement object so1."""
    pull = FakePull(PROFILE, settings=STAGES)
    pull.bitrix.add_deal(7, STAGE_ID="PREPARATION")
    pull.documents.add_order("o1", "ТД00-000012", "3610.00")
    pull.link_deal(7, "o1")
    pull.odata.add(SETTLEMENT_OBJECTS, {"Ref_Key": "so1", "Объект": "o1",
                                        "Объект_Type": f"StandardODATA.{ORDER_SET}"})
    return pull


def _receipt(world: FakePull, key: str, amount: str, *, version: str = "v1", day: int = 25) -> None:
    """A bank receipt in 1C paying order o1, and what the order's documents then say."""
    world.odata.add(BANK, {"Ref_Key": key, "DataVersion": version, "Date": f"2026-11-{day}T10:00:00",
                           "Number": f"N-{key}", "РасшифровкаПлатежа": [{"ОбъектРасчетов_Key": "so1"}]})
    world.documents.pay("o1", key, amount, number=f"N-{key}")


def _sale(world: FakePull, key: str, amount: str, *, order: str = "o1", order_set: str = ORDER_SET) -> None:
    world.odata.add(SALES, {"Ref_Key": key, "DataVersion": "v1", "Date": "2026-11-26T12:00:00", "Number": f"S-{key}",
                            "ЗаказКлиента": order, "ЗаказКлиента_Type": f"StandardODATA.{order_set}"})
    world.documents.ship(order, key, amount, number=f"S-{key}")


# -- payments ----------------------------------------------------------------------------------------------------


def test_a_receipt_since_the_watermark_reaches_the_deal_and_the_watermark_moves(world):
    _receipt(world, "r1", "1000")
    assert pull_payments(world.deps) == 1
    deal = world.bitrix.deals["7"]
    assert (deal[F["paid_status"]], deal[F["remaining"]], deal["STAGE_ID"]) == ("partly", "2610.00", "EXECUTING")
    mark = world.watermarks.get(world.member_id, world.base_id, "payments")
    assert mark["bank_receipt"]["since"] == "2026-11-25T10:00:00" and mark["bank_receipt"]["versions"] == {
        "r1": "v1"}
    [(member, entry)] = world.journal.entries
    assert (member, entry.kind, entry.direction, entry.status, entry.items, entry.base_id) == (
        world.member_id, "payments", "1c_to_b24", "ok", 1, world.base_id)

    assert pull_payments(world.deps) == 0  # nothing new in 1C: nothing sent
    assert len(world.bitrix.comments_of(7)) == 1


def test_the_watermark_stays_when_bitrix24_refuses_an_update(world):
    _receipt(world, "r1", "1000")
    world.bitrix.refuse("crm.deal.update", 7)
    with pytest.raises(SyncError, match="refused 1 deal update.*watermark kept"):
        pull_payments(world.deps)
    assert world.watermarks.puts == 0 and world.watermarks.get(world.member_id, world.base_id, "payments") == {}
    assert world.journal.entries[-1][1].status == "error"

    world.bitrix.allow("crm.deal.update", 7)
    assert pull_payments(world.deps) == 1  # the same receipt is read again, since the watermark stayed
    assert world.watermarks.puts == 1
    assert world.bitrix.deals["7"][F["paid_status"]] == "partly"
    assert len(world.bitrix.comments_of(7)) == 1  # the comment that arrived the first time is not repeated


def test_the_watermark_stays_when_the_push_is_cut(world):
    _receipt(world, "r1", "1000")
    world.bitrix.cut_batches(after=1)  # the deals' state is read, the push is refused
    with pytest.raises(SyncError):
        pull_payments(world.deps)
    assert world.watermarks.puts == 0


def test_an_unposted_receipt_is_read_again_and_reverses_the_deal(world):
    _receipt(world, "r1", "3610")
    pull_payments(world.deps)
    assert world.bitrix.deals["7"]["STAGE_ID"] == "FINAL_INVOICE"
    world.odata.sets[BANK][0]["DataVersion"] = "v2"  # unposted in 1C: same date, new version
    world.documents.pay("o1", "r1", "3610", number="N-r1", posted=False)
    assert pull_payments(world.deps) == 1
    deal = world.bitrix.deals["7"]
    assert (deal[F["paid_status"]], deal["STAGE_ID"]) == ("no", "FINAL_INVOICE")
    assert "проведение отменено" in world.bitrix.comments_of(7)[-1]


# -- shipments ---------------------------------------------------------------------------------------------------


def test_shipments_partly_then_fully_and_the_watermark(world):
    _sale(world, "s1", "2400")
    assert pull_shipments(world.deps) == 1
    assert world.bitrix.deals["7"][F["shipment_status"]] == "partly"
    assert world.watermarks.get(world.member_id, world.base_id, "shipments")["versions"] == {"s1": "v1"}
    _sale(world, "s2", "1210")
    assert pull_shipments(world.deps) == 1
    deal = world.bitrix.deals["7"]
    assert (deal[F["shipment_status"]], deal["STAGE_ID"]) == ("fully", "SHIPPED")


def test_a_sale_of_no_order_or_of_another_kind_of_document_is_ignored(world):
    _sale(world, "s1", "100", order="00000000-0000-0000-0000-000000000000")
    _sale(world, "s2", "100", order="o1", order_set="Document_ЗаявкаНаВозвратТоваровОтКлиента")
    assert pull_shipments(world.deps) == 0
    # No deal is read for them (the deals naming orders are listed apart: `!=` filters, order_links.py).
    assert [p for p in world.bitrix.methods("crm.deal.list") if "@ID" in p["filter"]] == []


def test_the_shipments_watermark_stays_when_bitrix24_refuses(world):
    _sale(world, "s1", "2400")
    world.bitrix.refuse("crm.deal.update", 7)
    with pytest.raises(SyncError):
        pull_shipments(world.deps)
    assert world.watermarks.puts == 0


# -- streams -----------------------------------------------------------------------------------------------------


def test_a_stream_is_named_and_an_unknown_one_refused(world):
    assert set(PULLS) == {"payments", "shipments", "debt"}
    _receipt(world, "r1", "1000")
    assert pull_base(world.deps, "payments") == 1
    with pytest.raises(ValueError, match="unknown stream"):
        stream_pull("stock")


# -- refresh on demand -------------------------------------------------------------------------------------------


def _refresh(bitrix: FakeBitrix, links: FakeLinks, marks: FakeMarks, documents: dict[int, FakeDocuments],
             deal_id: str = "7") -> str:
    opened: list[int] = []

    def documents_of(base_id: int) -> FakeDocuments:
        opened.append(base_id)
        return documents[base_id]

    answer = refresh_deal(deal_id, bitrix=bitrix, documents_of=documents_of, links=links,  # type: ignore[arg-type]
                          marks=marks, settings=STAGES, lang="ru", member_id="member-1")  # type: ignore[arg-type]
    assert set(opened) <= set(documents)
    return answer


def test_refresh_recomputes_a_deal_from_its_orders_in_each_base():
    bitrix, links, marks = FakeBitrix(), FakeLinks(), FakeMarks()
    bitrix.add_deal(7, STAGE_ID="PREPARATION", **{F["paid_status"]: "", F["shipment_status"]: ""})
    first, second = FakeDocuments(PROFILE), FakeDocuments(PROFILE)
    first.add_order("o1", "1", "1000.00")
    first.pay("o1", "r1", "400")
    second.add_order("o2", "2", "500.00")
    second.ship("o2", "s1", "500")
    links.put("member-1", 1, "deal", "7", ORDER_SET, "o1")
    links.put("member-1", 2, "deal", "7", ORDER_SET, "o2")
    links.put("member-1", 1, "deal", "7", "Document_СчетНаОплатуКлиенту", "i1")  # not an order: skipped
    assert _refresh(bitrix, links, marks, {1: first, 2: second}) == "refreshed"
    deal = bitrix.deals["7"]
    assert deal[F["shipment_status"]] == "fully" and deal[F["paid_status"]] == "no"  # the last order written wins
    assert len(bitrix.methods("crm.deal.update")) == 2 and bitrix.comments == []  # a refresh tells nothing


def test_refresh_of_a_deal_without_an_order():
    bitrix = FakeBitrix()
    bitrix.add_deal(7)
    assert _refresh(bitrix, FakeLinks(), FakeMarks(), {}) == "not linked to a 1C order"
    assert bitrix.sent == []


def test_refresh_says_when_bitrix24_refuses():
    bitrix, links = FakeBitrix(), FakeLinks()
    bitrix.add_deal(7)
    docs = FakeDocuments(PROFILE)
    docs.add_order("o1", "1", "1000.00")
    links.put("member-1", 1, "deal", "7", ORDER_SET, "o1")
    bitrix.refuse("crm.deal.update", 7)
    with pytest.raises(SyncError, match="refused the update of deal 7"):
        _refresh(bitrix, links, FakeMarks(), {1: docs})
