"""The catalog as the exchange sees it, whichever route brought it (1C OData now, CommerceML files later):
groups, items and their variants, units by OKEI code, price types and prices, warehouses and stock.

Small values with no behaviour beyond a fingerprint: the loader compares fingerprints with what it last wrote to
the portal, so an unchanged item costs no request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal


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
