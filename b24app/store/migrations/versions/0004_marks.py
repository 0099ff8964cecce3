"""exchange marks: idempotency fingerprints and "already done" marks, durable across Redis restarts

Revision ID: 0004_marks
Revises: 0003_health
Create Date: 2026-12-06 04:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_marks"
down_revision = "0003_health"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_marks")),
        sa.UniqueConstraint("scope", "key", name="uq_exchange_marks_key"),
    )


def downgrade() -> None:
    op.drop_table("exchange_marks")
