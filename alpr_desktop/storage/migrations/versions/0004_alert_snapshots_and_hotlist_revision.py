"""alert snapshots of the entry hit, the alert queue index and the hotlist revision

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:58:16.295714

An alert keeps what the entry it hit was (priority, list, plate pattern, the other
fields as canonical JSON) so the dispatcher and the audit still see it after the entry
changes or is removed. ``hotlist_revision`` holds one row, a counter every hotlist
change increments; the ingest path compares it with its matching index's revision.
A read records the size of the camera frame its plate box is in, so the box can be
drawn on the downscaled context image (NULL for reads stored before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from alpr_desktop.storage.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    revisions = op.create_table(
        "hotlist_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotlist_revision")),
    )
    op.bulk_insert(revisions, [{"id": 1, "revision": 0, "changed_at": None}])
    with op.batch_alter_table("plate_reads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frame_width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("frame_height", sa.Integer(), nullable=True))
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="2"))
        batch_op.add_column(sa.Column("hotlist_id", sa.Integer(), nullable=True))
        for name, length in (("hotlist_name", 120), ("entry_pattern", 32), ("matched_text", 16)):
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )
        batch_op.add_column(
            sa.Column("entry_snapshot", sa.Text(), nullable=False, server_default="")
        )
        batch_op.create_index("ix_alerts_queue", ["status", "priority", "created_at"], unique=False)
    # The defaults were only for rows already there; the models give every new row one.
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        for name in ("priority", "hotlist_name", "entry_pattern", "matched_text", "entry_snapshot"):
            batch_op.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_queue")
        for name in (
            "entry_snapshot",
            "matched_text",
            "entry_pattern",
            "hotlist_name",
            "hotlist_id",
            "priority",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("plate_reads", schema=None) as batch_op:
        batch_op.drop_column("frame_height")
        batch_op.drop_column("frame_width")
    op.drop_table("hotlist_revision")
