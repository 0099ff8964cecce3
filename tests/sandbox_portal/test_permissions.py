"""Per-user CRM read access in the sandbox portal (b24sandbox/portal/permissions.py), over real HTTP.

Users (state.USERS): 1 the administrator, 2 and 3 sales managers in one department. Default roles: managers read
their own deals and every open company/contact. Seeded records are assigned to users 1, 2, 3 in turn; every fifth
company is closed (OPENED "N"). Tests find their records through the administrator, not by hard-coded IDs.
"""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import requests

from tests.sandbox_portal.conftest import InstalledApp, Portal, Receiver

ACCESS_DENIED = {"error": "", "error_description": "Access denied"}
NOT_FOUND = {"error": "", "error_description": "Not found"}


# -- helpers ------------------------------------------------------------------------------------------------


def token_of(portal: Portal, app: InstalledApp, user_id: int) -> str:
    return portal.control(f"apps/{app.client_id}/tokens", {"user_id": user_id})["access_token"]


def call(portal: Portal, token: str, method: str, params: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(f"{portal.url}/rest/{method}", json={**(params or {}), "auth": token}, timeout=30)


def result(answer: requests.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def ids_where(portal: Portal, app: InstalledApp, entity: str, filter_: dict[str, Any]) -> list[int]:
    """IDs (first page) of ``entity`` records matching ``filter_``, as the administrator sees them."""
    rows = result(call(portal, app.access_token, f"crm.{entity}.list", {"filter": filter_, "select": ["ID"]}))
    return [int(r["ID"]) for r in rows]


def admin_total(portal: Portal, app: InstalledApp, entity: str, filter_: dict[str, Any]) -> int:
    answer = call(portal, app.access_token, f"crm.{entity}.list", {"filter": filter_, "select": ["ID"]})
    return answer.json()["total"]


def set_level(portal: Portal, user_id: int, entity: str, level: str) -> requests.Response:
    return requests.post(
        f"{portal.url}/_sandbox/permissions", json={"user_id": user_id, "entity": entity, "level": level}, timeout=10
    )


# -- reading single records ---------------------------------------------------------------------------------


def test_admin_reads_deals_of_every_user(portal: Portal, installed_app: InstalledApp) -> None:
    # The app's own token was issued to the installing administrator (user 1): its sync sees everything.
    owners = {}
    for user_id in (1, 2, 3):
        deal_id = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": user_id})[0]
        deal = result(call(portal, installed_app.access_token, "crm.deal.get", {"id": deal_id}))
        owners[user_id] = deal["ASSIGNED_BY_ID"]
    assert owners == {1: "1", 2: "2", 3: "3"}
    listed = call(portal, installed_app.access_token, "crm.deal.list", {"select": ["ID"]}).json()
    assert listed["total"] == portal.state()["deals"]


def test_manager_reads_own_deal_and_is_refused_another_managers(portal: Portal, installed_app: InstalledApp) -> None:
    manager = token_of(portal, installed_app, 2)
    own = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 2})[0]
    others = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 3})[0]
    admins = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 1})[0]

    assert result(call(portal, manager, "crm.deal.get", {"id": own}))["ID"] == str(own)
    for refused_id in (others, admins):
        refused = call(portal, manager, "crm.deal.get", {"id": refused_id})
        assert refused.status_code == 400
        assert refused.json() == ACCESS_DENIED
    # A missing ID is "Not found" whatever the caller's rights (crm-deal-get.md).
    missing = call(portal, manager, "crm.deal.get", {"id": 99_999_999})
    assert missing.status_code == 400 and missing.json() == NOT_FOUND
    # Manager 3 reads their own deal, the one manager 2 was refused.
    assert result(call(portal, token_of(portal, installed_app, 3), "crm.deal.get", {"id": others}))["ID"] == str(others)


