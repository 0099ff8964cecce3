"""The staging table of CommerceML exchanges and the base's CommerceML catalog (tables `commerceml_staging`,
`commerceml_catalog`; models at the end of `store/models.py`).

An exchange's files are parsed into staging rows as they are read, a thousand rows a transaction, so a file of
hundreds of megabytes never sits in memory; the catalog source (`commerceml/catalog_source.py`) then reads them
back a page of items at a time, merges each item with what earlier exchanges said (the catalog table) and hands
the page to the one catalog pipeline. Values are kept as plain JSON (`encode` / `decode_*` below).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, distinct, exists, func, insert, select, update

from b24app.commerceml.catalog_files import FileSummary, Offer, Property, Record
from b24app.core.catalog_model import Group, Item, PriceType, Unit, Variant, Warehouse
from b24app.store.db import Database
from b24app.store.models import CommerceMLCatalogRow, CommerceMLStagingRow
from b24app.store.tenancy import portal_id

WRITE_CHUNK = 1000  # staged rows per transaction: a short write lock, few round trips
READ_CHUNK = 500  # keys per IN (...), well under SQLite's and PostgreSQL's parameter limits

ITEM, OFFER, FILE = "item", "offer", "file"
REFERENCE_KINDS = {Group: "group", Property: "property", Unit: "unit", PriceType: "price_type",
                   Warehouse: "warehouse"}


# ---------------------------------------------------------------------------------------------- JSON forms


def _vat_json(vat: Decimal | None | str) -> str | None:
    return None if vat is None else str(vat)


def unit_json(unit: Unit | None) -> dict | None:
    return asdict(unit) if unit is not None else None


def decode_unit(data: Mapping | None) -> Unit | None:
    return Unit(**data) if data else None


def item_json(item: Item) -> dict[str, Any]:
    return {"key": item.key, "name": item.name, "code": item.code, "article": item.article, "group": item.group,
            "unit": unit_json(item.unit), "vat": _vat_json(item.vat), "service": item.service,
            "deleted": item.deleted, "barcodes": list(item.barcodes)}


def decode_item(data: Mapping, variants: tuple[Variant, ...] = ()) -> Item:
    vat = data.get("vat")
    return Item(key=data["key"], name=data.get("name", ""), code=data.get("code", ""),
                article=data.get("article", ""), group=data.get("group"), unit=decode_unit(data.get("unit")),
                vat=None if vat is None else (Decimal(vat) if vat else ""), service=bool(data.get("service")),
                deleted=bool(data.get("deleted")), barcodes=tuple(data.get("barcodes") or ()), variants=variants)


def offer_json(offer: Offer) -> dict[str, Any]:
    """Only what the Предложение said: a key absent here leaves the earlier value in place when merged."""
    out: dict[str, Any] = {"name": offer.name, "deleted": offer.deleted}
    if offer.article:
        out["article"] = offer.article
    if offer.unit is not None:
        out["unit"] = unit_json(offer.unit)
    if offer.variant is not None:
        out["variant"] = {"name": offer.variant.name, "barcodes": list(offer.variant.barcodes)}
    if offer.prices is not None:
        out["prices"] = {k: [str(p), c] for k, (p, c) in offer.prices.items()}
    if offer.stock is not None:
        out["stock"] = {k: str(q) for k, q in offer.stock.items()}
    return out


def reference_json(record: Group | Property | Unit | PriceType | Warehouse) -> dict[str, Any]:
    return asdict(record)


def decode_reference(kind: str, data: Mapping) -> Group | Property | Unit | PriceType | Warehouse:
    cls = next(c for c, k in REFERENCE_KINDS.items() if k == kind)
    return cls(**data)


def encode(record: Record) -> tuple[str, str, str, dict]:
    """(kind, item key, part key, data) of a parsed record."""
    if isinstance(record, Item):
        return ITEM, record.key, "", item_json(record)
    if isinstance(record, Offer):
        return OFFER, record.item, record.variant.key if record.variant else "", offer_json(record)
    return REFERENCE_KINDS[type(record)], record.key, "", reference_json(record)


def summary_json(summary: FileSummary) -> dict[str, Any]:
    return {k: v for k, v in asdict(summary).items() if not k.startswith("_")}


# ---------------------------------------------------------------------------------------------- the store


class Staging:
    """Staging rows of exchanges and the catalog of each base, per (portal, base)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ staging

    def stage(self, member_id: str, base_id: int, exchange_id: str, records: Iterable[Record]) -> int:
        """Write the records, WRITE_CHUNK a transaction; how many were written."""
        count = 0
        chunk: list[dict] = []
        pid: int | None = None
        for record in records:
            kind, key, part, data = encode(record)
            if not key:
                continue
            chunk.append({"base_id": base_id, "exchange_id": exchange_id, "kind": kind, "item_key": key,
                          "part_key": part, "data": data})
            if len(chunk) >= WRITE_CHUNK:
                pid = self._insert(member_id, pid, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            self._insert(member_id, pid, chunk)
            count += len(chunk)
        return count

    def _insert(self, member_id: str, pid: int | None, rows: list[dict]) -> int:
        with self._db.transaction() as s:
            pid = pid if pid is not None else portal_id(s, member_id)
            # Core insert, not the ORM's: thousands of plain rows, no objects to track.
            s.connection().execute(CommerceMLStagingRow.__table__.insert(), [{**r, "portal_id": pid} for r in rows])
        return pid

    def note_file(self, member_id: str, base_id: int, exchange_id: str, summary: FileSummary) -> None:
        self._insert(member_id, None, [{"base_id": base_id, "exchange_id": exchange_id, "kind": FILE,
                                        "item_key": summary.name[:160], "part_key": "",
                                        "data": summary_json(summary)}])

    def files(self, member_id: str, base_id: int, exchange_id: str) -> list[dict]:
        with self._db.transaction() as s:
            return [dict(d) for d in s.scalars(select(CommerceMLStagingRow.data).where(
                *self._exchange(s, member_id, base_id, exchange_id), CommerceMLStagingRow.kind == FILE)
                .order_by(CommerceMLStagingRow.id))]

    def clear(self, member_id: str, base_id: int, exchange_id: str) -> int:
        """Remove an exchange's rows (before a new parse of its files, and once it is loaded)."""
        with self._db.transaction() as s:
            return s.execute(delete(CommerceMLStagingRow).where(
                *self._exchange(s, member_id, base_id, exchange_id))).rowcount or 0

    def clear_base(self, member_id: str, base_id: int) -> int:
        """Remove every exchange's rows of a base: what a worker killed mid-exchange left (called under the base's
        catalog lock, when no other exchange of the base can be running)."""
        with self._db.transaction() as s:
            return s.execute(delete(CommerceMLStagingRow).where(
                CommerceMLStagingRow.portal_id == portal_id(s, member_id),
                CommerceMLStagingRow.base_id == base_id)).rowcount or 0

    def count(self, member_id: str, base_id: int, exchange_id: str | None = None) -> int:
        with self._db.transaction() as s:
            where = [CommerceMLStagingRow.portal_id == portal_id(s, member_id), CommerceMLStagingRow.base_id == base_id]
            if exchange_id is not None:
                where.append(CommerceMLStagingRow.exchange_id == exchange_id)
            return s.scalar(select(func.count()).select_from(CommerceMLStagingRow).where(*where)) or 0

    def attach_offers_to_hash_items(self, member_id: str, base_id: int, exchange_id: str) -> None:
        """1C's 2.04 demo exports each characteristic as a Товар of its own, Ид "<item>#<characteristic>", and its
        offer under the same Ид: such an offer is that product's, not a variation of "<item>" (sample off-doc-1c).
        The offer rows are re-keyed to the staged or known item whose key is the whole Ид."""
        s_row = CommerceMLStagingRow
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            # Only an exchange (or a base) with such products pays for the walk over its offers.
            hash_items = s.scalar(select(func.count()).select_from(s_row).where(
                s_row.portal_id == pid, s_row.base_id == base_id, s_row.exchange_id == exchange_id,
                s_row.kind == ITEM, s_row.item_key.contains("#"))) or s.scalar(
                select(func.count()).select_from(CommerceMLCatalogRow).where(
                    CommerceMLCatalogRow.portal_id == pid, CommerceMLCatalogRow.base_id == base_id,
                    CommerceMLCatalogRow.kind == ITEM, CommerceMLCatalogRow.key.contains("#")))
            if not hash_items:
                return
            offers = s.execute(select(s_row.id, s_row.item_key, s_row.part_key).where(
                s_row.portal_id == pid, s_row.base_id == base_id, s_row.exchange_id == exchange_id,
                s_row.kind == OFFER, s_row.part_key != "")).all()
            if not offers:
                return
            wanted = sorted({f"{r.item_key}#{r.part_key}" for r in offers})
            known: set[str] = set()
            for start in range(0, len(wanted), READ_CHUNK):
                chunk = wanted[start:start + READ_CHUNK]
                known.update(s.scalars(select(s_row.item_key).distinct().where(
                    s_row.portal_id == pid, s_row.base_id == base_id, s_row.exchange_id == exchange_id,
                    s_row.kind == ITEM, s_row.item_key.in_(chunk))))
                known.update(s.scalars(select(CommerceMLCatalogRow.key).where(
                    CommerceMLCatalogRow.portal_id == pid, CommerceMLCatalogRow.base_id == base_id,
                    CommerceMLCatalogRow.kind == ITEM, CommerceMLCatalogRow.key.in_(chunk))))
            for r in offers:
                whole = f"{r.item_key}#{r.part_key}"
                if whole in known:
                    s.execute(update(s_row).where(s_row.id == r.id).values(item_key=whole, part_key=""))

    def item_keys(self, member_id: str, base_id: int, exchange_id: str, *, after: str | None = None,
                  limit: int | None = None) -> list[str]:
        """Distinct keys of the items the exchange names (by a Товар or an offer), key order."""
        with self._db.transaction() as s:
            query = select(CommerceMLStagingRow.item_key).distinct().where(
                *self._exchange(s, member_id, base_id, exchange_id),
                CommerceMLStagingRow.kind.in_((ITEM, OFFER)))
            if after is not None:
                query = query.where(CommerceMLStagingRow.item_key > after)
            query = query.order_by(CommerceMLStagingRow.item_key)
            if limit is not None:
                query = query.limit(limit)
            return list(s.scalars(query))

    def item_count(self, member_id: str, base_id: int, exchange_id: str) -> int:
        with self._db.transaction() as s:
            return s.scalar(select(func.count(distinct(CommerceMLStagingRow.item_key))).where(
                *self._exchange(s, member_id, base_id, exchange_id),
                CommerceMLStagingRow.kind.in_((ITEM, OFFER)))) or 0

    def staged_rows(self, member_id: str, base_id: int, exchange_id: str, keys: Sequence[str],
                    kinds: Sequence[str] = (ITEM, OFFER)) -> list[tuple[str, str, str, dict]]:
        """(kind, item key, part key, data) of these items' rows, file order."""
        out: list[tuple[str, str, str, dict]] = []
        with self._db.transaction() as s:
            where = self._exchange(s, member_id, base_id, exchange_id)
            for start in range(0, len(keys), READ_CHUNK):
                chunk = list(keys[start:start + READ_CHUNK])
                out.extend((r.kind, r.item_key, r.part_key, r.data) for r in s.execute(
                    select(CommerceMLStagingRow.kind, CommerceMLStagingRow.item_key, CommerceMLStagingRow.part_key,
                           CommerceMLStagingRow.data, CommerceMLStagingRow.id)
                    .where(*where, CommerceMLStagingRow.kind.in_(kinds), CommerceMLStagingRow.item_key.in_(chunk))
                    .order_by(CommerceMLStagingRow.id)))
        return out

    def staged_references(self, member_id: str, base_id: int, exchange_id: str, kind: str) -> Iterator[dict]:
        with self._db.transaction() as s:
            rows = s.scalars(select(CommerceMLStagingRow.data).where(
                *self._exchange(s, member_id, base_id, exchange_id), CommerceMLStagingRow.kind == kind)
                .order_by(CommerceMLStagingRow.id)).all()
        yield from rows

    def _exchange(self, s, member_id: str, base_id: int, exchange_id: str) -> list:  # noqa: ANN001 - Session
        return [CommerceMLStagingRow.portal_id == portal_id(s, member_id), CommerceMLStagingRow.base_id == base_id,
                CommerceMLStagingRow.exchange_id == exchange_id]

    # ------------------------------------------------------------------ the base's catalog

    def known(self, member_id: str, base_id: int, kind: str, keys: Sequence[str] | None = None) -> dict[str, dict]:
        """Catalog rows of a kind (all of a small kind, or these keys), key -> data."""
        out: dict[str, dict] = {}
        with self._db.transaction() as s:
            where = [CommerceMLCatalogRow.portal_id == portal_id(s, member_id),
                     CommerceMLCatalogRow.base_id == base_id, CommerceMLCatalogRow.kind == kind]
            if keys is None:
                out.update(s.execute(select(CommerceMLCatalogRow.key, CommerceMLCatalogRow.data).where(*where))
                           .all())
                return out
            for start in range(0, len(keys), READ_CHUNK):
                chunk = list(keys[start:start + READ_CHUNK])
                out.update(s.execute(select(CommerceMLCatalogRow.key, CommerceMLCatalogRow.data).where(
                    *where, CommerceMLCatalogRow.key.in_(chunk))).all())
        return out

    def remember(self, member_id: str, base_id: int, kind: str, values: Mapping[str, dict],
                 known: Mapping[str, dict] | None = None) -> None:
        """Insert or replace catalog rows of a kind. `known`: the rows as the caller read them (these keys'), so
        an unchanged row costs no statement — an exchange repeating the catalog rewrites nothing."""
        if known is not None:
            values = {k: v for k, v in values.items() if known.get(k) != v}
        if not values:
            return
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            keys = list(values)
            present: set[str] = set()
            if known is not None:
                present = {k for k in keys if k in known}
            else:
                for start in range(0, len(keys), READ_CHUNK):
                    present.update(s.scalars(select(CommerceMLCatalogRow.key).where(
                        CommerceMLCatalogRow.portal_id == pid, CommerceMLCatalogRow.base_id == base_id,
                        CommerceMLCatalogRow.kind == kind,
                        CommerceMLCatalogRow.key.in_(keys[start:start + READ_CHUNK]))))
            for key in present:
                s.execute(update(CommerceMLCatalogRow).where(
                    CommerceMLCatalogRow.portal_id == pid, CommerceMLCatalogRow.base_id == base_id,
                    CommerceMLCatalogRow.kind == kind, CommerceMLCatalogRow.key == key).values(data=values[key]))
            fresh = [{"portal_id": pid, "base_id": base_id, "kind": kind, "key": k, "data": values[k]}
                     for k in keys if k not in present]
            if fresh:
                s.execute(insert(CommerceMLCatalogRow), fresh)

    def forget_unstaged(self, member_id: str, base_id: int, exchange_id: str, kind: str,
                        staged_kinds: Sequence[str]) -> int:
        """A full exchange: catalog rows of `kind` the exchange does not name are gone from the base."""
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            named = exists().where(
                CommerceMLStagingRow.portal_id == pid, CommerceMLStagingRow.base_id == base_id,
                CommerceMLStagingRow.exchange_id == exchange_id, CommerceMLStagingRow.kind.in_(staged_kinds),
                CommerceMLStagingRow.item_key == CommerceMLCatalogRow.key)
            return s.execute(delete(CommerceMLCatalogRow).where(and_(
                CommerceMLCatalogRow.portal_id == pid, CommerceMLCatalogRow.base_id == base_id,
                CommerceMLCatalogRow.kind == kind, ~named)).execution_options(synchronize_session=False)).rowcount or 0

    def known_count(self, member_id: str, base_id: int, kind: str) -> int:
        with self._db.transaction() as s:
            return s.scalar(select(func.count()).select_from(CommerceMLCatalogRow).where(
                CommerceMLCatalogRow.portal_id == portal_id(s, member_id), CommerceMLCatalogRow.base_id == base_id,
                CommerceMLCatalogRow.kind == kind)) or 0
