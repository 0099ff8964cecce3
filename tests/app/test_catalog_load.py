"""The catalog stream end to end: the sandbox 1C's catalog (groups, items, characteristics, OKEI units, barcodes,
three price types, five warehouses) into the sandbox portal's product catalog through the real REST protocol, once
and exactly once; then 1C's changes within one run; with inventory management off (product quantities) and on
(store documents)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from b24app.core.catalog_settings import CatalogSettings
from b24app.jobs.catalog import catalog_links, run_base
from b24app.store.catalog_links import OFFER, PRODUCT
from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support.processes import get_json, post_json, start_server

pytestmark = pytest.mark.db
ITEMS = 60


@pytest.fixture(scope="module")
def catalog_sandbox():
    server = start_server(["b24sandbox.onec", "--port", "0", "--counterparties", "20", "--catalog", str(ITEMS),
                           "--user", ONEC_LOGIN, "--password", ONEC_PASSWORD, "--bases", "ut:ut11,bp:bp30,unf:unf"],
                          "SANDBOX_1C_URL")
    yield server
    server.stop()


@pytest.fixture
def onec(catalog_sandbox) -> str:
    post_json(catalog_sandbox.url + "/_sandbox/reset")
    return catalog_sandbox.url


def configure(ctx, sandbox_url: str, onec: str, name: str, profile: str, **catalog) -> tuple[str, int]:
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    base = ctx.bases.save(member_id, name=f"База {name}", url=f"{onec}/{name}/", login=ONEC_LOGIN,
                          password=ONEC_PASSWORD, profile=profile, legal_entity="ООО «Ромашка»",
                          legal_entity_inn="7707083893")
    current, version = ctx.portal_settings.load(member_id)
    ctx.portal_settings.save(member_id, replace(current, catalog=CatalogSettings(enabled=True, **catalog)), version)
    return member_id, base.id


def portal_products(ctx, member_id: str) -> list[dict]:
    bitrix = ctx.bitrix(member_id)
    return list(bitrix.iterate_by_id("catalog.product.list", {"filter": {"iblockId": 23},
                                                              "select": ["id", "iblockId", "xmlId", "name", "active",
                                                                         "quantity", "measure", "vatId"]},
                                     id_field="id", page_key="products"))


@pytest.mark.parametrize("name,profile", [("ut", "ut11"), ("bp", "bp30"), ("unf", "unf")])
def test_first_load_creates_each_product_once_and_a_second_run_writes_nothing(ctx, installed, sandbox_url, onec,
                                                                               name, profile):
    member_id, base_id = configure(ctx, sandbox_url, onec, name, profile)
    first = run_base(ctx, member_id, base_id)
    assert not first.refused, first.refused
    products = [p for p in portal_products(ctx, member_id) if p.get("xmlId") and p["xmlId"] != str(p["id"])]
    keys = [p["xmlId"] for p in products]
    assert len(keys) == len(set(keys)) == first.created - _offers(ctx, member_id, base_id)
    second = run_base(ctx, member_id, base_id)
    assert second.written == 0, second
    assert len(portal_products(ctx, member_id)) == len(portal_products(ctx, member_id))


def _offers(ctx, member_id: str, base_id: int) -> int:
    return catalog_links(ctx).count(member_id, base_id, OFFER)



# -- what 1C holds, read straight from the sandbox's OData (not through the app's reader) --------------------------

def odata(onec: str, base: str, resource: str, **params) -> list[dict]:
    import requests

    auth = (ONEC_LOGIN.encode("utf-8"), ONEC_PASSWORD.encode("utf-8"))  # 1C takes the login as UTF-8
    response = requests.get(f"{onec}/{base}/odata/standard.odata/{resource}", auth=auth,
                            params={"$format": "json", **params}, timeout=30)
    response.raise_for_status()
    return response.json()["value"]


def ut_expected(onec: str) -> dict[str, dict]:
    """УТ 11: every item with its latest retail price ("Розничная") and its stock summed over the warehouses."""
    items = {r["Ref_Key"]: r for r in odata(onec, "ut", "Catalog_Номенклатура") if not r["IsFolder"]}
    kinds = {r["Description"]: r["Ref_Key"] for r in odata(onec, "ut", "Catalog_ВидыЦен")}
    owners = {r["Owner"] for r in odata(onec, "ut", "Catalog_ХарактеристикиНоменклатуры")}
    prices: dict[str, float] = {}
    for r in odata(onec, "ut", "InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast()"):
        if r["ВидЦены_Key"] == kinds["Розничная"]:
            prices[r["Номенклатура_Key"]] = r["Цена"]
    stock: dict[str, Decimal] = {}
    for r in odata(onec, "ut", "AccumulationRegister_ТоварыНаСкладах/Balance()"):
        # A store 1C shows below zero holds nothing in the portal (it keeps no negative stock).
        quantity = max(Decimal(str(r["ВНаличииBalance"])), Decimal(0))
        stock[r["Номенклатура_Key"]] = stock.get(r["Номенклатура_Key"], Decimal(0)) + quantity
    return {k: {"name": r["Description"], "deleted": r["DeletionMark"], "article": r["Артикул"],
                "variants": k in owners, "price": prices.get(k), "stock": stock.get(k, Decimal(0)),
                "service": r["ТипНоменклатуры"] == "Услуга"} for k, r in items.items()}


def test_products_carry_1c_names_articles_prices_and_stock(ctx, installed, sandbox_url, onec):
    """Inventory management off: each product's base price is 1C's retail price, its quantity 1C's stock."""
    expected = ut_expected(onec)
    kinds = {r["Description"]: r["Ref_Key"] for r in odata(onec, "ut", "Catalog_ВидыЦен")}
    member_id, base_id = configure(ctx, sandbox_url, onec, "ut", "ut11")
    settings, version = ctx.portal_settings.load(member_id)
    ctx.portal_settings.save(member_id, replace(settings, catalog=replace(
        settings.catalog, base_price_type={str(base_id): kinds["Розничная"]})), version)
    run_base(ctx, member_id, base_id)
    bitrix = ctx.bitrix(member_id)
    products = {p["xmlId"]: p for p in portal_products(ctx, member_id)}
    live = {k: e for k, e in expected.items() if not e["deleted"]}
    assert set(live) <= set(products)
    assert not {k for k, e in expected.items() if e["deleted"]} & set(products)  # never created
    base_type = next(t["id"] for t in bitrix.list_all("catalog.priceType.list", {}, page_key="priceTypes")
                     if t["base"] == "Y")
    simple = {k: e for k, e in live.items() if not e["variants"] and e["price"] is not None}
    answers = bitrix.batch({k: ("catalog.price.list", {"filter": {"productId": products[k]["id"]}})
                            for k in simple}).results
    checked = 0
    for key, e in live.items():
        assert products[key]["name"] == e["name"] and products[key]["active"] == "Y"
    for key, e in simple.items():
        prices = answers[key]["prices"]
        assert {float(x["price"]) for x in prices if x["catalogGroupId"] == base_type} == {e["price"]}
        assert len(prices) == 3  # the three 1C price types
        if not e["service"]:
            assert Decimal(str(products[key]["quantity"])) == e["stock"], e["name"]
        checked += 1
    assert checked >= ITEMS // 2


