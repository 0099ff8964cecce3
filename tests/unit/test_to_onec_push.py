"""`DealOrders.push` on in-memory fakes of what the job layer hands it (`tests/support/fakes_onec.py`): no Redis,
database or HTTP. What 1C and the deal end up holding, and what is never written: a redelivered event that changes
nothing, a deal without an INN, a deal another job holds, a base known to be down."""

from __future__ import annotations

import pytest

from b24app.core.errors import BaseUnavailable, Busy, PermanentSyncError
from b24app.core.portal_settings import PortalSettings, Schedules, StageMap
from b24app.sync.to_onec.legal_entity import order_links_elsewhere
from b24app.sync.to_onec.order_model import PUSHED, PUSHED_INPUT, TOLD, order_key, pushed_key
from b24app.sync.to_onec.orders import DealOrders
from tests.support.fakes_onec import MEMBER, FakeOneC, World

ORDERS = "Document_ЗаказКлиента"
COUNTERPARTIES = "Catalog_Контрагенты"
ORDER_STAGE = "C0:PREPAYMENT_INVOICE"
BUYER_INN, BUYER_KPP = "7736207543", "770401001"


def _world(*, inn: str = BUYER_INN, push_to_1c: bool = True) -> tuple[World, FakeOneC]:
    world = World(settings=PortalSettings(stages={"0": StageMap(make_order=ORDER_STAGE)},
                                          schedules=Schedules(push_to_1c=push_to_1c)))
    onec = world.add_base(1)
    table = onec.add("Catalog_Номенклатура", Description="Стол", ЕдиницаИзмерения_Key="unit-pcs",
                     СтавкаНДС_Key="vat-20")
    chair = onec.add("Catalog_Номенклатура", Description="Стул", Артикул="CH-1", ЕдиницаИзмерения_Key="unit-pcs")
    world.portal.add_product("501", table["Ref_Key"], "Стол")
    world.portal.add_product("502", "CH-1", "Стул")  # an article, not a 1C reference
    world.portal.add_company("12", "Ромашка", inn, BUYER_KPP)
    world.portal.add_deal("7", "12", [
        {"PRODUCT_ID": "501", "PRODUCT_NAME": "Стол", "PRICE": 1200, "QUANTITY": 2, "TAX_RATE": 20},
        {"PRODUCT_ID": "502", "PRODUCT_NAME": "Стул", "PRICE": 500, "QUANTITY": 4, "TAX_RATE": 20},
    ], STAGE_ID=ORDER_STAGE)
    assert chair["Ref_Key"]
    return world, onec


def test_a_deal_in_the_order_stage_makes_one_posted_order_written_back_to_the_deal():
    world, onec = _world()
    result = DealOrders(world.deps()).push("7")

    assert result.outcome == "created" and result.base_id == 1
    [order] = onec.rows(ORDERS)
    assert order["Posted"] and order_key(MEMBER, "7") in order["Комментарий"].split()
    assert order["СуммаДокумента"] == 4400.0
    assert [line["Количество"] for line in order["Товары"]] == [2.0, 4.0]
    [buyer] = onec.rows(COUNTERPARTIES)
    assert (buyer["ИНН"], buyer["КПП"]) == (BUYER_INN, BUYER_KPP)
    assert order["Контрагент_Key"] == buyer["Ref_Key"] and order["Партнер_Key"] == buyer["Партнер_Key"]
    assert world.locks.taken == ["deal:7", f"counterparty:{BUYER_INN}:{BUYER_KPP}"]

    deal = world.portal.deals["7"]
    assert deal["UF_CRM_B24_1C_ORDER"] == order["Number"] == result.number
    assert deal["UF_CRM_B24_1C_ORDER_URL"].startswith("http://1c.test/ut/#e1cib/data/Документ.ЗаказКлиента?ref=")
    [comment] = world.portal.comments
    assert order["Number"] in comment["COMMENT"] and comment["ENTITY_ID"] == "7"
    assert {(lk.b24_type, lk.onec_ref) for lk in world.links.links} == {("deal", order["Ref_Key"]),
                                                                         ("company", buyer["Ref_Key"])}
    [entry] = world.journal.entries
    assert (entry.kind, entry.status, entry.items, entry.base_id) == ("deal_order", "ok", 1, 1)
    assert world.fields_ensured == 1


