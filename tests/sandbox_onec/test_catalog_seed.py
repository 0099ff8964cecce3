"""The sandbox 1C's large catalog (`--catalog N`, sandboxes/b24sandbox/onec/seed_catalog.py) read over HTTP with the
app's own OData client: 10,000 items paged by key, their groups, ОКЕИ units, characteristics and barcodes, the price
history's latest slice per price type, stock per warehouse, and the control API's changes as change detection sees
them (new DataVersions, a new latest price, a moved balance) in every configuration family."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from b24app.onec.odata import ODataClient
from b24sandbox.onec import facts_config
from b24sandbox.onec.seed import SeedSizes, new_configuration_base
from tests.onec.onec_sandbox import FAST_RETRY, LOOPBACK, Sandbox

ITEMS = "Catalog_Номенклатура"
PRICES = "InformationRegister_ЦеныНоменклатуры"
BARCODES = "InformationRegister_ШтрихкодыНоменклатуры"
UT_STOCK = "AccumulationRegister_ТоварыНаСкладах"
BP_REGISTER = "AccountingRegister_Хозрасчетный"
BIG = 10_000
SMALL = 400
OKEI = {"796", "166", "112", "006", "055", "778"}  # шт, кг, л, м, м2, упак
# base name -> (configuration, profile of the app for it, price-type dimension, price-type catalog)
SMALL_BASES = {
    "ut": ("ut11", "ut11", "ВидЦены_Key", "Catalog_ВидыЦен"),
    "ut520": ("ut11_520", "ut11", "ВидЦены_Key", "Catalog_ВидыЦен"),
    "ut4": ("ut11_4", "ut11_4", "ВидЦены_Key", "Catalog_ВидыЦен"),
    "bp": ("bp30", "bp30", "ТипЦен_Key", "Catalog_ТипыЦенНоменклатуры"),
    "bp83": ("bp30_83", "bp30_83", "ТипЦен_Key", "Catalog_ТипыЦенНоменклатуры"),
    "unf": ("unf", "unf", "ВидЦен_Key", "Catalog_ВидыЦен"),
}


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    started = time.perf_counter()
    server = Sandbox("--catalog", str(BIG), "--counterparties", "30", "--bases", "ut:ut11")
    # Printed, not asserted: the machine's speed is not the sandbox's property.
    print(f"\nsandbox 1C with a catalog of {BIG:,} items started in {time.perf_counter() - started:.1f} s")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def small() -> Iterator[Sandbox]:
    server = Sandbox("--catalog", str(SMALL), "--counterparties", "30",
                     "--bases", ",".join(f"{name}:{c[0]}" for name, c in SMALL_BASES.items()))
    yield server
    server.stop()


def client(server: Sandbox, base: str = "ut", profile: str = "ut11") -> ODataClient:
    return ODataClient(server.base(base, profile=profile), egress=LOOPBACK, retry=FAST_RETRY)


def guid(key: str) -> str:
    return f"guid'{key}'"


def all_rows(c: ODataClient, entity_set: str, **kwargs) -> list[dict]:
    return [row for page in c.iter_pages_by_key(entity_set, page_size=1000, **kwargs) for row in page]


def ean13_ok(code: str) -> bool:
    if len(code) != 13 or not code.isdigit():
        return False
    digits = [int(d) for d in code]
    return (sum(digits[0:12:2]) + 3 * sum(digits[1:12:2]) + digits[12]) % 10 == 0


@pytest.fixture(scope="module")
def catalog(big: Sandbox) -> dict:
    """Every row of the 10,000-item base's catalog, read once by key ranges (pages counted)."""
    c = client(big)
    pages = list(c.iter_pages_by_key(ITEMS, page_size=1000, select=[
        "Ref_Key", "Code", "Description", "Артикул", "Parent_Key", "IsFolder", "DeletionMark", "ТипНоменклатуры",
        "ЕдиницаИзмерения_Key", "ИспользованиеХарактеристик", "СтавкаНДС_Key"]))
    rows = [r for page in pages for r in page]
    return {"pages": pages, "rows": rows, "by_key": {r["Ref_Key"]: r for r in rows}, "client": c}