def goods(onec: str, base: str = "ut") -> list[dict]:
    """Catalog goods (not services, not marked, no characteristics) in code order."""
    owners = {r["Owner"] for r in odata(onec, base, "Catalog_ХарактеристикиНоменклатуры")}
    return sorted((r for r in odata(onec, base, "Catalog_Номенклатура") if not r["IsFolder"]
                   and not r["DeletionMark"] and r["ТипНоменклатуры"] == "Товар" and r["Ref_Key"] not in owners
                   and r["Code"] >= "00-00010000"), key=lambda r: r["Code"])


def test_changes_in_1c_arrive_in_one_run_and_cost_only_their_writes(ctx, installed, sandbox_url, onec):
    member_id, base_id = configure(ctx, sandbox_url, onec, "ut", "ut11")
    run_base(ctx, member_id, base_id)
    renamed, marked, priced, stocked = goods(onec)[:4]
    kinds = {r["Description"]: r["Ref_Key"] for r in odata(onec, "ut", "Catalog_ВидыЦен")}
    warehouse = odata(onec, "ut", "Catalog_Склады")[-1]["Ref_Key"]
    control = f"{onec}/_sandbox/ut/catalog"
    added = post_json(f"{control}/item", {"name": "Новый товар из 1С", "article": "NEW-1", "unit": "796"})
    post_json(f"{control}/rename", {"item": renamed["Ref_Key"], "name": "Переименованный товар"})
    post_json(f"{control}/delete", {"item": marked["Ref_Key"], "deleted": True})
    post_json(f"{control}/price", {"item": priced["Ref_Key"], "price_type": kinds["Оптовая"], "price": 777.77})
    post_json(f"{control}/stock", {"item": stocked["Ref_Key"], "warehouse": warehouse, "quantity": 5})

    before = get_json(sandbox_url + "/_sandbox/state")["requests"]
    figures = run_base(ctx, member_id, base_id)
    used = get_json(sandbox_url + "/_sandbox/state")["requests"] - before
    assert (figures.created, figures.updated, figures.deactivated) == (1, 1, 1), figures
    assert figures.prices == 1  # the repriced item (the new one has no price in 1C yet)
    assert figures.stock == 2  # the moved item, and the new one's nil
    products = {p["xmlId"]: p for p in portal_products(ctx, member_id)}
    assert products[added["Ref_Key"]]["name"] == "Новый товар из 1С"
    assert products[renamed["Ref_Key"]]["name"] == "Переименованный товар"
    assert products[marked["Ref_Key"]]["active"] == "N"  # deactivated, never deleted
    bitrix = ctx.bitrix(member_id)
    prices = bitrix.call("catalog.price.list", {"filter": {"productId": products[priced["Ref_Key"]]["id"]}}).result
    assert 777.77 in {float(p["price"]) for p in prices["prices"]}
    expected_stock = ut_expected(onec)[stocked["Ref_Key"]]["stock"]
    assert Decimal(str(products[stocked["Ref_Key"]]["quantity"])) == expected_stock
    # Reading the portal's catalog setup (1 batch), price types and stores (2 lists), then one batch of element
    # writes and one of figures: the unchanged items cost nothing.
    assert used <= 6, used


