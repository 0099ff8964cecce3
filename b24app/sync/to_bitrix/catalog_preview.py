"""What the first catalog load of a base would do, before it does anything: how many sections, products,
variations, units, price types and stores it creates or links, which portal products it takes over (the same
XML_ID, or an article only one product and one item carry) and which duplicates it leaves for a person to sort
out (one article on several 1C items or several portal products). Reads only; the administrator starts the load
after reading it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from b24app.bitrix.client import BitrixClient
from b24app.core.catalog_settings import CatalogSettings
from b24app.onec.catalog_reads import OneCCatalog
from b24app.store.catalog_links import PRODUCT, CatalogLinks
from b24app.sync.to_bitrix.catalog_load import claim_by_article, portal_products_index
from b24app.sync.to_bitrix.catalog_portal import ensure_properties, read_portal_catalog

MAX_LISTED = 500  # duplicates shown and exported; the counts cover all


@dataclass
class Duplicate:
    article: str
    onec: list[str] = field(default_factory=list)  # "code name" of each 1C item with the article
    portal: list[str] = field(default_factory=list)  # "#id name" of each portal product with it


@dataclass
class CatalogPreview:
    base_id: int
    base_name: str
    inventory: bool = False
    groups: int = 0
    items: int = 0
    marked: int = 0  # marked for deletion in 1C: never created
    services: int = 0
    variants: int = 0
    units: list[dict] = field(default_factory=list)  # {"okei", "name", "exists"}
    price_types: list[dict] = field(default_factory=list)  # {"key", "name", "currency", "chosen", "base"}
    warehouses: list[dict] = field(default_factory=list)  # {"key", "name", "chosen"}
    portal_products: int = 0
    linked: int = 0  # linked by an earlier load
    by_xml_id: int = 0
    by_article: int = 0
    to_create: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    duplicate_count: int = 0

    def to_json(self) -> dict:
        return asdict(self)


def preview_catalog(bitrix: BitrixClient, catalog: OneCCatalog, links: CatalogLinks, settings: CatalogSettings,
                    member_id: str, base_id: int, base_name: str,
                    progress: Callable[[int, int], None] | None = None) -> CatalogPreview:
    portal = read_portal_catalog(bitrix)
    # Reading articles needs the property; creating it is harmless (the load would create it anyway).
    ensure_properties(bitrix, portal)
    out = CatalogPreview(base_id=base_id, base_name=base_name, inventory=portal.inventory)
    out.units = [{"okei": u.okei, "name": u.name, "exists": u.okei in portal.measures}
                 for u in sorted({u.okei: u for u in catalog.units().values() if u.okei}.values(),
                                 key=lambda u: u.okei or 0)]
    chosen_types = settings.price_types_of(base_id)
    types = [t for t in catalog.price_types() if not t.deleted]
    base_type = settings.base_price_type.get(str(base_id)) or next(
        (t.key for t in types if not chosen_types or t.key in chosen_types), None)
    out.price_types = [{"key": t.key, "name": t.name, "currency": t.currency,
                        "chosen": not chosen_types or t.key in chosen_types, "base": t.key == base_type}
                       for t in types]
    chosen_stores = settings.warehouses_of(base_id)
    out.warehouses = [{"key": w.key, "name": w.name, "chosen": not chosen_stores or w.key in chosen_stores}
                      for w in catalog.warehouses() if not w.deleted]
    out.groups = len(catalog.groups())
    index = portal_products_index(bitrix, portal)
    out.portal_products = index.count
    articles: dict[str, list[str]] = {}
    claimed: set[int] = set()
    total = catalog.item_count()
    seen = 0
    for page in catalog.item_pages():
        known = links.of_keys(member_id, base_id, PRODUCT, [i.key for i in page.items])
        for item in page.items:
            seen += 1
            out.variants += len(item.variants)
            out.services += item.service
            if item.deleted:
                out.marked += 1
                continue
            out.items += 1
            if item.article:
                articles.setdefault(item.article.casefold(), []).append(f"{item.code} {item.name}".strip())
            if item.key in known and known[item.key].b24_id:
                out.linked += 1
            elif item.key in index.by_xml:
                out.by_xml_id += 1
            elif claim_by_article(index, item.article, claimed) is not None:
                out.by_article += 1
            else:
                out.to_create += 1
        if progress is not None:
            progress(seen, total)
    # An article only one item and one product carry links them; anything else is a duplicate to look at.
    for article, items in sorted(articles.items()):
        products = index.by_article.get(article, [])
        if len(items) > 1 or len(products) > 1:
            out.duplicate_count += 1
            if len(out.duplicates) < MAX_LISTED:
                out.duplicates.append(Duplicate(article=article.upper() if article.isascii() else article,
                                                onec=items, portal=[f"#{p} {index.names.get(p, '')}".strip()
                                                                    for p in products]))
    return out
