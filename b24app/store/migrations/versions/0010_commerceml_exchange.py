"""CommerceML exchange nodes and their exchanges (issue 16)

Revision ID: 0010_commerceml_exchange
Revises: 0009_counterparty_links
Create Date: 2026-12-06 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_commerceml_exchange"
down_revision = "0009_counterparty_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commerceml_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("credentials_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["base_id"], ["onec_bases.id"], name=op.f("fk_commerceml_nodes_base_id_onec_bases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], name=op.f("fk_commerceml_nodes_portal_id_portals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerceml_nodes")),
        sa.UniqueConstraint("base_id", name=op.f("uq_commerceml_nodes_base_id")),
        sa.UniqueConstraint("token", name=op.f("uq_commerceml_nodes_token")),
    )
    op.create_table(
        "commerceml_exchanges",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("jobs", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["base_id"], ["onec_bases.id"],
                                name=op.f("fk_commerceml_exchanges_base_id_onec_bases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["node_id"], ["commerceml_nodes.id"],
                                name=op.f("fk_commerceml_exchanges_node_id_commerceml_nodes"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"],
                                name=op.f("fk_commerceml_exchanges_portal_id_portals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerceml_exchanges")),
    )
    op.create_index("ix_commerceml_exchanges_node_started", "commerceml_exchanges", ["node_id", "started_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_commerceml_exchanges_node_started", table_name="commerceml_exchanges")
    op.drop_table("commerceml_exchanges")
    op.drop_table("commerceml_nodes")