def test_an_unchanged_deal_is_skipped_by_its_fingerprint_and_nothing_is_written():
    world, onec = _world()
    orders = DealOrders(world.deps())
    first = orders.push("7")
    writes_1c, writes_portal = list(onec.writes), world.portal.writes()
    reads_1c, journaled = onec.reads, len(world.journal.entries)

    again = orders.push("7")  # the same event redelivered (or our own write-back's): the deal did not change

    assert (again.outcome, again.ref_key, again.number) == ("unchanged", first.ref_key, first.number)
    assert onec.reads == reads_1c and onec.writes == writes_1c  # 1C is not even asked
    assert world.portal.writes() == writes_portal  # no field written, no second comment
    assert len(onec.rows(ORDERS)) == 1 and len(world.portal.comments) == 1
    assert len(world.journal.entries) == journaled  # no exchange happened

    world.marks.put(PUSHED_INPUT, pushed_key(MEMBER, "deal", "7"), "made from something else")
    checked = orders.push("7")  # the Bitrix24 side looks changed: 1C is read, the body is the same: no write
    assert checked.outcome == "unchanged" and onec.reads > reads_1c and onec.writes == writes_1c
    assert (world.journal.entries[-1].status, world.journal.entries[-1].items) == ("skipped", 0)

    world.portal.rows["7"][1]["QUANTITY"] = 5  # a real change goes through to the same order, told no more
    changed = orders.push("7")
    assert (changed.outcome, changed.ref_key) == ("updated", first.ref_key)
    assert onec.writes[len(writes_1c):] == [("update", ORDERS, first.ref_key), ("post", ORDERS, first.ref_key)]
    assert [line["Количество"] for line in onec.rows(ORDERS)[0]["Товары"]] == [2.0, 5.0]
    assert len(world.portal.comments) == 1


def test_a_fingerprint_of_another_body_does_not_skip():
    world, onec = _world()
    orders = DealOrders(world.deps())
    orders.push("7")
    world.marks.put(PUSHED, pushed_key(MEMBER, "deal", "7"), "something else was sent")
    assert orders.push("7").outcome == "unchanged"  # the deal itself did not change: 1C is not asked
    world.marks.put(PUSHED_INPUT, pushed_key(MEMBER, "deal", "7"), "made from something else")
    assert orders.push("7").outcome == "updated"


def test_the_send_button_always_reaches_1c():
    world, onec = _world()
    orders = DealOrders(world.deps())
    orders.push("7")
    reads = onec.reads
    assert orders.push("7", force=True).outcome == "unchanged" and onec.reads > reads


def test_a_deal_without_inn_is_a_permanent_error_naming_the_fix_and_writes_nothing():
    world, onec = _world(inn="")
    with pytest.raises(PermanentSyncError, match=r"company 12 «Ромашка» has no INN in its requisites \(RQ_INN\)") \
            as caught:
        DealOrders(world.deps()).push("7")
    assert onec.writes == [] and world.portal.writes() == []
    assert getattr(caught.value, "journaled", False)  # the job layer does not journal it twice
    [entry] = world.journal.entries
    assert entry.status == "error" and "RQ_INN" in entry.error


def test_an_existing_counterparty_is_found_by_inn_and_kpp_without_the_lock():
    world, onec = _world()
    onec.add(COUNTERPARTIES, Description="Ромашка (филиал)", ИНН=BUYER_INN, КПП="770402002", Партнер_Key="p-2")
    head = onec.add(COUNTERPARTIES, Description="Ромашка", ИНН=BUYER_INN, КПП=BUYER_KPP, Партнер_Key="p-1")
    DealOrders(world.deps()).push("7")
    [order] = onec.rows(ORDERS)
    assert (order["Контрагент_Key"], order["Партнер_Key"]) == (head["Ref_Key"], "p-1")
    assert len(onec.rows(COUNTERPARTIES)) == 2 and world.locks.taken == ["deal:7"]


