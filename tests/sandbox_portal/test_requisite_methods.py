"""Requisites, their presets, bank details and addresses in the sandbox portal, over real HTTP.

What each answer must look like comes from the official REST docs (bitrix24/b24restdocs,
api-reference/crm/requisites/); the sandbox names each source in methods_requisites.py / methods_addresses.py.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.sandbox_portal.conftest import InstalledApp, Portal, Receiver


def call(portal: Portal, token: str, method: str, params: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(f"{portal.url}/rest/{method}", json={**(params or {}), "auth": token}, timeout=30)


def ok(answer: requests.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def refused(answer: requests.Response, text: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"error": "", "error_description": text}


def company(portal: Portal, token: str, title: str = "ООО «Ромашка»", **fields: Any) -> int:
    return int(ok(call(portal, token, "crm.company.add", {"fields": {"TITLE": title, **fields}})))


def requisite(portal: Portal, token: str, owner: int, entity_type: int = 4, **fields: Any) -> int:
    body = {"ENTITY_TYPE_ID": entity_type, "ENTITY_ID": owner, "PRESET_ID": 1, "NAME": "Организация", **fields}
    return int(ok(call(portal, token, "crm.requisite.add", {"fields": body})))


@pytest.fixture
def token(installed_app: InstalledApp) -> str:
    """The app's token, issued to the installing administrator (user 1)."""
    return installed_app.access_token


# -- presets ----------------------------------------------------------------------------------------------------


def test_a_fresh_russian_portal_has_three_presets(portal: Portal, token: str) -> None:
    rows = ok(call(portal, token, "crm.requisite.preset.list", {"order": {"ID": "ASC"}}))
    assert [(r["ID"], r["NAME"], r["COUNTRY_ID"], r["ENTITY_TYPE_ID"]) for r in rows] == [
        ("1", "Организация", "1", "8"), ("2", "ИП", "1", "8"), ("3", "Физ. лицо", "1", "8")]
    assert all(r["ACTIVE"] == "Y" and r["XML_ID"].startswith("#CRM_REQUISITE_PRESET_DEF_") for r in rows)
    answer = call(portal, token, "crm.requisite.preset.list", {"filter": {"NAME": "ИП"}, "select": ["ID", "NAME"]})
    assert answer.json()["result"] == [{"ID": "2", "NAME": "ИП"}] and answer.json()["total"] == 1
    person = ok(call(portal, token, "crm.requisite.preset.get", {"id": 3}))
    assert person["NAME"] == "Физ. лицо" and person["DATE_MODIFY"] == "" and person["MODIFY_BY_ID"] is None
    refused(call(portal, token, "crm.requisite.preset.get", {"id": 347}), "The Preset with ID '347' is not found")
    fields = ok(call(portal, token, "crm.requisite.preset.fields"))
    assert fields["COUNTRY_ID"]["isRequired"] and fields["COUNTRY_ID"]["isImmutable"]
    assert fields["ID"]["isReadOnly"] and not fields["SORT"]["isRequired"]


# -- requisites -------------------------------------------------------------------------------------------------


def test_requisite_fields_are_the_documented_set(portal: Portal, token: str) -> None:
    fields = ok(call(portal, token, "crm.requisite.fields"))
    for name in ("RQ_OGRN", "RQ_OGRNIP", "RQ_COMPANY_NAME", "RQ_COMPANY_FULL_NAME", "RQ_FIRST_NAME", "RQ_LAST_NAME",
                 "RQ_SECOND_NAME", "XML_ID", "ACTIVE", "SORT", "ADDRESS_ONLY", "ORIGINATOR_ID", "RQ_VAT_PAYER"):
        assert name in fields, name
    for name in ("ENTITY_TYPE_ID", "ENTITY_ID", "PRESET_ID"):
        assert fields[name]["isRequired"] and fields[name]["isImmutable"] and not fields[name]["isReadOnly"]
    assert fields["RQ_VAT_PAYER"]["type"] == "char" and fields["DATE_MODIFY"]["isReadOnly"]


