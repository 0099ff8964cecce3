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
   <EntityContainer Name="EnterpriseV8" m:IsDefaultEntityContainer="true">
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


# -- $metadata written from a profile: what a base of that release publishes --------------------------------------

def edmx_for(profile, *, drop: tuple[str, ...] = (), enums: dict[str, tuple[str, ...]] | None = None) -> bytes:
    """An EDMX a base publishing exactly what `profile` names would answer (in the shapes of a real `$metadata`:
    repo datareducer/console @8742fe5, src/test/resources/odata/metadata.xml): objects keyed by Ref_Key, registers
    with recorders keyed by Recorder, Balance bound through `bindingParameter` and returning a `_Balance` type,
    and an EnumType per enumeration the profile names (members: its values, or `enums`). Objects sharing an
    entity set (БП's order and invoice) are one type. `drop` leaves out properties by name."""
    sets: dict[str, dict] = {}
    members: dict[str, set[str]] = {}
    for spec in profile.enabled_objects():
        entry = sets.setdefault(spec.entity_set, {"props": {}, "dims": {}, "tables": {}, "functions": set(),
                                                  "keyed": False, "register": spec.is_register})
        entry["props"].update({n: f.type for f in spec.all_fields() for n in f.properties})
        entry["dims"].update({n: f.type for f in spec.dimensions.values() for n in f.properties})
        for table in spec.tables.values():
            entry["tables"].setdefault(table.name, {}).update(
                {n: f.type for f in table.fields.values() for n in f.properties})
        entry["functions"] |= set(spec.virtual_tables)
        entry["keyed"] |= spec.is_register and (spec.kind != "information_register" or spec.recorder_subordinate)
        for key, value in spec.values.items():
            field = spec.value_field(key)
            if field is not None and field.enum:
                members.setdefault(field.enum, set()).add(value)

    def props(found: dict[str, str]) -> str:
        return "".join(f'<Property Name="{n}" Type="{t}"/>' for n, t in found.items() if n not in drop)

    types, containers, functions = [], [], []
    for name, entry in sets.items():
        containers.append(f'<EntitySet Name="{name}" EntityType="StandardODATA.{name}"/>')
        if entry["register"]:
            head = '<Property Name="Recorder" Type="Edm.String"/>' if entry["keyed"] else ""
            types.append(f'<EntityType Name="{name}">{head}{props(entry["props"])}</EntityType>')
            if entry["keyed"]:
                types.append(f'<EntityType Name="{name}_RecordType">{props(entry["props"])}</EntityType>')
                containers.append(f'<EntitySet Name="{name}_RecordType" EntityType="StandardODATA.{name}_RecordType"/>')
            for function in sorted(entry["functions"]):
                types.append(f'<ComplexType Name="{name}_{function}">{props(entry["dims"])}</ComplexType>')
                functions.append(
                    f'<FunctionImport Name="{function}" ReturnType="Collection(StandardODATA.{name}_{function})">'
                    f'<Parameter Name="bindingParameter" Type="StandardODATA.{name}"/></FunctionImport>')
            continue
        types.append(f'<EntityType Name="{name}"><Key><PropertyRef Name="Ref_Key"/></Key>'
                     f'{props(entry["props"])}</EntityType>')
        for table, row in entry["tables"].items():
            types.append(f'<ComplexType Name="{name}_{table}_RowType">{props(row)}</ComplexType>')
    for enum, values in (enums or {}).items():
        members[enum] = set(values)
    types += [f'<EnumType Name="{e}" UnderlyingType="Edm.Int32">'
              + "".join(f'<Member Name="{m}"/>' for m in sorted(v)) + "</EnumType>" for e, v in members.items()]
    return ('<?xml version="1.0" encoding="UTF-8"?><edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx"'
            ' Version="1.0"><edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"'
            ' m:DataServiceVersion="3.0"><Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm"'
            ' Namespace="StandardODATA">' + "".join(types) + '<EntityContainer Name="EnterpriseV8">'
            + "".join(containers) + "".join(functions) + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
            ).encode()


@pytest.mark.parametrize("name", ["ut11", "ut11_4", "bp30", "bp30_83", "unf"])
def test_a_base_publishing_what_the_profile_names_passes(name):
    profile = load_profile(name)
    report = compare(parse_metadata(edmx_for(profile)), profile, "b")
    assert report.ok, report.render_text()
    assert not report.unchecked_enums


def test_a_base_of_another_release_is_told_which_profile_fits_it():
    """УТ 11.4 publishes settlements by order and payment lines naming Заказ: the ut11 (11.5) profile does not
    fit, ut11_4 does, and the advice says so instead of "the configuration changed"."""
    meta = parse_metadata(edmx_for(load_profile("ut11_4")))
    report = compare(meta, load_profile("ut11"), "b")
    assert not report.ok
    assert ("settlement_object", "Catalog_ОбъектыРасчетов") in report.missing_sets  # 11.4 has none
    assert [f.name for f in report.fitting] == ["ut11_4"]
    advice = report.instructions()
    assert "не подходит к релизу этой базы" in advice["ru"] and "«ut11_4»" in advice["ru"]
    assert "does not fit this base's release" in advice["en"] and "11.4.2.139" in advice["en"]
    assert "Опубликуйте объекты" not in advice["ru"]  # nothing to publish: it is the release
    assert report.to_dict()["fitting_profiles"][0]["name"] == "ut11_4"
    assert "fits the profile ut11_4" in report.render_text()
    # and the other way round: a 11.5 base checked with the 11.4 profile
    back = compare(parse_metadata(edmx_for(load_profile("ut11"))), load_profile("ut11_4"), "b")
    assert [f.name for f in back.fitting] == ["ut11"]


