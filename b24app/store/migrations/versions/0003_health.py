"""health heartbeats: the row /healthz rewrites to prove the database takes writes

Revision ID: 0003_health
Revises: 0002_exchange
Create Date: 2026-12-06 04:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_health"
down_revision = "0002_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_heartbeats",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_health_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("health_heartbeats")
