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
#: The row only grows: lowering it (or removing it) would let a date range of the viewer
#: leave out records that stepped back, so the database refuses it, as it refuses any
#: change to the trail itself.
_SQLITE_GUARD = (
    """CREATE TRIGGER audit_time_order_only_grows BEFORE UPDATE ON audit_time_order
    WHEN new.id != old.id OR new.max_backstep_us < old.max_backstep_us
        OR new.last_backstep_seq < old.last_backstep_seq
    BEGIN SELECT RAISE(ABORT, 'the access trail''s time order only grows'); END""",
    """CREATE TRIGGER audit_time_order_no_delete BEFORE DELETE ON audit_time_order
    BEGIN SELECT RAISE(ABORT, 'the access trail''s time order only grows'); END""",
)
_PG_GUARD = (
    """CREATE FUNCTION audit_time_order_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'UPDATE' THEN
            RAISE EXCEPTION 'the access trail''s time order only grows (% refused)', TG_OP;
        END IF;
        IF NEW.id <> OLD.id OR NEW.max_backstep_us < OLD.max_backstep_us
           OR NEW.last_backstep_seq < OLD.last_backstep_seq THEN
            RAISE EXCEPTION 'the access trail''s time order only grows (lowering refused)';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER audit_time_order_only_grows BEFORE UPDATE OR DELETE
    ON audit_time_order FOR EACH ROW EXECUTE FUNCTION audit_time_order_guard()""",
    """CREATE TRIGGER audit_time_order_no_truncate BEFORE TRUNCATE
    ON audit_time_order FOR EACH STATEMENT EXECUTE FUNCTION audit_time_order_guard()""",
)


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
    for statement in _PG_GUARD if conn.dialect.name == "postgresql" else _SQLITE_GUARD:
        conn.execute(sa.text(statement))


def downgrade() -> None:
    conn = op.get_bind()
    for name, _columns in _PAIR_INDEXES:
        conn.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    op.drop_table("audit_time_order")  # and its triggers
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("DROP FUNCTION IF EXISTS audit_time_order_guard()"))
