"""PostgreSQL least privilege: an owner role holds the schema, the workstations' role owns nothing.

On PostgreSQL only the owner of ``access_records`` (or a superuser) can disable or drop
its append-only triggers, so the application must not connect as either. This module
sets that up (``alpr-desktop db create-roles``, run once by the database owner) and keeps
it true as migrations add tables (``alpr-desktop db upgrade``, and any migration the
schema's owner runs at start):

* the **owner role** (by default ``NOLOGIN``) owns every table, sequence, view and
  function of the schema and runs the migrations (``SET LOCAL ROLE`` in each
  transaction, see :func:`act_as`), so new objects are its own;
* the **application role** (``LOGIN``) owns nothing, is not a member of the owner role,
  has no ``CREATE`` on the schema or the database, and holds per table exactly what
  :func:`privileges_for` says: ``SELECT, INSERT`` on the append-only tables
  (:data:`APPEND_ONLY_TABLES`), ``SELECT`` on ``alembic_version``, ``SELECT, INSERT,
  UPDATE, DELETE`` on every other table, ``USAGE`` on sequences; never ``TRUNCATE``,
  ``REFERENCES`` or ``TRIGGER``.

Default privileges (``ALTER DEFAULT PRIVILEGES``) give the application role only
``SELECT, INSERT`` on a table a later migration creates, the least it can need; the
refresh (:func:`refresh_grants`) that follows every upgrade then grants the rest per the
table above. A failure between the two leaves the role with less, never more.

Role names are checked as plain identifiers (:func:`validate_role_name`) and every
statement is composed with psycopg's :mod:`psycopg.sql` (``sql.Identifier``); nothing is
pasted into SQL as a string. The roles, ownership and grants are one transaction, checked
before it commits (:func:`check_least_privilege`); the migration that follows is its own,
and the refresh after it another, so a failure leaves a state that running the command
again completes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psycopg import sql
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

from alpr_desktop.errors import StorageError, ValidationError

#: Tables the application may only read and append to. Each is a record that an audit
#: relies on: the access trail, its signed checkpoints, the purge log and the sharing log.
APPEND_ONLY_TABLES = frozenset(
    {"access_records", "audit_checkpoints", "purge_log", "release_shares"}
)
#: Tables the application only reads: the schema revision it checks at start.
READ_ONLY_TABLES = frozenset({"alembic_version"})
APPEND_PRIVILEGES = ("SELECT", "INSERT")
READ_PRIVILEGES = ("SELECT",)
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
SEQUENCE_PRIVILEGES = ("USAGE",)
#: Privileges the application role must never hold on an append-only table.
FORBIDDEN_ON_APPEND_ONLY = ("UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_TABLE_KINDS = {"r": "TABLE", "p": "TABLE", "f": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}

# Relations and functions of the current schema that no extension owns (pg_trgm's are
# the extension's business), with their owners.
_RELATIONS = text(
    """SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner)
       FROM pg_class c
       WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
         AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
         AND NOT EXISTS (SELECT 1 FROM pg_depend d
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                           AND d.deptype = 'e')
       ORDER BY c.relkind, c.relname"""
)
_FUNCTIONS = text(
    """SELECT p.oid::regprocedure::text, pg_get_userbyid(p.proowner)
       FROM pg_proc p
       WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
         AND NOT EXISTS (SELECT 1 FROM pg_depend d
                         WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                           AND d.deptype = 'e')
       ORDER BY 1"""
)
_TRAIL_OWNER = text(
    "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass('access_records')"
)
_ROLE = text(
    """SELECT rolsuper, rolcanlogin, rolcreaterole, rolcreatedb, rolreplication,
              rolbypassrls
       FROM pg_roles WHERE rolname = :name"""
)
#: The comment that marks a role as an application role (``COMMENT ON ROLE``), so that
#: the refresh never mistakes another role the owner grants to (a reporting role) for one.
APP_ROLE_COMMENT = "alpr-desktop application role (alpr-desktop db create-roles)"
# The application roles of the schema's owner: marked, and holding its default privileges.
_APP_ROLES = text(
    """SELECT DISTINCT pg_get_userbyid(a.grantee)
       FROM pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a
       WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = :owner)
         AND d.defaclnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
         AND d.defaclobjtype = 'r' AND a.grantee NOT IN (0, d.defaclrole)
         AND shobj_description(a.grantee, 'pg_authid') = :comment
       ORDER BY 1"""
)


# The roles ``:app`` belongs to (directly or not) that could act beyond it: their
# attributes are not inherited but SET ROLE takes them up, and an owner can drop triggers.
_POWERFUL_ROLES = text(
    """SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname)
       FROM pg_roles r
       WHERE r.rolname <> :app AND pg_has_role(:app, r.oid, 'MEMBER')
         AND (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication
              OR r.rolbypassrls
              OR EXISTS (SELECT 1 FROM pg_class c
                         WHERE c.relowner = r.oid
                           AND c.relnamespace = (SELECT oid FROM pg_namespace
                                                 WHERE nspname = current_schema())))"""
)


def validate_role_name(name: str, option: str) -> str:
    """``name`` when it is a plain PostgreSQL identifier, else a :class:`ValidationError`."""
    if not _ROLE_NAME.fullmatch(name) or name.startswith("pg_"):
        raise ValidationError(
            f"{option} {name!r} is not a usable role name: use lower-case letters, digits "
            "and _ (at most 63, not starting with a digit or pg_); nothing was changed."
        )
    return name


def privileges_for(table: str) -> tuple[str, ...]:
    """What the application role holds on ``table`` (the privilege table, docs/storage.md)."""
    if table in APPEND_ONLY_TABLES:
        return APPEND_PRIVILEGES
    if table in READ_ONLY_TABLES:
        return READ_PRIVILEGES
    return TABLE_PRIVILEGES


@dataclass(frozen=True)
class RoleSetup:
    """What ``db create-roles`` was asked for."""

    app_role: str
    #: None: the role that owns the schema now (or the connecting one, on an empty database).
    owner_role: str | None = None
    #: The application role's new password; None leaves it as it is.
    password: str | None = None


@dataclass(frozen=True)
class SetupResult:
    owner_role: str
    app_role: str
    created: tuple[str, ...]
    objects_moved: int
    password_set: bool


class _Sql:
    """Runs psycopg-composed statements on a SQLAlchemy connection's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.raw: Any = conn.connection.driver_connection

    def run(self, template: str, *identifiers: str, **parts: sql.Composable) -> None:
        statement = sql.SQL(template).format(*map(sql.Identifier, identifiers), **parts)
        self.conn.exec_driver_sql(statement.as_string(self.raw))

    def literal(self, value: str) -> sql.Literal:
        return sql.Literal(value)


