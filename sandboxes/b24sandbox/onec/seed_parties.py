"""What a real base keeps about its counterparties besides names and INNs, seeded after the documents (before the
optional large catalog, which is appended last) from a stream of its own, so the earlier data and every figure tests
rely on stay as they were: ОГРН, legal / actual / postal addresses as
contact-information rows, bank accounts with their banks, branches sharing the head office's INN with their own
KPP, the contact persons' phones and e-mails, and one counterparty marked for deletion.

Names come from the configuration dumps (facts, SOURCES.md) and are checked there by the tests:
- ОГРН / ОГРНИП is the attribute `РегистрационныйНомер` in all three (its form field is titled ОГРН / ОГРНИП:
  kassya20/ut Catalogs/Контрагенты/Forms/ФормаЭлемента/Ext/Form.xml, InputField ОГРН with DataPath
  Объект.РегистрационныйНомер; kassya20/buh …/ФормаЭлемента/Ext/Form/Module.bsl «ОГРН, ОГРНИП или регистрационный
  номер для иностранного контрагента»; Dershoozer/unf1 the same form module, `Элементы.РегистрационныйНомер.Заголовок
  = "ОГРН"`);
- the branch → head link is `ГоловнойКонтрагент` (УТ 11, БП 3.0, УНФ 3.0) and the flag `ОбособленноеПодразделение`
  (УТ 11, БП 3.0; УНФ has none);
- bank accounts: УТ 11 `Catalog_БанковскиеСчетаКонтрагентов` (owners Контрагенты, ФизическиеЛица) with `Банк` →
  `Catalog_КлассификаторБанков` and the bank's details also as the account's own `БИКБанка`, `НаименованиеБанка`,
  `КоррСчетБанка` when typed by hand (`РучноеИзменениеРеквизитовБанка`); БП 3.0 / УНФ 3.0 `Catalog_БанковскиеСчета`
  (owners Организации, Контрагенты, ФизическиеЛица) with `Банк` → `Catalog_Банки`. A bank's code is its БИК (kassya20/ut
  CommonModules/…: «КлассификаторБанков.Код КАК БИК»; kassya20/buh: «БанковскиеСчета.Банк.Код КАК БИКБанка»);
- address kinds are the predefined elements of `Catalog_ВидыКонтактнойИнформации` (Ext/Predefined.xml of each dump):
  ЮрАдресКонтрагента, ФактАдресКонтрагента, ПочтовыйАдресКонтрагента, ТелефонКонтрагента and the e-mail kind
  (EmailКонтрагента in УТ and УНФ, EmailКонтрагенты in БП); a row's `Значение` is the JSON of БСП 3
  (kassya20/ut CommonModules/УправлениеКонтактнойИнформациейКлиентСервер, ОписаниеНовойКонтактнойИнформации:
  version, value, type, country, addressType, ZIPcode, area, areaType, city, cityType, street, streetType,
  houseNumber, houseType, apartments);
- УНФ keeps a counterparty's contact persons in the periodic register `СвязиКонтрагентКонтакт` (dimensions
  Контрагент, Контакт; resources Должность, СвязьНедействительна), its КонтактныеЛица have no owner.
"""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING

from b24sandbox.onec import values as published
from b24sandbox.onec.schema import EMPTY_REF

if TYPE_CHECKING:
    from b24sandbox.onec.seed import Seeder

KINDS_SET = "Catalog_ВидыКонтактнойИнформации"
UNF_LINKS = "InformationRegister_СвязиКонтрагентКонтакт"
LEGAL, ACTUAL, POSTAL, PHONE, EMAIL = "ЮрАдресКонтрагента", "ФактАдресКонтрагента", "ПочтовыйАдресКонтрагента", \
    "ТелефонКонтрагента", "EmailКонтрагента"
