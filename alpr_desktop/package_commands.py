"""``alpr-desktop package verify PATH``: check a package against its manifest.

No database and no sign-in: a package (a search export now, release and evidence
packages later; :mod:`alpr_desktop.core.packages`) is checked by anyone who has it.
Exit 0 when every file matches its SHA-256 and nothing was added or removed; 1 with one
line per problem otherwise; 2 when there is no package at the path.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_arguments(
    package: argparse.ArgumentParser, command: Callable[..., argparse.ArgumentParser]
) -> None:
    """``command(name, help, parent)`` adds a sub-command (``cli.build_parser``'s)."""
    sub: Any = package.add_subparsers(
        dest="package_command", metavar="PACKAGE_COMMAND", required=True
    )
    verify = command("verify", "check a package's files against its manifest of SHA-256 sums", sub)
    verify.add_argument("path", type=Path, metavar="PATH", help="a package: .zip file or folder")


def run(args: argparse.Namespace) -> int:
    from alpr_desktop.core.packages import iter_problems, verify_package

    report = verify_package(args.path)
    for line in iter_problems(report):
        print(line)
    print(report.summary())
    return 0 if report.ok else 1