def test_inventory_management_on_moves_stock_by_conducted_store_documents(ctx, installed, sandbox_url, onec):
    post_json(sandbox_url + "/_sandbox/catalog", {"inventory_management": True})
    member_id, base_id = configure(ctx, sandbox_url, onec, "ut", "ut11")
    run_base(ctx, member_id, base_id)
    bitrix = ctx.bitrix(member_id)
    warehouses = {r["Ref_Key"]: r["Description"] for r in odata(onec, "ut", "Catalog_Склады")}
    stores = {s["xmlId"]: s["id"] for s in bitrix.list_all("catalog.store.list", {}, page_key="stores")}
    assert set(warehouses) <= set(stores)
    item = goods(onec)[5]
    balance = {r["Склад_Key"]: Decimal(str(r["ВНаличииBalance"])) for r in odata(
        onec, "ut", "AccumulationRegister_ТоварыНаСкладах/Balance()") if r["Номенклатура_Key"] == item["Ref_Key"]}
    product = next(p for p in portal_products(ctx, member_id) if p["xmlId"] == item["Ref_Key"])

    def portal_stock() -> dict[int, Decimal]:
        rows = bitrix.call("catalog.storeproduct.list", {"filter": {"productId": product["id"]}}).result
        return {r["storeId"]: Decimal(str(r["amount"])) for r in rows["storeProducts"] if r["amount"]}

    assert portal_stock() == {stores[w]: q for w, q in balance.items() if q}
    documents = bitrix.call("catalog.document.list", {}).result["documents"]
    assert documents and all(d["status"] == "Y" for d in documents)

    warehouse = next(iter(balance))
    post_json(f"{onec}/_sandbox/ut/catalog/stock", {"item": item["Ref_Key"], "warehouse": warehouse,
                                                    "quantity": -2})
    run_base(ctx, member_id, base_id)
    assert portal_stock()[stores[warehouse]] == balance[warehouse] - 2
    assert run_base(ctx, member_id, base_id).written == 0


