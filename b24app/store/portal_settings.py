"""The portal settings document (`sync/portal_settings.py` is its schema), one row per portal with a version for
optimistic concurrency: two administrators saving at once never overwrite each other silently."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.core.portal_settings import PortalSettings
from b24app.store.db import Database
from b24app.store.models import PortalSettingsRow
from b24app.store.tenancy import portal_id


class StaleSettings(RuntimeError):
    """Someone saved the settings after they were loaded; reload and apply the change again."""


class PortalSettingsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self, member_id: str) -> tuple[PortalSettings, int]:
        """The settings and their version (0 when never saved: the defaults)."""
        with self._db.transaction() as s:
            row = s.scalar(select(PortalSettingsRow).where(PortalSettingsRow.portal_id == portal_id(s, member_id)))
            if row is None:
                return PortalSettings(), 0
            return PortalSettings.from_json(row.data), row.version

    def get(self, member_id: str) -> PortalSettings:
        return self.load(member_id)[0]

    def save(self, member_id: str, settings: PortalSettings, expected_version: int) -> int:
        """Save if nobody saved since `expected_version` was loaded; returns the new version."""
        with self._db.transaction() as s:
            return write_versioned(s, portal_id(s, member_id), member_id, settings, expected_version)


def write_versioned(s: Session, pid: int, member_id: str, settings: PortalSettings, expected_version: int) -> int:
    """The one versioned write of the settings, inside the caller's transaction (a save, an import, a base
    removal): refuses with StaleSettings when someone saved since `expected_version` was loaded."""
    row = s.scalar(select(PortalSettingsRow).where(PortalSettingsRow.portal_id == pid).with_for_update())
    current = row.version if row is not None else 0
    if current != expected_version:
        raise StaleSettings(f"settings of {member_id} changed (version {current}, expected {expected_version})")
    if row is None:
        row = PortalSettingsRow(portal_id=pid, version=0)
        s.add(row)
    row.data = settings.to_json()
    row.version = current + 1
    return row.version
