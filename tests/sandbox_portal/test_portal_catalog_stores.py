"""The sandbox portal's warehouses, stock and inventory documents over HTTP (api-reference/catalog/store/,
store-product/, document/, document/document-element/ in bitrix24/b24restdocs)."""

from __future__ import annotations

from typing import Any

from tests.sandbox_portal.conftest import Portal
from tests.sandbox_portal.test_portal_catalog import add_product, call, ok


def add_store(hook: str, title: str, **fields: Any) -> int:
    fields = {"title": title, "address": "г. Москва, ул. Складская, 1", **fields}
    return ok(hook, "catalog.store.add", {"fields": fields})["result"]["store"]["id"]


def add_document(hook: str, doc_type: str, rows: list[dict[str, Any]]) -> int:
    document = ok(hook, "catalog.document.add", {"fields": {"docType": doc_type, "currency": "RUB",
                                                            "responsibleId": 1}})["result"]["document"]
    for row in rows:
        ok(hook, "catalog.document.element.add", {"fields": {"docId": document["id"], **row}})
    return document["id"]


def stock(hook: str, product_id: int) -> dict[int, float]:
    rows = ok(hook, "catalog.storeproduct.list", {"filter": {"productId": product_id}})["result"]["storeProducts"]
    return {r["storeId"]: r["amount"] for r in rows}


def test_store_add_get_list_update_delete(portal: Portal) -> None:
    hook = portal.webhook()
    added = ok(hook, "catalog.store.add", {"fields": {"title": "Основной склад", "address": "Москва",
                                                      "xmlId": "store-guid-1", "code": "main"}})["result"]["store"]
    assert (added["active"], added["xmlId"], added["code"], added["userId"]) == ("Y", "store-guid-1", "main", 1)
    no_address = call(hook, "catalog.store.add", {"fields": {"title": "Без адреса"}})
    assert no_address.status_code == 400 and "address" in no_address.json()["error_description"]
    updated = ok(hook, "catalog.store.update", {"id": added["id"], "fields": {"active": "N"}})["result"]["store"]
    assert updated["active"] == "N" and updated["dateModify"]
    listed = ok(hook, "catalog.store.list", {"filter": {"xmlId": "store-guid-1"}, "select": ["id", "title"]})
    assert listed["result"]["stores"] == [{"id": added["id"], "title": "Основной склад"}] and listed["total"] == 1
    assert ok(hook, "catalog.store.delete", {"id": added["id"]})["result"] is True
    assert call(hook, "catalog.store.get", {"id": added["id"]}).json()["error"] == 201100000000


def test_inventory_mode_switch_and_quantity_writes(portal: Portal) -> None:
    hook = portal.webhook()
    assert ok(hook, "catalog.document.mode.status")["result"] == "N"
    product = add_product(hook, name="Плитка", quantity=7)
    assert product["quantity"] == 7.0
    assert portal.control("catalog", {"inventory_management": True})["inventory_management"] is True
    assert ok(hook, "catalog.document.mode.status")["result"] == "Y"
    # "Not editable when inventory accounting is enabled" (catalog_product): the write leaves quantity alone
    after = ok(hook, "catalog.product.update", {"id": product["id"], "fields": {"quantity": 100, "name": "Плитка 2"}})
    assert after["result"]["element"]["quantity"] == 7.0 and after["result"]["element"]["name"] == "Плитка 2"
    portal.control("reset")
    assert ok(hook := portal.webhook(), "catalog.document.mode.status")["result"] == "N"  # reset turns it off
    assert ok(hook, "catalog.product.list", {"select": ["id", "iblockId"], "filter": {"iblockId": 23}})["total"] == 0


