"""Every table but `portals` is keyed by the portal's row id; callers speak member_id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.store.models import Portal
from b24app.store.portals import PortalNotFound


def portal_id(session: Session, member_id: str) -> int:
    found = session.scalar(select(Portal.id).where(Portal.member_id == member_id))
    if found is None:
        raise PortalNotFound(f"portal {member_id} is not installed")
    return found
