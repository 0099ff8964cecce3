"""OneCParties against the sandbox 1C's УТ 11, БП 3.0 and УНФ 3.0 bases: every seeded counterparty read once with its
phones, e-mails, addresses, bank accounts and contact persons, each compared with what the base's raw OData answers
hold (read here entity set by entity set, with the configuration's names written out, not through the reader or the
profile); and `changed()` seeing an edit of a counterparty, of a bank account, of a contact person, a new
counterparty, a new bank account and a deleted counterparty, then nothing on the next call."""

from __future__ import annotations

import json

import pytest

from b24app.onec.counterparty_reads import OneCParties
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import load_profile

EMPTY = "00000000-0000-0000-0000-000000000000"
PARTIES = "Catalog_Контрагенты"
PARTY_TYPE = "StandardODATA.Catalog_Контрагенты"
KINDS = {"ЮрАдресКонтрагента": "legal", "ФактАдресКонтрагента": "actual", "ПочтовыйАдресКонтрагента": "postal"}
# Per configuration: where bank accounts, banks and contact persons live (facts / the dumps, see seed_parties.py).
CONFIG = {
    "ut11": {"accounts": "Catalog_БанковскиеСчетаКонтрагентов", "banks": "Catalog_КлассификаторБанков",
             "persons": "Catalog_КонтактныеЛицаПартнеров", "closed": "Закрыт"},
    "bp30": {"accounts": "Catalog_БанковскиеСчета", "banks": "Catalog_Банки", "persons": "Catalog_КонтактныеЛица",
             "closed": ""},
    "unf": {"accounts": "Catalog_БанковскиеСчета", "banks": "Catalog_Банки", "persons": "Catalog_КонтактныеЛица",
            "closed": "Недействителен"},
}
BASES = [("ut", "ut11"), ("bp", "bp30"), ("unf", "unf")]


def _all(client: ODataClient, entity_set: str) -> list[dict]:
    return list(client.iter_rows(entity_set))


def _expected(client: ODataClient, config: str) -> dict[str, dict]:
    """What each counterparty should read as, from the raw answers of the base."""
    names = CONFIG[config]
    kinds = {r["Ref_Key"]: KINDS[r["PredefinedDataName"]] for r in _all(client, "Catalog_ВидыКонтактнойИнформации")
             if r["PredefinedDataName"] in KINDS}
    banks = {r["Ref_Key"]: r for r in _all(client, names["banks"])}
    accounts: dict[str, set] = {}
    for row in _all(client, names["accounts"]):
        if row["Owner_Type"] != PARTY_TYPE or row["DeletionMark"] or (names["closed"] and row[names["closed"]]):
            continue
        bank = banks.get(row["Банк_Key"])
        bik = bank["Code"] if bank else row.get("БИКБанка", "")
        accounts.setdefault(row["Owner"], set()).add((row["НомерСчета"], bik))
    people: dict[str, set] = {}
    persons = _all(client, names["persons"])
    parties = [r for r in _all(client, PARTIES) if not r.get("IsFolder")]
    if config == "ut11":
        for party in parties:
            people[party["Ref_Key"]] = {p["Ref_Key"] for p in persons if p["Owner_Key"] == party["Партнер_Key"]}
    elif config == "bp30":
        for person in persons:
            if person["ОбъектВладелец_Type"] == PARTY_TYPE:
                people.setdefault(person["ОбъектВладелец"], set()).add(person["Ref_Key"])
    else:
        for link in _all_records(client, "InformationRegister_СвязиКонтрагентКонтакт"):
            if not link["СвязьНедействительна"]:
                people.setdefault(link["Контрагент_Key"], set()).add(link["Контакт_Key"])
        for party in parties:
            if party["КонтактноеЛицо_Key"] != EMPTY:
                people.setdefault(party["Ref_Key"], set()).add(party["КонтактноеЛицо_Key"])
    out = {}
    for party in parties:
        rows = party["КонтактнаяИнформация"]
        out[party["Ref_Key"]] = {
            "name": party["Description"], "inn": party["ИНН"], "kpp": party["КПП"],
            "ogrn": party["РегистрационныйНомер"], "deleted": party["DeletionMark"],
            "head": _head(party),
            "kind": _kind(config, party),
            "phones": {r["НомерТелефона"] or r["Представление"] for r in rows if r["Тип"] == "Телефон"},
            "emails": {r["АдресЭП"] or r["Представление"] for r in rows if r["Тип"] == "АдресЭлектроннойПочты"},
            "addresses": {(kinds[r["Вид_Key"]], r["Представление"]) for r in rows
                          if r["Тип"] == "Адрес" and r["Вид_Key"] in kinds},
            "accounts": accounts.get(party["Ref_Key"], set()),
            "persons": people.get(party["Ref_Key"], set()),
        }
    return out


