"""Helpers for the card-tab tests: frame posts as the sandbox portal sends them, and deals linked to 1C orders."""

from __future__ import annotations

import json

import requests

from tests.support.processes import get_json, post_json


def frame_params(sandbox_url: str, client_id: str, placement: str, entity_id: int | str, lang: str = "ru") -> dict:
    """What the portal POSTs into a card tab (api-reference/widgets/crm/detail-tab.md), with a fresh user token."""
    state = get_json(sandbox_url + "/_sandbox/state")
    token = post_json(f"{sandbox_url}/_sandbox/apps/{client_id}/tokens", {"user_id": 1})
    return {"member_id": state["member_id"], "DOMAIN": state["domain"], "PLACEMENT": placement,
            "PLACEMENT_OPTIONS": json.dumps({"ID": str(entity_id)}), "LANG": lang,
            "AUTH_ID": token["access_token"], "PROTOCOL": "0"}


def open_tab(app_url: str, kind: str, params: dict) -> requests.Response:
    return requests.post(f"{app_url}/tabs/{kind}", data=params, timeout=15)


def link_deal_by_number(ctx, member_id: str, deal_id: int, number: str, field: str = "UF_CRM_B24_1C_ORDER") -> None:
    """Write the 1C number into the mapped deal field, as an administrator or manager would."""
    client = ctx.bitrix(member_id)
    existing = client.call("crm.deal.userfield.list", {"filter": {"FIELD_NAME": field}}).result or []
    if not existing:
        client.call("crm.deal.userfield.add", {"fields": {
            "FIELD_NAME": field.removeprefix("UF_CRM_"), "USER_TYPE_ID": "string",
            "EDIT_FORM_LABEL": "Номер заказа 1С", "LIST_COLUMN_LABEL": "Номер заказа 1С"}})
    client.call("crm.deal.update", {"id": deal_id, "fields": {field: number}})
