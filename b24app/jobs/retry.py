"""The retry policy of the exchange, by error kind, in one place.

- **permanent** — authorisation refused (1C login/password, the portal's authorisation lost), the 1C schema does
  not match the profile, 1C refused the data, a missing product or setting (`PermanentSyncError`), the base's
  address is one the app may not call (`OneCAddressRefused`: loopback/private and not allowed — a settings
  problem, not an outage): retrying cannot help until a person acts, so the item becomes a dead letter at once,
  with the reason in plain words.
- **wait for the base** — the 1C base is known to be down (its circuit is open, `BaseUnavailable`): the item
  waits until the base may be tried again and spends no attempt, so a 1C outage of any length delays work and
  dead-letters nothing.
- **busy** — another job holds the entity: retried shortly, no attempt spent.
- **transient** — timeouts, 5xx, the portal's rate limit, anything unexpected: retried with the one backoff
  formula (`core/backoff.py`) until `max_attempts`, then a dead letter.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from b24app.bitrix.errors import PortalAuthError
from b24app.bitrix.tokens import TokenUnavailable
from b24app.config import SyncTuning
from b24app.core.backoff import backoff_delay
from b24app.core.errors import BaseUnavailable, Busy, PermanentSyncError
from b24app.onec.errors import OneCAddressRefused, OneCAuthError, OneCQueryError, SchemaMismatch

BUSY_RETRY_SECONDS = 5.0


class Kind(enum.Enum):
    PERMANENT = "permanent"
    WAIT_FOR_BASE = "wait_for_base"
    BUSY = "busy"
    TRANSIENT = "transient"


@dataclass(frozen=True)
class Decision:
    kind: Kind
    reason: str
    # Seconds until the next try (None: no next try, the item is dead).
    delay: float | None
    # Whether this failure spends one of the item's attempts.
    counts: bool


def kind_of(exc: BaseException) -> Kind:
    if isinstance(exc, BaseUnavailable):
        return Kind.WAIT_FOR_BASE
    if isinstance(exc, Busy):
        return Kind.BUSY
    if isinstance(exc, TokenUnavailable):
        return Kind.PERMANENT if exc.permanent else Kind.TRANSIENT
    if isinstance(exc, PermanentSyncError | OneCAuthError | SchemaMismatch | OneCQueryError | PortalAuthError
                  | OneCAddressRefused):
        return Kind.PERMANENT
    return Kind.TRANSIENT


def plain_reason(exc: BaseException) -> str:
    """The failure in words a person can act on (no stack trace, no class names where the message says it)."""
    if isinstance(exc, OneCAuthError):
        return f"1C refused the login or password of the base ({exc.base or 'base'}): fix them in the settings"
    if isinstance(exc, OneCAddressRefused):
        return (f"the address of the 1C base ({exc.base or 'base'}) is not one the app may call: {exc.reason}; "
                "fix the base's address in the settings")
    if isinstance(exc, SchemaMismatch):
        return f"the 1C base does not publish what the profile needs: {exc}"
    if isinstance(exc, PortalAuthError) or (isinstance(exc, TokenUnavailable) and exc.permanent):
        return f"the portal's authorisation is lost ({exc}): reinstall or reopen the app as an administrator"
    text = str(exc).strip()
    if isinstance(exc, PermanentSyncError | OneCQueryError | BaseUnavailable | Busy):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def decide(exc: BaseException, attempts: int, tuning: SyncTuning, now: float) -> Decision:
    """What to do after `exc` ended attempt number `attempts` (1-based) of an item, at epoch time `now`."""
    kind = kind_of(exc)
    reason = plain_reason(exc)
    if kind is Kind.PERMANENT:
        return Decision(kind, reason, None, True)
    if kind is Kind.WAIT_FOR_BASE:
        assert isinstance(exc, BaseUnavailable)
        return Decision(kind, reason, max(1.0, exc.retry_at - now), False)
    if kind is Kind.BUSY:
        return Decision(kind, reason, BUSY_RETRY_SECONDS, False)
    if attempts >= tuning.max_attempts:
        return Decision(kind, reason, None, True)
    return Decision(kind, reason, retry_delay(tuning, attempts), True)


def retry_delay(tuning: SyncTuning, attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones."""
    return backoff_delay(attempts - 1, tuning.retry_base_seconds, tuning.retry_cap_seconds)
