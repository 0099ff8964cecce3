"""Helpers for the counterparty preview's tests: a small sandbox 1C base of counterparties read straight from its
OData (not through the app's reader), an empty sandbox portal, and a CRM seeded through REST so that every kind of
match and duplicate the preview reports is present — each seeded card chosen from what the 1C base holds.

What each 1C row is, is decided here with python-stdnum's own checks (never the app's keys), so the expected counts
come from the data, not from the code under test.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pytest
from stdnum.ru import inn as stdnum_inn

from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support.catalog_data import add_base, odata
from tests.support.processes import post_json, start_server
from tests.support.sync_data import unthrottle

COUNTERPARTIES = 60
PAGE = "/settings/counterparties"
CRM_ONLY_INN = "7728168971"  # a valid INN no 1C row carries: the CRM's own duplicate pair by INN + KPP
CRM_ONLY_KPP = "772801001"
SHARED_PHONE = "+7 (812) 555-01-02"  # the CRM's own duplicate pair by phone


def start_party_onec():
    """A sandbox 1C whose УТ 11 base `ut` holds COUNTERPARTIES counterparties (stop it when done)."""
    return start_server(["b24sandbox.onec", "--port", "0", "--counterparties", str(COUNTERPARTIES),
                         "--user", ONEC_LOGIN, "--password", ONEC_PASSWORD, "--bases", "ut:ut11"],
                        "SANDBOX_1C_URL")


def start_empty_portal():
    """A sandbox portal without seeded companies, contacts or deals: the CRM holds only what a test adds."""
    return start_server(["b24sandbox.portal", "--port", "0", "--deals", "0", "--companies", "0"],
                        "SANDBOX_PORTAL_URL")


def party_sandbox_fixtures():  # noqa: ANN201 - three pytest fixtures
    """A counterparty test module's sandboxes: `portal_sandbox` (an empty portal, module-scoped, overriding
    tests/app/conftest.py's seeded one for that module), `party_onec` (the party 1C, module-scoped) and `onec` (that
    1C's URL, its seeded data back before each test). Bind them as module attributes, where pytest finds fixtures:
    `portal_sandbox, party_onec, onec = party_sandbox_fixtures()`."""

    @pytest.fixture(scope="module", name="portal_sandbox")
    def empty_portal():
        server = start_empty_portal()
        yield server
        server.stop()

    @pytest.fixture(scope="module", name="party_onec")
    def party_onec():
        server = start_party_onec()
        yield server
        server.stop()

    @pytest.fixture(name="onec")
    def fresh_onec(party_onec) -> str:  # noqa: ANN001 - the party_onec fixture's server
        post_json(party_onec.url + "/_sandbox/reset")
        return party_onec.url

    return empty_portal, party_onec, fresh_onec


def seed_party_stand(ctx, sandbox_url: str, onec: str) -> tuple[str, int, list[dict], Seeded]:  # noqa: ANN001
    """The party 1C's base added to the installed app, the portal unthrottled and its CRM seeded from the base's rows
    (`seed_crm`): member id, base id, the 1C rows, what was seeded."""
    member_id, base_id = add_base(ctx, sandbox_url, onec)
    unthrottle(ctx, sandbox_url, member_id)
    rows = onec_rows(onec)
    return member_id, base_id, rows, seed_crm(ctx.bitrix(member_id), rows)


def onec_rows(onec: str) -> list[dict]:
    """The base's counterparties (not their groups), straight from the sandbox's OData."""
    return [r for r in odata(onec, "Catalog_Контрагенты") if not r.get("IsFolder")]


def _valid(inn: str) -> bool:
    return bool(inn) and stdnum_inn.is_valid(inn)


def core_name(description: str) -> str:
    """The name without its legal form and quotes ("ООО «Гранит 2»" -> "Гранит 2")."""
    return " ".join(re.sub(r"(?<!\w)(ООО|ПАО|АО)(?!\w)|[«»\"]", " ", description).split())


def _phone(row: dict) -> str:
    return next((c["НомерТелефона"] for c in row.get("КонтактнаяИнформация") or () if c["Тип"] == "Телефон"), "")


@dataclass
class Seeded:
    """What the test put into the CRM and why: 1C key -> the list the preview must put it in."""

    expected_list: dict[str, str] = field(default_factory=dict)
    crm_ids: dict[str, int] = field(default_factory=dict)  # a name for each seeded card -> its CRM id
    name_candidate: str = ""  # 1C key of the counterparty only a name links
    other_kpp: str = ""  # 1C key of the counterparty whose INN the CRM knows with another KPP
    invalid_key: str = ""  # 1C key of a counterparty with an invalid INN the CRM carries too


def choose(rows: list[dict]) -> dict[str, dict]:
    """One live 1C row for each role, each with an INN no other row shares."""
    live = [r for r in rows if not r["DeletionMark"]]
    inns = Counter(r["ИНН"] for r in rows if r["ИНН"])
    names = Counter(core_name(r["Description"]).casefold() for r in live)

    def unique(r: dict) -> bool:
        return inns[r["ИНН"]] == 1

    legal = [r for r in live if len(r["ИНН"]) == 10 and _valid(r["ИНН"]) and r["КПП"] and unique(r)
             and not r.get("ГоловнойКонтрагент_Key", "").strip("0-")]
    sole = [r for r in live if len(r["ИНН"]) == 12 and _valid(r["ИНН"]) and unique(r)]
    people = [r for r in live if not r["ИНН"] and _phone(r)]
    broken = [r for r in live if r["ИНН"] and not _valid(r["ИНН"]) and unique(r)]
    named = [r for r in legal if names[core_name(r["Description"]).casefold()] == 1]
    assert len(legal) >= 4 and sole and people and broken and named, "the 1C seed lacks a kind the test needs"
    by_name = named[0]
    rest = [r for r in legal if r is not by_name]
    return {"inn_kpp": rest[0], "inn_kpp2": rest[1], "other_kpp": rest[2], "origin": rest[3], "sole": sole[0],
            "person": people[0], "by_name": by_name, "broken": broken[0]}


def _company(bitrix, title: str, *, inn: str = "", kpp: str = "", preset: int = 1, phone: str = "",  # noqa: ANN001
             origin: str = "") -> int:
    fields: dict = {"TITLE": title}
    if phone:
        fields["PHONE"] = [{"VALUE": phone, "VALUE_TYPE": "WORK"}]
    if origin:
        fields.update(ORIGIN_ID=origin, ORIGINATOR_ID="b24-1c")
    company = int(bitrix.call("crm.company.add", {"fields": fields}).result)
    if inn:
        bitrix.call("crm.requisite.add", {"fields": {
            "ENTITY_TYPE_ID": 4, "ENTITY_ID": company, "PRESET_ID": preset, "NAME": "Реквизиты",
            "RQ_INN": inn, "RQ_KPP": kpp, "RQ_COMPANY_NAME": title}})
    return company


def _other_kpp(kpp: str) -> str:
    """The same region and reason code in another tax office: a branch's KPP."""
    office = (int(kpp[2:4]) % 98) + 1
    return f"{kpp[:2]}{office:02d}{kpp[4:]}"


