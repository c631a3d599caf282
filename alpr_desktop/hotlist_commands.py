"""``alpr-desktop hotlist import …``: hotlist CSV import for servers without a screen.

The same hotlist service as the window, so the same permission, validation and access
records apply: the acting user signs in with ``--user NAME`` and a password from
``--password-stdin``, ``ALPR_PASSWORD`` or a prompt. Any error in the file prints the
per-line errors (the first ``--show-errors``, then a count) and exits with status 1,
importing nothing. After an import the list is checked against the reads of the
retention period, and the retroactive alerts raised are counted.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.services.base import Actor
    from alpr_desktop.services.hotlist_import import ValidationReport

DEFAULT_SHOWN = 20


def add_arguments(hotlist: argparse.ArgumentParser, acting: Callable[[Any], None]) -> None:
    """The ``hotlist`` sub-commands; ``acting`` adds the global and --user options."""
    sub = hotlist.add_subparsers(dest="hotlist_command", metavar="HOTLIST_COMMAND", required=True)
    imp = sub.add_parser("import", help="import a CSV file into a list, all or nothing")
    acting(imp)
    imp.add_argument("file", type=Path, help="the CSV file (see docs/hotlists.md)")
    imp.add_argument("--list", required=True, metavar="NAME", help="created if it does not exist")
    imp.add_argument("--replace", action="store_true", help="replace the list's entries")
    imp.add_argument(
        "--format", choices=("standard", "ncic"), default="standard", help="the column set"
    )
    imp.add_argument("--encoding", choices=("auto", "utf-8", "utf-8-sig", "cp1252"), default="auto")
    imp.add_argument(
        "--show-errors", type=int, default=DEFAULT_SHOWN, metavar="N", help="errors printed"
    )


def run(app: Application, actor: Actor, args: argparse.Namespace) -> int:
    """Carry out ``hotlist import`` for ``actor``; prints what it imported or the errors."""
    from dataclasses import replace

    from alpr_desktop.services import hotlist_import as hi

    mapping = hi.NCIC if args.format == "ncic" else hi.STANDARD
    if args.encoding != "auto":
        mapping = replace(mapping, encoding=args.encoding)
    try:
        result = app.services.hotlists.import_csv(
            actor,
            args.file,
            args.list,
            mapping=mapping,
            replace=args.replace,
            create_missing=True,
        )
    except hi.ImportRejected as rejected:
        print(_errors(rejected.report, args.show_errors))
        print(f"{rejected.report.error_count} error(s); nothing was imported.")
        return 1
    created = " (new list)" if result.created_list else ""
    replaced = f", replacing {result.replaced}" if args.replace else ""
    print(
        f"Imported {result.imported} entries into {result.list_name!r}{created}{replaced} "
        f"({result.encoding})."
    )
    # New entries are checked against the past reads (retroactive hits).
    past = app.services.alerts.check_past_reads(actor, hotlist_id=result.hotlist_id)
    print(
        f"Checked {past.reads_checked} past read(s) against the list: "
        f"{past.alerts_raised} retroactive alert(s) raised."
    )
    return 0


def _errors(report: ValidationReport, shown: int) -> str:
    rows = [("LINE", "COLUMN", "VALUE", "PROBLEM")]
    for error in report.errors[: max(shown, 0)]:
        rows.append((str(error.line), error.column, error.value, error.message))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)), r[3]]) for r in rows
    ]
    if report.error_count > shown:
        lines.append(f"… and {report.error_count - shown} more.")
    return "\n".join(lines)
