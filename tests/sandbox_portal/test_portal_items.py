"""Smart invoices (crm.item.* with entityTypeId 31) and their product rows in the sandbox portal; their events
name the type (api-reference/crm/universal/invoice.md, events/on-crm-dynamic-item-update.md)."""

from __future__ import annotations

import requests

from tests.sandbox_portal.conftest import InstalledApp, Portal, Receiver


def _call(hook: str, method: str, payload: dict) -> requests.Response:
    return requests.post(hook + method, json=payload, timeout=10)


def test_invoice_add_get_update_list_delete(portal: Portal) -> None:
    hook = portal.webhook()
    added = _call(hook, "crm.item.add", {"entityTypeId": 31, "fields": {
        "title": "Счёт на поставку", "companyId": 3, "parentId2": 7, "opportunity": "1500,5", "id": 999}}).json()
    item = added["result"]["item"]
    assert item["entityTypeId"] == 31 and item["id"] != 999 and item["stageId"] == "DT31_1:N"
    assert (item["companyId"], item["parentId2"], item["opportunity"], item["currencyId"]) == (3, 7, 1500.5, "RUB")
    got = _call(hook, "crm.item.get", {"entityTypeId": 31, "id": item["id"]}).json()["result"]["item"]
    assert got["title"] == "Счёт на поставку" and got["accountNumber"]
    updated = _call(hook, "crm.item.update", {"entityTypeId": 31, "id": item["id"],
                                              "fields": {"stageId": "DT31_1:D"}}).json()["result"]["item"]
    assert (updated["stageId"], updated["previousStageId"]) == ("DT31_1:D", "DT31_1:N")
    listed = _call(hook, "crm.item.list", {"entityTypeId": 31, "filter": {"=parentId2": 7},
                                           "select": ["id", "title"]}).json()
    assert listed["result"]["items"] == [{"id": item["id"], "title": "Счёт на поставку"}] and listed["total"] == 1
    fields = _call(hook, "crm.item.fields", {"entityTypeId": 31}).json()["result"]["fields"]
    assert fields["id"]["isReadOnly"] and not fields["parentId2"]["isReadOnly"]
    assert _call(hook, "crm.item.delete", {"entityTypeId": 31, "id": item["id"]}).status_code == 200
    gone = _call(hook, "crm.item.get", {"entityTypeId": 31, "id": item["id"]})
    assert gone.status_code == 400 and gone.json()["error_description"] == "Not found"
    other = _call(hook, "crm.item.list", {"entityTypeId": 1234})
    assert other.status_code == 400 and other.json()["error"] == "NOT_FOUND"


def test_invoice_product_rows_set_the_sum_and_list_by_owner(portal: Portal) -> None:
    hook = portal.webhook()
    item = _call(hook, "crm.item.add", {"entityTypeId": 31, "fields": {"title": "С"}}).json()["result"]["item"]
    rows = _call(hook, "crm.item.productrow.set", {"ownerType": "SI", "ownerId": item["id"], "productRows": [
        {"productId": 5, "productName": "Цемент", "price": 350, "quantity": 3, "taxRate": 20, "taxIncluded": "Y"},
        {"productId": 6, "productName": "Песок", "price": 100, "quantity": 2}]}).json()["result"]["productRows"]
    assert [r["productId"] for r in rows] == [5, 6] and rows[0]["ownerType"] == "SI"
    listed = _call(hook, "crm.item.productrow.list", {"filter": {"=ownerType": "SI", "=ownerId": item["id"]}}).json()
    assert [(r["productName"], r["quantity"]) for r in listed["result"]["productRows"]] == [("Цемент", 3), ("Песок", 2)]
    again = _call(hook, "crm.item.get", {"entityTypeId": 31, "id": item["id"]}).json()["result"]["item"]
    assert again["opportunity"] == 1250.0


def test_invoice_events_carry_the_entity_type(portal: Portal, installed_app: InstalledApp, receiver: Receiver) -> None:
    token = installed_app.access_token
    for event_type in ("online", "offline"):
        bound = requests.post(f"{portal.url}/rest/event.bind", data={
            "auth": token, "event": "ONCRMDYNAMICITEMUPDATE", "handler": f"{receiver.url}/events",
            "event_type": event_type}, timeout=10).json()
        assert bound["result"] is True
    item = _call(portal.webhook(), "crm.item.add", {"entityTypeId": 31, "fields": {"title": "С"}}).json()
    item_id = str(item["result"]["item"]["id"])
    _call(portal.webhook(), "crm.item.update", {"entityTypeId": 31, "id": item_id, "fields": {"title": "Д"}})
    [event] = receiver.wait_for(lambda r: r.form.get("event") == "ONCRMDYNAMICITEMUPDATE")
    assert (event.form["data[FIELDS][ID]"], event.form["data[FIELDS][ENTITY_TYPE_ID]"]) == (item_id, "31")
    offline = requests.post(f"{portal.url}/rest/event.offline.get", data={"auth": token}, timeout=10).json()
    [entry] = [e for e in offline["result"]["events"] if e["EVENT_NAME"] == "ONCRMDYNAMICITEMUPDATE"]
    assert entry["EVENT_DATA"]["FIELDS"] == {"ID": item_id, "ENTITY_TYPE_ID": "31"}
