"""How far each 1C → Bitrix24 stream has got, per portal, base and stream (table `watermarks`)."""

from __future__ import annotations

from sqlalchemy import select

from b24app.store.db import Database
from b24app.store.models import WatermarkRow
from b24app.store.tenancy import portal_id


class Watermarks:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, member_id: str, base_id: int, stream: str) -> dict:
        with self._db.transaction() as s:
            row = s.scalar(select(WatermarkRow).where(WatermarkRow.portal_id == portal_id(s, member_id),
                                                      WatermarkRow.base_id == base_id, WatermarkRow.stream == stream))
            return dict(row.value) if row is not None else {}

    def put(self, member_id: str, base_id: int, stream: str, value: dict) -> None:
        """Store the stream's new position. Callers do so only after Bitrix24 confirmed what it covers."""
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            row = s.scalar(select(WatermarkRow).where(WatermarkRow.portal_id == pid, WatermarkRow.base_id == base_id,
                                                      WatermarkRow.stream == stream).with_for_update())
            if row is None:
                row = WatermarkRow(portal_id=pid, base_id=base_id, stream=stream)
                s.add(row)
            row.value = value
