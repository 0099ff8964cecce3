"""alert incidents and their deliveries: one alert when an incident opens, one when it clears, retried per channel

Revision ID: 0007_alert_incidents
Revises: 0006_journal_indexes
Create Date: 2026-12-06 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_alert_incidents"
down_revision = "0006_journal_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open_notice", sa.String(length=8), nullable=False),
        sa.Column("resolve_notice", sa.String(length=8), nullable=False),
        sa.Column("last_alert_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], name=op.f("fk_alert_incidents_portal_id_portals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_incidents")),
    )
    op.create_index("ix_alert_incidents_portal_key", "alert_incidents", ["portal_id", "key", "resolved_at"],
                    unique=False)
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("notice", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["alert_incidents.id"],
                                name=op.f("fk_alert_deliveries_incident_id_alert_incidents"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], name=op.f("fk_alert_deliveries_portal_id_portals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
    )
    op.create_index("ix_alert_deliveries_portal_status", "alert_deliveries", ["portal_id", "status"], unique=False)
    op.create_index("ix_alert_deliveries_portal_created", "alert_deliveries", ["portal_id", "created_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_portal_created", table_name="alert_deliveries")
    op.drop_index("ix_alert_deliveries_portal_status", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_alert_incidents_portal_key", table_name="alert_incidents")
    op.drop_table("alert_incidents")
