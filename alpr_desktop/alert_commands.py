"""``alpr-desktop alerts watch``: hotlist alerts printed as they arrive.

For a console in the dispatch room or a log shipper. The acting user signs in like the
headless node (``--user NAME``; password from ``--password-stdin``, ``ALPR_PASSWORD`` or
a prompt) and needs ``REVIEW_ALERT`` with current training; the same
:class:`~alpr_desktop.services.alert_feed.AlertFeed` as the window delivers the alerts,
with the same access records. One line per alert on standard output (``--json``: one
JSON object per line); the feed's state changes go to standard error. It runs until
SIGINT/SIGTERM, ``--count`` alerts, or the user's session ends (exit status 3).
"""

from __future__ import annotations

import argparse
import json
import queue
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.services.alerts import AlertBatch, AlertView
    from alpr_desktop.services.base import Actor

EXIT_SESSION_ENDED = 3


def add_arguments(alerts: argparse.ArgumentParser, acting: Callable[[Any], None]) -> None:
    sub = alerts.add_subparsers(dest="alerts_command", metavar="ALERTS_COMMAND", required=True)
    watch = sub.add_parser("watch", help="print hotlist alerts as they arrive")
    acting(watch)
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    watch.add_argument(
        "--new-only", action="store_true", help="leave out the alerts pending at the start"
    )
    watch.add_argument(
        "--count", type=int, default=0, metavar="N", help="exit after N alerts (0: never)"
    )
    watch.add_argument("--poll", type=float, default=5.0, metavar="SECONDS", help=argparse.SUPPRESS)


def run(app: Application, actor: Actor, args: argparse.Namespace) -> int:
    from alpr_desktop.errors import ValidationError
    from alpr_desktop.services.alert_feed import AlertFeed, FeedState, FeedStatus

    if args.count < 0 or not 0.1 <= args.poll <= 3600:
        raise ValidationError("--count must be 0 or more and --poll 0.1–3600 seconds.")
    events: queue.Queue[tuple[str, Any]] = queue.Queue()
    first = True

    def on_batch(batch: AlertBatch) -> None:
        nonlocal first
        events.put(("batch", (batch, first)))
        first = False

    def on_status(status: FeedStatus) -> None:
        events.put(("status", status))

    feed = AlertFeed(
        app.services, actor, on_batch=on_batch, on_status=on_status, poll_interval=args.poll
    )
    previous = {s: signal.signal(s, lambda *_: events.put(("stop", None))) for s in _SIGNALS}
    printed = 0
    feed.start()
    try:
        while True:
            kind, value = events.get()
            if kind == "stop":
                return 0
            if kind == "status":
                status: FeedStatus = value
                if status.state is FeedState.STOPPED:
                    if status.message:
                        print(f"alpr-desktop: {status.message}", file=sys.stderr)
                        return EXIT_SESSION_ENDED
                    return 0
                print(f"alerts: {status.state.value}", file=sys.stderr, flush=True)
                continue
            batch, initial = value
            if initial and args.new_only:
                continue
            for view in batch.new:
                print(_json(view) if args.json else _line(view), flush=True)
                printed += 1
                if args.count and printed >= args.count:
                    return 0
    finally:
        feed.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _line(view: AlertView) -> str:
    where = (
        f" at {view.latitude:.5f},{view.longitude:.5f}"
        if view.latitude is not None and view.longitude is not None
        else ""
    )
    flags = " RETROACTIVE" if view.retroactive else ""
    status = "" if view.pending else f" [{view.status.value} by {view.disposed_by}]"
    return (
        f"{view.created_at.isoformat(timespec='seconds')} ALERT #{view.id} P{view.priority}"
        f"{flags} {view.plate_text} — {view.hotlist_name} {view.entry_pattern} "
        f"({view.category}) — {view.camera_name or 'no camera'}"
        f" {view.read_at.isoformat(timespec='seconds')}{where} — {view.explanation}{status}"
    )


def _json(view: AlertView) -> str:
    return json.dumps(
        {
            "id": view.id,
            "read_id": view.read_id,
            "status": view.status.value,
            "priority": view.priority,
            "created_at": view.created_at.isoformat(),
            "read_at": view.read_at.isoformat(),
            "plate": view.plate_text,
            "confidence": round(view.confidence, 4),
            "matched": view.matched_text,
            "kind": view.match_kind.value,
            "explanation": view.explanation,
            "retroactive": view.retroactive,
            "hotlist": view.hotlist_name,
            "entry": view.entry_pattern,
            "category": view.category,
            "camera": view.camera_name,
            "latitude": view.latitude,
            "longitude": view.longitude,
            "disposed_by": view.disposed_by or None,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