def test_requisite_round_trip(portal: Portal, token: str) -> None:
    owner = company(portal, token)
    new_id = requisite(portal, token, owner, RQ_INN="7707083893", RQ_KPP="773601001", RQ_OGRN="1027700132195",
                       RQ_COMPANY_NAME="ООО «Ромашка»", RQ_COMPANY_FULL_NAME="Общество с ограниченной "
                       "ответственностью «Ромашка»", XML_ID="1c-key-1", UNKNOWN_FIELD="x")
    got = ok(call(portal, token, "crm.requisite.get", {"id": new_id}))
    assert (got["ENTITY_TYPE_ID"], got["ENTITY_ID"], got["PRESET_ID"]) == ("4", str(owner), "1")
    assert (got["RQ_INN"], got["RQ_KPP"], got["RQ_OGRN"], got["XML_ID"]) == (
        "7707083893", "773601001", "1027700132195", "1c-key-1")
    # crm-requisite-get.md: an unchanged requisite shows DATE_MODIFY "" and MODIFY_BY_ID null; unset RQ_* are null.
    assert (got["DATE_MODIFY"], got["MODIFY_BY_ID"], got["ACTIVE"], got["SORT"]) == ("", None, "Y", "500")
    assert got["RQ_OGRNIP"] is None and "UNKNOWN_FIELD" not in got

    assert ok(call(portal, token, "crm.requisite.update", {"id": new_id, "fields": {
        "RQ_KPP": "773601002", "PRESET_ID": 2, "ENTITY_ID": owner + 1}})) is True
    changed = ok(call(portal, token, "crm.requisite.get", {"id": new_id}))
    assert changed["RQ_KPP"] == "773601002" and changed["DATE_MODIFY"] and changed["MODIFY_BY_ID"] == "1"
    # The immutable fields keep what the requisite was created with.
    assert (changed["PRESET_ID"], changed["ENTITY_ID"]) == ("1", str(owner))

    listed = call(portal, token, "crm.requisite.list", {"filter": {"XML_ID": "1c-key-1"},
                                                         "select": ["ID", "RQ_INN"]}).json()
    assert listed["result"] == [{"ID": str(new_id), "RQ_INN": "7707083893"}] and listed["total"] == 1

    assert ok(call(portal, token, "crm.requisite.delete", {"id": new_id})) is True
    refused(call(portal, token, "crm.requisite.get", {"id": new_id}), f"The Requisite with ID '{new_id}' is not found")
    refused(call(portal, token, "crm.requisite.delete", {"id": new_id}),
            f"The Requisite with ID '{new_id}' is not found")
    refused(call(portal, token, "crm.requisite.update", {"id": new_id, "fields": {"RQ_INN": "1"}}),
            f"The Requisite with ID '{new_id}' is not found")
    refused(call(portal, token, "crm.requisite.get", {"id": "abc"}), "ID is not defined or invalid.")


@pytest.mark.parametrize(("change", "text"), [
    ({"ENTITY_TYPE_ID": None}, "ENTITY_TYPE_ID is not defined or invalid."),
    ({"ENTITY_TYPE_ID": 2}, "ENTITY_TYPE_ID is not defined or invalid."),  # a deal cannot own a requisite
    ({"ENTITY_ID": None}, "ENTITY_ID is not defined or invalid."),
    ({"PRESET_ID": None}, "PRESET_ID is not defined or invalid."),
    ({"PRESET_ID": 99}, "PRESET_ID is not defined or invalid."),
    ({"NAME": ""}, "NAME is not defined or invalid."),
    ({"ENTITY_ID": 999_999}, "Entity not found."),
])
def test_requisite_add_refuses_what_the_docs_refuse(portal: Portal, token: str, change: dict, text: str) -> None:
    fields = {"ENTITY_TYPE_ID": 4, "ENTITY_ID": 1, "PRESET_ID": 1, "NAME": "Организация", **change}
    fields = {k: v for k, v in fields.items() if v is not None}
    before = call(portal, token, "crm.requisite.list", {"select": ["ID"]}).json()["total"]
    refused(call(portal, token, "crm.requisite.add", {"fields": fields}), text)
    assert call(portal, token, "crm.requisite.list", {"select": ["ID"]}).json()["total"] == before


