"""The sandbox 1C's counterparties as a real base keeps them (seed_parties.py): branches with the head office's INN
and their own КПП linked by ГоловнойКонтрагент, bank accounts whose numbers agree with their bank's БИК, ОГРН and
ОГРНИП with valid check digits, addresses as contact-information rows of the predefined kinds, УНФ's person links;
read over HTTP from the session's УТ 11 and БП 3.0 bases, and seeded in process for УНФ (the same code)."""

from __future__ import annotations

import json

import pytest

from b24sandbox.onec import facts_config
from b24sandbox.onec.seed import SeedSizes, new_configuration_base

EMPTY = "00000000-0000-0000-0000-000000000000"
PARTY_TYPE = "StandardODATA.Catalog_Контрагенты"
ACCOUNTS = {"ut": "Catalog_БанковскиеСчетаКонтрагентов", "bp": "Catalog_БанковскиеСчета"}
BANKS = {"ut": "Catalog_КлассификаторБанков", "bp": "Catalog_Банки"}
ADDRESS_KINDS = {"ЮрАдресКонтрагента", "ФактАдресКонтрагента", "ПочтовыйАдресКонтрагента"}


def _rows(sandbox, base: str, entity_set: str) -> list[dict]:
    return sandbox.json(entity_set, base)["value"]


def _account_key_ok(account: str, bik: str) -> bool:
    """Bank of Russia's control key of a settlement account (weights 7-1-3 over the БИК's last three digits and the
    account; the weighted sum's last digits add up to a multiple of 10)."""
    digits = bik[-3:] + account
    return sum(int(d) * (7, 1, 3)[i % 3] % 10 for i, d in enumerate(digits)) % 10 == 0


def _ogrn_ok(number: str) -> bool:
    if len(number) == 13:
        return int(number[:12]) % 11 % 10 == int(number[12])
    if len(number) == 15:
        return int(number[:14]) % 13 % 10 == int(number[14])
    return False


@pytest.mark.parametrize("base", ["ut", "bp"])
def test_branches_share_the_head_s_inn_with_their_own_kpp(sandbox, base):
    parties = {r["Ref_Key"]: r for r in _rows(sandbox, base, "Catalog_Контрагенты")}
    branches = [r for r in parties.values() if r["ГоловнойКонтрагент_Key"] not in (EMPTY, r["Ref_Key"])]
    heads: dict[str, list[dict]] = {}
    for branch in branches:
        heads.setdefault(branch["ГоловнойКонтрагент_Key"], []).append(branch)
    assert sorted(len(b) for b in heads.values()) == [2, 3]
    for head_key, own in heads.items():
        head = parties[head_key]
        assert head["ГоловнойКонтрагент_Key"] == EMPTY and not head["ОбособленноеПодразделение"]
        kpps = {head["КПП"]} | {b["КПП"] for b in own}
        assert len(kpps) == len(own) + 1  # one INN, a КПП each
        same_inn = [r for r in parties.values() if r["ИНН"] == head["ИНН"] and not r["DeletionMark"]]
        assert len(same_inn) == len(own) + 1
        for branch in own:
            assert branch["ИНН"] == head["ИНН"] and branch["ОбособленноеПодразделение"]
            assert branch["КПП"][4:6] == "43" and branch["КПП"][:4] != head["КПП"][:4]  # a separate subdivision
            if base == "ut":
                assert branch["Партнер_Key"] == head["Партнер_Key"]  # one business partner, several legal faces
    assert sum(r["DeletionMark"] for r in parties.values()) == 1


@pytest.mark.parametrize("base", ["ut", "bp"])
def test_bank_accounts_agree_with_their_banks(sandbox, base):
    parties = {r["Ref_Key"] for r in _rows(sandbox, base, "Catalog_Контрагенты")}
    banks = {r["Ref_Key"]: r for r in _rows(sandbox, base, BANKS[base])}
    accounts = [r for r in _rows(sandbox, base, ACCOUNTS[base]) if r["Owner_Type"] == PARTY_TYPE]
    assert len(accounts) > 150 and len({r["Owner"] for r in accounts}) > 150
    typed_by_hand = 0
    for account in accounts:
        assert account["Owner"] in parties
        bank = banks.get(account["Банк_Key"])
        if bank is None:  # УТ 11: the bank typed by hand on the account
            assert base == "ut" and account["РучноеИзменениеРеквизитовБанка"]
            bik, corr = account["БИКБанка"], account["КоррСчетБанка"]
            typed_by_hand += 1
        else:
            bik, corr = bank["Code"], bank["КоррСчет"]
        assert len(account["НомерСчета"]) == 20 and _account_key_ok(account["НомерСчета"], bik), account
        assert account["НомерСчета"][:5] in ("40702", "40802") and corr.endswith(bik[-3:])
    assert (typed_by_hand > 0) == (base == "ut")


@pytest.mark.parametrize("base", ["ut", "bp"])
def test_ogrn_and_addresses_as_a_real_base_keeps_them(sandbox, base):
    kinds = {r["Ref_Key"]: r for r in _rows(sandbox, base, "Catalog_ВидыКонтактнойИнформации")}
    parties = _rows(sandbox, base, "Catalog_Контрагенты")
    with_ogrn = [r for r in parties if r["РегистрационныйНомер"]]
    assert len(with_ogrn) > 200
    for party in with_ogrn:
        assert _ogrn_ok(party["РегистрационныйНомер"]), party["РегистрационныйНомер"]
        assert len(party["РегистрационныйНомер"]) == (15 if len(party["ИНН"]) == 12 else 13)
    seen = set()
    for party in parties:
        for row in party["КонтактнаяИнформация"]:
            kind = kinds.get(row["Вид_Key"])
            assert kind is not None and kind["Predefined"] and kind["Тип"] == row["Тип"]
            if row["Тип"] == "Адрес":
                assert kind["PredefinedDataName"] in ADDRESS_KINDS
                value = json.loads(row["Значение"])
                assert value["value"] == row["Представление"] and row["Представление"].startswith(value["ZIPcode"])
                seen.add(kind["PredefinedDataName"])
    assert seen == ADDRESS_KINDS


def test_the_seed_is_deterministic_and_links_unf_persons():
    config = facts_config.configuration("unf")
    one = new_configuration_base("b", config, 5, SeedSizes(40))
    two = new_configuration_base("b", config, 5, SeedSizes(40))
    for set_name in ("Catalog_Контрагенты", "Catalog_БанковскиеСчета", "Catalog_Банки",
                     "InformationRegister_СвязиКонтрагентКонтакт"):
        assert one.table(set_name).rows == two.table(set_name).rows, set_name
    links = one.table("InformationRegister_СвязиКонтрагентКонтакт").rows.values()
    main = {r["Ref_Key"]: r["КонтактноеЛицо_Key"] for r in one.table("Catalog_Контрагенты").rows.values()
            if r["КонтактноеЛицо_Key"] != EMPTY}
    assert main and {(r["Контрагент_Key"], r["Контакт_Key"]) for r in links} == set(main.items())
    branches = [r for r in one.table("Catalog_Контрагенты").rows.values() if r["ГоловнойКонтрагент_Key"] != EMPTY]
    assert len(branches) == 5 and len({(r["ИНН"], r["КПП"]) for r in branches}) == 5
