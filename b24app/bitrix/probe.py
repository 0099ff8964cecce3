"""Proving a token handed to us in a request: one call with it at an endpoint we derived ourselves."""

from __future__ import annotations

from dataclasses import dataclass

from b24app.bitrix.client import BitrixClient


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


def is_admin(endpoint: str, access_token: str) -> bool:
    """Whether the token's user administers the portal: `user.admin` answers true or false for the calling user
    (api-reference/common/users/user-admin.md)."""
    client = BitrixClient(_PresentedToken("", endpoint, access_token), timeout=10.0, max_retries=1)
    return client.call("user.admin").result is True
