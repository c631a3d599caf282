"""``alpr-desktop recognize``: the recognition server with no window.

Signs in as ``--user`` (who needs ``RUN_RECOGNITION``), opens the registered cameras
(all enabled ones, or those named with ``--camera``) and any ``--source`` given, and
stores their reads through the ingest service into the configured database — spooling
them locally while it is away. It logs source states and reads per minute, and ends
cleanly on SIGINT/SIGTERM with everything stored or safely spooled. With only video-file
sources it exits 0 once every file has been read to its end and every read is stored
(``--loop`` replays them instead).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from alpr_desktop.errors import AlprError

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.services.base import Actor
    from alpr_desktop.services.recognition_run import CameraPlan, RecognitionRun

log = logging.getLogger("alpr_desktop.recognize")
#: How often reads per minute (and the spool) are logged, and the session kept alive.
REPORT_S = 60.0
#: How long the end waits for the database to take what was spooled.
DRAIN_S = 30.0


def add_arguments(parser: argparse.ArgumentParser, acting: Callable[[Any], None]) -> None:
    acting(parser)
    parser.add_argument(
        "--camera", action="append", default=[], metavar="NAME", help="a registered camera"
    )
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="URL",
        help="an ad-hoc source: camera index, rtsp:// or http(s):// URL, video file, folder",
    )
    parser.add_argument("--loop", action="store_true", help="replay video files at their end")
    parser.add_argument("--fast", action="store_true", help="read video files as fast as possible")
    parser.add_argument(
        "--report-every",
        type=float,
        default=REPORT_S,
        metavar="SECONDS",
        help=f"log the reads and refresh the session this often (default {REPORT_S:g})",
    )


def plans(app: Application, actor: Actor, args: argparse.Namespace) -> list[CameraPlan]:
    from alpr_desktop.core.sources import classify_source, display_source
    from alpr_desktop.errors import ValidationError
    from alpr_desktop.services.recognition_run import CameraPlan, plans_for_cameras

    chosen: list[CameraPlan] = []
    if args.camera or not args.source:
        chosen += plans_for_cameras(app.services, actor, args.camera)
    for text in args.source:
        try:
            spec = classify_source(text)
        except ValueError as exc:
            raise ValidationError(f"--source {display_source(text)}: {exc}") from None
        chosen.append(CameraPlan(display_source(spec.value), spec.value, registered=False))
    if not chosen:
        raise ValidationError(
            "No camera to run: register one (Cameras page) or pass --camera / --source."
        )
    return chosen


class _Stop:
    """SIGINT/SIGTERM set a flag the main loop waits on; the previous handlers return."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous = {
            signum: signal.signal(signum, self._handle)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        self.event.set()

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def run(app: Application, actor: Actor, args: argparse.Namespace) -> int:
    """Run until stopped or, with only finite sources, until they end; the exit status."""
    from alpr_desktop.services.recognition_run import RecognitionRun

    logging.getLogger("alpr_desktop").setLevel(
        logging.DEBUG if getattr(args, "verbose", False) else logging.INFO
    )
    chosen = plans(app, actor, args)
    run = RecognitionRun(
        app.services,
        actor,
        chosen,
        label="headless node",
        realtime=not args.fast,
        loop=args.loop,
    )
    stop = _Stop()
    ended = ""
    try:
        log.info("loading the plate models")
        run.start()
        log.info("recognition running on %d source(s)", len(chosen))
        _main_loop(app, actor, run, stop.event, max(1.0, args.report_every))
    except _SessionEnded as exc:
        ended = str(exc)
    finally:
        status = run.stop()
        stop.restore()
    if ended:
        print(f"alpr-desktop: recognition stopped: {ended}", file=sys.stderr)
        return 2
    failures = problems(run)
    if status is not None and status.rejected:
        failures.append(f"{status.rejected} read(s) were refused by the database")
    for failure in failures:
        print(f"alpr-desktop: {failure}", file=sys.stderr)
    if status is not None:
        log.info(
            "stopped: %d reads stored, %d already stored, %d left in the spool",
            status.stored,
            status.already_stored,
            status.spool_depth,
        )
        if status.spool_depth:
            print(
                f"alpr-desktop: {status.spool_depth} read(s) are safely spooled and will be "
                "stored when the database answers (run recognize again).",
                file=sys.stderr,
            )
            return 1
    return 1 if failures else 0


class _SessionEnded(Exception):
    """The node's sign-in session was ended (suspension, deactivation, an administrator)."""


def _main_loop(
    app: Application, actor: Actor, run: RecognitionRun, stop: threading.Event, every: float
) -> None:
    last_report, last_reads = time.monotonic(), 0
    while not stop.wait(1.0):
        if run.all_finished():
            assert run.sink is not None
            log.info("every source has ended; storing the last reads")
            run.sink.drain(DRAIN_S)
            return
        if time.monotonic() - last_report >= every:
            assert run.sink is not None
            status = run.sink.status
            log.info(
                "%d reads since the last report; %d stored in all; spool %d%s",
                status.submitted - last_reads,
                status.stored,
                status.spool_depth,
                "" if status.online else " (database unreachable: spooling)",
            )
            last_report, last_reads = time.monotonic(), status.submitted
            _keep_alive(app, actor)


def _keep_alive(app: Application, actor: Actor) -> None:
    """Refresh the session; an ended session stops the node, an outage does not."""
    from sqlalchemy.exc import SQLAlchemyError

    from alpr_desktop.errors import PermissionDenied, SessionEndedError

    try:
        app.services.auth.keep_alive(actor)
    except (SessionEndedError, PermissionDenied) as exc:
        raise _SessionEnded(str(exc)) from None
    except (AlprError, SQLAlchemyError) as exc:
        # The database is away: the sink spools, the run goes on, the next report retries.
        log.warning("could not refresh the sign-in session: %s", type(exc).__name__)


def problems(run: RecognitionRun) -> list[str]:
    """Why a finished run did not do all it should: failed sources, reads not stored."""
    from alpr_desktop.recognition.sources import SourceState

    found = [
        worker.source.status.describe()
        for worker in run.workers
        if worker.source.status.state is SourceState.FAILED
    ]
    if run.failed_reads:
        found.append(f"{run.failed_reads} read(s) could not be handed to the database")
    return found
