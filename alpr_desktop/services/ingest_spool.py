"""The durable local spool: reads kept on this workstation while the database is away.

One SQLite file per database (``<data dir>/spool/ingest-<key>.sqlite3``, the key a hash
of the database URL without its password, so reads spooled for one database are never
replayed into another), opened with the standard library's ``sqlite3``:

- ``journal_mode=WAL`` and ``synchronous=FULL``: every commit is fsync'd to the WAL
  before it returns, so a spooled batch survives a SIGKILL of the process *and* a power
  loss; a torn write is rolled back by SQLite, never half-read.
- one row per read, its images as BLOBs beside a JSON of everything else, in a table
  whose ``seq`` (``AUTOINCREMENT``) gives the replay order; ``read_uuid`` is unique, so
  the same read is never spooled twice.
- a batch of reads is one transaction (one fsync per batch, not per read); a replayed
  batch is deleted only after the database has committed it, so a crash in between
  replays it again and ``read_uuid`` makes that harmless.

Why not an fsync'd append-only file: replay needs to remove what was stored, out of a
file that is still being appended to; that means segment files, checksummed records to
find a torn tail, and compaction — what SQLite already does, tested far more widely.

The ``records`` table holds access records that could not be written while the
database was away (an ingest session's closing summary); ``rejected`` holds reads the
database refused for their content, kept for an administrator rather than lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from alpr_desktop.recognition.reads import EncodedImage, VehicleRead
from alpr_desktop.recognition.types import Candidate, PlateBox
from alpr_desktop.storage.engine import PRIVATE_FILE_MODE, make_private_dir, mask_url

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    read_uuid TEXT NOT NULL UNIQUE,
    spooled_at TEXT NOT NULL,
    fields TEXT NOT NULL,
    crop BLOB NOT NULL,
    context BLOB
);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    fields TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    read_uuid TEXT NOT NULL,
    rejected_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    fields TEXT NOT NULL,
    crop BLOB NOT NULL,
    context BLOB
);
"""


def spool_path(directory: Path, url: URL) -> Path:
    """The spool file for the database at ``url`` (the password plays no part)."""
    # URL.set(password=None) keeps the password, so build the identity from its parts.
    identity = URL.create(
        url.get_backend_name(),
        username=url.username,
        host=(url.host or "").lower() or None,
        port=url.port,
        database=url.database,
    ).render_as_string(hide_password=False)
    key = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
    return directory / "spool" / f"ingest-{key}.sqlite3"


def encode_read(read: VehicleRead, collected_by: str) -> tuple[str, bytes, bytes | None]:
    """A read as a spool row: (JSON of its fields, crop bytes, context bytes or None)."""
    box = read.box
    fields = {
        "read_uuid": read.read_uuid,
        "camera_name": read.camera_name,
        "read_at": read.read_at.astimezone(dt.UTC).isoformat(),
        "plate_text": read.plate_text,
        "confidence": read.confidence,
        "alternatives": [[c.text, c.confidence] for c in read.alternatives],
        "box": [box.x, box.y, box.w, box.h, box.confidence],
        "frames_voted": read.frames_voted,
        "latitude": read.latitude,
        "longitude": read.longitude,
        "crop": _image_fields(read.crop),
        "context": _image_fields(read.context) if read.context is not None else None,
        "collected_by": collected_by,
        "frame_size": list(read.frame_size) if read.frame_size is not None else None,
    }
    context = read.context.data if read.context is not None else None
    return json.dumps(fields, separators=(",", ":")), read.crop.data, context


def _frame_size(value: object) -> tuple[int, int] | None:
    # Rows spooled before frames had a recorded size hold none.
    if isinstance(value, list) and len(value) == 2:
        return int(value[0]), int(value[1])
    return None


def decode_read(fields_json: str, crop: bytes, context: bytes | None) -> VehicleRead:
    """The :class:`VehicleRead` a spool row holds (inverse of :func:`encode_read`)."""
    f = json.loads(fields_json)
    x, y, w, h, box_confidence = f["box"]
    return VehicleRead(
        camera_name=f["camera_name"],
        read_at=dt.datetime.fromisoformat(f["read_at"]),
        plate_text=f["plate_text"],
        confidence=f["confidence"],
        alternatives=tuple(Candidate(t, c) for t, c in f["alternatives"]),
        box=PlateBox(x, y, w, h, box_confidence),
        frames_voted=f["frames_voted"],
        crop=_image(f["crop"], crop),
        context=_image(f["context"], context) if f["context"] is not None else None,
        latitude=f["latitude"],
        longitude=f["longitude"],
        read_uuid=f["read_uuid"],
        frame_size=_frame_size(f.get("frame_size")),
    )


