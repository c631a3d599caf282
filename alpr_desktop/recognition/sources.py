"""Frame sources: cameras, network streams, video files and watched folders, each on a thread.

:func:`open_source` turns a camera's source text (classified by
:func:`alpr_desktop.core.sources.classify_source`) into a :class:`FrameSource`. Each
source reads on its own thread and hands frames over through a :class:`FrameSlot` of
depth one:

* live sources (device, RTSP, HTTP MJPEG) and a video file played at its own rate are
  *lossy*: a new frame replaces one recognition has not taken yet, and that frame is
  counted as skipped ("recognition busy"), so a slow consumer drops frames instead of
  queueing them;
* a video file read as fast as possible and a watched folder are *lossless*: the reader
  waits for the consumer, because every frame (every image) is wanted.

A source that cannot open or drops reconnects with exponential backoff
(:class:`Backoff`); its :class:`SourceStatus` (connecting, live, reconnecting with the
next try time, stopped, failed with the reason) goes to the ``on_state`` callbacks, on
the source's thread, and to the log. Messages never contain credentials of a URL.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from alpr_desktop.core.sources import SourceKind, SourceSpec, classify_source, display_source
from alpr_desktop.recognition.capture import (
    CaptureReader,
    FolderReader,
    FrameReader,
    SourceError,
)
from alpr_desktop.recognition.types import Image

log = logging.getLogger(__name__)

__all__ = [
    "Backoff",
    "Frame",
    "FrameSlot",
    "FrameSource",
    "SourceCounters",
    "SourceError",
    "SourceState",
    "SourceStatus",
    "open_source",
]


class SourceState(enum.StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"  # a file or folder source that ended, or stop() was called
    FAILED = "failed"  # will not be tried again; ``message`` says why

    @property
    def terminal(self) -> bool:
        return self in (SourceState.STOPPED, SourceState.FAILED)


@dataclass(frozen=True)
class SourceStatus:
    """A source's state as the GUI and the headless log show it.

    Attributes:
        source: the source's name (the camera name, or the masked source text).
        state: see :class:`SourceState`.
        message: why (the failure, the drop, how a file ended); "" when live.
        next_try_at: when reconnecting, the next attempt (UTC).
        attempt: failed attempts in a row.
    """

    source: str
    state: SourceState
    message: str = ""
    next_try_at: dt.datetime | None = None
    attempt: int = 0

    def describe(self) -> str:
        text = f"{self.source}: {self.state.value}"
        if self.message:
            text += f" ({self.message})"
        if self.next_try_at is not None:
            text += f", next try at {self.next_try_at:%H:%M:%S} UTC"
        return text


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes:
        image: BGR pixels; the consumer owns it (the source never writes to it again).
        index: frames read by this source before this one.
        captured_at: when it was captured (UTC); for a file, the moment playback
            started plus the frame's position, so a file read fast and one played in
            real time give the same times.
        position_s: seconds into a video file, else None.
        decode_ms: time spent reading and decoding it.
    """

    image: Image
    index: int
    captured_at: dt.datetime
    position_s: float | None
    decode_ms: float


@dataclass(frozen=True)
class SourceCounters:
    """Frames read and skipped (and why) since the source started."""

    frames_read: int = 0
    skipped_busy: int = 0  # replaced in the slot before recognition took them
    skipped_unreadable: int = 0  # images of a folder that could not be decoded

    @property
    def frames_skipped(self) -> int:
        return self.skipped_busy + self.skipped_unreadable

    def skipped(self) -> dict[str, int]:
        return {"recognition busy": self.skipped_busy, "unreadable": self.skipped_unreadable}


@dataclass(frozen=True)
class Backoff:
    """Delays between attempts: ``initial_s * factor**n``, capped at ``max_s``.

    ``max_attempts`` failed attempts in a row make the source fail for good; None (the
    default) keeps trying, which is what a network camera that reboots needs.
    """

    initial_s: float = 0.5
    factor: float = 2.0
    max_s: float = 30.0
    max_attempts: int | None = None

    def delay(self, failures: int) -> float:
        """The wait after the ``failures``-th failure in a row (1-based)."""
        return float(min(self.max_s, self.initial_s * self.factor ** max(0, failures - 1)))


