"""Deterministic seeded data for a УНФ 3.0 base (configuration `unf`, facts unf-3.0.12.261).

The same machinery as УТ / БП (seed.Seeder: rows through values.fit, movements through posting.movements), with
УНФ's own objects: warehouses are elements of `Catalog_СтруктурныеЕдиницы` whose ТипСтруктурнойЕдиницы is Склад
(a hierarchy of items: Parent_Key, no IsFolder); the customer order is `Document_ЗаказПокупателя` (goods in
`Запасы`, where Номенклатура and ЕдиницаИзмерения are composite, so they are published as X + X_Type); payments are
`Document_ПоступлениеНаСчет` (bank) and `Document_ПоступлениеВКассу` (cash) whose `РасшифровкаПлатежа` lines name
the order in the composite `Заказ`; the shipment is `Document_РасходнаяНакладная` with the composite `Заказ`; the
customer settlements live in `AccumulationRegister_РасчетыСПокупателями` (posting.py).
Every name and kind here is in the facts file; a value for an attribute the release lacks is dropped by fit.
"""

from __future__ import annotations

import datetime as dt

from b24sandbox.onec import posting, russian_ids
from b24sandbox.onec import values as published
from b24sandbox.onec.schema import EMPTY_REF
from b24sandbox.onec.seed import _NAMES, _PRODUCT_VARIANTS, _PRODUCTS, _SURNAMES, SEED_START, Seeder
from b24sandbox.onec.store import Base

ORDER = posting.UNF_ORDER
SHIPMENT = posting.UNF_SHIPMENT
BANK_RECEIPT, CASH_RECEIPT = posting.UNF_RECEIPTS
STRUCTURAL_UNITS = "Catalog_СтруктурныеЕдиницы"
_PERSON_KIND = {"ЮЛ": "ЮридическоеЛицо", "ИП": "ФизическоеЛицо", "ФЛ": "ФизическоеЛицо"}