def test_a_lost_deal_cancels_its_order_and_one_never_ordered_is_left_alone():
    world, onec = _world()
    orders = DealOrders(world.deps())
    made = orders.push("7")
    world.portal.deals["7"].update(STAGE_ID="LOSE", STAGE_SEMANTIC_ID="F")
    cancelled = orders.push("7")
    assert (cancelled.outcome, cancelled.ref_key) == ("cancelled", made.ref_key)
    [order] = onec.rows(ORDERS)
    assert order["Статус"] == "Закрыт" and all(line["Отменено"] for line in order["Товары"])
    assert len(world.portal.comments) == 2
    assert world.marks.get(TOLD, f"{MEMBER}:deal:7:{made.ref_key}:cancelled") == "1"

    other, other_onec = _world()
    other.portal.deals["7"].update(STAGE_ID="LOSE", STAGE_SEMANTIC_ID="F")
    assert DealOrders(other.deps()).push("7").outcome == "skipped"
    assert other_onec.writes == [] and other.journal.entries == []


def test_a_deal_another_job_holds_is_busy_and_not_even_read():
    world, onec = _world()
    world.locks.held.add("deal:7")
    with pytest.raises(Busy, match="deal 7 is being sent to 1C by another job"):
        DealOrders(world.deps()).push("7")
    assert world.portal.sent == [] and onec.reads == 0


def test_a_base_known_to_be_down_is_not_called():
    world, onec = _world()
    world.circuit(1).down_until = 2_000_000_000.0
    with pytest.raises(BaseUnavailable) as caught:
        DealOrders(world.deps()).push("7")
    assert caught.value.base_id == 1 and caught.value.retry_at == 2_000_000_000.0
    assert onec.reads == 0 and onec.writes == [] and world.journal.entries == []


def test_sending_switched_off_skips_unless_the_button_forces_it():
    world, onec = _world(push_to_1c=False)
    orders = DealOrders(world.deps())
    skipped = orders.push("7")
    assert skipped.outcome == "skipped" and "switched off" in skipped.reason and world.portal.sent == []
    world.portal.deals["7"]["STAGE_ID"] = "NEW"  # the button orders whatever the stage
    assert orders.push("7", force=True).outcome == "created"


def test_a_deal_that_no_longer_exists_is_skipped():
    world, _ = _world()
    result = DealOrders(world.deps()).push("404")
    assert result.outcome == "skipped" and "no longer exists" in result.reason


def test_an_unknown_product_is_a_permanent_error_naming_the_row():
    world, onec = _world()
    world.portal.products["502"]["XML_ID"] = "NO-SUCH-ARTICLE"
    with pytest.raises(PermanentSyncError, match="product row «Стул»: 1C has no item for XML_ID/article"):
        DealOrders(world.deps()).push("7")
    assert [w for w in onec.writes if w[1] == ORDERS] == []


def test_the_orders_in_other_bases_are_the_deals_customer_order_links_there():
    world, _ = _world()
    world.add_base(2)
    world.links.put(MEMBER, 2, "deal", "7", ORDERS, "ref-in-2", "ТД00-000009")
    world.links.put(MEMBER, 2, "deal", "7", "Document_СчетНаОплатуКлиенту", "invoice-ref")
    world.links.put(MEMBER, 1, "deal", "7", ORDERS, "ref-in-1")
    [elsewhere] = order_links_elsewhere(world.deps(), "7", 1)
    assert (elsewhere.base_id, elsewhere.onec_ref) == (2, "ref-in-2")
    assert order_links_elsewhere(world.deps(), "7", 2)[0].onec_ref == "ref-in-1"
