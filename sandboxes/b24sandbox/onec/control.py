"""The sandbox's control API under `/_sandbox/`: fault switches, configuration changes, runtime seeding.

- `GET  /_sandbox/state` — per base: requests served, documents created / posted / unposted, faults, sizes.
- `POST /_sandbox/<base>/fault` — JSON with any of `down` (bool), `slow_ms` (int), `error500` (answer the
  next N requests with HTTP 500), `error500_rate` (0..1 share of requests), `unauthorized` (bool).
  `down` answers 503 with an HTML page, what a web server in front of an unreachable 1C server returns;
  the listening socket stays open because several bases share it.
- `POST /_sandbox/<base>/rename` — `{"entity": "Catalog_Контрагенты", "field": "ИНН", "to": "ИННКонтрагента"}`:
  a configuration update renaming an attribute, in metadata and data alike.
- `POST /_sandbox/<base>/unpublish` / `publish` — `{"entity": "…"}`: the object leaves / joins the standard
  interface's content.
- `POST /_sandbox/<base>/reset`, `POST /_sandbox/reset` — fresh seeded data, faults off, schema restored.
- `POST /_sandbox/<base>/seed/payment` — `{"order_number": "…", "sum": 1000.0, "kind": "bank|cash"}` posts a
  new receipt for that customer order (УТ 11 `ЗаказКлиента`, БП 3.0 `СчетНаОплатуПокупателю`).
- `POST /_sandbox/<base>/catalog/item|rename|delete|price|stock` — catalog changes as 1C users make them
  (seed_catalog_changes.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from b24sandbox.onec import posting, seed
from b24sandbox.onec import values as published
from b24sandbox.onec.errors import ODataError
from b24sandbox.onec.schema import ObjectDef
from b24sandbox.onec.store import Base


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def state(bases: dict[str, Base]) -> dict:
    out = {}
    for name, base in bases.items():
        out[name] = {
            "configuration": base.config.name,
            "requests": base.counters.requests,
            "documents_created": base.counters.created,
            "documents_posted": base.counters.posted,
            "documents_unposted": base.counters.unposted,
            "updated": base.counters.updated,
            "deleted": base.counters.deleted,
            "faults": vars(base.faults).copy(),
            "unpublished": sorted(set(base.config.objects) - base.published),
            "sizes": {k: len(v) for k, v in base.tables.items()},
        }
    return out


def set_faults(base: Base, data: dict) -> dict:
    faults = base.faults
    if "down" in data:
        faults.down = bool(data["down"])
    if "slow_ms" in data:
        faults.slow_ms = max(0, int(data["slow_ms"]))
    if "error500" in data:
        faults.error500_count = max(0, int(data["error500"]))
    if "error500_rate" in data:
        faults.error500_rate = min(1.0, max(0.0, float(data["error500_rate"])))
    if "unauthorized" in data:
        faults.unauthorized = bool(data["unauthorized"])
    return vars(faults).copy()


def _object(base: Base, data: dict) -> ObjectDef:
    obj = base.obj(str(data.get("entity", "")))
    if obj is None:
        raise ControlError(404, f"unknown entity {data.get('entity')!r} in base {base.name}")
    return obj


def rename(base: Base, data: dict) -> dict:
    """Rename an attribute of an object (the OData property names follow), data included."""
    obj = _object(base, data)
    field, new = str(data.get("field", "")), str(data.get("to", ""))
    attr = next((a for a in obj.columns() if field in (a.name, a.prop)), None)
    if attr is None or not new:
        raise ControlError(400, f"{obj.set_name} has no attribute {field!r} (or 'to' is empty)")
    new_name = new.removesuffix("_Key") if attr.kind == "ref" else new
    old_props = [p for p, _ in attr.props()]
    attr.name = new_name
    new_props = [p for p, _ in attr.props()]
    for row in base.table(obj.set_name).rows.values():
        for old, fresh in zip(old_props, new_props, strict=True):
            if old in row:
                row[fresh] = row.pop(old)
    return {"entity": obj.set_name, "renamed": dict(zip(old_props, new_props, strict=True))}


def publish(base: Base, data: dict, on: bool) -> dict:
    obj = _object(base, data)
    if on:
        base.published.add(obj.set_name)
    else:
        base.published.discard(obj.set_name)
    return {"entity": obj.set_name, "published": on}


def seed_payment(base: Base, data: dict) -> dict:
    """Create and post a receipt for the order with `order_number`; answers the new document's keys."""
    order_set = {"ut": "Document_ЗаказКлиента", "unf": "Document_ЗаказПокупателя"}.get(
        base.config.family, "Document_СчетНаОплатуПокупателю")
    number = str(data.get("order_number", ""))
    order = next((r for r in base.table(order_set).rows.values() if r["Number"] == number), None)
    if order is None:
        raise ControlError(404, f"no {order_set} numbered {number!r} in base {base.name}")
    kind = str(data.get("kind", "bank"))
    if kind not in ("bank", "cash"):
        raise ControlError(400, "kind must be 'bank' or 'cash'")
    try:
        amount = round(float(data["sum"]), 2)
    except (KeyError, TypeError, ValueError) as exc:
        raise ControlError(400, "sum must be a number") from exc

    def add(set_name: str, **values: object) -> dict:
        row = seed.blank_row(base.config.objects[set_name])
        for table in base.config.objects[set_name].tables:
            row[table] = []
        row["Ref_Key"] = base.new_guid()
        row["DataVersion"] = base.next_version()
        row.update(published.fit(base, base.config.objects[set_name], values))
        return row

    def line(doc: dict, set_name: str, table: str, **values: object) -> dict:
        row = {"Ref_Key": doc["Ref_Key"], "LineNumber": len(doc[table]) + 1}
        for attr in base.config.objects[set_name].tables[table]:
            row.update(attr.default_values())
        row.update(published.fit(base, base.config.objects[set_name], values, table))
        doc[table].append(row)
        return row

    moment = dt.datetime.now().replace(microsecond=0).isoformat()
    set_name, doc = seed.make_payment(base, order, amount, kind, moment, add=add, line=line)
    base.table(set_name).put(doc["Ref_Key"], doc)
    base.counters.created += 1
    try:
        posting.post(base, set_name, doc)
    except ODataError as exc:
        raise ControlError(exc.http_status, exc.message) from exc
    return {"entity": set_name, "Ref_Key": doc["Ref_Key"], "Number": doc["Number"], "sum": amount}


def base_actions() -> dict[str, Callable[[Base, dict], dict]]:
    from b24sandbox.onec import seed_catalog_changes  # builds on this module (ControlError)

    return {
        **seed_catalog_changes.actions(),
        "fault": set_faults,
        "rename": rename,
        "unpublish": lambda base, data: publish(base, data, False),
        "publish": lambda base, data: publish(base, data, True),
        "seed/payment": seed_payment,
    }