# -- the 10,000-item base (read only) ---------------------------------------------------------------------------

def test_ten_thousand_items_page_by_key_in_key_order_without_gaps(catalog):
    c: ODataClient = catalog["client"]
    rows = catalog["rows"]
    keys = [r["Ref_Key"] for r in rows]
    assert len(keys) == len(set(keys)) == c.count(ITEMS)
    assert len(catalog["pages"]) == math.ceil(len(rows) / 1000)
    # Full pages until the last: the walk by `Ref_Key gt <last>` neither stops early nor repeats a row.
    assert all(len(page) == 1000 for page in catalog["pages"][:-1])
    assert c.count(ITEMS, filter="IsFolder eq false") == sum(not r["IsFolder"] for r in rows)


def test_groups_form_a_two_level_hierarchy_holding_the_catalog(catalog):
    by_key = catalog["by_key"]
    folders = {k: r for k, r in by_key.items() if r["IsFolder"]}
    items = [r for r in catalog["rows"] if not r["IsFolder"]]
    empty = "00000000-0000-0000-0000-000000000000"
    assert all(r["Parent_Key"] in folders for r in items)
    assert all(f["Parent_Key"] == empty or f["Parent_Key"] in folders for f in folders.values())
    subgroups = {k for k, f in folders.items() if f["Parent_Key"] != empty}
    assert all(folders[folders[k]["Parent_Key"]]["Parent_Key"] == empty for k in subgroups)  # two levels
    in_subgroups = [r for r in items if r["Parent_Key"] in subgroups]
    assert len(in_subgroups) == BIG  # the default seed's items sit in its one top-level folder
    tops = {folders[k]["Parent_Key"] for k in subgroups}
    assert len(tops) >= 5 and len(subgroups) >= 15


def test_articles_names_deletion_marks_and_services_look_like_a_real_base(catalog):
    items = [r for r in catalog["rows"] if not r["IsFolder"]]
    articles = Counter(r["Артикул"] for r in items)
    empty = articles.pop("", 0)
    duplicated = [a for a, n in articles.items() if n > 1]
    assert 0.02 * BIG < empty < 0.15 * BIG
    assert 5 <= len(duplicated) < 0.02 * BIG
    assert all(r["Description"] for r in items)
    deleted = sum(r["DeletionMark"] for r in items)
    assert 0.005 * BIG < deleted < 0.05 * BIG
    kinds = Counter(r["ТипНоменклатуры"] for r in items)
    assert kinds["Услуга"] > 50 and kinds["Товар"] > 0.8 * BIG


def test_units_are_okei_codes_and_vat_rates_are_the_catalog_s(catalog):
    c: ODataClient = catalog["client"]
    units = {r["Ref_Key"]: r["Code"] for r in all_rows(c, "Catalog_УпаковкиЕдиницыИзмерения")}
    used = Counter(units[r["ЕдиницаИзмерения_Key"]] for r in catalog["rows"] if not r["IsFolder"])
    assert OKEI <= set(used)
    rates = {r["Ref_Key"]: r["Ставка"] for r in all_rows(c, "Catalog_СтавкиНДС")}
    vat = Counter(rates[r["СтавкаНДС_Key"]] for r in catalog["rows"] if not r["IsFolder"])
    assert vat[20] > 0.8 * BIG and vat[10] > 0 and vat[0] > 0


def test_characteristics_belong_to_items_that_use_them(catalog):
    c: ODataClient = catalog["client"]
    variants = all_rows(c, "Catalog_ХарактеристикиНоменклатуры")
    assert len(variants) > 0.1 * BIG
    assert all(v["Owner_Type"] == f"StandardODATA.{ITEMS}" for v in variants)
    owners = {v["Owner"] for v in variants}
    assert {catalog["by_key"][o]["ИспользованиеХарактеристик"] for o in owners} == {"ИндивидуальныеДляНоменклатуры"}
    per_owner = Counter(v["Owner"] for v in variants)
    assert min(per_owner.values()) >= 2


