"""List (enumeration) user fields: values kept with IDs, shown by userfield.list/get and crm.deal.fields, and
taken by deals as the value's ID (api-reference/crm/deals/user-defined-fields/crm-deal-userfield-add.md,
-list.md, -update.md; field description `items`: api-reference/crm/_include/user-fields-for-examples-cut.md)."""

from __future__ import annotations

import requests

from tests.sandbox_portal.conftest import Portal


def _call(hook: str, method: str, params: dict | None = None) -> dict:
    answer = requests.post(hook + method, json=params or {}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def _add_seller_field(hook: str) -> int:
    return _call(hook, "crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": "SELLER", "USER_TYPE_ID": "enumeration", "EDIT_FORM_LABEL": {"ru": "Продавец"},
        "SETTINGS": {"DISPLAY": "LIST"},
        "LIST": [{"VALUE": "ООО «Ромашка»", "SORT": 20, "XML_ID": "romashka"},
                 {"VALUE": "ИП Васильков", "SORT": 10, "DEF": "Y"},
                 {"VALUE": "", "SORT": 30}]}})  # an empty VALUE is ignored


def test_list_values_are_kept_with_ids_and_shown_by_list_get_and_fields(portal: Portal) -> None:
    hook = portal.webhook()
    field_id = _add_seller_field(hook)
    [listed] = [f for f in _call(hook, "crm.deal.userfield.list") if f["FIELD_NAME"] == "UF_CRM_SELLER"]
    values = listed["LIST"]
    assert [v["VALUE"] for v in values] == ["ИП Васильков", "ООО «Ромашка»"]  # by SORT
    assert [v["SORT"] for v in values] == ["10", "20"] and [v["DEF"] for v in values] == ["Y", "N"]
    assert values[1]["XML_ID"] == "romashka" and len(values[0]["XML_ID"]) == 32
    assert all(v["ID"].isdigit() for v in values) and len({v["ID"] for v in values}) == 2
    assert _call(hook, "crm.deal.userfield.get", {"id": field_id})["LIST"] == values

    described = _call(hook, "crm.deal.fields")["UF_CRM_SELLER"]
    assert described["type"] == "enumeration" and described["isDynamic"] is True
    assert described["items"] == [{"ID": v["ID"], "VALUE": v["VALUE"]} for v in values]
    assert "items" not in _call(hook, "crm.deal.fields")["TITLE"]


def test_deals_take_and_return_the_value_id(portal: Portal) -> None:
    hook = portal.webhook()
    _add_seller_field(hook)
    ids = {i["VALUE"]: i["ID"] for i in _call(hook, "crm.deal.fields")["UF_CRM_SELLER"]["items"]}
    deal = _call(hook, "crm.deal.add", {"fields": {"TITLE": "Поставка", "UF_CRM_SELLER": ids["ИП Васильков"]}})
    assert _call(hook, "crm.deal.get", {"id": deal})["UF_CRM_SELLER"] == ids["ИП Васильков"]
    _call(hook, "crm.deal.update", {"id": deal, "fields": {"UF_CRM_SELLER": ids["ООО «Ромашка»"]}})
    found = _call(hook, "crm.deal.list", {"filter": {"UF_CRM_SELLER": ids["ООО «Ромашка»"]},
                                          "select": ["ID", "UF_CRM_SELLER"]})
    assert found == [{"ID": str(deal), "UF_CRM_SELLER": ids["ООО «Ромашка»"]}]


def test_update_adds_changes_and_deletes_values(portal: Portal) -> None:
    hook = portal.webhook()
    field_id = _add_seller_field(hook)
    first, second = _call(hook, "crm.deal.userfield.get", {"id": field_id})["LIST"]
    assert _call(hook, "crm.deal.userfield.update", {"id": field_id, "fields": {"LIST": [
        {"ID": first["ID"], "VALUE": "ИП Васильков А. А."},
        {"ID": second["ID"], "DEL": "Y"},
        {"VALUE": "АО «Лютик»", "SORT": 5}]}})
    values = _call(hook, "crm.deal.userfield.get", {"id": field_id})["LIST"]
    assert [v["VALUE"] for v in values] == ["АО «Лютик»", "ИП Васильков А. А."]
    assert values[1]["ID"] == first["ID"] and int(values[0]["ID"]) > int(second["ID"])
    items = _call(hook, "crm.deal.fields")["UF_CRM_SELLER"]["items"]
    assert items == [{"ID": v["ID"], "VALUE": v["VALUE"]} for v in values]


def test_form_encoded_list_is_read_like_json(portal: Portal) -> None:
    hook = portal.webhook()
    answer = requests.post(hook + "crm.company.userfield.add", data={
        "fields[FIELD_NAME]": "TIER", "fields[USER_TYPE_ID]": "enumeration",
        "fields[LIST][0][VALUE]": "A", "fields[LIST][1][VALUE]": "B"}, timeout=10).json()
    row = _call(hook, "crm.company.userfield.get", {"id": answer["result"]})
    assert [v["VALUE"] for v in row["LIST"]] == ["A", "B"]
    assert [i["VALUE"] for i in _call(hook, "crm.company.fields")["UF_CRM_TIER"]["items"]] == ["A", "B"]
