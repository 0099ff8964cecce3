"""Deals recomputed from their 1C orders (`DealStateSync`) against an in-memory portal and stores: fields and stage
written only when they change, a timeline comment once per document version, a push cut mid-way marks only what
arrived, a refused update is reported and its comment is not sent twice. No Redis, no database, no HTTP."""

from __future__ import annotations

import pytest

from b24app.core.portal_settings import PortalSettings, StageMap
from b24app.onec.profiles import load_profile
from b24app.sync.to_bitrix.deal_state import TOLD, DealStateSync, Touched
from tests.support.fakes_bitrix import FakeDocuments, FakePull

PROFILE = load_profile("ut11")
STAGES = PortalSettings(stages={"0": StageMap("PREPARATION", "EXECUTING", "FINAL_INVOICE", "SHIPPED")})
F = STAGES.deal_fields


@pytest.fixture
def world() -> FakePull:
    """Deal 7 in the "make an order" stage, linked to 1C order o1 of 3610.00."""
    pull = FakePull(PROFILE, settings=STAGES)
    pull.bitrix.add_deal(7, STAGE_ID="PREPARATION")
    pull.documents.add_order("o1", "ТД00-000012", "3610.00")
    pull.link_deal(7, "o1")
    return pull


def _sync(world: FakePull, touched: list[Touched], *, payments: bool = True, shipments: bool = False):
    return DealStateSync.for_pull(world.deps).sync(touched, payments=payments, shipments=shipments)


def _paid(world: FakePull, key: str, amount: str, version: str = "v1", **kw) -> Touched:
    world.documents.pay("o1", key, amount, number=f"N-{key}", **kw)
    return Touched("o1", key, version, f"N-{key}", "payment")


def test_a_payment_fills_the_deal_moves_its_stage_and_is_told_once(world):
    touched = [_paid(world, "r1", "1000")]
    outcome = _sync(world, touched)
    assert outcome.complete and outcome.confirmed == {"7"}
    deal = world.bitrix.deals["7"]
    assert (deal[F["paid_status"]], deal[F["paid_sum"]], deal[F["remaining"]], deal[F["payment_date"]]) == (
        "partly", "1000.00", "2610.00", "2026-11-25")
    assert deal["STAGE_ID"] == "EXECUTING"
    assert len(world.bitrix.comments_of(7)) == 1 and "N-r1" in world.bitrix.comments_of(7)[0]

    # The same receipt version again (a repeated pull): nothing to write, nothing to tell.
    before = len(world.bitrix.sent)
    again = _sync(world, touched)
    assert again.complete and again.confirmed == set()  # confirmed: deals written, and none needed writing
    assert len(world.bitrix.methods("crm.deal.update")) == 1
    assert [m for m, _ in world.bitrix.sent[before:]] == ["crm.deal.list"]
    assert len(world.bitrix.comments_of(7)) == 1


def test_a_comment_is_sent_once_per_document_version(world):
    _sync(world, [_paid(world, "r1", "1000", "v1")])
    _sync(world, [_paid(world, "r1", "1000", "v1")])
    assert len(world.bitrix.comments_of(7)) == 1
    # The receipt is unposted in 1C: a new DataVersion, a new comment; the deal says it no longer counts.
    _sync(world, [_paid(world, "r1", "1000", "v2", posted=False)])
    comments = world.bitrix.comments_of(7)
    assert len(comments) == 2 and "проведение отменено" in comments[1]
    assert world.bitrix.deals["7"][F["paid_status"]] == "no"
    assert len(world.marks.scope(TOLD)) == 2


def test_the_stage_goes_forward_and_never_back(world):
    _sync(world, [_paid(world, "r1", "1000")])
    _sync(world, [_paid(world, "r2", "2610")])
    deal = world.bitrix.deals["7"]
    assert (deal[F["paid_status"]], deal[F["remaining"]], deal["STAGE_ID"]) == ("fully", "0.00", "FINAL_INVOICE")
    _sync(world, [_paid(world, "r2", "2610", "v2", posted=False)])
    deal = world.bitrix.deals["7"]
    assert (deal[F["paid_status"]], deal[F["paid_sum"]], deal["STAGE_ID"]) == ("partly", "1000.00", "FINAL_INVOICE")


def test_a_won_deal_gets_its_figures_but_keeps_its_stage(world):
    world.bitrix.deals["7"].update(STAGE_ID="WON", STAGE_SEMANTIC_ID="S")
    _sync(world, [_paid(world, "r1", "3610")])
    deal = world.bitrix.deals["7"]
    assert (deal[F["paid_status"]], deal["STAGE_ID"]) == ("fully", "WON")


def test_only_changed_fields_are_written(world):
    _sync(world, [_paid(world, "r1", "1000")])
    _sync(world, [_paid(world, "r3", "500")])
    updates = world.bitrix.methods("crm.deal.update")
    assert len(updates) == 2
    assert set(updates[1]["fields"]) == {F["paid_sum"], F["remaining"]}  # status, date and stage stay


