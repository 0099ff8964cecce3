"""Order rows exactly as the deal has them, end to end: the sandbox portal, the sandbox 1C (УТ 11.5), real Redis and
RQ workers through the outbox. Every field of every 1C goods line is compared with the deal's rows — a percent and
an absolute discount, prices with VAT inside and on top, pieces (OKEI 796) and kilograms (166), roubles and
dollars — and the warehouse is the one the settings chose for the deal's pipeline."""

from __future__ import annotations

import pytest

from b24app.core.portal_settings import PortalSettings
from b24app.sync.to_onec.orders import order_key
from tests.support import sync_data as sd

pytestmark = pytest.mark.db

UNITS, CURRENCIES, VAT_RATES, WAREHOUSES = ("Catalog_УпаковкиЕдиницыИзмерения", "Catalog_Валюты", "Catalog_СтавкиНДС",
                                            "Catalog_Склады")
PCS, KG = (796, "шт"), (166, "кг")


@pytest.fixture
def shop(ctx, configured_base, sandbox_url, onec_url, settings_env, monkeypatch):
    """A manager's portal with three catalog items, a company with requisites and the order stage set; the 1C
    base also keeps the US dollar (taken from the classifier, as an accountant does before selling in it)."""
    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="3", B24APP_SYNC_RETRY_BASE_SECONDS="1")
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    odata = sd.onec(onec_url)
    odata.create(CURRENCIES, {"Code": "840", "Description": "USD", "НаименованиеПолное": "Доллар США"})
    items = sd.catalog_items(client, odata, 3)
    _, company, _ = sd.deal_with_company(client)
    sd.order_on_stage(ctx, member)
    return dict(member=member, client=client, odata=odata, items=items, company=company, base=configured_base)


def _row(item, price, quantity, unit, *, tax=None, included="Y", percent=None, absolute=None) -> dict:
    row = {"PRODUCT_ID": item.product_id, "PRODUCT_NAME": item.name, "PRICE": price, "QUANTITY": quantity,
           "TAX_RATE": tax, "TAX_INCLUDED": included, "MEASURE_CODE": unit[0], "MEASURE_NAME": unit[1]}
    if percent is not None:
        row.update(DISCOUNT_TYPE_ID=2, DISCOUNT_RATE=percent)
    if absolute is not None:
        row.update(DISCOUNT_TYPE_ID=1, DISCOUNT_SUM=absolute)
    return row


def _ordered_deal(ctx, sandbox_url, shop, rows: list[dict], currency: str = "RUB") -> tuple[str, dict]:
    """A new deal of the company with these rows, moved to the order stage and sent through the outbox; the
    deal's order in 1C."""
    client = shop["client"]
    deal = sd.new_deal(client, shop["company"]["ID"], f"Поставка в {currency}")
    client.call("crm.deal.update", {"id": deal, "fields": {"CURRENCY_ID": currency}})
    client.call("crm.deal.productrows.set", {"id": deal, "rows": rows})
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    sd.settle(ctx, sandbox_url)
    orders = sd.orders_with_key(shop["odata"], order_key(shop["member"], deal))
    assert len(orders) == 1, [(d.entity_id, d.last_error) for d in ctx.outbox.dead(shop["member"])]
    return deal, orders[0]


def _named(odata, entity_set: str, key: str, field: str) -> str:
    return str(odata.get(entity_set, key, select=[field])[field]).strip()


def _line_view(odata, line: dict) -> tuple:
    """A 1C goods line with its references read back as what they name: the unit's OKEI code and the VAT
    rate's enumeration value."""
    return (line["Номенклатура_Key"], _named(odata, UNITS, line["Упаковка_Key"], "Code"),
            _named(odata, VAT_RATES, line["СтавкаНДС_Key"], "ПеречислениеСтавкаНДС"), line["Количество"],
            line["КоличествоУпаковок"], line["Цена"], line["ПроцентРучнойСкидки"], line["СуммаРучнойСкидки"],
            line["Сумма"], line["СуммаНДС"], line["СуммаСНДС"], line["Отменено"])


def test_rows_with_vat_inside_carry_price_discounts_units_and_vat_as_the_deal_has_them(ctx, sandbox_url, shop):
    a, b, c = shop["items"]
    odata = shop["odata"]
    deal, order = _ordered_deal(ctx, sandbox_url, shop, [
        # 1 000 net + 20 % = 1 200 a piece, 10 % off: 1 080; three pieces.
        _row(a, 1080, 3, PCS, tax=20, percent=10),
        # 500 net less 25 a kilogram = 475, + 20 % = 570; 2.5 kg.
        _row(b, 570, 2.5, KG, tax=20, absolute=25),
        # 90.90 net + 10 % = 99.99, no discount.
        _row(c, 99.99, 1, PCS, tax=10),
    ])
    rows = shop["client"].call("crm.deal.productrows.get", {"id": deal}).result
    # What the portal made of them (crm-deal-productrows-get.md): per-unit prices without / with tax and discount.
    assert [(r["PRICE_NETTO"], r["PRICE_BRUTTO"], r["DISCOUNT_RATE"], r["DISCOUNT_SUM"]) for r in rows] == [
        (1000, 1200, 10, 100), (500, 600, 5, 25), (90.9, 99.99, 0, 0)]

    assert order["Posted"] is True and order["ЦенаВключаетНДС"] is True
    assert _named(odata, CURRENCIES, order["Валюта_Key"], "Code") == "643"
    assert [_line_view(odata, line) for line in order["Товары"]] == [
        # item, OKEI, VAT, quantity, packages, price, discount %, discount, amount, VAT, amount with VAT, cancelled
        (a.ref_key, "796", "НДС20", 3, 3, 1200, 10, 360, 3240, 540, 3240, False),
        (b.ref_key, "166", "НДС20", 2.5, 2.5, 600, 5, 75, 1425, 237.5, 1425, False),
        (c.ref_key, "796", "НДС10", 1, 1, 99.99, 0, 0, 99.99, 9.09, 99.99, False),
    ]
    deal_fields = shop["client"].call("crm.deal.get", {"id": deal}).result
    assert order["СуммаДокумента"] == pytest.approx(float(deal_fields["OPPORTUNITY"])) == pytest.approx(4764.99)


