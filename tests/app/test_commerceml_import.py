"""A CommerceML exchange end to end: the files 1C's exchange with a website uploads go through the one catalog
pipeline into the sandbox portal's product catalog, over the real REST protocol — products, variations, prices and
stock from a full exchange; nothing written by the same exchange again; only the changes of a partial one, with
nothing deactivated; a vanished item deactivated by a full one; every real sample set loads; a hostile file stops
the exchange before anything is staged or written, and the journal says why."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from b24app.commerceml.safe_xml import CommerceMLError
from b24app.commerceml.staging import Staging
from b24app.core.catalog_model import Item
from b24app.core.catalog_settings import CatalogSettings
from b24app.jobs.commerceml_import import import_files
from b24sandbox.exchange_node import files as xf
from tests.support.processes import get_json
from tests.support.samples import needs, samples_dir

pytestmark = pytest.mark.db
SAMPLES = samples_dir("commerceml")
ITEMS = 12
VARIANTS_EVERY = 4  # items 0, 4 and 8 come in two sizes


def configure(ctx, sandbox_url: str, base_price: str | None = xf.PRICE_TYPES[0][0], **catalog) -> tuple[str, int]:
    """A base on the CommerceML route (1C calls us: no URL), the catalog load on, `base_price` (the retail price
    type of the generated files) as the portal's base price."""
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    base = ctx.bases.save(member_id, name="Магазин (обмен с сайтом)", url="", login="", password=None,
                          profile="commerceml", legal_entity="ООО «Ромашка»", legal_entity_inn="7707083893")
    current, version = ctx.portal_settings.load(member_id)
    if base_price:
        catalog["base_price_type"] = {str(base.id): base_price}
    ctx.portal_settings.save(member_id, replace(current, catalog=CatalogSettings(enabled=True, **catalog)), version)
    return member_id, base.id


def listed(ctx, member_id: str, method: str, page_key: str) -> dict[str, dict]:
    """Catalog elements of the portal by XML_ID (products: the product catalog; offers: the variations one)."""
    bitrix = ctx.bitrix(member_id)
    catalogs = bitrix.call("catalog.catalog.list", {}).result["catalogs"]
    offers_iblock = next((c["iblockId"] for c in catalogs if c.get("productIblockId")), None)
    iblock = offers_iblock if page_key == "offers" else next(
        c["iblockId"] for c in catalogs if not c.get("productIblockId"))
    records = bitrix.iterate_by_id(method, {"filter": {"iblockId": iblock}, "select": [
        "id", "iblockId", "xmlId", "name", "active", "quantity"]}, id_field="id", page_key=page_key)
    return {str(r["xmlId"]): r for r in records}


def products(ctx, member_id: str) -> dict[str, dict]:
    return listed(ctx, member_id, "catalog.product.list", "products")


def variations(ctx, member_id: str) -> dict[str, dict]:
    return listed(ctx, member_id, "catalog.product.offer.list", "offers")


def retail_prices(ctx, member_id: str, ids: list[int]) -> dict[int, Decimal]:
    bitrix = ctx.bitrix(member_id)
    base_type = next(t["id"] for t in bitrix.list_all("catalog.priceType.list", {}, page_key="priceTypes")
                     if t["base"] == "Y")
    answers = bitrix.batch({str(i): ("catalog.price.list", {"filter": {"productId": i}}) for i in ids}).results
    return {int(k): Decimal(str(p["price"])) for k, a in answers.items() for p in a["prices"]
            if p["catalogGroupId"] == base_type}


def run(ctx, member_id: str, base_id: int, exchange: str, paths: list[str]) -> dict:
    out = import_files(ctx, member_id, base_id, exchange, paths)
    assert out["refused"] == 0, out
    assert Staging(ctx.db).count(member_id, base_id) == 0  # a finished exchange leaves nothing staged
    return out


