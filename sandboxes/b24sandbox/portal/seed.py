"""Deterministic demo data: companies with requisites, contacts, deals in two pipelines.

The same seed gives the same portal, byte for byte, so tests can name records by ID. With ``demo`` the first
company and the first deals tell the demo's story instead (b24sandbox/demo_scenario.py, which the sandbox 1C is
seeded from too), with catalog products and product rows; every other record stays what the seed makes it.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from b24sandbox import demo_scenario
from b24sandbox.portal.clock import PORTAL_TZ


# Default pipeline stages (ENTITY_ID DEAL_STAGE) and the extra pipeline 1 (DEAL_STAGE_1), with their
# semantics: crm.status.list, api-reference/crm/status/crm-status-list.md; STAGE_SEMANTIC_ID P/S/F from
# crm-deal-get.md.
@dataclass(frozen=True)
class Stage:
    status_id: str
    name: str
    sort: int
    semantics: str  # "P" in progress, "S" success, "F" failure
    color: str


DEFAULT_STAGES = (
    Stage("NEW", "Новая", 10, "P", "#39A8EF"),
    Stage("PREPARATION", "Подготовка документов", 20, "P", "#2FC6F6"),
    Stage("PREPAYMENT_INVOICE", "Счёт на предоплату", 30, "P", "#55D0E0"),
    Stage("EXECUTING", "В работе", 40, "P", "#47E4C2"),
    Stage("FINAL_INVOICE", "Финальный счёт", 50, "P", "#FFA900"),
    Stage("WON", "Сделка успешна", 60, "S", "#7BD500"),
    Stage("LOSE", "Сделка провалена", 70, "F", "#FF5752"),
    Stage("APOLOGY", "Анализ причины провала", 80, "F", "#FF5752"),
)

CATEGORY_ONE_STAGES = (
    Stage("C1:NEW", "Заявка", 10, "P", "#39A8EF"),
    Stage("C1:PREPARATION", "Согласование", 20, "P", "#2FC6F6"),
    Stage("C1:EXECUTING", "Отгрузка", 30, "P", "#47E4C2"),
    Stage("C1:WON", "Оплачено", 40, "S", "#7BD500"),
    Stage("C1:LOSE", "Отказ", 50, "F", "#FF5752"),
)

CATEGORIES = ((0, "Общая", 100), (1, "Оптовые продажи", 200))

_NAME_ROOTS = (
    "Вектор",
    "Альфа",
    "Север",
    "Гранит",
    "Меридиан",
    "Горизонт",
    "Импульс",
    "Сфера",
    "Ресурс",
    "Прогресс",
    "Орион",
    "Восток",
    "Кварц",
    "Стандарт",
    "Титан",
    "Феникс",
    "Янтарь",
    "Лидер",
    "Континент",
    "Полюс",
)
_NAME_TAILS = ("Трейд", "Строй", "Снаб", "Логистик", "Пром", "Сервис", "Групп", "Маркет", "Технологии", "Агро")
_FORMS = ("ООО", "АО", "ПАО")
_FULL_FORMS = {
    "ООО": "Общество с ограниченной ответственностью",
    "АО": "Акционерное общество",
    "ПАО": "Публичное акционерное общество",
}
_FIRST = ("Иван", "Анна", "Сергей", "Мария", "Алексей", "Елена", "Дмитрий", "Ольга", "Павел", "Наталья")
_LAST_M = ("Иванов", "Петров", "Смирнов", "Кузнецов", "Соколов", "Попов", "Лебедев", "Козлов", "Новиков")
_POSTS = ("Генеральный директор", "Главный бухгалтер", "Менеджер по закупкам", "Коммерческий директор")
_DEAL_WORDS = ("Поставка", "Отгрузка", "Договор", "Заказ", "Спецификация")
_GOODS = ("бумаги А4", "картриджей", "металлопроката", "стройматериалов", "оргтехники", "упаковки", "кабеля")

BASE_TIME = datetime(2026, 1, 12, 9, 0, tzinfo=PORTAL_TZ)

# Who is responsible for the seeded records: the portal's users take turns (state.USERS: 1 the administrator,
# 2 and 3 the sales managers), so per-user CRM access (permissions.py) has records of every owner to work on.
# These are pure functions of the seed and the record's position; they never draw from the data generator's
# random stream, so titles, sums and links stay exactly what they were when every record was user 1's.
OWNERS = (1, 2, 3)
CLOSED_COMPANY_EVERY = 5  # every fifth company is not "available to everyone" (OPENED = "N")


def owner_for(seed: int, index: int) -> str:
    """ASSIGNED_BY_ID of the record at 0-based ``index``: round robin over OWNERS, the seed turning the wheel."""
    return str(OWNERS[(index + seed - 1) % len(OWNERS)])


def company_opened(seed: int, index: int) -> str:
    """OPENED of the company at 0-based ``index``: "N" for every CLOSED_COMPANY_EVERY-th one, else "Y"."""
    return "N" if (index + seed) % CLOSED_COMPANY_EVERY == 0 else "Y"


def member_id_for(seed: int) -> str:
    """The portal's fixed 32-hex member_id for a seed."""
    return hashlib.sha256(f"b24-1c-sandbox-portal:{seed}".encode()).hexdigest()[:32]


