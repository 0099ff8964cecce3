"""CommerceML catalog staging (issue 16): the records of an exchange's files while it is loaded, and what a base's
exchanges have said so far

Revision ID: 0012_commerceml_staging
Revises: 0011_commerceml_orders
Create Date: 2026-12-06 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_commerceml_staging"
down_revision = "0011_commerceml_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commerceml_staging",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_key", sa.String(length=160), nullable=False),
        sa.Column("part_key", sa.String(length=80), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["base_id"], ["onec_bases.id"], name=op.f("fk_commerceml_staging_base_id_onec_bases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], name=op.f("fk_commerceml_staging_portal_id_portals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerceml_staging")),
    )
    op.create_index("ix_commerceml_staging_exchange_item", "commerceml_staging",
                    ["portal_id", "base_id", "exchange_id", "kind", "item_key"], unique=False)
    op.create_table(
        "commerceml_catalog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["base_id"], ["onec_bases.id"], name=op.f("fk_commerceml_catalog_base_id_onec_bases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], name=op.f("fk_commerceml_catalog_portal_id_portals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerceml_catalog")),
        sa.UniqueConstraint("portal_id", "base_id", "kind", "key", name="uq_commerceml_catalog_object"),
    )


def downgrade() -> None:
    op.drop_table("commerceml_catalog")
    op.drop_index("ix_commerceml_staging_exchange_item", table_name="commerceml_staging")
    op.drop_table("commerceml_staging")
