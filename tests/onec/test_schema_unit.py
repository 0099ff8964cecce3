"""Schema comparison on a hand-written `$metadata` (the live check runs against the sandbox)."""

import pytest

from b24app.onec.profiles import load_profile
from b24app.onec.schema import compare, parse_metadata

EDMX = """<?xml version="1.0" encoding="UTF-8"?>
<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0">
 <edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
   m:DataServiceVersion="3.0">
  <Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" Namespace="StandardODATA">
   <EntityType Name="Catalog_Контрагенты">
    <Key><PropertyRef Name="Ref_Key"/></Key>
    <Property Name="Ref_Key" Type="Edm.Guid" Nullable="false"/>
    <Property Name="DataVersion" Type="Edm.String"/>
    <Property Name="DeletionMark" Type="Edm.Boolean"/>
    <Property Name="Code" Type="Edm.String"/>
    <Property Name="Description" Type="Edm.String"/>
    <Property Name="НаименованиеПолное" Type="Edm.String"/>
    <Property Name="ИННКонтрагента" Type="Edm.String"/>
    <Property Name="КПП" Type="Edm.Double"/>
    <Property Name="ЮрФизЛицо" Type="Edm.String"/>
    <Property Name="Партнер_Key" Type="Edm.Guid"/>
   </EntityType>
   <EntityType Name="Document_ЗаказКлиента">
    <Property Name="Ref_Key" Type="Edm.Guid"/>
   </EntityType>
   <ComplexType Name="Document_ЗаказКлиента_Товары_RowType">
    <Property Name="Номенклатура_Key" Type="Edm.Guid"/>
   </ComplexType>
   <EntityType Name="AccumulationRegister_ТоварыНаСкладах_RecordType">
    <Property Name="Номенклатура_Key" Type="Edm.Guid"/>
    <Property Name="Склад_Key" Type="Edm.Guid"/>
    <Property Name="ВНаличии" Type="Edm.Double"/>
   </EntityType>
   <EntityType Name="AccumulationRegister_ТоварыНаСкладах">
    <Property Name="Recorder" Type="Edm.String"/>
   </EntityType>
   <EntityContainer Name="StandardODATA" m:IsDefaultEntityContainer="true">
    <EntitySet Name="Catalog_Контрагенты" EntityType="StandardODATA.Catalog_Контрагенты"/>
    <EntitySet Name="Document_ЗаказКлиента" EntityType="StandardODATA.Document_ЗаказКлиента"/>
    <EntitySet Name="AccumulationRegister_ТоварыНаСкладах"
      EntityType="StandardODATA.AccumulationRegister_ТоварыНаСкладах"/>
    <FunctionImport Name="Balance" ReturnType="Collection(StandardODATA.AccumulationRegister_ТоварыНаСкладах_Balance)"
      IsBindable="true">
     <Parameter Name="bindingParameter" Type="StandardODATA.AccumulationRegister_ТоварыНаСкладах"/>
     <Parameter Name="Period" Type="Edm.DateTime"/>
    </FunctionImport>
   </EntityContainer>
  </Schema>
 </edmx:DataServices>
</edmx:Edmx>
""".encode()


@pytest.fixture(scope="module")
def report():
    return compare(parse_metadata(EDMX), load_profile("ut11"), "test")


def test_metadata_parsing():
    meta = parse_metadata(EDMX)
    assert meta.entity_sets["Catalog_Контрагенты"] == "Catalog_Контрагенты"
    assert meta.set_properties("Catalog_Контрагенты")["Ref_Key"] == "Edm.Guid"
    assert "Balance" in meta.functions["AccumulationRegister_ТоварыНаСкладах"]


def test_report_names_renamed_field_with_a_hint(report):
    missing = {(m.entity_set, m.field): m for m in report.missing_fields}
    inn = missing[("Catalog_Контрагенты", "ИНН")]
    assert "ИННКонтрагента" in inn.similar
    assert ("Document_ЗаказКлиента", "Контрагент_Key") in missing
    assert ("Document_ЗаказКлиента", "Товары") not in missing  # the row type exists
    goods = [m for m in report.missing_fields if m.where == "Товары"]
    assert {m.field for m in goods} >= {"Количество", "Цена"}
    text = report.render_text()
    assert "Catalog_Контрагенты.ИНН" in text and "similar: ИННКонтрагента" in text


def test_report_names_changed_types_and_unpublished_sets(report):
    changed = [(c.entity_set, c.field, c.actual_type) for c in report.changed_types]
    assert ("Catalog_Контрагенты", "КПП", "Edm.Double") in changed
    missing_sets = dict(report.missing_sets)
    assert missing_sets["bank_receipt"] == "Document_ПоступлениеБезналичныхДенежныхСредств"
    assert ("stock", "AccumulationRegister_ТоварыНаСкладах") not in report.missing_sets
    assert not report.ok
    advice = report.instructions()
    assert "Настройка стандартного интерфейса OData" in advice["ru"]
    assert "Document_ПоступлениеБезналичныхДенежныхСредств" in advice["ru"]
    assert "SetStandardODataInterfaceContent" in advice["en"]
    as_dict = report.to_dict()
    assert as_dict["ok"] is False and as_dict["missing_sets"]


def test_entities_in_metadata_are_refused():
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    with pytest.raises(Exception) as info:
        parse_metadata(evil)
    assert "Entit" in type(info.value).__name__ or "entit" in str(info.value).lower()
