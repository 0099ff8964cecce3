"""The sandbox portal's catalog, sections, products and variations over HTTP (api-reference/catalog/ in
bitrix24/b24restdocs: catalog/, section/, product/, product/offer/, vat/)."""

from __future__ import annotations

from typing import Any

import requests

from tests.sandbox_portal.conftest import Portal

PRODUCTS = 23  # the CRM product catalog (catalog-catalog-list.md)


def call(hook: str, method: str, payload: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(hook + method, json=payload or {}, timeout=30)


def ok(hook: str, method: str, payload: dict[str, Any] | None = None) -> Any:
    response = call(hook, method, payload)
    assert response.status_code == 200, response.text
    return response.json()


def add_product(hook: str, **fields: Any) -> dict[str, Any]:
    return ok(hook, "catalog.product.add", {"fields": {"iblockId": PRODUCTS, **fields}})["result"]["element"]


def test_catalogs_name_the_product_catalog_and_its_variations(portal: Portal) -> None:
    hook = portal.webhook()
    answer = ok(hook, "catalog.catalog.list")
    catalogs = {c["iblockId"]: c for c in answer["result"]["catalogs"]}
    assert answer["total"] == 2
    assert catalogs[23]["productIblockId"] is None and catalogs[24]["productIblockId"] == 23
    assert catalogs[24]["skuPropertyId"] and catalogs[23]["iblockTypeId"] == "CRM_PRODUCT_CATALOG"
    assert ok(hook, "catalog.catalog.get", {"id": 24})["result"]["catalog"]["productIblockId"] == 23
    vats = ok(hook, "catalog.vat.list", {"filter": {"rate": 20}})["result"]["vats"]
    assert [v["rate"] for v in vats] == [20.0]


def test_product_add_get_update_delete(portal: Portal) -> None:
    hook = portal.webhook()
    vat20 = ok(hook, "catalog.vat.list", {"filter": {"rate": 20}})["result"]["vats"][0]["id"]
    added = add_product(hook, name="Цемент М500", xmlId="a1b2c3d4-0000-1111-2222-333344445555", code="cement-m500",
                        vatId=vat20, vatIncluded="Y", measure=4, quantity="12,5", purchasingPrice=350.5)
    assert (added["name"], added["iblockId"], added["type"], added["active"]) == ("Цемент М500", 23, 1, "Y")
    assert added["quantity"] == 12.5 and added["purchasingPrice"] == "350.500000" and added["measure"] == 4
    got = ok(hook, "catalog.product.get", {"id": added["id"]})["result"]["product"]
    assert got["xmlId"] == "a1b2c3d4-0000-1111-2222-333344445555" and got["vatId"] == vat20
    updated = ok(hook, "catalog.product.update", {"id": added["id"], "fields": {"name": "Цемент", "active": "N",
                                                                                "id": 5, "type": 3}})
    element = updated["result"]["element"]
    assert (element["id"], element["name"], element["active"], element["type"]) == (added["id"], "Цемент", "N", 1)
    assert ok(hook, "catalog.product.delete", {"id": added["id"]})["result"] is True
    gone = call(hook, "catalog.product.get", {"id": added["id"]})
    assert gone.status_code == 400 and gone.json() == {"error": 0, "error_description": "The product does not exist"}


def test_an_empty_xml_id_becomes_the_id(portal: Portal) -> None:
    added = add_product(portal.webhook(), name="Без внешнего кода", xmlId="")
    assert added["xmlId"] == str(added["id"])


def test_product_errors(portal: Portal) -> None:
    hook = portal.webhook()
    no_fields = call(hook, "catalog.product.add", {})
    assert no_fields.status_code == 400 and no_fields.json()["error"] == 100
    no_name = call(hook, "catalog.product.add", {"fields": {"iblockId": PRODUCTS}})
    assert no_name.status_code == 400 and no_name.json()["error_description"] == "Required fields: name"
    bad_iblock = call(hook, "catalog.product.add", {"fields": {"iblockId": 99, "name": "x"}})
    assert bad_iblock.json()["error"] == 200040300000
    bad_section = call(hook, "catalog.product.add", {"fields": {"iblockId": PRODUCTS, "name": "x",
                                                                "iblockSectionId": 999}})
    assert bad_section.status_code == 400 and "Section" in bad_section.json()["error_description"]
    add_product(hook, name="Первый", code="same")
    duplicate = call(hook, "catalog.product.add", {"fields": {"iblockId": PRODUCTS, "name": "Второй", "code": "same"}})
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["error_description"]
    no_id = call(hook, "catalog.product.get", {})
    assert no_id.json() == {"error": 100, "error_description": "Could not find value for parameter {id}"}
    no_filter = call(hook, "catalog.product.list", {"select": ["id", "iblockId"]})
    assert no_filter.status_code == 400 and "iblockId" in no_filter.json()["error_description"]
    no_select = call(hook, "catalog.product.list", {"filter": {"iblockId": PRODUCTS}})
    assert no_select.status_code == 400 and "selection" in no_select.json()["error_description"]


def test_product_list_pages_by_fifty_and_by_id(portal: Portal) -> None:
    hook = portal.webhook()
    cmd = {f"p{n}": f"catalog.product.add?fields[iblockId]={PRODUCTS}&fields[name]=Товар {n}&fields[xmlId]=x{n}"
           for n in range(50)}
    ok(hook, "batch", {"cmd": cmd})
    cmd = {f"p{n}": f"catalog.product.add?fields[iblockId]={PRODUCTS}&fields[name]=Товар {n}&fields[xmlId]=x{n}"
           for n in range(50, 120)}
    ok(hook, "batch", {"cmd": dict(list(cmd.items())[:50])})
    ok(hook, "batch", {"cmd": dict(list(cmd.items())[50:])})
    query = {"select": ["id", "iblockId", "xmlId"], "filter": {"iblockId": PRODUCTS}, "order": {"id": "asc"}}
    first = ok(hook, "catalog.product.list", query)
    assert first["total"] == 120 and first["next"] == 50 and len(first["result"]["products"]) == 50
    assert set(first["result"]["products"][0]) == {"id", "iblockId", "xmlId"}
    last = ok(hook, "catalog.product.list", {**query, "start": 100})
    assert len(last["result"]["products"]) == 20 and "next" not in last
    seen: list[int] = []
    after = 0
    while True:  # huge-data.md: >id with start=-1 until a short page
        rows = ok(hook, "catalog.product.list", {**query, "filter": {"iblockId": PRODUCTS, ">id": after},
                                                 "start": -1})
        assert "total" not in rows
        ids = [p["id"] for p in rows["result"]["products"]]
        seen += ids
        if len(ids) < 50:
            break
        after = ids[-1]
    assert len(seen) == 120 and seen == sorted(seen)
    by_xml = ok(hook, "catalog.product.list", {**query, "filter": {"iblockId": PRODUCTS, "@xmlId": ["x7", "x99"]}})
    assert sorted(p["xmlId"] for p in by_xml["result"]["products"]) == ["x7", "x99"]


def test_sections_nest_and_go_with_their_products(portal: Portal) -> None:
    hook = portal.webhook()
    top = ok(hook, "catalog.section.add", {"fields": {"iblockId": PRODUCTS, "name": "Стройматериалы",
                                                      "xmlId": "grp-1", "code": "build"}})["result"]["section"]
    child = ok(hook, "catalog.section.add", {"fields": {"iblockId": PRODUCTS, "name": "Цемент",
                                                        "iblockSectionId": top["id"]}})["result"]["section"]
    assert (child["iblockSectionId"], child["active"], child["sort"]) == (top["id"], "Y", 500)
    product = add_product(hook, name="Цемент М400", iblockSectionId=child["id"])
    listed = ok(hook, "catalog.section.list", {"filter": {"iblockId": PRODUCTS}, "select": ["id", "name"]})
    assert [s["name"] for s in listed["result"]["sections"]] == ["Стройматериалы", "Цемент"]
    assert listed["total"] == 2
    renamed = ok(hook, "catalog.section.update", {"id": child["id"], "fields": {"name": "Цемент и смеси"}})
    assert renamed["result"]["section"]["name"] == "Цемент и смеси"
    duplicate = call(hook, "catalog.section.add", {"fields": {"iblockId": PRODUCTS, "name": "x", "code": "build"}})
    assert duplicate.json()["error"] == 200700300040
    no_filter = call(hook, "catalog.section.list", {})
    assert no_filter.status_code == 400
    ok(hook, "catalog.section.delete", {"id": top["id"]})
    assert call(hook, "catalog.section.get", {"id": child["id"]}).json()["error"] == 200700300030
    assert call(hook, "catalog.product.get", {"id": product["id"]}).status_code == 400


def test_variations_belong_to_a_product(portal: Portal) -> None:
    hook = portal.webhook()
    parent = add_product(hook, name="Футболка")
    offer = ok(hook, "catalog.product.offer.add", {"fields": {"iblockId": 24, "name": "Футболка, XL",
                                                              "parentId": parent["id"], "xmlId": "char-xl"}})
    made = offer["result"]["offer"]
    assert made["type"] == 4 and made["parentId"]["value"] == str(parent["id"]) and made["iblockId"] == 24
    listed = ok(hook, "catalog.product.offer.list", {"select": ["id", "iblockId", "parentId"],
                                                     "filter": {"iblockId": 24, "parentId": parent["id"]}})
    assert [o["id"] for o in listed["result"]["offers"]] == [made["id"]]
    wrong_catalog = call(hook, "catalog.product.offer.add", {"fields": {"iblockId": PRODUCTS, "name": "x"}})
    assert wrong_catalog.json()["error"] == 200040300000
    ok(hook, "catalog.product.delete", {"id": parent["id"]})
    assert call(hook, "catalog.product.offer.get", {"id": made["id"]}).status_code == 400


def test_catalog_methods_need_the_catalog_scope(portal: Portal) -> None:
    for client_id, scopes in (("local.nocatalog", ["crm"]), ("local.catalog", ["crm", "catalog"])):
        portal.control("apps", {"client_id": client_id, "client_secret": "s", "scopes": scopes})
    without = portal.control("apps/local.nocatalog/tokens", {"user_id": 1})["access_token"]
    with_scope = portal.control("apps/local.catalog/tokens", {"user_id": 1})["access_token"]
    refused = requests.post(f"{portal.url}/rest/catalog.catalog.list", json={"auth": without}, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"] == "insufficient_scope"
    allowed = requests.post(f"{portal.url}/rest/catalog.catalog.list", json={"auth": with_scope}, timeout=10)
    assert allowed.status_code == 200 and allowed.json()["total"] == 2


def test_batch_refers_to_a_new_products_id(portal: Portal) -> None:
    hook = portal.webhook()
    cmd = {
        "product": f"catalog.product.add?fields[iblockId]={PRODUCTS}&fields[name]=Кирпич&fields[xmlId]=brick",
        "price": "catalog.price.add?fields[productId]=$result[product][element][id]&fields[catalogGroupId]=1"
                 "&fields[price]=25.5&fields[currency]=RUB",
        "check": "catalog.product.get?id=$result[product][element][id]",
    }
    result = ok(hook, "batch", {"halt": 1, "cmd": cmd})["result"]
    assert result["result_error"] == []
    product_id = result["result"]["product"]["element"]["id"]
    assert result["result"]["price"]["price"]["productId"] == product_id
    assert result["result"]["check"]["product"]["xmlId"] == "brick"
