"""journal indexes: keyset paging of the journal page, its filters, and the dashboard's windows

Revision ID: 0006_journal_indexes
Revises: 0005_debt_parts
Create Date: 2026-12-06 12:00:00.000000

The journal page pages by (started_at, id) within a portal, newest first, optionally filtered by stream (kind),
status, entity or base: each filter gets an index that ends in (started_at, id), so a page is one index range
read however deep it is. The dashboard reads the last 14 days of a portal grouped by kind, base and status with
durations: on PostgreSQL the keyset index carries those columns (INCLUDE), so the windows are index-only scans;
its percentiles read bucket ranges of durations per stream and base through the last index.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_journal_indexes"
down_revision = "0005_debt_parts"
branch_labels = None
depends_on = None

TABLE = "exchange_journal"
# name -> (columns, columns INCLUDEd on PostgreSQL); the same as models.JournalRow.__table_args__.
INDEXES = {
    "ix_exchange_journal_portal_started_id": (["portal_id", "started_at", "id"],
                                              ["kind", "base_id", "status", "duration_ms"]),
    "ix_exchange_journal_portal_kind_started": (["portal_id", "kind", "started_at", "id"], []),
    "ix_exchange_journal_portal_status_started": (["portal_id", "status", "started_at", "id"], []),
    "ix_exchange_journal_portal_entity_started": (["portal_id", "entity", "started_at", "id"], []),
    "ix_exchange_journal_portal_base_started": (["portal_id", "base_id", "started_at", "id"], []),
    # The dashboard's 14-day percentiles read only the durations of a few histogram buckets per stream and base
    # (ops/dashboard_figures.window_transfer_times): ~10 ms through this index against ~65 ms scanning the window.
    "ix_exchange_journal_portal_durations": (["portal_id", "kind", "base_id", "status", "duration_ms", "started_at"],
                                             []),
}


def upgrade() -> None:
    for name, (columns, include) in INDEXES.items():
        op.create_index(name, TABLE, columns, unique=False, postgresql_include=include)
    # The other writers' indexes drop nothing; (portal_id, started_at) stays for the retention job's deletes.
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(sa.text(f"ANALYZE {TABLE}"))


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name=TABLE)
