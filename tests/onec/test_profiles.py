"""Loading the shipped profiles and merging integrator overrides."""

import tomllib

import pytest

from b24app.config import Settings
from b24app.onec.profiles import SHIPPED_DIR, ProfileError, ProfileLoader, load_profile, shipped_names

LOGICAL = {
    "counterparty", "contact_person", "product", "unit", "price_type", "price", "warehouse", "stock",
    "customer_order", "customer_invoice", "bank_receipt", "cash_receipt", "shipment", "act",
    "vat_invoice", "settlements", "organization", "currency",
}  # fmt: skip


SHIPPED = ["ut11", "ut11_4", "bp30", "bp30_83", "unf"]


def test_every_shipped_profile_is_listed_here():
    assert sorted(SHIPPED) == shipped_names()


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_profiles_cover_every_logical_object_with_sources(name):
    profile = load_profile(name)
    assert LOGICAL <= set(profile.objects)
    for spec in profile.objects.values():
        assert spec.entity_set.split("_", 1)[0] in {
            "Catalog", "Document", "InformationRegister", "AccumulationRegister", "AccountingRegister",
        }  # fmt: skip
        assert spec.source or spec.why, f"{name}.{spec.logical} names no source"
        if not spec.confirmed:
            assert spec.why, f"{name}.{spec.logical} is unconfirmed without a reason"
        for f in spec.all_fields():
            assert f.type.startswith("Edm."), f"{name}.{spec.logical}.{f.logical}: {f.type}"
        if spec.is_register:
            # An information register may be read for its keys alone (barcodes: Штрихкод -> item); the others
            # are read for their figures.
            assert spec.dimensions and (spec.resources or spec.kind == "information_register")
    unit = profile.object("unit")
    assert unit.field("okei_code") == "Code"


def test_ut11_names_from_the_configuration_dump():
    p = load_profile("ut11")
    assert p.object("bank_receipt").entity_set == "Document_ПоступлениеБезналичныхДенежныхСредств"
    assert p.object("settlements").entity_set == "AccumulationRegister_РасчетыСКлиентами"
    assert p.object("settlements").records_set == "AccumulationRegister_РасчетыСКлиентами_RecordType"
    assert p.object("customer_order").idempotency_field == "Комментарий"
    assert p.object("counterparty").field("inn") == "ИНН"
    assert p.object("customer_order").table("goods").name == "Товары"
    assert load_profile("bp30").object("bank_receipt").entity_set == "Document_ПоступлениеНаРасчетныйСчет"


def test_every_shipped_file_is_valid_toml():
    for path in SHIPPED_DIR.glob("*.toml"):
        with path.open("rb") as fh:
            assert "objects" in tomllib.load(fh)


def test_override_merges_key_by_key(tmp_path):
    override = tmp_path / "mine.toml"
    override.write_text(
        '[objects.counterparty.fields]\ninn = { name = "ИННКонтрагента", type = "Edm.String" }\n'
        "[objects.act]\nenabled = false\n",
        encoding="utf-8",
    )
    p = load_profile("ut11", overrides=[override])
    assert p.object("counterparty").field("inn") == "ИННКонтрагента"
    assert p.object("counterparty").field("kpp") == "КПП"  # untouched by the override
    assert not p.objects["act"].enabled
    assert p.objects["act"] not in p.enabled_objects()
    with pytest.raises(ProfileError, match="disabled"):
        p.object("act")
    assert str(override) in p.files


def test_search_path_file_is_merged_over_the_shipped_one(tmp_path):
    (tmp_path / "ut11.toml").write_text(
        '[objects.price]\nentity_set = "InformationRegister_ЦеныНоменклатуры25"\n', encoding="utf-8"
    )
    settings = Settings.from_env({"B24APP_ONEC_PROFILE_PATH": str(tmp_path)})
    p = ProfileLoader(settings.onec_profile_path).load("ut11")
    assert p.object("price").entity_set == "InformationRegister_ЦеныНоменклатуры25"
    assert p.object("price").field("price") == "Цена"


def test_profile_file_extending_a_shipped_one(tmp_path):
    own = tmp_path / "erp.toml"
    own.write_text(
        '[profile]\nname = "erp"\nextends = "ut11"\n'
        '[objects.settlements.dimensions]\norder = { name = "ЗаказКлиента", type = "Edm.String" }\n',
        encoding="utf-8",
    )
    p = load_profile(own)
    assert p.name == "erp"
    assert p.object("settlements").field("order") == "ЗаказКлиента"
    assert p.object("settlements").field("partner_analytics") == "АналитикаУчетаПоПартнерам_Key"


