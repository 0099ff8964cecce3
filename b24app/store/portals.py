"""PortalStore: the one door to installed portals and their secrets.

The rest of the app asks for a `PortalRecord` (secrets decrypted, times in UTC) and never touches the encrypted
columns itself — the shape Slack's installation store uses, keyed here by Bitrix24's member_id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from b24app.store.crypto import SecretBox
from b24app.store.db import Database
from b24app.store.models import Portal, PortalStatus, utcnow


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes even for timezone-aware columns; everything we store is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PortalRecord:
    member_id: str
    domain: str
    client_endpoint: str
    server_endpoint: str | None
    access_token: str | None
    refresh_token: str | None
    expires_at: datetime | None
    application_token: str | None
    status: PortalStatus
    status_reason: str | None
    scope: str | None
    lang: str | None
    installed_by_user_id: str | None
    rate_limit_per_second: float | None
    rate_limit_burst: int | None
    installed_at: datetime
    updated_at: datetime
    uninstalled_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.status is PortalStatus.ACTIVE

    def seconds_left(self, now: datetime | None = None) -> float:
        """Seconds until the access token expires; negative when it already has, 0 when unknown."""
        if self.expires_at is None:
            return 0.0
        return (self.expires_at - (now or utcnow())).total_seconds()


@dataclass(frozen=True)
class TokenGrant:
    """A token pair as the portal or the OAuth server handed it to us."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    client_endpoint: str | None = None
    server_endpoint: str | None = None
    scope: str | None = None
    member_id: str | None = None  # the OAuth server names the portal; install verification relies on it


@dataclass(frozen=True)
class PortalAddress:
    """What checking a frame request needs of a portal (no secrets): where it is and whether it is active."""

    member_id: str
    domain: str
    client_endpoint: str
    status: PortalStatus

    @property
    def is_active(self) -> bool:
        return self.status is PortalStatus.ACTIVE


class PortalNotFound(LookupError):
    """No portal with this member_id was ever installed."""


class PortalStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    # -- reads ---------------------------------------------------------------------------------------------
    def get(self, member_id: str) -> PortalRecord | None:
        with self._db.transaction() as s:
            row = s.scalar(select(Portal).where(Portal.member_id == member_id))
            return self._record(row) if row else None

    def address(self, member_id: str) -> PortalAddress | None:
        """A four-column read without an ORM session or decryption: card tabs ask this on every request, and
        building the full record (three tokens decrypted) was a quarter of a warm tab's CPU."""
        query = select(Portal.member_id, Portal.domain, Portal.client_endpoint, Portal.status).where(
            Portal.member_id == member_id)
        with self._db.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else PortalAddress(row.member_id, row.domain, row.client_endpoint,
                                                      PortalStatus(row.status))

    def require(self, member_id: str) -> PortalRecord:
        record = self.get(member_id)
        if record is None:
            raise PortalNotFound(f"portal {member_id} is not installed")
        return record

    def expiring(self, within_seconds: float) -> list[str]:
        """member_ids of active portals whose access token expires within the given time (or has no expiry)."""
        horizon = datetime.fromtimestamp(utcnow().timestamp() + within_seconds, UTC)
        with self._db.transaction() as s:
            rows = s.scalars(select(Portal).where(Portal.status == PortalStatus.ACTIVE)).all()
            return [
                r.member_id for r in rows
                if r.refresh_token_enc and (r.expires_at is None or _aware(r.expires_at) <= horizon)
            ]

    def active_member_ids(self) -> list[str]:
        with self._db.transaction() as s:
            return list(s.scalars(select(Portal.member_id).where(Portal.status == PortalStatus.ACTIVE)))

    # -- writes --------------------------------------------------------------------------------------------
    def save_install(
        self,
        member_id: str,
        domain: str,
        client_endpoint: str,
        grant: TokenGrant | None,
        *,
        lang: str | None = None,
        user_id: str | None = None,
    ) -> PortalRecord:
        """Record an installation (first or repeated): tokens replaced (kept when `grant` is None), status
        active, history kept."""
        with self._db.transaction() as s:
            row = s.scalar(select(Portal).where(Portal.member_id == member_id).with_for_update())
            if row is None:
                row = Portal(member_id=member_id, installed_at=utcnow())
                s.add(row)
            elif row.status is PortalStatus.UNINSTALLED:
                row.installed_at = utcnow()
            row.domain = domain
            row.client_endpoint = client_endpoint
            if grant is not None:
                row.server_endpoint = grant.server_endpoint or row.server_endpoint
                self._apply_grant(row, grant)
            row.lang = lang or row.lang
            row.installed_by_user_id = user_id or row.installed_by_user_id
            row.status = PortalStatus.ACTIVE
            row.status_reason = None
            row.uninstalled_at = None
            s.flush()
            return self._record(row)

    def save_application_token(
        self,
        member_id: str,
        application_token: str,
        *,
        domain: str,
        client_endpoint: str,
        server_endpoint: str | None,
        grant: TokenGrant | None = None,
        lang: str | None = None,
    ) -> PortalRecord:
        """Store the application_token from ONAPPINSTALL (and its tokens, when the event carried them)."""
        with self._db.transaction() as s:
            row = s.scalar(select(Portal).where(Portal.member_id == member_id).with_for_update())
            if row is None:
                row = Portal(member_id=member_id, installed_at=utcnow(), status=PortalStatus.ACTIVE)
                s.add(row)
            elif row.status is PortalStatus.UNINSTALLED:
                row.installed_at = utcnow()
                row.status = PortalStatus.ACTIVE
                row.uninstalled_at = None
            row.domain = domain
            row.client_endpoint = client_endpoint
            row.server_endpoint = server_endpoint or row.server_endpoint
            row.application_token_enc = self._box.encrypt(application_token)
            row.lang = lang or row.lang
            if grant is not None:
                self._apply_grant(row, grant)
                row.status = PortalStatus.ACTIVE
                row.status_reason = None
            s.flush()
            return self._record(row)

    def save_tokens(self, member_id: str, grant: TokenGrant) -> PortalRecord:
        """Replace the token pair after a refresh; the old refresh token is spent and forgotten."""
        with self._db.transaction() as s:
            row = self._require_row(s, member_id)
            self._apply_grant(row, grant)
            if grant.client_endpoint:
                row.client_endpoint = grant.client_endpoint
            if grant.server_endpoint:
                row.server_endpoint = grant.server_endpoint
            s.flush()
            return self._record(row)

    def mark_needs_reauth(self, member_id: str, reason: str) -> None:
        with self._db.transaction() as s:
            row = self._require_row(s, member_id)
            if row.status is not PortalStatus.UNINSTALLED:
                row.status = PortalStatus.NEEDS_REAUTH
            row.status_reason = reason[:512]

    def mark_uninstalled(self, member_id: str) -> None:
        """Forget the tokens (they are dead anyway) but keep the row: history and links stay keyed by it."""
        with self._db.transaction() as s:
            row = self._require_row(s, member_id)
            row.status = PortalStatus.UNINSTALLED
            row.status_reason = "uninstalled from the portal"
            row.access_token_enc = None
            row.refresh_token_enc = None
            row.application_token_enc = None
            row.expires_at = None
            row.uninstalled_at = utcnow()

    def set_rate_limit(self, member_id: str, per_second: float | None, burst: int | None) -> None:
        with self._db.transaction() as s:
            row = self._require_row(s, member_id)
            row.rate_limit_per_second = per_second
            row.rate_limit_burst = burst

    # -- internals -----------------------------------------------------------------------------------------
    @staticmethod
    def _require_row(s, member_id: str) -> Portal:  # noqa: ANN001 - Session
        row = s.scalar(select(Portal).where(Portal.member_id == member_id).with_for_update())
        if row is None:
            raise PortalNotFound(f"portal {member_id} is not installed")
        return row

    def _apply_grant(self, row: Portal, grant: TokenGrant) -> None:
        row.access_token_enc = self._box.encrypt(grant.access_token)
        row.refresh_token_enc = self._box.encrypt(grant.refresh_token)
        row.expires_at = grant.expires_at
        if grant.scope:
            row.scope = grant.scope

    def _record(self, row: Portal) -> PortalRecord:
        return PortalRecord(
            member_id=row.member_id,
            domain=row.domain,
            client_endpoint=row.client_endpoint,
            server_endpoint=row.server_endpoint,
            access_token=self._box.decrypt(row.access_token_enc),
            refresh_token=self._box.decrypt(row.refresh_token_enc),
            expires_at=_aware(row.expires_at),
            application_token=self._box.decrypt(row.application_token_enc),
            status=PortalStatus(row.status),
            status_reason=row.status_reason,
            scope=row.scope,
            lang=row.lang,
            installed_by_user_id=row.installed_by_user_id,
            rate_limit_per_second=row.rate_limit_per_second,
            rate_limit_burst=row.rate_limit_burst,
            installed_at=_aware(row.installed_at),
            updated_at=_aware(row.updated_at),
            uninstalled_at=_aware(row.uninstalled_at),
        )