def test_a_dollar_deal_with_vat_on_top_and_a_row_without_vat(ctx, sandbox_url, shop):
    a, b, _ = shop["items"]
    odata = shop["odata"]
    deal, order = _ordered_deal(ctx, sandbox_url, shop, [
        # 100 net, 15 % off = 85, + 20 % on top = 102 a piece; four pieces.
        _row(a, 102, 4, PCS, tax=20, included="N", percent=15),
        # 40 a kilogram less 2.50, no VAT: 37.50; two kilograms.
        _row(b, 37.5, 2, KG, tax=None, included="N", absolute=2.5),
    ], currency="USD")
    assert _named(odata, CURRENCIES, order["Валюта_Key"], "Code") == "840"
    assert order["ЦенаВключаетНДС"] is False
    assert [_line_view(odata, line) for line in order["Товары"]] == [
        (a.ref_key, "796", "НДС20", 4, 4, 100, 15, 60, 340, 68, 408, False),
        (b.ref_key, "166", "БезНДС", 2, 2, 40, 6.25, 5, 75, 0, 75, False),
    ]
    deal_fields = shop["client"].call("crm.deal.get", {"id": deal}).result
    assert order["СуммаДокумента"] == pytest.approx(float(deal_fields["OPPORTUNITY"])) == pytest.approx(483)


def _warehouses(ctx, member: str, mapping: dict[str, str]) -> None:
    settings, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, PortalSettings.from_json({**settings.to_json(), "warehouses": mapping}),
                             version)


def test_the_warehouse_is_the_one_chosen_for_the_pipeline_then_the_base_and_a_deleted_one_is_refused(
        ctx, sandbox_url, shop):
    odata, member, base_id = shop["odata"], shop["member"], shop["base"].id
    by_name = {w["Description"]: w["Ref_Key"] for w in odata.query(
        WAREHOUSES, filter="IsFolder eq false", select=["Ref_Key", "Description"]).rows}
    first = odata.query(WAREHOUSES, filter="IsFolder eq false and DeletionMark eq false", select=["Ref_Key"],
                        orderby="Description", top=1).rows[0]["Ref_Key"]
    main, podolsk = by_name["Основной склад"], by_name["Склад Подольск"]
    assert first not in (main, podolsk)  # neither is what "the first warehouse" would give
    rows = [_row(shop["items"][0], 1200, 1, PCS, tax=20)]

    _warehouses(ctx, member, {str(base_id): podolsk, f"{base_id}:0": main})
    _, order = _ordered_deal(ctx, sandbox_url, shop, rows)
    assert order["Склад_Key"] == main  # the deal's pipeline (0) has its own

    _warehouses(ctx, member, {str(base_id): podolsk})
    _, order = _ordered_deal(ctx, sandbox_url, shop, rows)
    assert order["Склад_Key"] == podolsk  # no pipeline entry: the base's

    _warehouses(ctx, member, {})
    _, order = _ordered_deal(ctx, sandbox_url, shop, rows)
    assert order["Склад_Key"] == first  # nothing chosen: the first, as before

    # The chosen warehouse is marked for deletion in 1C: the next deal is a dead letter saying so.
    odata.update(WAREHOUSES, podolsk, {"DeletionMark": True})
    _warehouses(ctx, member, {str(base_id): podolsk})
    client = shop["client"]
    deal = sd.new_deal(client, shop["company"]["ID"], "Со склада, которого больше нет")
    client.call("crm.deal.productrows.set", {"id": deal, "rows": rows})
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    sd.settle(ctx, sandbox_url)
    assert sd.orders_with_key(odata, order_key(member, deal)) == []
    [dead] = [d for d in ctx.outbox.dead(member) if d.entity_id == deal]
    assert "warehouse chosen in the settings «Склад Подольск» is marked for deletion in 1C" in dead.last_error
    assert dead.attempts == 1  # permanent: no retries spent on it


def test_the_vat_rate_of_2026_goes_to_1c_as_nds22(ctx, sandbox_url, shop):
    """22 % (the rate from 1 January 2026) on УТ 11.5.27, whose enumeration and VAT catalog hold НДС22:
    122,00 with VAT inside is 100,00 + 22,00."""
    odata, items = shop["odata"], shop["items"]
    _, order = _ordered_deal(ctx, sandbox_url, shop, [_row(items[0], 122.0, 1, PCS, tax=22)])
    [line] = order["Товары"]
    assert _named(odata, VAT_RATES, line["СтавкаНДС_Key"], "ПеречислениеСтавкаНДС") == "НДС22"
    assert (line["Сумма"], line["СуммаНДС"]) == (pytest.approx(122.0), pytest.approx(22.0))