def test_open_companies_are_readable_and_a_closed_one_of_another_department_is_not(
    portal: Portal, installed_app: InstalledApp
) -> None:
    manager = token_of(portal, installed_app, 2)
    open_of_admin = ids_where(portal, installed_app, "company", {"ASSIGNED_BY_ID": 1, "OPENED": "Y"})[0]
    closed_of_admin = ids_where(portal, installed_app, "company", {"ASSIGNED_BY_ID": 1, "OPENED": "N"})[0]
    closed_own = ids_where(portal, installed_app, "company", {"ASSIGNED_BY_ID": 2, "OPENED": "N"})[0]
    # Managers 2 and 3 share a department; "all open" includes the own department's records (permissions.py).
    closed_of_colleague = ids_where(portal, installed_app, "company", {"ASSIGNED_BY_ID": 3, "OPENED": "N"})[0]

    for readable in (open_of_admin, closed_own, closed_of_colleague):
        assert result(call(portal, manager, "crm.company.get", {"id": readable}))["ID"] == str(readable)
    refused = call(portal, manager, "crm.company.get", {"id": closed_of_admin})
    assert refused.status_code == 400 and refused.json() == ACCESS_DENIED
    # The contact of that company is closed and the administrator's too.
    contact = ids_where(portal, installed_app, "contact", {"COMPANY_ID": closed_of_admin})[0]
    assert call(portal, manager, "crm.contact.get", {"id": contact}).json() == ACCESS_DENIED


# -- lists ----------------------------------------------------------------------------------------------------


def test_manager_lists_only_own_deals_and_total_counts_them(portal: Portal, installed_app: InstalledApp) -> None:
    manager = token_of(portal, installed_app, 2)
    own_total = admin_total(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 2})
    page = call(portal, manager, "crm.deal.list", {"select": ["ID", "ASSIGNED_BY_ID"]}).json()
    assert page["total"] == own_total > 50
    assert page["next"] == 50 and len(page["result"]) == 50
    assert {row["ASSIGNED_BY_ID"] for row in page["result"]} == {"2"}
    # Paging on with >ID and start=-1 (huge-data.md) also shows only the manager's deals.
    last = int(page["result"][-1]["ID"])
    fast = call(
        portal, manager, "crm.deal.list",
        {"filter": {">ID": last}, "order": {"ID": "ASC"}, "select": ["ID", "ASSIGNED_BY_ID"], "start": -1},
    ).json()
    assert "total" not in fast and {row["ASSIGNED_BY_ID"] for row in fast["result"]} == {"2"}
    # Asking for another manager's deals finds nothing rather than failing.
    theirs = call(portal, manager, "crm.deal.list", {"filter": {"ASSIGNED_BY_ID": 3}}).json()
    assert theirs["result"] == [] and theirs["total"] == 0
    # Ordered by something else than ID the count is the same.
    by_title = call(portal, manager, "crm.deal.list", {"order": {"TITLE": "ASC"}, "select": ["ID"]}).json()
    assert by_title["total"] == own_total


def test_company_and_requisite_lists_hide_closed_companies_of_others(
    portal: Portal, installed_app: InstalledApp
) -> None:
    manager = token_of(portal, installed_app, 2)
    hidden = admin_total(portal, installed_app, "company", {"ASSIGNED_BY_ID": 1, "OPENED": "N"})
    everything = admin_total(portal, installed_app, "company", {})
    assert hidden > 0
    assert call(portal, manager, "crm.company.list", {"select": ["ID"]}).json()["total"] == everything - hidden

    closed_of_admin = ids_where(portal, installed_app, "company", {"ASSIGNED_BY_ID": 1, "OPENED": "N"})[0]
    wanted = {"filter": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": closed_of_admin}}
    assert len(result(call(portal, installed_app.access_token, "crm.requisite.list", wanted))) == 1
    filtered = call(portal, manager, "crm.requisite.list", wanted).json()
    assert filtered["result"] == [] and filtered["total"] == 0
    assert call(portal, manager, "crm.requisite.list", {}).json()["total"] == everything - hidden
    # crm-requisite-get.md spells this refusal "Access denied." (with the dot).
    requisite_id = result(call(portal, installed_app.access_token, "crm.requisite.list", wanted))[0]["ID"]
    refused = call(portal, manager, "crm.requisite.get", {"id": requisite_id})
    assert refused.status_code == 400 and refused.json() == {"error": "", "error_description": "Access denied."}


# -- writes and product rows ----------------------------------------------------------------------------------


def test_unreadable_deal_cannot_be_changed_nor_its_product_rows_read(
    portal: Portal, installed_app: InstalledApp
) -> None:
    manager = token_of(portal, installed_app, 2)
    own = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 2})[0]
    others = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 3})[0]
    rows = {"rows": [{"PRODUCT_NAME": "Бумага А4", "PRICE": 350, "QUANTITY": 4}]}
    assert result(call(portal, installed_app.access_token, "crm.deal.productrows.set", {"id": others, **rows}))

    assert call(portal, manager, "crm.deal.update", {"id": others, "fields": {"TITLE": "x"}}).json() == ACCESS_DENIED
    assert call(portal, manager, "crm.deal.productrows.get", {"id": others}).json() == ACCESS_DENIED
    assert call(portal, manager, "crm.deal.productrows.set", {"id": others, **rows}).json() == ACCESS_DENIED
    assert call(portal, manager, "crm.deal.delete", {"id": others}).json() == ACCESS_DENIED
    untouched = result(call(portal, installed_app.access_token, "crm.deal.get", {"id": others}))
    assert untouched["TITLE"] != "x"
    assert len(result(call(portal, installed_app.access_token, "crm.deal.productrows.get", {"id": others}))) == 1

    assert result(call(portal, manager, "crm.deal.update", {"id": own, "fields": {"TITLE": "Моя сделка"}})) is True
    assert result(call(portal, manager, "crm.deal.productrows.set", {"id": own, **rows})) is True
    assert result(call(portal, manager, "crm.deal.productrows.get", {"id": own}))[0]["PRODUCT_NAME"] == "Бумага А4"
    closed_of_admin = ids_where(portal, installed_app, "company", {"ASSIGNED_BY_ID": 1, "OPENED": "N"})[0]
    changed = call(portal, manager, "crm.company.update", {"id": closed_of_admin, "fields": {"TITLE": "x"}})
    assert changed.status_code == 400 and changed.json() == ACCESS_DENIED
    # A deal the manager creates is theirs (ASSIGNED_BY_ID defaults to the caller) and so readable.
    new_id = result(call(portal, manager, "crm.deal.add", {"fields": {"TITLE": "Новая"}}))
    assert result(call(portal, manager, "crm.deal.get", {"id": new_id}))["ASSIGNED_BY_ID"] == "2"


