"""A portal's catalog settings: whether 1C's catalog and stock are loaded into the portal, which price types and
warehouses of each base, and which price type is the portal's base price. One section (`catalog`) of the portal
settings document (`core/portal_settings.py`); the catalog page (`web/catalog_page.py`) edits it and the catalog
stream (`sync/to_bitrix/catalog_load.py`) reads it. Bases are keyed by their id as a string, as elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_KEY = re.compile(r"[0-9a-fA-F-]{36}")
_BASE = re.compile(r"[0-9]{1,9}")
MAX_CHOSEN = 200


@dataclass(frozen=True)
class CatalogSettings:
    enabled: bool = False  # off until an administrator has looked at the preview and started the load
    # Base id -> the 1C price types loaded (Ref_Keys); a base not named loads every price type.
    price_types: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Base id -> the 1C price type whose prices are the portal's base price (else the first loaded).
    base_price_type: dict[str, str] = field(default_factory=dict)
    # Base id -> the 1C warehouses whose stock is loaded (Ref_Keys); a base not named loads every warehouse.
    warehouses: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def price_types_of(self, base_id: int) -> tuple[str, ...]:
        return self.price_types.get(str(base_id), ())

    def warehouses_of(self, base_id: int) -> tuple[str, ...]:
        return self.warehouses.get(str(base_id), ())

    def to_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled,
                "price_types": {k: list(v) for k, v in self.price_types.items()},
                "base_price_type": dict(self.base_price_type),
                "warehouses": {k: list(v) for k, v in self.warehouses.items()}}

    @classmethod
    def from_json(cls, data: Any) -> CatalogSettings:
        """Tolerant: unknown keys dropped, bad entries skipped (check_catalog refuses them on import)."""
        data = data if isinstance(data, dict) else {}

        def keys_map(name: str) -> dict[str, tuple[str, ...]]:
            raw = data.get(name) if isinstance(data.get(name), dict) else {}
            return {str(k): tuple(str(x) for x in v if _KEY.fullmatch(str(x)))
                    for k, v in raw.items() if _BASE.fullmatch(str(k)) and isinstance(v, (list, tuple))}

        base_price = data.get("base_price_type") if isinstance(data.get("base_price_type"), dict) else {}
        return cls(enabled=data.get("enabled") is True, price_types=keys_map("price_types"),
                   base_price_type={str(k): str(v) for k, v in base_price.items()
                                    if _BASE.fullmatch(str(k)) and _KEY.fullmatch(str(v))},
                   warehouses=keys_map("warehouses"))


def check_catalog(data: Any) -> None:
    """ValueError naming the first bad entry of a `catalog` section (settings import)."""
    if data is None:
        return
    if not isinstance(data, dict):
        raise ValueError("catalog: not an object")
    if "enabled" in data and not isinstance(data["enabled"], bool):
        raise ValueError("catalog.enabled: true or false")
    for name in ("price_types", "warehouses"):
        mapping = data.get(name, {})
        if not isinstance(mapping, dict):
            raise ValueError(f"catalog.{name}: not an object")
        for k, v in mapping.items():
            if not _BASE.fullmatch(str(k)) or not isinstance(v, list) or len(v) > MAX_CHOSEN or \
                    not all(isinstance(x, str) and _KEY.fullmatch(x) for x in v):
                raise ValueError(f"catalog.{name}: bad entry {str(k)[:40]!r}")
    base_price = data.get("base_price_type", {})
    if not isinstance(base_price, dict) or not all(
            _BASE.fullmatch(str(k)) and isinstance(v, str) and _KEY.fullmatch(v) for k, v in base_price.items()):
        raise ValueError("catalog.base_price_type: bad entry")
