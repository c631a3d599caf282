"""The ``alpr-desktop`` command: the GUI by default, plus administrative sub-commands.

Expected errors (:class:`~alpr_desktop.errors.AlprError`) are printed as one clear line
and exit with status 2; nothing prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from alpr_desktop import (
    __version__,
    alert_commands,
    audit_commands,
    audit_report_commands,
    db_commands,
    hotlist_commands,
    package_commands,
    policy_commands,
    purge_commands,
    recognize_command,
    release_commands,
    search_commands,
    user_commands,
)
from alpr_desktop.errors import AlprError
from alpr_desktop.settings import default_data_dir

DESCRIPTION = (
    "ALPR workstation: sign-in with role-based access, user and training administration, "
    "department settings, a camera registry, live plate recognition stored in the database "
    "(with or without a window), hotlists with alerts on every workstation, partial-plate "
    "search and canvass (on the command line) with verifiable exports, a hash-chained "
    "record of every access, and "
    "plate recognition scored on photos. Without a command it starts the workstation window."
)


def _global_options(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    """Options accepted before and after the sub-command.

    On sub-commands their default is SUPPRESS, so an option given before the sub-command
    is not overwritten by the sub-parser's default.
    """
    default = argparse.SUPPRESS if sub else None
    parser.add_argument(
        "--database-url",
        metavar="URL",
        default=default,
        help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB (default: SQLite in the data dir)",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help=f"where the embedded database lives (default: {default_data_dir()}; "
        "or set ALPR_DATA_DIR)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default or False, help="log more"
    )


def build_parser(*, evaluate_arguments: bool = True) -> argparse.ArgumentParser:
    """The argument parser; ``evaluate_arguments=False`` skips loading the evaluate module."""
    parser = argparse.ArgumentParser(prog="alpr-desktop", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"alpr-desktop {__version__}")
    _global_options(parser, sub=False)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open a throw-away database with one demo account per role",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, parent: Any = sub) -> argparse.ArgumentParser:
        child: argparse.ArgumentParser = parent.add_parser(
            name, help=help_text, description=help_text[0].upper() + help_text[1:] + "."
        )
        _global_options(child, sub=True)
        return child

    command("gui", "start the workstation window (the default)")
    init = command("init", "create the database and the first administrator")
    init.add_argument("--username", required=True)
    init.add_argument("--full-name", required=True)
    init.add_argument("--organisation", default="")
    init.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (or set ALPR_PASSWORD) instead of prompting",
    )

    audit = command("audit", "access-record tools")
    audit_sub = audit_commands.add_arguments(audit, command, _acting_user)
    audit_report = command("report", "the periodic audit of a period (policy 471.6(c))", audit_sub)
    audit_report_commands.add_arguments(audit_report, _acting_user)

    recognize = command(
        "recognize", "run plate recognition with no window, storing reads in the database"
    )
    recognize_command.add_arguments(recognize, _acting_user)

    users = command("users", "account administration without the window")
    user_commands.add_arguments(users, _acting_sub_command)

    hotlist = command("hotlist", "hotlist tools without the window")
    hotlist_commands.add_arguments(hotlist, _acting_sub_command)

    alerts = command("alerts", "hotlist alerts without the window")
    alert_commands.add_arguments(alerts, _acting_sub_command)

    search = command("search", "search the reads for a plate or a partial plate (recorded)")
    search_commands.add_search_arguments(search, _acting_user)
    canvass = command("canvass", "every plate read near a place in a time window (recorded)")
    search_commands.add_canvass_arguments(canvass, _acting_user)

    purge = command("purge", "delete the reads past the retention period (kept: evidence holds)")
    purge_commands.add_arguments(purge, _acting_user)

    db = command("db", "PostgreSQL roles and upgrades, run by the database owner")
    db_commands.add_arguments(db, command)

    release = command("release", "release requests (policy 471.7): list, decide, fulfil, verify")
    release_commands.add_arguments(release, command, _acting_user)

    package = command("package", "verifiable packages (search exports): check one")
    package_commands.add_arguments(package, command)

    policy = command("policy", "the usage and privacy policy: export it for the website")
    policy_commands.add_arguments(policy, command)

    evaluate = command(
        "evaluate", "run plate recognition on a folder in the bench format and score it"
    )
    if evaluate_arguments:
        _add_evaluate_arguments(evaluate)
    return parser


def _acting_sub_command(parser: argparse.ArgumentParser) -> None:
    """A sub-command of ``users``, ``hotlist`` or ``alerts``: the global options and who acts."""
    _global_options(parser, sub=True)
    _acting_user(parser)


def _acting_user(parser: argparse.ArgumentParser) -> None:
    """--user and --password-stdin, for commands that act for a signed-in user."""
    parser.add_argument("--user", required=True, metavar="NAME", help="who acts (signs in)")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (or set ALPR_PASSWORD) instead of prompting",
    )


def _add_evaluate_arguments(evaluate: argparse.ArgumentParser) -> None:
    # Imported only when the evaluate command is asked for: it pulls in OpenCV and NumPy,
    # which the GUI's cold start does without.
    from alpr_desktop.recognition import evaluate as evaluate_mod

    evaluate_mod.add_arguments(evaluate)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(evaluate_arguments="evaluate" in argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.INFO if args.verbose else logging.WARNING)
    try:
        return _dispatch(args)
    except AlprError as exc:
        print(f"alpr-desktop: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        from alpr_desktop.errors import database_error

        # The driver's text quotes the SQL and its parameters: never printed.
        print(f"alpr-desktop: {database_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _is_database_error(exc: BaseException) -> bool:
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    return sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError)


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command or "gui"
    if command == "evaluate":
        from alpr_desktop.recognition import evaluate as evaluate_mod

        return evaluate_mod.run(args)
    if command == "package":  # no database: anyone holding a package may check it
        return package_commands.run(args)
    if command == "release" and args.release_command == "verify":  # no database either
        return release_commands.verify(args)
    if command == "db":  # the database owner's URL and credentials, no sign-in
        return db_commands.run(args)
    from alpr_desktop import commands

    return commands.run(command, args)