def test_a_full_exchange_loads_products_variations_prices_and_stock_once(ctx, installed, sandbox_url, tmp_path):
    member_id, base_id = configure(ctx, sandbox_url)
    paths = xf.write_exchange(tmp_path / "1", range(ITEMS), variants_every=VARIANTS_EVERY)
    first = run(ctx, member_id, base_id, "ex-1", paths)
    with_sizes = [n for n in range(ITEMS) if xf.has_variants(n, VARIANTS_EVERY)]
    assert (first["items"], first["created"]) == (ITEMS, ITEMS + 2 * len(with_sizes))
    assert first["complete"] is True

    made = products(ctx, member_id)
    assert {xf.item_key(n) for n in range(ITEMS)} == set(made)
    assert all(made[xf.item_key(n)]["name"] == f"Товар {n}" and made[xf.item_key(n)]["active"] == "Y"
               for n in range(ITEMS))
    sized = variations(ctx, member_id)
    assert set(sized) == {f"{xf.item_key(n)}#{xf.variant_key(n, s)}" for n in with_sizes for s in xf.SIZES}
    assert sized[f"{xf.item_key(4)}#{xf.variant_key(4, 'M')}"]["name"] == "Товар 4, M"
    simple = [n for n in range(ITEMS) if n not in with_sizes]
    prices = retail_prices(ctx, member_id, [int(made[xf.item_key(n)]["id"]) for n in simple])
    for n in simple:
        product = made[xf.item_key(n)]
        assert prices[int(product["id"])] == xf.default_price(n)
        assert Decimal(str(product["quantity"])) == sum(xf.stock(n))
    variant = sized[f"{xf.item_key(8)}#{xf.variant_key(8, 'S')}"]
    assert Decimal(str(variant["quantity"])) == sum(xf.stock(8))
    assert retail_prices(ctx, member_id, [int(variant["id"])]) == {int(variant["id"]): xf.default_price(8)}
    stores = {s["xmlId"] for s in ctx.bitrix(member_id).list_all("catalog.store.list", {}, page_key="stores")}
    assert {key for key, _ in xf.WAREHOUSES} <= stores

    before = get_json(sandbox_url + "/_sandbox/state")["requests"]
    again = run(ctx, member_id, base_id, "ex-2", xf.write_exchange(tmp_path / "2", range(ITEMS),
                                                                   variants_every=VARIANTS_EVERY))
    assert sum(again[k] for k in ("sections", "created", "updated", "deactivated", "prices", "stock")) == 0, again
    # Reading the portal's setup, price types and stores; no element, price or stock write.
    assert get_json(sandbox_url + "/_sandbox/state")["requests"] - before <= 4


def test_a_partial_exchange_writes_only_its_changes_and_deactivates_nothing(ctx, installed, sandbox_url, tmp_path):
    member_id, base_id = configure(ctx, sandbox_url)
    run(ctx, member_id, base_id, "full", xf.write_exchange(tmp_path / "full", range(ITEMS)))

    # A worker killed mid-exchange left its rows; the next exchange of the base clears them (and loads none).
    Staging(ctx.db).stage(member_id, base_id, "dead-run", [Item(key="left-behind", name="Не из этого обмена")])

    # 1C's "changes only": the catalog names the one new item; the offers its offer and item 3's new price.
    new_price = Decimal("999.90")
    paths = xf.write_exchange(tmp_path / "partial", [ITEMS], partial=True, offers_numbers=[3, ITEMS],
                              price=lambda n: new_price if n == 3 else xf.default_price(n))
    out = run(ctx, member_id, base_id, "partial", paths)
    assert out["complete"] is False
    assert (out["created"], out["updated"], out["deactivated"]) == (1, 0, 0), out
    assert (out["prices"], out["stock"]) == (2, 1), out  # item 3's prices; the new item's prices and stock

    made = products(ctx, member_id)
    assert len(made) == ITEMS + 1 and all(p["active"] == "Y" for p in made.values())
    three = int(made[xf.item_key(3)]["id"])
    assert retail_prices(ctx, member_id, [three]) == {three: new_price}
    assert Decimal(str(made[xf.item_key(3)]["quantity"])) == sum(xf.stock(3))  # its stock untouched
    assert made[xf.item_key(ITEMS)]["name"] == f"Товар {ITEMS}"


def test_a_full_exchange_without_an_item_deactivates_it(ctx, installed, sandbox_url, tmp_path):
    member_id, base_id = configure(ctx, sandbox_url)
    run(ctx, member_id, base_id, "one", xf.write_exchange(tmp_path / "one", range(ITEMS)))
    out = run(ctx, member_id, base_id, "two", xf.write_exchange(tmp_path / "two", [n for n in range(ITEMS) if n != 5],
                                                               deleted=[7]))
    assert out["deactivated"] == 2, out  # item 5 vanished, item 7 marked deleted (Статус="Удален")
    made = products(ctx, member_id)
    assert made[xf.item_key(5)]["active"] == "N" and made[xf.item_key(7)]["active"] == "N"
    assert sum(p["active"] == "Y" for p in made.values()) == ITEMS - 2
    # Back in a later full exchange: active again.
    out = run(ctx, member_id, base_id, "three", xf.write_exchange(tmp_path / "three", range(ITEMS)))
    assert products(ctx, member_id)[xf.item_key(5)]["active"] == "Y"


def test_a_windows_1251_exchange_with_crlf_loads_with_its_names_intact(ctx, installed, sandbox_url, tmp_path):
    member_id, base_id = configure(ctx, sandbox_url)
    paths = xf.write_exchange(tmp_path, range(3), encoding="windows-1251",
                              names={1: "Стул «Венский» №1"})
    assert b"\r\n" in Path(paths[0]).read_bytes() and b'encoding="WINDOWS-1251"' in Path(paths[0]).read_bytes()
    run(ctx, member_id, base_id, "cp1251", paths)
    assert products(ctx, member_id)[xf.item_key(1)]["name"] == "Стул «Венский» №1"


