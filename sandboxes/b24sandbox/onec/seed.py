"""Deterministic seeded data for a sandbox base (УТ 11 or БП 3.0; УНФ 3.0 in seed_unf.py).

Same seed, same sizes → the same references, numbers and sums, so tests can rely on them. The data is
deliberately messy the way real bases are: one company written three ways, ИНН with broken check digits,
duplicates by ИНН, individuals without ИНН, payments that cover an order fully, partly or not at all, some
unposted or marked for deletion.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from b24sandbox import demo_scenario
from b24sandbox.onec import accounting, posting, russian_ids
from b24sandbox.onec import values as published
from b24sandbox.onec.schema import (
    DOCUMENT,
    EMPTY_REF,
    UNDEFINED_TYPE,
    Configuration,
    ObjectDef,
)
from b24sandbox.onec.seed_catalog import seed_catalog
from b24sandbox.onec.seed_parties import seed_party_details
from b24sandbox.onec.seed_returns import seed_returns
from b24sandbox.onec.store import Base

SEED_START = dt.datetime(2026, 1, 9, 9, 0, 0)
SEED_DAYS = 300

# ОКЕИ codes (Общероссийский классификатор единиц измерения).
UNITS = [
    ("796", "шт", "Штука", "PCE"),
    ("166", "кг", "Килограмм", "KGM"),
    ("006", "м", "Метр", "MTR"),
    ("112", "л", "Литр", "LTR"),
    ("055", "м2", "Квадратный метр", "MTK"),
    ("113", "м3", "Кубический метр", "MTQ"),
    ("168", "т", "Тонна", "TNE"),
    ("778", "упак", "Упаковка", "NMP"),
]

_PRODUCTS = [
    ("Кабель ВВГнг-LS 3x2.5", "006"), ("Краска фасадная белая 10 л", "796"), ("Цемент М500", "166"),
    ("Олифа натуральная", "112"), ("Ламинат дуб 33 класс", "055"), ("Песок строительный", "113"),
    ("Арматура А500С 12 мм", "168"), ("Саморезы по дереву 3.5x35", "778"), ("Перфоратор SDS-plus 800 Вт", "796"),
    ("Герметик силиконовый прозрачный", "796"), ("Плитка керамическая 30x30", "055"), ("Грунтовка глубокая", "112"),
    ("Труба ПП 20 мм", "006"), ("Шуруповёрт аккумуляторный 18 В", "796"), ("Утеплитель минвата 50 мм", "055"),
]
_PRODUCT_VARIANTS = ["", " (эконом)", " (премиум)", " серый", " белый", " 2-го сорта"]

_ROOTS = [
    "Ромашка", "Вектор", "СтройМаркет", "Альфа-Трейд", "Северный ветер", "ТехноПром", "Гранит", "Меридиан",
    "Волга-Снаб", "Кедр", "Прогресс", "Орион", "Уральские самоцветы", "Байкал", "Сибирский лес", "Импульс",
]
_SURNAMES = ["Иванов", "Петров", "Смирнова", "Кузнецов", "Соколова", "Попов", "Лебедев", "Козлова", "Новиков"]
_NAMES = ["Иван", "Пётр", "Анна", "Сергей", "Ольга", "Дмитрий", "Мария", "Алексей"]
_PATRONYMICS = ["Иванович", "Петровна", "Сергеевич", "Алексеевна", "Дмитриевич"]


def _legal_name(rng: random.Random, root: str, serial: int) -> tuple[str, str]:
    """(Description, НаименованиеПолное) written in one of the ways people really type them."""
    name = root if serial == 0 else f"{root} {serial}"
    form = rng.choice(["ООО", "ООО", "ООО", "АО", "ПАО"])
    full = {"ООО": "Общество с ограниченной ответственностью", "АО": "Акционерное общество",
            "ПАО": "Публичное акционерное общество"}[form]
    style = rng.randrange(4)
    short = [f"{form} {name}", f"{name} {form}", f"{form} «{name}»", f"{form} \"{name}\""][style]
    return short, f"{full} «{name}»"


@dataclass
class SeedSizes:
    counterparties: int = 300
    settlements: int | None = None  # settlement register rows to reach; None → follows counterparties
    demo: bool = False  # also the demo's client, items and deals (b24sandbox/demo_scenario.py), УТ 11 and БП 3.0
    catalog: int = 0  # items of a large catalog appended after the rest (seed_catalog.py); 0 = none


class Seeder:
    """Fills one base; `run()` is the only entry point."""

    def __init__(self, base: Base, seed: int, sizes: SeedSizes) -> None:
        self.base = base
        self.rng = random.Random(seed * 7919 + sum(map(ord, base.name)))
        base.rng = random.Random(seed * 104729 + len(base.name))
        self.sizes = sizes
        self.ut = base.config.family == "ut"
        self.templates: dict[str, dict] = {}
        self.movement_count: dict[str, int] = {}
        self.line_templates: dict[tuple[str, str], dict] = {}
        self.base_price: dict[str, float] = {}
        self.factor: dict[str, float] = {}
        self.partner_of: dict[str, str] = {}
        # БП: counterparty → the contract seeded with it. БП 3.0.198 and 3.0.83 publish no ОсновнойДоговорКонтрагента
        # on Контрагенты (only the deprecated УдалитьОсновнойДоговорКонтрагента, facts), so the seeder remembers it.
        self.contract_of: dict[str, str] = {}
        self.set_of: dict[str, str] = {}
        self.table_names: dict[str, list[str]] = {}

    # -- rows ---------------------------------------------------------------------------------
    def tables_of(self, set_name: str) -> list[str]:
        tables = self.table_names.get(set_name)
        if tables is None:
            tables = self.table_names[set_name] = list(self.base.config.objects[set_name].tables)
        return tables

    def template(self, set_name: str) -> dict:
        if set_name not in self.templates:
            self.templates[set_name] = blank_row(self.base.config.objects[set_name])
        return self.templates[set_name]

    def add(self, set_name: str, **values: object) -> dict:
        row = dict(self.template(set_name))
        for table in self.tables_of(set_name):
            row[table] = []
        row["Ref_Key"] = self.base.new_guid()
        row["DataVersion"] = self.base.next_version()
        row.update(published.fit(self.base, self.base.config.objects[set_name], values))
        # The base is in bulk mode while seeding: a put only files the row, keys are sorted at the end.
        self.base.table(set_name).put(row["Ref_Key"], row)
        return row

    def line(self, doc: dict, set_name: str, table: str, **values: object) -> dict:
        template = self.line_templates.get((set_name, table))
        if template is None:
            template = {}
            for attr in self.base.config.objects[set_name].tables[table]:
                template.update(attr.default_values())
            self.line_templates[(set_name, table)] = template
        row = {"Ref_Key": doc["Ref_Key"], "LineNumber": len(doc[table]) + 1, **template}
        row.update(published.fit(self.base, self.base.config.objects[set_name], values, table))
        doc[table].append(row)
        return row

    def moment(self, day: int) -> str:
        seconds = self.rng.randrange(8 * 3600)
        return (SEED_START + dt.timedelta(days=day, seconds=seconds)).isoformat()

    # -- reference data -----------------------------------------------------------------------
    def run(self) -> None:
        self.base.begin_bulk()
        try:
            self.seed_all()
            self.seed_vat_2026()
            seed_party_details(self)  # after the rest, from a stream of its own: the data above stay as they were
            if self.sizes.catalog:
                seed_catalog(self, self.sizes.catalog)
        finally:
            self.base.end_bulk()

    def seed_all(self) -> None:
        rng = self.rng
        org_inn = russian_ids.legal_inn(rng)
        self.org = self.add("Catalog_Организации", Code="000000001", Description="ООО «Торговый дом»",
                            НаименованиеПолное="Общество с ограниченной ответственностью «Торговый дом»",
                            ИНН=org_inn, КПП=russian_ids.kpp_for(org_inn), Префикс="ТД")
        self.rub = self.add("Catalog_Валюты", Code="643", Description="руб.", НаименованиеПолное="Российский рубль")
        if not self.ut:
            self.seed_chart_of_accounts()
        self.seed_units()
        self.seed_products()
        self.seed_prices_and_warehouses()
        self.seed_counterparties()
        self.seed_documents()
        seed_returns(self.base, self.add, self.line)
        if self.sizes.demo:
            self.seed_demo()

    def seed_vat_2026(self) -> None:
        """The VAT rate of 2026 (22 %) as an element of the VAT catalog, where the release's enumeration has it
        (УТ 11.5.27: НДС22; not 11.5.20 or 11.4), as a base updated for the year holds it. Seeded after the rest,
        so the earlier data stay as they were."""
        if not self.ut or "Catalog_СтавкиНДС" not in self.base.config.objects:
            return
        if "НДС22" not in self.base.config.enumerations.get("СтавкиНДС", ()):
            return
        self.vat[22] = self.add("Catalog_СтавкиНДС", Code=f"00000000{len(self.vat) + 1}", Description="22%",
                                Ставка=22, БезНДС=False, ПеречислениеСтавкаНДС="НДС22")

    def seed_chart_of_accounts(self) -> None:
        """The accounts and subconto kinds of БП 3.0 the sandbox posts to (predefined in a real base)."""
        kinds = {}
        for i, (name, value_type) in enumerate([
                ("Контрагенты", "Catalog_Контрагенты"), ("Договоры", "Catalog_ДоговорыКонтрагентов"),
                ("ДокументыРасчетовСКонтрагентами", "Document_СчетНаОплатуПокупателю"),
                ("Номенклатура", "Catalog_Номенклатура"), ("Склады", "Catalog_Склады"),
                ("БанковскиеСчета", "Catalog_БанковскиеСчета")], start=1):
            row = self.add(accounting.SUBCONTO_KINDS, Code=f"{i:09d}", Description=name, Predefined=True,
                           PredefinedDataName=name, ТипЗначения=value_type)
            kinds[name] = row["Ref_Key"]
        self.base.subconto_kinds.update(kinds)
        chart = "ChartOfAccounts_Хозрасчетный"
        for code, name, kind, ext, quantity in [
                ("000", "Вспомогательный счет", "АктивноПассивный", [], False),
                ("41.01", "Товары на складах", "Активный", ["Номенклатура", "Склады"], True),
                ("50.01", "Касса организации", "Активный", [], False),
                ("51", "Расчетные счета", "Активный", ["БанковскиеСчета"], False),
                ("62.01", "Расчеты с покупателями и заказчиками", "АктивноПассивный",
                 ["Контрагенты", "Договоры", "ДокументыРасчетовСКонтрагентами"], False),
                ("62.02", "Расчеты по авансам полученным", "АктивноПассивный",
                 ["Контрагенты", "Договоры", "ДокументыРасчетовСКонтрагентами"], False),
                ("90.01.1", "Выручка по деятельности с основной системой налогообложения", "Пассивный", [], False),
                ("90.02.1", "Себестоимость продаж по деятельности с основной системой налогообложения", "Активный",
                 [], False)]:
            predefined = "Счет" + code.replace(".", "_")
            row = self.add(chart, Code=code, Description=name, НаименованиеПолное=name, Order=code.ljust(8),
                           Type=kind, OffBalance=False, Количественный=quantity, Predefined=True,
                           PredefinedDataName=predefined, Parent_Key=EMPTY_REF)
            for kind_name in ext:
                self.line(row, chart, "ExtDimensionTypes", ExtDimensionType_Key=kinds[kind_name], TurnoversOnly=False)
            self.base.accounts[code] = row["Ref_Key"]

    def seed_units(self) -> None:
        set_name = "Catalog_УпаковкиЕдиницыИзмерения" if self.ut else "Catalog_КлассификаторЕдиницИзмерения"
        self.units = {}
        for code, short, full, intl in UNITS:
            extra = {"ТипУпаковки": "Конечная", "Числитель": 1, "Знаменатель": 1} if self.ut else {}
            self.units[code] = self.add(set_name, Code=code, Description=short, НаименованиеПолное=full,
                                        МеждународноеСокращение=intl, **extra)

    def seed_products(self) -> None:
        rng = self.rng
        if self.ut:
            goods = self.add("Catalog_ВидыНоменклатуры", Code="000000001", Description="Товар",
                             ТипНоменклатуры="Товар")
            # УТ 11.4 has no Catalog_СтавкиНДС (ut-11.4.2.139: Номенклатура.СтавкаНДС is the enum СтавкиНДС);
            # there the rows' VAT references are simply not published (values.fit drops them).
            vat_catalog = "Catalog_СтавкиНДС" in self.base.config.objects
            self.vat = {
                rate: {"Ref_Key": EMPTY_REF, "СтавкаНДС": enum_name} if not vat_catalog else self.add(
                    "Catalog_СтавкиНДС", Code=f"00000000{i}", Description=title, Ставка=rate,
                               БезНДС=rate == 0, ПеречислениеСтавкаНДС=enum_name)
                for i, (rate, title, enum_name) in enumerate(
                    [(20, "20%", "НДС20"), (10, "10%", "НДС10"), (0, "Без НДС", "БезНДС")], start=1)
            }
        else:
            goods = self.add("Catalog_ВидыНоменклатуры", Code="000000001", Description="Товары", Услуга=False)
        self.goods_kind = goods
        group = self.add("Catalog_Номенклатура", Code="00-00000001", Description="Стройматериалы", IsFolder=True)
        self.group = group
        count = min(max(30, self.sizes.counterparties // 5), 300)
        self.products = []
        for i in range(count):
            title, unit = _PRODUCTS[i % len(_PRODUCTS)]
            variant = _PRODUCT_VARIANTS[(i // len(_PRODUCTS)) % len(_PRODUCT_VARIANTS)]
            serial = i // (len(_PRODUCTS) * len(_PRODUCT_VARIANTS))
            name = f"{title}{variant}" + (f" №{serial + 1}" if serial else "")
            article = "" if i % 11 == 5 else f"{'АРТ' if i % 3 else 'SKU'}-{10000 + i * 7:05d}"
            values = dict(Code=f"00-{i + 2:08d}", Description=name, НаименованиеПолное=name, Артикул=article,
                          Parent_Key=group["Ref_Key"], ЕдиницаИзмерения_Key=self.units[unit]["Ref_Key"],
                          ВидНоменклатуры_Key=goods["Ref_Key"])
            if self.ut:
                values.update(ТипНоменклатуры="Товар", СтавкаНДС_Key=self.vat[20 if i % 7 else 10]["Ref_Key"])
            else:
                values.update(Услуга=False, ВидСтавкиНДС="Общая" if i % 7 else "Пониженная")
            product = self.add("Catalog_Номенклатура", **values)
            self.base_price[product["Ref_Key"]] = round(rng.uniform(50, 25000), 2)
            self.products.append(product)

    def seed_prices_and_warehouses(self) -> None:
        price_set = "Catalog_ВидыЦен" if self.ut else "Catalog_ТипыЦенНоменклатуры"
        self.price_types = []
        for i, (title, factor) in enumerate([("Оптовая", 1.0), ("Розничная", 1.25), ("Закупочная", 0.7)], start=1):
            extra = {"ИспользоватьПриПродаже": title != "Закупочная", "Идентификатор": title} if self.ut else {}
            kind = self.add(price_set, Code=f"00000000{i}", Description=title, ВалютаЦены_Key=self.rub["Ref_Key"],
                            ЦенаВключаетНДС=True, **extra)
            self.price_types.append(kind)
            self.factor[kind["Ref_Key"]] = factor
        self.seed_prices()
        self.warehouses = [
            self.add("Catalog_Склады", Code=f"00000000{i}", Description=name, Parent_Key=EMPTY_REF,
                     ТипСклада=kind)
            for i, (name, kind) in enumerate(
                [("Основной склад", "ОптовыйСклад"), ("Склад Подольск", "ОптовыйСклад"),
                 ("Магазин на Ленина", "РозничныйМагазин")], start=1)
        ]
        if self.ut:
            self.cash = self.add("Catalog_Кассы", Code="000000001", Description="Основная касса",
                                 Owner_Key=self.org["Ref_Key"], ВалютаДенежныхСредств_Key=self.rub["Ref_Key"])
            self.bank = self.add("Catalog_БанковскиеСчетаОрганизаций", Code="000000001",
                                 Description="Расчетный счет в ПАО Сбербанк", Owner_Key=self.org["Ref_Key"],
                                 НомерСчета="40702810938000012345", ВалютаДенежныхСредств_Key=self.rub["Ref_Key"])
            self.seed_stock()
        else:
            self.seed_opening_stock()
            self.bank = self.add("Catalog_БанковскиеСчета", Code="000000001", Description="Расчетный счет",
                                 Owner=self.org["Ref_Key"], Owner_Type="StandardODATA.Catalog_Организации",
                                 НомерСчета="40702810938000012345", ВалютаДенежныхСредств_Key=self.rub["Ref_Key"])

    def seed_prices(self) -> None:
        """Prices on two dates. Where the register is recorder-subordinate (its facts' WriteMode, БП and УТ),
        each date's prices are the records of one price-setting document (not published here), keyed by
        (Recorder, LineNumber) like every register with a recorder; an independent one is keyed by period and
        dimensions."""
        set_name = "InformationRegister_ЦеныНоменклатуры"
        obj = self.base.config.objects[set_name]
        register = self.base.table(set_name)
        kind_prop = "ВидЦены_Key" if self.ut else "ТипЦен_Key"
        periods = [SEED_START.isoformat(), (SEED_START + dt.timedelta(days=120)).isoformat()]
        defaults = posting.record_defaults(obj)
        items = []
        for n, period in enumerate(periods):
            recorder = self.base.new_guid()
            line = 0
            for product in self.products:
                for kind in self.price_types:
                    base_price = self.base_price[product["Ref_Key"]] * self.factor[kind["Ref_Key"]]
                    price = round(base_price * (1 + 0.08 * n), 2)
                    line += 1
                    row = {"Period": period, kind_prop: kind["Ref_Key"], "Номенклатура_Key": product["Ref_Key"],
                           "Цена": price, "Валюта_Key": self.rub["Ref_Key"], "Recorder": recorder,
                           "Recorder_Type": "StandardODATA.Document_УстановкаЦенНоменклатуры", "LineNumber": line,
                           "Active": True, "Упаковка_Key": published.ref(product, "ЕдиницаИзмерения"),
                           "Характеристика_Key": EMPTY_REF}
                    key = (recorder, line) if obj.recorder_subordinate else (period, kind["Ref_Key"],
                                                                            product["Ref_Key"])
                    items.append((key, {**defaults, **published.fit(self.base, obj, row)}))
        register.load_sorted(items)

    def seed_stock(self, products: list[dict] | None = None) -> None:
        """Opening stock as receipts of a purchase document that is not published (a real base has many)."""
        register = "AccumulationRegister_ТоварыНаСкладах"
        table = self.base.table(register)
        defaults = posting.record_defaults(self.base.config.objects[register])
        recorder = self.base.new_guid()
        items = []
        for i, product in enumerate(self.products if products is None else products):
            for w, warehouse in enumerate(self.warehouses[:2]):
                line = i * 2 + w + 1
                items.append(((recorder, line), {
                    **defaults,
                    "Recorder": recorder, "Recorder_Type": "StandardODATA.Document_ПриобретениеТоваровУслуг",
                    "Period": SEED_START.replace(hour=8).isoformat(), "LineNumber": line, "Active": True,
                    "RecordType": posting.RECEIPT, "Номенклатура_Key": product["Ref_Key"],
                    "Склад_Key": warehouse["Ref_Key"], "ВНаличии": float(self.rng.randrange(0, 500))}))
        table.load_sorted(items)

    def seed_opening_stock(self, products: list[dict] | None = None) -> None:
        """БП 3.0 opening balances on 41.01 by a document type the sandbox does not publish."""
        lines = []
        for product in self.products if products is None else products:
            for warehouse in self.warehouses[:2]:
                quantity = float(self.rng.randrange(0, 500))
                lines.append({"Номенклатура_Key": product["Ref_Key"], "Склад_Key": warehouse["Ref_Key"],
                              "Количество": quantity,
                              "Сумма": round(quantity * self.base_price[product["Ref_Key"]] * 0.7, 2)})
        doc = {"Ref_Key": self.base.new_guid(), "Date": SEED_START.replace(hour=8).isoformat(),
               "Организация_Key": self.org["Ref_Key"], "Товары": lines}
        for register, items in posting.movements(self.base, "Document_ВводНачальныхОстатков", doc).items():
            self.base.table(register).load_sorted(items)

    def seed_counterparties(self) -> None:
        rng = self.rng
        total = self.sizes.counterparties
        self.customers: list[dict] = []
        issued: list[str] = []
        for i in range(total):
            root = _ROOTS[i % len(_ROOTS)]
            serial = i // len(_ROOTS)
            roll = rng.random()
            kpp = ""
            if roll < 0.12:  # ИП
                who = f"{rng.choice(_SURNAMES)} {rng.choice(_NAMES)} {rng.choice(_PATRONYMICS)}"
                description, full = f"ИП {who}", f"Индивидуальный предприниматель {who}"
                inn, kind = russian_ids.person_inn(rng), "ИП"
            elif roll < 0.18:  # физлицо, no ИНН
                who = f"{rng.choice(_SURNAMES)} {rng.choice(_NAMES)} {rng.choice(_PATRONYMICS)}"
                description, full, inn, kind = who, who, "", "ФЛ"
            else:
                description, full = _legal_name(rng, root, serial)
                kind = "ЮЛ"
                if issued and roll > 0.95:  # duplicate by ИНН: the same company entered twice
                    inn = rng.choice(issued)
                elif roll > 0.92:
                    inn = russian_ids.broken(russian_ids.legal_inn(rng))
                else:
                    inn = russian_ids.legal_inn(rng)
                    issued.append(inn)
                kpp = russian_ids.kpp_for(inn) if len(inn) == 10 else ""
            self.customers.append(self.add_counterparty(i, description, full, inn, kpp, kind))

    def add_counterparty(self, i: int, description: str, full: str, inn: str, kpp: str, kind: str,
                         email: str | None = None, phone: str | None = None) -> dict:
        code = f"{i + 1:011d}" if self.ut else f"{i + 1:09d}"
        contacts = [("АдресЭлектроннойПочты", email or f"info{i}@example.ru", ""),
                    ("Телефон", "", phone or f"+7 495 {i:07d}")]
        if self.ut:
            partner = self.add("Catalog_Партнеры", Code=code, Description=description, НаименованиеПолное=full,
                               Клиент=True, Parent_Key=EMPTY_REF,
                               ЮрФизЛицо="ЧастноеЛицо" if kind == "ФЛ" else "Компания")
            row = self.add("Catalog_Контрагенты", Code=code, Description=description, НаименованиеПолное=full,
                           ИНН=inn, КПП=kpp, Партнер_Key=partner["Ref_Key"],
                           ЮрФизЛицо={"ЮЛ": "ЮрЛицо", "ИП": "ИндивидуальныйПредприниматель", "ФЛ": "ФизЛицо"}[kind])
            self.partner_of[row["Ref_Key"]] = partner["Ref_Key"]
            if i % 2 == 0:
                person = self.add("Catalog_КонтактныеЛицаПартнеров", Code=f"{i + 1:09d}",
                                  Description=f"{_SURNAMES[i % 9]} {_NAMES[i % 8]}", Owner_Key=partner["Ref_Key"],
                                  Фамилия=_SURNAMES[i % 9], Имя=_NAMES[i % 8], ДолжностьПоВизитке="Менеджер")
                self.line(person, "Catalog_КонтактныеЛицаПартнеров", "КонтактнаяИнформация", Тип="Телефон",
                          Представление=f"+7 916 {i:07d}", НомерТелефона=f"+7 916 {i:07d}")
        else:
            row = self.add("Catalog_Контрагенты", Code=code, Description=description, НаименованиеПолное=full,
                           ИНН=inn, КПП=kpp, Parent_Key=EMPTY_REF,
                           ЮридическоеФизическоеЛицо="ФизическоеЛицо" if kind != "ЮЛ" else "ЮридическоеЛицо")
            contract = self.add("Catalog_ДоговорыКонтрагентов", Code=f"00-{i + 1:06d}", Description="Основной договор",
                                Owner_Key=row["Ref_Key"], Parent_Key=EMPTY_REF, Организация_Key=self.org["Ref_Key"],
                                ВидДоговора="СПокупателем", ВалютаВзаиморасчетов_Key=self.rub["Ref_Key"])
            self.contract_of[row["Ref_Key"]] = contract["Ref_Key"]
            if i % 2 == 0:
                self.add("Catalog_КонтактныеЛица", Code=f"{i + 1:09d}",
                         Description=f"{_SURNAMES[i % 9]} {_NAMES[i % 8]}", Фамилия=_SURNAMES[i % 9],
                         Имя=_NAMES[i % 8], Должность="Менеджер",
                         ОбъектВладелец=row["Ref_Key"], ОбъектВладелец_Type="StandardODATA.Catalog_Контрагенты")
        for contact_kind, email, phone in contacts:
            self.line(row, "Catalog_Контрагенты", "КонтактнаяИнформация", Тип=contact_kind,
                      Представление=email or phone, АдресЭП=email, НомерТелефона=phone)
        return row

    # -- documents ----------------------------------------------------------------------------
    def settlements_register(self) -> str:
        """The register `SeedSizes.settlements` counts rows of."""
        return posting.UT_SETTLEMENTS if self.ut else accounting.REGISTER

    def seed_documents(self) -> None:
        target = self.sizes.settlements
        orders = max(40, int(self.sizes.counterparties * 0.6)) if target is None else None
        register = self.settlements_register()
        made = 0
        while True:
            if orders is not None and made >= orders:
                break
            if target is not None and self.movement_count.get(register, 0) >= target:
                break
            day = int(made * SEED_DAYS / (orders or max(1, target // 3)))
            self.seed_deal(made, min(day, SEED_DAYS))
            made += 1
        self.base.counters.posted = 0

    def seed_deal(self, n: int, day: int) -> None:
        rng = self.rng
        customer = self.customers[rng.randrange(len(self.customers))]
        warehouse = self.warehouses[n % 2]
        order = self.seed_order(n, day, customer, warehouse)
        roll = rng.random()
        if roll < 0.15 and self.ut:
            return  # a draft order, not agreed, never posted
        self.post(order)
        total = order["СуммаДокумента"]
        if rng.random() < 0.5:
            self.seed_invoice(order, day)
        shipped = rng.random() < 0.6
        if shipped:
            self.seed_sale(order, day + rng.randrange(0, 5), warehouse)
            if self.ut and rng.random() < 0.15:
                self.seed_act(order, day + rng.randrange(0, 5))
        pay = rng.random()
        if pay < 0.45:
            self.seed_payment(order, total, day + rng.randrange(0, 10))
        elif pay < 0.7:
            self.seed_payment(order, round(total * rng.uniform(0.2, 0.9), 2), day + rng.randrange(0, 10))
        elif pay < 0.76:
            self.seed_payment(order, total, day + 3, posted=False)
        elif pay < 0.8:
            self.seed_payment(order, total, day + 3, posted=False, deleted=True)

    # -- the demo's story (b24sandbox/demo_scenario.py) ----------------------------------------------------
    def seed_demo(self) -> None:
        """The demo's client and items in every УТ 11 / БП 3.0 base, and the deals of this base's family, after
        the random data (which stays as it was): their numbers simply follow the seeded ones."""
        family = self.base.config.family
        if family not in ("ut", "bp"):
            return
        # The base keeps the books of the scenario's seller: its organization card says so (documents refer
        # to it by Ref_Key, so every seeded document now names that seller).
        seller = demo_scenario.seller(family)
        self.org.update(published.fit(self.base, self.base.config.objects["Catalog_Организации"], dict(
            Description=seller.title, НаименованиеПолное=seller.full_name, ИНН=seller.inn, КПП=seller.kpp)))
        client = demo_scenario.CLIENT
        customer = self.add_counterparty(len(self.customers), client.title, client.full_name, client.inn,
                                         client.kpp, "ЮЛ", email=client.email, phone=client.phone)
        if self.ut:  # the counterparty preview's example (demo_scenario.PARTIES), in the УТ 11 base only
            for n, party in enumerate(p for p in demo_scenario.PARTIES if p.onec):
                self.add_counterparty(len(self.customers) + 1 + n, party.title, party.full_name, party.inn,
                                      party.kpp, "ЮЛ", email=party.email, phone=party.phone)
        items = {item.article: self.add_demo_item(n, item) for n, item in enumerate(demo_scenario.ITEMS)}
        if self.ut:
            self.seed_stock(list(items.values()))
        else:
            self.seed_opening_stock(list(items.values()))
        for deal in demo_scenario.DEALS:
            if deal.family == family:
                self.seed_demo_deal(deal, customer, items)

    def add_demo_item(self, n: int, item: demo_scenario.DemoItem) -> dict:
        values = dict(Code=f"00-{len(self.products) + n + 2:08d}", Description=item.name,
                      НаименованиеПолное=item.name, Артикул=item.article, Parent_Key=self.group["Ref_Key"],
                      ЕдиницаИзмерения_Key=self.units[item.unit]["Ref_Key"],
                      ВидНоменклатуры_Key=self.goods_kind["Ref_Key"])
        if self.ut:
            values.update(ТипНоменклатуры="Товар", СтавкаНДС_Key=self.vat[item.vat_rate]["Ref_Key"])
        else:
            # БП 3.0 Номенклатура.ВидСтавкиНДС: Общая = the standard rate (20 %), Пониженная = 10 %.
            values.update(Услуга=False, ВидСтавкиНДС="Общая" if item.vat_rate == 20 else "Пониженная")
        product = self.add("Catalog_Номенклатура", **values)
        self.base_price[product["Ref_Key"]] = float(item.price)
        return product

    def seed_demo_deal(self, deal: demo_scenario.DemoDeal, customer: dict, items: dict[str, dict]) -> None:
        """The deal's order with exactly its rows, posted; closed with every row cancelled when the deal was
        given up (УТ 11: Статус Закрыт, Товары.Отменено), else shipped and paid as the scenario tells."""
        warehouse = self.warehouses[0]
        day = (deal.ordered - SEED_START).days

        def rows(order: dict, set_name: str) -> float:
            for line in deal.lines:
                rate = demo_scenario.item(line.article).vat_rate
                cancelled = {"Отменено": True} if deal.closed else {}
                self.goods_line(order, set_name, items[line.article], float(line.quantity), float(line.price),
                                float(line.amount), float(line.vat(rate)), f"НДС{rate}" if rate else "БезНДС",
                                **cancelled)
            return float(deal.amount)

        # The client numbers its own orders (НомерПоДаннымКлиента "Z-<n>") in the order of its deals.
        order = self.seed_order(demo_scenario.DEALS.index(deal), day, customer, warehouse,
                                moment=deal.ordered.isoformat(), goods=rows)
        if deal.closed:
            order["Статус"] = "Закрыт"  # a value of enum СтатусыЗаказовКлиентов (enums.py)
        self.post(order)
        if deal.shipped is not None:
            self.seed_sale(order, day, warehouse, moment=deal.shipped.isoformat())
        for payment in deal.payments:
            amount = float(deal.amount if payment.amount is None else payment.amount)
            self.seed_payment(order, amount, day, kind=payment.kind, moment=payment.moment.isoformat())

    def number(self, set_name: str) -> str:
        return self.base.next_number(set_name, "ТД00" if self.ut else "0000")

    def goods(self, doc: dict, set_name: str, count: int, vat_field: bool = True) -> float:
        rng = self.rng
        total = 0.0
        for _ in range(count):
            product = self.products[rng.randrange(len(self.products))]
            qty = float(rng.randrange(1, 40))
            price = self.base_price[product["Ref_Key"]]
            amount = round(qty * price, 2)
            total += amount
            self.goods_line(doc, set_name, product, qty, price, amount, round(amount * 20 / 120, 2))
        return round(total, 2)

    def goods_line(self, doc: dict, set_name: str, product: dict, qty: float, price: float, amount: float,
                   vat: float, vat_enum: str = "НДС20", **extra: object) -> None:
        """One goods row; prices include VAT. УТ rows name the item's own VAT rate; БП rows the enum СтавкиНДС."""
        if self.ut:
            self.line(doc, set_name, "Товары", Номенклатура_Key=product["Ref_Key"],
                      Упаковка_Key=published.ref(product, "ЕдиницаИзмерения"), КоличествоУпаковок=qty,
                      Количество=qty,
                      Цена=price, Сумма=amount, СтавкаНДС_Key=published.ref(product, "СтавкаНДС"), СуммаНДС=vat,
                      СуммаСНДС=amount, **({"ВидЦены_Key": self.price_types[0]["Ref_Key"],
                                            "КодСтроки": len(doc["Товары"]) + 1,
                                            "Склад_Key": published.ref(doc, "Склад")}
                                           if set_name == "Document_ЗаказКлиента" else {}), **extra)
        else:
            self.line(doc, set_name, "Товары", Номенклатура_Key=product["Ref_Key"], Количество=qty, Цена=price,
                      ЕдиницаИзмерения_Key=published.ref(product, "ЕдиницаИзмерения"), Сумма=amount,
                      СтавкаНДС=vat_enum,
                      СуммаНДС=vat, **extra)

    def seed_order(self, n: int, day: int, customer: dict, warehouse: dict, moment: str | None = None,
                   goods: Callable[[dict, str], float] | None = None) -> dict:
        """A customer order (УТ) or invoice (БП): at a random moment of `day` with random goods, unless the
        caller names the moment and fills the goods (`goods(order, set_name)` returns the total)."""
        common = dict(Date=moment or self.moment(day), Организация_Key=self.org["Ref_Key"],
                      Контрагент_Key=customer["Ref_Key"])
        if self.ut:
            set_name = "Document_ЗаказКлиента"
            order = self.add(set_name, Number=self.number(set_name), Партнер_Key=self.partner_of[customer["Ref_Key"]],
                             Валюта_Key=self.rub["Ref_Key"], Склад_Key=warehouse["Ref_Key"], ЦенаВключаетНДС=True,
                             Статус="НеСогласован", ХозяйственнаяОперация="РеализацияКлиенту",
                             НомерПоДаннымКлиента=f"Z-{n + 1}",
                             ДатаОтгрузки=(SEED_START + dt.timedelta(days=day + 3)).isoformat(), **common)
        else:
            set_name = "Document_СчетНаОплатуПокупателю"
            order = self.add(set_name, Number=self.number(set_name),
                             ДоговорКонтрагента_Key=self.contract_of.get(customer["Ref_Key"], EMPTY_REF),
                             ВалютаДокумента_Key=self.rub["Ref_Key"], СуммаВключаетНДС=True,
                             СчетОрганизации_Key=self.bank["Ref_Key"], Склад_Key=warehouse["Ref_Key"], **common)
        order["СуммаДокумента"] = (goods(order, set_name) if goods
                                   else self.goods(order, set_name, 1 + self.rng.randrange(3)))
        self.set_of[order["Ref_Key"]] = set_name
        return order

    def post(self, doc: dict) -> None:
        if doc.get("Статус") == "НеСогласован":
            doc["Статус"] = "КОбеспечению"
        self.record_movements(doc)
        doc["Posted"] = True

    def record_movements(self, doc: dict) -> None:
        for register, items in posting.movements(self.base, self.set_of[doc["Ref_Key"]], doc).items():
            self.base.table(register).load_sorted(items)
            self.movement_count[register] = self.movement_count.get(register, 0) + len(items)

    def seed_invoice(self, order: dict, day: int) -> None:
        if not self.ut:
            return  # in БП 3.0 the customer invoice IS the order document
        set_name = "Document_СчетНаОплатуКлиенту"
        invoice = self.add(set_name, Number=self.number(set_name), Date=self.moment(day),
                           Организация_Key=self.org["Ref_Key"], Партнер_Key=published.ref(order, "Партнер"),
                           Контрагент_Key=published.ref(order, "Контрагент"), Валюта_Key=self.rub["Ref_Key"],
                           СуммаДокумента=order["СуммаДокумента"], ДокументОснование=order["Ref_Key"],
                           ДокументОснование_Type="StandardODATA.Document_ЗаказКлиента",
                           БанковскийСчет_Key=self.bank["Ref_Key"], Posted=True)
        self.line(invoice, set_name, "ЭтапыГрафикаОплаты", ДатаПлатежа=self.moment(day + 5), ПроцентПлатежа=100,
                  СуммаПлатежа=order["СуммаДокумента"])

    def seed_sale(self, order: dict, day: int, warehouse: dict, moment: str | None = None) -> None:
        """The order shipped in full; a sale at a named `moment` always gets its VAT invoice, a random one in
        half the cases."""
        set_name = "Document_РеализацияТоваровУслуг"
        common = dict(Number=self.number(set_name), Date=moment or self.moment(day),
                      Организация_Key=self.org["Ref_Key"],
                      Контрагент_Key=published.ref(order, "Контрагент"), Склад_Key=warehouse["Ref_Key"],
                      СуммаДокумента=order["СуммаДокумента"])
        if self.ut:
            typed = {"ЗаказКлиента": order["Ref_Key"], "ЗаказКлиента_Type": "StandardODATA.Document_ЗаказКлиента"}
            sale = self.add(set_name, Партнер_Key=published.ref(order, "Партнер"), Валюта_Key=self.rub["Ref_Key"],
                            ЦенаВключаетНДС=True, ХозяйственнаяОперация="РеализацияКлиенту", Статус="Отгружено",
                            **typed, **common)
            for row in order["Товары"]:
                # .get: a column the release does not publish (СтавкаНДС_Key in УТ 11.4) is not in the order row.
                self.line(sale, set_name, "Товары", **{k: row.get(k, EMPTY_REF) for k in (
                    "Номенклатура_Key", "Упаковка_Key", "КоличествоУпаковок", "Количество", "Цена", "Сумма",
                    "СтавкаНДС_Key", "СуммаНДС", "СуммаСНДС")}, Склад_Key=warehouse["Ref_Key"], **typed)
        else:
            sale = self.add(set_name, ВидОперации="Товары",
                            ДоговорКонтрагента_Key=published.ref(order, "ДоговорКонтрагента"),
                            ВалютаДокумента_Key=self.rub["Ref_Key"], СуммаВключаетНДС=True,
                            СчетНаОплатуПокупателю_Key=order["Ref_Key"], **common)
            for row in order["Товары"]:
                values = {k: v for k, v in row.items() if k not in ("Ref_Key", "LineNumber")}
                self.line(sale, set_name, "Товары", **values)
        self.set_of[sale["Ref_Key"]] = set_name
        self.post(sale)
        if moment is not None or self.rng.random() < 0.5:
            self.seed_vat_invoice(sale, day, moment)

    def seed_act(self, order: dict, day: int) -> None:
        """An act for a delivery billed apart from the order: its own settlement object in УТ 11.5."""
        set_name = "Document_АктВыполненныхРабот"
        amount = round(self.rng.choice([500.0, 1200.0, 2500.0]), 2)
        act = self.add(set_name, Number=self.number(set_name), Date=self.moment(day),
                       Организация_Key=self.org["Ref_Key"], Партнер_Key=published.ref(order, "Партнер"),
                       Контрагент_Key=published.ref(order, "Контрагент"), Валюта_Key=self.rub["Ref_Key"],
                       СуммаДокумента=amount, ЦенаВключаетНДС=True, ЗаказКлиента="",
                       ЗаказКлиента_Type=UNDEFINED_TYPE, Комментарий="Доставка")
        self.line(act, set_name, "Услуги", Номенклатура_Key=self.products[0]["Ref_Key"], Содержание="Доставка",
                  Количество=1, Цена=amount, Сумма=amount, СуммаНДС=round(amount * 20 / 120, 2), СуммаСНДС=amount)
        self.set_of[act["Ref_Key"]] = set_name
        self.post(act)

    def seed_vat_invoice(self, sale: dict, day: int, moment: str | None = None) -> None:
        set_name = "Document_СчетФактураВыданный"
        values = dict(Number=self.number(set_name), Date=moment or self.moment(day),
                      Организация_Key=self.org["Ref_Key"],
                      ДокументОснование=sale["Ref_Key"],
                      ДокументОснование_Type="StandardODATA.Document_РеализацияТоваровУслуг", Posted=True)
        if self.ut:
            customer = self.base.lookup("Catalog_Контрагенты", published.ref(sale, "Контрагент")) or {}
            invoice = self.add(set_name, Валюта_Key=self.rub["Ref_Key"], ДатаВыставления=sale["Date"],
                               Контрагент=published.ref(sale, "Контрагент"),
                               Контрагент_Type="StandardODATA.Catalog_Контрагенты",
                               Партнер_Key=published.ref(sale, "Партнер"), ИННКонтрагента=customer.get("ИНН", ""),
                               КППКонтрагента=customer.get("КПП", ""), **values)
        else:
            amount = sale["СуммаДокумента"]
            invoice = self.add(set_name, ВидСчетаФактуры="НаРеализацию", ВалютаДокумента_Key=self.rub["Ref_Key"],
                               ДоговорКонтрагента_Key=published.ref(sale, "ДоговорКонтрагента"),
                               Контрагент_Key=published.ref(sale, "Контрагент"), Сумма=amount,
                               СуммаНДС=round(amount * 20 / 120, 2), **values)
            self.line(invoice, set_name, "ДокументыОснования", ДокументОснование=sale["Ref_Key"],
                      ДокументОснование_Type="StandardODATA.Document_РеализацияТоваровУслуг")

    def seed_payment(self, order: dict, amount: float, day: int, posted: bool = True, deleted: bool = False,
                     kind: str | None = None, moment: str | None = None) -> dict:
        set_name, doc = make_payment(self.base, order, amount, kind or ("bank" if self.rng.random() < 0.75 else "cash"),
                           moment or self.moment(day), add=self.add, line=self.line)
        doc["DeletionMark"] = deleted
        self.set_of[doc["Ref_Key"]] = set_name
        if posted and not deleted:
            self.record_movements(doc)
            doc["Posted"] = True
        return doc


def blank_row(obj: ObjectDef) -> dict:
    """A row with every property at 1C's empty value (empty ref, empty date, "", 0, false)."""
    row: dict = {}
    for prop, edm in obj.standard_props():
        row[prop] = {"Edm.Guid": EMPTY_REF, "Edm.Boolean": False, "Edm.DateTime": "0001-01-01T00:00:00",
                     "Edm.Int64": 0}.get(edm, "")
    if obj.kind == DOCUMENT:
        row["Posted"] = False
    for attr in obj.columns():
        row.update(attr.default_values())
    for prop, edm in obj.tail_props():
        row[prop] = False if edm == "Edm.Boolean" else ""
    return row


def make_payment(base: Base, order: dict, amount: float, kind: str, moment: str, add, line) -> tuple[str, dict]:
    """(entity set, document): a bank (`kind="bank"`) or cash receipt paying `amount` for an order, unposted.

    `add(set_name, **values)` creates the document row and `line(doc, set_name, table, **values)` a row of
    its tabular section, so seeding and the runtime control API build payments the same way.
    """
    if base.config.family == "unf":
        from b24sandbox.onec.seed_unf import make_unf_payment  # seed_unf builds on this module

        return make_unf_payment(base, order, amount, kind, moment, add, line)
    ut = base.config.family == "ut"
    org = published.ref(order, "Организация")
    customer = published.ref(order, "Контрагент")
    currency = published.ref(order, "Валюта", "") or published.ref(order, "ВалютаДокумента")
    if ut:
        set_name = ("Document_ПоступлениеБезналичныхДенежныхСредств" if kind == "bank"
                    else "Document_ПриходныйКассовыйОрдер")
        values = dict(Number=base.next_number(set_name, "ТД00"), Date=moment, Организация_Key=org,
                      Контрагент_Key=customer, Партнер_Key=published.ref(order, "Партнер"), Валюта_Key=currency,
                      СуммаДокумента=amount, ХозяйственнаяОперация="ПоступлениеОплатыОтКлиента")
        if kind == "bank":
            bank = min(base.table("Catalog_БанковскиеСчетаОрганизаций").rows)
            values.update(БанковскийСчет_Key=bank, ПроведеноБанком=True, ДатаПроведенияБанком=moment,
                          НазначениеПлатежа=f"Оплата по заказу {order['Number']}. В т.ч. НДС 20%",
                          НомерВходящегоДокумента=str(base.numbers.get(set_name, 0) + 100))
        else:
            values.update(Касса_Key=min(base.table("Catalog_Кассы").rows), ПринятоОт="Представитель клиента",
                          Основание=f"Оплата по заказу {order['Number']}")
        doc = add(set_name, **values)
        line(doc, set_name, "РасшифровкаПлатежа", Партнер_Key=published.ref(order, "Партнер"),
             ОбъектРасчетов_Key=posting.settlement_object(base, posting.UT_ORDER, order),
             Заказ_Key=order["Ref_Key"], Сумма=amount,
             СуммаВзаиморасчетов=amount, ОснованиеПлатежа="", ОснованиеПлатежа_Type=UNDEFINED_TYPE)
    else:
        set_name = "Document_ПоступлениеНаРасчетныйСчет" if kind == "bank" else "Document_ПриходныйКассовыйОрдер"
        party = ({"Контрагент_Key": customer} if kind == "bank"
                 else {"Контрагент": customer, "Контрагент_Type": "StandardODATA.Catalog_Контрагенты"})
        values = dict(Number=base.next_number(set_name, "0000"), Date=moment, ВидОперации="ОплатаПокупателя",
                      Организация_Key=org, **party,
                      ДоговорКонтрагента_Key=published.ref(order, "ДоговорКонтрагента"), ВалютаДокумента_Key=currency,
                      СуммаДокумента=amount)
        if kind == "bank":
            # The receiving account: БП 3.0.198's invoice names it in the composite СтруктурнаяЕдиница, not
            # СчетОрганизации, so the payment takes the organisation's account itself.
            values.update(СчетОрганизации_Key=min(base.table("Catalog_БанковскиеСчета").rows),
                          НазначениеПлатежа=f"Оплата по счету {order['Number']}. В т.ч. НДС 20%")
        else:
            values.update(ПринятоОт="Представитель покупателя", Основание=f"Оплата по счету {order['Number']}")
        doc = add(set_name, **values)
        line(doc, set_name, "РасшифровкаПлатежа", ДоговорКонтрагента_Key=published.ref(order, "ДоговорКонтрагента"),
             СчетНаОплату_Key=order["Ref_Key"], СуммаПлатежа=amount, СуммаВзаиморасчетов=amount)
    return set_name, doc


def seed_base(base: Base, seed: int, sizes: SeedSizes) -> None:
    """Fill a fresh base with deterministic data."""
    seeder: type[Seeder] = Seeder
    if base.config.family == "unf":
        from b24sandbox.onec.seed_unf import UnfSeeder  # seed_unf builds on this module

        seeder = UnfSeeder
    seeder(base, seed, sizes).run()
    base.counters.posted = 0


def new_configuration_base(name: str, config: Configuration, seed: int, sizes: SeedSizes) -> Base:
    base = Base(name=name, config=config.clone(), published=set(config.objects))
    seed_base(base, seed, sizes)
    return base
