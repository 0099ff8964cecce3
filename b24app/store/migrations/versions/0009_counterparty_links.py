"""counterparty links and decisions (issue 14)

Revision ID: 0009_counterparty_links
Revises: 0008_catalog_links
Create Date: 2026-12-06 14:30:00.000000
"""

from alembic import op  # noqa: F401

revision = "0009_counterparty_links"
down_revision = "0008_catalog_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
