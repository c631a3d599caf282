"""The Qt side of a live recognition run: worker callbacks become queued signals.

Recognition runs on its own threads (one per source, plus the ingest writer); their
callbacks build what the GUI needs right there — the preview as an already scaled,
annotated ``QImage``, the read's thumbnail — and emit a signal, which Qt queues to the
GUI thread because this object lives there. Starting (loading the models, opening the
ingest session) and stopping (joining the workers, storing the last reads) run on a
thread of their own, so the GUI thread never waits for the models or the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from alpr_desktop.errors import AlprError, database_error
from alpr_desktop.gui.live.images import bgr_to_qimage, draw_plates
from alpr_desktop.gui.live.reads_model import LiveRead, thumbnail
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.services.base import Actor
from alpr_desktop.services.recognition_run import CameraPlan, RecognitionRun
from alpr_desktop.services.registry import Services

if TYPE_CHECKING:
    from alpr_desktop.recognition.live import PreviewFrame, WorkerStats
    from alpr_desktop.recognition.sources import SourceStatus

log = logging.getLogger(__name__)

#: Widest preview a tile is sent (the tile scales it down further to fit).
PREVIEW_WIDTH = 640


class LiveRun(QObject):
    """One run of the Live page's cameras; see the module docstring."""

    #: camera name, frame with boxes and readings drawn
    frame = Signal(str, object)
    #: camera name, state ("live", "reconnecting", …), what it means in words
    state = Signal(str, str, str)
    #: a read, as the strip shows it
    read = Signal(object)
    #: camera name, one line of figures
    stats = Signal(str, str)
    #: the run has started (models loaded, sink open)
    started = Signal()
    #: starting failed: why
    failed = Signal(str)
    #: the run has stopped: what the ingest sink says
    stopped = Signal(str)

    def __init__(
        self,
        services: Services,
        actor: Actor,
        plans: Sequence[CameraPlan],
        parent: QObject,
        *,
        loop: bool = False,
    ) -> None:
        super().__init__(parent)
        self.run = RecognitionRun(
            services,
            actor,
            plans,
            label="live page",
            loop=loop,
            on_preview=self._preview,
            on_state=self._state,
            on_stats=self._stats,
            on_read=self._read,
        )
        self._thread: threading.Thread | None = None
        # One lock orders a stop against a start still in progress: either the start
        # thread sees the request when it ends, or the stop spawns after it has ended.
        self._lock = threading.Lock()
        self._starting = False
        self._stop_requested = False
        self._stopped = False

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        with self._lock:
            self._starting = True
        self._spawn(self._start, "alpr-live-start")

    def stop(self) -> None:
        """Stop asynchronously (after a start still in progress); :meth:`wait` joins."""
        with self._lock:
            stopped, in_flight = self._stopped, self._stop_requested
            self._stop_requested = True
            if not stopped and (in_flight or self._starting):
                return  # the stop under way (or the start thread) emits ``stopped``
        if stopped:
            self.stopped.emit("Recognition stopped.")  # already (a failed start)
            return
        self._spawn(self._stop, "alpr-live-stop")

    def wait(self, timeout: float = 60.0) -> None:
        """Block until the start or stop thread has ended (application shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _spawn(self, target: object, name: str) -> None:
        self._thread = threading.Thread(target=target, name=name)  # type: ignore[arg-type]
        self._thread.start()

    # ------------------------------------------------------------------ threads
    def _start(self) -> None:
        error = self._try_start()
        if error:
            self.failed.emit(error)
        else:
            self.started.emit()
        with self._lock:
            self._starting = False
            stop = bool(error) or self._stop_requested
            self._stop_requested = self._stop_requested or bool(error)
        if stop:
            self._stop()

    def _mark_stopped(self) -> None:
        with self._lock:
            self._stopped = True

    def _try_start(self) -> str:
        """Start the run; "" when it started, else why not (for the page)."""
        try:
            self.run.start()
        except AlprError as exc:
            return str(exc)
        except Exception as exc:
            from sqlalchemy.exc import SQLAlchemyError

            if isinstance(exc, SQLAlchemyError):  # the driver's text quotes SQL: not shown
                return f"Recognition could not start: {database_error(exc)}"
            log.exception("live recognition could not start")  # a bug: say so, keep going
            return f"Recognition could not start: {exc}"
        return ""

    def _stop(self) -> None:
        try:
            status = self.run.stop()
        except AlprError as exc:
            self._mark_stopped()
            self.stopped.emit(f"Recognition stopped; the last reads could not be stored: {exc}")
            return
        self._mark_stopped()
        if status is None:
            self.stopped.emit("Recognition stopped.")
        elif status.spool_depth:
            self.stopped.emit(
                f"Recognition stopped; {status.spool_depth} read(s) are spooled and will be "
                "stored when the database answers."
            )
        else:
            self.stopped.emit(f"Recognition stopped; {status.stored} read(s) stored.")

    # ------------------------------------------------------------------ callbacks
    def _preview(self, preview: PreviewFrame) -> None:  # a worker thread
        image, scale = bgr_to_qimage(preview.image, PREVIEW_WIDTH)
        # The worker's boxes are in preview pixels already; only our own resize scales.
        draw_plates(image, [(o.box, o.text, o.confidence) for o in preview.overlays], scale)
        self.frame.emit(preview.camera_name, image)

    def _state(self, status: SourceStatus) -> None:  # a source thread
        self.state.emit(status.source, status.state.value, describe_status(status))

    def _stats(self, stats: WorkerStats) -> None:  # a worker thread
        skipped = sum(stats.frames_skipped.values())
        self.stats.emit(
            stats.camera_name,
            f"{stats.fps:.0f} fps · {skipped} frames skipped · {stats.reads} reads",
        )

    def _read(self, read: VehicleRead) -> None:  # a worker thread
        self.read.emit(LiveRead(read, thumbnail(read)))


def describe_status(status: SourceStatus) -> str:
    """The state's reason, and when reconnecting the next try (local time)."""
    if status.next_try_at is None:
        return status.message
    when = f"next try at {status.next_try_at.astimezone():%H:%M:%S}"
    return f"{status.message}; {when}" if status.message else when