def test_batch_commands_run_with_the_callers_rights(portal: Portal, installed_app: InstalledApp) -> None:
    manager = token_of(portal, installed_app, 2)
    own = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 2})[0]
    others = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 3})[0]
    answer = result(call(portal, manager, "batch", {"cmd": {
        "own": f"crm.deal.get?id={own}", "theirs": f"crm.deal.get?id={others}"}}))
    assert answer["result"]["own"]["ID"] == str(own)
    assert answer["result_error"] == {"theirs": ACCESS_DENIED}


# -- the control API --------------------------------------------------------------------------------------------


def test_control_endpoint_changes_a_level_and_reset_restores_it(portal: Portal, installed_app: InstalledApp) -> None:
    roles = portal.state()["crm_roles"]
    assert roles["1"] == {"deal": "all", "company": "all", "contact": "all"}
    assert roles["2"] == roles["3"] == {"deal": "own", "company": "open", "contact": "open"}
    others = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 3})[0]
    admins = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 1})[0]
    manager = token_of(portal, installed_app, 2)
    assert call(portal, manager, "crm.deal.get", {"id": others}).json() == ACCESS_DENIED

    changed = set_level(portal, 2, "deal", "all")
    assert changed.status_code == 200 and changed.json()["crm_roles"]["2"]["deal"] == "all"
    assert portal.state()["crm_roles"]["2"]["deal"] == "all"
    assert result(call(portal, manager, "crm.deal.get", {"id": others}))["ID"] == str(others)
    assert call(portal, manager, "crm.deal.list", {"select": ["ID"]}).json()["total"] == portal.state()["deals"]

    # "department": own plus the colleague's (same department), not the administrator's.
    assert set_level(portal, 2, "deal", "department").status_code == 200
    assert result(call(portal, manager, "crm.deal.get", {"id": others}))["ID"] == str(others)
    assert call(portal, manager, "crm.deal.get", {"id": admins}).json() == ACCESS_DENIED

    assert set_level(portal, 2, "company", "none").status_code == 200
    nothing = call(portal, manager, "crm.company.list", {}).json()
    assert nothing["result"] == [] and nothing["total"] == 0

    portal.control("reset")
    assert portal.state()["crm_roles"]["2"] == {"deal": "own", "company": "open", "contact": "open"}
    manager = token_of(portal, installed_app, 2)  # reset dropped every token
    assert call(portal, manager, "crm.deal.get", {"id": others}).json() == ACCESS_DENIED


