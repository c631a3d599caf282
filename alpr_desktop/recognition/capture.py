"""Opening and reading one kind of source, for :mod:`alpr_desktop.recognition.sources`.

A :class:`FrameReader` opens (raising :class:`SourceError` with a message for the user,
marked permanent when trying again cannot help), reads frames, and closes. These run on
the source's own thread only; nothing here is shared between threads.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from pathlib import Path
from typing import Protocol, cast
from urllib.parse import urlsplit

import cv2
import numpy as np

from alpr_desktop.core.sources import SourceKind, SourceSpec, display_source
from alpr_desktop.recognition.types import Image

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
#: A folder image changed this recently may still be being written; it waits a poll.
SETTLE_S = 0.3
#: Tries (one per poll) before a folder image that does not decode is skipped.
DECODE_TRIES = 3
DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}

#: What ``read`` gives: the image (None when only skips happened), its position in a
#: video file (seconds) and how many unreadable images were skipped on the way.
ReadItem = tuple[Image | None, float | None, int]


class SourceError(Exception):
    """A source could not be opened or dropped; ``permanent``: trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class FrameReader(Protocol):
    def open(self) -> None: ...

    def read(self) -> ReadItem | None:
        """The next frame, or None at the end (a file's end, or stop asked)."""
        ...

    def end_message(self) -> str: ...

    def close(self) -> None: ...


def probe_host(url: str, timeout_s: float) -> None:
    """Raise :class:`SourceError` saying why ``url``'s host cannot be reached over TCP."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 80)
    where = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except socket.gaierror:
        raise SourceError(f"camera host {host} not found (name does not resolve)") from None
    except TimeoutError:
        raise SourceError(f"camera at {where} unreachable (no answer in {timeout_s:g} s)") from None
    except ConnectionRefusedError:
        raise SourceError(f"camera at {where} unreachable (connection refused)") from None
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise SourceError(f"camera at {where} unreachable ({reason.lower()})") from None


class CaptureReader:
    """A device, RTSP/HTTP stream or video file through ``cv2.VideoCapture``."""

    def __init__(self, spec: SourceSpec, open_timeout_s: float, read_timeout_s: float) -> None:
        self.spec = spec
        self._open_s = open_timeout_s
        self._read_s = read_timeout_s
        self._cap: cv2.VideoCapture | None = None
        self._first: Image | None = None
        self._fps = 0.0
        self._announced = 0
        self._read = 0

    def open(self) -> None:
        kind = self.spec.kind
        if kind is SourceKind.FILE:
            self._open_file(Path(self.spec.value))
        elif kind is SourceKind.DEVICE:
            self._open_device(self.spec.device_index)
        else:
            self._open_stream(self.spec.value)

    def _open_file(self, path: Path) -> None:
        if not path.is_file():
            raise SourceError(f"video file {path} not found", permanent=True)
        if not os.access(path, os.R_OK):
            raise SourceError(
                f"video file {path} cannot be read (permission denied)", permanent=True
            )
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise SourceError(
                f"video file {path} cannot be opened (corrupt or not a video format)",
                permanent=True,
            )
        ok, first = cap.read()
        if not ok or first is None:
            cap.release()
            raise SourceError(
                f"video file {path} has no frame that decodes (corrupt)", permanent=True
            )
        self._cap, self._first = cap, cast(Image, first)
        self._fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._announced = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)

    def _open_device(self, index: int) -> None:
        if Path("/dev").is_dir() and not Path(f"/dev/video{index}").exists():
            raise SourceError(
                f"camera {index} does not exist (no /dev/video{index})", permanent=True
            )
        cap = cv2.VideoCapture(index)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"camera {index} cannot be opened (in use, or unplugged?)")
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a stale queue
        self._cap = cap

    def _open_stream(self, url: str) -> None:
        probe_host(url, min(self._open_s, 3.0))
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            int(self._open_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            int(self._read_s * 1000),
        ]
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            raise SourceError(
                f"{display_source(url)} answers but sends no video stream OpenCV can read"
            )
        self._cap = cap

    def read(self) -> ReadItem | None:
        assert self._cap is not None
        if self._first is not None:
            image, self._first = self._first, None
        else:
            ok, frame = self._cap.read()
            if not ok or frame is None:
                if self.spec.kind is SourceKind.FILE:
                    return None
                raise SourceError(f"stream lost after {self._read} frames")
            image = cast(Image, frame)
        position = self._read / self._fps if self._fps > 0 else None
        self._read += 1
        return image, position, 0

    def end_message(self) -> str:
        text = f"end of file after {self._read} frames"
        if self._announced and self._read < 0.95 * self._announced:
            text += f" of {self._announced} announced (damaged file?)"
        return text

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class FolderReader:
    """New images of a watched folder, in name order; it never ends by itself.

    The same reader is kept across reconnections, so images already read are not read
    again after the folder comes back. Images are taken once they have not changed for
    :data:`SETTLE_S` (a writer should still write elsewhere and rename).
    """

    def __init__(self, folder: str, stop: threading.Event, poll_s: float) -> None:
        self.folder = Path(folder)
        self._stop = stop
        self._poll_s = poll_s
        self._seen: set[str] = set()
        self._failures: dict[str, int] = {}

    def open(self) -> None:
        self._list()  # raises with the reason

    def _list(self) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(self.folder) as entries:
                return [e for e in entries if Path(e.name).suffix.lower() in IMAGE_SUFFIXES]
        except FileNotFoundError:
            raise SourceError(f"folder {self.folder} not found", permanent=True) from None
        except NotADirectoryError:
            raise SourceError(f"{self.folder} is not a folder", permanent=True) from None
        except PermissionError:
            raise SourceError(
                f"folder {self.folder} cannot be read (permission denied)", permanent=True
            ) from None
        except OSError as exc:
            raise SourceError(
                f"folder {self.folder} cannot be read ({os.strerror(exc.errno or errno.EIO)})"
            ) from None

    def read(self) -> ReadItem | None:
        skipped = 0
        while not self._stop.is_set():
            now = time.time()
            for entry in sorted(self._list(), key=lambda e: e.name):
                if entry.name in self._seen:
                    continue
                try:
                    if now - entry.stat().st_mtime < SETTLE_S:
                        continue
                except OSError:
                    continue  # removed meanwhile
                image = _imread(Path(entry.path))
                if image is not None:
                    self._seen.add(entry.name)
                    return image, None, skipped
                self._failures[entry.name] = self._failures.get(entry.name, 0) + 1
                if self._failures[entry.name] >= DECODE_TRIES:
                    self._seen.add(entry.name)
                    skipped += 1
            if skipped:
                return None, None, skipped
            self._stop.wait(self._poll_s)
        return None

    def end_message(self) -> str:
        return "stopped"

    def close(self) -> None:
        pass


def _imread(path: Path) -> Image | None:
    """Decode an image file (a non-ASCII path included); None if it does not decode."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return cast(Image, image) if image is not None and image.ndim == 3 else None