class UnfSeeder(Seeder):
    """Fills a УНФ base; the order flow (seed_deal) is the shared one."""

    def settlements_register(self) -> str:
        return posting.UNF_SETTLEMENTS

    def seed_all(self) -> None:
        org_inn = russian_ids.legal_inn(self.rng)
        self.org = self.add("Catalog_Организации", Code="000000001", Description="ООО «Торговый дом»",
                            НаименованиеПолное="Общество с ограниченной ответственностью «Торговый дом»",
                            НаименованиеСокращенное="ООО «Торговый дом»", ИНН=org_inn,
                            КПП=russian_ids.kpp_for(org_inn), Префикс="ТД")
        self.rub = self.add("Catalog_Валюты", Code="643", Description="руб.", НаименованиеПолное="Российский рубль")
        self.seed_units()
        self.seed_products()
        self.seed_prices_and_warehouses()
        self.seed_order_states()
        self.seed_counterparties()
        self.seed_documents()

    def seed_products(self) -> None:
        group = self.add("Catalog_Номенклатура", Code="00-00000001", Description="Стройматериалы", IsFolder=True,
                         Parent_Key=EMPTY_REF)
        count = min(max(30, self.sizes.counterparties // 5), 300)
        self.products = []
        for i in range(count):
            name, unit = product_name(i)
            article = "" if i % 11 == 5 else f"{'АРТ' if i % 3 else 'SKU'}-{10000 + i * 7:05d}"
            product = self.add("Catalog_Номенклатура", Code=f"00-{i + 2:08d}", Description=name,
                               НаименованиеПолное=name, Артикул=article, Parent_Key=group["Ref_Key"],
                               ЕдиницаИзмерения_Key=self.units[unit]["Ref_Key"], ТипНоменклатуры="Запас")
            self.base_price[product["Ref_Key"]] = round(self.rng.uniform(50, 25000), 2)
            self.products.append(product)

    def seed_prices_and_warehouses(self) -> None:
        self.price_types = []
        for i, (title, factor) in enumerate([("Оптовая", 1.0), ("Розничная", 1.25), ("Закупочная", 0.7)], start=1):
            kind = self.add("Catalog_ВидыЦен", Code=f"00000000{i}", Description=title,
                            ВалютаЦены_Key=self.rub["Ref_Key"], ЦенаВключаетНДС=True)
            self.price_types.append(kind)
            self.factor[kind["Ref_Key"]] = factor
        self.seed_unf_prices()
        self.seed_structural_units()
        self.seed_opening_stock()

    def seed_unf_prices(self) -> None:
        """Prices on two dates. УНФ's ЦеныНоменклатуры is independent (facts: no recorder), keyed by period and
        dimensions; ЕдиницаИзмерения is composite (КлассификаторЕдиницИзмерения / ЕдиницыИзмерения)."""
        set_name = "InformationRegister_ЦеныНоменклатуры"
        obj = self.base.config.objects[set_name]
        defaults = posting.record_defaults(obj)
        items = []
        for n, period in enumerate([SEED_START, SEED_START + dt.timedelta(days=120)]):
            for product in self.products:
                for kind in self.price_types:
                    price = round(self.base_price[product["Ref_Key"]] * self.factor[kind["Ref_Key"]]
                                  * (1 + 0.08 * n), 2)
                    row = {"Period": period.isoformat(), "ВидЦен_Key": kind["Ref_Key"],
                           "Номенклатура_Key": product["Ref_Key"], "Характеристика_Key": EMPTY_REF, "Цена": price,
                           "Актуальность": True, "ВалютаЦены_Key": self.rub["Ref_Key"],
                           "ЕдиницаИзмерения_Key": published.ref(product, "ЕдиницаИзмерения")}
                    key = (period.isoformat(), kind["Ref_Key"], product["Ref_Key"])
                    items.append((key, {**defaults, **published.fit(self.base, obj, row)}))
        self.base.table(set_name).load_sorted(items)

    def seed_structural_units(self) -> None:
        """Warehouses among other structural units: a head warehouse with a child one (the catalog is a hierarchy
        of items, facts: Hierarchical, HierarchyOfItems), a shop and a department the app must not take for
        warehouses (enum ТипыСтруктурныхЕдиниц)."""
        def unit(code: int, name: str, kind: str, parent: str = EMPTY_REF) -> dict:
            return self.add(STRUCTURAL_UNITS, Code=f"{code:09d}", Description=name, ТипСтруктурнойЕдиницы=kind,
                            Организация_Key=self.org["Ref_Key"], Parent_Key=parent)

        main = unit(1, "Основной склад", "Склад")
        branch = unit(2, "Склад Подольск", "Склад", main["Ref_Key"])
        self.shop = unit(3, "Магазин на Ленина", "Розница")
        self.department = unit(4, "Отдел продаж", "Подразделение")
        self.warehouses = [main, branch]

    def seed_opening_stock(self) -> None:
        """Opening stock as receipts of a purchase document the base does not publish (УНФ ПриходнаяНакладная)."""
        register = posting.UNF_STOCK
        obj = self.base.config.objects[register]
        defaults = posting.record_defaults(obj)
        recorder = self.base.new_guid()
        items = []
        for i, product in enumerate(self.products):
            for w, warehouse in enumerate(self.warehouses):
                line = i * 2 + w + 1
                record = {"Recorder": recorder, "Recorder_Type": "StandardODATA.Document_ПриходнаяНакладная",
                          "Period": SEED_START.replace(hour=8).isoformat(), "LineNumber": line, "Active": True,
                          "RecordType": posting.RECEIPT, "Организация_Key": self.org["Ref_Key"],
                          "Номенклатура_Key": product["Ref_Key"], "СтруктурнаяЕдиница_Key": warehouse["Ref_Key"],
                          "Количество": float(self.rng.randrange(0, 500))}
                items.append(((recorder, line), {**defaults, **published.fit(self.base, obj, record)}))
        self.base.table(register).load_sorted(items)

    def seed_order_states(self) -> None:
        # СостоянияЗаказовПокупателей has no code (facts: CodeLength 0); a real base fills these on first start.
        self.states = {name: self.add("Catalog_СостоянияЗаказовПокупателей", Description=name)
                       for name in ("Новый", "В работе", "Выполнен")}

    def add_counterparty(self, i: int, description: str, full: str, inn: str, kpp: str, kind: str) -> dict:
        person = None
        if i % 2 == 0:
            person = self.add("Catalog_КонтактныеЛица", Code=f"{i + 1:09d}", Parent_Key=EMPTY_REF,
                              Description=f"{_SURNAMES[i % len(_SURNAMES)]} {_NAMES[i % len(_NAMES)]}")
        row = self.add("Catalog_Контрагенты", Code=f"{i + 1:09d}", Description=description, НаименованиеПолное=full,
                       ИНН=inn, КПП=kpp, Parent_Key=EMPTY_REF, ЮридическоеФизическоеЛицо=_PERSON_KIND[kind],
                       Покупатель=True, ВестиРасчетыПоДоговорам=True, ВестиРасчетыПоЗаказам=True,
                       ВалютаРасчетовПоУмолчанию_Key=self.rub["Ref_Key"],
                       КонтактноеЛицо_Key=person["Ref_Key"] if person else EMPTY_REF)
        # ДоговорыКонтрагентов has two owner types (facts: Контрагенты, Организации): Owner + Owner_Type.
        contract = self.add("Catalog_ДоговорыКонтрагентов", Code=f"{i + 1:09d}", Description="Основной договор",
                            Owner=row["Ref_Key"], Owner_Type="StandardODATA.Catalog_Контрагенты",
                            Parent_Key=EMPTY_REF, Организация_Key=self.org["Ref_Key"], ВидДоговора="СПокупателем",
                            ВалютаРасчетов_Key=self.rub["Ref_Key"], ВидЦен_Key=self.price_types[0]["Ref_Key"])
        self.contract_of[row["Ref_Key"]] = contract["Ref_Key"]
        for contact_kind, value in [("АдресЭлектроннойПочты", f"info{i}@example.ru"),
                                    ("Телефон", f"+7 495 {i:07d}")]:
            email = value if contact_kind == "АдресЭлектроннойПочты" else ""
            self.line(row, "Catalog_Контрагенты", "КонтактнаяИнформация", Тип=contact_kind, Представление=value,
                      АдресЭП=email, НомерТелефона="" if email else value)
        return row

    # -- documents ----------------------------------------------------------------------------
    def goods(self, doc: dict, set_name: str, count: int, vat_field: bool = True) -> float:
        total = 0.0
        for _ in range(count):
            product = self.products[self.rng.randrange(len(self.products))]
            qty = float(self.rng.randrange(1, 40))
            price = self.base_price[product["Ref_Key"]]
            amount = round(qty * price, 2)
            total += amount
            self.line(doc, set_name, "Запасы", ТипНоменклатурыЗапас=True, Номенклатура_Key=product["Ref_Key"],
                      ЕдиницаИзмерения_Key=published.ref(product, "ЕдиницаИзмерения"), Количество=qty, Цена=price,
                      Сумма=amount, СуммаНДС=round(amount * 20 / 120, 2),
                      СтруктурнаяЕдиницаРезерв_Key=published.ref(doc, "СтруктурнаяЕдиницаРезерв"))
        return round(total, 2)

    def seed_order(self, n: int, day: int, customer: dict, warehouse: dict) -> dict:
        order = self.add(ORDER, Number=self.number(ORDER), Date=self.moment(day), ВидОперации="ЗаказНаПродажу",
                         Организация_Key=self.org["Ref_Key"], Контрагент_Key=customer["Ref_Key"],
                         Договор_Key=self.contract_of[customer["Ref_Key"]], ВалютаДокумента_Key=self.rub["Ref_Key"],
                         СуммаВключаетНДС=True, СостояниеЗаказа=self.states["В работе"]["Ref_Key"],
                         СтруктурнаяЕдиницаПродажи_Key=self.department["Ref_Key"],
                         СтруктурнаяЕдиницаРезерв_Key=warehouse["Ref_Key"], Комментарий=f"Заказ Z-{n + 1}")
        order["СуммаДокумента"] = self.goods(order, ORDER, 1 + self.rng.randrange(3))
        self.set_of[order["Ref_Key"]] = ORDER
        return order

    def seed_invoice(self, order: dict, day: int) -> None:
        """УНФ's invoice to the buyer (СчетНаОплату) based on the order; it moves no register published here."""
        set_name = "Document_СчетНаОплату"
        invoice = self.add(set_name, Number=self.number(set_name), Date=self.moment(day),
                           Организация_Key=self.org["Ref_Key"], Контрагент_Key=published.ref(order, "Контрагент"),
                           Договор_Key=published.ref(order, "Договор"), ВалютаДокумента_Key=self.rub["Ref_Key"],
                           СуммаВключаетНДС=True, СуммаДокумента=order["СуммаДокумента"],
                           ДокументОснование=order["Ref_Key"], Posted=True)
        for row in order["Запасы"]:
            self.line(invoice, set_name, "Запасы", **_goods_values(row))
        self.line(invoice, set_name, "ПлатежныйКалендарь", ДатаОплаты=self.moment(day + 5),
                  СуммаОплаты=order["СуммаДокумента"])

    def seed_sale(self, order: dict, day: int, warehouse: dict) -> None:
        sale = self.add(SHIPMENT, Number=self.number(SHIPMENT), Date=self.moment(day), ВидОперации="ПродажаПокупателю",
                        Организация_Key=self.org["Ref_Key"], Контрагент_Key=published.ref(order, "Контрагент"),
                        Договор_Key=published.ref(order, "Договор"), ВалютаДокумента_Key=self.rub["Ref_Key"],
                        СуммаВключаетНДС=True, СтруктурнаяЕдиница_Key=warehouse["Ref_Key"], Заказ=order["Ref_Key"],
                        СуммаДокумента=order["СуммаДокумента"])
        for row in order["Запасы"]:
            self.line(sale, SHIPMENT, "Запасы", **_goods_values(row), Заказ=order["Ref_Key"],
                      ЗаказПокупателя_Key=order["Ref_Key"], СтруктурнаяЕдиница_Key=warehouse["Ref_Key"])
        self.set_of[sale["Ref_Key"]] = SHIPMENT
        self.post(sale)


def _goods_values(row: dict) -> dict:
    """A goods row of the order, to be written into another document's `Запасы` (values.fit keeps what that
    section publishes)."""
    return {k: v for k, v in row.items() if k not in ("Ref_Key", "LineNumber", "СтруктурнаяЕдиницаРезерв_Key")}


def product_name(i: int) -> tuple[str, str]:
    """(name, ОКЕИ unit code) of the i-th product, as the other configurations' seed names them."""
    title, unit = _PRODUCTS[i % len(_PRODUCTS)]
    variant = _PRODUCT_VARIANTS[(i // len(_PRODUCTS)) % len(_PRODUCT_VARIANTS)]
    serial = i // (len(_PRODUCTS) * len(_PRODUCT_VARIANTS))
    return f"{title}{variant}" + (f" №{serial + 1}" if serial else ""), unit


def shipment_before(base: Base, order_key: str, moment: str) -> dict | None:
    """The latest posted shipment of the order dated no later than `moment`: what a payment then settles."""
    best = None
    for row in base.table(SHIPMENT).rows.values():
        if row.get("Posted") and published.ref(row, "Заказ", "") == order_key and row["Date"] <= moment:
            if best is None or row["Date"] > best["Date"]:
                best = row
    return best


def make_unf_payment(base: Base, order: dict, amount: float, kind: str, moment: str, add, line) -> tuple[str, dict]:
    """(entity set, document): a УНФ bank (`ПоступлениеНаСчет`) or cash (`ПоступлениеВКассу`) receipt from the
    customer paying `amount` for the order, unposted; its line names the order and, when the order was already
    shipped, the shipment it settles (`Документ`), else it is an advance."""
    set_name = BANK_RECEIPT if kind == "bank" else CASH_RECEIPT
    contract = published.ref(order, "Договор")
    values = dict(Number=base.next_number(set_name, "0000"), Date=moment, ВидОперации="ОтПокупателя",
                  Организация_Key=published.ref(order, "Организация"),
                  Контрагент_Key=published.ref(order, "Контрагент"),
                  ВалютаДенежныхСредств_Key=published.ref(order, "ВалютаДокумента"), СуммаДокумента=amount,
                  ДокументОснование=order["Ref_Key"])
    if kind == "bank":
        values.update(НазначениеПлатежа=f"Оплата по заказу {order['Number']}. В т.ч. НДС 20%")
    else:
        values.update(ПринятоОт="Представитель покупателя", Основание=f"Оплата по заказу {order['Number']}")
    doc = add(set_name, **values)
    shipment = shipment_before(base, order["Ref_Key"], moment)
    line(doc, set_name, "РасшифровкаПлатежа", Договор_Key=contract, Заказ=order["Ref_Key"],
         Документ=shipment["Ref_Key"] if shipment else "", СуммаРасчетов=amount, СуммаПлатежа=amount,
         СуммаНДС=round(amount * 20 / 120, 2))
    return set_name, doc
