"""A CommerceML exchange as a catalog source (`core/catalog_model.CatalogSource`): the catalog load
(`sync/to_bitrix/catalog_load.pull_catalog`) reads it exactly as it reads 1C's OData, so what arrives by files
goes through the same links, fingerprints and portal writes, and the CRM sees the same result whichever route
the base uses.

Pages come from the staging table, a page of the exchange's items at a time (`commerceml/staging.py`). Each item
is merged with what the base's earlier exchanges said (the `commerceml_catalog` table), because an exchange of
changes only (СодержитТолькоИзменения="true") may name an item without its offers, or an offer's new price
without the item: the load must still see the whole item, or it would write empty stock over real stock. The
merged items are remembered for the next exchange.

- A full catalog (Каталог not "changes only") is the whole base: `complete` is true, and linked items it lacks are
  deactivated by the load, as on the OData route; a partial one deactivates nothing.
- A full offers package replaces an item's offers; a partial one replaces only the offers it names. Prices and
  stock are replaced only when the exchange carried any (a 3.1 exchange may come without its rests file).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from b24app.commerceml.staging import ITEM, Staging, decode_item, decode_reference
from b24app.core.catalog_model import Group, ItemFigures, ItemPage, PriceType, Unit, Variant, Warehouse, parents_first

PAGE = 500


class CommerceMLCatalog:
    """One exchange of one base, read for the catalog load. Call `settle_references` once before the load (the
    classifier's groups, units, price types and warehouses join the base's catalog), `forget_vanished` after a
    load of a full exchange."""

    def __init__(self, staging: Staging, member_id: str, base_id: int, exchange_id: str) -> None:
        self.staging = staging
        self.member_id = member_id
        self.base_id = base_id
        self.exchange_id = exchange_id
        files = staging.files(member_id, base_id, exchange_id)
        self.files = files
        self.complete = any(f.get("catalog_complete") is True for f in files)
        self.offers_complete = any(f.get("offers_complete") is True for f in files)
        self.has_prices = any(f.get("prices") for f in files)
        self.has_stock = any(f.get("stock_lines") for f in files)
        self._units: dict[str, Unit] | None = None

    # ------------------------------------------------------------------ the classifier

    def settle_references(self) -> None:
        for kind in ("group", "unit", "property", "price_type", "warehouse"):
            values: dict[str, dict] = {}
            for data in self.staging.staged_references(self.member_id, self.base_id, self.exchange_id, kind):
                values[data["key"]] = _named(data, values.get(data["key"]))
            known = self.staging.known(self.member_id, self.base_id, kind, list(values))
            values = {key: _named(data, known.get(key)) for key, data in values.items()}
            self.staging.remember(self.member_id, self.base_id, kind, values, known)
        self._units = None

    def _known(self, kind: str) -> list[Any]:
        return [decode_reference(kind, d) for _, d in sorted(self.staging.known(
            self.member_id, self.base_id, kind).items())]

    def units(self) -> dict[str, Unit]:
        if self._units is None:
            self._units = {u.key: u for u in self._known("unit")}
        return self._units

    def groups(self) -> list[Group]:
        """Groups, parents before children."""
        return parents_first({g.key: g for g in self._known("group")})

    def price_types(self) -> list[PriceType]:
        return self._known("price_type")

    def warehouses(self) -> list[Warehouse]:
        return self._known("warehouse")

    # ------------------------------------------------------------------ items

    def item_count(self) -> int:
        return self.staging.item_count(self.member_id, self.base_id, self.exchange_id)

    def item_keys(self) -> Iterator[str]:
        """The items the exchange names (for a full exchange: every item of the base)."""
        after: str | None = None
        while True:
            keys = self.staging.item_keys(self.member_id, self.base_id, self.exchange_id, after=after, limit=5000)
            if not keys:
                return
            yield from keys
            after = keys[-1]

    def item_pages(self, *, page_size: int = PAGE, price_types: Sequence[str] = (),
                   warehouses: Sequence[str] = ()) -> Iterator[ItemPage]:
        """The exchange's items in key order, each merged with what earlier exchanges said, and remembered."""
        after: str | None = None
        while True:
            keys = self.staging.item_keys(self.member_id, self.base_id, self.exchange_id, after=after,
                                          limit=page_size)
            if not keys:
                return
            rows: dict[str, list[tuple[str, str, dict]]] = {}
            for kind, key, part, data in self.staging.staged_rows(self.member_id, self.base_id, self.exchange_id,
                                                                  keys):
                rows.setdefault(key, []).append((kind, part, data))
            known = self.staging.known(self.member_id, self.base_id, ITEM, keys)
            merged = {key: self._merge(key, known.get(key), rows.get(key, [])) for key in keys}
            self.staging.remember(self.member_id, self.base_id, ITEM, merged, known)
            yield self._page(merged)
            after = keys[-1]

    def forget_vanished(self) -> int:
        """After a full exchange: items it did not name are gone from the base's catalog too."""
        if not self.complete:
            return 0
        return self.staging.forget_unstaged(self.member_id, self.base_id, self.exchange_id, ITEM, ("item", "offer"))

    def stock_of(self, keys: Sequence[str]) -> dict[tuple[str, str | None], dict[str, Decimal]]:
        """Stock of these items as the last exchange said, per (item, characteristic) and warehouse key."""
        out: dict[tuple[str, str | None], dict[str, Decimal]] = {}
        for key, state in self.staging.known(self.member_id, self.base_id, ITEM, list(dict.fromkeys(keys))).items():
            for part, offer in (state.get("offers") or {}).items():
                if offer.get("stock"):
                    out[(key, part or None)] = {w: Decimal(q) for w, q in offer["stock"].items()}
        return out

    def _merge(self, key: str, known: Mapping | None, rows: list[tuple[str, str, dict]]) -> dict:
        """The item as this exchange leaves it: its Товар if staged, else the known one; its offers replaced
        (full offers package) or updated (changes only) by the staged ones."""
        item = dict(known["item"]) if known and known.get("item") else None
        old_offers: dict[str, dict] = dict(known.get("offers") or {}) if known else {}
        offers = {} if self.offers_complete else dict(old_offers)
        touched: set[str] = set()
        for kind, part, data in rows:
            if kind == ITEM:
                item = dict(data)
                continue
            if part not in touched:
                touched.add(part)
                start = dict(old_offers.get(part) or {})
                if self.offers_complete:
                    # The full package's figures replace the old ones; what it did not carry is kept.
                    if self.has_prices:
                        start.pop("prices", None)
                    if self.has_stock:
                        start.pop("stock", None)
                offers[part] = start
            offers[part].update(data)
        if item is None or item.get("from_offer"):
            item = self._item_from_offers(key, offers) or item
        return {"item": item, "offers": offers}

    @staticmethod
    def _item_from_offers(key: str, offers: Mapping[str, dict]) -> dict | None:
        """An offer names an item no Товар has described yet (an offers-only exchange): the item as the offer
        describes it — name, article and unit — until a Товар comes."""
        offer = offers.get("") or next(iter(offers.values()), None)
        if offer is None:
            return None
        name = offer.get("name", "")
        variant = (offer.get("variant") or {}).get("name", "")
        if variant and name.endswith(f" ({variant})"):
            name = name[: -len(f" ({variant})")]
        return {"key": key, "name": name, "code": "", "article": offer.get("article", ""), "group": None,
                "unit": offer.get("unit"), "vat": "", "service": False, "deleted": False, "barcodes": [],
                "from_offer": True}

    def _page(self, merged: Mapping[str, dict]) -> ItemPage:
        units = self.units()
        page = ItemPage([])
        for key, state in merged.items():
            data = state.get("item")
            if not data:
                continue
            offers: dict[str, dict] = state.get("offers") or {}
            variants = tuple(Variant(key=part, name=(o.get("variant") or {}).get("name") or o.get("name", ""),
                                     article=o.get("article", ""), deleted=bool(o.get("deleted")),
                                     barcodes=tuple(sorted((o.get("variant") or {}).get("barcodes") or ())))
                             for part, o in sorted(offers.items()) if part)
            item = decode_item(data, variants)
            if item.unit is not None and not item.unit.name and item.unit.key in units:
                item = replace(item, unit=units[item.unit.key])
            page.items.append(item)
            for part, offer in offers.items():
                if offer.get("prices") or offer.get("stock"):
                    page.figures[(key, part or None)] = _figures(offer)
        return page


def _named(data: dict, earlier: dict | None) -> dict:
    """A 3.1 item names its unit by code alone ("796"): the classifier's unit of that code keeps its names."""
    return earlier if earlier and earlier.get("name") and not data.get("name") else data


def _figures(offer: Mapping) -> ItemFigures:
    return ItemFigures(prices={k: (Decimal(p), c) for k, (p, c) in (offer.get("prices") or {}).items()},
                       stock={k: Decimal(q) for k, q in (offer.get("stock") or {}).items()})
