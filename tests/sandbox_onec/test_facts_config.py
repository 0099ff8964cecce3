"""The sandbox's configurations are built from real configuration facts (facts_config.py) and publish exactly
what the platform's publication rules (facts/publication.py, docs 17.4) derive for each published object."""

from __future__ import annotations

import base64
import json

import defusedxml.ElementTree as ET
import pytest
from werkzeug.test import Client

from b24sandbox.onec import facts, facts_config, server
from b24sandbox.onec.facts import publication
from b24sandbox.onec.metadata import render_metadata
from b24sandbox.onec.seed import SeedSizes, new_configuration_base

_EDM = "{http://schemas.microsoft.com/ado/2009/11/edm}"
CONFIGS = facts_config.names()


@pytest.fixture(scope="module", params=CONFIGS)
def base(request):
    return new_configuration_base(request.param, facts_config.configuration(request.param), 1, SeedSizes(60))


def _entity_types(base) -> dict[str, dict[str, str]]:
    root = ET.fromstring(render_metadata(base))
    out = {}
    for node in root.iter():
        if node.tag in (f"{_EDM}EntityType", f"{_EDM}ComplexType"):
            out[node.get("Name")] = {p.get("Name"): p.get("Type") for p in node.findall(f"{_EDM}Property")}
    return out


def _ext_dimensions(config: facts.ConfigurationFacts, register: facts.ObjectFacts) -> int:
    if register.kind != "AccountingRegister":
        return 0
    chart = config.object(*register.chart_of_accounts.split("."))
    return chart.max_ext_dimension_count or 0


def test_every_base_has_a_publication_and_a_release():
    assert {"ut11", "ut11_4", "bp30", "bp30_83", "unf"} <= set(CONFIGS)
    assert facts_config.configuration("ut11").release == "ut-11.5.27.56"
    assert facts_config.configuration("bp30").release == "bp-3.0.198.19"
    assert facts_config.configuration("unf").release == "unf-3.0.12.261"
    assert set(CONFIGS) <= set(server.CONFIGURATIONS)


def test_metadata_lists_exactly_what_publication_derives(base):
    """Each published object: its entity type (record type for registers) and its tabular sections' row types."""
    config = facts.load(base.config.release)
    types = _entity_types(base)
    for set_name in base.config.objects:
        obj = config.by_entity_set(set_name)
        if obj.kind == "AccountingRegister":
            continue  # the sandbox keeps the subconto columns its accounting model posts (accounting.py)
        if obj.kind in ("InformationRegister", "AccumulationRegister"):
            recorder = obj.recorder_subordinate or obj.kind != "InformationRegister"
            declared = types[f"{set_name}_RecordType"] if recorder else types[set_name]
            assert declared == publication.record_properties(obj, _ext_dimensions(config, obj)), set_name
            continue
        declared = {k: v for k, v in types[set_name].items() if not v.startswith("Collection(")}
        assert declared == publication.properties(obj), set_name
        for section in obj.tabular_sections:
            assert types[f"{set_name}_{section.name}"] == publication.row_properties(obj, section.name)


def test_seed_writes_only_published_properties(base):
    for set_name, table in base.tables.items():
        obj = base.obj(set_name)
        if obj is None:
            continue
        props = set(obj.props())
        for row in table.rows.values():
            assert set(row) - props - set(obj.tables) == set(), set_name
            for section in obj.tables:
                row_props = set(obj.row_props(section))
                for line in row.get(section) or []:
                    assert set(line) <= row_props, f"{set_name}.{section}"


def test_spot_checks_of_real_names():
    ut = _entity_types(new_configuration_base("ut", facts_config.configuration("ut11"), 1, SeedSizes(30)))
    assert "Code" not in ut["Catalog_Контрагенты"]  # CodeLength 0 in УТ 11.5.27
    assert "Code" not in ut["Catalog_Склады"] and ut["Catalog_Склады"]["IsFolder"] == "Edm.Boolean"
    bp = _entity_types(new_configuration_base("bp", facts_config.configuration("bp30"), 1, SeedSizes(30)))
    receipt = bp["Document_ПоступлениеНаРасчетныйСчет"]
    assert "Контрагент_Key" not in receipt and receipt["Контрагент_Type"] == "Edm.String"
    assert "Номенклатура_Type" in bp["Document_СчетНаОплатуПокупателю_Товары"]  # composite in 3.0.198
    prices = bp["InformationRegister_ЦеныНоменклатуры_RecordType"]
    assert prices["Recorder_Type"] == "Edm.String" and prices["Цена"] == "Edm.Double"
    bp83 = _entity_types(new_configuration_base("bp", facts_config.configuration("bp30_83"), 1, SeedSizes(30)))
    assert "Номенклатура_Key" in bp83["Document_СчетНаОплатуПокупателю_Товары"]  # a single reference in 3.0.83
    ut4 = facts_config.configuration("ut11_4")
    assert "Catalog_ОбъектыРасчетов" not in ut4.objects


