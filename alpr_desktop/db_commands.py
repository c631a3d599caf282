"""``alpr-desktop db create-roles`` and ``db upgrade``: the PostgreSQL roles, run by the owner.

Both take the **database owner's** URL (``--database-url``), never the workstations':

* ``db create-roles --app-role NAME [--owner-role NAME] [--password-stdin]`` creates
  (or brings up to date) the owner role that owns the schema and the application role
  the workstations log in as, which owns nothing and holds only what the application
  needs (:mod:`alpr_desktop.storage.roles_setup`); then brings the schema to this
  version's head as the owner. Run it again at any time: it changes nothing that is
  already right.
* ``db upgrade`` migrates the schema as its owner and re-applies the application roles'
  privileges; workstations connecting as the application role never migrate.

No sign-in: these act on the database's roles, not on the application's accounts, and
need the database owner's credentials, which is the authority they rely on.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from alpr_desktop.errors import ConfigurationError, StorageError, ValidationError

CREATE_ROLES_HELP = (
    "create the PostgreSQL owner and application roles (run once, as the database owner)"
)
UPGRADE_HELP = "migrate a PostgreSQL schema as its owner and re-apply the application's privileges"


def add_arguments(
    db: argparse.ArgumentParser, command: Callable[..., argparse.ArgumentParser]
) -> None:
    """``command(name, help, parent)`` adds a sub-command (``cli.build_parser``'s)."""
    sub: Any = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    create = command("create-roles", CREATE_ROLES_HELP, sub)
    create.add_argument(
        "--app-role",
        required=True,
        metavar="NAME",
        help="the role the workstations log in as (created if missing; owns nothing)",
    )
    create.add_argument(
        "--owner-role",
        metavar="NAME",
        help="a NOLOGIN role to own the schema (created if missing; default: its present "
        "owner, or the connecting role on an empty database)",
    )
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the application role's new password from standard input (without it "
        "the password is left as it is)",
    )
    command("upgrade", UPGRADE_HELP, sub)


def run(args: argparse.Namespace) -> int:
    url = _owner_url(args)
    if args.db_command == "create-roles":
        return _create_roles(url, args)
    return _upgrade(url)


def _owner_url(args: argparse.Namespace) -> str:
    from alpr_desktop.storage.engine import parse_url

    url = getattr(args, "database_url", None)
    if not url:
        raise ConfigurationError(
            f"`alpr-desktop db {args.db_command}` needs --database-url "
            "postgresql://OWNER@HOST:PORT/DB, the database owner's URL (not the workstations')."
        )
    if parse_url(url).get_backend_name() != "postgresql":
        raise ConfigurationError(
            "The db commands are for PostgreSQL; an embedded SQLite database is migrated by "
            "the application itself."
        )
    return str(url)


def _create_roles(url: str, args: argparse.Namespace) -> int:
    from alpr_desktop.storage import roles_setup

    setup = roles_setup.RoleSetup(
        app_role=roles_setup.validate_role_name(args.app_role, "--app-role"),
        owner_role=(
            roles_setup.validate_role_name(args.owner_role, "--owner-role")
            if args.owner_role
            else None
        ),
        password=_read_password() if args.password_stdin else None,
    )
    engine = _connect(url)
    try:
        with _refusals(), engine.begin() as conn:
            result = roles_setup.create_roles(conn, setup)
    finally:
        engine.dispose()
    revision, table = _upgrade_as(url, result.owner_role, result.app_role)
    created = f"created {', '.join(result.created)}" if result.created else "no role created"
    print(
        f"Owner role {result.owner_role!r}, application role {result.app_role!r} "
        f"({created}; password {'set' if result.password_set else 'unchanged'}); "
        f"{result.objects_moved} objects handed to the owner; schema at revision {revision}."
    )
    print(f"{result.app_role} holds: {_describe(table)}; no CREATE, owns nothing.")
    parsed = engine.url
    port = parsed.port or 5432
    print(
        "Workstations connect with --database-url "
        f"postgresql://{result.app_role}:PASSWORD@{parsed.host or 'localhost'}:{port}/"
        f"{parsed.database}"
    )
    return 0


def _upgrade(url: str) -> int:
    from alpr_desktop.storage import roles_setup
    from alpr_desktop.storage.engine import current_revision

    engine = _connect(url)
    try:
        before = current_revision(engine)
        with engine.connect() as conn:
            user, owner, _ = roles_setup.upgrade_rights(conn)
            owner = owner or user
            member = roles_setup.is_member(conn, user, owner)
    finally:
        engine.dispose()
    if not member:
        raise ValidationError(
            f"The schema belongs to {owner!r}: connect as {owner!r} or a member of it to "
            "upgrade; nothing was changed."
        )
    revision, _table = _upgrade_as(url, owner, None)
    moved = f"was at {before}, is at {revision} now" if before != revision else f"is at {revision}"
    print(f"The schema of {engine.url.database} {moved} (owner {owner!r}).")
    return 0


def _upgrade_as(
    url: str, owner: str, app: str | None
) -> tuple[str | None, dict[str, tuple[str, ...]]]:
    """Migrate to head as ``owner``, re-apply every application role's privileges."""
    from alpr_desktop.storage import roles_setup
    from alpr_desktop.storage.engine import current_revision, make_engine, upgrade_to_head

    engine = roles_setup.act_as(make_engine(url, create=False), owner)
    try:
        upgrade_to_head(engine)
        with _refusals(), engine.begin() as conn:
            roles = roles_setup.refresh_grants(conn)
            table = roles_setup.privilege_table(conn, app) if app else {}
        print(
            f"Privileges re-applied for {', '.join(roles)}."
            if roles
            else "No application role is set up yet: run `alpr-desktop db create-roles`."
        )
        return current_revision(engine), table
    finally:
        engine.dispose()


def _describe(table: dict[str, tuple[str, ...]]) -> str:
    """``SELECT, INSERT on access_records, …; USAGE on 20 sequences`` from a privilege table."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, privileges in sorted(table.items()):
        groups.setdefault(privileges, []).append(name)
    parts = []
    order = ("SELECT", "INSERT", "UPDATE", "DELETE", "USAGE")
    for privileges, names in sorted(groups.items(), key=lambda item: len(item[1])):
        listed = ", ".join(names) if len(names) <= 6 else f"{len(names)} tables"
        if privileges == ("USAGE",):
            listed = f"{len(names)} sequences"
        words = sorted(privileges, key=lambda p: order.index(p) if p in order else len(order))
        parts.append(f"{', '.join(words)} on {listed}")
    return "; ".join(parts) or "nothing"


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise ValidationError("No password on standard input; nothing was changed.")
    return password


def _connect(url: str) -> Any:
    from alpr_desktop.storage.engine import check_connection, make_engine

    engine = make_engine(url, create=False)
    try:
        check_connection(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def _refusals() -> Iterator[None]:
    """Turn PostgreSQL's refusal (permission denied, …) into one line without the SQL."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except DBAPIError as exc:
        diag = getattr(exc.orig, "diag", None)
        primary = getattr(diag, "message_primary", None) or type(exc.orig).__name__
        raise StorageError(f"PostgreSQL refused: {primary}; nothing was changed.") from None
