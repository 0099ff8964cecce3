"""Token upkeep: refresh every active portal's access token before it expires (ARCHITECTURE.md flow 5)."""

from __future__ import annotations

import logging

from rq import Retry

from b24app.bitrix.tokens import TokenUnavailable
from b24app.runtime import process_runtime

log = logging.getLogger(__name__)


def refresh_expiring_tokens() -> list[str]:
    """Scheduled: enqueue one refresh per portal whose token expires within the refresh-ahead window.

    The window is twice the configured lead so that a portal is caught by at least one tick of a scheduler
    running at the configured interval before its token reaches the lead time.
    """
    ctx = process_runtime()
    due = ctx.portals.expiring(ctx.settings.refresh_ahead_seconds * 2)
    q = ctx.queue("tokens")
    for member_id in due:
        q.enqueue(refresh_portal_token, member_id, job_timeout=120,
                  retry=Retry(max=3, interval=[10, 60, 300]), description=f"refresh token of {member_id}")
    if due:
        log.info("token refresh enqueued for %d portal(s)", len(due))
    return due


def refresh_portal_token(member_id: str) -> str:
    """Refresh one portal's token unless another process already did. Returns the new expiry (ISO)."""
    ctx = process_runtime()
    try:
        tokens = ctx.tokens(member_id)
        tokens.refresh_now()
    except TokenUnavailable as exc:
        if exc.permanent:
            # The portal is marked "needs re-auth" already; retrying would only spend effort and log noise.
            log.error("portal %s: %s; not retrying", member_id, exc.reason)
            return "needs_reauth"
        raise
    return tokens.expires_at.isoformat() if tokens.expires_at else ""
