"""One recognition run: the cameras to watch, a worker each, one ingest sink for them all.

The headless node (``alpr-desktop recognize``) and the Live page both run recognition
through :class:`RecognitionRun`, so they open cameras the same way, place reads the same
way (a fixed camera's position, a mobile unit's GPS track) and store them the same way:
through the ingest service, the only path by which reads enter the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alpr_desktop.errors import ConfigurationError, ValidationError
from alpr_desktop.heap import freeze_long_lived
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.services.base import Actor
from alpr_desktop.services.cameras import CameraView

if TYPE_CHECKING:
    from alpr_desktop.recognition.live import (
        PositionSource,
        PreviewFrame,
        RecognitionWorker,
        WorkerStats,
    )
    from alpr_desktop.recognition.pipeline import FramePipeline
    from alpr_desktop.recognition.sources import SourceStatus
    from alpr_desktop.services.ingest import IngestSink, IngestStatus
    from alpr_desktop.services.registry import Services

log = logging.getLogger(__name__)

#: How far back (and ahead) of now a mobile unit's GPS fixes are loaded.
GPS_WINDOW = dt.timedelta(days=2)


@dataclass(frozen=True)
class CameraPlan:
    """What to open and where its reads are: a registered camera or an ad-hoc source."""

    name: str
    source: str
    position: PositionSource | None = None
    #: A camera of the registry (its name goes on the reads); False for an ad-hoc source.
    registered: bool = True


def load_pipeline() -> FramePipeline:
    """The shipped plate finder and reader, or a clear error when the reader cannot load."""
    from alpr_desktop.recognition.localizer import OnnxPlateLocalizer
    from alpr_desktop.recognition.pipeline import FramePipeline

    try:
        from alpr_desktop.recognition.reader import load_default_reader

        reader = load_default_reader()
    except ImportError as exc:
        raise ConfigurationError(
            "Plate recognition needs the OCR extra (PyTorch): install it with "
            f"pip install -e '.[ocr]' ({exc.name or exc} is missing)."
        ) from None
    pipeline = FramePipeline(OnnxPlateLocalizer(), reader)
    freeze_long_lived("the plate models are loaded")  # their weights live as long
    return pipeline


def plans_for_cameras(
    services: Services, actor: Actor, names: Sequence[str] = ()
) -> list[CameraPlan]:
    """The enabled cameras (or those named) with their positions, for ``actor``."""
    cameras = services.cameras.list_for_recognition(actor, enabled_only=not names)
    if names:
        by_name = {c.name.casefold(): c for c in cameras}
        missing = [n for n in names if n.casefold() not in by_name]
        if missing:
            raise ValidationError(f"No camera named {', '.join(map(repr, missing))}.")
        cameras = [by_name[n.casefold()] for n in names]
    return [CameraPlan(c.name, c.source, _position(services, actor, c)) for c in cameras]


def _position(services: Services, actor: Actor, camera: CameraView) -> PositionSource | None:
    from alpr_desktop.recognition.gps import GpsFix, GpsTrack
    from alpr_desktop.recognition.live import FixedPosition

    if not camera.mobile:
        if camera.latitude is None or camera.longitude is None:
            return None
        return FixedPosition(camera.latitude, camera.longitude)
    now = services.ctx.now()
    points = services.cameras.gps_track(actor, camera.id, now - GPS_WINDOW, now + GPS_WINDOW)
    return GpsTrack(tuple(GpsFix(p[0], p[1], p[2]) for p in points))


class RecognitionRun:
    """Recognition of several sources into one ingest sink; see the module docstring.

    Args:
        services: the opened application's services.
        actor: who runs recognition (``RUN_RECOGNITION``; recorded by the ingest sink).
        plans: what to open.
        pipeline: the models; shared by every worker behind one lock (the measured
            choice on two cores, ``benchmarks/bench_live.py``). Loaded when None.
        label: what runs it, for the access record ("headless node", "live page").
        realtime: play video files at their own rate (False: as fast as possible).
        loop: replay video files when they end.
        on_preview, on_state, on_stats, on_read: the workers' callbacks (their threads).
    """

    def __init__(
        self,
        services: Services,
        actor: Actor,
        plans: Sequence[CameraPlan],
        *,
        pipeline: FramePipeline | None = None,
        label: str = "",
        realtime: bool = True,
        loop: bool = False,
        on_preview: Callable[[PreviewFrame], None] | None = None,
        on_state: Callable[[SourceStatus], None] | None = None,
        on_stats: Callable[[WorkerStats], None] | None = None,
        on_read: Callable[[VehicleRead], None] | None = None,
    ) -> None:
        if not plans:
            raise ValidationError("There is no camera to run recognition on.")
        self.services, self.actor, self.plans = services, actor, list(plans)
        self.label, self.realtime, self.loop = label, realtime, loop
        self._pipeline = pipeline
        self._callbacks = (on_preview, on_state, on_stats, on_read)
        self.workers: list[RecognitionWorker] = []
        self.sink: IngestSink | None = None
        self.failed_reads = 0

    def start(self) -> None:
        """Load the models (if not given), open the sink and start every worker."""
        from alpr_desktop.recognition.live import RecognitionWorker
        from alpr_desktop.recognition.sources import open_source

        pipeline = self._pipeline or load_pipeline()
        on_preview, on_state, on_stats, _on_read = self._callbacks
        sources = []
        for plan in self.plans:
            try:
                sources.append(
                    open_source(plan.source, name=plan.name, realtime=self.realtime, loop=self.loop)
                )
            except ValueError as exc:
                raise ValidationError(f"{plan.name}: {exc}") from None
        self.sink = self.services.ingest.open_session(self.actor, label=self.label)
        lock = threading.Lock()
        for plan, source in zip(self.plans, sources, strict=True):
            self.workers.append(
                RecognitionWorker(
                    source,
                    pipeline,
                    camera_name=plan.name if plan.registered else "",
                    position=plan.position,
                    on_preview=on_preview,
                    on_read=self._read,
                    on_state=on_state,
                    on_stats=on_stats,
                    pipeline_lock=lock,
                )
            )
        for worker in self.workers:
            worker.start()

    def _read(self, read: VehicleRead) -> None:  # a worker's thread
        assert self.sink is not None
        try:
            self.sink.submit(read)
        except (ValueError, RuntimeError) as exc:
            # A read the store refuses (or a sink closed under it) is counted, not lost
            # silently; the plate text stays out of the log.
            self.failed_reads += 1
            log.warning("a read from %s was not stored: %s", read.camera_name, exc)
        on_read = self._callbacks[3]
        if on_read is not None:
            on_read(read)

    def all_finished(self) -> bool:
        """True once every source has ended (video files read to their end)."""
        return all(worker.finished for worker in self.workers)

    def wait_finished(self, timeout: float | None = None) -> bool:
        return all(worker.wait_finished(timeout) for worker in self.workers)

    def stop(self) -> IngestStatus | None:
        """Stop every worker, then close the sink (stored or safely spooled)."""
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            worker.join(timeout=30)
        if self.sink is None:
            return None
        status = self.sink.close()
        self.sink = None
        return status
