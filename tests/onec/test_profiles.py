"""Loading the shipped profiles and merging integrator overrides."""

import tomllib

import pytest

from b24app.config import Settings
from b24app.onec.profiles import SHIPPED_DIR, ProfileError, ProfileLoader, load_profile

LOGICAL = {
    "counterparty", "contact_person", "product", "unit", "price_type", "price", "warehouse", "stock",
    "customer_order", "customer_invoice", "bank_receipt", "cash_receipt", "shipment", "act",
    "vat_invoice", "settlements", "organization", "currency",
}  # fmt: skip


@pytest.mark.parametrize("name", ["ut11", "bp30", "unf"])
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
            assert spec.dimensions and spec.resources
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
