"""Live recognition of one source: newest frame -> localize -> read -> track -> reads.

A :class:`RecognitionWorker` owns one :class:`~alpr_desktop.recognition.sources.FrameSource`
and one :class:`~alpr_desktop.recognition.tracker.PlateTracker`, and runs on its own
thread. Per frame it localizes every plate, but reads only the plates that need it: a
plate continuing a *settled* track (several frames agreeing) is read again only every
few frames, and a plate cut by the frame's edge is not read at all
(:meth:`PlateTracker.needs_reading`). That keeps one source near the localizer's own
frame rate on two cores.

Everything leaves through callbacks, none of them Qt (the GUI wraps them in queued
signals; the headless node logs and ingests):

* ``on_preview(PreviewFrame)`` — a downscaled frame with the boxes and readings to draw,
  at most ``preview_fps`` a second (worker thread);
* ``on_read(VehicleRead)`` — one per vehicle pass, with its position (worker thread);
* ``on_state(SourceStatus)`` — the source's state changes (source thread);
* ``on_stats(WorkerStats)`` — every ``stats_interval_s`` and once at the end (worker
  thread).

A callback that raises is logged and does not stop the worker. Several workers may share
one :class:`~alpr_desktop.recognition.pipeline.FramePipeline` if they share one
``pipeline_lock`` (see ``benchmarks/bench_live.py`` for the cost of each choice).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast

import cv2

from alpr_desktop.recognition.pipeline import FramePipeline, PlateResult, crop_plate
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.recognition.sources import Frame, FrameSource, SourceStatus
from alpr_desktop.recognition.tracker import PlateTracker, TrackerSettings
from alpr_desktop.recognition.types import Image, PlateBox, PlateReading

log = logging.getLogger(__name__)


class PositionSource(Protocol):
    def position_at(self, at: dt.datetime) -> tuple[float, float] | None: ...


@dataclass(frozen=True)
class FixedPosition:
    """A fixed camera's position (implements :class:`PositionSource`)."""

    latitude: float
    longitude: float

    def position_at(self, at: dt.datetime) -> tuple[float, float] | None:
        return self.latitude, self.longitude


@dataclass(frozen=True)
class Overlay:
    """A plate to draw on a preview, in the preview's pixels."""

    track_id: int
    box: PlateBox
    text: str
    confidence: float
    settled: bool


@dataclass(frozen=True)
class PreviewFrame:
    """A frame for display: already downscaled (BGR), with what to draw over it.

    ``scale`` is preview pixels per source pixel.
    """

    camera_name: str
    image: Image
    scale: float
    overlays: tuple[Overlay, ...]
    captured_at: dt.datetime
    frame_index: int


@dataclass(frozen=True)
class StageTimes:
    """Mean milliseconds per processed frame, per stage.

    ``decode`` is spent on the source's thread; ``wait`` is time waiting for a pipeline
    shared with other workers; ``read`` is 0 for a frame whose plates were not read.
    """

    decode: float = 0.0
    localize: float = 0.0
    read: float = 0.0
    track: float = 0.0
    wait: float = 0.0


@dataclass(frozen=True)
class WorkerStats:
    """A worker's figures; rates and stage times are over the last interval.

    Attributes:
        fps: frames processed per second.
        frames_read: decoded by the source, in all.
        frames_processed: run through recognition, in all.
        frames_skipped: dropped by the source, and not localized for lack of motion
            ("no motion"), by reason, in all.
        crops_read / crops_not_read: plates read, and plates found but not read
            (settled track or cut by the frame's edge), in all.
        reads: vehicle reads emitted, in all.
        tracks: tracks active now.
        errors: frames whose recognition raised, in all.
    """

    camera_name: str
    fps: float
    frames_read: int
    frames_processed: int
    frames_skipped: dict[str, int]
    stage_ms: StageTimes
    crops_read: int
    crops_not_read: int
    reads: int
    tracks: int
    errors: int


@dataclass(frozen=True)
class WorkerSettings:
    """Tuning of :class:`RecognitionWorker`.

    Attributes:
        preview_fps: most previews a second (0: none).
        preview_width: width of a preview image (never upscaled).
        stats_interval_s: how often ``on_stats`` is called.
        read_every_plate: read every plate found in every frame (slower; for checks).
        motion_gate: while no plate is being tracked, a frame is only localized when
            at least this fraction of a 160x90 grey thumbnail changed by more than
            ``motion_delta`` grey levels since the last localized frame; other frames
            are skipped as "no motion". 0 localizes every frame.
        motion_delta: see ``motion_gate``.
        edge_margin: a plate box closer than this fraction of its own size (plus two
            pixels) to the frame's edge is taken as cut by the edge and not read; the
            localizer's boxes are trimmed to the characters, so a cut plate's box stops
            short of the edge.
        tracker: see :class:`TrackerSettings`.
    """

    preview_fps: float = 10.0
    preview_width: int = 640
    stats_interval_s: float = 1.0
    read_every_plate: bool = False
    motion_gate: float = 0.002
    motion_delta: int = 12
    edge_margin: float = 0.15
    tracker: TrackerSettings = field(default_factory=TrackerSettings)