def test_a_contact_gets_a_person_requisite(portal: Portal, token: str) -> None:
    contact = int(ok(call(portal, token, "crm.contact.add", {"fields": {"NAME": "Анна", "LAST_NAME": "Смирнова"}})))
    new_id = requisite(portal, token, contact, entity_type=3, PRESET_ID=3, NAME="Физ. лицо", RQ_LAST_NAME="Смирнова",
                       RQ_FIRST_NAME="Анна", RQ_SECOND_NAME="Петровна", RQ_INN="500100732259")
    rows = ok(call(portal, token, "crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": 3, "ENTITY_ID": contact}}))
    assert [(r["ID"], r["PRESET_ID"], r["RQ_LAST_NAME"], r["RQ_SECOND_NAME"]) for r in rows] == [
        (str(new_id), "3", "Смирнова", "Петровна")]


# -- bank details -----------------------------------------------------------------------------------------------


def test_bank_detail_round_trip(portal: Portal, token: str) -> None:
    owner = requisite(portal, token, company(portal, token))
    detail = int(ok(call(portal, token, "crm.requisite.bankdetail.add", {"fields": {
        "ENTITY_ID": owner, "NAME": "Основной счёт", "RQ_BANK_NAME": "ПАО Сбербанк", "RQ_BIK": "044525225",
        "RQ_ACC_NUM": "40702810938000060473", "RQ_COR_ACC_NUM": "30101810400000000225", "XML_ID": "acc-1"}})))
    got = ok(call(portal, token, "crm.requisite.bankdetail.get", {"id": detail}))
    assert (got["ENTITY_ID"], got["COUNTRY_ID"], got["RQ_BIK"], got["RQ_ACC_NUM"], got["RQ_COR_ACC_NUM"]) == (
        str(owner), "1", "044525225", "40702810938000060473", "30101810400000000225")
    assert (got["DATE_MODIFY"], got["ACTIVE"], got["XML_ID"], got["RQ_IBAN"]) == ("", "Y", "acc-1", None)

    assert ok(call(portal, token, "crm.requisite.bankdetail.update", {"id": detail, "fields": {
        "RQ_ACC_NUM": "40702810938000060474", "ENTITY_ID": owner + 100}})) is True
    listed = call(portal, token, "crm.requisite.bankdetail.list", {"filter": {"ENTITY_ID": owner},
                                                                   "select": ["ID", "RQ_ACC_NUM"]}).json()
    assert listed["result"] == [{"ID": str(detail), "RQ_ACC_NUM": "40702810938000060474"}]
    fields = ok(call(portal, token, "crm.requisite.bankdetail.fields"))
    assert fields["ENTITY_ID"]["isRequired"] and fields["RQ_BIK"]["type"] == "string"

    refused(call(portal, token, "crm.requisite.bankdetail.add", {"fields": {"NAME": "x"}}),
            "ENTITY_ID is not defined or invalid.")
    refused(call(portal, token, "crm.requisite.bankdetail.add", {"fields": {"ENTITY_ID": 999_999, "NAME": "x"}}),
            "ENTITY_ID is not defined or invalid.")
    refused(call(portal, token, "crm.requisite.bankdetail.add", {"fields": {"ENTITY_ID": owner}}),
            "NAME is not defined or invalid.")
    assert ok(call(portal, token, "crm.requisite.bankdetail.delete", {"id": detail})) is True
    gone = f"The RequisiteBankDetail with ID '{detail}' is not found"
    refused(call(portal, token, "crm.requisite.bankdetail.get", {"id": detail}), gone)
    refused(call(portal, token, "crm.requisite.bankdetail.update", {"id": detail, "fields": {"NAME": "y"}}), gone)


# -- addresses --------------------------------------------------------------------------------------------------


def test_address_types(portal: Portal, token: str) -> None:
    types = ok(call(portal, token, "crm.enum.addresstype"))
    assert [(t["ID"], t["NAME"]) for t in types] == [
        (11, "Адрес доставки"), (1, "Фактический адрес"), (6, "Юридический адрес"), (4, "Адрес регистрации"),
        (8, "Адрес для корреспонденции"), (9, "Адрес бенефициара")]


