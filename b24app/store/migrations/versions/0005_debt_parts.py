"""debt parts: a company's debt per 1C base and organization, summed into the company's fields

Revision ID: 0005_debt_parts
Revises: 0004_marks
Create Date: 2026-12-06 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_debt_parts"
down_revision = "0004_marks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "debt_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("organization_key", sa.String(length=36), nullable=False),
        sa.Column("organization", sa.String(length=255), nullable=False),
        sa.Column("receivable", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("overdue", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("payable", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=False), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["base_id"], ["onec_bases.id"], name=op.f("fk_debt_parts_base_id_onec_bases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portal_id"], ["portals.id"], name=op.f("fk_debt_parts_portal_id_portals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debt_parts")),
        sa.UniqueConstraint("portal_id", "base_id", "company_id", "organization_key", name="uq_debt_parts_part"),
    )
    op.create_index("ix_debt_parts_portal_company", "debt_parts", ["portal_id", "company_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_debt_parts_portal_company", table_name="debt_parts")
    op.drop_table("debt_parts")