def company_inn(rng: random.Random) -> str:
    """A valid 10-digit INN of a legal entity (check digit per the FNS algorithm)."""
    digits = [rng.randint(0, 9) for _ in range(9)]
    digits[0] = rng.randint(1, 9)
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 % 10
    return "".join(map(str, digits)) + str(check)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass
class SeedRecords:
    companies: list[dict[str, object]]
    contacts: list[dict[str, object]]
    deals: list[dict[str, object]]
    requisites: list[dict[str, object]]
    products: list[dict[str, object]] = field(default_factory=list)  # crm.product fields, ids from FIRST_PRODUCT_ID
    product_rows: dict[int, list[dict[str, object]]] = field(default_factory=dict)  # deal ID -> its rows


def build(seed: int, companies: int, deals: int, demo: bool = False) -> SeedRecords:
    """Build the records (without IDs; the tables number them 1..n in this order)."""
    rng = random.Random(seed)
    company_rows: list[dict[str, object]] = []
    requisite_rows: list[dict[str, object]] = []
    contact_rows: list[dict[str, object]] = []
    for index in range(companies):
        root = _NAME_ROOTS[index % len(_NAME_ROOTS)]
        tail = _NAME_TAILS[(index // len(_NAME_ROOTS) + rng.randint(0, 9)) % len(_NAME_TAILS)]
        form = _FORMS[0] if rng.random() < 0.8 else _FORMS[rng.randint(1, 2)]
        short = f"{root}{tail.lower()}" if index >= len(_NAME_ROOTS) else f"{root}-{tail}"
        title = f'{form} "{short}"'
        created = BASE_TIME + timedelta(hours=index * 5)
        company_rows.append(
            {
                "TITLE": title,
                "COMPANY_TYPE": "CUSTOMER",
                "INDUSTRY": "MANUFACTURING",
                "REVENUE": f"{rng.randint(5, 900) * 100000:.2f}",
                "CURRENCY_ID": "RUB",
                "COMMENTS": "",
                "OPENED": company_opened(seed, index),
                "ASSIGNED_BY_ID": owner_for(seed, index),
                "CREATED_BY_ID": "1",
                "MODIFY_BY_ID": "1",
                "DATE_CREATE": _stamp(created),
                "DATE_MODIFY": _stamp(created),
                "ORIGINATOR_ID": None,
                "ORIGIN_ID": None,
                "PHONE": [
                    {
                        "ID": str(index * 2 + 1),
                        "VALUE_TYPE": "WORK",
                        "VALUE": f"+7495{rng.randint(1000000, 9999999)}",
                        "TYPE_ID": "PHONE",
                    }
                ],
                "EMAIL": [
                    {
                        "ID": str(index * 2 + 2),
                        "VALUE_TYPE": "WORK",
                        "VALUE": f"info{index + 1}@example.ru",
                        "TYPE_ID": "EMAIL",
                    }
                ],
            }
        )
        inn = company_inn(rng)
        requisite_rows.append(
            {
                "ENTITY_TYPE_ID": "4",
                "ENTITY_ID": str(index + 1),
                "PRESET_ID": "1",
                "NAME": "Организация",
                "CODE": None,
                "XML_ID": None,
                "ACTIVE": "Y",
                "SORT": "500",
                "DATE_CREATE": _stamp(created),
                "DATE_MODIFY": None,
                "CREATED_BY_ID": "1",
                "MODIFY_BY_ID": None,
                "RQ_COMPANY_NAME": title,
                "RQ_COMPANY_FULL_NAME": f'{_FULL_FORMS[form]} "{short}"',
                "RQ_INN": inn,
                "RQ_KPP": f"{inn[:4]}01001",
                "RQ_OGRN": f"1{rng.randint(10**11, 10**12 - 1)}",
                "RQ_OKPO": "",
                "RQ_DIRECTOR": f"{rng.choice(_LAST_M)} {rng.choice(_FIRST)[0]}.",
            }
        )
        first = rng.choice(_FIRST)
        last = rng.choice(_LAST_M) + ("а" if first in ("Анна", "Мария", "Елена", "Ольга", "Наталья") else "")
        contact_rows.append(
            {
                "NAME": first,
                "SECOND_NAME": "",
                "LAST_NAME": last,
                "POST": rng.choice(_POSTS),
                "COMPANY_ID": str(index + 1),
                "TYPE_ID": "CLIENT",
                "COMMENTS": "",
                # The company's contact person is looked after by whoever looks after the company.
                "OPENED": company_opened(seed, index),
                "ASSIGNED_BY_ID": owner_for(seed, index),
                "CREATED_BY_ID": "1",
                "MODIFY_BY_ID": "1",
                "DATE_CREATE": _stamp(created),
                "DATE_MODIFY": _stamp(created),
                "ORIGINATOR_ID": None,
                "ORIGIN_ID": None,
                "PHONE": [
                    {
                        "ID": str(10000 + index),
                        "VALUE_TYPE": "WORK",
                        "VALUE": f"+7916{rng.randint(1000000, 9999999)}",
                        "TYPE_ID": "PHONE",
                    }
                ],
                "EMAIL": [],
            }
        )
    deal_rows: list[dict[str, object]] = []
    for index in range(deals):
        in_extra = rng.random() < 0.25
        stage = rng.choice(CATEGORY_ONE_STAGES if in_extra else DEFAULT_STAGES)
        company_no = rng.randint(1, companies) if companies else 0
        created = BASE_TIME + timedelta(minutes=index * 37)
        begin = created.replace(hour=0, minute=0, second=0)
        deal_rows.append(
            {
                "TITLE": f"{rng.choice(_DEAL_WORDS)} {rng.choice(_GOODS)} №{index + 1}",
                "TYPE_ID": "SALE",
                "CATEGORY_ID": "1" if in_extra else "0",
                "STAGE_ID": stage.status_id,
                "STAGE_SEMANTIC_ID": stage.semantics,
                "IS_NEW": "Y" if stage.status_id.endswith("NEW") else "N",
                "PROBABILITY": None,
                "CURRENCY_ID": "RUB",
                "OPPORTUNITY": f"{rng.randint(10, 5000) * 100 + rng.choice((0, 50)):.2f}",
                "IS_MANUAL_OPPORTUNITY": "Y",
                "TAX_VALUE": "0.00",
                "COMPANY_ID": str(company_no) if company_no else "0",
                "CONTACT_ID": str(company_no) if company_no else None,
                "BEGINDATE": _stamp(begin),
                "CLOSEDATE": _stamp(begin + timedelta(days=14)),
                "OPENED": "Y",
                "CLOSED": "Y" if stage.semantics != "P" else "N",
                "COMMENTS": "",
                "ASSIGNED_BY_ID": owner_for(seed, index),
                "CREATED_BY_ID": "1",
                "MODIFY_BY_ID": "1",
                "DATE_CREATE": _stamp(created),
                "DATE_MODIFY": _stamp(created),
                "SOURCE_ID": "CALL",
                "ORIGINATOR_ID": None,
                "ORIGIN_ID": None,
            }
        )
    records = SeedRecords(company_rows, contact_rows, deal_rows, requisite_rows)
    if demo:
        tell_demo(records)
    return records


# -- the demo's story ---------------------------------------------------------------------------------------
DEMO_COMPANY_ID = 1
# A sandbox choice, not a portal fact: catalog element ids (products, whichever API adds them) start at 1001, so a
# client that mixes them up with deal ids (which start at 1 here) finds nothing instead of the wrong record. The
# seeded products are the catalog's first elements, in the order of demo_scenario.ITEMS.
FIRST_PRODUCT_ID = 1001
_STAGES = {s.status_id: s for s in DEFAULT_STAGES}
# ОКЕИ code -> the short name Bitrix24 shows with a product row (MEASURE_NAME; crm-deal-productrows-set.md).
_MEASURE_NAMES = {"796": "шт", "166": "кг", "006": "м", "112": "л", "055": "м2", "113": "м3", "168": "т",
                  "778": "упак"}


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def tell_demo(records: SeedRecords) -> None:
    """Company 1 becomes the demo's client and deals 1..n its deals, with the catalog products and rows they sell.

    Deals are in the default pipeline; their amount follows their rows (IS_MANUAL_OPPORTUNITY "N", as when
    rows are added in the card) and TAX_VALUE is the VAT inside it (crm-deal-get.md).
    """
    if not records.companies or len(records.deals) < len(demo_scenario.DEALS):
        raise ValueError(f"the demo needs a company and {len(demo_scenario.DEALS)} deals")
    client = demo_scenario.CLIENT
    company, requisite = records.companies[0], records.requisites[0]
    company.update({"TITLE": client.title, "COMPANY_TYPE": "CUSTOMER", "INDUSTRY": "OTHER"})
    company["PHONE"][0]["VALUE"] = client.phone  # type: ignore[index]
    company["EMAIL"][0]["VALUE"] = client.email  # type: ignore[index]
    requisite.update({"RQ_COMPANY_NAME": client.title, "RQ_COMPANY_FULL_NAME": client.full_name,
                      "RQ_INN": client.inn, "RQ_KPP": client.kpp, "RQ_OGRN": client.ogrn,
                      "RQ_DIRECTOR": client.director})
    product_ids = {}
    for n, item in enumerate(demo_scenario.ITEMS):
        stamp = _stamp(BASE_TIME)
        # crm.product.add's fields: the portal writes them into its product catalog (methods_catalog_crm.py).
        records.products.append({
            "NAME": item.name, "XML_ID": item.article, "ACTIVE": "Y", "PRICE": float(item.price),
            "CURRENCY_ID": "RUB", "MEASURE": None, "VAT_ID": None, "VAT_INCLUDED": "Y", "SECTION_ID": None,
            "SORT": "500", "DESCRIPTION": None, "DATE_CREATE": stamp, "TIMESTAMP_X": stamp})
        product_ids[item.article] = FIRST_PRODUCT_ID + n
    row_id = 0
    for deal_id, story in enumerate(demo_scenario.DEALS, start=1):
        stage = _STAGES[story.stage]
        opened = story.opened.replace(tzinfo=PORTAL_TZ)
        # A closed deal closed on the day of the last thing 1C did about it; an open one is planned a month out.
        events = [story.ordered, *(p.moment for p in story.payments), *([story.shipped] if story.shipped else [])]
        closing = max(events).replace(tzinfo=PORTAL_TZ) if stage.semantics != "P" else opened + timedelta(days=30)
        vat = sum((line.vat(demo_scenario.item(line.article).vat_rate) for line in story.lines), Decimal("0"))
        records.deals[deal_id - 1].update({
            "TITLE": story.title, "CATEGORY_ID": "0", "STAGE_ID": stage.status_id,
            "STAGE_SEMANTIC_ID": stage.semantics, "IS_NEW": "N", "CURRENCY_ID": "RUB",
            "OPPORTUNITY": _money(story.amount), "IS_MANUAL_OPPORTUNITY": "N", "TAX_VALUE": _money(vat),
            "COMPANY_ID": str(DEMO_COMPANY_ID), "CONTACT_ID": str(DEMO_COMPANY_ID),
            "BEGINDATE": _stamp(opened.replace(hour=0, minute=0)), "CLOSEDATE": _stamp(closing.replace(
                hour=0, minute=0)), "CLOSED": "Y" if stage.semantics != "P" else "N",
            "ASSIGNED_BY_ID": company["ASSIGNED_BY_ID"],  # the client's manager runs its deals
            "DATE_CREATE": _stamp(opened), "DATE_MODIFY": _stamp(max(events).replace(tzinfo=PORTAL_TZ))})
        rows = []
        for sort, line in enumerate(story.lines, start=1):
            row_id += 1
            rows.append(_product_row(row_id, deal_id, product_ids[line.article], line, sort))
        records.product_rows[deal_id] = rows


def _product_row(row_id: int, deal_id: int, product_id: int, line: demo_scenario.DemoLine,
                 sort: int) -> dict[str, object]:
    """A deal product row as crm.deal.productrows.get returns it: the price with VAT included (TAX_INCLUDED Y)."""
    item = demo_scenario.item(line.article)
    price = float(line.price)
    return {
        "ID": str(row_id), "OWNER_ID": str(deal_id), "OWNER_TYPE": "D", "PRODUCT_ID": product_id,
        "PRODUCT_NAME": item.name, "ORIGINAL_PRODUCT_NAME": item.name, "PRODUCT_DESCRIPTION": None,
        "PRICE": price, "PRICE_EXCLUSIVE": price, "PRICE_NETTO": price, "PRICE_BRUTTO": price,
        "PRICE_ACCOUNT": f"{price:.2f}", "QUANTITY": float(line.quantity), "DISCOUNT_TYPE_ID": 2,
        "DISCOUNT_RATE": 0.0, "DISCOUNT_SUM": 0.0, "TAX_RATE": float(item.vat_rate), "TAX_INCLUDED": "Y",
        "CUSTOMIZED": "Y", "MEASURE_CODE": int(item.unit), "MEASURE_NAME": _MEASURE_NAMES[item.unit],
        "SORT": sort * 10, "XML_ID": None, "TYPE": 1, "STORE_ID": None}