def test_address_round_trip(portal: Portal, token: str) -> None:
    owner = company(portal, token)
    req = requisite(portal, token, owner)
    key = {"TYPE_ID": 6, "ENTITY_TYPE_ID": 8, "ENTITY_ID": req}
    assert ok(call(portal, token, "crm.address.add", {"fields": {
        **key, "ADDRESS_1": "ул. Ленина, д. 1", "CITY": "Москва", "POSTAL_CODE": "101000", "COUNTRY": "Россия"}}))
    assert ok(call(portal, token, "crm.address.add", {"fields": {**key, "TYPE_ID": 1, "CITY": "Тверь"}}))
    refused(call(portal, token, "crm.address.add", {"fields": {**key, "CITY": "Казань"}}), "TypeAddress exists")

    listed = call(portal, token, "crm.address.list", {"filter": {"ENTITY_TYPE_ID": 8, "ENTITY_ID": req},
                                                      "order": {"TYPE_ID": "DESC"}}).json()
    assert listed["total"] == 2
    legal, actual = listed["result"]
    assert "ID" not in legal and legal["TYPE_ID"] == "6" and actual["TYPE_ID"] == "1"
    assert (legal["ADDRESS_1"], legal["CITY"], legal["POSTAL_CODE"], legal["ADDRESS_2"]) == (
        "ул. Ленина, д. 1", "Москва", "101000", None)
    # crm-address-list.md: the anchor is the company or contact owning the requisite.
    assert (legal["ANCHOR_TYPE_ID"], legal["ANCHOR_ID"]) == ("4", str(owner)) and legal["LOC_ADDR_ID"]
    by_anchor = ok(call(portal, token, "crm.address.list", {"filter": {"ANCHOR_TYPE_ID": 4, "ANCHOR_ID": owner,
                                                                       "TYPE_ID": 6}, "select": ["TYPE_ID", "CITY"]}))
    assert by_anchor == [{"TYPE_ID": "6", "CITY": "Москва"}]

    assert ok(call(portal, token, "crm.address.update", {"fields": {**key, "CITY": "Санкт-Петербург"}})) is True
    [moved] = ok(call(portal, token, "crm.address.list", {"filter": {"ENTITY_ID": req, "TYPE_ID": 6}}))
    assert (moved["CITY"], moved["ADDRESS_1"]) == ("Санкт-Петербург", "ул. Ленина, д. 1")  # the rest unchanged
    refused(call(portal, token, "crm.address.update", {"fields": {**key, "TYPE_ID": 4, "CITY": "x"}}),
            "TypeAddress not found")

    assert ok(call(portal, token, "crm.address.delete", {"fields": key})) is True
    refused(call(portal, token, "crm.address.delete", {"fields": key}), "TypeAddress not found")
    assert [r["TYPE_ID"] for r in ok(call(portal, token, "crm.address.list", {"filter": {"ENTITY_ID": req}}))] == ["1"]
    fields = ok(call(portal, token, "crm.address.fields"))
    assert fields["TYPE_ID"]["isRequired"] and fields["ANCHOR_ID"]["isReadOnly"] and "ID" not in fields


@pytest.mark.parametrize(("change", "text"), [
    ({"TYPE_ID": 5}, "TYPE_ID is not defined or invalid."),
    ({"TYPE_ID": None}, "TYPE_ID is not defined or invalid."),
    ({"ENTITY_TYPE_ID": 4}, "ENTITY_TYPE_ID is not defined or invalid."),  # only on old accounts (crm-address-add.md)
    ({"ENTITY_ID": 999_999}, "ENTITY_ID is not defined or invalid."),
])
def test_address_add_refuses_a_bad_key(portal: Portal, token: str, change: dict, text: str) -> None:
    fields = {"TYPE_ID": 6, "ENTITY_TYPE_ID": 8, "ENTITY_ID": 1, "CITY": "Москва", **change}
    refused(call(portal, token, "crm.address.add", {"fields": {k: v for k, v in fields.items() if v is not None}}),
            text)