def test_barcodes_are_valid_unique_ean13_of_goods(catalog):
    c: ODataClient = catalog["client"]
    barcodes = [r for page in c.iter_pages(BARCODES, orderby=None, page_size=5000) for r in page]
    assert len(barcodes) > 0.5 * BIG
    codes = [r["Штрихкод"] for r in barcodes]
    assert len(set(codes)) == len(codes) and all(ean13_ok(code) for code in codes)
    assert all(catalog["by_key"][r["Номенклатура_Key"]]["ТипНоменклатуры"] == "Товар" for r in barcodes)


def test_three_price_types_and_slice_last_is_the_latest_record_per_type(catalog):
    c: ODataClient = catalog["client"]
    kinds = {r["Ref_Key"]: r["Description"] for r in all_rows(c, "Catalog_ВидыЦен")}
    assert set(kinds.values()) == {"Оптовая", "Розничная", "Закупочная"}
    rub = {r["Ref_Key"] for r in all_rows(c, "Catalog_Валюты") if r["Code"] == "643"}
    items = [r for r in catalog["rows"] if not r["IsFolder"] and r["Code"] >= "00-00010000"][:40]
    with_history = 0
    for item in items:
        condition = f"Номенклатура_Key eq {guid(item['Ref_Key'])}"
        records = c.query(f"{PRICES}_RecordType", filter=condition).rows
        latest: dict[str, dict] = {}
        for r in records:
            if r["ВидЦены_Key"] not in latest or r["Period"] > latest[r["ВидЦены_Key"]]["Period"]:
                latest[r["ВидЦены_Key"]] = r
        with_history += len({r["Period"] for r in records}) > 1
        sliced = c.virtual_table(f"{PRICES}_RecordType", "SliceLast", {"Condition": condition})
        assert {r["ВидЦены_Key"]: r["Цена"] for r in sliced} == {k: r["Цена"] for k, r in latest.items()}
        assert set(latest) == set(kinds) and {r["Валюта_Key"] for r in sliced} <= rub
    assert with_history > 5  # several periods per item: the first price list alone would be wrong


def test_five_warehouses_and_balance_per_warehouse_matches_the_records(catalog):
    c: ODataClient = catalog["client"]
    warehouses = {r["Ref_Key"] for r in all_rows(c, "Catalog_Склады")}
    assert len(warehouses) == 5
    goods = [r for r in catalog["rows"] if not r["IsFolder"] and r["ТипНоменклатуры"] == "Товар"
             and r["Code"] >= "00-00010000"][:25]
    seen: set[str] = set()
    for item in goods:
        condition = f"Номенклатура_Key eq {guid(item['Ref_Key'])}"
        expected: Counter = Counter()
        for r in c.query(f"{UT_STOCK}_RecordType", filter=condition).rows:
            expected[r["Склад_Key"]] += r["ВНаличии"] * (1 if r["RecordType"] == "Receipt" else -1)
        balance = c.balance(UT_STOCK, condition=condition, dimensions=["Склад"])
        assert {r["Склад_Key"]: r["ВНаличииBalance"] for r in balance} == {k: v for k, v in expected.items() if v}
        seen |= set(expected)
    assert seen == warehouses
    service = next(r for r in catalog["rows"] if r.get("ТипНоменклатуры") == "Услуга")
    assert c.balance(UT_STOCK, condition=f"Номенклатура_Key eq {guid(service['Ref_Key'])}") == []


# -- every configuration: what it holds, and the control API's changes ------------------------------------------

