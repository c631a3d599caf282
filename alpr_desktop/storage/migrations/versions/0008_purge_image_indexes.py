"""indexes on the reads' image references, for the retention purge

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 18:45:00.000000

The purge deletes an image once no read refers to it (``services/retention.py``): the
check, and PostgreSQL's foreign-key check on the delete, look up
``plate_reads.crop_image_id`` and ``context_image_id``; without these indexes each
deleted image scans every read.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_plate_reads_crop_image_id"), "plate_reads", ["crop_image_id"])
    op.create_index(op.f("ix_plate_reads_context_image_id"), "plate_reads", ["context_image_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_plate_reads_context_image_id"), table_name="plate_reads")
    op.drop_index(op.f("ix_plate_reads_crop_image_id"), table_name="plate_reads")
