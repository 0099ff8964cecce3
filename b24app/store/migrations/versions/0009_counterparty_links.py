"""counterparty links: which CRM company or contact each 1C counterparty (or contact person) became

Revision ID: 0009_counterparty_links
Revises: 0008_catalog_links
Create Date: 2026-12-06 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_counterparty_links"
down_revision = "0008_catalog_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "party_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("onec_key", sa.String(length=80), nullable=False),
        sa.Column("entity", sa.String(length=8), nullable=False),
        sa.Column("crm_id", sa.Integer(), nullable=True),
        sa.Column("requisite_id", sa.Integer(), nullable=True),
        sa.Column("person_of", sa.String(length=80), nullable=False),
        sa.Column("onec_hash", sa.String(length=40), nullable=False),
        sa.Column("crm_hash", sa.String(length=40), nullable=False),
        sa.Column("data_version", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["base_id"], ["onec_bases.id"], name=op.f("fk_party_links_base_id_onec_bases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], name=op.f("fk_party_links_portal_id_portals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_links")),
        sa.UniqueConstraint("portal_id", "base_id", "onec_key", name="uq_party_links_key"),
    )
    op.create_index("ix_party_links_portal_entity_crm", "party_links", ["portal_id", "entity", "crm_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_party_links_portal_entity_crm", table_name="party_links")
    op.drop_table("party_links")