# -- cascades ---------------------------------------------------------------------------------------------------


def _children(portal: Portal, token: str, req: int) -> tuple[int, int]:
    details = call(portal, token, "crm.requisite.bankdetail.list", {"filter": {"ENTITY_ID": req}}).json()["total"]
    addresses = call(portal, token, "crm.address.list", {"filter": {"ENTITY_ID": req}}).json()["total"]
    return details, addresses


def _with_children(portal: Portal, token: str, owner: int, entity_type: int = 4) -> int:
    req = requisite(portal, token, owner, entity_type=entity_type)
    ok(call(portal, token, "crm.requisite.bankdetail.add", {"fields": {"ENTITY_ID": req, "NAME": "Счёт"}}))
    ok(call(portal, token, "crm.address.add", {"fields": {"TYPE_ID": 6, "ENTITY_TYPE_ID": 8, "ENTITY_ID": req}}))
    assert _children(portal, token, req) == (1, 1)
    return req


def test_deleting_a_requisite_takes_its_bank_details_and_addresses(portal: Portal, token: str) -> None:
    req = _with_children(portal, token, company(portal, token))
    ok(call(portal, token, "crm.requisite.delete", {"id": req}))
    assert _children(portal, token, req) == (0, 0)


@pytest.mark.parametrize("entity", ["company", "contact"])
def test_deleting_the_owner_takes_its_requisites(portal: Portal, token: str, entity: str) -> None:
    owner = int(ok(call(portal, token, f"crm.{entity}.add", {"fields": {"TITLE": "x", "NAME": "x"}})))
    other = int(ok(call(portal, token, f"crm.{entity}.add", {"fields": {"TITLE": "y", "NAME": "y"}})))
    type_id = 4 if entity == "company" else 3
    reqs = [_with_children(portal, token, owner, type_id) for _ in range(2)]
    kept = requisite(portal, token, other, entity_type=type_id)
    ok(call(portal, token, f"crm.{entity}.delete", {"id": owner}))
    for req in reqs:
        refused(call(portal, token, "crm.requisite.get", {"id": req}), f"The Requisite with ID '{req}' is not found")
        assert _children(portal, token, req) == (0, 0)
    assert ok(call(portal, token, "crm.requisite.get", {"id": kept}))["ENTITY_ID"] == str(other)


# -- events -----------------------------------------------------------------------------------------------------


def test_events_follow_rest_writes(portal: Portal, receiver: Receiver, installed_app: InstalledApp) -> None:
    token = installed_app.access_token
    for event in ("ONCRMCOMPANYADD", "ONCRMCOMPANYUPDATE", "ONCRMREQUISITEADD", "ONCRMREQUISITEUPDATE",
                  "ONCRMREQUISITEDELETE", "ONCRMBANKDETAILADD", "ONCRMBANKDETAILUPDATE", "ONCRMBANKDETAILDELETE",
                  "ONCRMADDRESSREGISTER", "ONCRMADDRESSUNREGISTER"):
        assert ok(call(portal, token, "event.bind", {"event": event, "handler": f"{receiver.url}/events"})) is True
    owner = company(portal, token)
    ok(call(portal, token, "crm.company.update", {"id": owner, "fields": {"TITLE": "ООО «Ромашка и К»"}}))
    req = requisite(portal, token, owner)
    ok(call(portal, token, "crm.requisite.update", {"id": req, "fields": {"RQ_INN": "7707083893"}}))
    detail = int(ok(call(portal, token, "crm.requisite.bankdetail.add", {"fields": {"ENTITY_ID": req, "NAME": "С"}})))
    ok(call(portal, token, "crm.requisite.bankdetail.update", {"id": detail, "fields": {"RQ_BIK": "044525225"}}))
    ok(call(portal, token, "crm.address.add", {"fields": {"TYPE_ID": 6, "ENTITY_TYPE_ID": 8, "ENTITY_ID": req}}))
    ok(call(portal, token, "crm.company.delete", {"id": owner}))  # takes the requisite, its detail and address
    portal.control("events/wait")

    def fields_of(name: str) -> list[dict[str, str]]:
        return [{k[len("data[FIELDS]["):-1]: v for k, v in r.form.items() if k.startswith("data[FIELDS]")}
                for r in receiver.events(name)]

    assert fields_of("ONCRMCOMPANYADD") == [{"ID": str(owner)}]
    assert fields_of("ONCRMCOMPANYUPDATE") == [{"ID": str(owner)}]
    for name in ("ONCRMREQUISITEADD", "ONCRMREQUISITEUPDATE", "ONCRMREQUISITEDELETE"):
        assert fields_of(name) == [{"ID": str(req)}], name
    for name in ("ONCRMBANKDETAILADD", "ONCRMBANKDETAILUPDATE", "ONCRMBANKDETAILDELETE"):
        assert fields_of(name) == [{"ID": str(detail)}], name
    # on-crm-address-register.md: an address has no ID; the event names its key and anchor.
    address = {"TYPE_ID": "6", "ENTITY_TYPE_ID": "8", "ENTITY_ID": str(req), "ANCHOR_ID": str(owner),
               "ANCHOR_TYPE_ID": "4"}
    assert fields_of("ONCRMADDRESSREGISTER") == [address] and fields_of("ONCRMADDRESSUNREGISTER") == [address]
    form = receiver.events("ONCRMREQUISITEUPDATE")[0].form
    assert form["auth[application_token]"] == installed_app.application_token and form["event_handler_id"]


