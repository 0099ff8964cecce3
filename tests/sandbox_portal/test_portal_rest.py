"""REST basics of the sandbox portal: envelope, errors, encodings, webhooks, CRM methods."""

from __future__ import annotations

import requests
from stdnum.ru import inn as ru_inn

from tests.sandbox_portal.conftest import InstalledApp, Portal

TIME_KEYS = {"start", "finish", "duration", "processing", "date_start", "date_finish", "operating"}


def test_envelope_has_result_and_time_block(portal: Portal) -> None:
    answer = requests.get(portal.webhook() + "crm.deal.get", params={"id": 7}, timeout=10)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"result", "time"}
    assert TIME_KEYS <= set(body["time"])
    assert body["time"]["date_start"].endswith("+03:00")
    deal = body["result"]
    assert deal["ID"] == "7" and deal["CURRENCY_ID"] == "RUB"
    assert deal["OPPORTUNITY"].endswith(".00") or deal["OPPORTUNITY"].endswith(".50")
    assert deal["DATE_CREATE"][10] == "T" and deal["DATE_CREATE"].endswith("+03:00")


def test_three_encodings_give_the_same_answer(portal: Portal) -> None:
    hook = portal.webhook()
    query = requests.get(
        hook + "crm.deal.list",
        params={"filter[>ID]": "100", "filter[CATEGORY_ID]": "1", "select[]": ["ID", "TITLE"], "order[ID]": "DESC"},
        timeout=10,
    ).json()
    form = requests.post(
        hook + "crm.deal.list.json",
        data={
            "filter[>ID]": "100",
            "filter[CATEGORY_ID]": "1",
            "select[0]": "ID",
            "select[1]": "TITLE",
            "order[ID]": "DESC",
        },
        timeout=10,
    ).json()
    as_json = requests.post(
        hook + "crm.deal.list",
        json={"filter": {">ID": 100, "CATEGORY_ID": 1}, "select": ["ID", "TITLE"], "order": {"ID": "DESC"}},
        timeout=10,
    ).json()
    assert query["result"] == form["result"] == as_json["result"]
    assert query["total"] == form["total"] == as_json["total"] > 0
    ids = [int(d["ID"]) for d in query["result"]]
    assert ids == sorted(ids, reverse=True) and min(ids) > 100
    assert set(query["result"][0]) == {"ID", "TITLE"}


def test_utf8_round_trip_in_all_encodings(portal: Portal) -> None:
    hook = portal.webhook()
    title = "Поставка «Ёлка» №1 — тест"
    first = requests.post(hook + "crm.deal.add", data={"fields[TITLE]": title}, timeout=10).json()["result"]
    second = requests.post(hook + "crm.deal.add", json={"fields": {"TITLE": title}}, timeout=10).json()["result"]
    for new_id in (first, second):
        got = requests.get(hook + "crm.deal.get", params={"id": new_id}, timeout=10).json()["result"]
        assert got["TITLE"] == title