def seed_crm(bitrix, rows: list[dict]) -> Seeded:  # noqa: ANN001 - BitrixClient
    """A CRM that meets the 1C base in every way the preview tells apart (see the module docstring)."""
    roles = choose(rows)
    out = Seeded()
    r = roles["inn_kpp"]
    out.crm_ids["inn_kpp"] = _company(bitrix, r["Description"], inn=r["ИНН"], kpp=r["КПП"])
    r = roles["inn_kpp2"]  # the INN written with spaces, as people paste it: still the same INN
    out.crm_ids["inn_kpp2"] = _company(bitrix, "Карточка без официального названия",
                                       inn=f"{r['ИНН'][:4]} {r['ИНН'][4:]}", kpp=r["КПП"])
    r = roles["other_kpp"]
    out.crm_ids["other_kpp"] = _company(bitrix, r["Description"] + " (филиал)", inn=r["ИНН"],
                                        kpp=_other_kpp(r["КПП"]))
    r = roles["sole"]
    out.crm_ids["sole"] = _company(bitrix, r["Description"], inn=r["ИНН"], preset=2)
    r = roles["origin"]
    out.crm_ids["origin"] = _company(bitrix, "Переименована в CRM", origin=r["Ref_Key"])
    r = roles["by_name"]
    # No requisite: only the name can link it.
    out.crm_ids["by_name"] = _company(bitrix, f"{core_name(r['Description'])} ООО")
    person = roles["person"]
    digits = "".join(ch for ch in _phone(person) if ch.isdigit())
    written = f"8 ({digits[1:4]}) {digits[4:7]}-{digits[7:9]}-{digits[9:]}"  # the same number, typed otherwise
    out.crm_ids["person"] = int(bitrix.call("crm.contact.add", {"fields": {
        "NAME": "Клиент", "LAST_NAME": "Частный", "PHONE": [{"VALUE": written, "VALUE_TYPE": "MOBILE"}]}}).result)
    broken = roles["broken"]  # the CRM carries the same invalid INN: it must never link the two
    out.crm_ids["broken"] = _company(bitrix, "Совсем другое название", inn=broken["ИНН"], kpp=broken["КПП"])
    out.crm_ids["dup_inn_a"] = _company(bitrix, "Дубль по ИНН", inn=CRM_ONLY_INN, kpp=CRM_ONLY_KPP)
    out.crm_ids["dup_inn_b"] = _company(bitrix, "Дубль по ИНН (вторая карточка)", inn=CRM_ONLY_INN,
                                        kpp=CRM_ONLY_KPP)
    out.crm_ids["dup_phone_a"] = _company(bitrix, "Первая карточка с телефоном", phone=SHARED_PHONE)
    out.crm_ids["dup_phone_b"] = _company(bitrix, "Вторая карточка с телефоном", phone="88125550102")
    out.expected_list = {
        roles["inn_kpp"]["Ref_Key"]: "by_inn_kpp", roles["inn_kpp2"]["Ref_Key"]: "by_inn_kpp",
        roles["other_kpp"]["Ref_Key"]: "other_kpp", roles["sole"]["Ref_Key"]: "by_inn",
        roles["origin"]["Ref_Key"]: "by_origin", roles["by_name"]["Ref_Key"]: "by_name",
        roles["person"]["Ref_Key"]: "by_contact"}
    out.name_candidate = roles["by_name"]["Ref_Key"]
    out.other_kpp = roles["other_kpp"]["Ref_Key"]
    out.invalid_key = broken["Ref_Key"]
    return out