def _head(party: dict) -> str:
    head = party["ГоловнойКонтрагент_Key"]
    return "" if head in (EMPTY, party["Ref_Key"]) else head


def _all_records(client: ODataClient, register: str) -> list[dict]:
    return [r for page in client.iter_pages(register, orderby=None) for r in page]


def _kind(config: str, party: dict) -> str:
    if config == "ut11":
        return {"ЮрЛицо": "legal", "ЮрЛицоНеРезидент": "legal", "ИндивидуальныйПредприниматель": "entrepreneur",
                "ФизЛицо": "person"}[party["ЮрФизЛицо"]]
    if party["ЮридическоеФизическоеЛицо"] == "ЮридическоеЛицо":
        return "legal"
    if config == "bp30":
        return "entrepreneur" if party["ИндивидуальныйПредприниматель"] else "person"
    return "entrepreneur" if len(party["ИНН"]) == 12 else "person"


@pytest.mark.parametrize(("base", "config"), BASES)
def test_every_counterparty_reads_as_the_base_holds_it(party_client, base, config):
    client = party_client(base, config)
    expected = _expected(client, config)
    reader = OneCParties(client, load_profile(config))
    parties = [p for page in reader.pages(page_size=25) for p in page]
    assert reader.count() == len(parties) == len(expected)
    assert len({p.key for p in parties}) == len(parties)  # each read once
    for party in parties:
        want = expected[party.key]
        got = {"name": party.name, "inn": party.inn, "kpp": party.kpp, "ogrn": party.ogrn, "deleted": party.deleted,
               "head": party.head_key, "kind": party.kind, "phones": set(party.phones), "emails": set(party.emails),
               "addresses": {(a.kind, a.text) for a in party.addresses},
               "accounts": {(a.account, a.bik) for a in party.bank_accounts},
               "persons": {p.key for p in party.contact_persons}}
        assert got == want, party.key
    # The seed's variety is really there, so the comparison above covered it.
    assert sum(p.deleted for p in parties) == 1
    assert sum(bool(p.head_key) for p in parties) == 5
    assert {p.kind for p in parties} == {"legal", "entrepreneur", "person"}
    assert {a.kind for p in parties for a in p.addresses} == {"legal", "actual", "postal"}
    assert sum(len(p.bank_accounts) for p in parties) > 30 and sum(bool(p.contact_persons) for p in parties) > 20


@pytest.mark.parametrize(("base", "config"), BASES)
def test_addresses_bank_and_persons_carry_their_details(party_client, base, config):
    """An address's parts from its JSON, a bank's name and correspondent account, a person's phones."""
    client = party_client(base, config)
    reader = OneCParties(client, load_profile(config))
    parties = [p for page in reader.pages() for p in page]
    raw = {r["Ref_Key"]: r for r in _all(client, PARTIES)}
    checked = 0
    for party in parties:
        for address in party.addresses:
            row = next(r for r in raw[party.key]["КонтактнаяИнформация"] if r["Представление"] == address.text)
            data = json.loads(row["Значение"])
            assert address.postal_code == data["ZIPcode"] and address.text.startswith(address.postal_code)
            assert address.region == f"{data['area']} {data['areaType']}"
            assert address.city and address.city in address.text and address.street.startswith(data["street"])
            assert f"дом {data['houseNumber']}" in address.street
            checked += 1
        for account in party.bank_accounts:
            assert len(account.account) == 20 and len(account.bik) == 9 and account.corr_account.startswith("301")
            assert account.bank_name and account.corr_account.endswith(account.bik[-3:])
    assert checked > 50
    with_phone = [p for party in parties for p in party.contact_persons if p.phones or p.emails]
    assert with_phone and all(p.last_name and p.first_name for party in parties for p in party.contact_persons)


