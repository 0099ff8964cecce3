"""The sandbox portal's units, price types and prices over HTTP (api-reference/catalog/measure/, price-type/,
price/ in bitrix24/b24restdocs)."""

from __future__ import annotations

from tests.sandbox_portal.conftest import Portal
from tests.sandbox_portal.test_portal_catalog import add_product, call, ok


def test_units_are_keyed_by_okei_code(portal: Portal) -> None:
    hook = portal.webhook()
    seeded = ok(hook, "catalog.measure.list", {"order": {"id": "asc"}})["result"]["measures"]
    assert [m["code"] for m in seeded] == [6, 112, 163, 166, 796]
    assert [m["isDefault"] for m in seeded].count("Y") == 1 and seeded[-1]["symbol"] == "шт"
    pair = ok(hook, "catalog.measure.add", {"fields": {"code": 715, "measureTitle": "Пара", "symbol": "пар"}})
    made = pair["result"]["measure"]
    assert (made["code"], made["isDefault"], made["measureTitle"]) == (715, "N", "Пара")
    assert ok(hook, "catalog.measure.list", {"filter": {"code": 715}})["result"]["measures"][0]["id"] == made["id"]
    same_code = call(hook, "catalog.measure.add", {"fields": {"code": 715, "measureTitle": "Ещё пара"}})
    assert same_code.status_code == 400 and same_code.json()["error"] == 200600000000
    second_default = call(hook, "catalog.measure.update", {"id": made["id"], "fields": {"isDefault": "Y"}})
    assert second_default.json()["error"] == 200600000010
    no_title = call(hook, "catalog.measure.add", {"fields": {"code": 778}})
    assert no_title.json() == {"error": 0, "error_description": "Required fields: measureTitle"}
    renamed = ok(hook, "catalog.measure.update", {"id": made["id"], "fields": {"measureTitle": "Пара (2 шт)"}})
    assert renamed["result"]["measure"]["measureTitle"] == "Пара (2 шт)"
    assert ok(hook, "catalog.measure.delete", {"id": made["id"]})["result"] is True
    assert call(hook, "catalog.measure.get", {"id": made["id"]}).json()["error"] == 200600000020


def test_one_base_price_type_which_cannot_be_deleted(portal: Portal) -> None:
    hook = portal.webhook()
    base = ok(hook, "catalog.priceType.list", {"filter": {"base": "Y"}})["result"]["priceTypes"]
    assert [(t["id"], t["name"]) for t in base] == [(1, "BASE")]
    wholesale = ok(hook, "catalog.priceType.add", {"fields": {"name": "Оптовая", "xmlId": "wholesale-guid",
                                                              "sort": 200}})["result"]["priceType"]
    assert wholesale["base"] == "N" and wholesale["createdBy"] == 1 and wholesale["dateCreate"]
    refused = call(hook, "catalog.priceType.delete", {"id": 1})
    assert refused.status_code == 400 and refused.json()["error"] == "BASE"
    ok(hook, "catalog.priceType.update", {"id": wholesale["id"], "fields": {"base": "Y"}})
    now_base = ok(hook, "catalog.priceType.list", {"filter": {"base": "Y"}})["result"]["priceTypes"]
    assert [t["id"] for t in now_base] == [wholesale["id"]]
    assert ok(hook, "catalog.priceType.delete", {"id": 1})["result"] is True
    assert call(hook, "catalog.priceType.get", {"id": 1}).json()["error"] == 201000000000


def test_prices_per_type(portal: Portal) -> None:
    hook = portal.webhook()
    retail = ok(hook, "catalog.priceType.add", {"fields": {"name": "Розничная"}})["result"]["priceType"]["id"]
    product = add_product(hook, name="Гвозди 100 мм")["id"]
    base = ok(hook, "catalog.price.add", {"fields": {"productId": product, "catalogGroupId": 1, "price": "1234.5",
                                                     "currency": "RUB"}})["result"]["price"]
    assert (base["price"], base["currency"], base["catalogGroupId"]) == (1234.5, "RUB", 1)
    ok(hook, "catalog.price.add", {"fields": {"productId": product, "catalogGroupId": retail, "price": 1500,
                                              "currency": "RUB"}})
    twice = call(hook, "catalog.price.add", {"fields": {"productId": product, "catalogGroupId": 1, "price": 1,
                                                        "currency": "RUB"}})
    assert twice.status_code == 400 and "single price" in twice.json()["error_description"]
    unknown_type = call(hook, "catalog.price.add", {"fields": {"productId": product, "catalogGroupId": 77,
                                                               "price": 1, "currency": "RUB"}})
    assert unknown_type.json()["error_description"] == "Validate price error. Catalog price group is wrong"
    missing = call(hook, "catalog.price.add", {"fields": {"productId": product, "catalogGroupId": 1}})
    assert missing.json()["error_description"] == "Required fields: price, currency"
    listed = ok(hook, "catalog.price.list", {"filter": {"productId": product}, "order": {"catalogGroupId": "asc"}})
    assert [(p["catalogGroupId"], p["price"]) for p in listed["result"]["prices"]] == [(1, 1234.5), (retail, 1500.0)]
    assert listed["total"] == 2
    changed = ok(hook, "catalog.price.update", {"id": base["id"], "fields": {"price": 1300}})["result"]["price"]
    assert changed["price"] == 1300.0 and changed["productId"] == product
    ok(hook, "catalog.price.delete", {"id": base["id"]})
    assert call(hook, "catalog.price.get", {"id": base["id"]}).json()["error_description"] == "Price does not exist"
    ok(hook, "catalog.product.delete", {"id": product})
    assert ok(hook, "catalog.price.list", {"filter": {"productId": product}})["total"] == 0


def test_price_modify_replaces_the_products_prices(portal: Portal) -> None:
    hook = portal.webhook()
    retail = ok(hook, "catalog.priceType.add", {"fields": {"name": "Розничная"}})["result"]["priceType"]["id"]
    dealer = ok(hook, "catalog.priceType.add", {"fields": {"name": "Дилерская"}})["result"]["priceType"]["id"]
    product = add_product(hook, name="Саморезы")["id"]
    first = ok(hook, "catalog.price.modify", {"fields": {"product": {"id": product, "prices": [
        {"catalogGroupId": 1, "price": 10, "currency": "RUB"},
        {"catalogGroupId": retail, "price": 12, "currency": "RUB"},
    ]}}})["result"]["prices"]
    assert sorted((p["catalogGroupId"], p["price"]) for p in first) == [(1, 10.0), (retail, 12.0)]
    base_id = next(p["id"] for p in first if p["catalogGroupId"] == 1)
    second = ok(hook, "catalog.price.modify", {"fields": {"product": {"id": product, "prices": [
        {"id": base_id, "catalogGroupId": 1, "price": 11, "currency": "RUB"},
        {"catalogGroupId": dealer, "price": 9, "currency": "RUB"},
    ]}}})["result"]["prices"]
    assert sorted((p["catalogGroupId"], p["price"]) for p in second) == [(1, 11.0), (dealer, 9.0)]
    assert next(p["id"] for p in second if p["catalogGroupId"] == 1) == base_id  # updated, not re-created
    duplicate = call(hook, "catalog.price.modify", {"fields": {"product": {"id": product, "prices": [
        {"catalogGroupId": 1, "price": 1, "currency": "RUB"}, {"catalogGroupId": 1, "price": 2, "currency": "RUB"},
    ]}}})
    assert duplicate.status_code == 400
    assert call(hook, "catalog.price.modify", {}).json()["error"] == 100
