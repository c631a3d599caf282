"""oversight: signed checkpoints of the access trail, audit reports and their review sample

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:30:00.000000

``audit_checkpoints`` holds Ed25519-signed statements of the chain head (the key is not
in the database); ``audit_reports`` a periodic audit's figures, seed and sign-off;
``audit_review_items`` each sampled search and the supervisor's verdict on it. The audit
viewer's indexes on ``access_records`` ((column, seq) and the query's trigram index) are
created at the end (``alpr_desktop.storage.audit_index``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from alpr_desktop.storage import audit_index
from alpr_desktop.storage.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("workstation", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_checkpoints_seq"), ["seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_checkpoints_signed_at"), ["signed_at"], unique=False
        )

    op.create_table(
        "audit_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_end", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("status", _enum("audit_report_status", "draft", "signed_off"), nullable=False),
        sa.Column("signed_off_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_off_by", sa.String(length=64), nullable=False),
        sa.Column("sign_off_note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_reports")),
    )

    op.create_table(
        "audit_review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("access_record_id", sa.Integer(), nullable=False),
        sa.Column(
            "verdict",
            _enum("review_verdict", "pending", "justified", "not_justified", "follow_up"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["audit_reports.id"],
            name=op.f("fk_audit_review_items_report_id_audit_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_review_items")),
        sa.UniqueConstraint(
            "report_id",
            "access_record_id",
            name=op.f("uq_audit_review_items_report_id"),
        ),
    )
    with op.batch_alter_table("audit_review_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_review_items_report_id"), ["report_id"], unique=False
        )

    # The audit viewer's indexes on access_records (storage/audit_index.py).
    audit_index.create(op.get_bind())


def downgrade() -> None:
    audit_index.drop(op.get_bind())
    with op.batch_alter_table("audit_review_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_review_items_report_id"))
    op.drop_table("audit_review_items")
    op.drop_table("audit_reports")
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_checkpoints_signed_at"))
        batch_op.drop_index(batch_op.f("ix_audit_checkpoints_seq"))
    op.drop_table("audit_checkpoints")