def test_bp30_early_releases_are_a_known_variant():
    report = compare(parse_metadata(edmx_for(load_profile("bp30_83"))), load_profile("bp30"), "b")
    assert [(m.where, m.field) for m in report.missing_fields] == [("Товары", "Номенклатура"),
                                                                    ("Товары", "Номенклатура_Type")]
    assert [f.name for f in report.fitting] == ["bp30_83"]


def test_an_unknown_difference_is_a_changed_configuration():
    meta = parse_metadata(edmx_for(load_profile("ut11"), drop=("ИНН",)))
    report = compare(meta, load_profile("ut11"), "b")
    assert not report.fitting
    assert {(m.entity_set, m.field) for m in report.missing_fields} >= {("Catalog_Контрагенты", "ИНН")}
    advice = report.instructions()
    assert "конфигурация изменена" in advice["ru"] and "no known release" in advice["en"]


def test_a_composite_field_published_as_a_plain_reference_is_named():
    """The sandbox (as of issue 11) publishes БП's bank receipt payer as Контрагент_Key; real БП 3.0 publishes the
    composite Контрагент + Контрагент_Type (kassya20/buh @18af75c8, Documents/ПоступлениеНаРасчетныйСчет.xml)."""
    profile = load_profile("bp30")
    xml = edmx_for(profile).replace(
        '<Property Name="Контрагент" Type="Edm.String"/><Property Name="Контрагент_Type" Type="Edm.String"/>'
        .encode(), '<Property Name="Контрагент_Key" Type="Edm.Guid"/>'.encode(), 1)
    report = compare(parse_metadata(xml), profile, "b")
    missing = {(m.entity_set, m.field): m for m in report.missing_fields}
    payer = missing[("Document_ПоступлениеНаРасчетныйСчет", "Контрагент")]
    assert "Контрагент_Key" in payer.similar
    assert ("Document_ПоступлениеНаРасчетныйСчет", "Контрагент_Type") in missing


def test_register_kind_virtual_tables_and_their_dimensions_are_checked():
    profile = load_profile("ut11")
    # ЦеныНоменклатуры is recorder-subordinate in УТ 11 (kassya20/ut @1740ac50, WriteMode RecorderSubordinate);
    # a base publishing it as an independent register (keyed by period and dimensions) does not fit.
    independent = parse_metadata(edmx_for(profile))
    del independent.types["InformationRegister_ЦеныНоменклатуры"]["Recorder"]
    report = compare(independent, profile, "b")
    [kind] = report.changed_types
    assert (kind.what, kind.entity_set, kind.expected_type, kind.actual_type) == (
        "register", "InformationRegister_ЦеныНоменклатуры", "recorder-subordinate", "independent")
    assert "changed register kind: InformationRegister_ЦеныНоменклатуры" in report.render_text()
    # a Balance whose rows lack a dimension the debt groups by (Dimensions='ОбъектРасчетов')
    meta = parse_metadata(edmx_for(profile))
    balance = meta.types["AccumulationRegister_РасчетыСКлиентами_Balance"]
    del balance["ОбъектРасчетов_Key"]
    report = compare(meta, profile, "b")
    [gap] = [m for m in report.missing_fields if m.what == "dimension"]
    assert (gap.entity_set, gap.where, gap.field) == ("AccumulationRegister_РасчетыСКлиентами", "Balance",
                                                      "ОбъектРасчетов_Key")
    # a virtual table not published at all
    meta.functions["AccumulationRegister_РасчетыСКлиентами"].discard("Balance")
    report = compare(meta, profile, "b")
    assert ("AccumulationRegister_РасчетыСКлиентами", "Balance()") in {
        (m.entity_set, m.field) for m in report.missing_fields if m.what == "virtual table"}


def test_enumeration_values_the_app_writes_are_checked_where_metadata_declares_them():
    profile = load_profile("ut11")
    # An older release names the status "К выполнению" КВыполнению: the value the profile writes is not there.
    old = edmx_for(profile, enums={"СтатусыЗаказовКлиентов": ("НеСогласован", "КВыполнению", "Закрыт")})
    report = compare(parse_metadata(old), profile, "b")
    [value] = [m for m in report.missing_fields if m.what == "enumeration value"]
    assert (value.entity_set, value.field) == ("Document_ЗаказКлиента", "Статус=КОбеспечению")
    assert value.expected_type == "value of enumeration СтатусыЗаказовКлиентов"
    # $metadata without EnumType elements: nothing to compare, said so
    bare = edmx_for(profile).replace(b"EnumType", b"Ignored")
    report = compare(parse_metadata(bare), profile, "b")
    assert report.ok and set(report.unchecked_enums) == {"ЮрФизЛицо", "СтатусыЗаказовКлиентов",
                                                      "ТипыКонтактнойИнформации", "СтавкиНДС"}
    assert "not checked: $metadata declares no enumeration" in report.render_text()


def test_function_bindings_of_real_metadata_are_read():
    """The real $metadata binds a virtual table through `bindingParameter` and names what it returns."""
    meta = parse_metadata(EDMX)
    stock = "AccumulationRegister_ТоварыНаСкладах"
    assert meta.returns[(stock, "Balance")] == f"{stock}_Balance"
    assert meta.function_of(("x", stock), "Balance") == stock