def price_slice(c: ODataClient, base: str, item: str) -> dict[str, float]:
    kind_prop = SMALL_BASES[base][2]
    resource = PRICES if base == "unf" else f"{PRICES}_RecordType"  # УНФ's register is independent (facts)
    rows = c.virtual_table(resource, "SliceLast", {"Condition": f"Номенклатура_Key eq {guid(item)}"})
    return {r[kind_prop]: r["Цена"] for r in rows}


def stock_of(c: ODataClient, base: str, item: str, warehouse: str) -> float:
    if base.startswith("bp"):
        accounts = {r["Code"]: r["Ref_Key"] for r in all_rows(c, "ChartOfAccounts_Хозрасчетный")}
        rows = c.virtual_table(f"{BP_REGISTER}", "Balance", {
            "AccountCondition": f"Account_Key eq {guid(accounts['41.01'])}",
            "Condition": f"ExtDimension1 eq cast({guid(item)}, '{ITEMS}')"})
        return sum(r["КоличествоBalance"] for r in rows if r["ExtDimension2"] == warehouse)
    register, prop, quantity = (("AccumulationRegister_ЗапасыНаСкладах", "СтруктурнаяЕдиница_Key", "Количество")
                                if base == "unf" else (UT_STOCK, "Склад_Key", "ВНаличии"))
    rows = c.balance(register, condition=f"Номенклатура_Key eq {guid(item)}")
    return sum(r[f"{quantity}Balance"] for r in rows if r[prop] == warehouse)


def warehouses_of(c: ODataClient, base: str) -> list[str]:
    if base == "unf":
        return [r["Ref_Key"] for r in all_rows(c, "Catalog_СтруктурныеЕдиницы")
                if r["ТипСтруктурнойЕдиницы"] == "Склад"]
    return [r["Ref_Key"] for r in all_rows(c, "Catalog_Склады")]


@pytest.mark.parametrize("base", list(SMALL_BASES))
def test_each_configuration_holds_the_catalog_in_its_own_objects(small, base):
    c = client(small, base, SMALL_BASES[base][1])
    items = [r for r in all_rows(c, ITEMS) if not r["IsFolder"]]
    assert len(items) >= SMALL and any(r["DeletionMark"] for r in items)
    assert len(warehouses_of(c, base)) == 5
    assert len(all_rows(c, SMALL_BASES[base][3])) == 3
    units = {r["Code"] for r in all_rows(c, "Catalog_УпаковкиЕдиницыИзмерения" if base.startswith("ut")
                                         else "Catalog_КлассификаторЕдиницИзмерения")}
    assert OKEI <= units
    barcodes = [r for page in c.iter_pages(BARCODES, orderby=None) for r in page]
    assert barcodes and all(ean13_ok(r["Штрихкод"]) for r in barcodes)
    if not base.startswith("bp"):  # БП keeps no item variants (facts: no Catalog_ХарактеристикиНоменклатуры)
        assert all_rows(c, "Catalog_ХарактеристикиНоменклатуры")
    if base == "ut4":  # 11.4 keeps the free stock in a register of its own; nothing is reserved in the seed
        free = c.balance("AccumulationRegister_СвободныеОстатки", dimensions=["Номенклатура", "Склад"])
        stock = c.balance(UT_STOCK, dimensions=["Номенклатура", "Склад"])
        assert {(r["Номенклатура_Key"], r["Склад_Key"]): r["ВНаличииBalance"] for r in free} == {
            (r["Номенклатура_Key"], r["Склад_Key"]): r["ВНаличииBalance"] for r in stock
            if r["Номенклатура_Key"] in {i["Ref_Key"] for i in items if i["Code"] >= "00-00010000"}}


