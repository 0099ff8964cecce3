"""Which portal catalog object each 1C catalog object became (table `catalog_links`), with fingerprints of what
was last written: the catalog load's memory and its checkpoint.

A create is reserved (`reserve`, b24_id NULL) before it is sent and completed (`record`) after the portal answers,
so a run killed in between leaves a reservation the next run resolves by looking the object up by its XML_ID.
Everything here is per (portal, base, kind); reads come in chunks so a 100,000-item catalog is never held whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from b24app.store.db import Database
from b24app.store.models import CatalogLinkRow
from b24app.store.tenancy import portal_id

CHUNK = 500  # keys per IN (...): well under SQLite's and PostgreSQL's parameter limits

SECTION = "section"
PRODUCT = "product"
OFFER = "offer"
PRICE_TYPE = "price_type"
STORE = "store"
KINDS = (SECTION, PRODUCT, OFFER, PRICE_TYPE, STORE)


@dataclass(frozen=True)
class CatalogLink:
    onec_key: str
    b24_id: int | None
    fields_hash: str = ""
    prices_hash: str = ""
    stock_hash: str = ""


@dataclass(frozen=True)
class Written:
    """What one write did to one object: its portal id and the fingerprints now true (None: unchanged)."""

    onec_key: str
    b24_id: int
    fields_hash: str | None = None
    prices_hash: str | None = None
    stock_hash: str | None = None


def _chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start:start + CHUNK]


def _link(row: CatalogLinkRow) -> CatalogLink:
    return CatalogLink(row.onec_key, row.b24_id, row.fields_hash, row.prices_hash, row.stock_hash)


class CatalogLinks:
    def __init__(self, db: Database) -> None:
        self._db = db

    def of_keys(self, member_id: str, base_id: int, kind: str, keys: Sequence[str]) -> dict[str, CatalogLink]:
        out: dict[str, CatalogLink] = {}
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for chunk in _chunks(list(dict.fromkeys(keys))):
                rows = s.scalars(select(CatalogLinkRow).where(
                    CatalogLinkRow.portal_id == pid, CatalogLinkRow.base_id == base_id,
                    CatalogLinkRow.kind == kind, CatalogLinkRow.onec_key.in_(chunk))).all()
                out.update((r.onec_key, _link(r)) for r in rows)
        return out

    def all_of(self, member_id: str, base_id: int, kind: str) -> dict[str, CatalogLink]:
        """Every link of a small kind (sections, price types, stores)."""
        with self._db.transaction() as s:
            rows = s.scalars(select(CatalogLinkRow).where(
                CatalogLinkRow.portal_id == portal_id(s, member_id), CatalogLinkRow.base_id == base_id,
                CatalogLinkRow.kind == kind)).all()
            return {r.onec_key: _link(r) for r in rows}

    def count(self, member_id: str, base_id: int, kind: str) -> int:
        with self._db.transaction() as s:
            return int(s.scalar(select(func.count()).select_from(CatalogLinkRow).where(
                CatalogLinkRow.portal_id == portal_id(s, member_id), CatalogLinkRow.base_id == base_id,
                CatalogLinkRow.kind == kind)) or 0)

    def keys(self, member_id: str, base_id: int, kind: str) -> Iterator[str]:
        """Every linked 1C key of a kind, in pages (the deletion check compares them with the base)."""
        last = ""
        while True:
            with self._db.transaction() as s:
                page = s.scalars(select(CatalogLinkRow.onec_key).where(
                    CatalogLinkRow.portal_id == portal_id(s, member_id), CatalogLinkRow.base_id == base_id,
                    CatalogLinkRow.kind == kind, CatalogLinkRow.onec_key > last)
                    .order_by(CatalogLinkRow.onec_key).limit(CHUNK * 4)).all()
            if not page:
                return
            yield from page
            last = page[-1]

    def reserve(self, member_id: str, base_id: int, kind: str, keys: Iterable[str]) -> None:
        """Mark creates about to be sent: a row without a portal id, unless the key is linked already."""
        wanted = list(dict.fromkeys(keys))
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for chunk in _chunks(wanted):
                known = set(s.scalars(select(CatalogLinkRow.onec_key).where(
                    CatalogLinkRow.portal_id == pid, CatalogLinkRow.base_id == base_id,
                    CatalogLinkRow.kind == kind, CatalogLinkRow.onec_key.in_(chunk))).all())
                s.add_all(CatalogLinkRow(portal_id=pid, base_id=base_id, kind=kind, onec_key=key)
                          for key in chunk if key not in known)

    def record(self, member_id: str, base_id: int, kind: str, written: Sequence[Written]) -> None:
        """Store what was written: the portal id and the fingerprints a write made true."""
        by_key = {w.onec_key: w for w in written}
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for chunk in _chunks(list(by_key)):
                rows = {r.onec_key: r for r in s.scalars(select(CatalogLinkRow).where(
                    CatalogLinkRow.portal_id == pid, CatalogLinkRow.base_id == base_id,
                    CatalogLinkRow.kind == kind, CatalogLinkRow.onec_key.in_(chunk))).all()}
                for key in chunk:
                    w = by_key[key]
                    row = rows.get(key)
                    if row is None:
                        row = CatalogLinkRow(portal_id=pid, base_id=base_id, kind=kind, onec_key=key,
                                             fields_hash="", prices_hash="", stock_hash="")
                        s.add(row)
                    row.b24_id = w.b24_id
                    for name in ("fields_hash", "prices_hash", "stock_hash"):
                        value = getattr(w, name)
                        if value is not None:
                            setattr(row, name, value)

    def forget_hashes(self, member_id: str, base_id: int, kind: str, keys: Sequence[str], *,
                      prices: bool = False, stock: bool = False) -> None:
        """Make the next run write these objects' prices or stock again (the portal lost or refused them)."""
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for chunk in _chunks(list(keys)):
                for row in s.scalars(select(CatalogLinkRow).where(
                        CatalogLinkRow.portal_id == pid, CatalogLinkRow.base_id == base_id,
                        CatalogLinkRow.kind == kind, CatalogLinkRow.onec_key.in_(chunk))).all():
                    if prices:
                        row.prices_hash = ""
                    if stock:
                        row.stock_hash = ""

    def onec_of(self, member_id: str, kinds: Sequence[str], b24_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
        """Portal id -> (base id, 1C key) for linked objects of these kinds (a deal's rows to 1C items)."""
        out: dict[int, tuple[int, str]] = {}
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for chunk in _chunks([str(i) for i in b24_ids]):
                rows = s.execute(select(CatalogLinkRow.b24_id, CatalogLinkRow.base_id, CatalogLinkRow.onec_key).where(
                    CatalogLinkRow.portal_id == pid, CatalogLinkRow.kind.in_(list(kinds)),
                    CatalogLinkRow.b24_id.in_([int(i) for i in chunk]))).all()
                out.update((int(b24), (base, key)) for b24, base, key in rows)
        return out

    def b24_ids(self, member_id: str, base_id: int, kind: str, keys: Sequence[str]) -> Mapping[str, int]:
        return {k: link.b24_id for k, link in self.of_keys(member_id, base_id, kind, keys).items()
                if link.b24_id is not None}