def test_control_endpoint_refuses_what_it_cannot_model(portal: Portal) -> None:
    for body, words in (
        ({"user_id": 1, "entity": "deal", "level": "own"}, "administrator"),
        ({"user_id": 9, "entity": "deal", "level": "own"}, "unknown user"),
        ({"user_id": 2, "entity": "lead", "level": "own"}, "unknown entity"),
        ({"user_id": 2, "entity": "deal", "level": "everything"}, "unknown level"),
        ({"user_id": "two", "entity": "deal", "level": "own"}, "user_id"),
    ):
        answer = requests.post(f"{portal.url}/_sandbox/permissions", json=body, timeout=10)
        assert answer.status_code == 400 and words in answer.json()["error"], (body, answer.text)


# -- webhooks and frames -----------------------------------------------------------------------------------------


def test_webhook_of_a_manager_acts_with_that_managers_rights(portal: Portal, installed_app: InstalledApp) -> None:
    hook = portal.webhook(user_id=2)
    own = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 2})[0]
    others = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 3})[0]
    assert requests.get(hook + "crm.deal.get", params={"id": own}, timeout=10).json()["result"]["ID"] == str(own)
    refused = requests.get(hook + "crm.deal.get", params={"id": others}, timeout=10)
    assert refused.status_code == 400 and refused.json() == ACCESS_DENIED
    listed = requests.get(hook + "crm.deal.list", params={"select[]": ["ID", "ASSIGNED_BY_ID"]}, timeout=10).json()
    assert {row["ASSIGNED_BY_ID"] for row in listed["result"]} == {"2"}
    assert listed["total"] == admin_total(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 2})
    # The administrator's webhook reads the same deal.
    admin_hook = portal.webhook(user_id=1)
    assert requests.get(admin_hook + "crm.deal.get", params={"id": others}, timeout=10).status_code == 200


def test_users_include_the_second_manager(portal: Portal, installed_app: InstalledApp) -> None:
    users = result(call(portal, installed_app.access_token, "user.get"))
    by_id = {u["ID"]: u for u in users}
    assert set(by_id) == {"1", "2", "3"}
    assert (by_id["3"]["NAME"], by_id["3"]["LAST_NAME"]) == ("Ольга", "Продажина")
    assert by_id["2"]["UF_DEPARTMENT"] == by_id["3"]["UF_DEPARTMENT"] != by_id["1"]["UF_DEPARTMENT"]
    assert result(call(portal, token_of(portal, installed_app, 3), "user.admin")) is False


def _frames(html: str) -> dict[str, Any]:
    found = re.search(r"window\.SANDBOX_FRAMES = (.*?);</script>", html)
    assert found, "the card page carries no frame data"
    return json.loads(found.group(1))


def _form_fields(html: str) -> dict[str, str]:
    form = re.search(r'<form id="b24-form-1"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None
    return {m[0]: unescape(m[1]) for m in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                                      form.group(1))}


def test_card_tab_opens_for_each_manager_with_their_own_token(
    portal: Portal, receiver: Receiver, installed_app: InstalledApp
) -> None:
    bound = call(portal, installed_app.access_token, "placement.bind",
                 {"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": f"{receiver.url}/tab/deal", "TITLE": "1С"})
    assert result(bound) is True
    for user_id in (2, 3):
        deal_id = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": user_id})[0]
        page = requests.get(f"{portal.url}/crm/deal/details/{deal_id}/", params={"user": user_id}, timeout=10)
        assert page.status_code == 200, page.text
        init = _frames(page.text)["b24-frame-1"]["init"]
        assert init["USER_ID"] == user_id and init["IS_ADMIN"] is False
        assert init["PLACEMENT_OPTIONS"] == {"ID": str(deal_id)}
        fields = _form_fields(page.text)
        assert fields["AUTH_ID"] == init["AUTH_ID"]
        # The frame's token acts as that manager: it reads the deal the tab is for.
        assert result(call(portal, fields["AUTH_ID"], "user.current"))["ID"] == str(user_id)
        assert result(call(portal, fields["AUTH_ID"], "crm.deal.get", {"id": deal_id}))["ID"] == str(deal_id)

    # The portal does not open a card the user may not read, so no tab (and no token) reaches them.
    others = ids_where(portal, installed_app, "deal", {"ASSIGNED_BY_ID": 3})[0]
    denied = requests.get(f"{portal.url}/crm/deal/details/{others}/", params={"user": 2}, timeout=10)
    assert denied.status_code == 403 and "b24-frame-1" not in denied.text
    admin_page = requests.get(f"{portal.url}/crm/deal/details/{others}/", params={"user": 1}, timeout=10)
    assert admin_page.status_code == 200 and _frames(admin_page.text)["b24-frame-1"]["init"]["IS_ADMIN"] is True
