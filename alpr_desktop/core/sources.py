"""What a camera's source text means: a device index, an RTSP or HTTP URL, a file, a folder.

One place decides, so the camera registry's validation and the recognition sources can
never disagree about what a source is. Pure Python: the only I/O is asking the file
system whether a path exists and what it is.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

#: Longest source text the camera registry stores (``cameras.source``).
MAX_SOURCE_LENGTH = 1000
#: Video containers a file source may be (OpenCV/FFmpeg reads them all).
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mkv", ".avi", ".mov", ".webm", ".mjpeg", ".mjpg"})


class SourceKind(enum.StrEnum):
    """The same values as ``storage.models.CameraKind``."""

    DEVICE = "device"
    RTSP = "rtsp"
    HTTP = "http"
    FILE = "file"
    FOLDER = "folder"


@dataclass(frozen=True)
class SourceSpec:
    kind: SourceKind
    #: The device index as text, the URL, or the absolute path.
    value: str

    @property
    def device_index(self) -> int:
        return int(self.value)


def classify_source(text: str, *, check_paths: bool = True) -> SourceSpec:
    """Parse a source as typed by an administrator, or raise ``ValueError`` saying why.

    Args:
        text: ``0`` (a device index), ``rtsp://…``, ``http(s)://…``, a video file or a
            folder of images.
        check_paths: require a file or folder to exist now (the registry does; a
            headless node re-checks when it opens the source).
    """
    value = text.strip()
    if not value:
        raise ValueError(
            "Enter a source: a camera number, an rtsp:// or http(s):// URL, "
            "a video file or a folder."
        )
    if len(value) > MAX_SOURCE_LENGTH:
        raise ValueError(f"A source is at most {MAX_SOURCE_LENGTH} characters.")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("A source must not contain control characters.")
    if value.isdigit():
        if int(value) > 63:
            raise ValueError(f"Camera number {value} is out of range (0–63).")
        return SourceSpec(SourceKind.DEVICE, str(int(value)))
    if "://" in value:
        return _url(value)
    return _path(value, check_paths)


def _url(value: str) -> SourceSpec:
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    kinds = {
        "rtsp": SourceKind.RTSP,
        "rtsps": SourceKind.RTSP,
        "http": SourceKind.HTTP,
        "https": SourceKind.HTTP,
    }
    if scheme not in kinds:
        raise ValueError(
            f"Unsupported camera URL scheme {parts.scheme!r}: use rtsp://, http:// or https://."
        )
    if not parts.hostname:
        raise ValueError(f"The camera URL {display_source(value)!r} names no host.")
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number in range)
    except ValueError:
        raise ValueError(f"The camera URL {display_source(value)!r} has an invalid port.") from None
    return SourceSpec(kinds[scheme], value)


def _path(value: str, check_paths: bool) -> SourceSpec:
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = path.resolve()
    if path.is_dir():
        if check_paths and not os.access(path, os.R_OK | os.X_OK):
            raise ValueError(f"The folder {path} cannot be read (permission denied).")
        return SourceSpec(SourceKind.FOLDER, str(path))
    if path.is_file():
        if check_paths and not os.access(path, os.R_OK):
            raise ValueError(f"The video file {path} cannot be read (permission denied).")
        return SourceSpec(SourceKind.FILE, str(path))
    if check_paths:
        raise ValueError(
            f"{value!r} is not a camera number, an rtsp:// or http(s):// URL, or an existing "
            "video file or folder."
        )
    kind = SourceKind.FILE if path.suffix.lower() in VIDEO_SUFFIXES else SourceKind.FOLDER
    return SourceSpec(kind, str(path))


def display_source(value: str) -> str:
    """The source text as lists, logs and messages show it.

    A URL's password (or a user name given alone, which may be a token) and its query
    (which may hold one) are hidden; everything else is shown as typed.
    """
    if "://" not in value:
        return value
    parts = urlsplit(value)
    # Split the authority by hand: it may be invalid (a bad port), and still must not leak.
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = hostport
    if at:
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:***@{hostport}" if colon else f"***@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))
