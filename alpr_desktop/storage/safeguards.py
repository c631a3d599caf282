"""Start-up checks of the database's own defences of the access trail.

* On SQLite the append-only triggers can be dropped by anyone holding the file; they are
  looked for at every start and put back (the caller records that in the trail).
* On PostgreSQL a superuser, or the owner of ``access_records``, can drop the triggers or
  rewrite the table; the application should connect as a role that is neither and holds
  no more than ``SELECT, INSERT`` on it (``alpr-desktop db create-roles`` makes one:
  :mod:`alpr_desktop.storage.roles_setup`).
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
              pg_get_userbyid(c.relowner),
              COALESCE(has_table_privilege(current_user, c.oid, 'UPDATE')
                       OR has_table_privilege(current_user, c.oid, 'DELETE')
                       OR has_table_privilege(current_user, c.oid, 'TRUNCATE')
                       OR has_table_privilege(current_user, c.oid, 'TRIGGER'), false)
       FROM pg_roles r
       LEFT JOIN pg_class c ON c.oid = to_regclass('access_records')
       WHERE r.rolname = current_user"""
)
#: What every privilege warning ends with: the set-up that fixes it (docs/storage.md).
_FIX = (
    "The database owner sets up a role that owns nothing with `alpr-desktop db "
    'create-roles` (docs/storage.md, "Least privilege on PostgreSQL"); connect as that role.'
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
    superuser, owner, owner_name, rewrites = row
    warnings = []
    if superuser:
        warnings.append(
            f"The database role {user!r} is a PostgreSQL superuser: it can switch off the "
            f"access trail's protection. {_FIX}"
        )
    if owner:
        warnings.append(
            f"The database role {user!r} owns (or is a member of {owner_name!r}, the owner "
            f"of) the access trail table: it can drop the trail's append-only triggers. {_FIX}"
        )
    if rewrites and not (superuser or owner):
        warnings.append(
            f"The database role {user!r} holds UPDATE, DELETE, TRUNCATE or TRIGGER on the "
            "access trail table: only its triggers stand in the way of a rewrite. The "
            "database owner re-applies the application's privileges with `alpr-desktop db "
            "create-roles`."
        )
    return warnings
