"""Building a BitrixClient for an installed portal: its tokens, its rate limit shared through Redis."""

from __future__ import annotations

from dataclasses import dataclass

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.ratelimit import RateLimiter
from b24app.context import AppContext

# limits.md: ordinary plans drain 2 requests/s with a bucket of 50; Enterprise 5/s and 250.
DEFAULT_RATE = 2.0
DEFAULT_BURST = 50


def rate_limit_key(prefix: str, member_id: str) -> str:
    return f"{prefix}:ratelimit:{member_id}"


def client_for_portal(ctx: AppContext, member_id: str, *, timeout: float = 30.0) -> BitrixClient:
    """A client whose every request draws from this portal's shared bucket and uses its refreshed token."""
    tokens = ctx.tokens(member_id)
    record = ctx.portals.require(member_id)
    limiter = RateLimiter(
        ctx.redis,
        rate_limit_key(ctx.settings.queue_prefix, member_id),
        rate=record.rate_limit_per_second or DEFAULT_RATE,
        burst=record.rate_limit_burst or DEFAULT_BURST,
    )
    return BitrixClient(tokens, limiter=limiter, timeout=timeout, auth_connector=ctx.manifest.code)


@dataclass
class _PresentedToken:
    """A token handed to us in a request, used once to prove it is genuine; it is never refreshed."""

    member_id: str
    client_endpoint: str
    token: str

    def access_token(self) -> str:
        return self.token

    def refresh_after_rejection(self, rejected: str) -> str:
        from b24app.bitrix.errors import TokenExpired

        raise TokenExpired("expired_token", "the presented token has expired", "app.info", 401)


def probe_token(endpoint: str, access_token: str) -> dict:
    """Call app.info with a presented token at an endpoint we derived ourselves; raises BitrixError if refused."""
    client = BitrixClient(_PresentedToken("", endpoint, access_token), timeout=10.0, max_retries=1)
    return client.call("app.info").result
