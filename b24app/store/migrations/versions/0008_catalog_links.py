"""catalog links: which portal section, product, offer, price type and store each 1C catalog object became

Revision ID: 0008_catalog_links
Revises: 0007_alert_incidents
Create Date: 2026-12-06 13:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_catalog_links"
down_revision = "0007_alert_incidents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("onec_key", sa.String(length=80), nullable=False),
        sa.Column("b24_id", sa.Integer(), nullable=True),
        sa.Column("fields_hash", sa.String(length=40), nullable=False),
        sa.Column("prices_hash", sa.String(length=40), nullable=False),
        sa.Column("stock_hash", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["base_id"], ["onec_bases.id"], name=op.f("fk_catalog_links_base_id_onec_bases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], name=op.f("fk_catalog_links_portal_id_portals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_links")),
        sa.UniqueConstraint("portal_id", "base_id", "kind", "onec_key", name="uq_catalog_links_object"),
    )
    op.create_index("ix_catalog_links_portal_kind_b24", "catalog_links", ["portal_id", "kind", "b24_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_catalog_links_portal_kind_b24", table_name="catalog_links")
    op.drop_table("catalog_links")
