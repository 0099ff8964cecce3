"""Typed errors of the 1C connector.

Each error carries what a person needs to act: the base, the HTTP status, 1C's own error code and
message (the `odata.error` body, platform docs 17.4.10 «Ошибочные ситуации», repo hacker-cb/1c-odata,
docs/1c/markdown/), and for schema problems the objects to publish.
"""

from __future__ import annotations


class OneCError(Exception):
    """A failed call to a 1C base.

    `code` is 1C's internal error code from `odata.error.code` (e.g. "9" = entity not found,
    "14" = query option parse error) or "" when the answer had none; `message` is 1C's text.
    """

    def __init__(self, code: str, message: str, http_status: int | None = None, base: str = "") -> None:
        self.code = code
        self.message = message
        self.http_status = http_status
        self.base = base
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = []
        if self.base:
            parts.append(f"1C base {self.base}")
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        if self.code:
            parts.append(f"code {self.code}")
        head = ", ".join(parts)
        return f"{head}: {self.message}" if head else self.message


class OneCUnavailable(OneCError):
    """The base could not be reached (connection refused, timeout, 5xx after every retry)."""


class OneCAuthError(OneCError):
    """401/403: the login or password is wrong, or the user lacks rights to the object."""


class OneCNotFound(OneCError):
    """404: the entity set or the element does not exist (or is not published)."""


class OneCQueryError(OneCError):
    """4xx other than auth/not-found: the request itself is wrong (unknown field, bad $filter...)."""


class OneCAddressRefused(OneCError):
    """The base's address is not one the app may call (loopback, private, link-local... and not allowed by the
    deployment; see `onec.egress`). Nothing was sent. A settings problem, not an outage: it stays until the
    address (or the deployment's allowlist) changes, so it is never retried and never opens the circuit."""

    def __init__(self, reason: str, base: str = "") -> None:
        super().__init__("", f"the address of the base is refused: {reason}", None, base)
        self.reason = reason


class AmbiguousDocument(OneCError):
    """More than one document carries the same idempotency key: a person must merge them."""


class SchemaMismatch(OneCError):
    """The base does not publish what the profile needs. `report` holds the full SchemaReport."""

    def __init__(self, message: str, report: object = None, base: str = "") -> None:
        super().__init__("", message, None, base)
        self.report = report
