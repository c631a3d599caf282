"""``alpr-desktop policy export --out FILE``: the usage and privacy policy as one HTML file.

The page is what the department posts on its website (policy 471.3.1(g), Civ. Code
1798.90.51(b)(1)): the shipped policy, or the department's own
``usage-and-privacy-policy.md`` in the data directory, with the agency, the designee's
name and title, the retention period and the purposes filled in from the settings. It is
standalone (inline CSS, no external references). The policy is public, so no sign-in is
needed; the export is recorded in the access trail as ``cli:<login name>``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alpr_desktop.settings import LocalConfig


def add_arguments(
    policy: argparse.ArgumentParser, command: Callable[..., argparse.ArgumentParser]
) -> None:
    """``command(name, help, parent)`` adds a sub-command (``cli.build_parser``'s)."""
    sub: Any = policy.add_subparsers(dest="policy_command", metavar="POLICY_COMMAND", required=True)
    export = command(
        "export", "write the usage and privacy policy as a standalone HTML page (recorded)", sub
    )
    export.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="the HTML file to write"
    )


def run(config: LocalConfig, args: argparse.Namespace) -> int:
    from alpr_desktop.app import open_application

    app = open_application(config)
    try:
        result = app.services.policy.export(args.out, actor=None)
    finally:
        app.close()
    source = "the shipped policy" if result.source == "default" else result.source
    print(f"Wrote {result.path} from {source}; SHA-256 {result.sha256}.")
    return 0