def act_as(engine: Engine, role: str) -> Engine:
    """``engine``, every transaction of which runs as ``role`` (``SET LOCAL ROLE``).

    The connecting role must be a member of ``role``. Objects created in such a
    transaction (a migration's) are ``role``'s, and its default privileges apply.
    """

    def _set_role(conn: Connection) -> None:
        raw = conn.connection.driver_connection
        statement = sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role))
        conn.exec_driver_sql(statement.as_string(raw))

    event.listen(engine, "begin", _set_role)
    return engine


def trail_owner(conn: Connection) -> str | None:
    """The owner of ``access_records`` (the schema's owner), None before the schema exists."""
    return conn.execute(_TRAIL_OWNER).scalar()


def upgrade_rights(conn: Connection) -> tuple[str, str | None, bool]:
    """The current role, the schema's owner and whether this role may create tables."""
    user, may_create = conn.execute(
        text("SELECT current_user, has_schema_privilege(current_schema(), 'CREATE')")
    ).one()
    return str(user), trail_owner(conn), bool(may_create)


def app_roles(conn: Connection, owner: str) -> list[str]:
    """The application roles that :func:`create_roles` set up for ``owner``'s schema."""
    return list(conn.execute(_APP_ROLES, {"owner": owner, "comment": APP_ROLE_COMMENT}).scalars())


def create_roles(conn: Connection, setup: RoleSetup) -> SetupResult:
    """Create or bring up to date the owner and application roles (caller's transaction).

    The connecting role must be allowed to create roles and own the database (or be a
    superuser). Raises :class:`ValidationError` for roles that cannot serve, with
    nothing changed (the caller rolls the transaction back).
    """
    q = _Sql(conn)
    user, database, schema, superuser = conn.execute(
        text(
            "SELECT current_user, current_database(), current_schema(), "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
        )
    ).one()
    owner = setup.owner_role or trail_owner(conn) or user
    app = setup.app_role
    if app in (owner, user):
        raise ValidationError(
            f"The application role {app!r} must not be the schema's owner or the role "
            "running this command; nothing was changed."
        )
    created: list[str] = []
    if setup.owner_role and owner != user:
        if _ensure_owner_role(conn, q, owner):
            created.append(owner)
        if not superuser:
            q.run("GRANT {} TO {}", owner, user)  # so this role may act as the owner
    elif not superuser and not is_member(conn, user, owner):
        raise ValidationError(
            f"The schema belongs to {owner!r}: connect as {owner!r}, or name an owner role "
            "with --owner-role; nothing was changed."
        )
    if _ensure_app_role(conn, q, app, owner):
        created.append(app)
    q.run("COMMENT ON ROLE {} IS {comment}", app, comment=q.literal(APP_ROLE_COMMENT))
    if setup.password is not None:
        verifier = q.raw.pgconn.encrypt_password(
            setup.password.encode(), app.encode(), b"scram-sha-256"
        ).decode()
        q.run("ALTER ROLE {} PASSWORD {password}", app, password=q.literal(verifier))
    _grant_schema_and_database(q, owner, app, schema, database)
    moved = _move_objects_to(conn, q, owner, user, bool(superuser))
    q.run("SET LOCAL ROLE {}", owner)
    apply_grants(conn, app)
    check_least_privilege(conn, app, owner)
    return SetupResult(owner, app, tuple(created), moved, setup.password is not None)


