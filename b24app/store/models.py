"""SQLAlchemy models. Every table but `portals`, the processes' `health_heartbeats` and `exchange_marks` (keyed by
scope and a key that names the portal) is keyed by portal: the app is multi-tenant from day one."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
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
    rate_limit_per_second: Mapped[float | None] = mapped_column(Float)
    rate_limit_burst: Mapped[int | None] = mapped_column(Integer)
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
    uninstalled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OneCBaseRow(Base):
    """A 1C base a portal exchanges with: one per legal entity. The password is stored encrypted."""

    __tablename__ = "onec_bases"
    __table_args__ = (UniqueConstraint("portal_id", "name", name="uq_onec_bases_portal_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    url: Mapped[str] = mapped_column(String(512), nullable=False)
    login: Mapped[str] = mapped_column(String(255), nullable=False)
    password_enc: Mapped[str | None] = mapped_column(Text)
    profile: Mapped[str] = mapped_column(String(64), nullable=False)
    legal_entity: Mapped[str | None] = mapped_column(String(255))
    legal_entity_inn: Mapped[str | None] = mapped_column(String(12))
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


class PortalSettingsRow(Base):
    """A portal's settings document (field and stage mapping, schedules, switches) as validated JSON."""

    __tablename__ = "portal_settings"

    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


