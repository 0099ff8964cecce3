"""1C → Bitrix24, what used to be left behind (issue 12, "Not followed back"): a return from the customer, an order
closed in 1C and a sale unposted reach the deal through the real pull (sandbox 1C over HTTP, sandbox portal, real
Redis and database): shipped status net of returns, the returned sum, the stage the settings map, one timeline
comment per event, none repeated by later pulls."""

from __future__ import annotations

from decimal import Decimal

import pytest

from b24app.core.formatting import money
from b24app.core.model import money as to_money
from b24app.core.portal_settings import PortalSettings
from b24app.jobs.sync import pull_stream
from b24app.onec import refs
from b24app.onec.base import OneCBase
from b24app.onec.odata import ODataClient
from b24app.onec.readers import OneCDocuments
from tests.app import test_sync_pull as pull
from tests.app.conftest import RELEASE_BASES
from tests.app.test_sync_pull import F, _comments, _deal, _pay
from tests.support.sync_data import SANDBOX_EGRESS

pytestmark = pytest.mark.db
ordered = pull.ordered  # the fixture of the pull tests: a deal made into a posted 1C order of 3610 ₽

SALE = "Document_РеализацияТоваровУслуг"
RETURN = "Document_ВозвратТоваровОтКлиента"
ORDER = "Document_ЗаказКлиента"
RETURNED = "UF_CRM_B24_1C_RETURNED"
# The ordered fixture's stages (PREPARATION → EXECUTING partly paid → FINAL_INVOICE paid) plus the roles under test.
SHIPPED_STAGE, RETURNED_STAGE, CANCELLED_STAGE = "PREPAYMENT_INVOICE", "NEW", "NEW"


def _stages(ctx, member: str, **roles: str) -> None:
    settings, version = ctx.portal_settings.load(member)
    data = settings.to_json()
    data["stages"]["0"] = {**data["stages"]["0"], **roles}
    ctx.portal_settings.save(member, PortalSettings.from_json(data), version)


def _ship_all(o) -> dict:
    """A posted sale of every line of the order (2 × 1200 + 1 × 1210 = 3610 ₽), as a storekeeper makes it."""
    order = o["odata"].get(ORDER, o["order"].ref_key)
    sale = o["odata"].create(SALE, {
        "Организация_Key": order["Организация_Key"], "Партнер_Key": order["Партнер_Key"],
        "Контрагент_Key": order["Контрагент_Key"], "Валюта_Key": order["Валюта_Key"],
        "Склад_Key": order["Склад_Key"], "СуммаДокумента": order["СуммаДокумента"],
        "ЗаказКлиента": order["Ref_Key"], "ЗаказКлиента_Type": f"StandardODATA.{ORDER}",
        "Товары": [{k: line[k] for k in ("Номенклатура_Key", "Количество", "Цена", "Сумма")}
                   for line in order["Товары"]]})
    o["odata"].post_document(SALE, sale["Ref_Key"])
    return o["odata"].get(SALE, sale["Ref_Key"])


def _give_back(o, sale: dict, line: int, quantity: float) -> dict:
    """A posted return from the customer of `quantity` of the sale's line `line` (УТ 11 ВозвратТоваровОтКлиента:
    the sale in ДокументРеализации, header and row, as 1C fills it when the return is entered from the sale)."""
    row = sale["Товары"][line]
    amount = round(quantity * row["Цена"], 2)
    typed = {"ДокументРеализации": sale["Ref_Key"], "ДокументРеализации_Type": f"StandardODATA.{SALE}"}
    doc = o["odata"].create(RETURN, {
        "Организация_Key": sale["Организация_Key"], "Партнер_Key": sale["Партнер_Key"],
        "Контрагент_Key": sale["Контрагент_Key"], "Валюта_Key": sale["Валюта_Key"], "Склад_Key": sale["Склад_Key"],
        "ХозяйственнаяОперация": "ВозвратТоваровОтКлиента", "ЦенаВключаетНДС": True, "СуммаДокумента": amount,
        **typed, "Товары": [{"Номенклатура_Key": row["Номенклатура_Key"], "Количество": quantity,
                              "Цена": row["Цена"], "Сумма": amount, "СуммаСНДС": amount, **typed}]})
    o["odata"].post_document(RETURN, doc["Ref_Key"])
    return doc


def _pull(o) -> None:
    pull_stream(o["member"], "payments")
    pull_stream(o["member"], "shipments")


def test_returns_take_the_deal_back_from_shipped_and_say_so_once(ctx, ordered):
    o = ordered
    _stages(ctx, o["member"], shipped=SHIPPED_STAGE, returned=RETURNED_STAGE)
    _pay(o, 3610.0)
    sale = _ship_all(o)
    _pull(o)
    deal = _deal(o)
    assert (deal[F["shipped"]], deal["STAGE_ID"]) == ("fully", SHIPPED_STAGE)

    # One of the two units of the first line comes back: 1200 ₽ of 3610 ₽ is no longer shipped.
    first = _give_back(o, sale, 0, 1.0)
    _pull(o)
    deal = _deal(o)
    assert deal[F["shipped"]] == "partly"
    assert float(deal[RETURNED]) == pytest.approx(1200.0)
    # No longer fully shipped: back to the stage its money earns (paid in full), the only backward move.
    assert deal["STAGE_ID"] == "FINAL_INVOICE"
    told = [c for c in _comments(o) if "возврат товаров от клиента" in c]
    assert len(told) == 1 and f"№ {first['Number']}" in told[0] and money(Decimal("1200")) in told[0]

    # The rest comes back: nothing shipped is kept, the deal goes to the "returned" stage.
    _give_back(o, sale, 0, 1.0)
    _give_back(o, sale, 1, 1.0)
    _pull(o)
    deal = _deal(o)
    assert deal[F["shipped"]] == "no"
    assert float(deal[RETURNED]) == pytest.approx(3610.0)
    assert deal["STAGE_ID"] == RETURNED_STAGE
    assert sum("возврат товаров от клиента" in c for c in _comments(o)) == 3

    # Repeated pulls change nothing and tell nothing twice; payments do not pull the deal out of "returned".
    before = _comments(o)
    _pull(o)
    _pull(o)
    assert _comments(o) == before
    assert _deal(o)["STAGE_ID"] == RETURNED_STAGE


