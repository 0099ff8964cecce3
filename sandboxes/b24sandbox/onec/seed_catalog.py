"""A large, realistic catalog appended to a seeded base (`--catalog N`): groups, items, characteristics, barcodes,
price history for the three price types, five warehouses and stock in each.

What each configuration holds (facts, ../facts/SOURCES.md; every name below is in the fact file of the release):
- УТ 11.4 / 11.5: `Catalog_Номенклатура` (folders IsFolder/Parent_Key, Артикул, ЕдиницаИзмерения →
  `Catalog_УпаковкиЕдиницыИзмерения` whose Code is the ОКЕИ code — УТ has no КлассификаторЕдиницИзмерения,
  ТипНоменклатуры Товар/Услуга, ИспользованиеХарактеристик, СтавкаНДС → `Catalog_СтавкиНДС` in 11.5 and the enum
  СтавкиНДС in 11.4, ВидНоменклатуры); `Catalog_ХарактеристикиНоменклатуры` (owner ВидыНоменклатуры or
  Номенклатура: published as Owner + Owner_Type, no Code); `InformationRegister_ШтрихкодыНоменклатуры`
  (independent, keyed by Штрихкод in every release, its other columns differ by release);
  `InformationRegister_ЦеныНоменклатуры` (recorder-subordinate, period Second: the records of
  УстановкаЦенНоменклатуры documents); `AccumulationRegister_ТоварыНаСкладах` (ВНаличии by Номенклатура,
  Характеристика, Склад) and, in 11.4 only, `AccumulationRegister_СвободныеОстатки` (11.5 has no such register).
- БП 3.0: units are `Catalog_КлассификаторЕдиницИзмерения` (Code = ОКЕИ); an item is a service by `Услуга`, its
  VAT is the enum `ВидСтавкиНДС`; no characteristics; barcodes `ШтрихкодыНоменклатуры` (Штрихкод → Номенклатура);
  prices `ЦеныНоменклатуры` by `ТипЦен` (recorder-subordinate, period Day); stock is the balance of account 41.01
  by subconto Номенклатура and Склады in `AccountingRegister_Хозрасчетный` (БП has no stock accumulation register).
- УНФ 3.0: `ТипНоменклатуры` Запас/Услуга, `ИспользоватьХарактеристики`; characteristics with a Code, owned by
  Номенклатура or КатегорииНоменклатуры; prices `ЦеныНоменклатуры` by `ВидЦен` (independent, keyed by Period and
  dimensions); warehouses are `Catalog_СтруктурныеЕдиницы` of type Склад; stock `AccumulationRegister_ЗапасыНаСкладах`
  (Количество by Организация, Номенклатура, Характеристика, СтруктурнаяЕдиница).
An object the base does not publish is skipped (its rows would be invisible anyway).

Randomness comes from a stream of its own, and everything is appended after the default seed, so the default data
(keys, numbers, sums) stays exactly as it was; with the same seed and N the catalog is the same too.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from b24sandbox.onec import accounting, posting
from b24sandbox.onec import values as published
from b24sandbox.onec.schema import EMPTY_REF
from b24sandbox.onec.store import Base

if TYPE_CHECKING:
    from b24sandbox.onec.seed import Seeder

ITEMS = "Catalog_Номенклатура"
KINDS = "Catalog_ВидыНоменклатуры"
CHARACTERISTICS = "Catalog_ХарактеристикиНоменклатуры"
BARCODES = "InformationRegister_ШтрихкодыНоменклатуры"
PRICES = "InformationRegister_ЦеныНоменклатуры"
UT_FREE_STOCK = "AccumulationRegister_СвободныеОстатки"
STRUCTURAL_UNITS = "Catalog_СтруктурныеЕдиницы"
ITEM_TYPE = f"StandardODATA.{ITEMS}"
# Document types whose records the seed writes without publishing them (a real base has thousands; facts name
# each in its configuration): the price setting, the opening stock, and a surplus / a shortage found in stock.
PRICE_DOCUMENT = "Document_УстановкаЦенНоменклатуры"
OPENING_STOCK = {"ut": "Document_ПриобретениеТоваровУслуг", "bp": "Document_ВводНачальныхОстатков",
                 "unf": "Document_ПриходнаяНакладная"}
SURPLUS = {"ut": "Document_ОприходованиеИзлишковТоваров", "bp": "Document_ОприходованиеТоваров",
           "unf": "Document_ОприходованиеЗапасов"}
SHORTAGE = {"ut": "Document_СписаниеНедостачТоваров", "bp": "Document_СписаниеТоваров",
            "unf": "Document_СписаниеЗапасов"}
# Ten days after seed.SEED_START: the catalog's first price list. Midnight, so the same moment is a valid period of
# a register periodic by Second (УТ, УНФ) and by Day (БП's ЦеныНоменклатуры, facts).
START = dt.datetime(2026, 1, 19)
PRICE_CHANGES = (90, 180, 270)  # days after START on which a share of the prices changes
CODE_START = 10_000  # item codes 00-00010000 and up: the default seed's codes stay below
ARTICLE_EMPTY_SHARE = 0.04
ARTICLE_DUPLICATE_SHARE = 0.005
DELETED_SHARE = 0.015
BARCODE_SHARE = 0.7
VARIANTS_SHARE = 0.6  # of items in groups that use characteristics

# (group, [(subgroup, ОКЕИ unit code, nouns, sizes, uses characteristics)]); the "Услуги" group holds services.
GROUPS: list[tuple[str, list[tuple[str, str, list[str], list[str], str]]]] = [
    ("Строительные материалы", [
        ("Сухие смеси", "166", ["Цемент", "Штукатурка гипсовая", "Шпаклёвка финишная", "Клей плиточный",
                                "Наливной пол"], ["5 кг", "25 кг", "30 кг", "40 кг", "50 кг"], ""),
        ("Кирпич и блоки", "796", ["Кирпич облицовочный", "Кирпич рядовой", "Газобетонный блок", "Пеноблок"],
         ["250x120x65", "250x120x88", "600x300x200", "600x250x100"], ""),
        ("Изоляция", "055", ["Утеплитель минвата", "Пенополистирол", "Пароизоляция", "Гидроизоляция рулонная"],
         ["50 мм", "100 мм", "10 м2", "15 м2"], ""),
        ("Пиломатериалы", "006", ["Брус", "Доска обрезная", "Вагонка", "Рейка"],
         ["50x50", "100x100", "25x150", "20x40"], "")]),
    ("Отделочные материалы", [
        ("Краски и эмали", "112", ["Краска фасадная", "Краска интерьерная", "Эмаль ПФ-115", "Грунт-эмаль"],
         ["0,9 л", "2,5 л", "9 л", "10 л"], "colors"),
        ("Обои", "796", ["Обои флизелиновые", "Обои виниловые", "Обои под покраску"], ["1,06x10 м", "0,53x10 м"],
         "colors"),
        ("Плитка", "055", ["Плитка керамическая", "Керамогранит", "Плитка настенная"],
         ["30x30", "60x60", "20x50", "45x45"], "colors"),
        ("Напольные покрытия", "055", ["Ламинат", "Линолеум", "Паркетная доска"], ["32 класс", "33 класс", "34 класс"],
         "colors")]),
    ("Электротовары", [
        ("Кабель и провод", "006", ["Кабель ВВГнг-LS", "Провод ПВС", "Кабель NYM", "Провод ПуГВ"],
         ["3x1,5", "3x2,5", "2x0,75", "5x4"], ""),
        ("Освещение", "796", ["Светильник светодиодный", "Лампа LED", "Прожектор", "Люстра"],
         ["9 Вт", "12 Вт", "30 Вт", "50 Вт"], ""),
        ("Электроустановочные изделия", "796", ["Розетка", "Выключатель", "Рамка", "Удлинитель"],
         ["одинарная", "двойная", "3 м", "5 м"], "colors")]),
    ("Сантехника", [
        ("Трубы и фитинги", "006", ["Труба ПП", "Труба ПНД", "Муфта ПП", "Угол ПП 90°"], ["20 мм", "25 мм", "32 мм"],
         ""),
        ("Смесители", "796", ["Смеситель для кухни", "Смеситель для ванны", "Душевая система"],
         ["хром", "латунь", "чёрный матовый"], ""),
        ("Жидкости", "112", ["Антисептик", "Олифа", "Растворитель 646", "Уайт-спирит"], ["0,5 л", "1 л", "5 л"], "")]),
    ("Инструмент", [
        ("Электроинструмент", "796", ["Перфоратор", "Дрель-шуруповёрт", "Болгарка", "Лобзик"],
         ["600 Вт", "800 Вт", "18 В", "1200 Вт"], ""),
        ("Ручной инструмент", "796", ["Молоток", "Отвёртка", "Рулетка", "Уровень"],
         ["300 г", "PH2", "5 м", "60 см"], ""),
        ("Спецодежда", "796", ["Костюм рабочий", "Куртка утеплённая", "Перчатки"], ["летний", "зимний", "х/б"],
         "sizes")]),
    ("Крепёж", [
        ("Саморезы", "778", ["Саморезы по дереву", "Саморезы по металлу", "Саморезы кровельные"],
         ["3,5x35", "4,2x75", "4,8x29"], ""),
        ("Дюбели и анкеры", "778", ["Дюбель-гвоздь", "Анкер клиновой", "Дюбель рамный"], ["6x40", "8x60", "10x100"],
         ""),
        ("Метизы на вес", "166", ["Гвозди строительные", "Болты оцинкованные", "Шайбы"], ["М6", "М8", "100 мм"], "")]),
    ("Услуги", [
        ("Доставка", "796", ["Доставка по городу", "Доставка за город", "Подъём на этаж"],
         ["до 1 т", "до 3 т", "до 5 т"], "service"),
        ("Работы", "796", ["Резка материала", "Колеровка", "Сборка"], ["стандарт", "срочно"], "service")]),
]
BRANDS = ["Knauf", "Ceresit", "Волма", "ЮНИС", "Bergauf", "Основит", "Тех-Нова", "Русеан", "Tikkurila", "Dulux",
          "Bosch", "Makita", "Зубр", "Legrand", "Schneider", "Valtec", "Grohe", "Iek", "Sormat", "Фортуна"]
COLORS = ["белый", "серый", "бежевый", "графит", "слоновая кость", "синий", "зелёный"]
SIZES = ["44-46", "48-50", "52-54", "56-58", "60-62"]
NEW_WAREHOUSES = [("Склад Казань", "ОптовыйСклад"), ("Склад Екатеринбург", "ОптовыйСклад")]
NEW_UNF_WAREHOUSES = ["Склад Казань", "Склад Екатеринбург", "Склад Новосибирск"]
WAREHOUSE_COUNT = 5

Add = Callable[..., dict]


@dataclass(frozen=True)
class CatalogNames:
    """The objects and fields of one configuration family that hold the catalog (module docstring)."""

    units: str
    price_types: str
    price_kind: str  # dimension of the price register naming the price type
    price_currency: str
    warehouses: str
    stock: str  # "" = stock kept on account 41.01 of the accounting register
    stock_warehouse: str
    stock_quantity: str


NAMES = {
    "ut": CatalogNames("Catalog_УпаковкиЕдиницыИзмерения", "Catalog_ВидыЦен", "ВидЦены", "Валюта", "Catalog_Склады",
                       posting.UT_STOCK, "Склад", "ВНаличии"),
    "bp": CatalogNames("Catalog_КлассификаторЕдиницИзмерения", "Catalog_ТипыЦенНоменклатуры", "ТипЦен", "Валюта",
                       "Catalog_Склады", "", "Склад", "Количество"),
    "unf": CatalogNames("Catalog_КлассификаторЕдиницИзмерения", "Catalog_ВидыЦен", "ВидЦен", "ВалютаЦены",
                        STRUCTURAL_UNITS, posting.UNF_STOCK, "СтруктурнаяЕдиница", "Количество"),
}


@dataclass
class Item:
    """One seeded item as the rest of the seed needs it."""

    row: dict
    service: bool
    base_price: float
    characteristics: list[str] = field(default_factory=list)


def names_of(base: Base) -> CatalogNames:
    return NAMES[base.config.family]


def ean13(rng: random.Random) -> str:
    """An EAN-13 with the GS1 Russia prefix 460–469 and a valid check digit (GS1 General Specifications 7.9)."""
    digits = [4, 6, rng.randrange(10)] + [rng.randrange(10) for _ in range(9)]
    odd, even = sum(digits[0::2]), sum(digits[1::2])
    return "".join(map(str, digits)) + str((10 - (odd + even * 3) % 10) % 10)


def item_values(base: Base, *, code: str, name: str, article: str, parent: str, unit: str, service: bool,
                vat: object, variants: bool, kind: str = EMPTY_REF) -> dict:
    """The attributes of one item in the form its configuration keeps them (module docstring); `vat` is a
    Catalog_СтавкиНДС reference (УТ 11.5), an enum value otherwise. values.fit drops what a release lacks."""
    values: dict[str, object] = dict(Code=code, Description=name, НаименованиеПолное=name, Артикул=article,
                                     Parent_Key=parent, IsFolder=False, ЕдиницаИзмерения_Key=unit,
                                     ВидНоменклатуры_Key=kind)
    family = base.config.family
    if family == "ut":
        values.update(ТипНоменклатуры="Услуга" if service else "Товар",
                      ИспользованиеХарактеристик="ИндивидуальныеДляНоменклатуры" if variants else "НеИспользовать")
        vat_ref = base.obj("Catalog_СтавкиНДС") is not None
        values.update({"СтавкаНДС_Key": vat} if vat_ref else {"СтавкаНДС": vat})
    elif family == "bp":
        values.update(Услуга=service, ВидСтавкиНДС=vat)
    else:
        values.update(ТипНоменклатуры="Услуга" if service else "Запас", ИспользоватьХарактеристики=variants,
                      ВидСтавкиНДС=vat)
    return values


class CatalogSeeder:
    """Appends the catalog to a base the default seed has just filled; `run(count)` is the only entry point."""

    def __init__(self, seeder: Seeder) -> None:
        self.seeder = seeder
        self.base: Base = seeder.base
        self.add: Add = seeder.add
        self.family = self.base.config.family
        self.names = names_of(self.base)
        # A stream of its own, drawn from the default seed's stream once that is done (nothing reads it after):
        # the catalog follows --seed and the default data stays as it was.
        self.rng = random.Random(seeder.rng.getrandbits(64))
        self.items: list[Item] = []
        self.warehouses: list[dict] = list(seeder.warehouses)

    def run(self, count: int) -> list[Item]:
        kinds = self.seed_kinds()
        subgroups = self.seed_groups()
        self.seed_items(count, subgroups, kinds)
        self.seed_warehouses()
        self.seed_prices()
        self.seed_barcodes()
        self.seed_stock()
        return self.items

    # -- reference data ------------------------------------------------------------------------------
    def seed_kinds(self) -> dict[str, str]:
        """Item kinds of УТ (goods; goods with individual characteristics; services) and БП (goods, services)."""
        goods = getattr(self.seeder, "goods_kind", None)
        if goods is None or self.base.obj(KINDS) is None:
            return {}
        kinds = {"": goods["Ref_Key"]}
        if self.family == "ut":
            kinds["variants"] = self.add(KINDS, Description="Товар с характеристиками", ТипНоменклатуры="Товар",
                                         ИспользованиеХарактеристик="ИндивидуальныеДляНоменклатуры",
                                         ИспользоватьХарактеристики=True)["Ref_Key"]
            kinds["service"] = self.add(KINDS, Description="Услуга", ТипНоменклатуры="Услуга")["Ref_Key"]
        else:
            kinds["service"] = self.add(KINDS, Code="000000002", Description="Услуги", Услуга=True)["Ref_Key"]
        return kinds

    def seed_groups(self) -> list[tuple[dict, str, list[str], list[str], str]]:
        """Two levels of folders: (subgroup row, unit, nouns, sizes, variant kind) per subgroup."""
        out = []
        code = CODE_START
        for title, children in GROUPS:
            code += 1
            top = self.add(ITEMS, Code=f"00-{code:08d}", Description=title, IsFolder=True, Parent_Key=EMPTY_REF)
            for name, unit, nouns, sizes, variants in children:
                code += 1
                folder = self.add(ITEMS, Code=f"00-{code:08d}", Description=name, IsFolder=True,
                                  Parent_Key=top["Ref_Key"])
                out.append((folder, unit, nouns, sizes, variants))
        self.next_code = code + 1
        return out

    def seed_items(self, count: int, subgroups: list, kinds: dict[str, str]) -> None:
        rng = self.rng
        articles: list[str] = []
        # Services are few in a trading base: about one item in thirty.
        weights = [1 if variants == "service" else 10 for *_, variants in subgroups]
        units = self.seeder.units
        for n in range(count):
            folder, unit, nouns, sizes, variants = rng.choices(subgroups, weights)[0]
            brand = rng.choice(BRANDS)
            service = variants == "service"
            name = (f"{rng.choice(nouns)} {rng.choice(sizes)}" if service
                    else f"{rng.choice(nouns)} {brand} {rng.choice(sizes)} {chr(65 + rng.randrange(26))}{n % 997}")
            roll = rng.random()
            if roll < ARTICLE_EMPTY_SHARE or service:
                article = ""
            elif roll < ARTICLE_EMPTY_SHARE + ARTICLE_DUPLICATE_SHARE and articles:
                article = rng.choice(articles)  # the same article typed for two items, as real bases have
            else:
                article = f"{brand[:3].upper()}-{100000 + n * 13 % 900000:06d}"
                articles.append(article)
            with_variants = variants in ("colors", "sizes") and rng.random() < VARIANTS_SHARE
            kind = kinds.get("service" if service else "variants" if with_variants else "", EMPTY_REF)
            values = item_values(self.base, code=f"00-{self.next_code + n:08d}", name=name, article=article,
                                 parent=folder["Ref_Key"], unit=units[unit]["Ref_Key"], service=service,
                                 vat=self.vat(service, rng.random()), variants=with_variants, kind=kind)
            row = self.add(ITEMS, **values)
            row["DeletionMark"] = rng.random() < DELETED_SHARE
            item = Item(row, service, round(rng.uniform(30, 30000), 2))
            if with_variants:
                item.characteristics = self.seed_characteristics(row, variants)
            self.items.append(item)

    def vat(self, service: bool, roll: float) -> object:
        """20 % for most items, 10 % for some, none for a share of services (НК РФ ст. 164, 149)."""
        rate = 0 if service and roll < 0.5 else 10 if roll < 0.08 else 20
        if self.family == "ut":
            entry = self.seeder.vat[rate]
            return entry["Ref_Key"] if self.base.obj("Catalog_СтавкиНДС") is not None else entry["СтавкаНДС"]
        return {20: "Общая", 10: "Пониженная", 0: "БезНДС"}[rate]

    def seed_characteristics(self, item: dict, variants: str) -> list[str]:
        if self.base.obj(CHARACTERISTICS) is None:
            return []
        values = COLORS if variants == "colors" else SIZES
        chosen = self.rng.sample(values, self.rng.randrange(2, min(5, len(values)) + 1))
        out = []
        for i, value in enumerate(chosen, start=1):
            row = self.add(CHARACTERISTICS, Code=f"{len(self.base.table(CHARACTERISTICS)) + 1:09d}",
                           Description=value, НаименованиеПолное=f"{item['Description']}, {value}",
                           Owner=item["Ref_Key"], Owner_Type=ITEM_TYPE, Артикул=f"{item.get('Артикул', '')}-{i}"
                           if item.get("Артикул") else "")
            out.append(row["Ref_Key"])
        return out

    def seed_warehouses(self) -> None:
        """Up to five warehouses: the default seed's and new ones (УНФ: structural units of type Склад)."""
        if self.family == "unf":
            for i, name in enumerate(NEW_UNF_WAREHOUSES, start=len(self.base.table(STRUCTURAL_UNITS)) + 1):
                self.warehouses.append(self.add(STRUCTURAL_UNITS, Code=f"{i:09d}", Description=name,
                                                ТипСтруктурнойЕдиницы="Склад", Parent_Key=EMPTY_REF,
                                                Организация_Key=self.seeder.org["Ref_Key"]))
        else:
            for i, (name, kind) in enumerate(NEW_WAREHOUSES, start=len(self.warehouses) + 1):
                self.warehouses.append(self.add(self.names.warehouses, Code=f"{i:09d}", Description=name,
                                                Parent_Key=EMPTY_REF, ТипСклада=kind))
        self.warehouses = self.warehouses[:WAREHOUSE_COUNT]

    # -- registers -----------------------------------------------------------------------------------
    def seed_prices(self) -> None:
        """The first price list for every item and type, then on each change date about a third of the items
        gets new prices (up or down), so the latest slice differs from the first one."""
        factors = {kind["Ref_Key"]: self.seeder.factor[kind["Ref_Key"]] for kind in self.seeder.price_types}
        batches: list[tuple[dt.datetime, list[tuple[Item, str, float]]]] = []
        first = [(item, kind, round(item.base_price * factor, 2)) for item in self.items
                 for kind, factor in factors.items()]
        batches.append((START, first))
        current = {(id(item), kind): price for item, kind, price in first}
        for day in PRICE_CHANGES:
            changed = []
            for item in self.items:
                if self.rng.random() >= 1 / 3:
                    continue
                step = 1 + self.rng.choice([-1, 1, 1, 1]) * self.rng.uniform(0.03, 0.12)
                for kind in factors:
                    price = round(current[(id(item), kind)] * step, 2)
                    current[(id(item), kind)] = price
                    changed.append((item, kind, price))
            batches.append((START + dt.timedelta(days=day), changed))
        table = self.base.table(PRICES)
        for moment, rows in batches:
            table.load_sorted(list(price_records(self.base, moment, rows)))

    def seed_barcodes(self) -> None:
        obj = self.base.obj(BARCODES)
        if obj is None:
            return
        defaults = posting.record_defaults(obj)
        items = []
        for item in self.items:
            if item.service or self.rng.random() >= BARCODE_SHARE:
                continue
            for characteristic in item.characteristics or [EMPTY_REF]:
                code = ean13(self.rng)
                record = {"Штрихкод": code, "Номенклатура_Key": item.row["Ref_Key"],
                          "Характеристика_Key": characteristic}
                row = {**defaults, **published.fit(self.base, obj, record)}
                items.append((register_key(obj, row), row))
        self.base.table(BARCODES).load_sorted(items)

    def seed_stock(self) -> None:
        """Opening stock per warehouse: most goods lie in two or three of the five warehouses."""
        lines = []
        for item in self.items:
            if item.service:
                continue
            for warehouse in self.warehouses:
                if self.rng.random() >= 0.55:
                    continue
                for characteristic in item.characteristics or [EMPTY_REF]:
                    quantity = float(self.rng.randrange(1, 400))
                    lines.append(StockLine(item.row["Ref_Key"], characteristic, warehouse["Ref_Key"], quantity,
                                           round(quantity * item.base_price * 0.7, 2)))
        write_stock(self.base, OPENING_STOCK[self.family], self.seeder.org["Ref_Key"], START.replace(hour=8), lines,
                    bulk=True)