def test_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(ProfileError, match="unknown profile 'nope'"):
        load_profile("nope")
    bad = tmp_path / "bad.toml"
    bad.write_text('[profile]\nname = "x"\n[objects.a]\nentity_set = "Catalog_A"\nkind = "thing"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="kind 'thing'"):
        load_profile(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[profile\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(broken)
    with pytest.raises(ProfileError, match="no field 'nope'"):
        load_profile("ut11").object("counterparty").field("nope")


def test_values_are_looked_up_merged_by_overrides_and_missing_keys_named(tmp_path):
    ut = load_profile("ut11")
    assert ut.object("customer_order").value("status_closed") == "Закрыт"
    assert ut.object("customer_order").value("status_open") == "КОбеспечению"
    assert ut.object("counterparty").value("legal_form_entrepreneur") == "ИндивидуальныйПредприниматель"
    assert load_profile("bp30").object("counterparty").value("legal_form_company") == "ЮридическоеЛицо"

    override = tmp_path / "old_ut.toml"
    override.write_text('[objects.customer_order.values]\nstatus_open = "КВыполнению"\n', encoding="utf-8")
    old = load_profile("ut11", overrides=[override]).object("customer_order")
    assert old.value("status_open") == "КВыполнению"
    assert old.value("status_closed") == "Закрыт"  # untouched by the override

    with pytest.raises(ProfileError, match=r"profile 'bp30': object 'customer_order' .*no value 'status_closed'"):
        load_profile("bp30").object("customer_order").value("status_closed")
    bad = tmp_path / "bad_values.toml"
    bad.write_text("[objects.customer_order.values]\nstatus_open = 3\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"objects\.customer_order\.values\.status_open: a value must be a string"):
        load_profile("ut11", overrides=[bad])


def test_the_runtime_loader_takes_names_only(tmp_path):
    """A base's profile comes from a form or a settings file: a path there must not make the server read files."""
    loader = ProfileLoader()
    assert loader.load("bp30").name == "bp30"
    outside = tmp_path / "evil.toml"
    outside.write_text('[profile]\nname = "evil"\n', encoding="utf-8")
    for name in (str(outside), "/etc/passwd", "../ut11", "ut11.toml", "UT11 "):
        with pytest.raises(ProfileError, match="not a profile name"):
            loader.load(name)


# -- names an object has or lacks (dumps: kassya20/ut @1740ac50, kassya20/buh @18af75c8, Dershoozer/unf1 @908def8b)


def test_catalogs_without_code_or_folders_are_not_asked_for_them():
    ut = load_profile("ut11")
    # CodeLength 0 in УТ 11.4-11.5 (Catalogs/Контрагенты.xml, Catalogs/Склады.xml): no Code property at all
    for logical in ("counterparty", "warehouse"):
        assert not ut.object(logical).has("code")
        assert ut.object(logical).orderby() == "Description"
    assert ut.object("warehouse").field("is_folder") == "IsFolder"  # Склады: HierarchyFoldersAndItems
    unf = load_profile("unf").object("warehouse")
    assert not unf.has("is_folder")  # СтруктурныеЕдиницы: HierarchyOfItems, no folders
    assert unf.orderby() == "Code" and unf.pick_where == ("unit_type_warehouse",)
    assert unf.value_field("unit_type_warehouse").name == "ТипСтруктурнойЕдиницы"
    bp = load_profile("bp30").object("warehouse")
    assert (bp.orderby(), bp.field("is_folder")) == ("Code", "IsFolder")


def test_composite_fields_are_one_entry_with_two_properties():
    bp = load_profile("bp30")
    payer = bp.object("bank_receipt").spec_of("counterparty")
    assert payer.composite and payer.properties == ("Контрагент", "Контрагент_Type")
    assert bp.object("customer_order").table("goods").fields["product"].composite  # БП 3.0.198
    assert not load_profile("bp30_83").object("customer_order").table("goods").fields["product"].composite
    assert bp.object("price").recorder_subordinate  # kassya20/buh InformationRegisters/ЦеныНоменклатуры.xml
    ut = load_profile("ut11")
    assert ut.object("shipment").spec_of("order").type_property == "ЗаказКлиента_Type"
    for spec in (*ut.objects.values(), *bp.objects.values()):
        assert not any(f.name.endswith("_Type") for f in spec.all_fields()), f"{spec.logical}: a composite is one entry"


def test_release_variants_extend_the_profile_they_differ_from():
    old = load_profile("ut11_4")
    assert (old.family, old.checked_release) == ("ut11", "11.4.2.139")
    assert "settlement_object" not in [o.logical for o in old.enabled_objects()]
    assert old.object("settlements").field("order") == "ЗаказКлиента"
    assert not old.object("settlements").has("settlement_object")
    assert old.object("counterparty").field("inn") == "ИНН"  # everything else from ut11
    assert load_profile("bp30_83").family == "bp30" and load_profile("unf").family == "unf"


def test_values_name_their_field_and_order_by_its_fields(tmp_path):
    stray = tmp_path / "stray.toml"
    stray.write_text('[objects.customer_order.values]\nshipping_fast = "Быстро"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=r"values\.shipping_fast: names no field"):
        load_profile("ut11", overrides=[stray])
    order = tmp_path / "order.toml"
    order.write_text('[objects.warehouse]\norder_by = ["code"]\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=r"order_by: 'code' is not a field"):
        load_profile("ut11", overrides=[order])
    bad = tmp_path / "bad.toml"
    bad.write_text('[objects.vat_invoice.fields]\nbasis = { name = "ДокументОснование_Type", type = "composite" }\n',
                   encoding="utf-8")
    with pytest.raises(ProfileError, match="composite attribute is named without _Key/_Type"):
        load_profile("ut11", overrides=[bad])
    typo = tmp_path / "typo.toml"
    typo.write_text('[objects.vat_invoice.fields]\nbasis = { name = "X", type = "String" }\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="neither an Edm type nor 'composite'"):
        load_profile("ut11", overrides=[typo])
