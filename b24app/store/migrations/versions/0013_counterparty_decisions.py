"""counterparty preview decisions (issue 14)

Revision ID: 0013_counterparty_decisions
Revises: 0012_commerceml_staging
Create Date: 2026-12-06 14:30:00.000000
"""

from alembic import op  # noqa: F401

revision = "0013_counterparty_decisions"
down_revision = "0012_commerceml_staging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
