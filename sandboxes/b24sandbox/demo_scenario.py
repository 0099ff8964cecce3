"""The demo's story, told once: two sellers, one client, the goods it buys and its deals with what 1C did about each.

Both sandboxes are seeded from this description when started with ``--demo`` (the portal's first company, its
deals and their product rows in ``portal/seed.py``; the client, items, orders, receipts and sales in every УТ 11
and БП 3.0 base in ``onec/seed.py``), so the CRM and 1C tell the same story by construction. Nothing here knows
the app or its profiles: stages are the portal's own stage ids (portal/seed.py), 1C facts are left to the 1C seeder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")


def kopecks(value: Decimal) -> Decimal:
    """Rounded to kopecks half up, as 1C rounds money (Окр(x, 2) rounds half away from zero)."""
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DemoSeller:
    """A legal entity of the group selling through one 1C base (``family``: "ut" or "bp"): the base's
    organization in 1C and the seller named in the deal."""

    family: str
    title: str
    full_name: str
    inn: str
    kpp: str


@dataclass(frozen=True)
class DemoClient:
    """The buyer, as both its CRM company card and its 1C counterparty card name it."""

    title: str  # the short name: company TITLE, requisite RQ_COMPANY_NAME, 1C Description
    full_name: str  # requisite RQ_COMPANY_FULL_NAME, 1C НаименованиеПолное
    inn: str  # a valid 10-digit ИНН (check digit per the FNS algorithm)
    kpp: str
    ogrn: str
    director: str
    phone: str
    email: str


@dataclass(frozen=True)
class DemoItem:
    """A catalog item: a 1C Номенклатура element and the CRM product whose XML_ID is its article."""

    article: str
    name: str
    unit: str  # ОКЕИ code (the 1C seeder's UNITS)
    vat_rate: int  # per cent; prices include it
    price: Decimal  # list price with VAT


@dataclass(frozen=True)
class DemoLine:
    article: str
    quantity: Decimal
    price: Decimal  # the agreed unit price with VAT

    @property
    def amount(self) -> Decimal:
        return kopecks(self.quantity * self.price)

    def vat(self, rate: int) -> Decimal:
        """VAT inside the amount: amount × rate / (100 + rate)."""
        return kopecks(self.amount * rate / (100 + rate))


@dataclass(frozen=True)
class DemoPayment:
    moment: datetime
    amount: Decimal | None = None  # None: the whole order
    kind: str = "bank"  # bank / cash


@dataclass(frozen=True)
class DemoDeal:
    """One deal of the client and the 1C order made for it (``family``: "ut" or "bp", the base it sells through).

    ``stage`` is where a manager has the deal given what 1C did: paid in full → won, paid in part → in work,
    shipped and awaiting payment → final invoice, given up → lost (and the order closed in 1C, its rows cancelled:
    УТ 11 orders only, a БП 3.0 invoice has no status).
    """

    title: str
    family: str
    stage: str
    opened: datetime
    ordered: datetime
    lines: tuple[DemoLine, ...]
    payments: tuple[DemoPayment, ...] = ()
    shipped: datetime | None = None
    closed: bool = False

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))


SELLERS = (
    DemoSeller("ut", "ООО «Ромашка»", "Общество с ограниченной ответственностью «Ромашка»", "7715432107",
               "771501001"),
    DemoSeller("bp", "ООО «Ромашка-Сервис»", "Общество с ограниченной ответственностью «Ромашка-Сервис»",
               "7715876543", "771501001"),
)


def seller(family: str) -> DemoSeller:
    return next(s for s in SELLERS if s.family == family)


CLIENT = DemoClient(
    title="ООО «Вектор-Снаб»",
    full_name="Общество с ограниченной ответственностью «Вектор-Снаб»",
    inn="7728451900",
    kpp="772801001",
    ogrn="1187746512345",
    director="Соколов А. В.",
    phone="+74957301842",
    email="zakupki@vektor-snab.example.ru",
)

ITEMS = (
    DemoItem("ВС-1001", "Кабель ВВГнг(А)-LS 3x1,5 (бухта 100 м)", "006", 20, Decimal("98.40")),
    DemoItem("ВС-1002", "Труба гофрированная ПНД 20 мм", "006", 20, Decimal("41.90")),
    DemoItem("ВС-1003", "Смесь штукатурная гипсовая 30 кг", "796", 20, Decimal("560.00")),
    DemoItem("ВС-1004", "Дюбель-гвоздь 6x40 (упаковка 100 шт)", "778", 20, Decimal("312.50")),
    DemoItem("ВС-1005", "Перфоратор SDS-plus 1100 Вт", "796", 20, Decimal("8990.00")),
    DemoItem("ВС-1006", "Автоматический выключатель 1P 16А", "796", 20, Decimal("214.35")),
)


def item(article: str) -> DemoItem:
    return next(i for i in ITEMS if i.article == article)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute)


def _line(article: str, quantity: str, price: str | None = None) -> DemoLine:
    return DemoLine(article, Decimal(quantity), Decimal(price) if price else item(article).price)


DEALS = (
    DemoDeal("Кабель и гофра для ЖК «Северный»", "ut", "WON", _at(5, 10), _at(6, 11, 20),
             (_line("ВС-1001", "300"), _line("ВС-1002", "120"), _line("ВС-1006", "24", "205.00")),
             payments=(DemoPayment(_at(8, 14, 5)),), shipped=_at(9, 9, 40)),
    DemoDeal("Отделочные материалы для склада", "ut", "EXECUTING", _at(12, 9, 30), _at(13, 10, 15),
             (_line("ВС-1003", "40"), _line("ВС-1004", "25")),
             payments=(DemoPayment(_at(15, 12, 0), Decimal("10000.00")),)),
    DemoDeal("Инструмент для монтажной бригады", "ut", "FINAL_INVOICE", _at(16, 11), _at(19, 16, 45),
             (_line("ВС-1005", "4"),), shipped=_at(21, 10, 30)),
    DemoDeal("Кабель для объекта на Лесной", "ut", "LOSE", _at(20, 15), _at(22, 9, 50),
             (_line("ВС-1001", "500", "95.00"),), closed=True),
    DemoDeal("Электромонтажные материалы (сервис)", "bp", "EXECUTING", _at(23, 10), _at(26, 13, 10),
             (_line("ВС-1006", "60"), _line("ВС-1002", "200", "39.50")),
             payments=(DemoPayment(_at(28, 11, 25), Decimal("5000.00"), kind="cash"),), shipped=_at(27, 15, 0)),
)


# -- the counterparty preview's example (issue 14) ---------------------------------------------------------------


@dataclass(frozen=True)
class DemoCard:
    """A CRM company as a manager typed it, before the app ever loaded 1C's counterparties."""

    title: str
    inn: str = ""  # its requisite's RQ_INN; "" = the card has no requisite
    kpp: str = ""
    phone: str = ""