def price_records(base: Base, moment: dt.datetime, rows: list[tuple[Item, str, float]],
                  recorder: str | None = None) -> Iterator[tuple[tuple, dict]]:
    """(key, record) of the price register for (item, price type, price) rows set at `moment`: the records of
    one price-setting document where the register is recorder-subordinate, else keyed by period and dimensions."""
    obj = base.config.objects[PRICES]
    names = names_of(base)
    defaults = posting.record_defaults(obj)
    recorder = recorder or base.new_guid()
    currency = {}
    for line, (item, kind, price) in enumerate(rows, start=1):
        if kind not in currency:
            currency[kind] = published.ref(base.lookup(names.price_types, kind) or {}, "ВалютаЦены")
        unit = published.ref(item.row, "ЕдиницаИзмерения")
        record = {"Period": moment.isoformat(), f"{names.price_kind}_Key": kind,
                  "Номенклатура_Key": item.row["Ref_Key"], "Характеристика_Key": EMPTY_REF, "Цена": price,
                  f"{names.price_currency}_Key": currency[kind], "Упаковка_Key": unit, "ЕдиницаИзмерения_Key": unit,
                  "Актуальность": True, "Recorder": recorder, "Recorder_Type": f"StandardODATA.{PRICE_DOCUMENT}",
                  "LineNumber": line, "Active": True}
        row = {**defaults, **published.fit(base, obj, record)}
        yield (recorder, line) if obj.recorder_subordinate else register_key(obj, row), row


