"""Counterparties end to end: the sandbox 1C's messy counterparties (one client typed several times, broken INNs,
sole proprietors, individuals, branches sharing an INN, a deletion mark, bank accounts, addresses, contact
persons) into the sandbox portal's companies, contacts, requisites, bank details and addresses through the real
REST protocol — once and exactly once, interrupted or not — and then 1C's changes within one tick.

Expectations come from the sandbox 1C's OData read directly (not through the app's reader) and from the portal's
own lists."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import requests

from b24app.core.counterparty_keys import valid_inn
from b24app.core.party_settings import PartySettings
from b24app.jobs.counterparties import run_base
from b24app.store.party_decisions import PartyDecisions
from b24app.store.party_links import PartyLinks
from b24app.sync.to_bitrix.party_portal import originator_id
from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support.processes import get_json, post_json, start_server

pytestmark = pytest.mark.db
COUNTERPARTIES = 40
AUTH = (ONEC_LOGIN.encode("utf-8"), ONEC_PASSWORD.encode("utf-8"))  # 1C takes the login as UTF-8
PRESET_XML = {"company": "#CRM_REQUISITE_PRESET_DEF_RU_COMPANY#", "ip": "#CRM_REQUISITE_PRESET_DEF_RU_INDIVIDUAL#"}


@pytest.fixture(scope="module")
def parties_sandbox():
    server = start_server(["b24sandbox.onec", "--port", "0", "--counterparties", str(COUNTERPARTIES),
                           "--user", ONEC_LOGIN, "--password", ONEC_PASSWORD, "--bases", "ut:ut11,bp:bp30"],
                          "SANDBOX_1C_URL")
    yield server
    server.stop()


@pytest.fixture
def onec(parties_sandbox) -> str:
    post_json(parties_sandbox.url + "/_sandbox/reset")
    return parties_sandbox.url


def configure(ctx, sandbox_url: str, onec: str, name: str = "ut", profile: str = "ut11") -> tuple[str, int]:
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    base = ctx.bases.save(member_id, name=f"База {name}", url=f"{onec}/{name}/", login=ONEC_LOGIN,
                          password=ONEC_PASSWORD, profile=profile, legal_entity="ООО «Ромашка»",
                          legal_entity_inn="7707083893")
    current, version = ctx.portal_settings.load(member_id)
    ctx.portal_settings.save(member_id, replace(current, counterparties=PartySettings(
        enabled_bases=(str(base.id),))), version)
    return member_id, base.id


def load(ctx, member_id: str, base_id: int, progress=None):
    return run_base(ctx, member_id, base_id, full=True, progress=progress)


def tick(ctx, member_id: str, base_id: int):
    return run_base(ctx, member_id, base_id, full=False)


# -- what 1C holds, read straight from the sandbox's OData ---------------------------------------------------------

def odata(onec: str, base: str, resource: str, **params) -> list[dict]:
    response = requests.get(f"{onec}/{base}/odata/standard.odata/{resource}", auth=AUTH,
                            params={"$format": "json", **params}, timeout=30)
    response.raise_for_status()
    return response.json()["value"]


def onec_parties(onec: str, base: str = "ut") -> dict[str, dict]:
    return {r["Ref_Key"]: r for r in odata(onec, base, "Catalog_Контрагенты") if not r.get("IsFolder")}


def patch(onec: str, base: str, key: str, fields: dict) -> None:
    response = requests.patch(f"{onec}/{base}/odata/standard.odata/Catalog_Контрагенты(guid'{key}')",
                              params={"$format": "json"}, json=fields, auth=AUTH, timeout=30)
    response.raise_for_status()


# -- what the portal holds ------------------------------------------------------------------------------------------

def cards(ctx, member_id: str, entity: str) -> list[dict]:
    return list(ctx.bitrix(member_id).iterate_by_id(f"crm.{entity}.list", {
        "select": ["ID", "TITLE", "NAME", "LAST_NAME", "ORIGIN_ID", "ORIGINATOR_ID", "COMPANY_ID", "PHONE"]}))


def origins(ctx, member_id: str, base_id: int) -> list[str]:
    """The 1C keys written on the portal's cards for this base, one per card (a repeat is a duplicate card)."""
    return [c["ORIGIN_ID"] for entity in ("company", "contact") for c in cards(ctx, member_id, entity)
            if c.get("ORIGINATOR_ID") == originator_id(base_id) and c.get("ORIGIN_ID")]


