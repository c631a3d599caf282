"""the area index: reads by map cell and time, for canvass and area filters

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 04:00:00.000000

``ix_plate_reads_cell_time`` indexes an expression of each read's position — its cell of
0.0025° (``alpr_desktop/core/geocell.py``) — with ``read_at``, so a canvass or a circle
or polygon filter seeks each cell its area covers, from the window's start, instead of
reading the whole latitude strip of the location index (``storage/area_index.py``). No
column is added (nothing to rewrite or backfill; the index computes the cell on insert).
Built over the reads already stored: on PostgreSQL the table takes no writes while it
builds (minutes at ten million reads).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The DDL is repeated here, not imported: a migration is a record of what it did.
_CELL = {
    "sqlite": "CAST((latitude + 90.0) / 0.0025 AS INTEGER) * 144000"
    " + CAST((longitude + 180.0) / 0.0025 AS INTEGER)",
    "postgresql": "trunc((latitude + 90.0) / 0.0025)::bigint * 144000"
    " + trunc((longitude + 180.0) / 0.0025)::bigint",
}


def upgrade() -> None:
    conn = op.get_bind()
    cell = _CELL["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    conn.execute(
        sa.text(f"CREATE INDEX ix_plate_reads_cell_time ON plate_reads (({cell}), read_at)")
    )


def downgrade() -> None:
    op.get_bind().execute(sa.text("DROP INDEX IF EXISTS ix_plate_reads_cell_time"))
