"""release requests: drafts, the decision's trail, attachments, a decided request frozen

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:40:00.000000

Requirements §7 (policy 471.7; Civ. Code 1798.90.55). A request is a draft until it is
submitted; it records the department's authorised purpose the fulfilment runs under,
when it was submitted, where a referred request went and who fulfilled it; the written
request itself (PDF or image) is kept as an attachment; the sharing log names the
package's own SHA-256, how it was sent and the fulfilment's access record.

An approved, denied, referred or fulfilled request "stays on file and cannot be
edited": besides the service, the database refuses it — a trigger on both SQLite and
PostgreSQL refuses any UPDATE of a decided request except the one step an approved
request takes (to fulfilled, naming who and when), refuses deleting a request that has
left the draft stage, and refuses adding, changing or removing attachments once the
request is decided.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUSES = ("submitted", "approved", "denied", "referred", "fulfilled")
_NEW_STATUSES = ("draft", *_OLD_STATUSES)


def _status(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(
        *values, name="release_status", native_enum=False, create_constraint=True, length=32
    )


# The columns an approved request's fulfilment may set; every other one is frozen.
_FULFIL_COLUMNS = ("status", "fulfilled_by_id", "fulfilled_at")
_ALL_COLUMNS = (
    "id", "created_at", "created_by_id", "agency_name", "agency_type", "agency_state",
    "requester_name", "requester_title", "requester_contact", "intended_purpose",
    "case_number", "legal_basis", "data_requested", "query", "purpose", "status",
    "updated_at", "submitted_at", "decided_by_id", "decided_at", "decision_reason",
    "referred_to", "fulfilled_by_id", "fulfilled_at",
)  # fmt: skip
_DECIDED = "('approved', 'denied', 'referred', 'fulfilled')"


def _changed(columns: Sequence[str], postgres: bool) -> str:
    """SQL true when any of ``columns`` differs between OLD and NEW (NULL-safe)."""
    if postgres:
        return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


def _frozen_condition(postgres: bool) -> str:
    frozen = [c for c in _ALL_COLUMNS if c not in _FULFIL_COLUMNS]
    return (
        f"OLD.status IN ('denied', 'referred', 'fulfilled') "
        f"OR (OLD.status = 'approved' AND (NEW.status <> 'fulfilled' "
        f"OR NEW.fulfilled_by_id IS NULL OR NEW.fulfilled_at IS NULL "
        f"OR {_changed(frozen, postgres)}))"
    )


def _sqlite_triggers() -> list[str]:
    message = "a decided release request stays on file unchanged (policy 471.7)"
    return [
        f"""CREATE TRIGGER release_requests_frozen BEFORE UPDATE ON release_requests
        WHEN {_frozen_condition(False)}
        BEGIN SELECT RAISE(ABORT, '{message}'); END""",
        """CREATE TRIGGER release_requests_kept BEFORE DELETE ON release_requests
        WHEN OLD.status <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'a submitted release request is kept on file'); END""",
        f"""CREATE TRIGGER release_attachments_frozen_insert BEFORE INSERT ON release_attachments
        WHEN (SELECT status FROM release_requests WHERE id = NEW.request_id) IN {_DECIDED}
        BEGIN SELECT RAISE(ABORT, '{message}'); END""",  # noqa: S608 - constant SQL
        f"""CREATE TRIGGER release_attachments_frozen_update BEFORE UPDATE ON release_attachments
        WHEN (SELECT status FROM release_requests WHERE id = OLD.request_id) IN {_DECIDED}
        BEGIN SELECT RAISE(ABORT, '{message}'); END""",  # noqa: S608 - constant SQL
        f"""CREATE TRIGGER release_attachments_frozen_delete BEFORE DELETE ON release_attachments
        WHEN (SELECT status FROM release_requests WHERE id = OLD.request_id) IN {_DECIDED}
        BEGIN SELECT RAISE(ABORT, '{message}'); END""",  # noqa: S608 - constant SQL
    ]


def _postgresql_triggers() -> list[str]:
    return [
        f"""CREATE FUNCTION release_requests_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.status <> 'draft' THEN
                    RAISE EXCEPTION 'a submitted release request is kept on file'
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN OLD;
            END IF;
            IF {_frozen_condition(True)} THEN
                RAISE EXCEPTION
                    'a decided release request stays on file unchanged (policy 471.7)'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$""",
        """CREATE TRIGGER release_requests_frozen
        BEFORE UPDATE OR DELETE ON release_requests
        FOR EACH ROW EXECUTE FUNCTION release_requests_refuse_change()""",
        f"""CREATE FUNCTION release_attachments_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            parent text;
        BEGIN
            SELECT status INTO parent FROM release_requests
                WHERE id = (CASE WHEN TG_OP = 'INSERT' THEN NEW.request_id
                                 ELSE OLD.request_id END);
            IF parent IN {_DECIDED} THEN
                RAISE EXCEPTION
                    'a decided release request stays on file unchanged (policy 471.7)'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$""",  # noqa: S608 - constant SQL
        """CREATE TRIGGER release_attachments_frozen
        BEFORE INSERT OR UPDATE OR DELETE ON release_attachments
        FOR EACH ROW EXECUTE FUNCTION release_attachments_refuse_change()""",
    ]


def upgrade() -> None:
    with op.batch_alter_table("release_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=100), nullable=False,
                                      server_default=""))  # fmt: skip
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("referred_to", sa.String(length=200), nullable=False,
                                      server_default=""))  # fmt: skip
        batch_op.add_column(sa.Column("fulfilled_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_release_requests_fulfilled_by_id_users"),
            "users",
            ["fulfilled_by_id"],
            ["id"],
        )
        batch_op.alter_column(
            "status",
            existing_type=_status(_OLD_STATUSES),
            type_=_status(_NEW_STATUSES),
            existing_nullable=False,
        )
        batch_op.create_index(batch_op.f("ix_release_requests_status"), ["status"], unique=False)
    with op.batch_alter_table("release_requests", schema=None) as batch_op:
        batch_op.alter_column("purpose", server_default=None)
        batch_op.alter_column("referred_to", server_default=None)
    # Requests written before submission dates were kept were submitted when created.
    op.execute("UPDATE release_requests SET submitted_at = created_at")

    with op.batch_alter_table("release_shares", schema=None) as batch_op:
        batch_op.add_column(sa.Column("package_sha256", sa.String(length=64), nullable=False,
                                      server_default=""))  # fmt: skip
        batch_op.add_column(sa.Column("delivery", sa.String(length=300), nullable=False,
                                      server_default=""))  # fmt: skip
        batch_op.add_column(sa.Column("access_record_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("release_shares", schema=None) as batch_op:
        batch_op.alter_column("package_sha256", server_default=None)
        batch_op.alter_column("delivery", server_default=None)

    op.create_table(
        "release_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_release_attachments_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["release_requests.id"],
            name=op.f("fk_release_attachments_request_id_release_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_attachments")),
    )
    op.create_index(
        op.f("ix_release_attachments_request_id"), "release_attachments", ["request_id"]
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _postgresql_triggers() if postgres else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS release_attachments_frozen ON release_attachments")
        op.execute("DROP FUNCTION IF EXISTS release_attachments_refuse_change()")
        op.execute("DROP TRIGGER IF EXISTS release_requests_frozen ON release_requests")
        op.execute("DROP FUNCTION IF EXISTS release_requests_refuse_change()")
    else:
        for name in ("release_requests_frozen", "release_requests_kept"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index(op.f("ix_release_attachments_request_id"), table_name="release_attachments")
    op.drop_table("release_attachments")
    with op.batch_alter_table("release_shares", schema=None) as batch_op:
        batch_op.drop_column("access_record_id")
        batch_op.drop_column("delivery")
        batch_op.drop_column("package_sha256")
    op.execute("DELETE FROM release_requests WHERE status = 'draft'")
    with op.batch_alter_table("release_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_requests_status"))
        batch_op.alter_column(
            "status",
            existing_type=_status(_NEW_STATUSES),
            type_=_status(_OLD_STATUSES),
            existing_nullable=False,
        )
        batch_op.drop_constraint(
            batch_op.f("fk_release_requests_fulfilled_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("fulfilled_at")
        batch_op.drop_column("fulfilled_by_id")
        batch_op.drop_column("referred_to")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("purpose")
