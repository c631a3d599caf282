"""What live recognition hands to the ingest service: one read per vehicle pass.

Pure data (no database, no Qt): the tracker (``recognition.tracker``) builds these from a
track of per-frame readings; ``services.ingest`` stores them — the only way reads enter
the database — or spools them to disk while the database is away. ``read_uuid`` is
given here, once, so a spooled read replayed after a crash is stored exactly once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from alpr_desktop.recognition.types import Candidate, PlateBox


def new_read_uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class EncodedImage:
    """An encoded image (JPEG or PNG bytes) with its size, as the database stores it."""

    data: bytes
    media_type: str  # "image/jpeg" or "image/png"
    width: int
    height: int


@dataclass(frozen=True)
class VehicleRead:
    """One vehicle pass seen by one camera, after voting over the frames of its track.

    Attributes:
        camera_name: the registered camera's name (the ingest service resolves its id),
            or "" for an ad-hoc source of the headless node.
        read_at: when the plate was best seen (UTC, timezone-aware).
        plate_text: the voted reading, upper case A-Z 0-9.
        confidence: 0-1, of the voted reading.
        alternatives: the next-best readings, best first (not including ``plate_text``).
        box: where the plate was in the camera frame (full-frame pixels).
        frames_voted: how many frames' readings went into the vote.
        crop: the best crop of the plate.
        context: the whole frame, downscaled, with the plate in it.
        latitude, longitude: where, when known (fixed camera or GPS track), else None.
        read_uuid: stable id, so a replayed spool never stores a read twice.
        frame_size: the camera frame's (width, height) that ``box`` is in; the context
            image is that frame downscaled, so the box can be drawn on it. None: unknown.
    """

    camera_name: str
    read_at: dt.datetime
    plate_text: str
    confidence: float
    alternatives: tuple[Candidate, ...]
    box: PlateBox
    frames_voted: int
    crop: EncodedImage
    context: EncodedImage | None = None
    latitude: float | None = None
    longitude: float | None = None
    read_uuid: str = field(default_factory=new_read_uuid)
    frame_size: tuple[int, int] | None = None
