"""Deterministic demo data: companies with requisites, contacts, deals in two pipelines.

The same seed gives the same portal, byte for byte, so tests can name records by ID.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def build(seed: int, companies: int, deals: int) -> SeedRecords:
    """Build the demo records (without IDs; the tables number them 1..n in this order)."""
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
    return SeedRecords(company_rows, contact_rows, deal_rows, requisite_rows)