def requests_made(sandbox_url: str) -> int:
    return int(get_json(sandbox_url + "/_sandbox/state")["requests"])


# -- the load -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,profile", [("ut", "ut11"), ("bp", "bp30")])
def test_first_load_creates_each_card_once_with_its_requisite_and_a_rerun_writes_nothing(
        ctx, installed, sandbox_url, onec, name, profile, monkeypatch):
    from b24app.sync.to_bitrix import party_load

    monkeypatch.setattr(party_load, "PAGE", 7)  # 1C duplicates met on different pages still make one card
    member_id, base_id = configure(ctx, sandbox_url, onec, name, profile)
    expected = onec_parties(onec, name)
    seeded = cards(ctx, member_id, "company") + cards(ctx, member_id, "contact")
    figures = load(ctx, member_id, base_id)
    assert not figures.refused, figures.refused
    made = origins(ctx, member_id, base_id)
    assert len(made) == len(set(made))  # every card once
    links = PartyLinks(ctx.db).all(member_id, base_id)
    deleted = {k for k, r in expected.items() if r["DeletionMark"]}
    assert deleted and not deleted & set(links) and not deleted & set(made)  # never loaded, only reported
    assert figures.deleted == len(deleted)
    live = set(expected) - deleted
    placed = {k for k, link in links.items() if link.crm_id}
    assert placed <= live and len(live - placed) == figures.skipped
    assert figures.created + figures.linked == len(placed)
    assert figures.created == len({links[k].crm_id for k in placed} - {int(c["ID"]) for c in seeded})
    # A 1C duplicate (the same valid INN + KPP twice) is one card with both keys linked to it.
    by_identity: dict[tuple, set[int]] = {}
    for key in placed:
        inn = valid_inn(expected[key]["ИНН"])
        if inn:
            by_identity.setdefault((inn, expected[key]["КПП"] or ""), set()).add(links[key].crm_id)
    assert all(len(ids) == 1 for ids in by_identity.values())
    # The journal: one run row, and the report of what a person should look at.
    rows = [e for e in ctx.journal.recent(member_id) if e.kind == "counterparties"]
    assert {e.status for e in rows} == {"ok", "skipped"}
    report = next(e for e in rows if e.status == "skipped").error
    assert all(expected[k]["Description"] in report for k in deleted)

    before = requests_made(sandbox_url)
    again = load(ctx, member_id, base_id)
    used = requests_made(sandbox_url) - before
    assert again.written == 0 and not again.refused, again
    # Every counterparty placed and unchanged costs nothing; an unconfirmed name candidate is matched again (the
    # CRM read: three listings).
    assert used <= (3 if again.skipped else 0), used
    assert origins(ctx, member_id, base_id) == made


