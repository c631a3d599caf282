"""``alpr-desktop purge``: the retention purge without a window (policy 471.5).

The acting user signs in like the headless node (``--user NAME``; password from
``--password-stdin``, ``ALPR_PASSWORD`` or a prompt) and needs ``RUN_PURGE``. The purge
is the service's (``services/retention.py``): bounded batches, each its own
transaction, so an interrupted run is completed by the next; ``--dry-run`` reports what
would go and deletes nothing. On PostgreSQL a second workstation purging at the same
time is told so and exits with status 3.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.services.base import Actor

#: Exit status when another workstation holds the purge lock.
BUSY_STATUS = 3


def add_arguments(purge: argparse.ArgumentParser, acting: Callable[[Any], None]) -> None:
    acting(purge)
    purge.add_argument(
        "--dry-run", action="store_true", help="report what would be purged; delete nothing"
    )
    purge.add_argument(
        "--batch",
        type=int,
        default=1000,
        metavar="N",
        help="reads per transaction (default 1000)",
    )
    purge.add_argument("--quiet", action="store_true", help="no progress lines")


def run(app: Application, actor: Actor, args: argparse.Namespace) -> int:
    from alpr_desktop.services.retention import PurgeBusyError

    def progress(done: int, total: int) -> None:
        if not args.quiet:
            print(f"purged {done:,} of {total:,} read(s)", file=sys.stderr, flush=True)

    try:
        report = app.services.retention.purge(
            actor, dry_run=args.dry_run, batch=args.batch, progress=progress
        )
    except PurgeBusyError as exc:
        print(f"alpr-desktop: {exc}", file=sys.stderr)
        return BUSY_STATUS
    print(report.summary())
    return 0
