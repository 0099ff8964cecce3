"""The catalog as the exchange sees it, whichever route brought it (1C OData now, CommerceML files later):
groups, items and their variants, units by OKEI code, price types and prices, warehouses and stock.

Small values with no behaviour beyond a fingerprint: the loader compares fingerprints with what it last wrote to
the portal, so an unchanged item costs no request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Protocol


def fingerprint(value: object) -> str:
    """A short stable digest of a value (dataclasses, dicts, lists of plain values)."""
    plain = asdict(value) if hasattr(value, "__dataclass_fields__") else value
    text = json.dumps(plain, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Group:
    """A folder of the nomenclature: becomes a catalog section."""

    key: str
    name: str
    parent: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class Unit:
    """A unit of measure; `okei` is the ОКЕИ code (None for a hand-made unit without one)."""

    key: str
    okei: int | None
    name: str
    symbol: str = ""


@dataclass(frozen=True)
class Item:
    """One nomenclature item. `vat` is the rate in percent, None for "без НДС", "" when 1C does not say."""

    key: str
    name: str
    code: str = ""
    article: str = ""
    group: str | None = None
    unit: Unit | None = None
    vat: Decimal | None | str = ""
    service: bool = False
    deleted: bool = False
    barcodes: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()

    @property
    def xml_id(self) -> str:
        """The portal's external code of the product: the 1C reference, stable across renames."""
        return self.key


@dataclass(frozen=True)
class Variant:
    """A characteristic of an item (size, colour): a product variation (offer) in the portal."""

    key: str
    name: str
    article: str = ""
    deleted: bool = False
    barcodes: tuple[str, ...] = ()


def variant_xml_id(item_key: str, variant_key: str) -> str:
    """The external code of an offer: "<item>#<characteristic>", as the CommerceML exchange writes it."""
    return f"{item_key}#{variant_key}"


@dataclass(frozen=True)
class PriceType:
    key: str
    name: str
    currency: str = "RUB"  # ISO 4217 letters
    includes_vat: bool = True
    deleted: bool = False


@dataclass(frozen=True)
class Price:
    item: str
    variant: str | None
    price_type: str
    price: Decimal
    currency: str = "RUB"


@dataclass(frozen=True)
class Warehouse:
    key: str
    name: str
    code: str = ""
    deleted: bool = False


@dataclass(frozen=True)
class StockLine:
    item: str
    variant: str | None
    warehouse: str
    quantity: Decimal


@dataclass
class ItemFigures:
    """An item's (or variant's) prices by price type and stock by warehouse, gathered from their registers."""

    prices: dict[str, tuple[Decimal, str]] = field(default_factory=dict)  # price type key -> (price, currency)
    stock: dict[str, Decimal] = field(default_factory=dict)  # warehouse key -> quantity


@dataclass
class ItemPage:
    """A page of items and the figures of each (item, variant) pair: variant None is the item itself."""

    items: list[Item]
    figures: dict[tuple[str, str | None], ItemFigures] = field(default_factory=dict)

    def of(self, item: str, variant: str | None = None) -> ItemFigures:
        return self.figures.setdefault((item, variant), ItemFigures())


class CatalogSource(Protocol):
    """Where the catalog load (`sync/to_bitrix/catalog_load.py`) reads a base's catalog: 1C's OData
    (`onec/catalog_reads.OneCCatalog`) or the files of a CommerceML exchange (`commerceml/catalog_source.py`).

    `complete` says whether the source holds the whole catalog: only then are linked items it lacks deactivated
    (a CommerceML exchange of changes only names some items; the rest are merely absent, not gone)."""

    complete: bool

    def units(self) -> dict[str, Unit]: ...

    def groups(self) -> list[Group]: ...

    def price_types(self) -> list[PriceType]: ...

    def warehouses(self) -> list[Warehouse]: ...

    def item_count(self) -> int: ...

    def item_keys(self) -> Iterator[str]: ...

    def item_pages(self, *, page_size: int = ..., price_types: Sequence[str] = (),
                   warehouses: Sequence[str] = ()) -> Iterator[ItemPage]: ...


def parents_first(groups: dict[str, Group]) -> list[Group]:
    """The groups ordered so that a parent always comes before its children (sections are created in that order);
    a cycle in the data is cut where it closes instead of recursing forever."""
    ordered: list[Group] = []
    placed: set[str] = set()

    def place(group: Group, trail: frozenset[str]) -> None:
        if group.key in placed or group.key in trail:
            return
        parent = groups.get(group.parent or "")
        if parent is not None:
            place(parent, trail | {group.key})
        placed.add(group.key)
        ordered.append(group)

    for group in groups.values():
        place(group, frozenset())
    return ordered
