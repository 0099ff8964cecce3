"""The portal's side of the catalog: which trade catalog products go to, whether inventory management is on, and
the reference objects products name — units by ОКЕИ code, VAT rates, and the two product properties the app
keeps 1C's article and barcodes in.

One `batch` call reads it all (catalog.catalog.list, catalog.document.mode.status, catalog.measure.list,
catalog.vat.list, catalog.productProperty.list); what is missing is created once: a unit by its ОКЕИ code
(catalog.measure.add, api-reference/catalog/measure/), a VAT rate (catalog.vat.add), the properties
(catalog.productProperty.add, code CML2_ARTICLE / CML2_BAR_CODE — the codes the 1C-Bitrix site exchange gives
them, so a portal that once ran that exchange already has them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from b24app.bitrix.client import BitrixClient
from b24app.core.catalog_model import Unit
from b24app.core.errors import PermanentSyncError

ARTICLE_CODE = "CML2_ARTICLE"
BARCODE_CODE = "CML2_BAR_CODE"
PROPERTY_NAMES = {ARTICLE_CODE: "Артикул", BARCODE_CODE: "Штрихкод"}


@dataclass
class PortalCatalog:
    """What the catalog load needs to know about the portal, read once per run."""

    iblock_id: int
    offers_iblock_id: int | None
    inventory: bool  # inventory management on: stock moves only through store documents
    measures: dict[int, int] = field(default_factory=dict)  # ОКЕИ code -> measure id
    default_measure: int | None = None
    vats: dict[str, int] = field(default_factory=dict)  # "20" / "none" -> VAT id
    properties: dict[tuple[int, str], int] = field(default_factory=dict)  # (iblock, code) -> property id

    def vat_id(self, rate: Decimal | None | str) -> int | None:
        if rate == "":
            return None
        return self.vats.get(vat_key(rate))

    def property_id(self, iblock: int, code: str) -> int | None:
        return self.properties.get((iblock, code))


def vat_key(rate: Decimal | None | str) -> str:
    return "none" if rate is None else str(Decimal(str(rate)).normalize())


def _records(result: object, key: str) -> list[dict]:
    if isinstance(result, dict):
        value = result.get(key)
        return value if isinstance(value, list) else []
    return result if isinstance(result, list) else []


def read_portal_catalog(bitrix: BitrixClient) -> PortalCatalog:
    """The product catalog (the one with a variations catalog naming it, else the first), inventory mode, units,
    VAT rates and product properties."""
    outcome = bitrix.batch({
        "catalogs": ("catalog.catalog.list", {"select": ["id", "iblockId", "productIblockId", "name"]}),
        "mode": ("catalog.document.mode.status", {}),
        "measures": ("catalog.measure.list", {"select": ["id", "code", "isDefault"]}),
        "vats": ("catalog.vat.list", {"select": ["id", "rate", "active"]}),
        "properties": ("catalog.productProperty.list", {"select": ["id", "iblockId", "code"]}),
    })
    outcome.raise_first_error()
    catalogs = _records(outcome.results.get("catalogs"), "catalogs")
    offers = next((c for c in catalogs if c.get("productIblockId")), None)
    product = (int(offers["productIblockId"]) if offers else
               int(catalogs[0]["iblockId"] if catalogs and catalogs[0].get("iblockId") else 0))
    if not product:
        raise PermanentSyncError("the portal has no product catalog (catalog.catalog.list is empty)")
    portal = PortalCatalog(iblock_id=product, offers_iblock_id=int(offers["iblockId"]) if offers else None,
                           inventory=str(outcome.results.get("mode")) == "Y")
    for m in _records(outcome.results.get("measures"), "measures"):
        if str(m.get("code") or "").isdigit():
            portal.measures[int(m["code"])] = int(m["id"])
        if m.get("isDefault") == "Y":
            portal.default_measure = int(m["id"])
    for v in _records(outcome.results.get("vats"), "vats"):
        if v.get("active", "Y") == "Y":
            rate = v.get("rate")
            portal.vats.setdefault(vat_key(None if rate in (None, "") else Decimal(str(rate))), int(v["id"]))
    for p in _records(outcome.results.get("properties"), "productProperties"):
        if p.get("code"):
            portal.properties.setdefault((int(p["iblockId"]), str(p["code"])), int(p["id"]))
    return portal


def ensure_measures(bitrix: BitrixClient, portal: PortalCatalog, units: Iterable[Unit]) -> list[int]:
    """Create the units (by ОКЕИ code) the portal lacks; returns the codes created."""
    missing = {u.okei: u for u in units if u.okei is not None and u.okei not in portal.measures}
    if not missing:
        return []
    outcome = bitrix.batch({code: ("catalog.measure.add", {"fields": {
        "code": code, "measureTitle": unit.name or str(code), "symbol": unit.symbol or unit.name[:10]}})
        for code, unit in missing.items()})
    for code, result in outcome.results.items():
        portal.measures[int(code)] = int(result["measure"]["id"])
    outcome.raise_first_error()
    return sorted(missing)


def ensure_vats(bitrix: BitrixClient, portal: PortalCatalog, rates: Iterable[Decimal | None | str]) -> None:
    """Create the VAT rates the portal lacks (22 % arrived in 2026; a portal set up earlier has only 20 %)."""
    missing = {vat_key(r): r for r in rates if r != "" and vat_key(r) not in portal.vats}
    if not missing:
        return
    outcome = bitrix.batch({key: ("catalog.vat.add", {"fields": {
        "name": "Без НДС" if rate is None else f"НДС {vat_key(rate)}%",
        "rate": None if rate is None else float(Decimal(str(rate))), "active": "Y"}})
        for key, rate in missing.items()})
    for key, result in outcome.results.items():
        portal.vats[str(key)] = int(result["vat"]["id"])
    outcome.raise_first_error()


def ensure_properties(bitrix: BitrixClient, portal: PortalCatalog) -> None:
    """The article and barcode properties on the product catalog and on its variations catalog."""
    wanted = [(iblock, code) for iblock in (portal.iblock_id, portal.offers_iblock_id) if iblock
              for code in (ARTICLE_CODE, BARCODE_CODE) if (iblock, code) not in portal.properties]
    if not wanted:
        return
    outcome = bitrix.batch({f"{iblock}:{code}": ("catalog.productProperty.add", {"fields": {
        "iblockId": iblock, "name": PROPERTY_NAMES[code], "code": code, "propertyType": "S",
        "multiple": "Y" if code == BARCODE_CODE else "N", "active": "Y", "xmlId": code}})
        for iblock, code in wanted})
    for key, result in outcome.results.items():
        iblock, code = str(key).split(":", 1)
        portal.properties[(int(iblock), code)] = int(result["productProperty"]["id"])
    outcome.raise_first_error()