@dataclass
class _Window:
    """Sums over the current stats interval."""

    started: float
    frames: int = 0
    decode: float = 0.0
    localize: float = 0.0
    read: float = 0.0
    track: float = 0.0
    wait: float = 0.0


class RecognitionWorker:
    """Recognition of one source on its own thread; see the module docstring.

    Args:
        source: a not yet started source; the worker starts and stops it.
        pipeline: the localizer and reader (and crop margins) to use.
        camera_name: put on every read (default: the source's name).
        position: where reads were made (a :class:`FixedPosition` or a
            :class:`~alpr_desktop.recognition.gps.GpsTrack`), or None.
        on_preview, on_read, on_state, on_stats: see the module docstring.
        settings: see :class:`WorkerSettings`.
        pipeline_lock: held while the pipeline runs; pass one lock to all workers that
            share a pipeline.
    """

    def __init__(
        self,
        source: FrameSource,
        pipeline: FramePipeline,
        *,
        camera_name: str | None = None,
        position: PositionSource | None = None,
        on_preview: Callable[[PreviewFrame], None] | None = None,
        on_read: Callable[[VehicleRead], None] | None = None,
        on_state: Callable[[SourceStatus], None] | None = None,
        on_stats: Callable[[WorkerStats], None] | None = None,
        settings: WorkerSettings | None = None,
        pipeline_lock: threading.Lock | None = None,
    ) -> None:
        self.source = source
        self.pipeline = pipeline
        self.camera_name = source.name if camera_name is None else camera_name
        self.position = position
        self.settings = settings or WorkerSettings()
        self.tracker = PlateTracker(self.camera_name, self.settings.tracker)
        self._on_preview = on_preview
        self._on_read = on_read
        self._on_stats = on_stats
        if on_state is not None:
            source.subscribe(lambda status: self._call(on_state, status))
        self._lock = pipeline_lock or threading.Lock()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"recognition:{self.camera_name}")
        self._totals: dict[str, int] = dict.fromkeys(
            ("processed", "crops_read", "crops_not_read", "reads", "errors"), 0
        )
        self._window = _Window(time.monotonic())
        self._last_preview = 0.0
        self._thumb: Image | None = None
        self._no_motion = 0
        self._stats = self._make_stats(self._window, time.monotonic())

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        self._thread.start()
        self.source.start()

    def stop(self) -> None:
        """Stop the source and the worker (returns at once; :meth:`join` waits).

        Tracks still open are emitted as reads before the worker ends.
        """
        self._stop.set()
        self.source.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for both threads; True once both have ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        source_done = self.source.join(timeout)
        rest = None if deadline is None else max(0.0, deadline - time.monotonic())
        if self._thread.ident is not None:
            self._thread.join(rest)
        return source_done and not self._thread.is_alive()

    def wait_finished(self, timeout: float | None = None) -> bool:
        """Wait until the source has ended and every read was delivered."""
        return self._finished.wait(timeout)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    @property
    def stats(self) -> WorkerStats:
        """The figures of the last interval (thread-safe: an immutable snapshot)."""
        return self._stats

    # ------------------------------------------------------------------ worker thread
    def _run(self) -> None:
        last_at: dt.datetime | None = None
        try:
            while not self._stop.is_set():
                frame = self.source.take(timeout=0.1)
                if frame is not None:
                    self._process(frame)
                    last_at = frame.captured_at
                elif self.source.exhausted:
                    break
                elif self.source.status.state.terminal:
                    self.source.join(0.05)  # its last moment: do not spin on a closed slot
                self._maybe_stats()
        finally:
            for read in self.tracker.flush(last_at):
                self._deliver(read)
            self._maybe_stats(force=True)
            self._finished.set()

    def _still(self, image: Image) -> bool:
        """Whether nothing moved since the last localized frame (and nothing is tracked)."""
        s = self.settings
        if s.motion_gate <= 0:
            return False
        grey = cv2.cvtColor(
            cv2.resize(image, (160, 90), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY
        )
        thumb = cast(Image, cv2.GaussianBlur(grey, (3, 3), 0))
        previous, self._thumb = self._thumb, thumb
        if previous is None or self.tracker.track_count:
            return False
        changed = float((cv2.absdiff(thumb, previous) > s.motion_delta).mean())
        if changed >= s.motion_gate:
            return False
        self._thumb = previous  # compare with the last localized frame: slow motion adds up
        return True

    def _process(self, frame: Frame) -> None:
        if self._still(frame.image):
            self._no_motion += 1
            self._maybe_preview(frame)
            return
        w = self._window
        try:
            waited = time.perf_counter()
            with self._lock:
                t0 = time.perf_counter()
                boxes = self.pipeline.localizer.locate(frame.image)[: self.pipeline.max_plates]
                t1 = time.perf_counter()
            w.wait += (t0 - waited) * 1000
            w.localize += (t1 - t0) * 1000
            results, unread = self._read_plates(frame, boxes)
            t2 = time.perf_counter()
            reads = self.tracker.update(frame.image, frame.captured_at, results, unread)
            w.track += (time.perf_counter() - t2) * 1000
        except Exception:
            self._totals["errors"] += 1
            log.exception("recognition of a frame from %s failed", self.camera_name)
            return
        self._totals["processed"] += 1
        w.frames += 1
        w.decode += frame.decode_ms
        for read in reads:
            self._deliver(read)
        self._maybe_preview(frame)

    def _read_plates(
        self, frame: Frame, boxes: list[PlateBox]
    ) -> tuple[list[PlateResult], list[PlateBox]]:
        """Read the plates that need it; the others are returned as unread boxes."""
        h, w = frame.image.shape[:2]
        f = self.settings.edge_margin
        wanted = (
            [True] * len(boxes)
            if self.settings.read_every_plate
            else self.tracker.needs_reading(boxes, frame.captured_at)
        )
        to_read: list[tuple[PlateBox, Image]] = []
        unread: list[PlateBox] = []
        for box, want in zip(boxes, wanted, strict=True):
            mx, my = 2 + f * box.w, 2 + f * box.h
            cut = box.x <= mx or box.y <= my or box.x + box.w >= w - mx or box.y + box.h >= h - my
            crop = crop_plate(frame.image, box, self.pipeline.pad_x, self.pipeline.pad_y)
            if want and not cut and min(crop.shape[:2]) >= 4:
                to_read.append((box, crop))
            else:
                unread.append(box)
        self._totals["crops_read"] += len(to_read)
        self._totals["crops_not_read"] += len(unread)
        if not to_read:
            return [], unread
        waited = time.perf_counter()
        with self._lock:
            started = time.perf_counter()
            readings = self._read_batch([c for _, c in to_read])
            self._window.read += (time.perf_counter() - started) * 1000
        self._window.wait += (started - waited) * 1000
        results = [PlateResult(b, r, c) for (b, c), r in zip(to_read, readings, strict=True)]
        return results, unread

    def _read_batch(self, crops: list[Image]) -> list[PlateReading]:
        reader: Any = self.pipeline.reader
        if hasattr(reader, "read_batch"):
            return cast(list[PlateReading], reader.read_batch(crops))
        return [reader.read(c) for c in crops]

    def _deliver(self, read: VehicleRead) -> None:
        if self.position is not None:
            where = self.position.position_at(read.read_at)
            if where is not None:
                read = replace(read, latitude=where[0], longitude=where[1])
        self._totals["reads"] += 1
        if self._on_read is not None:
            self._call(self._on_read, read)

    def _maybe_preview(self, frame: Frame) -> None:
        s = self.settings
        now = time.monotonic()
        if self._on_preview is None or s.preview_fps <= 0:
            return
        if now - self._last_preview < 1.0 / s.preview_fps:
            return
        self._last_preview = now
        h, w = frame.image.shape[:2]
        scale = min(1.0, s.preview_width / w)
        image = frame.image
        if scale < 1.0:
            size = (round(w * scale), max(1, round(h * scale)))
            image = cast(Image, cv2.resize(image, size, interpolation=cv2.INTER_AREA))
        overlays = tuple(
            Overlay(
                v.track_id,
                PlateBox(
                    round(v.box.x * scale),
                    round(v.box.y * scale),
                    max(1, round(v.box.w * scale)),
                    max(1, round(v.box.h * scale)),
                    v.box.confidence,
                ),
                v.text,
                v.confidence,
                v.settled,
            )
            for v in self.tracker.active(frame.captured_at)
        )
        preview = PreviewFrame(
            self.camera_name, image, scale, overlays, frame.captured_at, frame.index
        )
        self._call(self._on_preview, preview)

    def _maybe_stats(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._window.started < self.settings.stats_interval_s:
            return
        self._stats = self._make_stats(self._window, now)
        self._window = _Window(now)
        if self._on_stats is not None:
            self._call(self._on_stats, self._stats)

    def _make_stats(self, w: _Window, now: float) -> WorkerStats:
        n = max(w.frames, 1)
        counters = self.source.counters
        span = max(now - w.started, 1e-6)
        return WorkerStats(
            camera_name=self.camera_name,
            fps=w.frames / span,
            frames_read=counters.frames_read,
            frames_processed=self._totals["processed"],
            frames_skipped={**counters.skipped(), "no motion": self._no_motion},
            stage_ms=StageTimes(w.decode / n, w.localize / n, w.read / n, w.track / n, w.wait / n),
            crops_read=self._totals["crops_read"],
            crops_not_read=self._totals["crops_not_read"],
            reads=self._totals["reads"],
            tracks=self.tracker.track_count,
            errors=self._totals["errors"],
        )

    def _call(self, callback: Callable[[Any], None] | None, value: object) -> None:
        if callback is None:
            return
        try:
            callback(value)
        except Exception:
            log.exception("a callback of recognition worker %s failed", self.camera_name)
