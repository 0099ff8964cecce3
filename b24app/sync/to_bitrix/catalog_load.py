"""1C's catalog into the portal's product catalog: sections, products and their variations, price types and
prices, stores and stock — the "catalog" stream, run on schedule (every 15 minutes by default) and by "sync now".

Every run walks the whole 1C catalog a page at a time (`onec/catalog_reads.py`) and compares each object with the
fingerprint of what it last wrote (`store/catalog_links.py`), so the first run loads everything and every later
run writes only what changed: a new, renamed or re-grouped item, a deletion mark (the product is deactivated,
never deleted: deals name it), a price, a stock figure. Items that vanished from the base are deactivated too.

Exactly once, whatever interrupts it: a create is reserved in the link table before it is sent and recorded after
the answer, and a run finding a reservation looks the object up by XML_ID (the 1C reference key; an offer's is
"<item>#<characteristic>") before creating anything; an existing product with the same XML_ID is linked, not
duplicated. The first run also links products already in the portal by their article when it is unambiguous.

Stock goes the way the portal allows (catalog/product/index.md, catalog/document/): with inventory management off,
a product's `quantity` is written (the sum over the chosen warehouses; the portal keeps no per-store figures then);
with it on, quantities move only through store documents, so the run makes one receipt (S) and one write-off (D)
document holding the differences between 1C and the portal's per-store stock, and conducts them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from b24app.bitrix.client import BitrixClient
from b24app.core.catalog_model import (
    CatalogSource,
    Group,
    Item,
    ItemFigures,
    ItemPage,
    PriceType,
    Variant,
    Warehouse,
    fingerprint,
)
from b24app.core.catalog_model import variant_xml_id as offer_xml_id
from b24app.core.catalog_settings import CatalogSettings
from b24app.core.clock import Clock
from b24app.core.errors import SyncError
from b24app.store.catalog_links import OFFER, PRICE_TYPE, PRODUCT, SECTION, STORE, CatalogLinks, Written
from b24app.store.journal import Journal
from b24app.sync.to_bitrix.catalog_portal import (
    ARTICLE_CODE,
    BARCODE_CODE,
    PortalCatalog,
    ensure_measures,
    ensure_properties,
    ensure_vats,
    read_portal_catalog,
)

BATCH = 50  # commands per batch call (api-reference/how-to-call-rest-api/batch.md)
PAGE = 500  # 1C items per page: one page's links and commands in memory at a time
STOCK_DOC_ROWS = 500  # rows per store document: a conducted document with thousands of rows is slow to post

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CatalogDeps:
    bitrix: BitrixClient
    catalog: CatalogSource  # 1C's OData (onec/catalog_reads.py) or a CommerceML exchange (commerceml/)
    links: CatalogLinks
    journal: Journal
    settings: CatalogSettings
    clock: Clock
    member_id: str
    base_id: int
    base_name: str = ""


@dataclass
class CatalogFigures:
    """What one run did (the journal's items and the "sync now" sentence)."""

    sections: int = 0
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    prices: int = 0
    stock: int = 0
    price_types: int = 0
    stores: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # 1C key -> the portal's refusal

    @property
    def written(self) -> int:
        return self.sections + self.created + self.updated + self.deactivated + self.prices + self.stock


@dataclass
class _Queued:
    """Writes to elements the portal already has (updates, prices, quantities), gathered across pages and sent 50
    to a batch call: an incremental tick with changes scattered over the catalog costs a call per 50 changes, not
    a call per page. What a call confirms is recorded then; what was never sent (a run that died) is simply
    written again by the next run, its fingerprint never having been stored."""

    run: _Run
    commands: dict[str, tuple[str, dict]] = field(default_factory=dict)
    done: dict[str, tuple[str, Written, str]] = field(default_factory=dict)  # key -> (link kind, record, count)

    def add(self, key: str, command: tuple[str, dict], kind: str, written: Written, count: str) -> None:
        self.commands[key] = command
        self.done[key] = (kind, written, count)
        if len(self.commands) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.commands:
            return
        deps, figures = self.run.deps, self.run.figures
        outcome = deps.bitrix.batch(self.commands)
        confirmed: dict[str, list[Written]] = {}
        for key in outcome.results:
            kind, written, count = self.done[str(key)]
            confirmed.setdefault(kind, []).append(written)
            setattr(figures, count, getattr(figures, count) + 1)
        for key, error in outcome.errors.items():
            figures.refused[str(key)] = str(error)
        for kind, written in confirmed.items():
            deps.links.record(deps.member_id, deps.base_id, kind, _merge(written))
        self.commands, self.done = {}, {}


@dataclass
class _Run:
    deps: CatalogDeps
    portal: PortalCatalog
    price_types: dict[str, int]  # 1C price type key -> portal price type id
    stores: dict[str, int]  # 1C warehouse key -> portal store id
    sections: dict[str, int]  # 1C group key -> portal section id
    figures: CatalogFigures = field(default_factory=CatalogFigures)
    moves: list[tuple[int, int, Decimal]] = field(default_factory=list)  # (product id, store id, delta)
    stock_done: list[tuple[str, Written]] = field(default_factory=list)  # recorded once the documents conduct
    created_ids: set[int] = field(default_factory=set)  # hold no stock in the portal yet
    first_load: bool = False  # the base had no product linked when the run began
    index: PortalProducts | None = None
    claimed: set[int] = field(default_factory=set)  # portal products taken over by article in this run
    queued: _Queued | None = None
    seen: int = 0

    def __post_init__(self) -> None:
        self.queued = _Queued(self)


def pull_catalog(deps: CatalogDeps, progress: Progress | None = None) -> CatalogFigures:
    """One run of the catalog stream for one base (see the module docstring)."""
    with deps.journal.exchange(deps.member_id, "catalog", "1c_to_b24", base_id=deps.base_id) as entry:
        run = _prepare(deps)
        total = deps.catalog.item_count()
        pages = deps.catalog.item_pages(page_size=PAGE, price_types=list(run.price_types),
                                        warehouses=list(run.stores))
        for page in prefetched(pages):
            _write_page(run, page)
            run.seen += len(page.items)
            if progress is not None:
                progress(run.seen, total)
        run.queued.flush()
        _deactivate_vanished(run, total)
        _move_stock(run)
        entry.items = run.figures.written
        if run.figures.refused:
            entry.status = "error"
            entry.error = _refusals(run.figures.refused)
    return run.figures


def prefetched(pages: Iterator[ItemPage]) -> Iterator[ItemPage]:
    """The pages, the next one read from 1C while the current one is written to the portal: the portal's rate
    limit makes the writer wait, and those waits are when 1C is read. One page ahead at most, so memory stays
    at two pages; an error of the reader is raised here, where the page would have come."""
    ahead: queue.Queue = queue.Queue(maxsize=1)
    done = object()
    stop = threading.Event()

    def read() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        ahead.put(page, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            ahead.put(exc)

    reader = threading.Thread(target=read, name="catalog-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item = ahead.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join(timeout=5)


def _refusals(refused: Mapping[str, str]) -> str:
    shown = "; ".join(f"{k}: {v}" for k, v in list(refused.items())[:10])
    more = f" (and {len(refused) - 10} more)" if len(refused) > 10 else ""
    return f"the portal refused {len(refused)} catalog write(s): {shown}{more}"


# ---------------------------------------------------------------------------------------------- reference objects


def _prepare(deps: CatalogDeps) -> _Run:
    portal = read_portal_catalog(deps.bitrix)
    ensure_properties(deps.bitrix, portal)
    ensure_measures(deps.bitrix, portal, deps.catalog.units().values())
    price_types = _sync_price_types(deps, deps.catalog.price_types())
    stores = _sync_stores(deps, deps.catalog.warehouses(), portal)
    run = _Run(deps, portal, price_types, stores, sections={},
               first_load=deps.links.count(deps.member_id, deps.base_id, PRODUCT) == 0)
    run.sections = _sync_sections(run, deps.catalog.groups())
    return run


def _chosen(keys: Sequence[str], all_keys: Iterable[str]) -> list[str]:
    present = list(all_keys)
    return [k for k in present if k in set(keys)] if keys else present


def _sync_price_types(deps: CatalogDeps, types: list[PriceType]) -> dict[str, int]:
    """The chosen price types as portal price types (xmlId = the 1C key); the chosen base one is linked to the
    portal's base price type, so the price managers see in the CRM is the 1C price the administrator picked."""
    live = {t.key: t for t in types if not t.deleted}
    chosen = _chosen(deps.settings.price_types_of(deps.base_id), live)
    if not chosen:
        return {}
    base_key = deps.settings.base_price_type.get(str(deps.base_id))
    base_key = base_key if base_key in chosen else chosen[0]
    portal_types = list(deps.bitrix.list_all("catalog.priceType.list", {"select": ["id", "name", "base", "xmlId"]},
                                             page_key="priceTypes"))
    by_xml = {str(t.get("xmlId") or ""): int(t["id"]) for t in portal_types}
    portal_base = next((int(t["id"]) for t in portal_types if t.get("base") == "Y"), None)
    links = deps.links.all_of(deps.member_id, deps.base_id, PRICE_TYPE)
    out: dict[str, int] = {}
    commands: dict[str, tuple[str, dict]] = {}
    for key in chosen:
        known = links.get(key)
        linked = known.b24_id if known and known.b24_id else by_xml.get(key)
        if key == base_key and portal_base is not None:
            linked = portal_base
        if linked is not None:
            out[key] = linked
        else:
            commands[key] = ("catalog.priceType.add", {"fields": {
                "name": live[key].name, "xmlId": key, "base": "N", "sort": 200 + len(out) + len(commands)}})
    if commands:
        outcome = deps.bitrix.batch(commands)
        for key, result in outcome.results.items():
            out[str(key)] = int(result["priceType"]["id"])
        outcome.raise_first_error()
    deps.links.record(deps.member_id, deps.base_id, PRICE_TYPE, [Written(k, v) for k, v in out.items()])
    return out


def _sync_stores(deps: CatalogDeps, warehouses: list[Warehouse], portal: PortalCatalog) -> dict[str, int]:
    """The chosen warehouses as portal stores (xmlId = the 1C key; the address is required, the name stands in)."""
    live = {w.key: w for w in warehouses if not w.deleted}
    chosen = _chosen(deps.settings.warehouses_of(deps.base_id), live)
    if not chosen:
        return {}
    links = deps.links.all_of(deps.member_id, deps.base_id, STORE)
    portal_stores = list(deps.bitrix.list_all("catalog.store.list", {"select": ["id", "title", "xmlId"]},
                                              page_key="stores"))
    by_xml = {str(s.get("xmlId") or ""): int(s["id"]) for s in portal_stores}
    out: dict[str, int] = {}
    commands: dict[str, tuple[str, dict]] = {}
    updates: dict[str, tuple[str, dict]] = {}
    for key in chosen:
        w = live[key]
        fields = {"title": w.name, "address": w.name, "xmlId": key, "code": w.code or None, "active": "Y"}
        digest = fingerprint(fields)
        known = links.get(key)
        linked = known.b24_id if known and known.b24_id else by_xml.get(key)
        if linked is None:
            commands[key] = ("catalog.store.add", {"fields": {k: v for k, v in fields.items() if v is not None}})
            continue
        out[key] = linked
        if known is None or known.fields_hash != digest:
            updates[key] = ("catalog.store.update", {"id": linked, "fields": {"title": w.name}})
    outcome = deps.bitrix.batch({**commands, **{f"u:{k}": v for k, v in updates.items()}}) if commands or updates \
        else None
    if outcome is not None:
        for key, result in outcome.results.items():
            if not str(key).startswith("u:"):
                out[str(key)] = int(result["store"]["id"])
        outcome.raise_first_error()
    deps.links.record(deps.member_id, deps.base_id, STORE, [
        Written(k, v, fingerprint({"title": live[k].name, "address": live[k].name, "xmlId": k,
                                   "code": live[k].code or None, "active": "Y"})) for k, v in out.items()])
    return out


def _sync_sections(run: _Run, groups: list[Group]) -> dict[str, int]:
    """Groups as sections of the product catalog, parents first (a section names its parent by id)."""
    deps, iblock = run.deps, run.portal.iblock_id
    links = deps.links.all_of(deps.member_id, deps.base_id, SECTION)
    out = {k: link.b24_id for k, link in links.items() if link.b24_id is not None}
    pending = [g for g in groups if g.key in links and links[g.key].b24_id is None]
    if pending:
        found = _find_by_xml(deps.bitrix, "catalog.section.list", "sections", iblock, [g.key for g in pending])
        deps.links.record(deps.member_id, deps.base_id, SECTION, [Written(k, v) for k, v in found.items()])
        out.update(found)
    # Depth by depth: a section's parent is created in an earlier call than the section itself.
    for level in _levels(groups):
        commands: dict[str, tuple[str, dict]] = {}
        digests: dict[str, str] = {}
        for g in level:
            fields = {"iblockId": iblock, "name": g.name or "—", "xmlId": g.key, "active": "N" if g.deleted else "Y",
                      "iblockSectionId": out.get(g.parent or "")}
            digests[g.key] = fingerprint(fields)
            if g.key not in out:
                commands[g.key] = ("catalog.section.add", {"fields": fields})
            elif links.get(g.key) is None or links[g.key].fields_hash != digests[g.key]:
                commands[g.key] = ("catalog.section.update", {"id": out[g.key], "fields": fields})
        if not commands:
            continue
        deps.links.reserve(deps.member_id, deps.base_id, SECTION, [k for k, c in commands.items() if
                                                                   c[0].endswith(".add")])
        outcome = deps.bitrix.batch(commands)
        written = []
        for key, result in outcome.results.items():
            section_id = int(result["section"]["id"]) if isinstance(result, dict) and "section" in result \
                else out[str(key)]
            out[str(key)] = section_id
            written.append(Written(str(key), section_id, digests[str(key)]))
        run.figures.sections += len(written)
        deps.links.record(deps.member_id, deps.base_id, SECTION, written)
        for key, error in outcome.errors.items():
            run.figures.refused[f"group {key}"] = str(error)
    return out


def _levels(groups: list[Group]) -> list[list[Group]]:
    """Groups by depth (groups come parents first)."""
    depth: dict[str, int] = {}
    for g in groups:
        depth[g.key] = depth.get(g.parent or "", -1) + 1
    levels: dict[int, list[Group]] = {}
    for g in groups:
        levels.setdefault(depth[g.key], []).append(g)
    return [levels[d] for d in sorted(levels)]


def _find_by_xml(bitrix: BitrixClient, method: str, page_key: str, iblock: int, keys: Sequence[str]) -> dict[str, int]:
    """Objects of the catalog whose xmlId is one of `keys` (the check before a create that may have been sent)."""
    found: dict[str, int] = {}
    commands = {n: (method, {"filter": {"iblockId": iblock, "@xmlId": list(keys[n:n + BATCH])},
                             "select": ["id", "iblockId", "xmlId"]}) for n in range(0, len(keys), BATCH)}
    outcome = bitrix.batch(commands)
    outcome.raise_first_error()
    for result in outcome.results.values():
        for record in (result.get(page_key) if isinstance(result, dict) else None) or []:
            found.setdefault(str(record.get("xmlId")), int(record["id"]))
    return found


# ---------------------------------------------------------------------------------------------- products


def _product_fields(run: _Run, item: Item, iblock: int, *, name: str, article: str, barcodes: Sequence[str],
                    deleted: bool, xml_id: str, section: bool) -> dict[str, Any]:
    portal = run.portal
    fields: dict[str, Any] = {
        "iblockId": iblock, "name": name or "—", "xmlId": xml_id, "active": "N" if deleted else "Y",
        "measure": portal.measures.get(item.unit.okei) if item.unit and item.unit.okei else portal.default_measure,
        "vatId": portal.vat_id(item.vat), "vatIncluded": "Y",
    }
    if section:
        fields["iblockSectionId"] = run.sections.get(item.group or "")
    article_prop = portal.property_id(iblock, ARTICLE_CODE)
    if article_prop:
        fields[f"property{article_prop}"] = {"value": article}
    barcode_prop = portal.property_id(iblock, BARCODE_CODE)
    if barcode_prop:
        fields[f"property{barcode_prop}"] = [{"value": code} for code in barcodes] or [{"value": ""}]
    return fields


@dataclass
class _Target:
    """One product or offer of a page: what it should be, and what was last written."""

    key: str  # link key: the item's Ref_Key, or "<item>#<characteristic>" for an offer
    kind: str
    fields: dict[str, Any]
    figures: ItemFigures
    service: bool
    parent: str | None = None  # an offer's item key


def _targets(run: _Run, page: ItemPage) -> tuple[list[_Target], list[_Target]]:
    products, offers = [], []
    offers_iblock = run.portal.offers_iblock_id
    for item in page.items:
        products.append(_Target(item.key, PRODUCT, _product_fields(
            run, item, run.portal.iblock_id, name=item.name, article=item.article, barcodes=item.barcodes,
            deleted=item.deleted, xml_id=item.xml_id, section=True), page.of(item.key), item.service))
        if not offers_iblock:
            continue
        for v in item.variants:
            own = page.of(item.key, v.key)
            # 1C often prices an item once for all its characteristics (УТ: an empty Характеристика in the
            # price register): a variation without a price of its own sells at the item's.
            figures = ItemFigures(prices={**page.of(item.key).prices, **own.prices}, stock=own.stock)
            offers.append(_offer_target(run, item, v, figures, offers_iblock))
    return products, offers


def _offer_target(run: _Run, item: Item, v: Variant, figures: ItemFigures, iblock: int) -> _Target:
    fields = _product_fields(run, item, iblock, name=f"{item.name}, {v.name}", article=v.article or item.article,
                             barcodes=v.barcodes, deleted=item.deleted or v.deleted,
                             xml_id=offer_xml_id(item.key, v.key), section=False)
    return _Target(offer_xml_id(item.key, v.key), OFFER, fields, figures, item.service, parent=item.key)


def _write_page(run: _Run, page: ItemPage) -> None:
    ensure_vats(run.deps.bitrix, run.portal, {item.vat for item in page.items})
    products, offers = _targets(run, page)
    ids = _write_elements(run, products, PRODUCT)
    if offers:
        for t in offers:
            t.fields["parentId"] = ids.get(t.parent or "")
        offers = [t for t in offers if t.fields["parentId"]]
        ids.update(_write_elements(run, offers, OFFER))
    # A product with variations carries its prices and stock on the variations (the portal sells those).
    with_offers = {t.parent for t in offers}
    _write_figures(run, [t for t in products if t.key not in with_offers] + offers, ids)


def _write_elements(run: _Run, targets: list[_Target], kind: str) -> dict[str, int]:
    """Create or update the products (or offers) of a page whose fields changed; their ids by link key."""
    deps = run.deps
    method = "catalog.product" if kind == PRODUCT else "catalog.product.offer"
    answer_key = "element" if kind == PRODUCT else "offer"
    iblock = run.portal.iblock_id if kind == PRODUCT else run.portal.offers_iblock_id or 0
    links = deps.links.of_keys(deps.member_id, deps.base_id, kind, [t.key for t in targets])
    pending = [k for k, link in links.items() if link.b24_id is None]
    found = _find_by_xml(deps.bitrix, f"{method}.list", "products" if kind == PRODUCT else "offers", iblock,
                         pending) if pending else {}
    if run.first_load and kind == PRODUCT:
        found.update(_match_existing(run, [t for t in targets if t.key not in links], found))
    ids = {k: link.b24_id for k, link in links.items() if link.b24_id is not None} | found
    commands: dict[str, tuple[str, dict]] = {}
    digests: dict[str, str] = {}
    for t in targets:
        digest = fingerprint(t.fields)
        digests[t.key] = digest
        known = links.get(t.key)
        if t.key not in ids:
            if t.fields["active"] == "N":
                continue  # never create what 1C has marked for deletion
            commands[t.key] = (f"{method}.add", {"fields": t.fields})
        elif known is None or known.fields_hash != digest:
            run.queued.add(f"u:{kind}:{t.key}", (f"{method}.update", {"id": ids[t.key], "fields": t.fields}), kind,
                           Written(t.key, ids[t.key], digest),
                           "deactivated" if t.fields["active"] == "N" else "updated")
    if found:
        deps.links.record(deps.member_id, deps.base_id, kind, [Written(k, v) for k, v in found.items()])
    if not commands:
        return ids
    # Creates go now, not queued: their ids are what the page's variations and prices name.
    deps.links.reserve(deps.member_id, deps.base_id, kind, list(commands))
    outcome = deps.bitrix.batch(commands)
    written = []
    for key, result in outcome.results.items():
        key = str(key)
        element = result.get(answer_key) if isinstance(result, dict) else None
        if not element:
            continue
        ids[key] = int(element["id"])
        written.append(Written(key, ids[key], digests[key]))
        run.figures.created += 1
        run.created_ids.add(ids[key])
    deps.links.record(deps.member_id, deps.base_id, kind, written)
    for key, error in outcome.errors.items():
        run.figures.refused[str(key)] = str(error)
    return ids


def _match_existing(run: _Run, targets: list[_Target], found: Mapping[str, int]) -> dict[str, int]:
    """Before this base's first products: portal products with the item's XML_ID, or failing that the same
    article when exactly one product and one item carry it (the preview lists the rest as duplicates)."""
    if run.index is None:
        run.index = portal_products_index(run.deps.bitrix, run.portal)
    index = run.index
    out: dict[str, int] = {}
    for t in targets:
        if t.key in found:
            continue
        by_xml = index.by_xml.get(t.key)
        if by_xml:
            out[t.key] = by_xml
            continue
        article = str((t.fields.get(f"property{run.portal.property_id(run.portal.iblock_id, ARTICLE_CODE)}")
                       or {}).get("value") or "")
        claimed = claim_by_article(index, article, run.claimed)
        if claimed is not None:
            out[t.key] = claimed
    return out


def claim_by_article(index: PortalProducts, article: str, claimed: set[int]) -> int | None:
    """The portal product an item takes over by its article: the only product with that article, not carrying a
    1C key already, not taken by an earlier item (items come in key order, so the load and the preview agree)."""
    ids = index.by_article.get(article.casefold()) if article else None
    if not ids or len(ids) != 1 or index.xml_of.get(ids[0]) or ids[0] in claimed:
        return None
    claimed.add(ids[0])
    return ids[0]


@dataclass
class PortalProducts:
    """The portal's products by XML_ID and by article (the first load's matching and the preview)."""

    by_xml: dict[str, int] = field(default_factory=dict)
    by_article: dict[str, list[int]] = field(default_factory=dict)
    xml_of: dict[int, str] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    count: int = 0


def portal_products_index(bitrix: BitrixClient, portal: PortalCatalog) -> PortalProducts:
    """Every product of the catalog (50 pages of 50 per request), indexed. An XML_ID equal to the product's own id
    is the portal's default for a product made by hand (catalog-product-add.md), not a 1C key."""
    article = portal.property_id(portal.iblock_id, ARTICLE_CODE)
    select = ["id", "iblockId", "xmlId", "name"] + ([f"property{article}"] if article else [])
    index = PortalProducts()
    for record in bitrix.iterate_by_id_batched("catalog.product.list", {
            "filter": {"iblockId": portal.iblock_id}, "select": select}, id_field="id", page_key="products"):
        pid = int(record["id"])
        index.count += 1
        xml = str(record.get("xmlId") or "")
        index.names[pid] = str(record.get("name") or "")
        if xml and xml != str(pid):
            index.by_xml.setdefault(xml, pid)
            index.xml_of[pid] = xml
        value = record.get(f"property{article}") if article else None
        text = str((value or {}).get("value") or "") if isinstance(value, dict) else ""
        if text:
            index.by_article.setdefault(text.casefold(), []).append(pid)
    return index


# ---------------------------------------------------------------------------------------------- prices and stock


def _write_figures(run: _Run, targets: list[_Target], ids: Mapping[str, int]) -> None:
    deps = run.deps
    by_kind: dict[str, list[_Target]] = {}
    for t in targets:
        if t.key in ids:
            by_kind.setdefault(t.kind, []).append(t)
    for kind, group in by_kind.items():
        links = deps.links.of_keys(deps.member_id, deps.base_id, kind, [t.key for t in group])
        wanted_stock: list[tuple[int, dict[int, Decimal]]] = []
        for t in group:
            link = links.get(t.key)
            element_id = ids[t.key]
            prices = {run.price_types[k]: v for k, v in sorted(t.figures.prices.items()) if k in run.price_types}
            prices_digest = fingerprint({str(k): [str(p), c] for k, (p, c) in prices.items()})
            if prices and (link is None or link.prices_hash != prices_digest):
                run.queued.add(f"p:{kind}:{t.key}", ("catalog.price.modify", {"fields": {"product": {
                    "id": element_id, "prices": [{"catalogGroupId": type_id, "price": float(price),
                                                  "currency": currency}
                                                 for type_id, (price, currency) in prices.items()]}}}),
                               kind, Written(t.key, element_id, prices_hash=prices_digest), "prices")
            if t.service or not run.stores:
                continue
            # 1C lets a balance go below zero (goods shipped before their receipt was entered); the portal holds
            # no negative stock, so such a store counts as empty.
            stock = {run.stores[k]: max(q, Decimal(0)) for k, q in sorted(t.figures.stock.items())
                     if k in run.stores}
            stock_digest = fingerprint({str(k): str(q) for k, q in stock.items()})
            if link is not None and link.stock_hash == stock_digest:
                continue
            if run.portal.inventory:
                wanted_stock.append((element_id, stock))
                run.stock_done.append((kind, Written(t.key, element_id, stock_hash=stock_digest)))
            else:
                method = "catalog.product" if kind == PRODUCT else "catalog.product.offer"
                run.queued.add(f"s:{kind}:{t.key}", (f"{method}.update", {"id": element_id, "fields": {
                    "quantity": float(sum(stock.values(), Decimal(0)))}}),
                    kind, Written(t.key, element_id, stock_hash=stock_digest), "stock")
        # Stock moved by documents is recorded only once they are conducted (_move_stock).
        if wanted_stock:
            _plan_moves(run, wanted_stock)


def _merge(written: Iterable[Written]) -> list[Written]:
    merged: dict[str, Written] = {}
    for w in written:
        old = merged.get(w.onec_key)
        merged[w.onec_key] = w if old is None else Written(
            w.onec_key, w.b24_id, old.fields_hash or w.fields_hash, old.prices_hash or w.prices_hash,
            old.stock_hash or w.stock_hash)
    return list(merged.values())


def _plan_moves(run: _Run, wanted: list[tuple[int, dict[int, Decimal]]]) -> None:
    """Differences between 1C's stock and the portal's per store, for the run's store documents. A product created
    in this run holds nothing yet; the others' per-store stock is read, ten products a command (≤ 50 rows)."""
    current: dict[tuple[int, int], Decimal] = {}
    to_read = [pid for pid, _ in wanted if pid not in run.created_ids]
    commands = {n: ("catalog.storeproduct.list", {"filter": {"@productId": to_read[n:n + 10]},
                                                  "select": ["productId", "storeId", "amount"]})
                for n in range(0, len(to_read), 10)}
    if commands:
        outcome = run.deps.bitrix.batch(commands)
        outcome.raise_first_error()
        for result in outcome.results.values():
            for record in (result.get("storeProducts") if isinstance(result, dict) else None) or []:
                current[(int(record["productId"]), int(record["storeId"]))] = Decimal(str(record.get("amount") or 0))
    ours = set(run.stores.values())
    for pid, stock in wanted:
        stores = set(stock) | {store for (product, store) in current if product == pid and store in ours}
        for store_id in sorted(stores):
            delta = stock.get(store_id, Decimal(0)) - current.get((pid, store_id), Decimal(0))
            if delta:
                run.moves.append((pid, store_id, delta))


def _move_stock(run: _Run) -> None:
    """Store documents for the planned differences: receipts (S) for what 1C has more of, write-offs (D) for what
    it has less of; each conducted, so the portal's stock equals 1C's."""
    deps, bitrix = run.deps, run.deps.bitrix
    for doc_type, rows in (("S", [m for m in run.moves if m[2] > 0]), ("D", [m for m in run.moves if m[2] < 0])):
        for start in range(0, len(rows), STOCK_DOC_ROWS):
            chunk = rows[start:start + STOCK_DOC_ROWS]
            document = bitrix.call("catalog.document.add", {"fields": {
                "docType": doc_type, "currency": "RUB", "responsibleId": 1,
                "title": f"1С: остатки {run.deps.base_name or run.deps.base_id}"}}).result
            doc_id = int(document["document"]["id"])
            end = "storeTo" if doc_type == "S" else "storeFrom"
            outcome = bitrix.batch({n: ("catalog.document.element.add", {"fields": {
                "docId": doc_id, "elementId": pid, end: store, "amount": float(abs(delta)), "purchasingPrice": 0}})
                for n, (pid, store, delta) in enumerate(chunk)})
            outcome.raise_first_error()
            bitrix.call("catalog.document.conduct", {"id": doc_id})
    run.figures.stock += len(run.stock_done)
    for kind in (PRODUCT, OFFER):
        deps.links.record(deps.member_id, deps.base_id, kind, [w for k, w in run.stock_done if k == kind])


def _deactivate_vanished(run: _Run, count_in_base: int) -> None:
    """Items gone from the base (deleted there for good) are deactivated in the portal. Checked only when the
    base holds fewer items than are linked, so an ordinary run costs no extra walk."""
    deps = run.deps
    if not deps.catalog.complete:
        return  # a CommerceML exchange of changes only: an item it does not name is unchanged, not gone
    linked = deps.links.count(deps.member_id, deps.base_id, PRODUCT)
    if linked <= count_in_base:
        return
    present = set(deps.catalog.item_keys())
    gone = [k for k in deps.links.keys(deps.member_id, deps.base_id, PRODUCT) if k not in present]
    ids = deps.links.b24_ids(deps.member_id, deps.base_id, PRODUCT, gone)
    commands = {k: ("catalog.product.update", {"id": v, "fields": {"active": "N"}}) for k, v in ids.items()}
    if not commands:
        return
    outcome = deps.bitrix.batch(commands)
    deps.links.record(deps.member_id, deps.base_id, PRODUCT, [
        Written(str(k), ids[str(k)], fields_hash="gone") for k in outcome.results])
    run.figures.deactivated += len(outcome.results)
    for key, error in outcome.errors.items():
        run.figures.refused[str(key)] = str(error)


def raise_if_refused(figures: CatalogFigures) -> None:
    if figures.refused:
        raise SyncError(_refusals(figures.refused))
