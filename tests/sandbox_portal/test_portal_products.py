"""CRM catalog products in the sandbox portal (crm.product.*: dev.1c-bitrix.ru/rest_help/crm/products/)."""

from __future__ import annotations

import requests

from tests.sandbox_portal.conftest import Portal


def _call(hook: str, method: str, payload: dict) -> dict:
    return requests.post(hook + method, json=payload, timeout=10).json()


def test_product_add_get_list_update_delete(portal: Portal) -> None:
    hook = portal.webhook()
    fields = _call(hook, "crm.product.fields", {})["result"]
    assert fields["NAME"]["isRequired"] and fields["ID"]["isReadOnly"] and "XML_ID" in fields
    new_id = _call(hook, "crm.product.add", {"fields": {"NAME": "Цемент М500", "XML_ID": "АРТ-10007",
                                                       "PRICE": "350,50"}})["result"]
    product = _call(hook, "crm.product.get", {"id": new_id})["result"]
    assert (product["NAME"], product["XML_ID"], product["PRICE"], product["CURRENCY_ID"]) == (
        "Цемент М500", "АРТ-10007", 350.5, "RUB")
    assert product["CATALOG_ID"] and product["DATE_CREATE"]
    listed = _call(hook, "crm.product.list", {"filter": {"XML_ID": "АРТ-10007"}, "select": ["ID", "NAME"]})
    assert [p["ID"] for p in listed["result"]] == [str(new_id)] and listed["total"] == 1
    assert _call(hook, "crm.product.update", {"id": new_id, "fields": {"ID": 999, "NAME": "Цемент"}})["result"]
    assert _call(hook, "crm.product.get", {"id": new_id})["result"]["NAME"] == "Цемент"
    assert _call(hook, "crm.product.delete", {"id": new_id})["result"] is True
    gone = requests.post(hook + "crm.product.get", json={"id": new_id}, timeout=10)
    assert gone.status_code == 400 and gone.json()["error_description"] == "Not found"


def test_product_add_needs_a_name_and_get_a_valid_id(portal: Portal) -> None:
    hook = portal.webhook()
    missing = requests.post(hook + "crm.product.add", json={"fields": {"XML_ID": "x"}}, timeout=10)
    assert missing.status_code == 400 and "NAME" in missing.json()["error_description"]
    bad = requests.post(hook + "crm.product.get", json={"id": "abc"}, timeout=10)
    assert bad.status_code == 400