class Killed(BaseException):
    """What a worker killed mid-run leaves: nothing after this point happens (not an Exception, so no handler)."""


@pytest.mark.parametrize("when", ["after the portal created the products, before they were recorded",
                                  "between two pages"])
def test_an_interrupted_load_resumes_and_never_makes_a_product_twice(ctx, installed, sandbox_url, onec, monkeypatch,
                                                                      when):
    from b24app.store.catalog_links import CatalogLinks
    from b24app.sync.to_bitrix import catalog_load

    member_id, base_id = configure(ctx, sandbox_url, onec, "ut", "ut11")
    monkeypatch.setattr(catalog_load, "PAGE", 25)
    real_record = CatalogLinks.record

    def record_then_die(self, member, base, kind, written):
        if kind == PRODUCT and any(w.fields_hash for w in written):
            raise Killed()
        return real_record(self, member, base, kind, written)

    if when.startswith("after"):
        monkeypatch.setattr(CatalogLinks, "record", record_then_die)
        with pytest.raises(Killed):
            run_base(ctx, member_id, base_id)
    else:
        def die_on_second_page(done: int, total: int) -> None:
            if done > 25:
                raise Killed()
        with pytest.raises(Killed):
            run_base(ctx, member_id, base_id, die_on_second_page)
    made = portal_products(ctx, member_id)
    assert made  # the portal did create products before the kill
    ctx.redis.delete(ctx.keys.sync_lock(member_id, f"catalog:{base_id}"))  # a killed worker's lock expires
    monkeypatch.setattr(CatalogLinks, "record", real_record)

    run_base(ctx, member_id, base_id)
    keys = [p["xmlId"] for p in portal_products(ctx, member_id)]
    assert len(keys) == len(set(keys))
    live = {k for k, e in ut_expected(onec).items() if not e["deleted"]}
    assert live <= set(keys)
    assert run_base(ctx, member_id, base_id).written == 0


def test_a_deal_of_catalog_products_becomes_a_1c_order_with_those_items(ctx, installed, sandbox_url, onec,
                                                                        settings_env, monkeypatch):
    from tests.support import sync_data as sd

    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="3", B24APP_SYNC_RETRY_BASE_SECONDS="1")
    member_id, base_id = configure(ctx, sandbox_url, onec, "ut", "ut11")
    run_base(ctx, member_id, base_id)
    item = goods(onec)[0]
    characteristic = odata(onec, "ut", "Catalog_ХарактеристикиНоменклатуры")[0]
    products = {p["xmlId"]: p["id"] for p in portal_products(ctx, member_id)}
    links = catalog_links(ctx)
    offer_id = links.b24_ids(member_id, base_id, OFFER, [f"{characteristic['Owner']}#{characteristic['Ref_Key']}"])
    [offer_id] = offer_id.values()

    client = sd.manager(sandbox_url)
    _, company, _ = sd.deal_with_company(client)
    deal = sd.new_deal(client, company["ID"], "Заказ из каталога")
    client.call("crm.deal.productrows.set", {"id": deal, "rows": [
        {"PRODUCT_ID": products[item["Ref_Key"]], "PRICE": 1000.0, "QUANTITY": 2, "TAX_RATE": 20,
         "TAX_INCLUDED": "Y"},
        {"PRODUCT_ID": offer_id, "PRICE": 500.0, "QUANTITY": 1, "TAX_RATE": 20, "TAX_INCLUDED": "Y"}]})
    sd.order_on_stage(ctx, member_id)
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    sd.settle(ctx, sandbox_url)

    from b24app.onec.base import OneCBase
    from b24app.onec.odata import ODataClient
    from b24app.sync.to_onec.orders import order_key

    client_1c = ODataClient(OneCBase(url=f"{onec}/ut/", login=ONEC_LOGIN, password=ONEC_PASSWORD),
                            egress=sd.SANDBOX_EGRESS)
    [order] = sd.orders_with_key(client_1c, order_key(member_id, deal))
    lines = {(line["Номенклатура_Key"], line["Характеристика_Key"]) for line in order["Товары"]}
    assert lines == {(item["Ref_Key"], "00000000-0000-0000-0000-000000000000"),
                     (characteristic["Owner"], characteristic["Ref_Key"])}


