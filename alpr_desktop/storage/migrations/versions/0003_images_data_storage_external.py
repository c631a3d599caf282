"""images.data: stored out of line without compression on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:40:00.000000

An image is an encoded JPEG or PNG: already compressed. PostgreSQL's default storage
for ``bytea`` (EXTENDED) tries to compress every value over about 2 KiB before moving
it to TOAST, which costs server CPU and gains nothing on such bytes. EXTERNAL keeps the
out-of-line TOAST storage and skips the attempt; on this project's 2-core test machine
it took a batched insert of 41 KiB JPEGs from about 750 to about 2,400 images/s
(``benchmarks/bench_ingest.py``; docs/storage.md, "Ingest and spool"). It applies to
values written from now on. SQLite has no such setting: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE images ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE images ALTER COLUMN data SET STORAGE EXTENDED")
