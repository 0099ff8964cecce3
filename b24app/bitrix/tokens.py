"""One door to a portal's valid access token, for web, worker and scheduler alike.

Bitrix24 rotates refresh tokens: a refresh token works once (settings/oauth/index.md). When several processes
meet an expiring token at the same moment, only one may spend the refresh token; the others must pick up what it
stored. So every refresh happens under a per-portal Redis lock and begins by re-reading the stored pair.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from redis import Redis
from redis.exceptions import LockError

from b24app.bitrix.oauth import OAuthClient, OAuthRefreshError
from b24app.bitrix.spent import SpentRefreshTokens
from b24app.store.models import PortalStatus
from b24app.store.portals import PortalRecord, PortalStore

log = logging.getLogger(__name__)

LOCK_TIMEOUT = 30  # seconds a refresh may hold the lock (the OAuth call has a 15 s timeout)
LOCK_WAIT = 45


class TokenUnavailable(RuntimeError):
    """No valid token can be had for this portal now. `permanent` means an administrator must act."""

    def __init__(self, member_id: str, reason: str, *, permanent: bool) -> None:
        super().__init__(f"portal {member_id}: {reason}")
        self.member_id = member_id
        self.reason = reason
        self.permanent = permanent


def refresh_lock_key(prefix: str, member_id: str) -> str:
    return f"{prefix}:lock:token-refresh:{member_id}"


@contextmanager
def token_lock(redis: Redis, key: str, member_id: str) -> Iterator[None]:
    """Hold a portal's token lock (the one refreshes take) for a block that may spend one of its refresh tokens."""
    lock = redis.lock(key, timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_WAIT)
    if not lock.acquire():
        raise TokenUnavailable(member_id, "another process is still spending a token of this portal",
                               permanent=False)
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("portal %s: token lock expired before release", member_id)


class PortalTokens:
    """TokenSource for one portal: hands out a valid access token, refreshing ahead of expiry under a lock."""

    def __init__(
        self,
        member_id: str,
        store: PortalStore,
        oauth: OAuthClient,
        redis: Redis,
        *,
        spent: SpentRefreshTokens | None = None,
        refresh_ahead_seconds: float = 600,
        lock_key: str | None = None,
        refreshes_key: str | None = None,
    ) -> None:
        self.member_id = member_id
        self._store = store
        self._oauth = oauth
        self._redis = redis
        self._spent = spent
        self._ahead = refresh_ahead_seconds
        self._lock_key = lock_key or refresh_lock_key("b24app", member_id)
        # A Redis hash counting refreshes spent at the OAuth server by outcome, for /metrics (store/keys.py).
        self._refreshes_key = refreshes_key
        self._record: PortalRecord = self._usable(store.require(member_id))

    @property
    def client_endpoint(self) -> str:
        return self._record.client_endpoint

    @property
    def expires_at(self) -> datetime | None:
        return self._record.expires_at

    def access_token(self) -> str:
        """A token valid for at least the refresh-ahead window (refreshing first when it is not)."""
        if self._record.seconds_left() > self._ahead and self._record.access_token:
            return self._record.access_token
        return self._refresh(rejected=None)

    def refresh_after_rejection(self, rejected: str) -> str:
        """The portal answered expired_token for `rejected`: return a newer token, refreshing at most once."""
        return self._refresh(rejected=rejected)

    def refresh_now(self) -> str:
        """Refresh unconditionally unless another process did so within the lock (scheduled proactive job)."""
        return self._refresh(rejected=None)

    def _refresh(self, rejected: str | None) -> str:
        stale = rejected or self._record.access_token
        lock = self._redis.lock(self._lock_key, timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_WAIT)
        if not lock.acquire():
            raise TokenUnavailable(self.member_id, "another process is still refreshing the token", permanent=False)
        try:
            current = self._usable(self._store.require(self.member_id))
            if current.access_token != stale and current.access_token and (
                rejected is not None or current.seconds_left() > self._ahead
            ):
                # Someone refreshed while we waited for the lock: their pair is ours now.
                self._record = current
                return current.access_token
            if not current.refresh_token:
                raise TokenUnavailable(self.member_id, "no refresh token stored", permanent=True)
            try:
                grant = self._oauth.refresh(current.refresh_token)
            except OAuthRefreshError as exc:
                self._count("refused" if exc.permanent else "failed")
                if exc.permanent:
                    reason = f"token refresh refused: {exc.code}"
                    self._store.mark_needs_reauth(self.member_id, reason)
                    log.error("portal %s needs re-authorisation (%s)", self.member_id, exc.code)
                    raise TokenUnavailable(self.member_id, reason, permanent=True) from None
                log.warning("portal %s: token refresh failed, will retry (%s)", self.member_id, exc.code)
                raise TokenUnavailable(self.member_id, f"token refresh failed: {exc.code}", permanent=False) from None
            self._count("ok")
            if self._spent is not None:
                self._spent.mark(current.refresh_token)
            self._record = self._store.save_tokens(self.member_id, grant)
            log.info("portal %s: access token refreshed, valid until %s", self.member_id,
                     self._record.expires_at.isoformat() if self._record.expires_at else "?")
            return grant.access_token
        finally:
            try:
                lock.release()
            except LockError:
                log.warning("portal %s: refresh lock expired before release", self.member_id)

    def _count(self, outcome: str) -> None:
        if self._refreshes_key is not None:
            self._redis.hincrby(self._refreshes_key, outcome, 1)

    def _usable(self, record: PortalRecord) -> PortalRecord:
        if record.status is not PortalStatus.ACTIVE:
            raise TokenUnavailable(self.member_id, f"portal is {record.status.value}", permanent=True)
        return record
