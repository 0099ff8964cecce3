"""Every real CommerceML catalog sample (../shared/samples/commerceml, SOURCES.md: 2.03–2.05 and a 3.1 split set)
reads in full: the counts of groups, items, offers and prices the reader hands out equal those a plain DOM read of
the same file finds, and the values land in the catalog's own terms."""

from __future__ import annotations

import xml.dom.minidom
from decimal import Decimal
from pathlib import Path

import pytest

from b24app.commerceml.catalog_files import TOTAL_WAREHOUSE, FileSummary, Offer, read_catalog_file
from b24app.core.catalog_model import Group, Item, PriceType, Unit, Warehouse
from tests.support.samples import needs, samples_dir

SAMPLES = samples_dir("commerceml")
pytestmark = needs(SAMPLES)
CATALOG_FILES = sorted(p for p in SAMPLES.glob("*.xml") if "orders" not in p.name)


def _dom_counts(path: Path) -> dict[str, int]:
    """Counted on the whole document, not streamed (the samples are small and trusted)."""
    doc = xml.dom.minidom.parse(str(path))

    def named(name: str, under: str | None = None) -> list:
        found = doc.getElementsByTagNameNS("*", name)
        return [e for e in found if under is None or e.parentNode.localName == under]

    prices = [e for e in named("Цена") if e.parentNode.localName == "Цены"
              and e.getElementsByTagNameNS("*", "ЦенаЗаЕдиницу")]
    return {"groups": len(named("Группа", "Группы")) if named("Классификатор") else 0,
            "items": len(named("Товар", "Товары")), "offers": len(named("Предложение", "Предложения")),
            "prices": len(prices), "price_types": len(named("ТипЦены", "ТипыЦен")),
            "warehouses": len(named("Склад", "Склады")), "properties": len(named("Свойство", "Свойства")),
            "units": len(named("ЕдиницаИзмерения", "ЕдиницыИзмерения"))}


def test_the_samples_are_there():
    assert len(CATALOG_FILES) == 15, [p.name for p in CATALOG_FILES]


@pytest.mark.parametrize("path", CATALOG_FILES, ids=[p.name.split("__")[0] + "/" + p.name.split("__")[1]
                                                      for p in CATALOG_FILES])
def test_each_sample_reads_with_the_counts_a_dom_read_finds(path):
    summary = FileSummary(path.name)
    records = list(read_catalog_file(path, summary=summary))
    expected = _dom_counts(path)
    got = {"groups": sum(isinstance(r, Group) for r in records), "items": sum(isinstance(r, Item) for r in records),
           "offers": sum(isinstance(r, Offer) for r in records),
           "prices": sum(len(r.prices or {}) for r in records if isinstance(r, Offer)),
           "price_types": sum(isinstance(r, PriceType) for r in records),
           "warehouses": sum(isinstance(r, Warehouse) and r != TOTAL_WAREHOUSE for r in records),
           "properties": summary.properties, "units": summary.units}
    assert got == expected
    assert (summary.groups, summary.items, summary.offers, summary.prices) == (
        expected["groups"], expected["items"], expected["offers"], expected["prices"])
    assert summary.version in {"2.03", "2.04", "2.05", "3.1"}


def _read(name: str) -> tuple[FileSummary, list]:
    path = SAMPLES / name
    summary = FileSummary(path.name)
    return summary, list(read_catalog_file(path, summary=summary))


def test_official_demo_2_04_items_units_vat_and_offers():
    summary, records = _read("commerceml_import__irpsv_commerceml__off-doc-1c.xml")
    items = [r for r in records if isinstance(r, Item)]
    assert summary.catalog_complete is True
    assert {i.unit for i in items} == {Unit(key="796", okei=796, name="Штука", symbol="шт")}
    assert {i.vat for i in items} == {Decimal(18)}
    assert all(i.group == "05e26d6f-01e4-11dc-a411-00055d80a2d1" for i in items)
    summary, records = _read("commerceml_offers__irpsv_commerceml__off-doc-1c.xml")
    offers = [r for r in records if isinstance(r, Offer)]
    types = {t.key: t for t in records if isinstance(t, PriceType)}
    assert summary.offers_complete is True
    assert {t.currency for t in types.values()} == {"USD", "RUB"}
    assert all(o.prices and o.stock is not None for o in offers)
    assert all(set(o.prices) <= set(types) for o in offers)


def test_ukrainian_2_03_units_by_name_barcodes_and_the_trailing_partial_flag():
    summary, records = _read("commerceml_import__Denis-777_test.xml")
    items = [r for r in records if isinstance(r, Item)]
    # Код="2009" is not ОКЕИ; "Штука" is 796 there.
    assert {i.unit.okei for i in items} == {796}
    assert all(i.barcodes for i in items)
    groups = [r for r in records if isinstance(r, Group)]
    assert [g.parent is None for g in groups] == [True, False, False]  # nested groups, parents first
    assert summary.catalog_complete is True  # <СодержитТолькоИзменения>false</…> at the end of Каталог
    summary, records = _read("commerceml_offers__Denis-777_test.xml")
    offers = [r for r in records if isinstance(r, Offer)]
    assert {c for o in offers for _, c in o.prices.values()} == {"UAH"}  # Валюта "грн"
    assert all(set(o.stock) == {TOTAL_WAREHOUSE.key} for o in offers)  # a bare Количество
    assert TOTAL_WAREHOUSE in records