def test_an_order_closed_in_1c_moves_the_deal_to_the_mapped_stage_with_one_comment(ctx, ordered):
    o = ordered
    _stages(ctx, o["member"], cancelled_in_1c=CANCELLED_STAGE)
    _pull(o)
    assert _deal(o)["STAGE_ID"] == "PREPARATION"
    # The manager closes the order in 1C before anything shipped: status Закрыт (enum СтатусыЗаказовКлиентов).
    o["odata"].update(ORDER, o["order"].ref_key, {"Статус": "Закрыт"})
    _pull(o)
    deal = _deal(o)
    assert deal["STAGE_ID"] == CANCELLED_STAGE
    closed = [c for c in _comments(o) if "закрыт в 1С" in c]
    assert len(closed) == 1 and o["order"].number in closed[0]
    # Another edit of the closed order: still one comment.
    o["odata"].update(ORDER, o["order"].ref_key, {"Комментарий": "закрыт по просьбе клиента"})
    _pull(o)
    assert sum("закрыт в 1С" in c for c in _comments(o)) == 1


def test_a_sale_unposted_drops_the_shipped_flag_and_the_stage(ctx, ordered):
    o = ordered
    _stages(ctx, o["member"], shipped=SHIPPED_STAGE)
    _pay(o, 1000.0)
    sale = _ship_all(o)
    _pull(o)
    deal = _deal(o)
    assert (deal[F["shipped"]], deal["STAGE_ID"]) == ("fully", SHIPPED_STAGE)

    o["odata"].unpost_document(SALE, sale["Ref_Key"])
    _pull(o)
    deal = _deal(o)
    assert deal[F["shipped"]] == "no"
    assert deal["STAGE_ID"] == "EXECUTING"  # partly paid: the stage its money earns
    assert sum("отменена в 1С" in c and f"№ {sale['Number']}" in c for c in _comments(o)) == 1
    before = _comments(o)
    _pull(o)
    assert _comments(o) == before


def test_an_order_whose_rows_are_all_cancelled_in_1c_is_cancelled_on_the_deal(ctx, ordered):
    o = ordered
    _stages(ctx, o["member"], cancelled_in_1c=CANCELLED_STAGE)
    # Every row cancelled (Товары.Отменено); a tabular section is written whole (platform docs 17.4.13.1.3).
    rows = o["odata"].get(ORDER, o["order"].ref_key)["Товары"]
    o["odata"].update(ORDER, o["order"].ref_key, {"Товары": [{**r, "Отменено": True} for r in rows]})
    _pull(o)
    _pull(o)
    assert _deal(o)["STAGE_ID"] == CANCELLED_STAGE
    assert sum("отменён в 1С: все строки заказа отменены" in c for c in _comments(o)) == 1


@pytest.mark.parametrize("base", ["ut4", "bp", "bp83"])
def test_seeded_returns_count_against_their_orders_on_other_releases(releases_url, base):
    """The sandbox bases of УТ 11.4, БП 3.0.198 and БП 3.0.83 serve the configuration's own return document (seeded
    by seed_returns.py); the reader finds each return through the order's sales and nets it out of "shipped"."""
    client = ODataClient(OneCBase(url=f"{releases_url}/{base}/", login="Администратор", password="secret",
                                  profile=RELEASE_BASES[base][1], name=base), egress=SANDBOX_EGRESS)
    reader = OneCDocuments(client)
    returns, sales = reader.profile.object("customer_return"), reader.profile.object("shipment")
    order_ref = sales.spec_of("order" if sales.has("order") else "invoice")
    order_set = reader.profile.object("customer_order").entity_set
    rows = client.query(returns.entity_set, filter="Posted eq true", top=3).rows
    assert rows, f"no seeded returns in {base}"
    for row in rows:
        sale_key = refs.read(returns.spec_of("sale"), row, sales.entity_set)
        order_key = refs.read(order_ref, client.get(sales.entity_set, sale_key), None)
        docs = reader.order_documents(reader.order_by_key(order_key))
        # Independently: every posted return naming a posted sale of this order, by the sale, summed by document.
        sold = client.query(sales.entity_set,
                            filter=f"Posted eq true and {refs.equals(order_ref, order_key, order_set)}").rows
        given_back = [r for s in sold for r in client.query(returns.entity_set, filter=(
            f"Posted eq true and {refs.equals(returns.spec_of('sale'), s['Ref_Key'], sales.entity_set)}")).rows]
        expected = sum((to_money(r["СуммаДокумента"]) for r in given_back), Decimal(0))
        assert docs.returned == expected > 0
        assert docs.shipped == max(sum((to_money(s["СуммаДокумента"]) for s in sold), Decimal(0)) - expected,
                                   Decimal(0))