@dataclass(frozen=True)
class DemoParty:
    """A counterparty of the demo's УТ 11 base (`onec` False: none) and the CRM cards that already know it, so the
    first-load preview has every kind of match to show: the same INN + KPP, the same INN with another KPP (a
    branch's card), a name only, and a pair of CRM cards sharing a phone."""

    title: str  # 1C Description
    full_name: str  # 1C НаименованиеПолное
    inn: str  # valid 10-digit ИНН (FNS check digit)
    kpp: str
    phone: str
    email: str
    cards: tuple[DemoCard, ...] = ()
    onec: bool = True


PARTIES = (
    DemoParty("ООО «Гранит-Строй»", "Общество с ограниченной ответственностью «Гранит-Строй»", "7704231712",
              "770401001", "+7 495 611-20-30", "office@granit-stroy.example.ru",
              cards=(DemoCard("Гранит-Строй", "7704231712", "770401001", "+7 (495) 611-20-30"),)),
    DemoParty("АО «Меридиан»", "Акционерное общество «Меридиан»", "7719375570", "771901001", "+7 495 702-44-10",
              "info@meridian.example.ru",
              cards=(DemoCard("АО Меридиан", "7719375570", "771901001"),)),
    DemoParty("ООО «Северная звезда»", "Общество с ограниченной ответственностью «Северная звезда»", "7810150180",
              "781001001", "+7 812 320-15-15", "zakaz@sev-zvezda.example.ru",
              cards=(DemoCard("Северная звезда, филиал в Москве", "7810150180", "771001001", "+7 495 980-15-15"),)),
    DemoParty("ООО «Технолайн»", "Общество с ограниченной ответственностью «Технолайн»", "7725400591", "772501001",
              "+7 495 255-71-00", "sales@technoline.example.ru",
              cards=(DemoCard("Технолайн ООО"),)),
    DemoParty("ООО «Стройресурс»", "Общество с ограниченной ответственностью «Стройресурс»", "7733454706",
              "773301001", "+7 495 640-12-34", "snab@stroyresurs.example.ru", onec=False,
              cards=(DemoCard("Стройресурс", phone="+7 (495) 640-12-34"),
                     DemoCard("Стройресурс (старая карточка)", phone="8 495 640 12 34"))),
)