SAMPLE_SETS = {
    "2.04 1C demo": ["commerceml_import__irpsv_commerceml__off-doc-1c.xml",
                     "commerceml_offers__irpsv_commerceml__off-doc-1c.xml"],
    "2.04 UMI.CMS": ["commerceml_import__irpsv_commerceml__umi-cms.xml",
                     "commerceml_offers__irpsv_commerceml__umi-cms.xml"],
    "2.03 Ukrainian": ["commerceml_import__Denis-777_test.xml", "commerceml_offers__Denis-777_test.xml"],
    "2.05 UT10 etalon": ["commerceml_import__irpsv_commerceml__ready-script-ut10-etalon.xml",
                         "commerceml_offers__irpsv_commerceml__ready-script-ut10-etalon.xml"],
    "3.1 split set": ["commerceml31_import_classifier__irpsv_commerceml__bitrix-module-6.xml",
                      "commerceml31_import_properties__irpsv_commerceml__bitrix-module-6.xml",
                      "commerceml31_import_goods__irpsv_commerceml__bitrix-module-6.xml",
                      "commerceml31_offers_properties__irpsv_commerceml__bitrix-module-6.xml",
                      "commerceml31_offers_goods__irpsv_commerceml__bitrix-module-6.xml",
                      "commerceml31_prices__irpsv_commerceml__bitrix-module-6.xml",
                      "commerceml31_rests__irpsv_commerceml__bitrix-module-6.xml"],
}


@needs(SAMPLES)
@pytest.mark.parametrize("name", list(SAMPLE_SETS))
def test_every_real_sample_set_loads_into_the_portal(ctx, installed, sandbox_url, name):
    member_id, base_id = configure(ctx, sandbox_url, base_price=None)
    paths = [str(SAMPLES / f) for f in SAMPLE_SETS[name]]
    first = run(ctx, member_id, base_id, "sample", paths)
    made = products(ctx, member_id)
    # Every Товар a product, and every item only an offer names (the 3.1 set's goods file is partial) too.
    assert first["created"] >= first["items"] > 0 and len(made) > 0
    assert len(made) == len(set(made))
    again = run(ctx, member_id, base_id, "sample-again", paths)
    assert sum(again[k] for k in ("sections", "created", "updated", "deactivated", "prices", "stock")) == 0, again


@needs(SAMPLES)
def test_the_3_1_split_set_prices_and_stock_reach_the_variations(ctx, installed, sandbox_url):
    # The price type prices.xml uses (its classifier lists eight).
    member_id, base_id = configure(ctx, sandbox_url, base_price="aef2c177-1862-11de-9d9d-001a4d4b12d9")
    run(ctx, member_id, base_id, "split", [str(SAMPLES / f) for f in SAMPLE_SETS["3.1 split set"]])
    sized = variations(ctx, member_id)
    key = "235ccc6d-ab81-11e4-944a-00155d020201#a5abd77f-93f6-11e5-9468-00155d020201"
    price = retail_prices(ctx, member_id, [int(sized[key]["id"])])
    assert list(price.values()) == [Decimal("2042.66")]  # prices.xml: ЦенаЗаЕдиницу 2042.66
    # rests.xml names twelve warehouses (the classifier's), every figure 0 in this export.
    stores = {s["xmlId"] for s in ctx.bitrix(member_id).list_all("catalog.store.list", {}, page_key="stores")}
    assert "be3dfd89-0ac5-11e1-84f0-00241d886595" in stores and len(stores) >= 12
    assert all(Decimal(str(v["quantity"] or 0)) == 0 for v in sized.values())


XXE = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE КоммерческаяИнформация [<!ENTITY x SYSTEM '
       '"file:///etc/passwd">]>\n<КоммерческаяИнформация ВерсияСхемы="2.08"><Каталог><Товары><Товар><Ид>k</Ид>'
       "<Наименование>&x;</Наименование></Товар></Товары></Каталог></КоммерческаяИнформация>\n")


def test_a_hostile_file_stops_the_exchange_before_anything_is_staged_or_written(ctx, installed, sandbox_url,
                                                                                 tmp_path):
    member_id, base_id = configure(ctx, sandbox_url)
    good = xf.write_exchange(tmp_path, range(3))
    hostile = tmp_path / "offers_1.xml"
    hostile.write_text(XXE, encoding="utf-8")
    before = get_json(sandbox_url + "/_sandbox/state")["requests"]
    with pytest.raises(CommerceMLError, match=r"offers_1\.xml: refused: a DOCTYPE declaration"):
        import_files(ctx, member_id, base_id, "evil", [*good, str(hostile)])
    assert Staging(ctx.db).count(member_id, base_id) == 0
    assert get_json(sandbox_url + "/_sandbox/state")["requests"] == before  # not one call to the portal
    assert products(ctx, member_id) == {}
    row = ctx.journal.recent(member_id)[0]
    assert (row.kind, row.status, row.base_id) == ("catalog", "error", base_id)
    assert "offers_1.xml: refused" in row.error and "passwd" not in row.error
