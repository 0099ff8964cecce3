"""SQLAlchemy models. Every table but `portals` is keyed by portal: the app is multi-tenant from day one."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PortalStatus(enum.StrEnum):
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"
    UNINSTALLED = "uninstalled"


class Portal(Base):
    """One Bitrix24 account that installed the app. Secrets are stored encrypted (see store/crypto.py)."""

    __tablename__ = "portals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    domain: Mapped[str] = mapped_column(String(255), nullable=False)
    client_endpoint: Mapped[str] = mapped_column(String(512), nullable=False)
    server_endpoint: Mapped[str | None] = mapped_column(String(512))
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    application_token_enc: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(String(512))
    lang: Mapped[str | None] = mapped_column(String(8))
    installed_by_user_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[PortalStatus] = mapped_column(
        Enum(PortalStatus, name="portal_status", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]),
        nullable=False,
        default=PortalStatus.ACTIVE,
    )
    status_reason: Mapped[str | None] = mapped_column(String(512))
    # Leaky-bucket parameters of this portal's REST limit; None means the ordinary-plan defaults (limits.md).
    rate_limit_per_second: Mapped[float | None] = mapped_column()
    rate_limit_burst: Mapped[int | None] = mapped_column(Integer)
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
    uninstalled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