@pytest.mark.parametrize(("base", "config"), BASES)
def test_get_reads_one_counterparty_as_the_pages_do(party_client, base, config):
    reader = OneCParties(party_client(base, config), load_profile(config))
    parties = [p for page in reader.pages() for p in page]
    for party in [p for p in parties if p.head_key][:2] + [p for p in parties if p.contact_persons][:2]:
        assert reader.get(party.key) == party
    assert reader.get("0f0f0f0f-0000-4000-8000-000000000001") is None


@pytest.mark.parametrize(("base", "config"), BASES)
def test_changed_sees_edits_of_a_counterparty_its_account_and_person_and_new_ones(fresh_party_client, base, config):
    client = fresh_party_client(base, config)
    reader = OneCParties(client, load_profile(config))
    first, gone, mark = reader.changed(None)
    assert len(first) == reader.count() and gone == []
    parties = sorted(first, key=lambda p: p.key)
    with_account = [p for p in parties if p.bank_accounts]
    with_person = [p for p in parties if p.contact_persons and not p.bank_accounts]
    edited, account_owner, person_owner = parties[0], with_account[1], with_person[0]
    other = next(p for p in with_account if p.key not in {edited.key, account_owner.key, person_owner.key})
    busy = {edited.key, account_owner.key, person_owner.key, other.key}
    deleted = next(p for p in reversed(parties) if p.key not in busy and not p.contact_persons)
    names = CONFIG[config]

    client.update(PARTIES, edited.key, {"Description": edited.name + " (изменено)"})
    account = account_owner.bank_accounts[0]
    client.update(names["accounts"], account.key, {"НомерСчета": "40702810000000000001"})
    person = person_owner.contact_persons[0]
    client.update(names["persons"], person.key, {"Description": person.name + " (старший)"})
    template = client.get(names["accounts"], other.bank_accounts[0].key)
    client.create(names["accounts"], {"Owner": other.key, "Owner_Type": PARTY_TYPE, "Description": "Второй счёт",
                                      "НомерСчета": "40702810000000000002", "Банк_Key": template["Банк_Key"]})
    created = client.create(PARTIES, {"Description": "ООО «Новый клиент»", "ИНН": "7707083893", "КПП": "773601001"})
    client.request("DELETE", f"{PARTIES}(guid'{deleted.key}')")

    changed, gone, mark = reader.changed(mark)
    by_key = {p.key: p for p in changed}
    expected = {edited.key, account_owner.key, other.key, created["Ref_Key"]}
    if config != "unf":  # УНФ's persons have no owner: a person's edit reaches the counterparties linked to it
        expected.add(person_owner.key)
    assert expected <= set(by_key)
    linked = {p.key for p in parties if person.key in {c.key for c in p.contact_persons}}
    assert set(by_key) == expected | linked
    assert gone == [deleted.key]
    assert by_key[edited.key].name.endswith("(изменено)")
    assert "40702810000000000001" in {a.account for a in by_key[account_owner.key].bank_accounts}
    assert "40702810000000000002" in {a.account for a in by_key[other.key].bank_accounts}
    assert by_key[created["Ref_Key"]].inn == "7707083893"
    assert any(c.name.endswith("(старший)") for c in by_key[person_owner.key].contact_persons)

    again, gone, _ = reader.changed(mark)
    assert again == [] and gone == []


def test_a_removed_bank_account_counts_as_a_change_of_its_owner(fresh_party_client):
    client = fresh_party_client("bp", "bp30")
    reader = OneCParties(client, load_profile("bp30"))
    parties, _, mark = reader.changed(None)
    owner = next(p for p in parties if p.bank_accounts)
    client.request("DELETE", f"Catalog_БанковскиеСчета(guid'{owner.bank_accounts[0].key}')")
    changed, gone, _ = reader.changed(mark)
    assert [p.key for p in changed] == [owner.key] and gone == []
    assert owner.bank_accounts[0].key not in {a.key for a in changed[0].bank_accounts}
