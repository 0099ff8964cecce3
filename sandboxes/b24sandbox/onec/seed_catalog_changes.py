"""Changes to the catalog the way 1C users make them, for tests of change detection (control API
`POST /_sandbox/<base>/catalog/<action>`, JSON body):

- `catalog/item` — `{"name": "…", "article": "…", "unit": "796", "group": "<folder Ref_Key>", "service": false}`:
  a new item (answers its Ref_Key, Code and DataVersion);
- `catalog/rename` — `{"item": "<Ref_Key>", "name": "…"}`: a new Description (and full name);
- `catalog/delete` — `{"item": "<Ref_Key>", "deleted": true}`: the deletion mark set (or cleared); 1C never
  deletes an item that documents refer to, users mark it;
- `catalog/price` — `{"item": "<Ref_Key>", "price_type": "<Ref_Key>", "price": 123.45, "period": "…"?}`: a new
  record of the price register (the records of a new price-setting document where the register is
  recorder-subordinate, УТ / БП; a record keyed by period and dimensions in УНФ); earlier records stay, so the
  latest slice changes and the history grows;
- `catalog/stock` — `{"item": "<Ref_Key>", "warehouse": "<Ref_Key>", "quantity": -3, "characteristic": "…"?,
  "amount": 0}`: a posted surplus (quantity > 0) or shortage (< 0) document moving the stock register (БП: account
  41.01).

Every change writes a new DataVersion where 1C writes one: on the item itself for the catalog changes, on the
(unpublished) document for prices and stock, whose records carry no DataVersion (platform docs 17.4.3: it is a
property of objects, not of register records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from b24sandbox.onec import facts, seed
from b24sandbox.onec import values as published
from b24sandbox.onec.control import ControlError
from b24sandbox.onec.schema import EMPTY_REF
from b24sandbox.onec.seed_catalog import (
    ITEMS,
    KINDS,
    PRICES,
    SHORTAGE,
    SURPLUS,
    Item,
    StockLine,
    item_values,
    names_of,
    price_records,
    write_stock,
)
from b24sandbox.onec.store import Base

Action = Callable[[Base, dict], dict]


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _item(base: Base, data: dict) -> dict:
    row = base.lookup(ITEMS, str(data.get("item", "")))
    if row is None or row.get("IsFolder"):
        raise ControlError(404, f"no item {data.get('item')!r} in {ITEMS} of base {base.name}")
    return row


def _ref(base: Base, set_name: str, key: object, what: str) -> dict:
    row = base.lookup(set_name, str(key or ""))
    if row is None:
        raise ControlError(404, f"no {what} {key!r} in {set_name} of base {base.name}")
    return row


def _number(data: dict, name: str) -> float:
    try:
        return float(data[name])
    except (KeyError, TypeError, ValueError) as exc:
        raise ControlError(400, f"{name} must be a number") from exc


def _touch(base: Base, row: dict) -> str:
    row["DataVersion"] = base.next_version()
    base.counters.updated += 1
    return row["DataVersion"]


def period_of(base: Base, moment: dt.datetime) -> dt.datetime:
    """The period 1C stores for a record written at `moment`: the start of the register's periodicity (БП's
    ЦеныНоменклатуры is periodic by Day, УТ's and УНФ's by Second: facts)."""
    register = facts.load(base.config.release).by_entity_set(PRICES)
    periodicity = register.periodicity if register is not None else "Second"
    if periodicity == "Day":
        return moment.replace(hour=0, minute=0, second=0)
    if periodicity == "Month":
        return moment.replace(day=1, hour=0, minute=0, second=0)
    return moment


def _first(base: Base, set_name: str, match: Callable[[dict], bool]) -> str:
    table = base.tables.get(set_name)
    for row in table.iter_from() if table is not None else ():
        if match(row):
            return row["Ref_Key"]
    return EMPTY_REF


def _vat(base: Base) -> object:
    """The standard 20 % rate in the form the configuration keeps it (seed_catalog.item_values)."""
    if base.config.family != "ut":
        return "Общая"
    if base.obj("Catalog_СтавкиНДС") is None:
        return "НДС20"
    return _first(base, "Catalog_СтавкиНДС", lambda r: r.get("ПеречислениеСтавкаНДС") == "НДС20")


def add_item(base: Base, data: dict) -> dict:
    name = str(data.get("name", "")).strip()
    if not name:
        raise ControlError(400, "name is required")
    names = names_of(base)
    unit_code = str(data.get("unit", "796"))
    unit = _first(base, names.units, lambda r: r.get("Code") == unit_code)
    if unit == EMPTY_REF:
        raise ControlError(404, f"no unit with ОКЕИ code {unit_code!r} in {names.units}")
    group = str(data.get("group") or EMPTY_REF)
    if group != EMPTY_REF and not (base.lookup(ITEMS, group) or {}).get("IsFolder"):
        raise ControlError(404, f"no group {group!r} in {ITEMS}")
    service = bool(data.get("service", False))
    family = base.config.family
    kind = _first(base, KINDS, (lambda r: r.get("ТипНоменклатуры") == ("Услуга" if service else "Товар"))
                  if family == "ut" else (lambda r: bool(r.get("Услуга")) == service))
    codes = [int(r["Code"][3:]) for r in base.table(ITEMS).rows.values()
             if str(r.get("Code", "")).startswith("00-") and r["Code"][3:].isdigit()]
    values = item_values(base, code=f"00-{max(codes, default=0) + 1:08d}", name=name,
                         article=str(data.get("article", "")), parent=group, unit=unit, service=service,
                         vat=_vat(base), variants=False, kind=kind)
    obj = base.config.objects[ITEMS]
    row = seed.blank_row(obj)
    row.update({table: [] for table in obj.tables})
    row["Ref_Key"] = base.new_guid()
    row["DataVersion"] = base.next_version()
    row.update(published.fit(base, obj, values))
    base.table(ITEMS).put(row["Ref_Key"], row)
    base.counters.created += 1
    return {"Ref_Key": row["Ref_Key"], "Code": row.get("Code", ""), "DataVersion": row["DataVersion"]}


def rename_item(base: Base, data: dict) -> dict:
    row = _item(base, data)
    name = str(data.get("name", "")).strip()
    if not name:
        raise ControlError(400, "name is required")
    row["Description"] = name
    if "НаименованиеПолное" in row:
        row["НаименованиеПолное"] = name
    return {"Ref_Key": row["Ref_Key"], "Description": name, "DataVersion": _touch(base, row)}


def mark_item(base: Base, data: dict) -> dict:
    row = _item(base, data)
    row["DeletionMark"] = bool(data.get("deleted", True))
    return {"Ref_Key": row["Ref_Key"], "DeletionMark": row["DeletionMark"], "DataVersion": _touch(base, row)}


def change_price(base: Base, data: dict) -> dict:
    row = _item(base, data)
    names = names_of(base)
    kind = _ref(base, names.price_types, data.get("price_type"), "price type")["Ref_Key"]
    price = round(_number(data, "price"), 2)
    if price < 0:
        raise ControlError(400, "price must not be negative")
    moment = period_of(base, dt.datetime.fromisoformat(str(data["period"])) if data.get("period") else _now())
    recorder = base.new_guid()
    table = base.table(PRICES)
    for key, record in price_records(base, moment, [(Item(row, False, price), kind, price)], recorder):
        table.put(key, record)
    return {"Period": moment.isoformat(), "Recorder": recorder, "price": price, "DataVersion": base.next_version()}


def change_stock(base: Base, data: dict) -> dict:
    row = _item(base, data)
    names = names_of(base)
    warehouse = _ref(base, names.warehouses, data.get("warehouse"), "warehouse")["Ref_Key"]
    quantity = _number(data, "quantity")
    if quantity == 0:
        raise ControlError(400, "quantity must not be zero")
    characteristic = str(data.get("characteristic") or EMPTY_REF)
    amount = abs(float(data.get("amount", 0) or 0)) * (1 if quantity > 0 else -1)
    document = (SURPLUS if quantity > 0 else SHORTAGE)[base.config.family]
    organization = min(base.table("Catalog_Организации").rows)
    line = StockLine(row["Ref_Key"], characteristic, warehouse, quantity, amount)
    recorder = write_stock(base, document, organization, _now(), [line])
    base.counters.posted += 1
    return {"Recorder": recorder, "document": document, "quantity": quantity, "DataVersion": base.next_version()}


def actions() -> dict[str, Action]:
    return {"catalog/item": add_item, "catalog/rename": rename_item, "catalog/delete": mark_item,
            "catalog/price": change_price, "catalog/stock": change_stock}