# -- rights -----------------------------------------------------------------------------------------------------


def test_a_user_without_rights_on_the_company_is_refused_its_requisites(
    portal: Portal, installed_app: InstalledApp
) -> None:
    admin = installed_app.access_token
    owner = company(portal, admin, ASSIGNED_BY_ID=1, OPENED="N")  # the administrator's, not open to all
    req = _with_children(portal, admin, owner)
    detail = ok(call(portal, admin, "crm.requisite.bankdetail.list", {"filter": {"ENTITY_ID": req}}))[0]["ID"]
    manager = portal.control(f"apps/{installed_app.client_id}/tokens", {"user_id": 2})["access_token"]
    denied = "Access denied."
    refused(call(portal, manager, "crm.requisite.get", {"id": req}), denied)
    refused(call(portal, manager, "crm.requisite.update", {"id": req, "fields": {"RQ_INN": "1"}}), denied)
    refused(call(portal, manager, "crm.requisite.delete", {"id": req}), denied)
    refused(call(portal, manager, "crm.requisite.add", {"fields": {
        "ENTITY_TYPE_ID": 4, "ENTITY_ID": owner, "PRESET_ID": 1, "NAME": "x"}}), denied)
    refused(call(portal, manager, "crm.requisite.bankdetail.get", {"id": detail}), denied)
    refused(call(portal, manager, "crm.requisite.bankdetail.add", {"fields": {"ENTITY_ID": req, "NAME": "x"}}), denied)
    refused(call(portal, manager, "crm.address.update", {"fields": {
        "TYPE_ID": 6, "ENTITY_TYPE_ID": 8, "ENTITY_ID": req, "CITY": "x"}}), denied)
    # Lists leave the records out, as they do for the company itself.
    for method in ("crm.requisite.list", "crm.requisite.bankdetail.list", "crm.address.list"):
        wanted = {"ID" if method == "crm.requisite.list" else "ENTITY_ID": req}
        answer = call(portal, manager, method, {"filter": wanted})
        assert answer.json()["result"] == [] and answer.json()["total"] == 0, method
    assert ok(call(portal, admin, "crm.requisite.get", {"id": req}))["RQ_INN"] is None  # nothing was changed
    assert _children(portal, admin, req) == (1, 1)
    # Once the company is open to everyone, the manager reaches its requisite.
    ok(call(portal, admin, "crm.company.update", {"id": owner, "fields": {"OPENED": "Y"}}))
    assert ok(call(portal, manager, "crm.requisite.get", {"id": req}))["ID"] == str(req)
