"""Phones and e-mails in the sandbox portal: crm.duplicate.findbycomm, the PHONE / EMAIL multifields (how writes
change them, how lists filter on them) and the ORIGIN_* fields that carry an external key, over real HTTP.

Sources: api-reference/crm/duplicates/crm-duplicate-find-by-comm.md, crm/contacts/crm-contact-update.md (multiple
fields), crm/companies/crm-company-list.md ("Filters work only on exact matches"), crm/companies/crm-company-add.md
(ORIGINATOR_ID, ORIGIN_ID, ORIGIN_VERSION); what the pages leave open as methods_duplicates.py says.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.sandbox_portal.conftest import InstalledApp, Portal


def call(portal: Portal, token: str, method: str, params: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(f"{portal.url}/rest/{method}", json={**(params or {}), "auth": token}, timeout=30)


def ok(answer: requests.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def add(portal: Portal, token: str, entity: str, phones: list[str] = (), emails: list[str] = (), **fields: Any) -> int:
    body = {"TITLE": "ООО «Тест»", "NAME": "Тест", **fields,
            "PHONE": [{"VALUE": p, "VALUE_TYPE": "WORK"} for p in phones],
            "EMAIL": [{"VALUE": e, "VALUE_TYPE": "WORK"} for e in emails]}
    return int(ok(call(portal, token, f"crm.{entity}.add", {"fields": body})))


def find(portal: Portal, token: str, kind: str, values: Any, entity_type: str | None = None) -> requests.Response:
    params: dict[str, Any] = {"type": kind, "values": values}
    if entity_type is not None:
        params["entity_type"] = entity_type
    return call(portal, token, "crm.duplicate.findbycomm", params)


@pytest.fixture
def token(installed_app: InstalledApp) -> str:
    return installed_app.access_token


# -- crm.duplicate.findbycomm -----------------------------------------------------------------------------------


def test_findbycomm_answers_the_ids_per_type(portal: Portal, token: str) -> None:
    first = add(portal, token, "contact", phones=["+7 (915) 000-11-22"], emails=["Anna.Smirnova@Example.RU"])
    second = add(portal, token, "contact", phones=["+7 915 000 11 22;105"])  # an extension after ";"
    firm = add(portal, token, "company", phones=["+79150001122"], emails=["anna.smirnova@example.ru"])
    add(portal, token, "company", phones=["+79150001123"])

    assert ok(find(portal, token, "PHONE", ["+7-915-000-11-22"])) == {"CONTACT": [first, second], "COMPANY": [firm]}
    assert ok(find(portal, token, "PHONE", ["79150001122"], "CONTACT")) == {"CONTACT": [first, second]}
    assert ok(find(portal, token, "phone", ["79150001122"], "company")) == {"COMPANY": [firm]}
    # E-mails compare without regard to case; several values give the union, each card once.
    assert ok(find(portal, token, "EMAIL", [" ANNA.SMIRNOVA@example.ru", "nobody@example.ru"])) == {
        "CONTACT": [first], "COMPANY": [firm]}
    # Nothing found is PHP's empty array.
    assert ok(find(portal, token, "EMAIL", ["nobody@example.ru"])) == []
    assert ok(find(portal, token, "PHONE", ["79150001122"], "LEAD")) == []


def test_findbycomm_in_a_batch(portal: Portal, token: str) -> None:
    person = add(portal, token, "contact", emails=["ivan@example.ru"])
    answer = ok(call(portal, token, "batch", {"cmd": {
        "a": "crm.duplicate.findbycomm?entity_type=CONTACT&type=EMAIL&values[0]=IVAN@example.ru&values[1]=x@y.z",
        "b": "crm.duplicate.findbycomm?type=EMAIL&values[0]=none@example.ru"}}))
    assert answer["result"] == {"a": {"CONTACT": [person]}, "b": []} and answer["result_error"] == []


@pytest.mark.parametrize(("params", "text"), [
    ({"values": ["1"]}, "Communication type is not defined."),
    ({"type": "FAX", "values": ["1"]}, "Communication type 'FAX' is not supported in current context."),
    ({"type": "PHONE"}, "Communication values is not defined."),
    ({"type": "PHONE", "values": []}, "Communication values is not defined."),
    ({"type": "PHONE", "values": "79150001122"}, "Communication values is not defined."),  # not an array
    ({"type": "PHONE", "values": ["1"], "entity_type": "DEAL"}, "Deal is not supported in current context."),
])
def test_findbycomm_refusals(portal: Portal, token: str, params: dict, text: str) -> None:
    answer = call(portal, token, "crm.duplicate.findbycomm", params)
    assert answer.status_code == 400 and answer.json() == {"error": "", "error_description": text}


def test_findbycomm_searches_at_most_twenty_values(portal: Portal, token: str) -> None:
    person = add(portal, token, "contact", emails=["last@example.ru"])
    others = [f"other{n}@example.ru" for n in range(19)]
    # The 20th distinct value is searched; past it the portal stops without an error (the docs' maximum is 20).
    assert ok(find(portal, token, "EMAIL", [*others, "last@example.ru"])) == {"CONTACT": [person]}
    assert ok(find(portal, token, "EMAIL", [*others, "extra@example.ru", "last@example.ru"])) == []
    # Repeated and empty values do not count towards the twenty.
    assert ok(find(portal, token, "EMAIL", [*others, others[0], "", "last@example.ru"])) == {"CONTACT": [person]}


def test_twenty_cards_of_one_type_hide_the_types_after_it(portal: Portal, token: str) -> None:
    phone = "+7 (916) 555-00-00"
    commands = {f"c{n}": f"crm.contact.add?fields[NAME]=К{n}&fields[PHONE][0][VALUE]={phone}" for n in range(21)}
    contacts = sorted(int(v) for v in ok(call(portal, token, "batch", {"cmd": commands}))["result"].values())
    firm = add(portal, token, "company", phones=[phone])
    # crm-duplicate-find-by-comm.md: 20 or more contacts found leave the companies out.
    assert ok(find(portal, token, "PHONE", ["79165550000"])) == {"CONTACT": contacts[:20]}
    assert ok(find(portal, token, "PHONE", ["79165550000"], "COMPANY")) == {"COMPANY": [firm]}


def test_findbycomm_needs_read_access_to_some_crm_cards(portal: Portal, installed_app: InstalledApp) -> None:
    add(portal, installed_app.access_token, "contact", emails=["ivan@example.ru"])
    manager = portal.control(f"apps/{installed_app.client_id}/tokens", {"user_id": 2})["access_token"]
    assert "CONTACT" in ok(find(portal, manager, "EMAIL", ["ivan@example.ru"]))
    for entity in ("company", "contact"):
        requests.post(f"{portal.url}/_sandbox/permissions", json={"user_id": 2, "entity": entity, "level": "none"},
                      timeout=10).raise_for_status()
    answer = find(portal, manager, "EMAIL", ["ivan@example.ru"])
    assert answer.status_code == 403 and answer.json() == {"error": "", "error_description": "Access denied."}


# -- PHONE / EMAIL multifields and ORIGIN_* -----------------------------------------------------------------------


def _phones(portal: Portal, token: str, entity: str, entity_id: int) -> list[tuple[str, str]]:
    card = ok(call(portal, token, f"crm.{entity}.get", {"id": entity_id}))
    assert all(p["ID"] and p["TYPE_ID"] == "PHONE" for p in card["PHONE"])
    return [(p["VALUE"], p["VALUE_TYPE"]) for p in card["PHONE"]]


@pytest.mark.parametrize("entity", ["company", "contact"])
def test_multifield_writes_change_values_one_by_one(portal: Portal, token: str, entity: str) -> None:
    card = add(portal, token, entity, phones=["111111", "222222", "333333"])
    assert _phones(portal, token, entity, card) == [("111111", "WORK"), ("222222", "WORK"), ("333333", "WORK")]
    ids = [p["ID"] for p in ok(call(portal, token, f"crm.{entity}.get", {"id": card}))["PHONE"]]
    # crm-contact-update.md: a value without ID is added and the others stay.
    ok(call(portal, token, f"crm.{entity}.update", {"id": card, "fields": {
        "PHONE": [{"VALUE": "444444", "VALUE_TYPE": "MOBILE"}]}}))
    assert _phones(portal, token, entity, card)[-1] == ("444444", "MOBILE")
    # An ID with a VALUE changes that value; with DELETE=Y, an empty VALUE or nothing else, removes it.
    ok(call(portal, token, f"crm.{entity}.update", {"id": card, "fields": {"PHONE": [
        {"ID": ids[0], "DELETE": "Y"}, {"ID": ids[1], "VALUE": ""}, {"ID": ids[2], "VALUE": "333334"}]}}))
    assert _phones(portal, token, entity, card) == [("333334", "WORK"), ("444444", "MOBILE")]
    ok(call(portal, token, f"crm.{entity}.update", {"id": card, "fields": {"PHONE": [{"ID": ids[2]}]}}))
    assert _phones(portal, token, entity, card) == [("444444", "MOBILE")]
    # Every value of the portal has its own ID.
    other = add(portal, token, entity, phones=["555555"])
    mine = {p["ID"] for p in ok(call(portal, token, f"crm.{entity}.get", {"id": card}))["PHONE"]}
    theirs = {p["ID"] for p in ok(call(portal, token, f"crm.{entity}.get", {"id": other}))["PHONE"]}
    assert not mine & theirs and not mine & set(ids[:2])


def test_lists_filter_multifields_by_exact_value_and_origin_fields(portal: Portal, token: str) -> None:
    firm = add(portal, token, "company", phones=["+74951234567"], emails=["buh@romashka.ru"],
               ORIGINATOR_ID="1c-base-7", ORIGIN_ID="5e4641fd-1dd9-11e6-b2f2-005056c00008", ORIGIN_VERSION="AAAAAQ==")
    person = add(portal, token, "contact", emails=["buh@romashka.ru"], ORIGIN_ID="person-1")

    def ids(entity: str, filter_: dict) -> list[int]:
        rows = ok(call(portal, token, f"crm.{entity}.list", {"filter": filter_, "select": ["ID"]}))
        return [int(r["ID"]) for r in rows]

    assert ids("company", {"PHONE": "+74951234567"}) == [firm]
    assert ids("company", {"PHONE": "74951234567"}) == []  # exact matches only
    assert ids("company", {"%PHONE": "4951234"}) == []
    assert ids("company", {"EMAIL": ["x@y.z", "buh@romashka.ru"]}) == [firm]
    assert ids("contact", {"EMAIL": "buh@romashka.ru"}) == [person]
    assert firm not in ids("company", {"!EMAIL": "buh@romashka.ru", ">=ID": firm - 1})
    assert ids("company", {"ORIGINATOR_ID": "1c-base-7", "ORIGIN_ID": "5e4641fd-1dd9-11e6-b2f2-005056c00008"}) == [firm]
    assert ids("contact", {"ORIGIN_ID": "person-1"}) == [person]
    card = ok(call(portal, token, "crm.company.get", {"id": firm}))
    assert (card["ORIGINATOR_ID"], card["ORIGIN_VERSION"]) == ("1c-base-7", "AAAAAQ==")
    selected = ok(call(portal, token, "crm.company.list", {"filter": {"ID": firm},
                                                           "select": ["ID", "PHONE", "ORIGIN_ID"]}))
    assert selected[0]["PHONE"][0]["VALUE"] == "+74951234567" and selected[0]["ORIGIN_ID"].startswith("5e46")
