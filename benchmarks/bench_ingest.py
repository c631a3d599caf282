"""Ingest rate: reads stored per second with their images, and the spool's write and replay rates.

Each read carries a real JPEG plate crop (~200x50, quality 90) and a real JPEG context
frame (960x540, quality 70), both distinct per read (a per-read JPEG comment segment
makes every image's SHA-256 unique, so nothing is deduplicated), plus two alternatives.
The images are encoded before timing starts. For SQLite (a temporary file with the
shipped pragmas) and, with ``--postgres-url``, a scratch PostgreSQL database created and
dropped again, it measures:

* ``sink``          — the whole path the GUI and headless node use: ``open_session``,
  ``submit`` every read from one thread, ``flush`` (target: >= 1,000 reads/s batched);
* ``batch_<n>``     — ``store_batch`` directly, one transaction per ``n`` reads (n=1 is
  what storing each read on its own would cost);
* ``spool_write``   — ``Spool.append`` in batches of the sink's batch size (one fsync'd
  SQLite transaction per batch, synchronous=FULL), what an outage costs per read;
* ``spool_replay``  — a sink replaying a full spool into the database (reads/s until
  ``drain`` returns).

Command::

    .venv/bin/python benchmarks/bench_ingest.py --reads 3000 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import struct
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from bench_audit_append import scratch_postgres

from alpr_desktop.app import open_application
from alpr_desktop.recognition.reads import EncodedImage, VehicleRead
from alpr_desktop.recognition.types import Candidate, PlateBox
from alpr_desktop.services.ingest import IngestOptions
from alpr_desktop.services.ingest_spool import Spool
from alpr_desktop.services.ingest_store import store_batch
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.engine import sqlite_url


def _scene(seed: int, width: int, height: int) -> np.ndarray:
    """A road-like frame: smooth gradients and shapes, a little sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = (x * 0.15 + y * 0.25 + seed * 7) % 255
    frame = np.dstack([base, (base * 0.8 + 30) % 255, (base * 0.6 + 60) % 255])
    bw, bh = width // 12, height // 10
    for _ in range(12):
        x0, y0 = int(rng.integers(0, width - bw)), int(rng.integers(0, height - bh))
        colour = [int(c) for c in rng.integers(0, 255, 3)]
        cv2.rectangle(frame, (x0, y0), (x0 + bw, y0 + bh), colour, -1)
    frame += rng.normal(0, 6, frame.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)


def _jpeg(pixels: np.ndarray, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def _unique(jpeg: bytes, tag: str) -> bytes:
    """The same JPEG with a comment segment after SOI: still valid, other bytes."""
    payload = tag.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def make_reads(count: int, run: str) -> list[VehicleRead]:
    contexts = [_jpeg(_scene(s, 960, 540), 70) for s in range(16)]
    crops = [_jpeg(_scene(100 + s, 200, 50), 90) for s in range(16)]
    t0 = dt.datetime.now(dt.UTC)
    reads = []
    for i in range(count):
        tag = f"{run}-{i}"
        reads.append(
            VehicleRead(
                camera_name="",
                read_at=t0 + dt.timedelta(milliseconds=i),
                plate_text=f"8ABC{i % 10000:04d}",
                confidence=0.9,
                alternatives=(Candidate("8A8C0000", 0.5), Candidate("BABC0000", 0.3)),
                box=PlateBox(400, 300, 200, 50, 0.9),
                frames_voted=6,
                crop=EncodedImage(_unique(crops[i % 16], tag), "image/jpeg", 200, 50),
                context=EncodedImage(_unique(contexts[i % 16], tag), "image/jpeg", 960, 540),
                read_uuid=str(uuid.uuid4()),
            )
        )
    return reads


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def run_backend(url: str, count: int, batch: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="alpr-bench-ingest-") as data:
        config = LocalConfig(database_url=url, data_dir=Path(data), workstation_name="bench")
        app = open_application(config, create=True)
        try:
            app.services.ingest.options = IngestOptions(batch_size=batch, queue_size=4 * batch)
            actor = app.services.auth.create_first_administrator(
                username="bench.admin", full_name="Bench Admin", password="Tally-Ho-Passphrase-2026"
            )
            reads = make_reads(count, "sink")
            mb = sum(len(r.crop.data) + len(r.context.data) for r in reads if r.context) / 2**20
            out: dict[str, Any] = {"image_mib_per_read": round(mb / count, 4)}
            start = time.perf_counter()
            sink = app.services.ingest.open_session(actor)
            for read in reads:
                sink.submit(read)
            sink.flush()
            seconds = time.perf_counter() - start
            sink.close()
            out["sink"] = {"reads_s": _rate(count, seconds), "mib_s": round(mb / seconds, 1)}
            out.update(_direct(app, count, batch))
            out.update(_spool(app, actor, count, batch))
            out["load1"] = round(os.getloadavg()[0], 2)
            return out
        finally:
            app.close()


def _direct(app: Any, count: int, batch: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in (1, 50, batch):
        n = min(count, 300) if size == 1 else count
        reads = make_reads(n, f"batch{size}")
        start = time.perf_counter()
        for i in range(0, n, size):
            with app.database.engine.begin() as conn:
                store_batch(conn, reads[i : i + size], stored_at=app.services.ctx.now())
        out[f"batch_{size}"] = {"reads_s": _rate(n, time.perf_counter() - start), "reads": n}
    return out


def _spool(app: Any, actor: Any, count: int, batch: int) -> dict[str, Any]:
    reads = make_reads(count, "spool")
    spool = Spool(app.services.ingest.spool_file, app.database.engine.url)
    start = time.perf_counter()
    for i in range(0, count, batch):
        spool.append(reads[i : i + batch], "bench.admin")
    write = time.perf_counter() - start
    spool_mib = spool.path.stat().st_size / 2**20
    spool.close()
    start = time.perf_counter()
    with app.services.ingest.open_session(actor) as sink:
        assert sink.drain(timeout=600), sink.status
    replay = time.perf_counter() - start
    assert sink.status.stored == count, sink.status
    return {
        "spool_write": {"reads_s": _rate(count, write), "file_mib": round(spool_mib, 1)},
        "spool_replay": {"reads_s": _rate(count, replay)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=IngestOptions().batch_size)
    parser.add_argument("--postgres-url", help="an existing database to create a scratch one")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"reads": args.reads, "batch": args.batch, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="alpr-bench-db-") as tmp:
        result["sqlite"] = run_backend(sqlite_url(Path(tmp) / "a.sqlite3"), args.reads, args.batch)
    print("SQLite:", json.dumps(result["sqlite"]), file=sys.stderr)
    if args.postgres_url:
        with scratch_postgres(args.postgres_url) as url:
            result["postgresql"] = run_backend(url, args.reads, args.batch)
        print("PostgreSQL:", json.dumps(result["postgresql"]), file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
