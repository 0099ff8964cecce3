"""CommerceML catalog staging (issue 16)

Revision ID: 0012_commerceml_staging
Revises: 0011_commerceml_orders
Create Date: 2026-12-06 14:30:00.000000
"""

from alembic import op  # noqa: F401

revision = "0012_commerceml_staging"
down_revision = "0011_commerceml_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