def test_spot_checks_of_unf_names():
    """УНФ 3.0.12.261 (facts): structural units are a hierarchy of items, several fields are composite."""
    unf = _entity_types(new_configuration_base("unf", facts_config.configuration("unf"), 1, SeedSizes(30)))
    units = unf["Catalog_СтруктурныеЕдиницы"]
    assert "IsFolder" not in units and units["Parent_Key"] == "Edm.Guid" and units["ТипСтруктурнойЕдиницы"]
    goods = unf["Document_ЗаказПокупателя_Запасы"]
    assert goods["Номенклатура_Type"] == "Edm.String" and "Номенклатура_Key" not in goods  # Номенклатура | string
    assert unf["Document_ЗаказПокупателя"]["СостояниеЗаказа_Type"] == "Edm.String"
    assert unf["Document_ПоступлениеВКассу_РасшифровкаПлатежа"]["Заказ_Type"] == "Edm.String"
    assert unf["Document_РасходнаяНакладная"]["Заказ_Type"] == "Edm.String"
    assert unf["Catalog_ДоговорыКонтрагентов"]["Owner_Type"] == "Edm.String"  # owned by Контрагенты | Организации
    settlements = unf["AccumulationRegister_РасчетыСПокупателями_RecordType"]
    assert {"Документ_Type", "Заказ_Type", "ТипРасчетов", "Контрагент_Key", "Сумма"} <= set(settlements)


def test_unf_settlements_balance_by_order_is_shipped_minus_paid():
    """The УНФ posting rules (posting.py): per order, the register's balance equals what the posted shipments
    billed minus what the posted receipts' lines paid."""
    base = new_configuration_base("unf", facts_config.configuration("unf"), 1, SeedSizes(60))
    expected: dict[str, float] = {}
    for row in base.table("Document_РасходнаяНакладная").rows.values():
        if row["Posted"]:
            expected[row["Заказ"]] = expected.get(row["Заказ"], 0.0) + row["СуммаДокумента"]
    for set_name in ("Document_ПоступлениеНаСчет", "Document_ПоступлениеВКассу"):
        for row in base.table(set_name).rows.values():
            for line in row["РасшифровкаПлатежа"] if row["Posted"] else []:
                expected[line["Заказ"]] = expected.get(line["Заказ"], 0.0) - line["СуммаРасчетов"]
    balance: dict[str, float] = {}
    for record in base.table("AccumulationRegister_РасчетыСПокупателями").rows.values():
        sign = -1 if record["RecordType"] == "Expense" else 1
        balance[record["Заказ"]] = balance.get(record["Заказ"], 0.0) + sign * record["Сумма"]
    assert expected and {k: round(v, 2) for k, v in balance.items()} == {k: round(v, 2) for k, v in expected.items()}
    kinds = {r["ТипРасчетов"] for r in base.table("AccumulationRegister_РасчетыСПокупателями").rows.values()}
    assert kinds == {"Долг", "Аванс"}  # payments after a shipment settle the debt, earlier ones are advances


def _client() -> tuple[Client, dict[str, str]]:
    app = server.SandboxApp(server.Settings(counterparties=30, bases={"bp": "bp30"}))
    token = base64.b64encode("Администратор:secret".encode()).decode()
    return Client(app), {"Authorization": f"Basic {token}"}


def test_slice_last_of_a_recorder_subordinate_register_lives_on_its_records():
    client, headers = _client()
    root = "/bp/odata/standard.odata/InformationRegister_ЦеныНоменклатуры"
    answer = client.get(f"{root}_RecordType/SliceLast()?$format=json", headers=headers)
    assert answer.status_code == 200, answer.text
    rows = json.loads(answer.text)["value"]
    assert rows and all(r["Period"] for r in rows)
    # One row per dimension set: the later of the two seeded prices.
    assert len({(r["ТипЦен_Key"], r["Номенклатура_Key"]) for r in rows}) == len(rows)
    refused = client.get(f"{root}/SliceLast()?$format=json", headers=headers)
    assert refused.status_code == 400
    records = json.loads(client.get(f"{root}_RecordType?$format=json&$top=1", headers=headers).text)["value"]
    assert records[0]["Recorder_Type"] == "StandardODATA.Document_УстановкаЦенНоменклатуры"