def onec_duplicate_groups(rows: list[dict]) -> int:
    """Groups of live 1C rows that are one counterparty entered twice: one valid INN (and KPP for an
    organisation), or one person's phone."""
    keys: Counter = Counter()
    for r in rows:
        if r["DeletionMark"]:
            continue
        inn = "".join(ch for ch in r["ИНН"] if ch.isdigit())
        if _valid(inn):
            keys[(inn, r["КПП"] if len(inn) == 10 else "")] += 1
        elif _phone(r):
            keys[("phone", "".join(ch for ch in _phone(r) if ch.isdigit())[-10:])] += 1
    return sum(1 for n in keys.values() if n > 1)


def onec_inn_duplicates_joined(rows: list[dict]) -> int:
    """Live 1C rows that share a valid INN (+ KPP for an organisation) with an earlier one: the load puts them on
    the earlier one's card instead of making their own."""
    keys: Counter = Counter()
    for r in rows:
        inn = "".join(ch for ch in r["ИНН"] if ch.isdigit())
        if not r["DeletionMark"] and _valid(inn):
            keys[(inn, r["КПП"] if len(inn) == 10 else "")] += 1
    return sum(n - 1 for n in keys.values())


def onec_invalid_inns(rows: list[dict]) -> int:
    return sum(1 for r in rows if not r["DeletionMark"] and r["ИНН"].strip() and not _valid(r["ИНН"]))
