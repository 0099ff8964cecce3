"""The orders the app offers 1C over CommerceML (table `commerceml_orders`), and their way to 1C.

1C's exchange node fetches orders itself: `type=sale&mode=query` answers the documents, `mode=success` says the
node took them (the protocol: 1C's "exchange with a website", ARCHITECTURE.md). An exchange that dies in between
must lose nothing, and a `success` must confirm only what that exchange was given, so each order row moves
  pending --query E--> offered (E) --success E--> confirmed
and back to pending whenever its document changes. An offered row is offered again by every later query (its
exchange becomes the later one) until a success of the exchange it was last offered in; a confirmed row is never
offered again unless its deal changes. Every step is one transaction, so two queries or a query and a deal job
never split a row's state from its document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from b24app.store.db import Database
from b24app.store.models import CommerceMLOrderRow
from b24app.store.tenancy import portal_id

PENDING, OFFERED, CONFIRMED = "pending", "offered", "confirmed"
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
MAX_EXCHANGE_ID = 64


@dataclass(frozen=True)
class OrderRecord:
    id: int
    deal_id: str
    number: str
    version: int
    state: str
    exchange_id: str | None
    document: str
    source_hash: str
    created_at: datetime
    offered_version: int | None
    confirmed_version: int | None
    onec_number: str | None
    onec_status: str | None
    applied_hash: str


def _record(row: CommerceMLOrderRow) -> OrderRecord:
    return OrderRecord(row.id, row.deal_id, row.number, row.version, row.state, row.exchange_id, row.document,
                       row.source_hash, row.created_at, row.offered_version, row.confirmed_version, row.onec_number,
                       row.onec_status, row.applied_hash)


# render(version, created) -> the <Документ> text of that version of the order.
Render = Callable[[int, datetime], str]


def _exchange(exchange_id: str) -> str:
    exchange_id = str(exchange_id or "").strip()
    if not exchange_id or len(exchange_id) > MAX_EXCHANGE_ID:
        raise ValueError(f"an exchange id of 1 to {MAX_EXCHANGE_ID} characters is needed")
    return exchange_id


class CommerceMLOrders:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, member_id: str, base_id: int, deal_id: str) -> OrderRecord | None:
        with self._db.transaction() as s:
            row = self._row(s, member_id, base_id, deal_id)
            return _record(row) if row else None

    def save(self, member_id: str, base_id: int, deal_id: str, *, number: str, source_hash: str, render: Render,
             now: datetime) -> tuple[OrderRecord, str]:
        """Record the deal's order as it is now: NEW (pending), CHANGED (its document replaced and pending again;
        a version 1C has been offered is never rewritten in place: the next one gets a higher НомерВерсии) or
        UNCHANGED (same source: the row is left exactly as it was, whatever its state)."""
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            row = self._row(s, member_id, base_id, deal_id, lock=True)
            if row is None:
                row = CommerceMLOrderRow(portal_id=pid, base_id=base_id, deal_id=str(deal_id), number=number,
                                         version=1, document=render(1, now), source_hash=source_hash,
                                         state=PENDING, created_at=now, applied_hash="")
                s.add(row)
                s.flush()
                return _record(row), NEW
            if row.source_hash == source_hash:
                return _record(row), UNCHANGED
            seen = row.offered_version is not None and row.offered_version >= row.version
            row.version = row.version + 1 if seen else row.version
            row.document = render(row.version, row.created_at)
            row.source_hash = source_hash
            row.state, row.exchange_id = PENDING, None
            s.flush()
            return _record(row), CHANGED

    def withdraw(self, member_id: str, base_id: int, deal_id: str) -> bool:
        """Forget an order 1C was never offered (its deal was lost first); True when a row went."""
        with self._db.transaction() as s:
            result = s.execute(delete(CommerceMLOrderRow).where(
                CommerceMLOrderRow.portal_id == portal_id(s, member_id), CommerceMLOrderRow.base_id == base_id,
                CommerceMLOrderRow.deal_id == str(deal_id), CommerceMLOrderRow.offered_version.is_(None)))
            return result.rowcount > 0

    def offer(self, member_id: str, base_id: int, exchange_id: str, now: datetime) -> list[OrderRecord]:
        """Every order not yet confirmed, now offered in `exchange_id` (oldest first)."""
        exchange_id = _exchange(exchange_id)
        with self._db.transaction() as s:
            q = select(CommerceMLOrderRow).where(
                CommerceMLOrderRow.portal_id == portal_id(s, member_id), CommerceMLOrderRow.base_id == base_id,
                CommerceMLOrderRow.state.in_([PENDING, OFFERED])).order_by(CommerceMLOrderRow.id)
            rows = s.scalars(q.with_for_update()).all()
            for row in rows:
                row.state, row.exchange_id = OFFERED, exchange_id
                row.offered_version, row.offered_at = row.version, now
            s.flush()
            return [_record(r) for r in rows]

    def confirm(self, member_id: str, base_id: int, exchange_id: str, now: datetime) -> list[OrderRecord]:
        """The orders offered in `exchange_id` (and not changed since) become confirmed; the ones confirmed now."""
        exchange_id = _exchange(exchange_id)
        with self._db.transaction() as s:
            rows = s.scalars(select(CommerceMLOrderRow).where(
                CommerceMLOrderRow.portal_id == portal_id(s, member_id), CommerceMLOrderRow.base_id == base_id,
                CommerceMLOrderRow.state == OFFERED, CommerceMLOrderRow.exchange_id == exchange_id)
                .with_for_update()).all()
            for row in rows:
                row.state, row.confirmed_version, row.confirmed_at = CONFIRMED, row.offered_version, now
            s.flush()
            return [_record(r) for r in rows]

    def by_numbers(self, member_id: str, base_id: int, numbers: Iterable[str]) -> dict[str, OrderRecord]:
        """number -> order, for the numbers (our Ид / Номер) 1C's documents name."""
        wanted = sorted({n for n in numbers if n})
        out: dict[str, OrderRecord] = {}
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for start in range(0, len(wanted), 500):
                rows = s.scalars(select(CommerceMLOrderRow).where(
                    CommerceMLOrderRow.portal_id == pid, CommerceMLOrderRow.base_id == base_id,
                    CommerceMLOrderRow.number.in_(wanted[start:start + 500]))).all()
                out.update((r.number, _record(r)) for r in rows)
        return out

    def applied(self, order_id: int, *, applied_hash: str, onec_number: str | None, onec_status: str | None) -> None:
        """What 1C last said of the order, once the deal holds it."""
        with self._db.transaction() as s:
            row = s.get(CommerceMLOrderRow, order_id)
            if row is not None:
                row.applied_hash = applied_hash
                row.onec_number = (onec_number or None) and onec_number[:64]
                row.onec_status = (onec_status or None) and onec_status[:128]

    @staticmethod
    def _row(s, member_id: str, base_id: int, deal_id: str, *, lock: bool = False  # noqa: ANN001 - Session
             ) -> CommerceMLOrderRow | None:
        q = select(CommerceMLOrderRow).where(
            CommerceMLOrderRow.portal_id == portal_id(s, member_id), CommerceMLOrderRow.base_id == base_id,
            CommerceMLOrderRow.deal_id == str(deal_id))
        return s.scalar(q.with_for_update() if lock else q)
