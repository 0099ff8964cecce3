"""The 1C catalog through the standard OData interface: groups, items with their variants, units and barcodes,
price types with the latest prices, warehouses and stock, in the app's own terms (`core/catalog_model.py`).

Items come page by page (`item_pages`), each page with its variants, barcodes, prices and stock read for those
items only (conditions of up to MAX_OR_TERMS keys a request), so memory stays flat whatever the catalog's size.
The configuration decides where each figure lives (the profile's `product`, `characteristic`, `barcode`, `unit`,
`vat_rate`, `price_type`, `price`, `warehouse`, `stock`):
- УТ 11: prices in the recorder-subordinate ЦеныНоменклатуры (SliceLast through `_RecordType`, docs 17.4.13.1.1),
  stock in the accumulation register ТоварыНаСкладах (ВНаличии), VAT as a Catalog_СтавкиНДС reference (11.5) or
  the enumeration СтавкиНДС (11.4);
- БП 3.0: stock is the quantity balance of goods accounts in AccountingRegister_Хозрасчетный with the item as
  the first and the warehouse as the second subconto; VAT is the kind of rate (ВидыСтавокНДС), dated;
- УНФ 3.0: the independent ЦеныНоменклатуры (SliceLast on the register itself), stock in ЗапасыНаСкладах by
  structural unit, VAT as the kind of rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

from b24app.core.catalog_model import Group, Item, ItemPage, PriceType, Unit, Variant, Warehouse, parents_first
from b24app.core.currencies import letters_of
from b24app.onec import query as q
from b24app.onec import refs
from b24app.onec import standard as std
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import ObjectSpec, Profile

MAX_OR_TERMS = 40  # keys per condition: the URL stays short for every web server in front of 1C
ITEM_PAGE = 500
# Requests to 1C in flight at once while a page's variants, barcodes, prices and stock are read: a 1C web server
# serves them in parallel sessions; more would only queue up behind its licence of client connections.
READ_THREADS = 4
# The general VAT rate: 20 % until 2025, 22 % from 1 January 2026 (Federal law 425-FZ of 28.11.2025).
GENERAL_RATE_2026 = date(2026, 1, 1)
# Percent of each kind of rate (ВидыСтавокНДС: Общая, Пониженная, Нулевая, БезНДС); None = no VAT.
RATE_KINDS = {"reduced": Decimal(10), "zero": Decimal(0), "none": None}


def general_rate(on: date) -> Decimal:
    return Decimal(22) if on >= GENERAL_RATE_2026 else Decimal(20)


def _chunks(keys: Sequence[str], size: int = MAX_OR_TERMS) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), size):
        yield keys[start:start + size]


def _gathered(futures: list) -> list:
    """The rows of every chunk request, in submission order (the first failure is raised)."""
    return [row for future in futures for row in future.result()]


def _decimal(value: object) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value or 0))


class OneCCatalog:
    """Reads one base's catalog; `today` dates the VAT kinds whose percent changed (the general rate)."""

    complete = True  # every item of the base is read (core/catalog_model.CatalogSource)

    def __init__(self, client: ODataClient, profile: Profile, *, today: date) -> None:
        self.client = client
        self.profile = profile
        self.today = today
        self._units: dict[str, Unit] | None = None
        self._vat_refs: dict[str, Decimal | None] | None = None
        self._currencies: dict[str, str] | None = None

    def _spec(self, logical: str) -> ObjectSpec | None:
        spec = self.profile.objects.get(logical)
        return spec if spec is not None and spec.enabled else None

    # ------------------------------------------------------------------ small catalogs

    def units(self) -> dict[str, Unit]:
        """Units by key; a unit whose code is not an ОКЕИ number (a hand-made package) has okei None."""
        if self._units is None:
            spec = self.profile.object("unit")
            self._units = {}
            for row in self.client.iter_rows(spec.entity_set, select=self._fields(spec, "key", "okei_code", "name")):
                code = str(row.get(spec.field("okei_code")) or "").strip()
                self._units[row[spec.field("key")]] = Unit(
                    key=row[spec.field("key")], okei=int(code) if code.isdigit() else None,
                    name=str(row.get(spec.field("name")) or "").strip())
        return self._units

    def currencies(self) -> dict[str, str]:
        """Currency key -> ISO 4217 letters (1C keeps the ОКВ number as the code: 643 = RUB)."""
        if self._currencies is None:
            spec = self.profile.object("currency")
            self._currencies = {
                row[spec.field("key")]: letters_of(str(row.get(spec.field("code")) or "")) or "RUB"
                for row in self.client.iter_rows(spec.entity_set, select=self._fields(spec, "key", "code"))}
        return self._currencies

    def groups(self) -> list[Group]:
        """Folders of the nomenclature, parents before children."""
        spec = self.profile.object("product")
        if not spec.has("is_folder"):
            return []
        rows = [r for page in self.client.iter_pages_by_key(
            spec.entity_set, filter=q.eq(spec.field("is_folder"), True),
            select=self._fields(spec, "key", "name", "parent", "deleted")) for r in page]
        groups = {r[spec.field("key")]: Group(
            key=r[spec.field("key")], name=str(r.get(spec.field("name")) or "").strip(),
            parent=refs.read(spec.spec_of("parent"), r), deleted=bool(r.get(spec.field("deleted"))))
            for r in rows}
        return parents_first(groups)

    def price_types(self) -> list[PriceType]:
        spec = self.profile.object("price_type")
        currencies = self.currencies()
        out = []
        for row in self.client.iter_rows(spec.entity_set, select=self._fields(
                spec, "key", "name", "currency", "includes_vat", "deleted")):
            currency = refs.read(spec.spec_of("currency"), row) if spec.has("currency") else None
            out.append(PriceType(key=row[spec.field("key")], name=str(row.get(spec.field("name")) or "").strip(),
                                 currency=currencies.get(currency or "", "RUB"),
                                 includes_vat=bool(row.get(spec.field("includes_vat"), True))
                                 if spec.has("includes_vat") else True,
                                 deleted=bool(row.get(spec.field("deleted")))))
        return out

    def warehouses(self) -> list[Warehouse]:
        """Warehouses an item can lie in (not folders; УНФ: structural units of the warehouse type)."""
        spec = self.profile.object("warehouse")
        where = [q.eq(spec.field("is_folder"), False)] if spec.has("is_folder") else []
        for value_key in spec.pick_where:
            holder = spec.value_field(value_key)
            if holder is not None:
                where.append(q.eq(holder.name, spec.value(value_key)))
        out = []
        for row in self.client.iter_rows(spec.entity_set, filter=q.all_of(*where),
                                         select=self._fields(spec, "key", "name", "code", "deleted")):
            out.append(Warehouse(key=row[spec.field("key")], name=str(row.get(spec.field("name")) or "").strip(),
                                 code=str(row.get(spec.field("code")) or "") if spec.has("code") else "",
                                 deleted=bool(row.get(spec.field("deleted")))))
        return out

    # ------------------------------------------------------------------ items

    def item_count(self) -> int:
        spec = self.profile.object("product")
        folder = q.eq(spec.field("is_folder"), False) if spec.has("is_folder") else None
        return self.client.count(spec.entity_set, filter=folder)

    def item_keys(self) -> Iterator[str]:
        """Every item's key, key order (the deletion check: what vanished from the base)."""
        spec = self.profile.object("product")
        folder = q.eq(spec.field("is_folder"), False) if spec.has("is_folder") else None
        key = spec.field("key")
        for page in self.client.iter_pages_by_key(spec.entity_set, filter=folder, select=[key], page_size=5000):
            for row in page:
                yield row[key]

    def item_pages(self, *, page_size: int = ITEM_PAGE, price_types: Sequence[str] = (),
                   warehouses: Sequence[str] = (), after: str | None = None) -> Iterator[ItemPage]:
        """Items in key order, a page at a time, each with its variants, barcodes, prices of `price_types` and
        stock in `warehouses` (nothing read for an empty choice). `after` resumes behind a key."""
        spec = self.profile.object("product")
        folder = q.eq(spec.field("is_folder"), False) if spec.has("is_folder") else None
        wanted = self._fields(spec, "key", "name", "code", "article", "parent", "unit", "deleted", "product_type",
                              "is_service", "vat_rate", "vat_rate_kind")
        self.units()  # read once, before the pool's threads would each want it
        with ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="onec-catalog") as pool:
            for rows in self.client.iter_pages_by_key(spec.entity_set, filter=folder, select=wanted,
                                                      page_size=page_size, after=after):
                keys = [r[spec.field("key")] for r in rows]
                # Every chunk request of the page is in flight at once; gathered in submission order.
                variants = self._variant_reads(pool, keys)
                barcodes = self._barcode_reads(pool, keys)
                prices = self._price_reads(pool, keys) if price_types else []
                stock = self._stock_reads(pool, keys) if warehouses else []
                found_variants = self._variants(_gathered(variants))
                found_barcodes = self._barcodes(_gathered(barcodes))
                page = ItemPage([self._item(spec, row, found_variants, found_barcodes) for row in rows])
                if price_types:
                    self._prices(page, _gathered(prices), set(price_types))
                if warehouses:
                    self._stock(page, _gathered(stock), set(warehouses))
                yield page

    def stock_of(self, keys: Sequence[str]) -> dict[tuple[str, str | None], dict[str, Decimal]]:
        """Stock of these items now, per (item, characteristic) and warehouse key (a deal tab's few products)."""
        page = ItemPage([])
        with ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="onec-stock") as pool:
            rows = _gathered(self._stock_reads(pool, list(dict.fromkeys(keys))))
        self._stock(page, rows, {w.key for w in self.warehouses()})
        return {pair: figures.stock for pair, figures in page.figures.items() if figures.stock}

    def _item(self, spec: ObjectSpec, row: dict, variants: dict[str, list[Variant]],
              barcodes: dict[tuple[str, str | None], list[str]]) -> Item:
        key = row[spec.field("key")]
        unit_key = refs.read(spec.spec_of("unit"), row) if spec.has("unit") else None
        own = tuple(Variant(v.key, v.name, v.article, v.deleted, tuple(sorted(barcodes.get((key, v.key), ()))))
                    for v in variants.get(key, ()))
        return Item(
            key=key,
            name=str(row.get(spec.field("name")) or "").strip(),
            code=str(row.get(spec.field("code")) or "").strip() if spec.has("code") else "",
            article=str(row.get(spec.field("article")) or "").strip() if spec.has("article") else "",
            group=refs.read(spec.spec_of("parent"), row) if spec.has("parent") else None,
            unit=self.units().get(unit_key or ""),
            vat=self._vat(spec, row),
            service=self._is_service(spec, row),
            deleted=bool(row.get(spec.field("deleted"))),
            barcodes=tuple(sorted(barcodes.get((key, None), ()))),
            variants=own,
        )

    def _is_service(self, spec: ObjectSpec, row: dict) -> bool:
        if spec.has("is_service"):
            return bool(row.get(spec.field("is_service")))
        if spec.has("product_type"):
            kind = row.get(spec.field("product_type"))
            return kind in {spec.values.get("product_type_service"), spec.values.get("product_type_work")} - {None}
        return False

    def _vat(self, spec: ObjectSpec, row: dict) -> Decimal | None | str:
        """The item's VAT percent, None for "без НДС", "" when the base does not say."""
        if spec.has("vat_rate_kind"):
            kind = row.get(spec.field("vat_rate_kind"))
            if not kind:
                return ""
            for name, percent in RATE_KINDS.items():
                if kind == spec.values.get(f"vat_rate_kind_{name}"):
                    return percent
            return general_rate(self.today) if kind == spec.values.get("vat_rate_kind_general") else ""
        if not spec.has("vat_rate"):
            return ""
        field_spec = spec.spec_of("vat_rate")
        value = row.get(field_spec.name)
        if not value or value == std.EMPTY_REF:
            return ""
        if field_spec.name.endswith(std.KEY_SUFFIX):
            return self._vat_catalog().get(str(value), "")
        return self._rate_of_enum(str(value))

    def _rate_of_enum(self, value: str) -> Decimal | None | str:
        """СтавкиНДС value -> percent, by the profile's rate_kind_<percent> values (НДС20 -> 20). УТ 11.4 has no
        Catalog_СтавкиНДС (its object is disabled) but the same enumeration, so the values are read regardless."""
        spec = self.profile.objects.get("vat_rate")
        if spec is None:
            return ""
        for key, name in spec.values.items():
            if name == value and key.startswith("rate_kind_"):
                tail = key.removeprefix("rate_kind_")
                return None if tail == "none" else Decimal(tail)
        return ""

    def _vat_catalog(self) -> dict[str, Decimal | None]:
        """УТ 11.5: Catalog_СтавкиНДС element -> percent, by its enumeration value (else its Ставка)."""
        if self._vat_refs is None:
            spec = self.profile.object("vat_rate")
            self._vat_refs = {}
            for row in self.client.iter_rows(spec.entity_set, select=self._fields(spec, "key", "rate_kind", "rate")):
                rate = self._rate_of_enum(str(row.get(spec.field("rate_kind")) or ""))
                if rate == "" and spec.has("rate") and row.get(spec.field("rate")) is not None:
                    rate = _decimal(row.get(spec.field("rate")))
                self._vat_refs[row[spec.field("key")]] = rate if rate != "" else None
        return self._vat_refs

    # Each reader of a page's related rows has two halves: `_<what>_reads` submits one request per chunk of keys
    # to the pool (a future per chunk, gathered by the caller), `_<what>` turns the rows into the model.

    def _submit(self, pool: ThreadPoolExecutor, keys: Sequence[str], read: Callable[[Sequence[str]], list]) -> list:
        return [pool.submit(read, chunk) for chunk in _chunks(keys)]

    def _variant_reads(self, pool: ThreadPoolExecutor, keys: Sequence[str]) -> list:
        spec = self._spec("characteristic")
        if spec is None:
            return []
        items_set = self.profile.object("product").entity_set
        owner = spec.spec_of("owner")
        select = self._fields(spec, "key", "name", "article", "deleted", "owner")
        return self._submit(pool, keys, lambda chunk: list(self.client.iter_rows(
            spec.entity_set, filter=refs.any_equals(owner, chunk, items_set), select=select)))

    def _variants(self, rows: list[dict]) -> dict[str, list[Variant]]:
        spec = self._spec("characteristic")
        if spec is None:
            return {}
        items_set = self.profile.object("product").entity_set
        owner = spec.spec_of("owner")
        out: dict[str, list[Variant]] = {}
        for row in rows:
            item = refs.read(owner, row, items_set)
            if item is None:
                continue
            out.setdefault(item, []).append(Variant(
                key=row[spec.field("key")], name=str(row.get(spec.field("name")) or "").strip(),
                article=str(row.get(spec.field("article")) or "").strip() if spec.has("article") else "",
                deleted=bool(row.get(spec.field("deleted")))))
        return out

    def _barcode_reads(self, pool: ThreadPoolExecutor, keys: Sequence[str]) -> list:
        spec = self._spec("barcode")
        if spec is None:
            return []
        product = spec.spec_of("product")
        variant = spec.spec_of("characteristic") if spec.has("characteristic") else None
        items_set = self.profile.object("product").entity_set
        select = refs.select(spec.spec_of("barcode"), product, variant)
        return self._submit(pool, keys, lambda chunk: [r for page in self.client.iter_pages(
            spec.records_set, filter=refs.any_equals(product, chunk, items_set), select=select, orderby=None)
            for r in page])

    def _barcodes(self, rows: list[dict]) -> dict[tuple[str, str | None], list[str]]:
        spec = self._spec("barcode")
        if spec is None:
            return {}
        product = spec.spec_of("product")
        variant = spec.spec_of("characteristic") if spec.has("characteristic") else None
        out: dict[tuple[str, str | None], list[str]] = {}
        for row in rows:
            code = str(row.get(spec.field("barcode")) or "").strip()
            item = refs.read(product, row)
            if code and item:
                out.setdefault((item, refs.read(variant, row) if variant else None), []).append(code)
        return out

    # ------------------------------------------------------------------ figures

    def _price_reads(self, pool: ThreadPoolExecutor, keys: Sequence[str]) -> list:
        spec = self.profile.object("price")
        product = spec.spec_of("product")
        items_set = self.profile.object("product").entity_set
        return self._submit(pool, keys, lambda chunk: self.client.virtual_table(
            spec.records_set, std.SLICE_LAST, {std.ARG_CONDITION: refs.any_equals(product, chunk, items_set)}))

    def _prices(self, page: ItemPage, rows: list[dict], wanted: set[str]) -> None:
        spec = self.profile.object("price")
        product, kind = spec.spec_of("product"), spec.spec_of("price_type")
        variant = spec.spec_of("characteristic") if spec.has("characteristic") else None
        currency = spec.spec_of("currency") if spec.has("currency") else None
        currencies = self.currencies() if currency is not None else {}
        for row in rows:
            if refs.read(kind, row) not in wanted:
                continue
            item = refs.read(product, row)
            if item is None:
                continue
            letters = currencies.get(refs.read(currency, row) or "", "RUB") if currency else "RUB"
            page.of(item, refs.read(variant, row) if variant else None).prices[refs.read(kind, row) or ""] = (
                _decimal(row.get(spec.field("price"))), letters)

    def _stock_reads(self, pool: ThreadPoolExecutor, keys: Sequence[str]) -> list:
        spec = self.profile.object("stock")
        items_set = self.profile.object("product").entity_set
        product = spec.spec_of("product")
        if spec.kind == "accounting_register":
            # БП: the quantity balance of every account keeping the item as subconto 1 (and a warehouse as 2).
            return self._submit(pool, keys, lambda chunk: self.client.virtual_table(
                spec.entity_set, std.BALANCE, {std.ARG_CONDITION: refs.any_equals(product, chunk, items_set)}))
        variant = spec.spec_of("characteristic") if spec.has("characteristic") else None
        dimensions = [f.attribute for f in (product, variant, spec.spec_of("warehouse")) if f is not None]
        return self._submit(pool, keys, lambda chunk: self.client.balance(
            spec.entity_set, condition=refs.any_equals(product, chunk, items_set), dimensions=dimensions))

    def _stock(self, page: ItemPage, rows: list[dict], wanted: set[str]) -> None:
        spec = self.profile.object("stock")
        product, warehouse = spec.spec_of("product"), spec.spec_of("warehouse")
        if spec.kind == "accounting_register":
            items_set = self.profile.object("product").entity_set
            warehouses_set = self.profile.object("warehouse").entity_set
            quantity = spec.field("quantity")  # КоличествоBalance: the column name itself
            for row in rows:
                self._add_stock(page, refs.read(product, row, items_set), None,
                                refs.read(warehouse, row, warehouses_set), row.get(quantity), wanted)
            return
        variant = spec.spec_of("characteristic") if spec.has("characteristic") else None
        resource = spec.field("on_hand") if spec.has("on_hand") else spec.field("quantity")
        for row in rows:
            self._add_stock(page, refs.read(product, row), refs.read(variant, row) if variant else None,
                            refs.read(warehouse, row), row.get(resource + std.BALANCE_SUFFIX), wanted)

    @staticmethod
    def _add_stock(page: ItemPage, item: str | None, variant: str | None, warehouse: str | None,
                   quantity: object, wanted: set[str]) -> None:
        if item is None or warehouse is None or warehouse not in wanted:
            return
        figures = page.of(item, variant).stock
        figures[warehouse] = figures.get(warehouse, Decimal(0)) + _decimal(quantity)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _fields(spec: ObjectSpec, *logical: str) -> list[str]:
        """`$select` for the logical fields the profile maps (both properties of a composite one)."""
        return refs.select(*(spec.spec_of(name) for name in logical if spec.has(name)))

