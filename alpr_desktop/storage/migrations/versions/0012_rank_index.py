"""the rank index: reads in the order search results are ranked within a match quality

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:00:00.000000

``ix_plate_reads_rank`` orders the reads by confidence (highest first), then time (newest
first), then id — the order a search ranks the reads of one match quality in — and
carries each read's plate. A pattern
that fits many thousands of reads (``*77*7``: one read in a hundred) has its first page
read off this index, the pattern checked on each read in turn, instead of every match
being fetched and sorted (``services/search_rank.py``). Built over the reads already
stored: on PostgreSQL the table takes no writes while it builds (a minute or two at ten
million reads).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The DDL is repeated here, not imported: a migration is a record of what it did. The
# plate is carried in the index, so a walk reads the index alone (SQLite: a covering
# index; PostgreSQL: an index-only scan of the pages vacuum has marked all-visible).
_COLUMNS = {
    "sqlite": "confidence DESC, read_at DESC, id, plate_normalized",
    "postgresql": "confidence DESC, read_at DESC, id) INCLUDE (plate_normalized",
}


def upgrade() -> None:
    conn = op.get_bind()
    columns = _COLUMNS["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    conn.execute(sa.text(f"CREATE INDEX ix_plate_reads_rank ON plate_reads ({columns})"))


def downgrade() -> None:
    op.get_bind().execute(sa.text("DROP INDEX IF EXISTS ix_plate_reads_rank"))
