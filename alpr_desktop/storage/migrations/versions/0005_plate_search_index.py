"""the plate search index: FTS5 trigram tables on SQLite, pg_trgm GIN on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:00:00.000000

See ``alpr_desktop.storage.search_index`` (the DDL lives there) and docs/storage.md,
"Plate search". Reads already stored are indexed by the upgrade.
"""

from collections.abc import Sequence

from alembic import op

from alpr_desktop.storage import search_index

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    search_index.create(op.get_bind())


def downgrade() -> None:
    search_index.drop(op.get_bind())
