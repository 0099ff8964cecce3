"""crm.product.* and catalog.product.* are one catalog in the sandbox portal, as in a real one.

api-reference/crm/outdated/products/ (bitrix24/b24restdocs) sends every crm.product method to its catalog.product
counterpart: the same products of the CRM catalog (iblockId 23), with the same ids. crm.product's PRICE is the
catalog price of the base price type (crm-product-update.md: CURRENCY_ID "mandatory to set the price").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.sandbox_portal.conftest import RELAXED, Portal
from tests.support.processes import start_server

CRM_CATALOG = 23


def call(hook: str, method: str, payload: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(hook + method, json=payload or {}, timeout=30)


def ok(hook: str, method: str, payload: dict[str, Any] | None = None) -> Any:
    response = call(hook, method, payload)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def base_type(hook: str) -> int:
    types = ok(hook, "catalog.priceType.list", {"filter": {"base": "Y"}})["priceTypes"]
    assert len(types) == 1
    return int(types[0]["id"])


def catalog_add(hook: str, **fields: Any) -> int:
    return int(ok(hook, "catalog.product.add", {"fields": {"iblockId": CRM_CATALOG, **fields}})["element"]["id"])


def test_a_crm_product_is_a_catalog_product_with_the_same_id(portal: Portal) -> None:
    hook = portal.webhook()
    section = ok(hook, "catalog.section.add", {"fields": {"iblockId": CRM_CATALOG, "name": "Цемент"}})["section"]
    vat20 = ok(hook, "catalog.vat.list", {"filter": {"rate": 20}})["vats"][0]["id"]
    kg = ok(hook, "catalog.measure.list", {"filter": {"code": 166}})["measures"][0]["id"]
    new_id = ok(hook, "crm.product.add", {"fields": {
        "NAME": "Цемент М500", "XML_ID": "8f1d0c2e-1111-2222-3333-444455556666", "PRICE": "1234,50",
        "CURRENCY_ID": "RUB", "MEASURE": kg, "VAT_ID": vat20, "VAT_INCLUDED": "Y", "SECTION_ID": section["id"],
        "SORT": 300, "DESCRIPTION": "Мешок 50 кг", "ACTIVE": "Y"}})
    got = ok(hook, "catalog.product.get", {"id": new_id})["product"]
    assert (got["id"], got["iblockId"], got["type"], got["name"]) == (new_id, CRM_CATALOG, 1, "Цемент М500")
    assert (got["xmlId"], got["measure"], got["vatId"], got["vatIncluded"]) == (
        "8f1d0c2e-1111-2222-3333-444455556666", kg, vat20, "Y")
    assert (got["iblockSectionId"], got["sort"], got["detailText"], got["active"]) == (
        section["id"], 300, "Мешок 50 кг", "Y")
    listed = ok(hook, "catalog.product.list", {"select": ["id", "iblockId", "name"],
                                               "filter": {"iblockId": CRM_CATALOG, "xmlId": got["xmlId"]}})
    assert [p["id"] for p in listed["products"]] == [new_id]
    crm = ok(hook, "crm.product.get", {"id": new_id})
    assert (crm["ID"], crm["CATALOG_ID"], crm["PRICE"], crm["CURRENCY_ID"]) == (
        str(new_id), str(CRM_CATALOG), 1234.5, "RUB")
    prices = ok(hook, "catalog.price.list", {"filter": {"productId": new_id}})["prices"]
    assert [(p["catalogGroupId"], p["price"], p["currency"]) for p in prices] == [(base_type(hook), 1234.5, "RUB")]


def test_a_catalog_update_reads_back_through_crm_product_and_back(portal: Portal) -> None:
    hook = portal.webhook()
    product = catalog_add(hook, name="Кирпич", xmlId="brick-001")
    crm = ok(hook, "crm.product.get", {"id": product})
    # No price written yet: the CRM's one price is absent, not invented.
    assert (crm["NAME"], crm["XML_ID"], crm["PRICE"], crm["CURRENCY_ID"]) == ("Кирпич", "brick-001", None, None)
    ok(hook, "catalog.product.update", {"id": product, "fields": {
        "name": "Кирпич красный", "active": "N", "vatIncluded": "Y", "detailText": "М150", "sort": 10}})
    crm = ok(hook, "crm.product.get", {"id": product})
    assert (crm["NAME"], crm["ACTIVE"], crm["VAT_INCLUDED"], crm["DESCRIPTION"], crm["SORT"]) == (
        "Кирпич красный", "N", "Y", "М150", "10")
    found = ok(hook, "crm.product.list", {"filter": {"XML_ID": "brick-001", "ACTIVE": "N"}, "select": ["ID", "NAME"]})
    assert found == [{"ID": str(product), "NAME": "Кирпич красный"}]
    assert ok(hook, "crm.product.update", {"id": product, "fields": {"NAME": "Кирпич М150", "XML_ID": "brick-150"}})
    got = ok(hook, "catalog.product.get", {"id": product})["product"]
    assert (got["name"], got["xmlId"], got["active"]) == ("Кирпич М150", "brick-150", "N")


def test_crm_price_is_the_base_type_price_both_ways(portal: Portal) -> None:
    hook = portal.webhook()
    base = base_type(hook)
    wholesale = ok(hook, "catalog.priceType.add", {"fields": {"name": "Оптовая", "base": "N"}})["priceType"]["id"]
    product = catalog_add(hook, name="Песок")
    ok(hook, "catalog.price.add", {"fields": {"productId": product, "catalogGroupId": base, "price": 990.5,
                                              "currency": "RUB"}})
    ok(hook, "catalog.price.add", {"fields": {"productId": product, "catalogGroupId": wholesale, "price": 700,
                                              "currency": "RUB"}})
    crm = ok(hook, "crm.product.get", {"id": product})
    assert (crm["PRICE"], crm["CURRENCY_ID"]) == (990.5, "RUB")
    assert ok(hook, "crm.product.update", {"id": product, "fields": {"PRICE": 1500, "CURRENCY_ID": "USD"}})
    prices = {p["catalogGroupId"]: p for p in ok(hook, "catalog.price.list",
                                                  {"filter": {"productId": product}})["prices"]}
    assert (prices[base]["price"], prices[base]["currency"]) == (1500.0, "USD")
    assert (prices[wholesale]["price"], prices[wholesale]["currency"]) == (700.0, "RUB")
    # PRICE alone keeps the price's currency (the docs name no error for a missing CURRENCY_ID).
    ok(hook, "crm.product.update", {"id": product, "fields": {"PRICE": "1600,25"}})
    again = ok(hook, "catalog.price.get", {"id": prices[base]["id"]})["price"]
    assert (again["price"], again["currency"]) == (1600.25, "USD")
    # A filter and an order on PRICE read the base price too.
    cheap = catalog_add(hook, name="Щебень")
    ok(hook, "catalog.price.add", {"fields": {"productId": cheap, "catalogGroupId": base, "price": 50,
                                              "currency": "RUB"}})
    ordered = ok(hook, "crm.product.list", {"filter": {">PRICE": 40}, "order": {"PRICE": "DESC"},
                                            "select": ["ID", "PRICE"]})
    assert [(p["ID"], p["PRICE"]) for p in ordered] == [(str(product), 1600.25), (str(cheap), 50.0)]


def test_deleting_by_either_family_removes_it_from_both(portal: Portal) -> None:
    hook = portal.webhook()
    by_crm = ok(hook, "crm.product.add", {"fields": {"NAME": "Гипс", "PRICE": 300, "CURRENCY_ID": "RUB"}})
    assert ok(hook, "catalog.product.delete", {"id": by_crm}) is True
    gone = call(hook, "crm.product.get", {"id": by_crm})
    assert gone.status_code == 400 and gone.json()["error_description"] == "Not found"
    assert ok(hook, "crm.product.list", {"filter": {"ID": by_crm}}) == []
    assert ok(hook, "catalog.price.list", {"filter": {"productId": by_crm}})["prices"] == []

    by_catalog = catalog_add(hook, name="Известь")
    ok(hook, "catalog.price.add", {"fields": {"productId": by_catalog, "catalogGroupId": base_type(hook),
                                              "price": 120, "currency": "RUB"}})
    assert ok(hook, "crm.product.delete", {"id": by_catalog}) is True
    missing = call(hook, "catalog.product.get", {"id": by_catalog})
    assert missing.status_code == 400 and missing.json()["error_description"] == "The product does not exist"
    assert ok(hook, "catalog.price.list", {"filter": {"productId": by_catalog}})["prices"] == []
    again = call(hook, "crm.product.delete", {"id": by_catalog})
    assert again.status_code == 400 and again.json()["error_description"] == "Not found"


def test_variations_are_not_crm_products(portal: Portal) -> None:
    hook = portal.webhook()
    parent = catalog_add(hook, name="Футболка")
    offer = ok(hook, "catalog.product.offer.add", {"fields": {"iblockId": 24, "name": "Футболка XL",
                                                             "parentId": parent}})["offer"]["id"]
    assert call(hook, "crm.product.get", {"id": offer}).status_code == 400
    assert [p["ID"] for p in ok(hook, "crm.product.list", {"filter": {">=ID": parent}})] == [str(parent)]


def test_both_families_share_one_id_sequence_and_page_as_before(portal: Portal) -> None:
    hook = portal.webhook()
    ids = []
    for n in range(60):
        if n % 2:
            ids.append(catalog_add(hook, name=f"Товар {n}", xmlId=f"ART-{n:03d}"))
        else:
            ids.append(ok(hook, "crm.product.add", {"fields": {"NAME": f"Товар {n}", "XML_ID": f"ART-{n:03d}"}}))
    assert ids == sorted(ids) and len(set(ids)) == 60
    first = call(hook, "crm.product.list", {"order": {"ID": "ASC"}, "select": ["ID"]}).json()
    assert (len(first["result"]), first["total"], first["next"]) == (50, 60, 50)
    rest = ok(hook, "crm.product.list", {"order": {"ID": "ASC"}, "select": ["ID"], "start": -1,
                                         "filter": {">ID": first["result"][-1]["ID"]}})
    assert [int(p["ID"]) for p in first["result"] + rest] == ids
    catalog = call(hook, "catalog.product.list", {"select": ["id", "iblockId"], "start": 50,
                                                  "filter": {"iblockId": CRM_CATALOG}}).json()
    assert [p["id"] for p in catalog["result"]["products"]] == ids[50:] and catalog["total"] == 60
    by_name = ok(hook, "crm.product.list", {"order": {"NAME": "DESC"}, "filter": {"%NAME": "Товар 5"},
                                            "select": ["NAME"]})
    assert [p["NAME"] for p in by_name] == [f"Товар {n}" for n in (59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 5)]


def test_deal_rows_naming_a_catalog_product_resolve(portal: Portal) -> None:
    hook = portal.webhook()
    product = catalog_add(hook, name="Профнастил С8", xmlId="roof-c8")
    ok(hook, "catalog.price.add", {"fields": {"productId": product, "catalogGroupId": base_type(hook),
                                              "price": 650, "currency": "RUB"}})
    assert ok(hook, "crm.deal.productrows.set", {"id": 3, "rows": [
        {"PRODUCT_ID": product, "PRODUCT_NAME": "Профнастил С8", "PRICE": 650, "QUANTITY": 4}]})
    rows = ok(hook, "crm.deal.productrows.get", {"id": 3})
    assert [r["PRODUCT_ID"] for r in rows] == [product]
    named = ok(hook, "crm.product.get", {"id": rows[0]["PRODUCT_ID"]})
    assert (named["XML_ID"], named["PRICE"]) == ("roof-c8", 650.0)


def test_a_batch_mixes_both_families_through_references(portal: Portal) -> None:
    hook = portal.webhook()
    base = base_type(hook)
    cmd = {
        "crm": "crm.product.add?fields[NAME]=Арматура А500&fields[XML_ID]=rebar&fields[PRICE]=80"
               "&fields[CURRENCY_ID]=RUB",
        "as_catalog": "catalog.product.get?id=$result[crm]",
        "cat": f"catalog.product.add?fields[iblockId]={CRM_CATALOG}&fields[name]=Сетка&fields[xmlId]=mesh",
        "price": f"catalog.price.add?fields[productId]=$result[cat][element][id]&fields[catalogGroupId]={base}"
                 "&fields[price]=45.5&fields[currency]=RUB",
        "as_crm": "crm.product.get?id=$result[cat][element][id]",
        "rows": "crm.deal.productrows.set?id=5&rows[0][PRODUCT_ID]=$result[cat][element][id]&rows[0][PRICE]=45.5"
                "&rows[0][QUANTITY]=10&rows[1][PRODUCT_ID]=$result[crm]&rows[1][PRICE]=80&rows[1][QUANTITY]=1",
        "read_rows": "crm.deal.productrows.get?id=5",
        "first": "crm.product.get?id=$result[read_rows][0][PRODUCT_ID]",
        "second": "catalog.product.get?id=$result[read_rows][1][PRODUCT_ID]",
    }
    answer = call(hook, "batch", {"halt": 1, "cmd": cmd}).json()["result"]
    assert answer["result_error"] == []
    result = answer["result"]
    assert result["as_catalog"]["product"]["xmlId"] == "rebar"
    assert result["as_catalog"]["product"]["id"] == result["crm"]
    assert (result["as_crm"]["XML_ID"], result["as_crm"]["PRICE"]) == ("mesh", 45.5)
    assert (result["first"]["ID"], result["first"]["NAME"]) == (str(result["cat"]["element"]["id"]), "Сетка")
    assert result["second"]["product"]["name"] == "Арматура А500"


@pytest.fixture(scope="module")
def demo_hook() -> Iterator[str]:
    """A sandbox portal seeded with the demo's story (``--demo``, as ``b24app demo`` starts it)."""
    server = start_server(["b24sandbox.portal", "--port", "0", "--deals", "20", "--demo"], "SANDBOX_PORTAL_URL")
    try:
        requests.post(server.url + "/_sandbox/config", json=RELAXED, timeout=10).raise_for_status()
        yield requests.post(server.url + "/_sandbox/webhooks", json={"user_id": 1}, timeout=10).json()["url"]
    finally:
        server.stop()


def test_seeded_products_are_in_both_families(demo_hook: str) -> None:
    crm = ok(demo_hook, "crm.product.list", {"select": ["ID", "NAME", "XML_ID", "PRICE"]})
    catalog = ok(demo_hook, "catalog.product.list", {"select": ["id", "iblockId", "name", "xmlId"],
                                                     "filter": {"iblockId": CRM_CATALOG}})["products"]
    assert crm and [(int(p["ID"]), p["NAME"], p["XML_ID"]) for p in crm] == [
        (p["id"], p["name"], p["xmlId"]) for p in catalog]
    base = base_type(demo_hook)
    for product in crm:
        prices = ok(demo_hook, "catalog.price.list", {"filter": {"productId": product["ID"],
                                                                 "catalogGroupId": base}})["prices"]
        assert [p["price"] for p in prices] == [product["PRICE"]]
    # Every seeded deal row names one of them.
    named = {int(r["PRODUCT_ID"]) for r in ok(demo_hook, "crm.deal.productrows.get", {"id": 1})}
    assert named and named <= {int(p["ID"]) for p in crm}