def test_ut10_etalon_2_05_is_partial_with_characteristics():
    summary, records = _read("commerceml_import__irpsv_commerceml__ready-script-ut10-etalon.xml")
    assert summary.catalog_complete is False and summary.classifier_complete is False
    (item,) = [r for r in records if isinstance(r, Item)]
    assert (item.article, item.code) == ("П2", "00000000004")
    summary, records = _read("commerceml_offers__irpsv_commerceml__ready-script-ut10-etalon.xml")
    offers = {(o.item, o.variant.key if o.variant else None): o for o in records if isinstance(o, Offer)}
    variant = offers[("421a531a-995e-11e3-9e81-00241d337dcd", "fd3fdddb-9964-11e3-9e81-00241d337dcd")]
    assert variant.variant.name == "39, Красный"
    assert variant.stock == {TOTAL_WAREHOUSE.key: Decimal(9)}
    assert summary.offers_complete is False


def test_the_3_1_split_set_gives_classifier_goods_prices_and_rests_apart():
    summary, records = _read("commerceml31_import_classifier__irpsv_commerceml__bitrix-module-6.xml")
    assert sum(isinstance(r, Warehouse) for r in records) == 12
    assert [r for r in records if isinstance(r, Unit)] == [Unit(key="796", okei=796, name="штука", symbol="шт")]
    summary, records = _read("commerceml31_import_goods__irpsv_commerceml__bitrix-module-6.xml")
    items = [r for r in records if isinstance(r, Item)]
    assert summary.catalog_complete is False
    assert {i.unit.key for i in items} == {"796"}  # the code as text, "796 "
    assert {i.vat for i in items} <= {None, Decimal(18), Decimal(20), Decimal(10)}
    _, prices = _read("commerceml31_prices__irpsv_commerceml__bitrix-module-6.xml")
    assert all(o.prices and o.stock is None for o in prices if isinstance(o, Offer))
    _, rests = _read("commerceml31_rests__irpsv_commerceml__bitrix-module-6.xml")
    assert all(o.stock is not None and o.prices is None for o in rests if isinstance(o, Offer))
    _, goods = _read("commerceml31_offers_goods__irpsv_commerceml__bitrix-module-6.xml")
    assert all(o.prices is None and o.stock is None and o.variant for o in goods if isinstance(o, Offer))


def _offers_of(offers_xml: str) -> list[Offer]:
    import io

    text = ('<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация ВерсияСхемы="2.07">'
            f'<ПакетПредложений СодержитТолькоИзменения="false"><Предложения>{offers_xml}</Предложения>'
            "</ПакетПредложений></КоммерческаяИнформация>")
    return [r for r in read_catalog_file(io.BytesIO(text.encode("utf-8")), name="offers.xml")
            if isinstance(r, Offer)]


def test_stock_in_each_form_the_versions_write():
    (by_attributes, by_rests, total, in_rests, none) = _offers_of(
        # 2.05–2.07: Склад with ИдСклада / КоличествоНаСкладе attributes
        '<Предложение><Ид>a</Ид><Количество>7</Количество><Склад ИдСклада="w1" КоличествоНаСкладе="3"/>'
        '<Склад ИдСклада="w2" КоличествоНаСкладе="4,5"/></Предложение>'
        # 2.08+ / 3.x: Остатки/Остаток/Склад
        "<Предложение><Ид>b#v</Ид><Остатки><Остаток><Склад><Ид>w1</Ид><Количество>2</Количество></Склад>"
        "</Остаток></Остатки></Предложение>"
        # 2.03/2.04: one bare Количество
        "<Предложение><Ид>c</Ид><Количество>11</Количество></Предложение>"
        # 3.x without warehouses: Остатки/Остаток/Количество
        "<Предложение><Ид>d</Ид><Остатки><Остаток><Количество>5</Количество></Остаток></Остатки></Предложение>"
        # no stock at all (a prices-only offer)
        "<Предложение><Ид>e</Ид><Цены><Цена><ИдТипаЦены>p</ИдТипаЦены><ЦенаЗаЕдиницу>1 200,50</ЦенаЗаЕдиницу>"
        "<Коэффициент>10</Коэффициент></Цена></Цены></Предложение>")
    assert by_attributes.stock == {"w1": Decimal(3), "w2": Decimal("4.5")}
    assert (by_rests.item, by_rests.variant.key, by_rests.stock) == ("b", "v", {"w1": Decimal(2)})
    assert total.stock == {TOTAL_WAREHOUSE.key: Decimal(11)}
    assert in_rests.stock == {TOTAL_WAREHOUSE.key: Decimal(5)}
    assert none.stock is None
    # A price for a package of ten (Коэффициент 10) is a tenth of it for the base unit; RUB when not said.
    assert none.prices == {"p": (Decimal("120.05"), "RUB")}
