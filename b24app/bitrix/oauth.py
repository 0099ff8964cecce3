"""Talking to the Bitrix24 OAuth server: exchanging a refresh token for a new pair (through Authlib).

settings/oauth/index.md: the token endpoint is https://oauth.bitrix.info/oauth/token/ with grant_type=refresh_token,
client_id, client_secret and refresh_token; the answer holds access_token, refresh_token, expires_in,
client_endpoint, server_endpoint, member_id, scope, status; a used refresh token is replaced by the new one.
settings/oauth/error-codes.md lists the errors; invalid_grant / invalid_client / PAYMENT_REQUIRED do not heal by
retrying, so they are reported as permanent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from b24app.store.portals import TokenGrant

log = logging.getLogger(__name__)

# Errors after which the stored refresh token can never work again: the portal must reinstall or re-authorise.
PERMANENT_ERRORS = frozenset({
    "invalid_grant", "invalid_client", "invalid_token", "expired_token", "wrong_client",
    "PAYMENT_REQUIRED", "NO_AUTH_FOUND", "unauthorized_client", "invalid_request",
})


class OAuthRefreshError(RuntimeError):
    """The OAuth server did not give us a new token pair. `permanent` says whether retrying can help."""

    def __init__(self, code: str, description: str, *, permanent: bool) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.permanent = permanent


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in {"localhost", "::1"} or host.startswith("127.")


@dataclass(frozen=True)
class OAuthClient:
    """The app's credentials and the OAuth server they are valid at."""

    client_id: str
    client_secret: str
    token_url: str
    allow_insecure_loopback: bool = False
    timeout: float = 15.0

    def refresh(self, refresh_token: str) -> TokenGrant:
        """Spend `refresh_token` once and return the new pair. Never logs either token."""
        if self.token_url.startswith("http://"):
            if not (self.allow_insecure_loopback and _is_loopback(self.token_url)):
                raise OAuthRefreshError("insecure_transport", f"refusing plain HTTP to {self.token_url}",
                                        permanent=True)
            # Authlib itself accepts plain HTTP to a loopback address (RFC 8252 §7.3) and nothing else, so the
            # development sandbox needs no process-wide switch.
        session = OAuth2Session(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method="client_secret_post",
        )
        try:
            token = session.refresh_token(self.token_url, refresh_token=refresh_token, timeout=self.timeout)
        except OAuthError as exc:
            code = exc.error or "oauth_error"
            raise OAuthRefreshError(code, exc.description or "", permanent=code in PERMANENT_ERRORS) from None
        except requests.RequestException as exc:
            raise OAuthRefreshError("unreachable", f"{type(exc).__name__} talking to the OAuth server",
                                    permanent=False) from None
        except ValueError as exc:  # a non-JSON body (proxy error page, 5xx)
            raise OAuthRefreshError("bad_response", str(exc)[:200], permanent=False) from None
        finally:
            session.close()
        return grant_from_token_response(dict(token))


def grant_from_token_response(token: dict) -> TokenGrant:
    """Translate the OAuth server's JSON into a TokenGrant, insisting on the fields we cannot work without."""
    missing = [k for k in ("access_token", "refresh_token") if not token.get(k)]
    if missing:
        code = str(token.get("error") or "bad_response")
        raise OAuthRefreshError(code, f"token answer lacks {', '.join(missing)}", permanent=code in PERMANENT_ERRORS)
    expires_in = int(token.get("expires_in") or 3600)
    return TokenGrant(
        access_token=str(token["access_token"]),
        refresh_token=str(token["refresh_token"]),
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        client_endpoint=token.get("client_endpoint") or None,
        server_endpoint=token.get("server_endpoint") or None,
        scope=token.get("scope") or None,
        member_id=token.get("member_id") or None,
    )