def test_conducted_documents_change_stock_and_quantity(portal: Portal) -> None:
    hook = portal.webhook()
    portal.control("catalog", {"inventory_management": True})
    main, branch = add_store(hook, "Основной склад"), add_store(hook, "Филиал")
    product = add_product(hook, name="Кабель ВВГ 3x2.5", quantityTrace="Y")["id"]
    assert ok(hook, "catalog.product.get", {"id": product})["result"]["product"]["available"] == "N"
    arrival = add_document(hook, "S", [{"elementId": product, "storeTo": main, "amount": 100,
                                        "purchasingPrice": 50}])
    rows = ok(hook, "catalog.document.element.list", {"filter": {"docId": arrival}})["result"]["documentElements"]
    assert [(r["elementId"], r["amount"], r["storeTo"]) for r in rows] == [(product, 100.0, main)]
    assert ok(hook, "catalog.document.conduct", {"id": arrival})["result"] is True
    assert stock(hook, product) == {main: 100.0}
    conducted = ok(hook, "catalog.document.list", {"filter": {"id": arrival}})["result"]["documents"][0]
    assert conducted["status"] == "Y" and conducted["total"] == 5000.0
    locked = call(hook, "catalog.document.element.add", {"fields": {"docId": arrival, "elementId": product,
                                                                    "storeTo": main, "amount": 1}})
    assert locked.json() == {"error": "ERROR_DOCUMENT_STATUS", "error_description": "Conducted document"}
    moving = add_document(hook, "M", [{"elementId": product, "storeFrom": main, "storeTo": branch, "amount": 30}])
    ok(hook, "catalog.document.conduct", {"id": moving})
    write_off = add_document(hook, "D", [{"elementId": product, "storeFrom": branch, "amount": 5}])
    ok(hook, "catalog.document.conduct", {"id": write_off})
    assert stock(hook, product) == {main: 70.0, branch: 25.0}
    got = ok(hook, "catalog.product.get", {"id": product})["result"]["product"]
    assert got["quantity"] == 95.0 and got["available"] == "Y"
    too_much = add_document(hook, "D", [{"elementId": product, "storeFrom": branch, "amount": 26}])
    refused = call(hook, "catalog.document.conduct", {"id": too_much})
    assert refused.status_code == 400 and refused.json()["error_description"].startswith("Document conducting error")
    assert stock(hook, product) == {main: 70.0, branch: 25.0}  # nothing half-done
    # cancelling the transfer first would take 30 from a warehouse holding 25: refused, stock unchanged
    short = call(hook, "catalog.document.cancel", {"id": moving})
    assert short.status_code == 400 and short.json()["error_description"].startswith("Error cancelling")
    ok(hook, "catalog.document.cancel", {"id": write_off})
    ok(hook, "catalog.document.cancel", {"id": moving})
    assert stock(hook, product) == {main: 100.0, branch: 0.0}
    status = ok(hook, "catalog.document.list", {"filter": {"id": moving}})["result"]["documents"][0]["status"]
    assert status == "C"
    again = call(hook, "catalog.document.cancel", {"id": moving})
    assert again.json()["error_description"].endswith("Document has not been conducted yet")
    row = ok(hook, "catalog.storeproduct.list", {"filter": {"productId": product, "storeId": main}})
    one = ok(hook, "catalog.storeproduct.get", {"id": row["result"]["storeProducts"][0]["id"]})
    assert one["result"]["storeProduct"]["amount"] == 100.0
    assert call(hook, "catalog.store.delete", {"id": main}).json()["error_description"] == (
        "Documents are issued for this warehouse")


def test_documents_need_inventory_management_and_valid_fields(portal: Portal) -> None:
    hook = portal.webhook()
    store = add_store(hook, "Склад")
    product = add_product(hook, name="Краска")["id"]
    document = add_document(hook, "S", [{"elementId": product, "storeTo": store, "amount": 3}])
    off = call(hook, "catalog.document.conduct", {"id": document})
    assert off.status_code == 400 and off.json() == {
        "error": "0", "error_description": "Warehouse accounting must be enabled to conduct the document"}
    bad_type = call(hook, "catalog.document.add", {"fields": {"docType": "Z", "currency": "RUB", "responsibleId": 1}})
    assert bad_type.json() == {"error": "0", "error_description": "DOC_TYPE isn't available"}
    missing = call(hook, "catalog.document.add", {"fields": {"docType": "S"}})
    assert missing.json()["error_description"] == "Required fields: currency, responsibleId"
    unknown = call(hook, "catalog.document.conduct", {"id": 999999})
    assert unknown.json() == {"error": "0", "error_description": "Document not found"}
    bad_store = call(hook, "catalog.document.element.add", {"fields": {"docId": document, "elementId": product,
                                                                       "storeTo": 999}})
    assert bad_store.json()["error"] == "ERROR_DOCUMENT_RIGHTS"
    types = ok(hook, "catalog.enum.getStoreDocumentTypes")["result"]["enum"]
    assert [t["id"] for t in types] == ["A", "S", "M", "R", "D"]
    assert ok(hook, "catalog.document.delete", {"id": document})["result"] is True
    assert ok(hook, "catalog.document.element.list", {"filter": {"docId": document}})["total"] == 0


def test_store_and_stock_lists_page_by_fifty(portal: Portal) -> None:
    hook = portal.webhook()
    portal.control("catalog", {"inventory_management": True})
    product = add_product(hook, name="Песок")["id"]
    for first in (0, 50):
        cmd = {f"s{n}": f"catalog.store.add?fields[title]=Склад {n}&fields[address]=Адрес {n}&fields[xmlId]=st-{n}"
               for n in range(first, first + 30)}
        ok(hook, "batch", {"cmd": cmd})
    stores = ok(hook, "catalog.store.list", {"order": {"id": "asc"}, "select": ["id"]})
    assert stores["total"] == 60 and stores["next"] == 50 and len(stores["result"]["stores"]) == 50
    ids = [s["id"] for s in stores["result"]["stores"]]
    ids += [s["id"] for s in ok(hook, "catalog.store.list", {"order": {"id": "asc"}, "start": 50})["result"]["stores"]]
    assert len(set(ids)) == 60
    receipt = add_document(hook, "S", [{"elementId": product, "storeTo": store_id, "amount": 1} for store_id in ids])
    ok(hook, "catalog.document.conduct", {"id": receipt})
    rows = ok(hook, "catalog.storeproduct.list", {"filter": {"productId": product}})
    assert rows["total"] == 60 and rows["next"] == 50
    assert ok(hook, "catalog.product.get", {"id": product})["result"]["product"]["quantity"] == 60.0
