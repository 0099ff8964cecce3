"""Typed errors of the Bitrix24 REST client.

Every error carries the portal's own ``code`` and ``description`` (the ``error`` and ``error_description``
fields of the answer), the REST ``method`` that failed and the HTTP status, so a person reading a log line or a
dead-letter entry can tell what to do without re-running the call.

Sources for the codes and statuses:
- system errors any method can return: ``_includes/system-errors.md`` (also ``error-codes.md``);
- the OAuth server's codes: ``settings/oauth/error-codes.md``;
- classic CRM methods answer 400 with an EMPTY ``error`` and the reason in ``error_description``
  ("Not found", "Access denied"): ``api-reference/crm/deals/crm-deal-get.md``, ``crm-deal-update.md``;
- ``crm.item.*`` answers ``NOT_FOUND`` / ``ACCESS_DENIED``: ``api-reference/crm/universal/crm-item-get.md``;
- ``OPERATION_TIME_LIMIT`` (HTTP 429) and ``operating_reset_at``: ``limits.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


class BitrixError(Exception):
    """A Bitrix24 REST call failed; ``code``/``description`` are the portal's words.

    ``batch_partial`` is set when a later call of a multi-call ``BitrixClient.batch`` failed: the BatchResult
    of the calls that had already been made (their changes are real).
    """

    batch_partial: Any = None

    def __init__(
        self,
        code: str,
        description: str = "",
        method: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.code = code
        self.description = description
        self.method = method
        self.http_status = http_status
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.method}: " if self.method else ""
        status = f" (HTTP {self.http_status})" if self.http_status is not None else ""
        code = self.code or "<empty error code>"
        detail = f" - {self.description}" if self.description else ""
        return f"{where}{code}{detail}{status}{self.hint()}"

    def hint(self) -> str:
        """What a person can do about it; empty when the code says enough."""
        return ""


class RateLimited(BitrixError):
    """``QUERY_LIMIT_EXCEEDED``: the portal's request bucket is full (``limits.md``)."""

    def hint(self) -> str:
        return (
            ". Too many requests reached this portal from our IP; the client backs off, and if it keeps"
            " happening another process or app shares the IP without sharing our limiter"
        )


class TokenExpired(BitrixError):
    """``expired_token``: the access token's hour is over; a refresh fixes it (``settings/oauth/index.md``)."""


class PortalAuthError(BitrixError):
    """The portal or OAuth server rejected our credentials in a way a token refresh will not fix.

    Reinstalling the app, renewing its payment, or fixing the client id/secret or webhook is needed.
    """

    def hint(self) -> str:
        return ". Check the app's installation on this portal (tokens, client id/secret, payment, webhook)"


class AccessDenied(BitrixError):
    """The credentials are valid but lack a right: scope, user access or CRM permission."""

    def hint(self) -> str:
        return ". Grant the scope or CRM permission to the app/user that makes this call"


class MethodNotFound(BitrixError):
    """``ERROR_METHOD_NOT_FOUND``: misspelt, absent on this portal's version, or its scope is missing."""


class NotFound(BitrixError):
    """The entity addressed by the call does not exist (deleted, or a wrong ID)."""


class BatchLengthExceeded(BitrixError):
    """``ERROR_BATCH_LENGTH_EXCEEDED``: more than 50 commands in one batch (``batch.md``)."""


class PortalUnavailable(BitrixError):
    """The portal did not answer usefully: 5xx other than the rate limit, or the connection failed."""


class OperationTimeLimit(BitrixError):
    """``OPERATION_TIME_LIMIT``: this method used its execution-time budget (480 s in 10 min, ``limits.md``).

    ``reset_at`` is the Unix time when the oldest minute basket of the budget frees (the last
    ``operating_reset_at`` we saw for the method), or None when no answer told us.
    """

    def __init__(
        self,
        code: str,
        description: str = "",
        method: str | None = None,
        http_status: int | None = None,
        reset_at: float | None = None,
    ) -> None:
        self.reset_at = reset_at
        super().__init__(code, description, method, http_status)

    def hint(self) -> str:
        if self.reset_at is None:
            return ". The method is blocked for this portal until part of its 10-minute budget frees"
        when = datetime.fromtimestamp(self.reset_at, UTC).isoformat(timespec="seconds")
        return f". The method is blocked for this portal; part of its budget frees at {when}"


