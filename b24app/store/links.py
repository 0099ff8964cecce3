"""Links between Bitrix24 entities and 1C objects (deal ↔ customer order, company ↔ counterparty, …)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from b24app.store.db import Database
from b24app.store.models import EntityLinkRow
from b24app.store.tenancy import portal_id


@dataclass(frozen=True)
class Link:
    base_id: int
    b24_type: str
    b24_id: str
    onec_set: str
    onec_ref: str
    onec_number: str | None


class LinkStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def put(self, member_id: str, base_id: int, b24_type: str, b24_id: str, onec_set: str, onec_ref: str,
            onec_number: str | None = None) -> Link:
        """Create or repoint the link of (entity, base, 1C object kind): one 1C object per kind and base."""
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            row = s.scalar(select(EntityLinkRow).where(
                EntityLinkRow.portal_id == pid, EntityLinkRow.b24_type == b24_type,
                EntityLinkRow.b24_id == str(b24_id), EntityLinkRow.base_id == base_id,
                EntityLinkRow.onec_set == onec_set))
            if row is None:
                row = EntityLinkRow(portal_id=pid, base_id=base_id, b24_type=b24_type, b24_id=str(b24_id),
                                    onec_set=onec_set)
                s.add(row)
            if onec_number is not None or row.onec_ref != onec_ref:
                row.onec_number = onec_number  # no number given for the same object: keep the one known
            row.onec_ref = onec_ref
            s.flush()
            return _link(row)

    def for_entity(self, member_id: str, b24_type: str, b24_id: str) -> list[Link]:
        with self._db.transaction() as s:
            rows = s.scalars(select(EntityLinkRow).where(
                EntityLinkRow.portal_id == portal_id(s, member_id), EntityLinkRow.b24_type == b24_type,
                EntityLinkRow.b24_id == str(b24_id)).order_by(EntityLinkRow.id)).all()
            return [_link(r) for r in rows]

    def for_onec(self, member_id: str, base_id: int, onec_set: str, onec_ref: str) -> list[Link]:
        with self._db.transaction() as s:
            rows = s.scalars(select(EntityLinkRow).where(
                EntityLinkRow.portal_id == portal_id(s, member_id), EntityLinkRow.base_id == base_id,
                EntityLinkRow.onec_set == onec_set, EntityLinkRow.onec_ref == onec_ref)).all()
            return [_link(r) for r in rows]


    def remove(self, member_id: str, link: Link) -> bool:
        """Remove the link, only while it still points at the same 1C object; True when a row went."""
        with self._db.transaction() as s:
            result = s.execute(delete(EntityLinkRow).where(
                EntityLinkRow.portal_id == portal_id(s, member_id), EntityLinkRow.base_id == link.base_id,
                EntityLinkRow.b24_type == link.b24_type, EntityLinkRow.b24_id == link.b24_id,
                EntityLinkRow.onec_set == link.onec_set, EntityLinkRow.onec_ref == link.onec_ref))
            return result.rowcount > 0


def _link(row: EntityLinkRow) -> Link:
    return Link(row.base_id, row.b24_type, row.b24_id, row.onec_set, row.onec_ref, row.onec_number)