def test_the_preview_counts_what_the_first_load_will_do(ctx, installed, sandbox_url, onec):
    """Before anything is written: items, groups, units, price types and stores; a portal product with an item's
    XML_ID or with an article only it and one item carry is taken over; shared articles are listed."""
    from b24app.jobs.catalog import preview_base

    member_id, base_id = configure(ctx, sandbox_url, onec, "ut", "ut11")
    bitrix = ctx.bitrix(member_id)
    expected = ut_expected(onec)
    live = {k: e for k, e in expected.items() if not e["deleted"]}
    by_key, by_article, shared = list(live)[:1], [k for k, e in live.items() if e["article"]][1:2], \
        [k for k, e in live.items() if e["article"]][2:3]
    bitrix.call("catalog.product.add", {"fields": {"iblockId": 23, "name": "Заведён вручную", "xmlId": by_key[0]}})
    articles = [p for p in bitrix.call("catalog.productProperty.list", {}).result["productProperties"]
                if p["code"] == "CML2_ARTICLE"]
    before = preview_base(ctx, member_id, base_id)  # creates the article property when missing
    prop = articles[0]["id"] if articles else next(
        p["id"] for p in bitrix.call("catalog.productProperty.list", {}).result["productProperties"]
        if p["code"] == "CML2_ARTICLE" and p["iblockId"] == 23)
    bitrix.call("catalog.product.add", {"fields": {"iblockId": 23, "name": "По артикулу",
                                                   f"property{prop}": live[by_article[0]]["article"]}})
    for n in range(2):
        bitrix.call("catalog.product.add", {"fields": {"iblockId": 23, "name": f"Дубль {n}",
                                                       f"property{prop}": live[shared[0]]["article"]}})
    preview = preview_base(ctx, member_id, base_id)
    assert before["to_create"] == len(live) - 1
    assert preview["items"] == len(live) and preview["marked"] == len(expected) - len(live)
    assert (preview["by_xml_id"], preview["by_article"]) == (1, 1)
    assert preview["to_create"] == len(live) - 2
    assert preview["groups"] == len([r for r in odata(onec, "ut", "Catalog_Номенклатура") if r["IsFolder"]])
    assert len(preview["price_types"]) == 3 and len(preview["warehouses"]) == 5
    listed = {d["article"].casefold(): d for d in preview["duplicates"]}
    assert len(listed[live[shared[0]]["article"].casefold()]["portal"]) == 2
    assert preview["portal_products"] >= 4

    run_base(ctx, member_id, base_id)
    made = portal_products(ctx, member_id)
    assert sum(1 for p in made if p["xmlId"] == by_key[0]) == 1  # taken over, not duplicated
    assert len(made) == preview["portal_products"] + preview["to_create"]