def test_requisites_bank_details_addresses_and_contact_persons(ctx, installed, sandbox_url, onec):
    """A legal counterparty's card: the organisation preset (found by its reserved XML_ID, not assumed), INN, KPP,
    names; its bank accounts and legal address on the requisite; its contact persons as contacts of the company.
    An invalid INN is never written; the card says so in its timeline."""
    member_id, base_id = configure(ctx, sandbox_url, onec)
    expected = onec_parties(onec, "ut")
    load(ctx, member_id, base_id)
    bitrix = ctx.bitrix(member_id)
    presets = {p["XML_ID"]: int(p["ID"]) for p in bitrix.call("crm.requisite.preset.list", {}).result}
    links = PartyLinks(ctx.db).all(member_id, base_id)
    accounts = odata(onec, "ut", "Catalog_БанковскиеСчетаКонтрагентов")
    owners = {a["Владелец"] if "Владелец" in a else a.get("Owner") for a in accounts}
    legal = [k for k, link in links.items() if link.crm_id and valid_inn(expected[k]["ИНН"])
             and len(valid_inn(expected[k]["ИНН"])) == 10 and link.requisite_id and k in owners]
    assert legal
    key = legal[0]
    link = links[key]
    [requisite] = bitrix.call("crm.requisite.list", {"filter": {"ID": link.requisite_id}}).result
    assert int(requisite["PRESET_ID"]) == presets[PRESET_XML["company"]]
    assert (requisite["RQ_INN"], requisite["RQ_KPP"], requisite["XML_ID"]) == (
        expected[key]["ИНН"], expected[key]["КПП"], key)
    assert int(requisite["ENTITY_ID"]) == link.crm_id and int(requisite["ENTITY_TYPE_ID"]) == 4
    banks = bitrix.call("crm.requisite.bankdetail.list", {"filter": {"ENTITY_ID": link.requisite_id}}).result
    own = [a for a in accounts if (a.get("Владелец") or a.get("Owner")) == key]
    assert {b["RQ_ACC_NUM"] for b in banks} == {a["НомерСчета"] for a in own}
    addresses = bitrix.call("crm.address.list", {"filter": {"ENTITY_TYPE_ID": 8,
                                                            "ENTITY_ID": link.requisite_id}}).result
    types = {int(t["ID"]): t["NAME"] for t in bitrix.call("crm.enum.addresstype", {}).result}
    assert any("юрид" in types[int(a["TYPE_ID"])].casefold() or "legal" in types[int(a["TYPE_ID"])].casefold()
               for a in addresses)
    # Contact persons: contacts of their company, each once.
    persons = PartyLinks(ctx.db).persons(member_id, base_id)
    assert persons
    contacts = {int(c["ID"]): c for c in cards(ctx, member_id, "contact")}
    for person_key, person in persons.items():
        contact = contacts[person.crm_id]
        assert contact["ORIGIN_ID"] == person_key
        assert int(contact["COMPANY_ID"]) == links[person.person_of].crm_id
    # An invalid INN: a card without it, a timeline comment, the report.
    broken = [k for k, r in expected.items() if r["ИНН"] and not valid_inn(r["ИНН"]) and k in links
              and links[k].crm_id and not r["DeletionMark"]]
    assert broken
    link = links[broken[0]]
    [requisite] = bitrix.call("crm.requisite.list", {"filter": {"ID": link.requisite_id}}).result
    assert not requisite.get("RQ_INN")
    comments = bitrix.call("crm.timeline.comment.list", {"filter": {"ENTITY_TYPE": link.entity,
                                                                    "ENTITY_ID": link.crm_id}}).result
    assert any(expected[broken[0]]["ИНН"] in c["COMMENT"] for c in comments)


