"""The ``alpr-desktop`` command: the GUI by default, plus administrative sub-commands.

Expected errors (:class:`~alpr_desktop.errors.AlprError`) are printed as one clear line
and exit with status 2; nothing prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from alpr_desktop import __version__
from alpr_desktop.errors import AlprError


def build_parser(*, evaluate_arguments: bool = True) -> argparse.ArgumentParser:
    """The argument parser; ``evaluate_arguments=False`` skips loading the evaluate module."""
    parser = argparse.ArgumentParser(
        prog="alpr-desktop",
        description="ALPR workstation: live plate recognition, hotlist alerts, search and audit.",
    )
    parser.add_argument("--version", action="version", version=f"alpr-desktop {__version__}")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB (default: SQLite in the data dir)",
    )
    parser.add_argument("--data-dir", metavar="DIR", help="where the embedded database lives")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open a throw-away database with one demo account per role",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("gui", help="start the workstation (the default)")

    init = sub.add_parser("init", help="create the database and the first administrator")
    init.add_argument("--username", required=True)
    init.add_argument("--full-name", required=True)
    init.add_argument("--organisation", default="")
    init.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )

    audit = sub.add_parser("audit", help="access-record tools")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="AUDIT_COMMAND", required=True)
    audit_sub.add_parser("verify", help="check the hash chain and report the first broken link")

    evaluate = sub.add_parser(
        "evaluate", help="run plate recognition on a folder in the bench format and score it"
    )
    if evaluate_arguments:
        _add_evaluate_arguments(evaluate)
    return parser


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
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command or "gui"
    if command == "evaluate":
        from alpr_desktop.recognition import evaluate as evaluate_mod

        return evaluate_mod.run(args)
    from alpr_desktop import commands

    return commands.run(command, args)
