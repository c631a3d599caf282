"""Start-up checks of the database's own defences of the access trail.

* On SQLite the append-only triggers can be dropped by anyone holding the file; they are
  looked for at every start and put back (the caller records that in the trail).
* On PostgreSQL a superuser, or the owner of ``access_records``, can drop the triggers or
  rewrite the table; the application should connect as a role that is neither.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

#: The trigger DDL of migration 0001. Repeated here, not imported: a migration is a
#: frozen record of what it did, and importing it would load Alembic at every start.
SQLITE_TRAIL_TRIGGERS = {
    "access_records_no_update": """CREATE TRIGGER access_records_no_update
    BEFORE UPDATE ON access_records
    BEGIN SELECT RAISE(ABORT, 'access records are append-only'); END""",
    "access_records_no_delete": """CREATE TRIGGER access_records_no_delete
    BEFORE DELETE ON access_records
    BEGIN SELECT RAISE(ABORT, 'access records are append-only'); END""",
}

_SQLITE_TRIGGERS = text(
    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'access_records'"
)
_PG_ROLE = text(
    """SELECT r.rolsuper,
              COALESCE(pg_has_role(current_user, c.relowner, 'MEMBER'), false),
              pg_get_userbyid(c.relowner)
       FROM pg_roles r
       LEFT JOIN pg_class c ON c.oid = to_regclass('access_records')
       WHERE r.rolname = current_user"""
)


def missing_trail_triggers(conn: Connection) -> list[str]:
    """Names of the SQLite append-only triggers that are not there."""
    present = set(conn.execute(_SQLITE_TRIGGERS).scalars())
    return sorted(set(SQLITE_TRAIL_TRIGGERS) - present)


def restore_trail_triggers(conn: Connection, names: list[str]) -> None:
    """Create the named SQLite triggers again (inside the caller's transaction)."""
    for name in names:
        conn.exec_driver_sql(SQLITE_TRAIL_TRIGGERS[name])


def privilege_warnings(engine: Engine) -> list[str]:
    """Warnings when the PostgreSQL role could rewrite the access trail; [] on SQLite."""
    if engine.url.get_backend_name() != "postgresql":
        return []
    with engine.connect() as conn:
        row = conn.execute(_PG_ROLE).first()
        user = conn.execute(text("SELECT current_user")).scalar_one()
    if row is None:
        return []
    superuser, owner, owner_name = row
    warnings = []
    if superuser:
        warnings.append(
            f"The database role {user!r} is a PostgreSQL superuser: it can switch off the "
            "access trail's protection. Connect as a role with only the privileges the "
            "application needs."
        )
    if owner:
        warnings.append(
            f"The database role {user!r} owns (or is a member of {owner_name!r}, the owner "
            "of) the access trail table: it can drop the trail's append-only triggers. Let "
            "another role own the schema and grant this one what it needs."
        )
    return warnings