def register_key(obj, row: dict) -> tuple:
    """Key of an independent information register record: Period (when periodic) and the dimensions, the order
    of an entry's id (odata_api.entry_keys)."""
    props = (["Period"] if obj.periodic else []) + [p for d in obj.dimensions for p, _ in d.props()]
    return tuple(row.get(p, "") for p in props)


@dataclass(frozen=True)
class StockLine:
    item: str
    characteristic: str
    warehouse: str
    quantity: float  # negative = an expense
    amount: float  # cost, for БП's account 41.01


def write_stock(base: Base, document: str, organization: str, moment: dt.datetime, lines: list[StockLine], *,
                bulk: bool = False) -> str:
    """Post stock movements as the records of one `document` (an entity set the base does not publish);
    returns the recorder's key.

    УТ / УНФ: receipts and expenses of the stock register (plus УТ 11.4's free stock); БП: postings between 41.01
    and the auxiliary account 000 with subconto Номенклатура and Склады (accounting.py), the way its opening
    balances are entered."""
    recorder = base.new_guid()
    family = base.config.family
    names = names_of(base)
    records: dict[str, list[dict]] = {}
    if family == "bp":
        doc = {"Ref_Key": recorder, "Date": moment.isoformat(), "Организация_Key": organization}
        out = []
        for line in lines:
            goods = [accounting.subconto(base, "Номенклатура", line.item, ITEMS),
                     accounting.subconto(base, "Склады", line.warehouse, names.warehouses)]
            receipt = line.quantity >= 0
            dr, cr = ("41.01", "000") if receipt else ("000", "41.01")
            side = "Dr" if receipt else "Cr"
            out.append(accounting.posting(doc, document, accounting.account(base, dr),
                                          accounting.account(base, cr), abs(line.amount),
                                          goods if receipt else [], [] if receipt else goods,
                                          **{f"Количество{side}": abs(line.quantity)}))
        records[accounting.REGISTER] = out
    else:
        kind = f"StandardODATA.{document}"
        stock = []
        for line in lines:
            stock.append({"Recorder": recorder, "Recorder_Type": kind, "Period": moment.isoformat(), "Active": True,
                          "RecordType": posting.RECEIPT if line.quantity >= 0 else posting.EXPENSE,
                          "Организация_Key": organization, "Номенклатура_Key": line.item,
                          "Характеристика_Key": line.characteristic, f"{names.stock_warehouse}_Key": line.warehouse,
                          names.stock_quantity: abs(line.quantity)})
        records[names.stock] = stock
        if base.obj(UT_FREE_STOCK) is not None:
            # УТ 11.4: nothing is reserved by these movements, so the free stock moves with the stock itself.
            records[UT_FREE_STOCK] = [dict(r) for r in stock]
    for register, rows in records.items():
        obj = base.obj(register)
        if obj is None:
            continue
        defaults = posting.record_defaults(obj)
        items = []
        for number, record in enumerate(rows, start=1):
            record["LineNumber"] = number
            accounting.keep_subconto(base, record)
            row = {**defaults, **published.fit(base, obj, record)}
            items.append(((recorder, number), row))
        table = base.table(register)
        if bulk:
            table.load_sorted(items)
        else:
            for key, row in items:
                table.put(key, row)
    return recorder


def seed_catalog(seeder: Seeder, count: int) -> list[Item]:
    """Append a catalog of `count` items to the base `seeder` has just filled."""
    return CatalogSeeder(seeder).run(count)
