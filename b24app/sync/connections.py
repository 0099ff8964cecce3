"""The two ends a pull job talks to, built the same way by every stream."""

from __future__ import annotations

from b24app.bitrix.client import BitrixClient
from b24app.onec.odata import ODataClient, RetryPolicy
from b24app.onec.profiles import Profile, load_profile
from b24app.runtime import Runtime


def bitrix_for(ctx: Runtime, member_id: str) -> BitrixClient:

    return ctx.bitrix(member_id)


def onec_for(ctx: Runtime, member_id: str, base_id: int) -> tuple[ODataClient, Profile]:
    """A client for a scheduled pull: short in-call retries, since the job itself is retried with backoff."""
    base = ctx.bases.connection(member_id, base_id)
    return ODataClient(base, retry=RetryPolicy(attempts=2, base_delay=0.5, max_delay=4.0)), load_profile(base.profile)