def _role(conn: Connection, name: str) -> Any:
    return conn.execute(_ROLE, {"name": name}).first()


def is_member(conn: Connection, role: str, of: str) -> bool:
    """Whether ``role`` belongs to ``of``, directly or not (a superuser to every role)."""
    return bool(
        conn.execute(
            text("SELECT pg_has_role(:role, :of, 'MEMBER')"), {"role": role, "of": of}
        ).scalar()
    )


def _ensure_owner_role(conn: Connection, q: _Sql, owner: str) -> bool:
    found = _role(conn, owner)
    if found is None:
        q.run("CREATE ROLE {} NOLOGIN", owner)
        return True
    if found.rolcanlogin:
        raise ValidationError(
            f"The owner role {owner!r} exists and can log in: name a NOLOGIN role (it is "
            "created if missing), or leave --owner-role out to keep the present owner; "
            "nothing was changed."
        )
    return False


_DANGEROUS = (
    ("rolsuper", "a superuser"),
    ("rolcreaterole", "allowed to create roles (CREATEROLE)"),
    ("rolcreatedb", "allowed to create databases (CREATEDB)"),
    ("rolreplication", "a replication role"),
    ("rolbypassrls", "allowed to bypass row security (BYPASSRLS)"),
)


def _ensure_app_role(conn: Connection, q: _Sql, app: str, owner: str) -> bool:
    found = _role(conn, app)
    if found is None:
        q.run("CREATE ROLE {} LOGIN", app)
        return True
    for attribute, words in _DANGEROUS:
        if getattr(found, attribute):
            raise ValidationError(
                f"The application role {app!r} is {words}: it could undo the access trail's "
                "protection. Name another role; nothing was changed."
            )
    if is_member(conn, app, owner):
        raise ValidationError(
            f"The application role {app!r} is a member of the owner role {owner!r}: "
            f"REVOKE {owner} FROM {app} first, or name another role; nothing was changed."
        )
    if not found.rolcanlogin:
        q.run("ALTER ROLE {} LOGIN", app)
    return False


def _grant_schema_and_database(q: _Sql, owner: str, app: str, schema: str, database: str) -> None:
    # The owner creates the tables (and pg_trgm, a trusted extension, needs CREATE on
    # the database); the application may connect and look up names, nothing more.
    q.run("GRANT USAGE, CREATE ON SCHEMA {} TO {}", schema, owner)
    q.run("GRANT CONNECT, CREATE ON DATABASE {} TO {}", database, owner)
    q.run("REVOKE CREATE ON SCHEMA {} FROM PUBLIC", schema)
    q.run("REVOKE CREATE ON SCHEMA {} FROM {}", schema, app)
    q.run("REVOKE CREATE ON DATABASE {} FROM {}", database, app)
    q.run("GRANT CONNECT ON DATABASE {} TO {}", database, app)
    q.run("GRANT USAGE ON SCHEMA {} TO {}", schema, app)


def _move_objects_to(conn: Connection, q: _Sql, owner: str, user: str, superuser: bool) -> int:
    """Hand every table, view, sequence and function of the schema to ``owner``."""
    moved = 0
    # Tables first: a serial column's sequence follows its table.
    for kind in ("tables", "sequences"):
        for name, relkind, current in conn.execute(_RELATIONS).all():
            if current == owner or (kind == "tables") == (relkind == "S"):
                continue
            _check_may_hand_over(conn, name, current, user, superuser)
            what = "SEQUENCE" if relkind == "S" else _TABLE_KINDS[relkind]
            q.run(f"ALTER {what} {{}} OWNER TO {{}}", name, owner)
            moved += 1
    for signature, current in conn.execute(_FUNCTIONS).all():
        if current == owner:
            continue
        _check_may_hand_over(conn, signature, current, user, superuser)
        # regprocedure's text is the server's own quoting of the name and argument types.
        q.run("ALTER FUNCTION {function} OWNER TO {}", owner, function=sql.SQL(signature))
        moved += 1
    return moved


def _check_may_hand_over(
    conn: Connection, name: str, current: str, user: str, superuser: bool
) -> None:
    if superuser or current == user:
        return
    if not conn.execute(
        text("SELECT pg_has_role(:user, :current, 'USAGE')"), {"user": user, "current": current}
    ).scalar():
        raise ValidationError(
            f"{name} belongs to {current!r}: connect as {current!r} (or a superuser) to "
            "hand the schema to its owner role; nothing was changed."
        )