# (БИК, name, correspondent account, city): public details of real banks (the Bank of Russia's БИК directory).
BANKS = [
    ("044525225", "ПАО Сбербанк", "30101810400000000225", "Москва"),
    ("044525593", "АО \"АЛЬФА-БАНК\"", "30101810200000000593", "Москва"),
    ("044525187", "Банк ВТБ (ПАО)", "30101810700000000187", "Москва"),
    ("044030653", "Северо-Западный банк ПАО Сбербанк", "30101810500000000653", "Санкт-Петербург"),
    ("049205603", "Отделение \"Банк Татарстан\" N 8610 ПАО Сбербанк", "30101810600000000603", "Казань"),
]
# (index, region, region type, city, city type, streets, tax office of the city for a branch's КПП).
PLACES = [
    ("115054", "Москва", "г", "", "", ["Щипок ул", "Тверская ул", "Ленинский пр-кт"], "7705"),
    ("190000", "Санкт-Петербург", "г", "", "", ["Невский пр-кт", "Садовая ул"], "7840"),
    ("420111", "Татарстан", "Респ", "Казань", "г", ["Баумана ул", "Пушкина ул"], "1655"),
    ("630099", "Новосибирская", "обл", "Новосибирск", "г", ["Красный пр-кт", "Ленина ул"], "5406"),
    ("620014", "Свердловская", "обл", "Екатеринбург", "г", ["Малышева ул", "8 Марта ул"], "6671"),
]
# Counterparties given addresses, ОГРН and bank accounts: all of a test-sized base; a big one (the paging tests seed
# 12,000 to count pages, never reading details) only its first ones and no extra rows, so its start-up and its
# count stay as they were.
DETAILED = 1000
_TITLES = {LEGAL: "Юридический адрес", ACTUAL: "Фактический адрес", POSTAL: "Почтовый адрес", PHONE: "Телефон",
           EMAIL: "Адрес электронной почты"}
_TYPES = {LEGAL: "Адрес", ACTUAL: "Адрес", POSTAL: "Адрес", PHONE: "Телефон", EMAIL: "АдресЭлектроннойПочты"}


def ogrn(rng: random.Random, year: int) -> str:
    """A valid ОГРН of a legal entity: 1, year, region, 7 digits, check = number mod 11 mod 10."""
    body = f"1{year % 100:02d}77{rng.randrange(10**7):07d}"
    return body + str(int(body) % 11 % 10)


def ogrnip(rng: random.Random, year: int) -> str:
    """A valid ОГРНИП of a sole proprietor: 3, year, region, 9 digits, check = number mod 13 mod 10."""
    body = f"3{year % 100:02d}77{rng.randrange(10**9):09d}"
    return body + str(int(body) % 13 % 10)


def account_number(rng: random.Random, bik: str, balance: str) -> str:
    """A settlement account with a valid control key against the bank's БИК (Bank of Russia rule 579-П: weights
    7-1-3 over the БИК's last three digits and the 20 digits, the key making the sum a multiple of 10)."""
    head, tail = f"{balance}810", f"{rng.randrange(10**11):011d}"
    digits = bik[-3:] + head + "0" + tail
    total = sum(int(d) * (7, 1, 3)[i % 3] % 10 for i, d in enumerate(digits))
    return head + str(total % 10 * 3 % 10) + tail


def address_values(rng: random.Random, place: tuple, kind_name: str) -> dict:
    """One address row's values as 1C stores them: the presentation, the БСП 3 JSON and the search columns."""
    index, region, region_type, city, city_type, streets, _ = place
    street = rng.choice(streets)
    street_name, _, street_type = street.rpartition(" ")
    house = str(rng.randrange(1, 120))
    # Rooms are a list of {type, number} (РаботаСАдресамиКлиентСервер: «apartments - Массив - содержит
    # структуры(поля структуры: type, number) с перечнем помещений адреса»).
    rooms = [{"type": "Офис", "number": str(rng.randrange(1, 400))}] if rng.random() < 0.5 else []
    parts = [index, f"{region} {region_type}"] + ([f"{city} {city_type}"] if city else []) + [
        street, f"дом {house}"] + [f"офис {room['number']}" for room in rooms]
    text = ", ".join(parts)
    value = {"version": 5, "value": text, "comment": "", "type": "Адрес", "country": "РОССИЯ",
             "addressType": "Муниципальный", "countryCode": "643", "ZIPcode": index, "area": region,
             "areaType": region_type, "city": city, "cityType": city_type, "street": street_name,
             "streetType": street_type, "houseType": "Дом", "houseNumber": house, "buildings": [],
             "apartments": rooms}
    return dict(Тип="Адрес", Представление=text, Значение=json.dumps(value, ensure_ascii=False), Страна="РОССИЯ",
                Регион=f"{region} {region_type}", Город=f"{city} {city_type}" if city else f"{region} {region_type}")


