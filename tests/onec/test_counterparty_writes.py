"""update_counterparty against the sandbox 1C's УТ 11, БП 3.0 and УНФ 3.0 bases: the logical fields land in the
profile's properties, phones and e-mails replace only their own rows of КонтактнаяИнформация (the addresses come back
exactly as they were) and addresses only the legal, actual and postal ones, the reader sees the new values, a field
the profile lacks is never sent, and errors come typed."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
import requests
from onec_sandbox import FAST_RETRY, LOOPBACK

from b24app.core.counterparty_model import LEGAL_ADDRESS, POSTAL_ADDRESS, Address
from b24app.onec.base import OneCBase
from b24app.onec.counterparty_reads import OneCParties
from b24app.onec.counterparty_writes import update_counterparty
from b24app.onec.errors import OneCNotFound, OneCQueryError
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import load_profile

PARTIES = "Catalog_Контрагенты"
BASES = [("ut", "ut11"), ("bp", "bp30"), ("unf", "unf")]


def _with_addresses(client: ODataClient) -> dict:
    rows = client.query(PARTIES, filter="DeletionMark eq false").rows
    return next(r for r in rows if sum(c["Тип"] == "Адрес" for c in r["КонтактнаяИнформация"]) >= 2)


def _without_keys(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("Ref_Key", "LineNumber")} for r in rows]


@pytest.mark.parametrize(("base", "config"), BASES)
def test_round_trip_keeps_the_addresses_and_replaces_phones_and_emails(fresh_party_client, base, config):
    client = fresh_party_client(base, config)
    profile = load_profile(config)
    before = _with_addresses(client)
    addresses = [r for r in before["КонтактнаяИнформация"] if r["Тип"] == "Адрес"]
    assert addresses and any(r["Тип"] == "Телефон" for r in before["КонтактнаяИнформация"])

    update_counterparty(client, profile, before["Ref_Key"], {
        "name": "ООО «Ромашка-Сервис»", "full_name": "Общество с ограниченной ответственностью «Ромашка-Сервис»",
        "inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195",
        "phones": ["+7 495 500-55-50", "+7 916 111-22-33"], "emails": ["sales@romashka.example"]})

    after = client.get(PARTIES, before["Ref_Key"])
    assert (after["Description"], after["ИНН"], after["КПП"], after["РегистрационныйНомер"]) == (
        "ООО «Ромашка-Сервис»", "7707083893", "773601001", "1027700132195")
    assert after["НаименованиеПолное"] == "Общество с ограниченной ответственностью «Ромашка-Сервис»"
    rows = after["КонтактнаяИнформация"]
    assert _without_keys([r for r in rows if r["Тип"] == "Адрес"]) == _without_keys(addresses)
    assert [r["НомерТелефона"] for r in rows if r["Тип"] == "Телефон"] == ["+7 495 500-55-50", "+7 916 111-22-33"]
    assert [r["АдресЭП"] for r in rows if r["Тип"] == "АдресЭлектроннойПочты"] == ["sales@romashka.example"]
    phone = next(r for r in rows if r["Тип"] == "Телефон")
    kinds = {k["Ref_Key"]: k["PredefinedDataName"] for k in client.iter_rows("Catalog_ВидыКонтактнойИнформации")}
    assert kinds[phone["Вид_Key"]] == "ТелефонКонтрагента"
    if "Значение" in phone:
        assert {"type": "Телефон", "value": "+7 495 500-55-50", "areaCode": "495",
                "number": "5005550"}.items() <= json.loads(phone["Значение"]).items()
    assert [int(r["LineNumber"]) for r in rows] == list(range(1, len(rows) + 1))  # Edm.Int64: a JSON string

    party = OneCParties(client, profile).get(before["Ref_Key"])
    assert party.phones == ("+7 495 500-55-50", "+7 916 111-22-33") and party.emails == ("sales@romashka.example",)
    assert {a.text for a in party.addresses} == {r["Представление"] for r in addresses}
    assert party.inn == "7707083893" and party.ogrn == "1027700132195"


@pytest.mark.parametrize(("base", "config"), BASES)
def test_addresses_replace_the_legal_actual_and_postal_ones_and_keep_the_rest(fresh_party_client, base, config):
    client = fresh_party_client(base, config)
    profile = load_profile(config)
    before = _with_addresses(client)
    kinds = {k["Ref_Key"]: k["PredefinedDataName"] for k in client.iter_rows("Catalog_ВидыКонтактнойИнформации")}
    others = [r for r in before["КонтактнаяИнформация"] if r["Тип"] != "Адрес"]
    legal = Address(kind=LEGAL_ADDRESS, text="101000, Москва г, Мясницкая ул, дом 1", postal_code="101000",
                    region="Москва г", city="Москва г", street="Мясницкая ул, дом 1")
    postal = Address(kind=POSTAL_ADDRESS, text="101000, Москва г, а/я 15", postal_code="101000", region="Москва г",
                     city="Москва г")

    update_counterparty(client, profile, before["Ref_Key"], {"addresses": [legal, postal]})

    rows = client.get(PARTIES, before["Ref_Key"])["КонтактнаяИнформация"]
    assert _without_keys([r for r in rows if r["Тип"] != "Адрес"]) == _without_keys(others)
    written = [(kinds[r["Вид_Key"]], r["Представление"], r["Регион"], r["Город"]) for r in rows if r["Тип"] == "Адрес"]
    assert written == [("ЮрАдресКонтрагента", legal.text, "Москва г", "Москва г"),
                       ("ПочтовыйАдресКонтрагента", postal.text, "Москва г", "Москва г")]
    party = OneCParties(client, profile).get(before["Ref_Key"])
    assert [(a.kind, a.text, a.postal_code, a.region, a.city) for a in party.addresses] == [
        ("legal", legal.text, "101000", "Москва г", "Москва г"), ("postal", postal.text, "101000", "Москва г",
                                                                  "Москва г")]
    with pytest.raises(ValueError, match="Address"):
        update_counterparty(client, profile, before["Ref_Key"], {"addresses": ["101000, Москва"]})


def test_only_the_named_list_is_replaced(fresh_party_client):
    client = fresh_party_client("ut", "ut11")
    before = _with_addresses(client)
    emails = [r for r in before["КонтактнаяИнформация"] if r["Тип"] == "АдресЭлектроннойПочты"]
    update_counterparty(client, load_profile("ut11"), before["Ref_Key"], {"phones": []})
    rows = client.get(PARTIES, before["Ref_Key"])["КонтактнаяИнформация"]
    assert not [r for r in rows if r["Тип"] == "Телефон"]
    assert _without_keys([r for r in rows if r["Тип"] == "АдресЭлектроннойПочты"]) == _without_keys(emails)
    assert len(rows) == len(before["КонтактнаяИнформация"]) - 1


def test_a_field_the_profile_lacks_is_never_sent(fresh_party_client, tmp_path: Path):
    override = tmp_path / "no_ogrn.toml"
    override.write_text('[profile]\nname = "no_ogrn"\nextends = "ut11"\n\n'
                        '[objects.counterparty.fields]\nogrn = { omit = true }\n', encoding="utf-8")
    profile = load_profile(override)
    client = fresh_party_client("ut", "ut11")
    before = _with_addresses(client)
    sent = client.requests_made
    update_counterparty(client, profile, before["Ref_Key"], {"ogrn": "1027700132195"})
    assert client.requests_made == sent  # nothing to write: no request at all
    update_counterparty(client, profile, before["Ref_Key"], {"ogrn": "1027700132195", "kpp": "773601001"})
    after = client.get(PARTIES, before["Ref_Key"])
    assert after["РегистрационныйНомер"] == before["РегистрационныйНомер"] and after["КПП"] == "773601001"


def test_errors_come_typed(fresh_party_client):
    client = fresh_party_client("ut", "ut11")
    profile = load_profile("ut11")
    with pytest.raises(OneCNotFound):
        update_counterparty(client, profile, "0f0f0f0f-0000-4000-8000-000000000001", {"name": "Нет такого"})
    with pytest.raises(ValueError, match="unknown fields"):
        update_counterparty(client, profile, "0f0f0f0f-0000-4000-8000-000000000001", {"website": "x"})
    with pytest.raises(ValueError, match="lists"):
        update_counterparty(client, profile, "0f0f0f0f-0000-4000-8000-000000000001", {"phones": "+7 495 1"})


def test_a_refused_value_is_a_query_error_with_1c_s_own_words():
    """The mapping of a 400 answer (mocked transport: the sandbox accepts any text, real 1C refuses a value too
    long for its attribute with code 6 and its own message)."""
    profile = load_profile("ut11")
    base = OneCBase(url="http://127.0.0.1:9/ut/", login="u", password="p", profile="ut11", name="ut")
    client = ODataClient(base, egress=LOOPBACK, retry=FAST_RETRY)
    answer = requests.Response()
    answer.status_code = 400
    answer._content = json.dumps({"odata.error": {"code": "6", "message": {
        "lang": "ru", "value": "Значение поля ИНН превышает допустимую длину"}}}).encode()
    answer.headers["Content-Type"] = "application/json"
    with mock.patch.object(client.session, "request", return_value=answer):
        with pytest.raises(OneCQueryError) as caught:
            update_counterparty(client, profile, "0f0f0f0f-0000-4000-8000-000000000001", {"inn": "1" * 40})
    assert caught.value.code == "6" and "ИНН" in caught.value.message and caught.value.http_status == 400