def test_a_receipt_gone_from_the_order_is_told_as_vanished(world):
    _sync(world, [_paid(world, "r1", "1000")])
    world.documents.payments["o1"] = []  # marked for deletion: 1C no longer lists it against the order
    _sync(world, [Touched("o1", "r1", "v2", "N-r1", "payment")])
    assert world.bitrix.deals["7"][F["paid_status"]] == "no"
    assert "помечена на удаление" in world.bitrix.comments_of(7)[-1]


def test_shipped_partly_then_fully_moves_the_deal_to_the_shipped_stage(world):
    world.documents.ship("o1", "s1", "2400", number="S-1")
    _sync(world, [Touched("o1", "s1", "v1", "S-1", "shipment")], payments=False, shipments=True)
    deal = world.bitrix.deals["7"]
    assert (deal[F["shipment_status"]], deal["STAGE_ID"]) == ("partly", "PREPARATION")
    assert F["paid_status"] not in deal  # the shipments stream writes no payment figures
    world.documents.ship("o1", "s2", "1210", number="S-2")
    _sync(world, [Touched("o1", "s2", "v1", "S-2", "shipment")], payments=False, shipments=True)
    deal = world.bitrix.deals["7"]
    assert (deal[F["shipment_status"]], deal["STAGE_ID"]) == ("fully", "SHIPPED")
    assert len(world.bitrix.comments_of(7)) == 2


def test_deals_not_linked_or_gone_are_left_alone(world):
    world.bitrix.add_deal(8)
    world.link_deal(8, "o2")  # an order 1C no longer has
    del world.bitrix.deals["7"]  # deleted in Bitrix24 meanwhile
    outcome = _sync(world, [_paid(world, "r1", "1000"), Touched("o2", "r9", "v1", "N-r9"),
                            Touched("o3", "r8", "v1", "N-r8")])
    assert outcome.complete and outcome.confirmed == set()
    assert world.bitrix.methods("crm.deal.update") == [] and world.bitrix.comments == []


def test_a_push_cut_mid_way_marks_only_what_arrived_and_the_retry_sends_the_rest():
    world = FakePull(PROFILE, settings=STAGES)
    touched = []
    for n in range(1, 31):  # 30 deals × (update + comment) = 60 commands: two batch calls
        world.bitrix.add_deal(n, STAGE_ID="PREPARATION")
        world.documents.add_order(f"o{n}", f"ТД00-{n:06}", "3610.00")
        world.documents.pay(f"o{n}", f"r{n}", "100", number=f"N-{n}")
        world.link_deal(n, f"o{n}")
        touched.append(Touched(f"o{n}", f"r{n}", "v1", f"N-{n}", "payment"))
    # The deals' state is one call, the first push call goes through, the portal answers 503 to the second.
    world.bitrix.cut_batches(after=2, failing=1)
    first = _sync(world, touched)
    arrived = sum(len(c) for c in first.comments_added.values())
    assert first.failed and first.confirmed and 0 < arrived < 30
    assert all("not sent" in why for why in first.failed.values())
    assert len(world.bitrix.comments) == arrived
    assert len(world.marks.scope(TOLD)) == arrived  # marked: exactly the comments the portal has

    again = _sync(world, touched)
    assert again.complete and again.confirmed == set(first.failed)  # only the deals cut off are written now
    for n in range(1, 31):
        assert len(world.bitrix.comments_of(n)) == 1, n
        assert world.bitrix.deals[str(n)][F["paid_status"]] == "partly"
    assert len(world.marks.scope(TOLD)) == 30


def test_a_refused_update_is_reported_and_its_comment_not_repeated(world):
    world.bitrix.refuse("crm.deal.update", 7)
    touched = [_paid(world, "r1", "1000")]
    first = _sync(world, touched)
    assert not first.complete and set(first.failed) == {"7"} and first.confirmed == set()
    assert world.bitrix.deals["7"].get(F["paid_status"]) is None
    assert len(world.bitrix.comments_of(7)) == 1  # the comment command went through: it is marked

    world.bitrix.allow("crm.deal.update", 7)
    again = _sync(world, touched)
    assert again.complete and world.bitrix.deals["7"][F["paid_status"]] == "partly"
    assert len(world.bitrix.comments_of(7)) == 1


def test_comments_speak_the_language_handed_in():
    world = FakePull(PROFILE, settings=STAGES, lang="en", documents=FakeDocuments(PROFILE))
    world.bitrix.add_deal(7, STAGE_ID="PREPARATION")
    world.documents.add_order("o1", "ТД00-000012", "3610.00")
    world.link_deal(7, "o1")
    world.documents.pay("o1", "r1", "1000", number="N-r1")
    _sync(world, [Touched("o1", "r1", "v1", "N-r1", "payment")])
    assert "by bank transfer" in world.bitrix.comments_of(7)[0]


def test_links_of_another_portal_or_base_are_not_this_pulls():
    world = FakePull(PROFILE, settings=STAGES)
    world.bitrix.add_deal(7)
    world.documents.add_order("o1", "1", "10.00")
    world.link_deal(7, "o1", base_id=2)
    world.documents.pay("o1", "r1", "10")
    assert _sync(world, [Touched("o1", "r1", "v1")]).confirmed == set()
    assert world.bitrix.methods("crm.deal.update") == []