def test_error_shapes_and_statuses(portal: Portal, installed_app: InstalledApp) -> None:
    rest = f"{portal.url}/rest/"
    no_auth = requests.get(rest + "crm.deal.list", timeout=10)
    assert no_auth.status_code == 401 and no_auth.json()["error"] == "NO_AUTH_FOUND"
    bad_token = requests.get(rest + "crm.deal.list", params={"auth": "nope"}, timeout=10)
    assert bad_token.status_code == 401 and bad_token.json()["error"] == "invalid_token"
    unknown = requests.get(rest + "crm.nothing.here", params={"auth": installed_app.access_token}, timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"] == "ERROR_METHOD_NOT_FOUND"
    missing = requests.get(
        rest + "crm.deal.get", params={"auth": installed_app.access_token, "id": 99_999_999}, timeout=10
    )
    assert missing.status_code == 400
    assert missing.json() == {"error": "", "error_description": "Not found"}
    bad_hook = requests.get(f"{portal.url}/rest/1/not-a-code/crm.deal.list", timeout=10)
    assert bad_hook.status_code == 401 and bad_hook.json()["error"] == "INVALID_CREDENTIALS"


def test_webhook_of_one_user_does_not_open_for_another(portal: Portal) -> None:
    hook = portal.webhook(user_id=2)
    assert requests.get(hook + "user.current", timeout=10).json()["result"]["ID"] == "2"
    forged = hook.replace("/rest/2/", "/rest/1/")
    assert requests.get(forged + "user.current", timeout=10).status_code == 401


def test_oauth_caller_sees_user_and_app(portal: Portal, installed_app: InstalledApp) -> None:
    rest = f"{portal.url}/rest/"
    auth = {"auth": installed_app.access_token}
    assert requests.get(rest + "user.admin", params=auth, timeout=10).json()["result"] is True
    info = requests.get(rest + "app.info", params=auth, timeout=10).json()["result"]
    assert info["CODE"] == installed_app.client_id and info["INSTALLED"] is True and info["STATUS"] == "L"
    manager = portal.control(f"apps/{installed_app.client_id}/tokens", {"user_id": 2})
    answer = requests.get(rest + "user.admin", params={"auth": manager["access_token"]}, timeout=10).json()
    assert answer["result"] is False
    # placement.bind is for administrators (placement-bind.md).
    denied = requests.post(
        rest + "placement.bind",
        data={"auth": manager["access_token"], "PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": "http://x/"},
        timeout=10,
    )
    assert denied.status_code == 403


def test_app_only_methods_refuse_webhooks(portal: Portal) -> None:
    answer = requests.get(portal.webhook() + "placement.get", timeout=10)
    assert answer.status_code == 403 and answer.json()["error"] == "WRONG_AUTH_TYPE"


def test_userfield_gets_prefix_and_deals_carry_it(portal: Portal) -> None:
    hook = portal.webhook()
    added = requests.post(
        hook + "crm.deal.userfield.add",
        json={"fields": {"FIELD_NAME": "ONEC_REF", "USER_TYPE_ID": "string", "EDIT_FORM_LABEL": {"ru": "Ссылка 1С"}}},
        timeout=10,
    ).json()
    field_id = added["result"]
    listed = requests.get(hook + "crm.deal.userfield.list", timeout=10).json()["result"]
    assert [f["FIELD_NAME"] for f in listed] == ["UF_CRM_ONEC_REF"]
    assert requests.get(hook + "crm.deal.fields", timeout=10).json()["result"]["UF_CRM_ONEC_REF"]["isDynamic"]
    requests.post(hook + "crm.deal.update", data={"id": 5, "fields[UF_CRM_ONEC_REF]": "guid-1"}, timeout=10)
    deal = requests.get(hook + "crm.deal.get", params={"id": 5}, timeout=10).json()["result"]
    assert deal["UF_CRM_ONEC_REF"] == "guid-1"
    page = requests.post(
        hook + "crm.deal.list", json={"filter": {"UF_CRM_ONEC_REF": "guid-1"}, "select": ["ID", "UF_*"]}, timeout=10
    ).json()
    assert page["result"] == [{"ID": "5", "UF_CRM_ONEC_REF": "guid-1"}]
    star = requests.post(hook + "crm.deal.list", json={"filter": {"ID": 5}, "select": ["*"]}, timeout=10).json()
    assert "UF_CRM_ONEC_REF" not in star["result"][0] and "TITLE" in star["result"][0]
    for bad in (
        {"FIELD_NAME": "ONEC_REF", "USER_TYPE_ID": "string"},
        {"FIELD_NAME": "ONEC-REF", "USER_TYPE_ID": "string"},
        {"FIELD_NAME": "NO_TYPE"},
    ):
        refused = requests.post(hook + "crm.deal.userfield.add", json={"fields": bad}, timeout=10)
        assert refused.status_code == 400 and refused.json()["error_description"], bad
    assert requests.post(hook + "crm.deal.userfield.delete", data={"id": field_id}, timeout=10).json()["result"]
    assert "UF_CRM_ONEC_REF" not in requests.get(hook + "crm.deal.get", params={"id": 5}, timeout=10).json()["result"]


def test_companies_have_requisites_with_valid_inn(portal: Portal) -> None:
    hook = portal.webhook()
    company = requests.get(hook + "crm.company.get", params={"id": 3}, timeout=10).json()["result"]
    assert company["TITLE"].startswith(("ООО", "АО", "ПАО"))
    requisites = requests.post(
        hook + "crm.requisite.list",
        json={"filter": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": 3}, "select": ["ID", "RQ_INN", "RQ_KPP"]},
        timeout=10,
    ).json()["result"]
    assert len(requisites) == 1
    assert ru_inn.is_valid(requisites[0]["RQ_INN"]) and len(requisites[0]["RQ_KPP"]) == 9
    new_id = requests.post(
        hook + "crm.requisite.add",
        json={
            "fields": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": 3, "PRESET_ID": 1, "NAME": "Второй", "RQ_INN": "7707083893"}
        },
        timeout=10,
    ).json()["result"]
    assert (
        requests.get(hook + "crm.requisite.get", params={"id": new_id}, timeout=10).json()["result"]["RQ_INN"]
        == "7707083893"
    )
    incomplete = requests.post(hook + "crm.requisite.add", json={"fields": {"NAME": "x"}}, timeout=10)
    assert incomplete.status_code == 400


def test_stages_and_pipelines(portal: Portal) -> None:
    hook = portal.webhook()
    default = requests.post(hook + "crm.status.list", json={"filter": {"ENTITY_ID": "DEAL_STAGE"}}, timeout=10).json()
    assert [s["STATUS_ID"] for s in default["result"]][:2] == ["NEW", "PREPARATION"]
    extra = requests.post(hook + "crm.status.list", json={"filter": {"ENTITY_ID": "DEAL_STAGE_1"}}, timeout=10).json()
    assert all(s["STATUS_ID"].startswith("C1:") for s in extra["result"])
    categories = requests.get(hook + "crm.category.list", params={"entityTypeId": 2}, timeout=10).json()
    assert [c["id"] for c in categories["result"]["categories"]] == [0, 1]
    legacy = requests.get(hook + "crm.dealcategory.list", timeout=10).json()["result"]
    assert [c["ID"] for c in legacy] == ["1"]


def test_timeline_comments_and_product_rows(portal: Portal) -> None:
    hook = portal.webhook()
    comment_id = requests.post(
        hook + "crm.timeline.comment.add",
        json={"fields": {"ENTITY_ID": 9, "ENTITY_TYPE": "deal", "COMMENT": "Оплата получена"}},
        timeout=10,
    ).json()["result"]
    listed = requests.post(
        hook + "crm.timeline.comment.list", json={"filter": {"ENTITY_ID": 9, "ENTITY_TYPE": "deal"}}, timeout=10
    ).json()
    assert [c["ID"] for c in listed["result"]] == [str(comment_id)]
    assert listed["result"][0]["COMMENT"] == "Оплата получена"

    new_deal = requests.post(hook + "crm.deal.add", json={"fields": {"TITLE": "Заказ"}}, timeout=10).json()["result"]
    rows = [{"PRODUCT_NAME": "Бумага А4", "PRICE": 350.5, "QUANTITY": 4}, {"PRODUCT_NAME": "Доставка", "PRICE": 1000}]
    assert (
        requests.post(hook + "crm.deal.productrows.set", json={"id": new_deal, "rows": rows}, timeout=10).json()[
            "result"
        ]
        is True
    )
    got = requests.get(hook + "crm.deal.productrows.get", params={"id": new_deal}, timeout=10).json()["result"]
    assert [(r["PRODUCT_NAME"], r["PRICE"], r["QUANTITY"]) for r in got] == [
        ("Бумага А4", 350.5, 4.0),
        ("Доставка", 1000.0, 1.0),
    ]
    deal = requests.get(hook + "crm.deal.get", params={"id": new_deal}, timeout=10).json()["result"]
    assert deal["OPPORTUNITY"] == "2402.00"


def test_deal_update_and_delete(portal: Portal) -> None:
    hook = portal.webhook()
    assert (
        requests.post(
            hook + "crm.deal.update",
            json={"id": 11, "fields": {"STAGE_ID": "WON", "CATEGORY_ID": 0, "OPPORTUNITY": "1234.5"}},
            timeout=10,
        ).json()["result"]
        is True
    )
    deal = requests.get(hook + "crm.deal.get", params={"id": 11}, timeout=10).json()["result"]
    assert (deal["STAGE_ID"], deal["STAGE_SEMANTIC_ID"], deal["CLOSED"], deal["OPPORTUNITY"]) == (
        "WON",
        "S",
        "Y",
        "1234.50",
    )
    assert requests.post(hook + "crm.deal.delete", data={"id": 11}, timeout=10).json()["result"] is True
    assert requests.get(hook + "crm.deal.get", params={"id": 11}, timeout=10).status_code == 400
    assert portal.state()["deals"] == 9_999


def test_scopes_limit_an_app(portal: Portal) -> None:
    portal.control("apps", {"client_id": "local.narrow", "client_secret": "x", "scopes": ["user"], "title": "narrow"})
    token = portal.control("apps/local.narrow/tokens", {"user_id": 1})["access_token"]
    assert requests.get(f"{portal.url}/rest/user.current", params={"auth": token}, timeout=10).status_code == 200
    refused = requests.get(f"{portal.url}/rest/crm.deal.list", params={"auth": token}, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"] == "insufficient_scope"


def test_batch_over_get_with_double_encoding(portal: Portal) -> None:
    # batch.md "HTTP (OAuth)" example: sub-requests URL-encoded twice inside the query string.
    url = (
        portal.webhook() + "batch?halt=0&cmd[deal]=crm.deal.get%3Fid%3D4"
        "&cmd[company]=crm.company.get%3Fid%3D%2524result%255Bdeal%255D%255BCOMPANY_ID%255D"
    )
    result = requests.get(url, timeout=10).json()["result"]
    assert result["result"]["company"]["ID"] == result["result"]["deal"]["COMPANY_ID"]