def test_the_deal_tab_shows_1c_stock_of_the_deals_catalog_products(ctx, installed, running_app, settings, sandbox_url,
                                                                   onec):
    """Live from 1C, per warehouse, for the rows whose product the catalog load linked; none for the others."""
    import html
    import re

    from tests.support.tabs_data import frame_params, open_tab

    member_id, base_id = configure(ctx, sandbox_url, onec, "ut", "ut11")
    run_base(ctx, member_id, base_id)
    item = goods(onec)[3]
    balance = {r["Склад_Key"]: r["ВНаличииBalance"] for r in odata(
        onec, "ut", "AccumulationRegister_ТоварыНаСкладах/Balance()") if r["Номенклатура_Key"] == item["Ref_Key"]}
    names = {r["Ref_Key"]: r["Description"] for r in odata(onec, "ut", "Catalog_Склады")}
    product_id = next(p["id"] for p in portal_products(ctx, member_id) if p["xmlId"] == item["Ref_Key"])
    bitrix = ctx.bitrix(member_id)
    deal = bitrix.call("crm.deal.add", {"fields": {"TITLE": "Остатки", "CATEGORY_ID": 0}}).result
    bitrix.call("crm.deal.productrows.set", {"id": deal, "rows": [
        {"PRODUCT_ID": product_id, "PRODUCT_NAME": item["Description"], "PRICE": 100, "QUANTITY": 1},
        {"PRODUCT_ID": 0, "PRODUCT_NAME": "Доставка", "PRICE": 500, "QUANTITY": 1}]})

    page = open_tab(running_app.url, "deal", frame_params(sandbox_url, settings.client_id, "CRM_DEAL_DETAIL_TAB",
                                                          deal))
    assert page.status_code == 200, page.text
    table = re.search(rf'<table[^>]*id="tab-stock-{base_id}".*?</table>', page.text, re.S).group(0)
    rows = [[html.unescape(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    expected = sorted((names[w], q) for w, q in balance.items() if q > 0)
    assert sorted((r[1], float(r[2].replace("\u202f", "").replace(",", "."))) for r in rows) == expected
    assert {r[0] for r in rows} == {item["Description"]}
    assert "Доставка" not in table


def test_a_worker_killed_mid_load_leaves_every_product_once_after_the_next_run(ctx, installed, sandbox_url, onec,
                                                                               settings_env):
    """A real `b24app worker` runs "load now" at a slow portal limit and is SIGKILLed once products appear; the
    next run finishes the load, and every item is one product."""
    import time

    from b24app.jobs import sync_now
    from tests.support import sync_data as sd

    member_id, base_id = configure(ctx, sandbox_url, onec, "ut", "ut11")
    sd.unthrottle(ctx, sandbox_url, member_id, rate=3, burst=4)  # about a second a batch call: time to kill
    seeded = len(portal_products(ctx, member_id))
    sync_now.enqueue(ctx, member_id, "catalog", base_id)
    worker = sd.worker_process(settings_env)
    try:
        deadline = time.monotonic() + 60
        while len(portal_products(ctx, member_id)) == seeded:
            assert time.monotonic() < deadline, "the worker made no product"
            time.sleep(0.2)
    finally:
        sd.kill(worker)
    live = {k for k, e in ut_expected(onec).items() if not e["deleted"]}
    # Killed mid-load: products were made, the run never finished (no catalog exchange in the journal).
    assert len(portal_products(ctx, member_id)) > seeded
    assert not [e for e in ctx.journal.recent(member_id) if e.kind == "catalog"]
    ctx.redis.delete(ctx.keys.sync_lock(member_id, f"catalog:{base_id}"))  # a killed worker's lock expires
    sd.unthrottle(ctx, sandbox_url, member_id)
    run_base(ctx, member_id, base_id)
    keys = [p["xmlId"] for p in portal_products(ctx, member_id) if p["xmlId"] in live]
    assert sorted(keys) == sorted(live)
