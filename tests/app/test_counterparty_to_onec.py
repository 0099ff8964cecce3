"""CRM → 1C for counterparties (issue 14): a linked company's, contact's or requisite's change reaches the 1C
counterparty in the fields the CRM wins, through the event handler, the outbox and a real worker, against the
sandbox portal and the sandbox 1C (УТ 11). Nothing reaches 1C for an unlinked card, with the switch off, for the
echo of our own write, for a replayed event, or for an INN failing its check digits; a 1C outage delays the change
and loses nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
from stdnum.ru import inn as inn_check

from b24app.core.counterparty_keys import normal_email, normal_phone
from b24app.core.counterparty_match import LEGAL, PERSON
from b24app.core.counterparty_model import OneCParty
from b24app.onec.counterparty_reads import OneCParties
from b24app.store.models import OutboxRow
from b24app.store.outbox import DEAD, DONE, PENDING
from b24app.store.party_links import PartyLinks
from b24app.sync.to_bitrix.crm_parties import read_crm_party
from b24app.sync.to_onec.party_update import JOURNAL_KIND
from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support import faults as f
from tests.support import sync_data as sd
from tests.support.processes import get_json, post_json, start_server

pytestmark = pytest.mark.db

# Short leases, retries and circuit periods (tests/faults/conftest.py), so an outage and its end fit in seconds.
FAST = dict(B24APP_SYNC_LEASE_SECONDS="2", B24APP_SYNC_RETRY_BASE_SECONDS="0.2", B24APP_SYNC_CIRCUIT_SECONDS="1",
            B24APP_SYNC_CIRCUIT_CAP_SECONDS="2")


def _valid_inn(seed: int) -> str:
    """A 10-digit INN with right check digits that no seeded counterparty is likely to carry."""
    body = f"99{seed:07d}"[:9]
    return body + inn_check.calc_company_check_digit(body)


def _set_parties(ctx, member: str, **changes) -> None:
    settings, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, replace(settings, counterparties=replace(settings.counterparties, **changes)),
                             version)


def _updated(onec_url: str) -> int:
    """Objects the sandbox 1C changed (PATCH of a catalog item or a document) since its reset."""
    return int(get_json(f"{onec_url}/_sandbox/state")["ut"]["updated"])


def _outbox(ctx, kinds=("company", "contact", "requisite")) -> list[OutboxRow]:
    with ctx.db.transaction() as s:
        return [r for r in s.query(OutboxRow).order_by(OutboxRow.id) if r.kind in kinds]


def _phone_set(values) -> set[str]:
    return {normal_phone(v) for v in values} - {None}


def _email_set(values) -> set[str]:
    return {normal_email(v) for v in values} - {None}


@pytest.fixture
def linked(ctx, configured_base, sandbox_url, onec_url, settings_env, running_app, monkeypatch):
    """A CRM company with a requisite, linked to a УТ 11 organisation counterparty as the first load leaves it
    (the link's fingerprint and data version are those of the 1C counterparty), the CRM → 1C switch on for the
    base, and the set-up's own events settled (they came before the link: nothing was sent)."""
    sd.retune(ctx, monkeypatch, **FAST)
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    sd.unthrottle(ctx, sandbox_url, member)
    base = configured_base
    reader = OneCParties(sd.onec(onec_url), ctx.profiles.load("ut11"))
    party = next(p for page in reader.pages(page_size=100) for p in page
                 if p.kind == LEGAL and not p.deleted and len(p.inn) == 10 and p.kpp and p.phones)
    company = int(client.call("crm.company.add", {"fields": {
        "TITLE": party.name, "PHONE": [{"VALUE": p, "VALUE_TYPE": "WORK"} for p in party.phones],
        "EMAIL": [{"VALUE": e, "VALUE_TYPE": "WORK"} for e in party.emails]}}).result)
    requisite = int(client.call("crm.requisite.add", {"fields": {
        "ENTITY_TYPE_ID": 4, "ENTITY_ID": company, "PRESET_ID": 1, "NAME": party.name,
        "RQ_INN": party.inn, "RQ_KPP": party.kpp, "RQ_COMPANY_FULL_NAME": party.full_name}}).result)
    sd.settle(ctx, sandbox_url)
    PartyLinks(ctx.db).record(member, base.id, party.key, entity="company", crm_id=company, requisite_id=requisite,
                              onec_hash=party.fingerprint(), data_version=party.data_version)
    _set_parties(ctx, member, crm_to_onec=True, enabled_bases=(str(base.id),))
    return dict(member=member, client=client, base=base, party=party, company=company, requisite=requisite,
                reader=reader)


def _party(linked) -> OneCParty:
    return linked["reader"].get(linked["party"].key)


def test_a_phone_and_e_mail_change_reaches_1c_once_and_the_link_knows_what_was_written(ctx, linked, sandbox_url,
                                                                                      onec_url):
    client, member = linked["client"], linked["member"]
    before = _updated(onec_url)
    client.call("crm.company.update", {"id": linked["company"], "fields": {
        "PHONE": [{"VALUE": "+7 (812) 555-01-02", "VALUE_TYPE": "WORK"}],
        "EMAIL": [{"VALUE": "Sales@Romashka-Test.ru", "VALUE_TYPE": "WORK"}]}})
    sd.settle(ctx, sandbox_url)

    card = read_crm_party(client, "company", linked["company"])
    now = _party(linked)
    assert "+78125550102" in _phone_set(now.phones)
    assert _phone_set(now.phones) == _phone_set(card.phones)
    assert "sales@romashka-test.ru" in _email_set(now.emails)
    assert _email_set(now.emails) == _email_set(card.emails)
    assert now.name == linked["party"].name and now.inn == linked["party"].inn  # 1C wins those: untouched
    assert _updated(onec_url) == before + 1
    link = PartyLinks(ctx.db).by_onec(member, linked["base"].id, linked["party"].key)
    assert (link.onec_hash, link.data_version) == (now.fingerprint(), now.data_version)
    rows = [e for e in ctx.journal.recent(member) if e.kind == JOURNAL_KIND]
    assert [(e.status, e.items, e.entity) for e in rows][:1] == [("ok", 1, f"company:{linked['company']}")]

    # The same event delivered again, and a change of a field 1C wins: one read each, nothing written.
    client.call("crm.company.update", {"id": linked["company"], "fields": {"COMMENTS": "звонить после обеда"}})
    sd.settle(ctx, sandbox_url)
    assert _updated(onec_url) == before + 1
    assert {r.status for r in _outbox(ctx)} == {DONE}


def test_a_contact_linked_to_an_individual_sends_its_e_mail(ctx, linked, sandbox_url, onec_url):
    """An individual in 1C is a CRM contact: the contact's change reaches its counterparty as a company's does."""
    client, member, base = linked["client"], linked["member"], linked["base"]
    person = next(p for page in linked["reader"].pages(page_size=100) for p in page
                  if p.kind == PERSON and not p.deleted and p.emails)
    last, first, *_ = person.name.split() + ["", ""]
    contact = int(client.call("crm.contact.add", {"fields": {
        "LAST_NAME": last, "NAME": first, "EMAIL": [{"VALUE": e, "VALUE_TYPE": "WORK"} for e in person.emails],
        "PHONE": [{"VALUE": p, "VALUE_TYPE": "WORK"} for p in person.phones]}}).result)
    PartyLinks(ctx.db).record(member, base.id, person.key, entity="contact", crm_id=contact,
                              onec_hash=person.fingerprint(), data_version=person.data_version)
    before = _updated(onec_url)
    client.call("crm.contact.update", {"id": contact, "fields": {
        "EMAIL": [{"VALUE": "ivanov.private@mail.ru", "VALUE_TYPE": "HOME"}]}})
    sd.settle(ctx, sandbox_url)
    now = linked["reader"].get(person.key)
    assert "ivanov.private@mail.ru" in _email_set(now.emails)
    assert _email_set(now.emails) == _email_set(read_crm_party(client, "contact", contact).emails)
    assert now.name == person.name and _updated(onec_url) == before + 1


def test_a_replayed_event_writes_1c_once(ctx, linked, sandbox_url, onec_url):
    client = linked["client"]
    before = _updated(onec_url)
    client.call("crm.company.update", {"id": linked["company"], "fields": {
        "PHONE": [{"VALUE": "+7 495 111-22-33", "VALUE_TYPE": "WORK"}]}})
    sd.settle(ctx, sandbox_url)
    assert _updated(onec_url) == before + 1
    delivered = [d for d in get_json(sandbox_url + "/_sandbox/state")["deliveries"]
                 if d["event"] == "ONCRMCOMPANYUPDATE"
                 and d["payload"].get("data[FIELDS][ID]") == str(linked["company"])]
    # The portal delivers the same event again (its retry after a lost answer): stored, read, nothing written.
    assert requests.post(delivered[-1]["url"], data=delivered[-1]["payload"], timeout=10).status_code == 200
    sd.settle(ctx, sandbox_url)
    assert _updated(onec_url) == before + 1
    assert len([r for r in _outbox(ctx, ("company",)) if r.status == DONE]) == 2
    assert "+74951112233" in _phone_set(_party(linked).phones)


def test_an_inn_the_crm_wins_reaches_1c_and_an_invalid_one_is_refused_with_its_reason(ctx, linked, sandbox_url,
                                                                                     onec_url):
    client, member = linked["client"], linked["member"]
    _set_parties(ctx, member, winners={"inn": "crm", "kpp": "crm"})
    new_inn = _valid_inn(int(linked["requisite"]))
    client.call("crm.requisite.update", {"id": linked["requisite"], "fields": {"RQ_INN": new_inn,
                                                                                  "RQ_KPP": "780101001"}})
    sd.settle(ctx, sandbox_url)
    now = _party(linked)
    assert (now.inn, now.kpp) == (new_inn, "780101001")
    assert now.phones == linked["party"].phones  # the CRM's phones equal 1C's: not rewritten

    before = _updated(onec_url)
    bad = new_inn[:-1] + str((int(new_inn[-1]) + 1) % 10)
    client.call("crm.requisite.update", {"id": linked["requisite"], "fields": {"RQ_INN": bad}})
    sd.settle(ctx, sandbox_url)
    assert _party(linked).inn == new_inn and _updated(onec_url) == before
    dead = [r for r in _outbox(ctx) if r.status == DEAD]
    assert [(r.kind, r.entity_id) for r in dead] == [("requisite", str(linked["requisite"]))]
    assert f"the INN '{bad}'" in dead[0].last_error and "check digits" in dead[0].last_error
    assert f"1C keeps {new_inn}" in dead[0].last_error
    errors = [e for e in ctx.journal.recent(member) if e.kind == JOURNAL_KIND and e.status == "error"]
    assert errors and "check digits" in errors[0].error


def test_an_unlinked_card_and_a_switched_off_direction_send_nothing(ctx, linked, sandbox_url, onec_url):
    client, member = linked["client"], linked["member"]
    before = _updated(onec_url)
    other = int(client.call("crm.company.add", {"fields": {"TITLE": "ООО «Не связана»"}}).result)
    sd.settle(ctx, sandbox_url)
    client.call("crm.company.update", {"id": other, "fields": {
        "PHONE": [{"VALUE": "+7 495 000-00-01", "VALUE_TYPE": "WORK"}]}})
    sd.settle(ctx, sandbox_url)
    assert _updated(onec_url) == before
    assert [r.status for r in _outbox(ctx) if r.entity_id == str(other)] == [DONE]  # read, found unlinked

    _set_parties(ctx, member, crm_to_onec=False)
    known = len(_outbox(ctx))
    client.call("crm.company.update", {"id": linked["company"], "fields": {
        "PHONE": [{"VALUE": "+7 495 000-00-02", "VALUE_TYPE": "WORK"}]}})
    sd.settle(ctx, sandbox_url)
    assert _updated(onec_url) == before and len(_outbox(ctx)) == known  # acknowledged, nothing stored
    assert "+74950000002" not in _phone_set(_party(linked).phones)


def test_the_event_of_our_own_write_is_consumed_and_the_next_change_is_not(ctx, linked, sandbox_url, onec_url):
    client, member = linked["client"], linked["member"]
    before = _updated(onec_url)
    known = len(_outbox(ctx))
    # What the 1C → CRM load does before it writes a card (store/own_writes.py): one owed event.
    ctx.own_writes.expect(member, "company", [str(linked["company"])])
    client.call("crm.company.update", {"id": linked["company"], "fields": {
        "PHONE": [{"VALUE": "+7 495 000-00-03", "VALUE_TYPE": "WORK"}]}})
    sd.settle(ctx, sandbox_url)
    assert len(_outbox(ctx)) == known and _updated(onec_url) == before

    client.call("crm.company.update", {"id": linked["company"], "fields": {
        "PHONE": [{"VALUE": "+7 495 000-00-04", "VALUE_TYPE": "WORK"}]}})
    sd.settle(ctx, sandbox_url)
    assert len(_outbox(ctx)) == known + 1 and _updated(onec_url) == before + 1
    assert "+74950000004" in _phone_set(_party(linked).phones)


def test_1c_down_delays_the_change_and_loses_nothing(ctx, linked, sandbox_url, onec_url, monkeypatch):
    # An open circuit's shortest wait is one second (jobs/retry.py): the outage's tries come a second apart.
    sd.retune(ctx, monkeypatch, **{**FAST, "B24APP_SYNC_CIRCUIT_SECONDS": "0.5",
                                   "B24APP_SYNC_CIRCUIT_CAP_SECONDS": "1", "B24APP_SYNC_MAX_ATTEMPTS": "2"})
    client = linked["client"]
    post_json(f"{onec_url}/_sandbox/ut/fault", {"down": True})
    try:
        client.call("crm.company.update", {"id": linked["company"], "fields": {
            "PHONE": [{"VALUE": "+7 495 000-00-05", "VALUE_TYPE": "WORK"}]}})
        post_json(sandbox_url + "/_sandbox/events/wait")
        rounds = ctx.tuning.max_attempts + 1  # more tries than attempts: waiting for the base spends none
        f.drive(ctx, lambda: _tries(ctx, linked) >= rounds, timeout=60,
                what=f"{rounds} deferred tries of the company while 1C is down")
        rows = _outbox(ctx, ("company",))
        assert [(r.status, r.attempts) for r in rows] == [(PENDING, 0)]  # waiting for the base spends nothing
    finally:
        post_json(f"{onec_url}/_sandbox/ut/fault", {"down": False})
    f.drive(ctx, lambda: f.settled(ctx), timeout=60, what="the company's row done once 1C answers")
    assert [r.status for r in _outbox(ctx, ("company",))] == [DONE]
    assert "+74950000005" in _phone_set(_party(linked).phones)


def _tries(ctx, linked) -> int:
    """Tries of the linked company put off for a later one, as the journal counts them."""
    return sum(1 for e in ctx.journal.recent(linked["member"], 500) if e.kind == JOURNAL_KIND and e.status == "retry")


@pytest.fixture(scope="module")
def small_onec():
    """A sandbox 1C of its own with 40 counterparties (the session's has 300), so the real first load in the loop
    test takes a couple of seconds; the seed's messy counterparties and branches come whatever the size."""
    server = start_server(["b24sandbox.onec", "--port", "0", "--counterparties", "40", "--bases", "ut:ut11",
                           "--user", ONEC_LOGIN, "--password", ONEC_PASSWORD], "SANDBOX_1C_URL")
    yield server
    server.stop()


def test_two_way_loop_each_side_s_change_arrives_once_and_never_echoes(ctx, installed, small_onec, sandbox_url,
                                                                      settings_env, running_app, monkeypatch):
    """The real first load links the base's counterparties; then a CRM phone change reaches 1C in one outbox run
    and the next 1C → CRM tick writes nothing back, and a 1C name change reaches the CRM in one tick and the
    event our own write caused writes nothing to 1C (it is consumed at the handler: no outbox row)."""
    from b24app.jobs.counterparties import counterparties_pull, run_base

    sd.retune(ctx, monkeypatch, **FAST)
    post_json(small_onec.url + "/_sandbox/reset")
    onec_url = small_onec.url
    member = sd.member_id(sandbox_url)
    base = ctx.bases.save(member, name="УТ 11", url=f"{onec_url}/ut/", login=ONEC_LOGIN, password=ONEC_PASSWORD,
                          profile="ut11", legal_entity="ООО «Ромашка»", legal_entity_inn="7707083893")
    client = sd.manager(sandbox_url)
    sd.unthrottle(ctx, sandbox_url, member)
    _set_parties(ctx, member, crm_to_onec=True, enabled_bases=(str(base.id),))
    run_base(ctx, member, base.id, full=True)
    counterparties_pull(ctx, member)  # the first tick walks everything once and sets the watermark
    sd.settle(ctx, sandbox_url)
    assert not [r for r in _outbox(ctx) if r.status != DONE]

    profile = ctx.profiles.load("ut11")
    odata = sd.onec(onec_url)
    reader = OneCParties(odata, profile)
    store = PartyLinks(ctx.db)
    links = store.all(member, base.id)
    # A card whose only 1C key is this one (a 1C duplicate's card follows its first key alone: party_load.py).
    party = next(p for page in reader.pages(page_size=100) for p in page
                 if p.key in links and links[p.key].entity == "company" and links[p.key].crm_id
                 and not p.deleted and p.phones and len(store.by_crm(member, "company", links[p.key].crm_id)) == 1)
    company = links[party.key].crm_id
    assert _phone_set(read_crm_party(client, "company", company).phones) == _phone_set(party.phones)
    before, rows = _updated(onec_url), len(_outbox(ctx))

    client.call("crm.company.update", {"id": company, "fields": {
        "PHONE": [{"VALUE": "+7 383 200-00-01", "VALUE_TYPE": "WORK"}]}})
    sd.settle(ctx, sandbox_url)
    assert "+73832000001" in _phone_set(reader.get(party.key).phones) and _updated(onec_url) == before + 1
    assert counterparties_pull(ctx, member) == 0  # our 1C write is not news to the 1C → CRM tick
    sd.settle(ctx, sandbox_url)
    assert "+73832000001" in _phone_set(read_crm_party(client, "company", company).phones)
    assert _updated(onec_url) == before + 1 and len(_outbox(ctx)) == rows + 1

    spec = profile.object("counterparty")
    odata.update(spec.entity_set, party.key, {spec.field("name"): "Сибирский лес (переименован)"})
    assert counterparties_pull(ctx, member) == 1
    assert read_crm_party(client, "company", company).title == "Сибирский лес (переименован)"
    sd.settle(ctx, sandbox_url)
    assert len(_outbox(ctx)) == rows + 1  # the title's update event was ours: consumed, nothing stored
    assert _updated(onec_url) == before + 2  # our PATCH of the name, and nothing after it
    assert counterparties_pull(ctx, member) == 0