# Codes with a fixed meaning whatever the HTTP status (the docs list some with different statuses in
# different revisions of _includes/system-errors.md, so the code decides, not the status).
_BY_CODE: dict[str, type[BitrixError]] = {
    "QUERY_LIMIT_EXCEEDED": RateLimited,
    "expired_token": TokenExpired,
    "invalid_token": PortalAuthError,
    "NO_AUTH_FOUND": PortalAuthError,
    "INVALID_CREDENTIALS": PortalAuthError,
    "invalid_grant": PortalAuthError,
    "invalid_client": PortalAuthError,
    "invalid_request": PortalAuthError,
    "PAYMENT_REQUIRED": PortalAuthError,
    "wrong_client": PortalAuthError,
    "WRONG_AUTH_TYPE": PortalAuthError,
    "authorization_error": PortalAuthError,
    "PORTAL_DELETED": PortalAuthError,
    "ACCESS_DENIED": AccessDenied,
    "insufficient_scope": AccessDenied,
    "invalid_scope": AccessDenied,
    "user_access_error": AccessDenied,
    "allowed_only_intranet_user": AccessDenied,
    "ERROR_METHOD_NOT_FOUND": MethodNotFound,
    "METHOD_NOT_FOUND": MethodNotFound,
    "NOT_FOUND": NotFound,
    "ERROR_NOT_FOUND": NotFound,
    "OPERATION_TIME_LIMIT": OperationTimeLimit,
    "ERROR_BATCH_LENGTH_EXCEEDED": BatchLengthExceeded,
    "INTERNAL_SERVER_ERROR": PortalUnavailable,
    "ERROR_UNEXPECTED_ANSWER": PortalUnavailable,
    "OVERLOAD_LIMIT": PortalUnavailable,
}

# Classic CRM methods put no code in ``error``; the description is the only signal.
_BY_EMPTY_CODE_DESCRIPTION: dict[str, type[BitrixError]] = {
    "not found": NotFound,
    "access denied": AccessDenied,
}

# Codes that retrying cannot cure even though they map to PortalUnavailable: OVERLOAD_LIMIT is a manual
# block lifted only by Bitrix24 support (_includes/system-errors.md).
NOT_RETRYABLE_CODES = frozenset({"OVERLOAD_LIMIT"})


def error_from_answer(
    answer: Mapping[str, Any],
    *,
    method: str | None,
    http_status: int | None,
    operating_reset_at: float | None = None,
) -> BitrixError:
    """Build the typed error for an answer ``{"error": ..., "error_description": ...}``.

    ``operating_reset_at`` is what we know of the method's budget reset, attached to OperationTimeLimit.
    """
    code = str(answer.get("error") or "")
    description = str(answer.get("error_description") or "")
    cls = _BY_CODE.get(code)
    if cls is None and not code:
        cls = _BY_EMPTY_CODE_DESCRIPTION.get(description.strip().rstrip(".!").lower())
    if cls is None:
        cls = _class_for_status(http_status)
    if cls is OperationTimeLimit:
        return OperationTimeLimit(code, description, method, http_status, reset_at=operating_reset_at)
    return cls(code, description, method, http_status)


def _class_for_status(http_status: int | None) -> type[BitrixError]:
    if http_status is None:
        return BitrixError
    if http_status == 503 or http_status >= 500:
        return PortalUnavailable
    if http_status == 404:
        return NotFound
    if http_status == 403:
        return AccessDenied
    if http_status == 401:
        return PortalAuthError
    return BitrixError