class PartyDetails:
    """Adds the details to a seeded base; `run()` is the only entry point."""

    def __init__(self, seeder: Seeder) -> None:
        self.s = seeder
        self.base = seeder.base
        self.family = seeder.base.config.family
        # Its own stream, seeded from the seeder's state without drawing from it: what is seeded after (the large
        # catalog) comes out as it did.
        self.rng = random.Random(repr(seeder.rng.getstate()[1][:8]))
        self.objects = seeder.base.config.objects
        self.kinds: dict[str, str] = {}
        self.banks: list[dict] = []

    @property
    def accounts_set(self) -> str:
        return "Catalog_БанковскиеСчетаКонтрагентов" if self.family == "ut" else "Catalog_БанковскиеСчета"

    def run(self) -> None:
        if KINDS_SET in self.objects:
            self.seed_kinds()
        if self.accounts_set in self.objects:
            self.seed_banks()
        customers = list(self.s.customers)
        for i, row in enumerate(customers[:DETAILED]):
            self.detail(i, row)
        if len(customers) <= DETAILED:  # a big base keeps its count: the paging tests count every row
            self.seed_branches(customers)
            self.seed_deleted(customers)
        self.seed_person_contacts()
        for row in self.base.table("Catalog_Контрагенты").rows.values():  # the demo's client and branches too
            self.tag_contacts(row)

    # -- reference data --------------------------------------------------------------------------
    def seed_kinds(self) -> None:
        email = "EmailКонтрагенты" if self.family == "bp" else EMAIL
        group = self.s.add(KINDS_SET, Description="Контрагенты", IsFolder=True, Predefined=True,
                           PredefinedDataName="СправочникКонтрагенты", Parent_Key=EMPTY_REF)
        for name in (LEGAL, ACTUAL, POSTAL, PHONE, EMAIL):
            predefined = email if name == EMAIL else name
            row = self.s.add(KINDS_SET, Description=_TITLES[name], Predefined=True, PredefinedDataName=predefined,
                             ИмяПредопределенногоВида=predefined, Тип=_TYPES[name], Используется=True,
                             Parent_Key=group["Ref_Key"])
            self.kinds[name] = row["Ref_Key"]

    def seed_banks(self) -> None:
        catalog = "Catalog_КлассификаторБанков" if self.family == "ut" else "Catalog_Банки"
        if catalog not in self.objects:
            return
        for bik, name, corr, city in BANKS:
            self.banks.append(self.s.add(catalog, Code=bik, Description=name, КоррСчет=corr, Город=f"г. {city}",
                                         Parent_Key=EMPTY_REF, IsFolder=False))

    # -- one counterparty -------------------------------------------------------------------------
    def kind_of(self, row: dict) -> str:
        inn = str(row.get("ИНН") or "")
        form = row.get("ЮрФизЛицо") or row.get("ЮридическоеФизическоеЛицо")
        if form in ("ЮрЛицо", "ЮридическоеЛицо"):
            return "ЮЛ"
        return "ИП" if form == "ИндивидуальныйПредприниматель" or len(inn) == 12 else "ФЛ"

    def detail(self, i: int, row: dict, place: tuple | None = None) -> None:
        rng = self.rng
        kind = self.kind_of(row)
        place = place or PLACES[rng.randrange(len(PLACES))]
        if kind == "ИП":  # БП 3.0.198 marks a sole proprietor apart from a private person (3.0.83 does not)
            row.update(published.fit(self.base, self.objects["Catalog_Контрагенты"],
                                     {"ИндивидуальныйПредприниматель": True}))
        if kind != "ФЛ" and rng.random() < 0.85:
            number = ogrn(rng, 2002 + i % 20) if kind == "ЮЛ" else ogrnip(rng, 2004 + i % 18)
            row.update(published.fit(self.base, self.objects["Catalog_Контрагенты"], {"РегистрационныйНомер": number}))
        if kind == "ЮЛ":
            self.address(row, LEGAL, place)
        if kind == "ФЛ" and i % 2 == 0 or kind != "ФЛ" and i % 3 == 0:
            self.address(row, ACTUAL, place)
        if kind != "ФЛ" and i % 5 == 0:
            self.address(row, POSTAL, place)
        if kind != "ФЛ" and i % 4 != 3 and self.banks:
            self.bank_account(row, i, kind)
            if i % 10 == 0:
                self.bank_account(row, i, kind)

    def tag_contacts(self, row: dict) -> None:
        """The seeded phone and e-mail rows get their kind (Вид) as a real base's form writes it."""
        for line in row.get("КонтактнаяИнформация") or []:
            name = {"Телефон": PHONE, "АдресЭлектроннойПочты": EMAIL}.get(line.get("Тип"))
            if name and name in self.kinds and "Вид_Key" in line:
                line["Вид_Key"] = self.kinds[name]

    def address(self, row: dict, kind_name: str, place: tuple) -> None:
        values = address_values(self.rng, place, kind_name)
        if self.kinds:
            values["Вид_Key"] = self.kinds[kind_name]
        self.s.line(row, "Catalog_Контрагенты", "КонтактнаяИнформация", **values)

    def bank_account(self, row: dict, i: int, kind: str) -> dict:
        rng = self.rng
        bank = self.banks[rng.randrange(len(self.banks))]
        number = account_number(rng, bank["Code"], "40702" if kind == "ЮЛ" else "40802")
        values: dict = dict(Description=f"{number}, {bank['Description']}", НомерСчета=number,
                            Owner=row["Ref_Key"], Owner_Type="StandardODATA.Catalog_Контрагенты",
                            ВалютаДенежныхСредств_Key=self.s.rub["Ref_Key"], Parent_Key=EMPTY_REF)
        if self.family == "ut" and i % 7 == 0:
            # Typed by hand: no classifier element, the bank's details kept on the account itself.
            values.update(Банк_Key=EMPTY_REF, РучноеИзменениеРеквизитовБанка=True, БИКБанка=bank["Code"],
                          НаименованиеБанка=bank["Description"], КоррСчетБанка=bank["КоррСчет"],
                          ГородБанка=bank["Город"])
        else:
            values.update(Банк_Key=bank["Ref_Key"])
        if self.family != "ut":
            values["Code"] = f"{len(self.base.table(self.accounts_set)) + 1:09d}"
        account = self.s.add(self.accounts_set, **values)
        # The counterparty's main account where the configuration keeps one (БП ОсновнойБанковскийСчет, УНФ
        # БанковскийСчетПоУмолчанию): the first one.
        for attr in ("ОсновнойБанковскийСчет_Key", "БанковскийСчетПоУмолчанию_Key"):
            if row.get(attr) == EMPTY_REF:
                row[attr] = account["Ref_Key"]
        return account

    # -- branches, a deleted duplicate, contact persons ---------------------------------------------
    def seed_branches(self, customers: list[dict]) -> None:
        """Two head offices (the first two legal counterparties with a valid INN of their own) get 3 and 2
        branches: the same INN, a КПП of the branch's tax office with reason 43 (a separate subdivision)."""
        seen: dict[str, int] = {}
        for row in customers:
            seen[row.get("ИНН") or ""] = seen.get(row.get("ИНН") or "", 0) + 1
        heads = [r for r in customers if self.kind_of(r) == "ЮЛ" and seen.get(r["ИНН"]) == 1
                 and _valid_legal_inn(r["ИНН"])][:2]
        for head, count in zip(heads, (3, 2), strict=False):
            for n in range(count):
                place = PLACES[1 + n]
                self.branch(head, n, place)

    def branch(self, head: dict, n: int, place: tuple) -> dict:
        index, region, _, city, _, _, office = place
        where = city or region
        values = {k: head.get(k) for k in ("ИНН", "ЮрФизЛицо", "ЮридическоеФизическоеЛицо", "Партнер_Key",
                                          "Parent_Key", "Покупатель", "ВалютаРасчетовПоУмолчанию_Key",
                                          "ВестиРасчетыПоДоговорам", "ВестиРасчетыПоЗаказам") if k in head}
        number = len(self.base.table("Catalog_Контрагенты")) + 1
        code = f"{number:011d}" if self.family == "ut" else f"{number:09d}"
        row = self.s.add("Catalog_Контрагенты", Code=code, Description=f"{head['Description']} (филиал {where})",
                         НаименованиеПолное=f"Филиал в г. {where} {head['НаименованиеПолное']}",
                         КПП=f"{office}43{n + 1:03d}", ОбособленноеПодразделение=True,
                         ГоловнойКонтрагент_Key=head["Ref_Key"], **values)
        row.update(published.fit(self.base, self.objects["Catalog_Контрагенты"], {
            "РегистрационныйНомер": head.get("РегистрационныйНомер", "")}))
        self.s.line(row, "Catalog_Контрагенты", "КонтактнаяИнформация", Тип="Телефон",
                    Представление=f"+7 800 555-{n:02d}-{index[:2]}", НомерТелефона=f"+7 800 555{n:02d}{index[:2]}")
        self.address(row, LEGAL, place)
        if n == 0 and self.banks:
            self.bank_account(row, 1, "ЮЛ")
        return row

    def seed_deleted(self, customers: list[dict]) -> None:
        """A duplicate entered by mistake and marked for deletion (not yet deleted: 1C keeps it until the
        administrator's «Удаление помеченных объектов»)."""
        if not customers:
            return
        source = customers[-1]
        number = len(self.base.table("Catalog_Контрагенты")) + 1
        keep = ("ИНН", "КПП", "ЮрФизЛицо", "ЮридическоеФизическоеЛицо", "Партнер_Key", "Parent_Key")
        self.s.add("Catalog_Контрагенты", Code=f"{number:011d}" if self.family == "ut" else f"{number:09d}",
                   Description=f"{source['Description']} (дубль)", НаименованиеПолное=source["НаименованиеПолное"],
                   DeletionMark=True, **{k: source[k] for k in keep if k in source})

    def seed_person_contacts(self) -> None:
        """Phones and e-mails of contact persons (every other one), and УНФ's links of persons to their
        counterparties."""
        person_set = {"ut": "Catalog_КонтактныеЛицаПартнеров"}.get(self.family, "Catalog_КонтактныеЛица")
        if person_set not in self.objects:
            return
        people = sorted(self.base.table(person_set).rows.values(), key=lambda r: r.get("Code") or "")
        for n, person in enumerate(people):
            if "КонтактнаяИнформация" not in person or n % 2:
                continue
            email = f"manager{n}@example.ru"
            self.s.line(person, person_set, "КонтактнаяИнформация", Тип="АдресЭлектроннойПочты",
                        Представление=email, АдресЭП=email)
            if self.family != "ut":
                phone = f"+7 903 {n:07d}"
                self.s.line(person, person_set, "КонтактнаяИнформация", Тип="Телефон", Представление=phone,
                            НомерТелефона=phone)
        if self.family == "unf" and UNF_LINKS in self.objects:
            self.seed_unf_links()

    def seed_unf_links(self) -> None:
        obj = self.objects[UNF_LINKS]
        items = []
        for row in self.base.table("Catalog_Контрагенты").rows.values():
            person = row.get("КонтактноеЛицо_Key")
            if not person or person == EMPTY_REF:
                continue
            period = "2026-01-09T09:00:00"
            values = {"Period": period, "Контрагент_Key": row["Ref_Key"], "Контакт_Key": person,
                      "Должность": "Менеджер по закупкам", "СвязьНедействительна": False, "Порядок": 1}
            items.append(((period, row["Ref_Key"], person), published.fit(self.base, obj, values)))
        self.base.table(UNF_LINKS).load_sorted(items)


def _valid_legal_inn(inn: str) -> bool:
    if len(inn) != 10 or not inn.isdigit():
        return False
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return str(sum(int(d) * w for d, w in zip(inn, weights, strict=False)) % 11 % 10) == inn[-1]


def seed_party_details(seeder: Seeder) -> None:
    """The counterparties' details (module docstring), after the rest of the seed."""
    PartyDetails(seeder).run()
