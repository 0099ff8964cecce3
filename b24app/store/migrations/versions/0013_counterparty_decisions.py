"""counterparty preview decisions (issue 14): per portal, base and 1C counterparty — link to a CRM card, create a
new one, or skip

Revision ID: 0013_counterparty_decisions
Revises: 0012_commerceml_staging
Create Date: 2026-12-06 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_counterparty_decisions"
down_revision = "0012_commerceml_staging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counterparty_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("onec_key", sa.String(length=80), nullable=False),
        sa.Column("decision", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["base_id"], ["onec_bases.id"],
                                name=op.f("fk_counterparty_decisions_base_id_onec_bases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"],
                                name=op.f("fk_counterparty_decisions_portal_id_portals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counterparty_decisions")),
        sa.UniqueConstraint("portal_id", "base_id", "onec_key", name="uq_counterparty_decisions_party"),
    )


def downgrade() -> None:
    op.drop_table("counterparty_decisions")