def test_cards_the_crm_has_are_linked_not_duplicated(ctx, installed, sandbox_url, onec):
    """An existing company with a counterparty's INN + KPP, a name candidate the administrator confirmed, and a
    card already carrying the 1C key as ORIGIN_ID are linked: they get the 1C key, keep their own title, gain only
    what they lacked; no second card is made."""
    member_id, base_id = configure(ctx, sandbox_url, onec)
    expected = onec_parties(onec, "ut")
    legal = [k for k, r in expected.items() if not r["DeletionMark"] and valid_inn(r["ИНН"])
             and len(r["ИНН"]) == 10 and r["КПП"]]
    by_inn, by_name, by_origin = legal[0], legal[1], legal[2]
    bitrix = ctx.bitrix(member_id)
    # A card from an earlier install: it carries the 1C key but no requisite and another title, and no link row.
    earlier = bitrix.call("crm.company.add", {"fields": {"TITLE": "Карточка прежней установки",
                                                         "ORIGINATOR_ID": "b24-1c:old", "ORIGIN_ID": by_origin}}).result
    presets = {p["XML_ID"]: int(p["ID"]) for p in bitrix.call("crm.requisite.preset.list", {}).result}
    mine = bitrix.call("crm.company.add", {"fields": {"TITLE": "Наш старый клиент"}}).result
    bitrix.call("crm.requisite.add", {"fields": {
        "ENTITY_TYPE_ID": 4, "ENTITY_ID": mine, "PRESET_ID": presets[PRESET_XML["company"]], "NAME": "Реквизиты",
        "RQ_INN": expected[by_inn]["ИНН"], "RQ_KPP": expected[by_inn]["КПП"]}})
    named = bitrix.call("crm.company.add", {"fields": {"TITLE": expected[by_name]["Description"] + " (Москва)"}}).result
    PartyDecisions(ctx.db).set(member_id, base_id, by_name, f"link:company:{named}")

    figures = load(ctx, member_id, base_id)
    assert not figures.refused, figures.refused
    links = PartyLinks(ctx.db).all(member_id, base_id)
    assert links[by_inn].crm_id == int(mine) and links[by_name].crm_id == int(named)
    assert links[by_origin].crm_id == int(earlier)  # linked by its ORIGIN_ID, not created again
    companies = {int(c["ID"]): c for c in cards(ctx, member_id, "company")}
    assert companies[int(mine)]["TITLE"] == "Наш старый клиент"  # nobody's data overwritten
    assert companies[int(mine)]["ORIGIN_ID"] == by_inn
    made = origins(ctx, member_id, base_id)
    assert made.count(by_inn) == 1 and made.count(by_name) == 1 and made.count(by_origin) == 1
    [requisite] = bitrix.call("crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": mine}}).result
    assert requisite["XML_ID"] == by_inn  # the requisite learnt the key too
    assert figures.linked >= 2


class Killed(BaseException):
    """What a worker killed mid-run leaves: nothing after this point happens (not an Exception, so no handler)."""


def test_a_load_interrupted_after_the_portal_created_cards_resumes_without_a_second_card(
        ctx, installed, sandbox_url, onec, monkeypatch):
    from b24app.sync.to_bitrix import party_load

    member_id, base_id = configure(ctx, sandbox_url, onec)
    monkeypatch.setattr(party_load, "BATCH", 12)  # several batch requests for a test-sized base
    real = PartyLinks.record_many
    calls = {"n": 0}

    def record_then_die(self, member, base, links):
        if any(link.crm_id and link.onec_hash for link in links):
            calls["n"] += 1
            if calls["n"] == 2:  # the second batch's cards exist in the portal; their record never happens
                raise Killed()
        return real(self, member, base, links)

    monkeypatch.setattr(PartyLinks, "record_many", record_then_die)
    with pytest.raises(Killed):
        load(ctx, member_id, base_id)
    made = origins(ctx, member_id, base_id)
    reserved = [k for k, link in PartyLinks(ctx.db).all(member_id, base_id).items() if link.crm_id is None]
    assert made and reserved and set(reserved) <= set(made)  # created in the portal, not recorded here
    ctx.redis.delete(ctx.keys.sync_lock(member_id, f"counterparties:{base_id}"))  # a killed run's lock expires
    monkeypatch.setattr(PartyLinks, "record_many", real)

    figures = load(ctx, member_id, base_id)
    assert not figures.refused, figures.refused
    made = origins(ctx, member_id, base_id)
    links = PartyLinks(ctx.db).all(member_id, base_id)
    assert len(made) == len(set(made)), [k for k in made if made.count(k) > 1]
    assert all(link.crm_id for link in links.values())
    assert load(ctx, member_id, base_id).written == 0