def _image_fields(image: EncodedImage) -> list[Any]:
    return [image.media_type, image.width, image.height]


def _image(fields: list[Any], data: bytes | None) -> EncodedImage:
    media_type, width, height = fields
    return EncodedImage(data or b"", media_type, width, height)


class Spool:
    """One spool file; thread-safe (one connection behind a lock).

    Shared by every sink of one process that writes to the same database; other
    processes on the workstation may open the same file (SQLite locks it), and a read
    replayed by two of them at once is still stored once (``read_uuid``).
    """

    def __init__(self, path: Path, url: URL) -> None:
        self.path = path
        make_private_dir(path.parent)
        if not path.exists():
            # Created private, like the embedded database: the spool holds plates and images.
            path.touch(mode=PRIVATE_FILE_MODE)
        self._lock = threading.Lock()
        #: Held by the sink replaying this spool, so two sinks do not replay the same rows.
        self.replay_lock = threading.Lock()
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=30
        )
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('database', ?)",
                (mask_url(url),),
            )
            self._depth = self._count()
        except BaseException:
            self._conn.close()
            raise

    @property
    def depth(self) -> int:
        """Reads waiting in this file (as of this process's last look at it)."""
        return self._depth

    def refresh(self) -> int:
        """Count again (another process may have spooled or replayed meanwhile)."""
        with self._lock:
            self._depth = self._count()
            return self._depth

    def _count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM reads").fetchone()[0])

    def append(self, reads: Sequence[VehicleRead], collected_by: str) -> int:
        """Spool ``reads`` durably, in order, in one transaction; returns how many were new."""
        now = dt.datetime.now(dt.UTC).isoformat()
        rows = [(r.read_uuid, now, *encode_read(r, collected_by)) for r in reads]
        with self._lock:
            before = self._conn.total_changes
            self._transaction(
                "INSERT OR IGNORE INTO reads (read_uuid, spooled_at, fields, crop, context) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            added = self._conn.total_changes - before
            self._depth += added
            return added

    def oldest(self, limit: int) -> list[tuple[int, VehicleRead]]:
        """The ``limit`` oldest spooled reads with their ``seq``, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, fields, crop, context FROM reads ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [(seq, decode_read(fields, crop, context)) for seq, fields, crop, context in rows]

    def remove(self, seqs: Sequence[int]) -> None:
        """Forget replayed reads (after the database committed them)."""
        with self._lock:
            before = self._conn.total_changes
            self._transaction("DELETE FROM reads WHERE seq = ?", [(s,) for s in seqs])
            self._depth = max(0, self._depth - (self._conn.total_changes - before))
            if self._depth == 0 and self._count() == 0:
                # Give the space back once empty; VACUUM of an empty file is quick.
                self._conn.execute("VACUUM")

    def reject(self, seq: int | None, read: VehicleRead, reason: str, collected_by: str) -> None:
        """Move a read the database refused for its content to ``rejected``."""
        now = dt.datetime.now(dt.UTC).isoformat()
        fields, crop, context = encode_read(read, collected_by)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT INTO rejected (read_uuid, rejected_at, reason, fields, crop, context)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (read.read_uuid, now, reason, fields, crop, context),
                )
                if seq is not None:
                    cursor = self._conn.execute("DELETE FROM reads WHERE seq = ?", (seq,))
                    self._depth = max(0, self._depth - cursor.rowcount)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def rejected_count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM rejected").fetchone()[0])

    def add_record(self, fields: dict[str, Any]) -> None:
        """Keep an access record that could not be written until the database is back."""
        with self._lock:
            self._transaction(
                "INSERT INTO records (fields) VALUES (?)", [(json.dumps(fields, default=str),)]
            )

    def records(self) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            rows = self._conn.execute("SELECT seq, fields FROM records ORDER BY seq").fetchall()
        return [(seq, json.loads(text)) for seq, text in rows]

    def remove_records(self, seqs: Sequence[int]) -> None:
        if seqs:
            with self._lock:
                self._transaction("DELETE FROM records WHERE seq = ?", [(s,) for s in seqs])

    def _transaction(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany(sql, rows)
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()