class EntityLinkRow(Base):
    """A Bitrix24 entity tied to a 1C object (deal ↔ customer order, company ↔ counterparty, …)."""

    __tablename__ = "entity_links"
    __table_args__ = (
        UniqueConstraint("portal_id", "b24_type", "b24_id", "base_id", "onec_set",
                         name="uq_entity_links_b24_side"),
        Index("ix_entity_links_onec_ref", "base_id", "onec_set", "onec_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False)
    b24_type: Mapped[str] = mapped_column(String(32), nullable=False)  # deal, company, invoice, product
    b24_id: Mapped[str] = mapped_column(String(64), nullable=False)
    onec_set: Mapped[str] = mapped_column(String(255), nullable=False)  # e.g. Document_ЗаказКлиента
    onec_ref: Mapped[str] = mapped_column(String(36), nullable=False)  # Ref_Key GUID
    onec_number: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


class JournalRow(Base):
    """One exchange: what moved, which way, how it ended and how long it took (monitoring reads this)."""

    __tablename__ = "exchange_journal"
    __table_args__ = (
        Index("ix_exchange_journal_portal_started", "portal_id", "started_at"),
        # Keyset paging, filters and dashboard windows of the journal (migration 0006_journal_indexes).
        Index("ix_exchange_journal_portal_started_id", "portal_id", "started_at", "id",
              postgresql_include=["kind", "base_id", "status", "duration_ms"]),
        Index("ix_exchange_journal_portal_kind_started", "portal_id", "kind", "started_at", "id"),
        Index("ix_exchange_journal_portal_status_started", "portal_id", "status", "started_at", "id"),
        Index("ix_exchange_journal_portal_entity_started", "portal_id", "entity", "started_at", "id"),
        Index("ix_exchange_journal_portal_base_started", "portal_id", "base_id", "started_at", "id"),
        Index("ix_exchange_journal_portal_durations", "portal_id", "kind", "base_id", "status", "duration_ms",
              "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int | None] = mapped_column(ForeignKey("onec_bases.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(64), nullable=False)  # payments, debt, deal_order, token, ...
    direction: Mapped[str] = mapped_column(String(16), nullable=False)  # 1c_to_b24, b24_to_1c, internal
    entity: Mapped[str | None] = mapped_column(String(128))  # e.g. deal:42
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # ok, error, retry, skipped
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    items: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class OutboxRow(Base):
    """An accepted event waiting to be processed: written in the request that acknowledged it, so a lost
    queue or a killed worker never loses it. `dedup_key` refuses the same delivery twice; a replayed event for
    an entity whose job already ran is made harmless by the job's own idempotency (b24app/store/outbox.py)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("portal_id", "dedup_key", name="uq_outbox_portal_dedup"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)  # the entity type: deal, invoice
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    dedup_key: Mapped[str] = mapped_column(String(255), nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")  # pending/done/dead
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


class WatermarkRow(Base):
    """How far a pull from 1C has got, per portal, base and stream; moved only after Bitrix24 confirmed."""

    __tablename__ = "watermarks"
    __table_args__ = (UniqueConstraint("portal_id", "base_id", "stream", name="uq_watermarks_stream"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False)
    stream: Mapped[str] = mapped_column(String(64), nullable=False)  # payments, shipments, debt, ...
    value: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


class HeartbeatRow(Base):
    """The last time a process proved the database takes writes (`/healthz` rewrites its row on every probe).
    One row per process kind and host, so the table stays as small as the deployment."""

    __tablename__ = "health_heartbeats"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)  # e.g. web@host-1
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class MarkRow(Base):
    """What the exchange has already done, kept where a Redis restart cannot erase it: the fingerprint of what was
    last sent to 1C for an entity, the timeline comments already posted, the figures last written to a company,
    refresh tokens already spent. `scope` names the kind of mark, `key` the thing (it starts with the member_id
    where the mark belongs to a portal; long keys are hashed by `store/marks.py`)."""

    __tablename__ = "exchange_marks"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_exchange_marks_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    value: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


class DebtPartRow(Base):
    """One base's part of a company's debt: what that 1C base reported for the company under one of its
    organizations (legal entities) at its last debt pull. The company's debt fields are the sum of its parts, so
    bases pulled in any order give the same total; a pull of a base replaces that base's parts."""

    __tablename__ = "debt_parts"
    __table_args__ = (
        UniqueConstraint("portal_id", "base_id", "company_id", "organization_key", name="uq_debt_parts_part"),
        Index("ix_debt_parts_portal_company", "portal_id", "company_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False)
    company_id: Mapped[str] = mapped_column(String(64), nullable=False)
    organization_key: Mapped[str] = mapped_column(String(36), nullable=False, default="")  # 1C Ref_Key or ""
    organization: Mapped[str] = mapped_column(String(255), nullable=False, default="")  # its name, as read
    receivable: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False)
    overdue: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))  # None: the base cannot tell due dates
    payable: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=False), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


class AlertIncidentRow(Base):
    """One incident of a portal (the portal needs re-authorisation, a 1C base is down, …) from the evaluation that
    saw it first to the one that saw it clear. `key` names what is wrong ("base_down:3"); a key that clears and comes
    back opens a new row. `open_notice` / `resolve_notice` say what became of the two messages an incident is owed:
    "" not due yet, "queued" (its deliveries exist), "folded" (over the hourly limit: waits for the digest), "none"
    (nobody to tell, or the incident type is switched off)."""

    __tablename__ = "alert_incidents"
    __table_args__ = (Index("ix_alert_incidents_portal_key", "portal_id", "key", "resolved_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(String(160), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    detail: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)  # when the trouble began
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    open_notice: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    resolve_notice: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    last_alert_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AlertDeliveryRow(Base):
    """One message of one notice to one recipient over one channel ("email" to an address, "b24" to a portal user).
    Pending rows are tried again at every evaluation until they go out: a channel that is down loses nothing and
    holds up no other. `notice` groups the rows of one notice; the hourly limit counts notices, not rows."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_portal_status", "portal_id", "status"),
                      Index("ix_alert_deliveries_portal_created", "portal_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    notice: Mapped[str] = mapped_column(String(36), nullable=False)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("alert_incidents.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(16), nullable=False)  # opened, resolved, digest, test
    channel: Mapped[str] = mapped_column(String(8), nullable=False)  # email, b24
    recipient: Mapped[str] = mapped_column(String(255), nullable=False)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="pending")  # pending, sent
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CatalogLinkRow(Base):
    """One 1C catalog object and the portal catalog object it became: a section (a folder of items), a product
    (an item), an offer (an item's characteristic), a price type or a store (a warehouse). `b24_id` NULL means a
    create was sent and its answer not yet recorded: the next run looks the object up by its XML_ID before creating
    it again, so an interrupted load never makes a second product. The fingerprints are of what was last written,
    so an unchanged item costs no request."""

    __tablename__ = "catalog_links"
    __table_args__ = (
        UniqueConstraint("portal_id", "base_id", "kind", "onec_key", name="uq_catalog_links_object"),
        Index("ix_catalog_links_portal_kind_b24", "portal_id", "kind", "b24_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # section, product, offer, price_type, store
    onec_key: Mapped[str] = mapped_column(String(80), nullable=False)  # Ref_Key, or "<item>#<characteristic>"
    b24_id: Mapped[int | None] = mapped_column(Integer)
    fields_hash: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    prices_hash: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    stock_hash: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


# --- CommerceML orders (issue 16) ---


class CommerceMLOrderRow(Base):
    """A deal offered as an order to a 1C base that exchanges over CommerceML (the base's profile "commerceml"):
    1C fetches orders itself (`type=sale&mode=query`), so the app keeps each one here until 1C confirms it.

    `state`: "pending" (to offer in the next query) → "offered" (sent in the query `exchange_id`, waiting for that
    exchange's `mode=success`) → "confirmed". `number` is the app's own order number, the document's Ид and Номер,
    the same for every version; `version` is the document's НомерВерсии, raised when a document 1C already received
    changes. `document` is the <Документ> element as offered; `source_hash` a fingerprint of what it was made from,
    so a replayed event changes nothing. The `onec_*` columns and `applied_hash` hold what 1C last sent back."""

    __tablename__ = "commerceml_orders"
    __table_args__ = (
        UniqueConstraint("portal_id", "base_id", "deal_id", name="uq_commerceml_orders_deal"),
        Index("ix_commerceml_orders_portal_base_state", "portal_id", "base_id", "state"),
        Index("ix_commerceml_orders_portal_base_number", "portal_id", "base_id", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False)
    deal_id: Mapped[str] = mapped_column(String(20), nullable=False)
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    document: Mapped[str] = mapped_column(Text, nullable=False)
    source_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    exchange_id: Mapped[str | None] = mapped_column(String(64))
    offered_version: Mapped[int | None] = mapped_column(Integer)
    confirmed_version: Mapped[int | None] = mapped_column(Integer)
    onec_number: Mapped[str | None] = mapped_column(String(64))
    onec_status: Mapped[str | None] = mapped_column(String(128))
    applied_hash: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
    offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- CommerceML exchange (issue 16) ---


class ExchangeNodeRow(Base):
    """The exchange endpoint of one 1C base on the CommerceML route: 1C's "exchange with a website" calls
    /exchange/<token>. The token names the portal and base in the URL and is random, so it cannot be guessed; the
    login and the encrypted password live on the base's row (onec_bases). `generation` grows with every new pair of
    credentials, so the sessions of the old pair end at once."""

    __tablename__ = "commerceml_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False,
                                         unique=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    credentials_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class ExchangeRunRow(Base):
    """One exchange of a node, from 1C's `init` to its last call: the upload directory's files with their sizes
    and the digest of each file's last chunk (a chunk sent again after a lost answer is not appended twice), and
    the jobs that process what arrived. `id` is the exchange id the import and order jobs get."""

    __tablename__ = "commerceml_exchanges"
    __table_args__ = (Index("ix_commerceml_exchanges_node_started", "node_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False)
    node_id: Mapped[int] = mapped_column(ForeignKey("commerceml_nodes.id", ondelete="CASCADE"), nullable=False)
    type: Mapped[str] = mapped_column(String(8), nullable=False)  # catalog, sale
    version: Mapped[str | None] = mapped_column(String(16))  # the CommerceML version agreed at init, if any
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="uploading")  # importing, done, failed
    files: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # name -> {"size", "last"}
    bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    jobs: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # [{"job_id", "paths"}]
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


# --- counterparty links (issue 14, C4) ---


class PartyLinkRow(Base):
    """One 1C counterparty (or one contact person of it) and the CRM company or contact it became. `crm_id` NULL
    means a create was sent and its answer not yet recorded: the next run looks the card up by ORIGIN_ID before
    creating it again, so an interrupted load never makes a second card. `person_of` is the counterparty's key for a
    contact person ("" for a counterparty). The hashes are fingerprints of the 1C counterparty and of the CRM fields
    last written or seen, so an unchanged counterparty costs no request and our own write never echoes back."""

    __tablename__ = "party_links"
    __table_args__ = (
        UniqueConstraint("portal_id", "base_id", "onec_key", name="uq_party_links_key"),
        Index("ix_party_links_portal_entity_crm", "portal_id", "entity", "crm_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False)
    onec_key: Mapped[str] = mapped_column(String(80), nullable=False)  # Ref_Key of the counterparty / person
    entity: Mapped[str] = mapped_column(String(8), nullable=False)  # company, contact
    crm_id: Mapped[int | None] = mapped_column(Integer)
    requisite_id: Mapped[int | None] = mapped_column(Integer)
    person_of: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    onec_hash: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    crm_hash: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    data_version: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


# --- CommerceML staging (issue 16) ---


class CommerceMLStagingRow(Base):
    """One record of one CommerceML exchange's files as parsed (`commerceml/staging.py`): an item (kind "item",
    part ""), an offer of it (kind "offer", part = the characteristic's Ид or ""), or a classifier object (group,
    unit, property, price_type, warehouse; item_key = its Ид), or a file's summary ("file"). Files of one exchange
    arrive separately (import.xml, offers.xml; 3.1 also prices, rests), so their records meet here and are read
    back a page of items at a time; an exchange's rows are removed once it is loaded. Later rows of the same key
    win (`id` order): a 3.1 prices file adds to what the offers file said."""

    __tablename__ = "commerceml_staging"
    __table_args__ = (Index("ix_commerceml_staging_exchange_item", "portal_id", "base_id", "exchange_id", "kind",
                            "item_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False)
    exchange_id: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    item_key: Mapped[str] = mapped_column(String(160), nullable=False)
    part_key: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    data: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)


class CommerceMLCatalogRow(Base):
    """What a base's CommerceML exchanges have said so far, one row per item (with its offers, prices and stock)
    or classifier object: a partial exchange (only changes) names some items' prices without the items, or an
    item without its stock, and the catalog load needs the whole of each item it writes. A full exchange replaces
    the base's rows; a partial one merges into them."""

    __tablename__ = "commerceml_catalog"
    __table_args__ = (UniqueConstraint("portal_id", "base_id", "kind", "key", name="uq_commerceml_catalog_object"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # item, group, unit, property, price_type, ...
    key: Mapped[str] = mapped_column(String(160), nullable=False)
    data: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )


# --- counterparty decisions (issue 14) ---


class PartyDecisionRow(Base):
    """What the administrator decided on the counterparty preview for one 1C counterparty of a base: link it to a
    CRM card ("link:company:12", "link:contact:7"), create a new card ("create"), or leave it out ("skip"). The
    first load reads these before it links or creates anything; a later preview shows them as decided."""

    __tablename__ = "counterparty_decisions"
    __table_args__ = (
        UniqueConstraint("portal_id", "base_id", "onec_key", name="uq_counterparty_decisions_party"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), nullable=False)
    base_id: Mapped[int] = mapped_column(ForeignKey("onec_bases.id", ondelete="CASCADE"), nullable=False)
    onec_key: Mapped[str] = mapped_column(String(80), nullable=False)  # the counterparty's Ref_Key
    decision: Mapped[str] = mapped_column(String(40), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
