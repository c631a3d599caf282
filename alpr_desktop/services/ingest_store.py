"""Storing a batch of reads with their images and alternatives: bulk Core statements.

One call is one transaction's worth of work on a :class:`~sqlalchemy.engine.Connection`
that the caller has begun. Images are content-addressed (``images.sha256`` is unique):
the batch's distinct images are looked up in one query, the missing ones inserted with
``ON CONFLICT (sha256) DO NOTHING`` (another workstation may insert the same bytes at
the same moment) and their ids looked up again. Reads already stored (a spool replayed
twice, a commit whose acknowledgement was lost) are found by ``read_uuid`` first and
skipped; the others are inserted with ``ON CONFLICT (read_uuid) DO NOTHING`` and get
their alternatives. Every insert is one executemany over the batch, without RETURNING:
psycopg then runs one prepared statement in pipeline mode and sqlite3 its native
executemany, where a multi-row ``VALUES … RETURNING`` would be built and parsed afresh
for each batch (1.8 times slower on PostgreSQL, ``benchmarks/bench_ingest.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from alpr_desktop.core.plates import fold_confusables, normalize_plate
from alpr_desktop.recognition.reads import EncodedImage, VehicleRead
from alpr_desktop.storage.models import Camera, PlateRead, ReadAlternative, StoredImage

_IMAGES = cast(Table, StoredImage.__table__)
_READS = cast(Table, PlateRead.__table__)
_ALTERNATIVES = cast(Table, ReadAlternative.__table__)
_PLATE_LENGTH = 16  # plate_reads.plate_text / read_alternatives.plate_text
_INT_LIMIT = 2**31  # INTEGER columns on PostgreSQL
MEDIA_TYPES = frozenset({"image/jpeg", "image/png"})


@dataclass(frozen=True)
class StoredBatch:
    """What one batch stored."""

    inserted: int
    #: Reads whose ``read_uuid`` was already stored (not stored again).
    already_stored: int
    images_inserted: int
    #: The reads this batch inserted, with their new ids (what alerts are raised for).
    new_reads: tuple[tuple[int, VehicleRead], ...] = ()
    #: The ids of the alerts raised for them (set by ``IngestService.store``).
    alerts: tuple[int, ...] = ()


def check_read(read: VehicleRead) -> None:
    """Raise ``ValueError`` when ``read`` cannot be stored as it is (the caller's bug).

    Checked when a read is submitted, so a read the database would refuse for its
    content never reaches the spool and never blocks a replay.
    """
    if not isinstance(read, VehicleRead):
        raise ValueError("submit() takes a VehicleRead")
    if read.read_at.tzinfo is None:
        raise ValueError("read_at must be timezone-aware")
    _check_text(read.plate_text, "plate_text")
    _check_confidence(read.confidence, "confidence")
    for candidate in read.alternatives:
        _check_text(candidate.text, "an alternative's text")
        _check_confidence(candidate.confidence, "an alternative's confidence")
    for image in (read.crop, read.context):
        if image is not None and (image.media_type not in MEDIA_TYPES or not image.data):
            raise ValueError("an image must be non-empty image/jpeg or image/png bytes")
    for value, low, high in ((read.latitude, -90, 90), (read.longitude, -180, 180)):
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            raise ValueError("latitude/longitude out of range")
    if (read.latitude is None) != (read.longitude is None):
        raise ValueError("a position needs both latitude and longitude")
    box = read.box
    if not all(0 <= v < _INT_LIMIT for v in (box.x, box.y, box.w, box.h)):
        raise ValueError("the plate box must lie in the frame (non-negative pixels)")
    if read.frame_size is not None and not all(0 < v < _INT_LIMIT for v in read.frame_size):
        raise ValueError("frame_size must be a positive (width, height)")
    if not 1 <= read.frames_voted < _INT_LIMIT or not 0 < len(read.read_uuid) <= 36:
        raise ValueError("frames_voted must be >= 1 and read_uuid 1-36 characters")


def _check_text(text: str, what: str) -> None:
    if not normalize_plate(text) or len(text) > _PLATE_LENGTH:
        raise ValueError(f"{what} must hold 1-{_PLATE_LENGTH} plate characters")


def _check_confidence(value: float, what: str) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{what} must be between 0 and 1")


def _insert(conn: Connection, table: Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def store_batch(
    conn: Connection, reads: Sequence[VehicleRead], *, stored_at: dt.datetime
) -> StoredBatch:
    """Store ``reads`` (already checked) in the caller's transaction."""
    unique: dict[str, VehicleRead] = {}
    for read in reads:
        unique.setdefault(read.read_uuid, read)
    digests: dict[int, str] = {}
    image_ids, images_inserted = _store_images(conn, unique.values(), digests, stored_at)
    cameras = _cameras(conn)
    stored = _read_ids(conn, list(unique))
    new = [r for uuid, r in unique.items() if uuid not in stored]
    rows = [_read_row(r, cameras, image_ids, digests, stored_at) for r in new]
    if rows:
        # No RETURNING: psycopg then runs a prepared INSERT in pipeline mode, where a
        # multi-row VALUES statement would be parsed afresh for every batch (measured).
        stmt = _insert(conn, _READS).on_conflict_do_nothing(index_elements=["read_uuid"])
        conn.execute(stmt, rows)
    # A read inserted by another transaction since the look-up gets the same id here;
    # its alternatives then collide with that transaction's (unique read_id, rank), the
    # batch fails and the sink stores it read by read, where the look-up skips it.
    inserted = _read_ids(conn, [r.read_uuid for r in new]) if new else {}
    alternatives = [
        {
            "read_id": inserted[uuid],
            "rank": rank,
            "plate_text": candidate.text,
            "plate_normalized": normalize_plate(candidate.text),
            "confidence": candidate.confidence,
        }
        for uuid, read in unique.items()
        if uuid in inserted
        for rank, candidate in enumerate(read.alternatives, start=1)
    ]
    if alternatives:
        conn.execute(_ALTERNATIVES.insert(), alternatives)
    new_reads = tuple((inserted[r.read_uuid], r) for r in new if r.read_uuid in inserted)
    return StoredBatch(len(inserted), len(reads) - len(inserted), images_inserted, new_reads)


def _store_images(
    conn: Connection,
    reads: Any,
    digests: dict[int, str],
    stored_at: dt.datetime,
) -> tuple[dict[str, int], int]:
    """Ids of every image of ``reads`` by SHA-256, inserting the missing ones."""
    images: dict[str, EncodedImage] = {}
    for read in reads:
        for image in (read.crop, read.context):
            if image is not None:
                digest = hashlib.sha256(image.data).hexdigest()
                digests[id(image)] = digest
                images.setdefault(digest, image)
    if not images:
        return {}, 0
    ids = _image_ids(conn, list(images))
    before = len(ids)
    missing = [
        {
            "sha256": digest,
            "media_type": image.media_type,
            "width": image.width,
            "height": image.height,
            "data": image.data,
            "created_at": stored_at,
        }
        for digest, image in images.items()
        if digest not in ids
    ]
    if missing:
        # Another workstation may store the same bytes meanwhile: DO NOTHING, then look up.
        stmt = _insert(conn, _IMAGES).on_conflict_do_nothing(index_elements=["sha256"])
        conn.execute(stmt, missing)
        ids.update(_image_ids(conn, [str(row["sha256"]) for row in missing]))
    return ids, len(ids) - before


def _image_ids(conn: Connection, digests: list[str]) -> dict[str, int]:
    rows = conn.execute(select(_IMAGES.c.sha256, _IMAGES.c.id).where(_IMAGES.c.sha256.in_(digests)))
    return {row.sha256: row.id for row in rows}


def _read_ids(conn: Connection, uuids: list[str]) -> dict[str, int]:
    rows = conn.execute(
        select(_READS.c.read_uuid, _READS.c.id).where(_READS.c.read_uuid.in_(uuids))
    )
    return {row.read_uuid: row.id for row in rows}


@dataclass(frozen=True)
class _CameraRow:
    id: int
    mobile: bool
    latitude: float | None
    longitude: float | None


def _cameras(conn: Connection) -> dict[str, _CameraRow]:
    # Every camera, once per batch: a department has tens of them, and looking them up
    # inside the batch's own transaction means a camera deleted meanwhile is never used.
    rows = conn.execute(
        select(Camera.id, Camera.name, Camera.mobile, Camera.latitude, Camera.longitude)
    )
    return {
        row.name.casefold(): _CameraRow(row.id, row.mobile, row.latitude, row.longitude)
        for row in rows
    }


def _read_row(
    read: VehicleRead,
    cameras: dict[str, _CameraRow],
    image_ids: dict[str, int],
    digests: dict[int, str],
    stored_at: dt.datetime,
) -> dict[str, Any]:
    camera = cameras.get(read.camera_name.casefold()) if read.camera_name else None
    latitude, longitude = read.latitude, read.longitude
    if latitude is None and camera is not None and not camera.mobile:
        # A fixed camera's read is where the camera stands.
        latitude, longitude = camera.latitude, camera.longitude
    box = read.box
    return {
        "read_uuid": read.read_uuid,
        "camera_id": camera.id if camera is not None else None,
        "read_at": read.read_at,
        "plate_text": read.plate_text,
        "plate_normalized": normalize_plate(read.plate_text),
        "plate_folded": fold_confusables(read.plate_text),
        "region": "",
        "confidence": read.confidence,
        "latitude": latitude,
        "longitude": longitude,
        "bbox_x": box.x,
        "bbox_y": box.y,
        "bbox_w": box.w,
        "bbox_h": box.h,
        "frames_voted": read.frames_voted,
        "frame_width": read.frame_size[0] if read.frame_size is not None else None,
        "frame_height": read.frame_size[1] if read.frame_size is not None else None,
        "crop_image_id": image_ids[digests[id(read.crop)]],
        "context_image_id": (
            image_ids[digests[id(read.context)]] if read.context is not None else None
        ),
        "stored_at": stored_at,
    }
