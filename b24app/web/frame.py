"""Checks common to every page the portal opens in a frame (card tabs, the app page).

The full verification of AUTH_ID against the portal belongs to the card-tab work; here we refuse what can be
refused without a network call: unknown or inactive portals and a DOMAIN that is not the stored one.
"""

from __future__ import annotations

from flask import Request

from b24app.context import AppContext
from b24app.installation import InstallRefused
from b24app.store.portals import PortalRecord
from b24app.web.params import portal_param


def framed_portal(ctx: AppContext, req: Request) -> PortalRecord:
    member_id = portal_param(req, "member_id")
    domain = portal_param(req, "DOMAIN").lower()
    if not member_id or not domain:
        raise InstallRefused("frame request lacks member_id or DOMAIN", status=400)
    record = ctx.portals.get(member_id)
    if record is None:
        raise InstallRefused(f"frame request for unknown member_id {member_id!r}")
    if record.domain != domain:
        raise InstallRefused(f"frame request for {member_id} claims DOMAIN {domain!r}, stored {record.domain!r}")
    return record