def test_a_worker_killed_mid_load_leaves_every_card_once_after_the_next_run(ctx, installed, sandbox_url, onec,
                                                                           settings_env, monkeypatch):
    """A real `b24app worker` runs the load ("sync now") at a slow portal limit and is SIGKILLed once cards
    appear; the next run finishes the load, and every counterparty is one card."""
    from b24app.jobs import sync_now
    from tests.support import sync_data as sd

    member_id, base_id = configure(ctx, sandbox_url, onec)
    sd.unthrottle(ctx, sandbox_url, member_id, rate=2, burst=6)  # about half a second a batch request
    seeded = get_json(sandbox_url + "/_sandbox/state")["companies"]
    sync_now.enqueue(ctx, member_id, "counterparties", base_id)
    worker = sd.worker_process(settings_env)
    try:
        deadline = time.monotonic() + 60
        # The control API's count, not the portal's lists: polling REST would spend the limit the load runs at.
        while get_json(sandbox_url + "/_sandbox/state")["companies"] == seeded:
            assert time.monotonic() < deadline, "the worker made no card"
            time.sleep(0.1)
    finally:
        sd.kill(worker)
    assert not [e for e in ctx.journal.recent(member_id) if e.kind == "counterparties" and e.status == "ok"]
    ctx.redis.delete(ctx.keys.sync_lock(member_id, f"counterparties:{base_id}"))
    sd.unthrottle(ctx, sandbox_url, member_id)
    figures = load(ctx, member_id, base_id)
    assert not figures.refused, figures.refused
    made = origins(ctx, member_id, base_id)
    assert len(made) == len(set(made)) and len(cards(ctx, member_id, "company")) > seeded
    expected = onec_parties(onec, "ut")
    links = PartyLinks(ctx.db).all(member_id, base_id)
    assert {k for k, link in links.items() if link.crm_id} <= {k for k, r in expected.items()
                                                              if not r["DeletionMark"]}
    assert load(ctx, member_id, base_id).written == 0


# -- the tick -------------------------------------------------------------------------------------------------------

def test_a_change_in_1c_arrives_within_one_tick_and_the_next_tick_writes_nothing(ctx, installed, sandbox_url, onec):
    member_id, base_id = configure(ctx, sandbox_url, onec)
    load(ctx, member_id, base_id)
    first = tick(ctx, member_id, base_id)  # no watermark yet: walks the base, finds every card up to date
    assert first.written == 0 and not first.refused, first
    links = PartyLinks(ctx.db).all(member_id, base_id)
    expected = onec_parties(onec, "ut")
    owners: dict[int, str] = {}
    for k, link in links.items():
        if link.entity == "company" and link.crm_id:
            owners.setdefault(link.crm_id, k)
    renamed, marked, removed = [k for k in owners.values() if not expected[k]["DeletionMark"]][:3]
    patch(onec, "ut", renamed, {"Description": "ООО «Новое имя из 1С»"})
    patch(onec, "ut", marked, {"DeletionMark": True})
    requests.delete(f"{onec}/ut/odata/standard.odata/Catalog_Контрагенты(guid'{removed}')", auth=AUTH,
                    timeout=30).raise_for_status()
    # A contact person's new position (УТ 11: Catalog_КонтактныеЛицаПартнеров, the partner's person).
    person_key, person = next(iter(PartyLinks(ctx.db).persons(member_id, base_id).items()))
    requests.patch(f"{onec}/ut/odata/standard.odata/Catalog_КонтактныеЛицаПартнеров(guid'{person_key}')",
                   params={"$format": "json"}, json={"ДолжностьПоВизитке": "Главный бухгалтер"}, auth=AUTH,
                   timeout=30).raise_for_status()
    new = requests.post(f"{onec}/ut/odata/standard.odata/Catalog_Контрагенты", params={"$format": "json"},
                        json={"Description": "ООО «Новый клиент»", "НаименованиеПолное": "ООО «Новый клиент»",
                              "ИНН": "7728168971", "КПП": "772801001"}, auth=AUTH, timeout=30)
    new.raise_for_status()
    new_key = new.json()["Ref_Key"]

    before = requests_made(sandbox_url)
    figures = tick(ctx, member_id, base_id)
    used = requests_made(sandbox_url) - before
    assert not figures.refused, figures.refused
    # The renamed company and the contact person's contact; the marked and the removed reported; the new created.
    assert (figures.updated, figures.deleted, figures.created, figures.vanished) == (2, 1, 1, 1), figures
    contact = ctx.bitrix(member_id).call("crm.contact.get", {"id": person.crm_id}).result
    assert contact["POST"] == "Главный бухгалтер"
    companies = {int(c["ID"]): c for c in cards(ctx, member_id, "company")}
    assert companies[links[renamed].crm_id]["TITLE"] == "ООО «Новое имя из 1С»"
    assert links[marked].crm_id in companies and links[removed].crm_id in companies  # cards are kept
    assert origins(ctx, member_id, base_id).count(new_key) == 1
    # The changes cost: read bank details and addresses (1) and write (1) for the rename; read the CRM for the new
    # one (≈3 listings) and create it (1); the presets (1).
    assert used <= 10, used
    rows = [e for e in ctx.journal.recent(member_id) if e.kind == "counterparties" and e.status == "skipped"]
    assert expected[marked]["Description"] in rows[0].error

    before = requests_made(sandbox_url)
    after = tick(ctx, member_id, base_id)
    assert after.written == 0 and not after.refused, after
    assert requests_made(sandbox_url) - before == 0


