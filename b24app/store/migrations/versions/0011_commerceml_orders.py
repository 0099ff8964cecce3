"""CommerceML orders offered to 1C (issue 16)

Revision ID: 0011_commerceml_orders
Revises: 0010_commerceml_exchange
Create Date: 2026-12-06 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_commerceml_orders"
down_revision = "0010_commerceml_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commerceml_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("exchange_id", sa.String(length=64), nullable=True),
        sa.Column("offered_version", sa.Integer(), nullable=True),
        sa.Column("confirmed_version", sa.Integer(), nullable=True),
        sa.Column("onec_number", sa.String(length=64), nullable=True),
        sa.Column("onec_status", sa.String(length=128), nullable=True),
        sa.Column("applied_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["base_id"], ["onec_bases.id"],
                                name=op.f("fk_commerceml_orders_base_id_onec_bases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"],
                                name=op.f("fk_commerceml_orders_portal_id_portals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerceml_orders")),
        sa.UniqueConstraint("portal_id", "base_id", "deal_id", name="uq_commerceml_orders_deal"),
    )
    op.create_index("ix_commerceml_orders_portal_base_state", "commerceml_orders",
                    ["portal_id", "base_id", "state"], unique=False)
    op.create_index("ix_commerceml_orders_portal_base_number", "commerceml_orders",
                    ["portal_id", "base_id", "number"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_commerceml_orders_portal_base_number", table_name="commerceml_orders")
    op.drop_index("ix_commerceml_orders_portal_base_state", table_name="commerceml_orders")
    op.drop_table("commerceml_orders")