def apply_grants(conn: Connection, app: str) -> None:
    """Give ``app`` exactly its privileges on every object of the schema.

    Runs as the schema's owner (the caller's ``SET LOCAL ROLE``); idempotent: each
    object's grants to ``app`` are revoked and granted again in the caller's transaction.
    """
    q = _Sql(conn)
    owner, schema = conn.execute(text("SELECT current_user, current_schema()")).one()
    for objects in ("TABLES", "SEQUENCES"):
        q.run(f"ALTER DEFAULT PRIVILEGES REVOKE ALL ON {objects} FROM {{}}", app)
        q.run(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {{}} REVOKE ALL ON {objects} FROM {{}}",
            schema,
            app,
        )
    q.run(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {privileges} ON TABLES TO {}",
        schema,
        app,
        privileges=_keywords(APPEND_PRIVILEGES),
    )
    q.run("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE ON SEQUENCES TO {}", schema, app)
    for name, relkind, current in conn.execute(_RELATIONS).all():
        if current != owner:
            raise StorageError(
                f"{name} belongs to {current!r}, not to the schema's owner {owner!r}: run "
                "`alpr-desktop db create-roles` again as the database owner."
            )
        # GRANT and REVOKE say TABLE for views too.
        what = "SEQUENCE" if relkind == "S" else "TABLE"
        privileges: tuple[str, ...]
        if relkind == "S":
            privileges = SEQUENCE_PRIVILEGES
        elif relkind in ("v", "m"):
            privileges = READ_PRIVILEGES
        else:
            privileges = privileges_for(name)
        q.run(f"REVOKE ALL ON {what} {{}} FROM PUBLIC, {{}}", name, app)
        q.run(
            f"GRANT {{privileges}} ON {what} {{}} TO {{}}",
            name,
            app,
            privileges=_keywords(privileges),
        )


def _keywords(words: Iterable[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL(word) for word in words)


def check_least_privilege(conn: Connection, app: str, owner: str) -> None:
    """Raise :class:`StorageError` unless ``app`` is held to its least privilege."""
    problems = []
    row = conn.execute(
        text(
            """SELECT pg_has_role(:app, :owner, 'MEMBER'),
                      has_schema_privilege(:app, current_schema(), 'CREATE'),
                      has_database_privilege(:app, current_database(), 'CREATE')"""
        ),
        {"app": app, "owner": owner},
    ).one()
    for bad, words in zip(
        row,
        ("is a member of the owner role", "may create in the schema", "may create schemas"),
        strict=True,
    ):
        if bad:
            problems.append(words)
    powerful = conn.execute(_POWERFUL_ROLES, {"app": app}).scalar()
    if powerful:
        problems.append(
            f"belongs to {powerful}, which may do more than it (a superuser, CREATEROLE, "
            "CREATEDB, REPLICATION, BYPASSRLS or an owner of tables here)"
        )
    present = set(conn.execute(_RELATIONS).scalars())
    for table in sorted(APPEND_ONLY_TABLES & present):
        for privilege in FORBIDDEN_ON_APPEND_ONLY:
            held = conn.execute(
                text("SELECT has_any_column_privilege(:app, :table, :privilege)")
                if privilege in ("UPDATE", "REFERENCES")
                else text("SELECT has_table_privilege(:app, :table, :privilege)"),
                {"app": app, "table": table, "privilege": privilege},
            ).scalar()
            if held:
                problems.append(f"holds {privilege} on {table}")
    if problems:
        raise StorageError(
            f"The application role {app!r} {'; '.join(problems)} (through PUBLIC or a role it "
            "belongs to): remove that grant and run the command again; nothing was changed."
        )


def refresh_grants(conn: Connection) -> list[str]:
    """Re-apply every application role's privileges (as the schema's owner); their names."""
    owner = str(conn.execute(text("SELECT current_user")).scalar_one())
    roles = app_roles(conn, owner)
    for app in roles:
        apply_grants(conn, app)
        check_least_privilege(conn, app, owner)
    return roles


def privilege_table(conn: Connection, app: str) -> dict[str, tuple[str, ...]]:
    """What ``app`` holds on each table and sequence of the schema (for reports and tests)."""
    rows = conn.execute(
        text(
            """SELECT c.relname, a.privilege_type
               FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
               WHERE c.relnamespace =
                     (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
                 AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = :app)
               ORDER BY 1, 2"""
        ),
        {"app": app},
    ).all()
    table: dict[str, list[str]] = {}
    for name, privilege in rows:
        table.setdefault(name, []).append(privilege)
    return {name: tuple(privileges) for name, privileges in table.items()}