class FrameSlot:
    """A hand-over of depth one between a source thread and its consumer (thread-safe)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._closed = False

    def put(self, frame: Frame, *, wait: bool) -> bool:
        """Offer ``frame``; True if it replaced a frame nobody took.

        With ``wait``, block until the slot is empty (or closed) instead of replacing.
        """
        with self._cond:
            if wait:
                self._cond.wait_for(lambda: self._frame is None or self._closed)
            replaced = self._frame is not None
            self._frame = frame
            self._cond.notify_all()
            return replaced

    def take(self, timeout: float | None = None) -> Frame | None:
        """The newest frame, waiting up to ``timeout`` seconds; None if none came."""
        with self._cond:
            self._cond.wait_for(lambda: self._frame is not None or self._closed, timeout)
            frame, self._frame = self._frame, None
            self._cond.notify_all()
            return frame

    @property
    def empty(self) -> bool:
        with self._cond:
            return self._frame is None

    def close(self) -> None:
        """Wake every waiter; frames still in the slot can be taken."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


StateCallback = Callable[[SourceStatus], None]


class _Outcome(enum.Enum):
    DONE = "done"
    AGAIN = "again"
    OPEN_FAILED = "open failed"
    DROPPED = "dropped"


class FrameSource:
    """Reads one source on its own thread; see the module docstring.

    Args:
        spec: what to open (see :func:`open_source` for text).
        name: shown in states and logs (the camera's name); the masked source by default.
        realtime: play a video file at its own frame rate (lossy slot); False reads it
            as fast as the consumer takes frames (lossless).
        loop: start a video file again when it ends, instead of stopping (a folder is
            watched until stopped either way).
        backoff: reconnection delays.
        on_state: called on the source thread with every state change (more with
            :meth:`subscribe`); exceptions it raises are logged and ignored.
        open_timeout_s: how long opening a network stream may take.
        read_timeout_s: how long a network stream may send nothing before it counts
            as dropped.
        poll_s: how often a folder is listed for new images.
    """

    def __init__(
        self,
        spec: SourceSpec,
        *,
        name: str = "",
        realtime: bool = True,
        loop: bool = False,
        backoff: Backoff | None = None,
        on_state: StateCallback | None = None,
        open_timeout_s: float = 5.0,
        read_timeout_s: float = 5.0,
        poll_s: float = 0.25,
    ) -> None:
        self.spec = spec
        self.name = name or display_source(spec.value)
        self.realtime = realtime
        self.loop = loop
        self.backoff = backoff or Backoff()
        self.lossless = spec.kind is SourceKind.FOLDER or (
            spec.kind is SourceKind.FILE and not realtime
        )
        self._timeouts = (open_timeout_s, read_timeout_s, poll_s)
        self._callbacks: list[StateCallback] = [on_state] if on_state else []
        self._lock = threading.Lock()
        self._status = SourceStatus(self.name, SourceState.CONNECTING)
        self._counters = SourceCounters()
        self._slot = FrameSlot()
        self._folder: FolderReader | None = None
        self._origin: dt.datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"source:{self.name}")

    # ------------------------------------------------------------------ consumer side
    def subscribe(self, callback: StateCallback) -> None:
        """Also call ``callback`` with every state change (before :meth:`start`)."""
        self._callbacks.append(callback)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end (returns at once; :meth:`join` waits)."""
        self._stop.set()
        self._slot.close()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True once it has ended."""
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def take(self, timeout: float | None = None) -> Frame | None:
        """The newest frame (each frame is given once), or None after ``timeout``."""
        return self._slot.take(timeout)

    @property
    def status(self) -> SourceStatus:
        with self._lock:
            return self._status

    @property
    def counters(self) -> SourceCounters:
        with self._lock:
            return self._counters

    @property
    def playback_origin(self) -> dt.datetime | None:
        """When the current playback of a video file began (UTC), else None.

        A file's frame times are this plus the frame's position.
        """
        with self._lock:
            return self._origin

    @property
    def exhausted(self) -> bool:
        """True once the source has ended (stopped or failed) and its last frame is taken."""
        return self.status.state.terminal and not self._thread.is_alive() and self._slot.empty

    # ------------------------------------------------------------------ source thread
    def _set_status(self, state: SourceState, message: str = "", **extra: object) -> None:
        status = replace(SourceStatus(self.name, state, message), **extra)  # type: ignore[arg-type]
        with self._lock:
            if status == self._status:
                return
            self._status = status
        quiet = state in (SourceState.LIVE, SourceState.CONNECTING, SourceState.STOPPED)
        log.log(logging.INFO if quiet else logging.WARNING, "source %s", status.describe())
        for callback in list(self._callbacks):
            try:
                callback(status)
            except Exception:
                log.exception("state callback of source %s failed", self.name)

    def _count(self, **increments: int) -> None:
        with self._lock:
            c = self._counters
            self._counters = replace(c, **{k: getattr(c, k) + v for k, v in increments.items()})

    def _make_reader(self) -> FrameReader:
        open_s, read_s, poll_s = self._timeouts
        if self.spec.kind is SourceKind.FOLDER:
            # one reader for the source's life: it remembers the images already read
            if self._folder is None:
                self._folder = FolderReader(self.spec.value, self._stop, poll_s)
            return self._folder
        return CaptureReader(self.spec, open_s, read_s)

    def _run(self) -> None:
        failures = 0
        try:
            while not self._stop.is_set():
                outcome, reason = self._attempt()
                if outcome is _Outcome.DONE:  # stopped, failed, or a file's end
                    return
                if outcome is _Outcome.AGAIN:  # a looping file starts over
                    failures = 0
                    continue
                # failures in a row count up while opening fails; a drop after a live
                # spell starts the backoff again from its first delay
                failures = failures + 1 if outcome is _Outcome.OPEN_FAILED else 1
                if not self._wait_to_retry(reason, failures):
                    return
        finally:
            self._slot.close()
            if self._stop.is_set() and not self.status.state.terminal:
                self._set_status(SourceState.STOPPED, "stopped")

    def _attempt(self) -> tuple[_Outcome, str]:
        """Open and read until the reader ends or drops; the outcome and why."""
        reader = self._make_reader()
        try:
            reader.open()
        except SourceError as exc:
            return self._failure(exc, _Outcome.OPEN_FAILED)
        except Exception as exc:  # OpenCV raises cv2.error on odd inputs
            log.exception("opening source %s failed unexpectedly", self.name)
            return _Outcome.OPEN_FAILED, f"cannot be opened ({type(exc).__name__})"
        try:
            self._set_status(SourceState.LIVE)
            return self._pump(reader), ""
        except SourceError as exc:
            return self._failure(exc, _Outcome.DROPPED)
        except Exception as exc:
            log.exception("reading source %s failed unexpectedly", self.name)
            return _Outcome.DROPPED, f"reading failed ({type(exc).__name__})"
        finally:
            reader.close()

    def _failure(self, exc: SourceError, outcome: _Outcome) -> tuple[_Outcome, str]:
        if exc.permanent:
            self._set_status(SourceState.FAILED, str(exc))
            return _Outcome.DONE, str(exc)
        return outcome, str(exc)

    def _pump(self, reader: FrameReader) -> _Outcome:
        """Read frames into the slot until the reader ends, drops (raises) or stop()."""
        origin_wall = dt.datetime.now(dt.UTC)
        origin_mono = time.monotonic()
        if self.spec.kind is SourceKind.FILE:
            with self._lock:
                self._origin = origin_wall
        pace = self.realtime and self.spec.kind is SourceKind.FILE
        while not self._stop.is_set():
            started = time.perf_counter()
            item = reader.read()
            decode_ms = (time.perf_counter() - started) * 1000.0
            if item is None:
                if self._stop.is_set():
                    return _Outcome.DONE
                if self.loop and self.spec.kind is SourceKind.FILE:
                    return _Outcome.AGAIN
                self._set_status(SourceState.STOPPED, reader.end_message())
                return _Outcome.DONE
            image, position_s, unreadable = item
            if unreadable:
                self._count(skipped_unreadable=unreadable)
            if image is None:
                continue
            if position_s is not None:
                if pace and self._stop.wait(max(0.0, origin_mono + position_s - time.monotonic())):
                    return _Outcome.DONE
                captured = origin_wall + dt.timedelta(seconds=position_s)
            else:
                captured = dt.datetime.now(dt.UTC)
            frame = Frame(image, self.counters.frames_read, captured, position_s, decode_ms)
            self._count(frames_read=1)
            if self._slot.put(frame, wait=self.lossless):
                self._count(skipped_busy=1)
        return _Outcome.DONE

    def _wait_to_retry(self, reason: str, failures: int) -> bool:
        limit = self.backoff.max_attempts
        if limit is not None and failures >= limit:
            self._set_status(SourceState.FAILED, f"{reason}; gave up after {failures} attempts")
            return False
        delay = self.backoff.delay(failures)
        next_try = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
        self._set_status(SourceState.RECONNECTING, reason, next_try_at=next_try, attempt=failures)
        return not self._stop.wait(delay)


def open_source(source: str | SourceSpec, *, name: str = "", **options: object) -> FrameSource:
    """A (not yet started) :class:`FrameSource` for a camera's source text or spec.

    Args:
        source: ``0``, ``rtsp://…``, ``http(s)://…``, a video file or a folder. A path
            that does not exist is classified by its suffix and fails when opened, so the
            failure shows as the source's state rather than an exception here.
        name: see :class:`FrameSource`.
        options: the other keyword arguments of :class:`FrameSource`.

    Raises:
        ValueError: the text is not a source at all (an unsupported URL scheme, ...).
    """
    spec = source if isinstance(source, SourceSpec) else classify_source(source, check_paths=False)
    return FrameSource(spec, name=name, **options)  # type: ignore[arg-type]
