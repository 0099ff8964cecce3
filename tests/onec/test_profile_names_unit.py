"""The code asks 1C only for what the profile names, spelled as the interface publishes it: composite references
(`X` + `X_Type`, platform docs 17.4.3, filtered with cast() 17.4.5.2), register dimensions by their configuration
names in `Dimensions` (17.4.4, 17.4.9), and catalogs read without properties they lack (no Code on УТ 11's
Склады / Контрагенты, no IsFolder on УНФ's СтруктурныеЕдиницы). No HTTP: a stub client records every request
and, like real 1C, refuses a property the object does not publish."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from b24app.onec import refs
from b24app.onec.base import OneCBase
from b24app.onec.errors import OneCQueryError
from b24app.onec.odata import Page
from b24app.onec.profiles import ProfileError, load_profile
from b24app.onec.readers import OneCDocuments
from b24app.sync.to_onec.counterparties import CounterpartyRef
from b24app.sync.to_onec.order_body import order_body, order_lines
from b24app.sync.to_onec.order_model import DealBundle
from b24app.sync.to_onec.order_refs import ProductRef, SellerRefs, seller_refs

KEY = "0d4a79cb-9843-4147-bcd9-80ac3ca2b9c7"
OTHER = "8d04ce3c-6360-11e9-dd92-fa163e8ba11d"
ORG = "5b2c7e10-1a3f-4c6d-9e8b-0f1a2b3c4d5e"

# What each base publishes for the catalogs seller_refs reads, from the Designer XML dumps (a catalog publishes
# Ref_Key, DataVersion, DeletionMark, Description; Code only with CodeLength > 0; IsFolder only when hierarchical
# with folders; plus its attributes):
#   УТ 11.5.27: kassya20/ut @1740ac50 Catalogs/Склады.xml (CodeLength 0, folders), Организации.xml, Валюты.xml;
#   БП 3.0.198: kassya20/buh @18af75c8 Catalogs/Склады.xml (CodeLength 9, folders);
#   УНФ 3.0.12: Dershoozer/unf1 @908def8b Catalogs/СтруктурныеЕдиницы.xml (CodeLength 9, HierarchyOfItems).
_CATALOG = {"Ref_Key", "DataVersion", "DeletionMark", "Description"}
PUBLISHED = {
    "ut11": {
        "Catalog_Организации": _CATALOG | {"ИНН"},
        "Catalog_Валюты": _CATALOG | {"Code"},
        "Catalog_Склады": _CATALOG | {"IsFolder", "Parent_Key", "ТипСклада"},
    },
    "bp30": {
        "Catalog_Организации": _CATALOG | {"Code", "ИНН"},
        "Catalog_Валюты": _CATALOG | {"Code"},
        "Catalog_Склады": _CATALOG | {"Code", "IsFolder", "Parent_Key"},
    },
    "unf": {
        "Catalog_Организации": _CATALOG | {"Code", "ИНН"},
        "Catalog_Валюты": _CATALOG | {"Code"},
        "Catalog_СтруктурныеЕдиницы": _CATALOG | {"Code", "Parent_Key", "ТипСтруктурнойЕдиницы"},
    },
}
_NAME = re.compile(r"[^\W\d][\w]*")
_NOT_NAMES = {"eq", "ne", "and", "or", "true", "false", "guid", "cast", "desc", "asc", "null", "any", "d"}


class StubOneC:
    """Answers preset rows per entity set and records every request; a property that the set does not publish
    (when `published` lists the set) is refused as 1C refuses it (error 6 / 14, a 400)."""

    def __init__(self, rows: Mapping[str, list[dict]] | None = None,
                 published: Mapping[str, set[str]] | None = None) -> None:
        self.base = OneCBase(url="http://1c.test/b/", login="u", password="p", name="test")
        self.rows = {k: list(v) for k, v in (rows or {}).items()}
        self.published = published or {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def _names_ok(self, entity_set: str, *texts: str | None) -> None:
        known = self.published.get(entity_set)
        if known is None:
            return
        for text in texts:
            for name in _NAME.findall(re.sub(r"'[^']*'", "", text or "")):
                if name not in known and name not in _NOT_NAMES:
                    raise OneCQueryError("6", f"{entity_set} has no property {name}", 400, self.base.label)

    def query(self, entity_set: str, *, filter: str | None = None, select: Sequence[str] | None = None,
              orderby: str | None = None, top: int | None = None, **_: Any) -> Page:
        self.calls.append(("query", entity_set, {"filter": filter, "select": select, "orderby": orderby}))
        self._names_ok(entity_set, filter, ",".join(select or ()), orderby)
        return Page(rows=list(self.rows.get(entity_set, []))[:top] if top else list(self.rows.get(entity_set, [])))

    def balance(self, register: str, **kwargs: Any) -> list[dict]:
        self.calls.append(("balance", register, kwargs))
        return list(self.rows.get(register, []))

    def virtual_table(self, register: str, function: str, arguments: Mapping[str, Any], **kwargs: Any) -> list[dict]:
        self.calls.append(("virtual_table", register, {"function": function, **arguments, **kwargs}))
        return list(self.rows.get(register, []))

    def made(self, kind: str, entity_set: str) -> list[dict[str, Any]]:
        return [args for k, s, args in self.calls if k == kind and s == entity_set]


# -- composite references (refs.py) ------------------------------------------------------------------------------

def test_a_plain_reference_is_its_key_property_and_a_composite_one_two_properties():
    bp = load_profile("bp30")
    plain = load_profile("ut11").object("bank_receipt").spec_of("counterparty")
    composite = bp.object("bank_receipt").spec_of("counterparty")
    assert (plain.name, plain.composite, plain.properties) == ("Контрагент_Key", False, ("Контрагент_Key",))
    assert (composite.name, composite.composite, composite.properties) == ("Контрагент", True,
                                                                           ("Контрагент", "Контрагент_Type"))
    assert composite.type == "Edm.String"  # both properties are Edm.String (17.4.3)
    # filtering: `X_Key eq guid'…'`, a composite only through cast() (17.4.5.2)
    assert refs.equals(plain, KEY, "Catalog_Контрагенты") == f"Контрагент_Key eq guid'{KEY}'"
    assert refs.equals(composite, KEY, "Catalog_Контрагенты") == \
        f"Контрагент eq cast(guid'{KEY}', 'Catalog_Контрагенты')"
    assert refs.equals(composite, KEY, "Catalog_Контрагенты", within="d") == \
        f"d/Контрагент eq cast(guid'{KEY}', 'Catalog_Контрагенты')"
    # writing sets the type too: "StandardODATA.<set>" (17.4.3)
    assert refs.assign(plain, KEY, "Catalog_Контрагенты") == {"Контрагент_Key": KEY}
    assert refs.assign(composite, KEY, "Catalog_Контрагенты") == {
        "Контрагент": KEY, "Контрагент_Type": "StandardODATA.Catalog_Контрагенты"}
    with pytest.raises(ProfileError, match="composite"):
        refs.assign(composite, KEY, None)
    # reading: an individual (ФизическиеЛица) in a composite field is not a counterparty
    row = {"Контрагент": KEY, "Контрагент_Type": "StandardODATA.Catalog_ФизическиеЛица"}
    assert refs.read(composite, row, "Catalog_Контрагенты") is None
    assert refs.read(composite, row) == KEY
    assert refs.read(composite, {"Контрагент": "00000000-0000-0000-0000-000000000000",
                                 "Контрагент_Type": "StandardODATA.Undefined"}) is None
    assert refs.select(composite, plain) == ["Контрагент", "Контрагент_Type", "Контрагент_Key"]


def test_dimensions_are_named_as_the_configuration_names_them():
    settlements = load_profile("ut11").object("settlements")
    assert settlements.spec_of("settlement_object").attribute == "ОбъектРасчетов"  # property ОбъектРасчетов_Key
    assert settlements.spec_of("partner_analytics").attribute == "АналитикаУчетаПоПартнерам"
    assert load_profile("ut11_4").object("settlements").spec_of("order").attribute == "ЗаказКлиента"  # composite


def test_bp30_reads_a_bank_receipt_payer_through_its_composite_property():
    profile = load_profile("bp30")
    receipts = "Document_ПоступлениеНаРасчетныйСчет"
    rows = [
        {"Ref_Key": OTHER, "Number": "1", "Date": "2026-11-02T10:00:00", "СуммаДокумента": 10, "Posted": True,
         "Контрагент": KEY, "Контрагент_Type": "StandardODATA.Catalog_Контрагенты"},
        {"Ref_Key": KEY, "Number": "2", "Date": "2026-11-01T10:00:00", "СуммаДокумента": 5, "Posted": True,
         "Контрагент": KEY, "Контрагент_Type": "StandardODATA.Catalog_ФизическиеЛица"},
    ]
    client = StubOneC({receipts: rows})
    docs = OneCDocuments(client, profile, link_base_url=None)
    payments = docs.recent_payments([KEY])
    [asked] = client.made("query", receipts)
    assert f"Контрагент eq cast(guid'{KEY}', 'Catalog_Контрагенты')" in asked["filter"]
    assert "Контрагент_Key" not in asked["filter"]
    by_number = {p.number: p for p in payments}
    assert by_number["1"].counterparty_key == KEY
    assert by_number["2"].counterparty_key is None  # an individual, not this counterparty


# -- debt: Condition names properties, Dimensions names dimensions ------------------------------------------------

def test_ut11_debt_asks_balance_by_dimension_names():
    profile = load_profile("ut11")
    analytics = "Catalog_КлючиАналитикиУчетаПоПартнерам"
    settlements = "AccumulationRegister_РасчетыСКлиентами"
    client = StubOneC({analytics: [{"Ref_Key": OTHER, "Организация_Key": ORG}],
                       settlements: [{"ОбъектРасчетов_Key": KEY, "АналитикаУчетаПоПартнерам_Key": OTHER,
                                      "СуммаBalance": 150.0}],
                       "Catalog_Организации": [{"Ref_Key": ORG, "Description": "ООО «Ромашка»"}]})
    reader = OneCDocuments(client, profile, link_base_url=None)
    [part] = reader.debt_by_organization([KEY], as_of=datetime(2026, 12, 1))
    [lookup] = client.made("query", analytics)
    assert lookup["filter"] == f"Контрагент eq cast(guid'{KEY}', 'Catalog_Контрагенты')"  # composite there
    assert lookup["select"] == ["Ref_Key", "Организация_Key"]  # the analytics key names the organization
    [balance] = client.made("balance", settlements)
    # Dimensions: not the properties (ОбъектРасчетов_Key); the analytics key to tell the organization.
    assert balance["dimensions"] == ["ОбъектРасчетов", "АналитикаУчетаПоПартнерам"]
    assert balance["condition"] == f"АналитикаУчетаПоПартнерам_Key eq guid'{OTHER}'"  # a filter: properties
    assert (part.organization_key, part.organization, part.receivable) == (ORG, "ООО «Ромашка»", Decimal("150.00"))
    assert reader.debt([KEY], as_of=datetime(2026, 12, 1)).receivable == Decimal("150.00")


def test_ut11_4_debt_goes_by_order_and_knows_what_is_overdue():
    profile = load_profile("ut11_4")
    settlements = "AccumulationRegister_РасчетыСКлиентами"
    orders = "Document_ЗаказКлиента"
    client = StubOneC({
        "Catalog_КлючиАналитикиУчетаПоПартнерам": [{"Ref_Key": OTHER}],
        settlements: [{"ЗаказКлиента": KEY, "ЗаказКлиента_Type": "StandardODATA.Document_ЗаказКлиента",
                       "СуммаBalance": 100.0},
                      {"ЗаказКлиента": OTHER, "ЗаказКлиента_Type": "StandardODATA.Document_РеализацияТоваровУслуг",
                       "СуммаBalance": 30.0}],
        orders: [{"Ref_Key": KEY, "ДатаОтгрузки": "2026-11-01T00:00:00"}],
    })
    debt = OneCDocuments(client, profile, link_base_url=None).debt([KEY], as_of=datetime(2026, 12, 1))
    [balance] = client.made("balance", settlements)
    assert balance["dimensions"] == ["ЗаказКлиента", "АналитикаУчетаПоПартнерам"]
    assert debt.receivable == Decimal("130.00") and debt.overdue == Decimal("100.00")


def test_bp30_debt_filters_the_subconto_with_cast():
    profile = load_profile("bp30")
    register = "AccountingRegister_Хозрасчетный"
    client = StubOneC({register: [{"Организация_Key": ORG, "СуммаBalanceDr": 70.0, "СуммаBalanceCr": 0},
                                  {"Организация_Key": OTHER, "СуммаBalanceDr": 0, "СуммаBalanceCr": 5.0}]})
    reader = OneCDocuments(client, profile, link_base_url=None)
    parts = reader.debt_by_organization([KEY], as_of=datetime(2026, 12, 1))
    # The organization is a dimension of the register, so each row says whose books it is in.
    assert [(p.organization_key, p.receivable, p.payable) for p in parts] == [
        (ORG, Decimal("70.00"), Decimal("0")), (OTHER, Decimal("0"), Decimal("5.00"))]
    debt = reader.debt([KEY], as_of=datetime(2026, 12, 1))
    asked = client.made("virtual_table", register)[-1]
    assert asked["function"] == "Balance"
    assert asked["Condition"] == f"ExtDimension1 eq cast(guid'{KEY}', 'Catalog_Контрагенты')"  # docs 17.4.13.1.1
    assert debt.receivable == Decimal("70.00") and debt.overdue is None


# -- the seller's references: no property a catalog lacks ---------------------------------------------------------

@pytest.mark.parametrize("name, warehouses, order", [
    ("ut11", "Catalog_Склады", "Description"),
    ("bp30", "Catalog_Склады", "Code"),
    ("unf", "Catalog_СтруктурныеЕдиницы", "Code"),
])
def test_seller_refs_read_only_what_each_configuration_publishes(name, warehouses, order):
    profile = load_profile(name)
    client = StubOneC({
        "Catalog_Организации": [{"Ref_Key": "org", "ИНН": "7707083893", "DeletionMark": False}],
        "Catalog_Валюты": [{"Ref_Key": "rub"}],
        warehouses: [{"Ref_Key": "store"}],
    }, PUBLISHED[name])
    seller = seller_refs(client, profile, "7707083893")
    assert seller == SellerRefs("org", "rub", "store")
    [asked] = client.made("query", warehouses)
    assert asked["orderby"] == order
    folders = "IsFolder eq false" in asked["filter"]
    assert folders == (name != "unf")  # УНФ's structural units are a hierarchy of items: no folders
    if name == "unf":  # departments and shops are structural units too: only a warehouse will do
        assert "ТипСтруктурнойЕдиницы eq 'Склад'" in asked["filter"]


def test_what_the_old_code_asked_is_refused_by_such_a_base():
    client = StubOneC(published=PUBLISHED["ut11"])
    with pytest.raises(OneCQueryError, match="no property Code"):
        client.query("Catalog_Склады", filter="(DeletionMark eq false) and (IsFolder eq false)",
                     select=["Ref_Key"], orderby="Code", top=1)
    client = StubOneC(published=PUBLISHED["unf"])
    with pytest.raises(OneCQueryError, match="no property IsFolder"):
        client.query("Catalog_СтруктурныеЕдиницы", filter="(DeletionMark eq false) and (IsFolder eq false)")


def test_an_invoice_does_not_look_for_a_warehouse():
    client = StubOneC({"Catalog_Организации": [{"Ref_Key": "org", "ИНН": "1"}], "Catalog_Валюты": [{"Ref_Key": "r"}]})
    assert seller_refs(client, load_profile("ut11"), "1", warehouse=False).warehouse is None
    assert not client.made("query", "Catalog_Склады")


# -- writing composite references ----------------------------------------------------------------------------------

def test_bp30_goods_lines_name_the_item_with_its_type():
    bundle = DealBundle({"ID": "7"}, [{"PRODUCT_ID": "1", "PRICE": 100, "QUANTITY": 1, "TAX_RATE": 20}], None, [])
    product = {"1": ProductRef("item", None, None, "Стол")}
    [line] = order_lines(bundle, product, load_profile("bp30"), cancel=False)
    assert line["Номенклатура"] == "item" and line["Номенклатура_Type"] == "StandardODATA.Catalog_Номенклатура"
    [early] = order_lines(bundle, product, load_profile("bp30_83"), cancel=False)
    assert early["Номенклатура_Key"] == "item" and "Номенклатура" not in early


def test_an_order_body_names_references_as_the_profile_spells_them():
    bundle = DealBundle({"ID": "7"}, [{"PRODUCT_ID": "1", "PRICE": 100, "QUANTITY": 1, "TAX_RATE": 0}], None, [])
    buyer = CounterpartyRef("buyer", None, False)
    body = order_body(bundle, buyer, SellerRefs("org", "rub", "store"), {"1": ProductRef("item", None, None, "x")},
                      load_profile("bp30"), cancel=False)
    assert (body["Организация_Key"], body["Контрагент_Key"], body["ВалютаДокумента_Key"]) == ("org", "buyer", "rub")
    assert body["Склад_Key"] == "store" and "Статус" not in body  # БП's invoice has no status