def test_the_stream_runs_only_for_confirmed_bases(ctx, installed, sandbox_url, onec):
    from b24app.jobs.counterparties import counterparties_pull

    member_id, base_id = configure(ctx, sandbox_url, onec)
    current, version = ctx.portal_settings.load(member_id)
    ctx.portal_settings.save(member_id, replace(current, counterparties=PartySettings()), version)
    assert counterparties_pull(ctx, member_id) == 0
    assert not origins(ctx, member_id, base_id)
    current, version = ctx.portal_settings.load(member_id)
    ctx.portal_settings.save(member_id, replace(current, counterparties=PartySettings(
        enabled_bases=(str(base_id),))), version)
    assert counterparties_pull(ctx, member_id) > 0
    assert origins(ctx, member_id, base_id)


# -- the link table (what C5's event handler builds on) ---------------------------------------------------------------

def test_party_links_reserve_once_record_and_answer_by_either_side(database_url):
    from datetime import UTC, datetime, timedelta

    from b24app.config import Settings
    from b24app.runtime import Runtime
    from b24app.store.party_links import PartyLink
    from b24app.store.portals import TokenGrant

    ctx = Runtime(Settings(database_url=database_url, secret_key="test-secret-key-0123456789"))
    try:
        member = "p" * 32
        ctx.portals.save_install(member, "p.bitrix24.ru", "https://p.bitrix24.ru/rest/",
                                 TokenGrant("a", "r", datetime.now(UTC) + timedelta(hours=1)))
        base = ctx.bases.save(member, name="УТ", url="https://1c.example/ut/", login="u", password="p",
                              profile="ut11").id
        links = PartyLinks(ctx.db)
        assert links.reserve(member, base, "k1", "company") is True
        assert links.reserve(member, base, "k1", "company") is False  # reserved: look the card up first
        assert links.by_onec(member, base, "k1").reserved
        assert links.reserve_many(member, base, [("k1", "company", ""), ("k2", "company", ""),
                                                 ("p1", "contact", "k1")]) == {"k2", "p1"}
        links.record(member, base, "k1", entity="company", crm_id=12, requisite_id=5, onec_hash="h1",
                     crm_hash="c1", data_version="v1")
        links.record_many(member, base, [PartyLink(base, "k2", "company", 12, 5, "h2", "c2", "v2"),
                                         PartyLink(base, "p1", "contact", 7, person_of="k1")])
        assert [link.onec_key for link in links.by_crm(member, "company", 12)] == ["k1", "k2"]  # a 1C duplicate
        assert list(links.all(member, base)) == ["k1", "k2"] and list(links.persons(member, base)) == ["p1"]
        assert links.set_hashes(member, base, "k1", onec_hash="h9", data_version="v9") is True
        assert links.set_hashes(member, base, "nope", onec_hash="x") is False
        after = links.by_onec(member, base, "k1")
        assert (after.onec_hash, after.crm_hash, after.data_version, after.crm_id) == ("h9", "c1", "v9", 12)
        links.reserve(member, base, "k3", "contact")
        links.forget(member, base, ["k3", "k1"])  # only reservations go
        assert links.by_onec(member, base, "k3") is None and links.by_onec(member, base, "k1") is not None
    finally:
        ctx.db.dispose()