@pytest.mark.parametrize("base", list(SMALL_BASES))
def test_control_changes_show_as_new_data_versions_prices_and_balances(small, base):
    c = client(small, base, SMALL_BASES[base][1])
    before = {r["Ref_Key"]: r["DataVersion"] for r in all_rows(c, ITEMS, select=["Ref_Key", "DataVersion"])}
    goods = [r for r in all_rows(c, ITEMS) if not r["IsFolder"] and r["Code"] >= "00-00010000"
             and r.get("ТипНоменклатуры", "Товар") in ("Товар", "Запас") and not r.get("Услуга")]
    renamed, marked, priced = goods[0], goods[1], goods[2]

    added = small.control(f"{base}/catalog/item", {"name": "Новый товар из 1С", "article": "NEW-1", "unit": "166"})
    small.control(f"{base}/catalog/rename", {"item": renamed["Ref_Key"], "name": "Переименованный товар"})
    small.control(f"{base}/catalog/delete", {"item": marked["Ref_Key"], "deleted": True})
    after = {r["Ref_Key"]: r["DataVersion"] for r in all_rows(c, ITEMS, select=["Ref_Key", "DataVersion"])}
    changed = {k for k, v in after.items() if before.get(k) != v}
    assert changed == {added["Ref_Key"], renamed["Ref_Key"], marked["Ref_Key"]}
    assert c.get(ITEMS, renamed["Ref_Key"])["Description"] == "Переименованный товар"
    assert c.get(ITEMS, marked["Ref_Key"])["DeletionMark"] is True
    new = c.get(ITEMS, added["Ref_Key"])
    assert (new["Description"], new["Артикул"], new["IsFolder"]) == ("Новый товар из 1С", "NEW-1", False)

    prices = price_slice(c, base, priced["Ref_Key"])
    kind = next(iter(prices))
    target = round(prices[kind] * 1.1 + 1, 2)
    small.control(f"{base}/catalog/price", {"item": priced["Ref_Key"], "price_type": kind, "price": target})
    assert price_slice(c, base, priced["Ref_Key"]) == {**prices, kind: target}

    warehouse = warehouses_of(c, base)[-1]
    stock = stock_of(c, base, priced["Ref_Key"], warehouse)
    small.control(f"{base}/catalog/stock", {"item": priced["Ref_Key"], "warehouse": warehouse, "quantity": 7})
    small.control(f"{base}/catalog/stock", {"item": priced["Ref_Key"], "warehouse": warehouse, "quantity": -3})
    assert stock_of(c, base, priced["Ref_Key"], warehouse) == stock + 4


# -- the default seed is untouched ----------------------------------------------------------------------------

@pytest.mark.parametrize("configuration", ["ut11", "bp30", "unf"])
def test_the_catalog_is_appended_and_leaves_the_default_seed_as_it_was(configuration):
    config = facts_config.configuration(configuration)
    plain = new_configuration_base("b", config, 1, SeedSizes(60))
    extended = new_configuration_base("b", config, 1, SeedSizes(60, catalog=50))
    for set_name, table in plain.tables.items():
        other = extended.tables[set_name].rows
        assert all(other.get(key) == row for key, row in table.rows.items()), set_name
    assert len(extended.tables[ITEMS]) > len(plain.tables[ITEMS]) + 50


@pytest.mark.parametrize("configuration", facts_config.names())
def test_catalog_enumeration_values_are_members_of_the_release_s_enumerations(configuration):
    """Every enumeration value the catalog writes is a member the release's facts list (what `$metadata`
    declares), e.g. ИспользованиеХарактеристик in УТ, ВидСтавкиНДС БезНДС in БП / УНФ."""
    base = new_configuration_base("b", facts_config.configuration(configuration), 1, SeedSizes(30, catalog=300))
    checked = 0
    for set_name in (ITEMS, "Catalog_ВидыНоменклатуры", "Catalog_Склады", "Catalog_СтруктурныеЕдиницы"):
        obj = base.obj(set_name)
        for attr in obj.columns() if obj is not None else ():
            if attr.kind != "enum":
                continue
            members = base.config.enumerations.get(attr.enumeration, ())
            for row in base.table(set_name).rows.values():
                assert row.get(attr.name) in ("", *members), (set_name, attr.name, row.get(attr.name))
                checked += 1
    assert checked > 300
