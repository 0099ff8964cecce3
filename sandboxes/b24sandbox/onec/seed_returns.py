"""Returns from customers in a seeded УТ 11 or БП 3.0 base: about one posted sale in twelve comes back, a third of
those in full, the rest one line in part, a few days after the sale.

The documents and their fields are the configurations' own (facts, ../facts/SOURCES.md): УТ 11
`Document_ВозвратТоваровОтКлиента` names the sale in `ДокументРеализации` (composite, РеализацияТоваровУслуг /
ОтчетОРозничныхПродажах) in the header and in each `Товары` row, operation `ХозяйственнаяОперация` =
ВозвратТоваровОтКлиента (enum ХозяйственныеОперации); БП 3.0 `Document_ВозвратТоваровОтПокупателя` names it in
`Сделка` (composite), operation `ВидОперации` = Товары (enum ВидыОперацийВозвратТоваровОтПокупателя). УНФ 3.0 keeps
a return as a goods receipt (`ПриходнаяНакладная`, operation ВозвратОтПокупателя): its base publishes the document,
the УНФ seed fills none.

A return is posted but moves no register here: the sandbox's settlement model (posting.py, accounting.py) does
not take returns into account, so the debt a base reports is that of its sales and receipts.

Randomness comes from a stream of its own, so the rest of the seed (numbers, sums, keys) stays as it was.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from b24sandbox.onec import values as published
from b24sandbox.onec.schema import EMPTY_REF
from b24sandbox.onec.store import Base

SALE = "Document_РеализацияТоваровУслуг"
SALE_TYPE = "StandardODATA." + SALE
RETURNS = {"ut": "Document_ВозвратТоваровОтКлиента", "bp": "Document_ВозвратТоваровОтПокупателя"}
SHARE = 1 / 12
FULL_SHARE = 1 / 3

Add = Callable[..., dict]
Line = Callable[..., dict]


def return_set(base: Base) -> str | None:
    """The customer-return document of the base's configuration, when the base publishes it."""
    set_name = RETURNS.get(base.config.family)
    return set_name if set_name and base.obj(set_name) is not None else None


def seed_returns(base: Base, add: Add, line: Line) -> list[dict]:
    """Posted returns against some posted sales of a freshly seeded base; `add` / `line` as in seed.Seeder."""
    set_name = return_set(base)
    if set_name is None:
        return []
    rng = random.Random(6151 + sum(map(ord, base.name)))
    sales = sorted((r for r in base.table(SALE).rows.values() if r.get("Posted")), key=lambda r: r["Date"])
    made = []
    for sale in sales:
        if rng.random() >= SHARE or not sale.get("Товары"):
            continue
        moment = (dt.datetime.fromisoformat(sale["Date"][:19]) + dt.timedelta(days=rng.randrange(1, 6))).isoformat()
        doc = make_return(base, sale, moment, full=rng.random() < FULL_SHARE, add=add, line=line)
        doc["Posted"] = True
        made.append(doc)
    return made


def make_return(base: Base, sale: dict, moment: str, *, full: bool, add: Add, line: Line) -> dict:
    """An unposted return of the whole sale (`full`) or of half the first line (at least one unit)."""
    set_name = return_set(base)
    if set_name is None:
        raise ValueError(f"base {base.name} publishes no customer-return document")
    rows = [dict(r) for r in sale["Товары"]] if full else [_part(sale["Товары"][0])]
    total = round(sum(float(r.get("Сумма", 0) or 0) for r in rows), 2)
    common = dict(Number=base.next_number(set_name, "ТД00" if base.config.family == "ut" else "0000"), Date=moment,
                  Организация_Key=published.ref(sale, "Организация"), Контрагент_Key=published.ref(sale, "Контрагент"),
                  Склад_Key=published.ref(sale, "Склад"), СуммаДокумента=total, Комментарий="Возврат от клиента")
    if base.config.family == "ut":
        typed = {"ДокументРеализации": sale["Ref_Key"], "ДокументРеализации_Type": SALE_TYPE}
        doc = add(set_name, Партнер_Key=published.ref(sale, "Партнер"), Валюта_Key=published.ref(sale, "Валюта"),
                  ЦенаВключаетНДС=True, ХозяйственнаяОперация="ВозвратТоваровОтКлиента", **typed, **common)
        for row in rows:
            line(doc, set_name, "Товары", **{k: row.get(k, EMPTY_REF) for k in (
                "Номенклатура_Key", "Упаковка_Key", "КоличествоУпаковок", "Количество", "Цена", "Сумма",
                "СтавкаНДС_Key", "СуммаНДС", "СуммаСНДС")}, Склад_Key=published.ref(sale, "Склад"), **typed)
    else:
        doc = add(set_name, ВидОперации="Товары", ДоговорКонтрагента_Key=published.ref(sale, "ДоговорКонтрагента"),
                  ВалютаДокумента_Key=published.ref(sale, "ВалютаДокумента"), СуммаВключаетНДС=True,
                  Сделка=sale["Ref_Key"], Сделка_Type=SALE_TYPE, **common)
        for row in rows:
            line(doc, set_name, "Товары", **{k: v for k, v in row.items() if k in (
                "Номенклатура_Key", "Количество", "Цена", "Сумма", "СтавкаНДС", "СуммаНДС")})
    return doc


def _part(row: dict) -> dict:
    """Half the line's quantity (at least one unit) at the line's price, VAT 20/120 of the sum as the seed writes."""
    quantity = max(1.0, float(int(float(row.get("Количество", 1) or 1) / 2)))
    price = float(row.get("Цена", 0) or 0)
    amount = round(quantity * price, 2)
    vat = round(amount * 20 / 120, 2)
    return {**row, "Количество": quantity, "КоличествоУпаковок": quantity, "Сумма": amount, "СуммаНДС": vat,
            "СуммаСНДС": amount}
