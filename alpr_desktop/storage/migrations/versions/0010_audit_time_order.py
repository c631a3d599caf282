"""the access trail's time order, and two (column, column, seq) indexes for the audit viewer

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 18:00:00.000000

``audit_time_order`` holds one row: the newest record of the trail stamped before the
latest time of the records before it (``last_backstep_seq``, 0 when the times rise with
``seq`` throughout) and the furthest any stepped back (``max_backstep_us``). The audit
viewer turns a date range into a range of ``seq`` with it — two probes of the
(recorded_at, seq) index — instead of sorting a month of records or walking back
through six months of them. It is computed here over the
records already stored; ``append_record`` keeps it from then on.

``ix_access_records_username_action_seq`` and ``…_outcome_category_seq``: one user's
searches (or sign-ins), or the refused data accesses, newest first and their count from
index entries alone, rather than from each of the user's (or refused) records read to
check its action (or category).

Plain ``CREATE INDEX`` (not Alembic's batch mode), as in 0006: on SQLite a batch
operation copies the table, which would drop the trail's append-only triggers.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from alpr_desktop.storage.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The DDL is repeated here, not imported: a migration is a record of what it did.
_PAIR_INDEXES = (
    ("ix_access_records_username_action_seq", "username, action, seq"),
    ("ix_access_records_outcome_category_seq", "outcome, category, seq"),
)
_BATCH = 20_000


def _backstep(conn: sa.Connection) -> tuple[int, int]:
    """(furthest step back in microseconds, the newest record that stepped back)."""
    records = sa.table("access_records", sa.column("seq"), sa.column("recorded_at", UTCDateTime()))
    head = conn.execute(sa.select(sa.func.max(records.c.seq))).scalar() or 0
    latest: dt.datetime | None = None
    worst, last = 0, 0
    for after in range(0, head, _BATCH):
        # Windows of seq, each an index range on every backend (as verify_chain reads).
        rows = conn.execute(
            sa.select(records.c.seq, records.c.recorded_at)
            .where(records.c.seq > after, records.c.seq <= after + _BATCH)
            .order_by(records.c.seq)
        )
        for seq, when in rows:
            if latest is not None and when < latest:
                worst = max(worst, (latest - when) // dt.timedelta(microseconds=1))
                last = seq
            if latest is None or when > latest:
                latest = when
    return worst, last


def upgrade() -> None:
    order = op.create_table(
        "audit_time_order",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("max_backstep_us", sa.BigInteger(), nullable=False),
        sa.Column("last_backstep_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_time_order")),
    )
    conn = op.get_bind()
    worst, last = _backstep(conn)
    op.bulk_insert(order, [{"id": 1, "max_backstep_us": worst, "last_backstep_seq": last}])
    for name, columns in _PAIR_INDEXES:
        # Names and columns are the constants above, not input.
        conn.execute(sa.text(f"CREATE INDEX {name} ON access_records ({columns})"))


def downgrade() -> None:
    for name, _columns in _PAIR_INDEXES:
        op.get_bind().execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    op.drop_table("audit_time_order")
