"""Fulfilling a release request that covers 10,000 reads with their images (issue 17).

Command (SQLite, a fresh file in a temporary directory)::

    .venv/bin/python benchmarks/bench_release.py --reads 10000

PostgreSQL (a scratch database created next to the URL and dropped afterwards)::

    .venv/bin/python benchmarks/bench_release.py --reads 10000 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

Load: ``--reads`` reads of one plate (``4REL001``) over 30 days among ``--background``
reads of other plates, stored with ``ingest_store.store_batch`` (the ingest path's own
statements). Each read has its own JPEG crop (~200×60) and context frame (~640×360),
drawn with OpenCV and made distinct per read, sized like the pipeline's. A commander
writes the request for ``4REL001`` over the 30 days, submits it with a one-page PDF
attached, approves it, and fulfils it through ``ReleaseService.fulfil`` — once into a
zip and, as a second request, into a folder. Figures: the time of each fulfilment,
reads/s, the package size, the number of files, and that ``verify_package`` accepts it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import cv2
import numpy as np
from _scratch import scratch_database, trained_user

from alpr_desktop.app import open_application
from alpr_desktop.core.packages import verify_package
from alpr_desktop.core.releases import AgencyType, RequestFields
from alpr_desktop.core.roles import Role
from alpr_desktop.recognition.reads import EncodedImage, VehicleRead
from alpr_desktop.recognition.types import Candidate, PlateBox
from alpr_desktop.services.ingest_store import store_batch
from alpr_desktop.services.release_records import SavedQuery
from alpr_desktop.services.search import ReadFilters
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.types import utcnow

PLATE = "4REL001"
LOAD_BATCH = 2000
DAYS = 30
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def _images() -> tuple[bytes, bytes]:
    rng = np.random.default_rng(7)
    crop = np.full((60, 200, 3), 235, np.uint8)
    cv2.putText(crop, PLATE, (12, 44), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (30, 30, 30), 3)
    scene = (rng.normal(110, 35, (360, 640, 3))).clip(0, 255).astype(np.uint8)
    scene = cv2.GaussianBlur(scene, (9, 9), 0)
    cv2.rectangle(scene, (250, 200), (450, 260), (235, 235, 235), -1)
    ok1, c = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
    ok2, s = cv2.imencode(".jpg", scene, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok1 and ok2
    return c.tobytes(), s.tobytes()


def _read(index: int, plate: str, now: dt.datetime, crop: bytes, scene: bytes) -> VehicleRead:
    tag = index.to_bytes(8, "big")  # after the JPEG's end: distinct bytes, same picture
    span = DAYS * 86_400 - 3600
    return VehicleRead(
        camera_name="",
        read_at=now - dt.timedelta(seconds=60 + (index * 7919) % span),
        plate_text=plate,
        confidence=0.9,
        alternatives=(Candidate(plate.replace("0", "O", 1), 0.4),),
        box=PlateBox(10, 20, 96, 32, 0.95),
        frames_voted=3,
        crop=EncodedImage(crop + tag, "image/jpeg", 200, 60),
        context=EncodedImage(scene + tag, "image/jpeg", 640, 360),
        read_uuid=str(uuid.UUID(int=index + 1)),
    )


def _load(app, reads: int, background: int) -> float:  # type: ignore[no-untyped-def]
    now = utcnow()
    crop, scene = _images()
    start = time.perf_counter()
    total = reads + background
    step = max(1, total // reads)  # every step-th read is the plate asked for

    def plate(i: int) -> str:
        return PLATE if i % step == 0 and i // step < reads else f"8B{i % 30_000:05d}"

    for first in range(0, total, LOAD_BATCH):
        batch = [_read(i, plate(i), now, crop, scene)
                 for i in range(first, min(first + LOAD_BATCH, total))]  # fmt: skip
        with app.database.engine.begin() as conn:
            store_batch(conn, batch, stored_at=now)
    return time.perf_counter() - start


def _fulfil(app, actor, target: Path) -> dict[str, object]:  # type: ignore[no-untyped-def]
    releases = app.services.releases
    now = utcnow()
    fields = RequestFields(
        agency_name="Bench County Sheriff", agency_type=AgencyType.CA_LOCAL, agency_state="CA",
        requester_name="Det. Bench", requester_title="Detective",
        requester_contact="bench@sheriff.example", intended_purpose="Benchmark",
        purpose="Criminal investigation", case_number="BENCH-17",
        legal_basis="Civ. Code 1798.90.55(b)", data_requested=f"Every read of {PLATE}",
    )  # fmt: skip
    query = SavedQuery(PLATE, filters=ReadFilters(since=now - dt.timedelta(days=DAYS + 1)))
    request = releases.create(actor, fields, query)
    releases.add_attachment(actor, request.id, "letter.pdf", PDF)
    releases.submit(actor, request.id)
    releases.approve(actor, request.id, reason="benchmark")
    start = time.perf_counter()
    done = releases.fulfil(actor, request.id, target, delivery="benchmark")
    seconds = time.perf_counter() - start
    size = (
        done.size
        if target.suffix == ".zip"
        else sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    )
    start = time.perf_counter()
    ok = verify_package(done.path).ok
    return {
        "fulfil_s": round(seconds, 2),
        "reads": done.reads,
        "images": done.images,
        "files": done.files,
        "reads_per_s": round(done.reads / seconds),
        "package_mb": round(size / 1e6, 1),
        "verify_s": round(time.perf_counter() - start, 2),
        "verified": ok,
    }


def run(url: str, reads: int, background: int, data_dir: Path) -> dict[str, object]:
    app = open_application(
        LocalConfig(database_url=url, data_dir=data_dir, workstation_name="bench"), create=True
    )
    try:
        actor = trained_user(app, "cmdr", Role.COMMANDER)
        load_s = _load(app, reads, background)
        print(f"loaded {reads + background:,} reads in {load_s:.1f} s", file=sys.stderr)
        return {
            "backend": app.database.backend,
            "reads_asked": reads,
            "background": background,
            "zip": _fulfil(app, actor, data_dir / "release.zip"),
            "folder": _fulfil(app, actor, data_dir / "release-folder"),
        }
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=10_000)
    parser.add_argument("--background", type=int, default=50_000)
    parser.add_argument("--postgres-url", help="maintenance database URL; default: SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        data = Path(tmp)
        if not args.postgres_url:
            url = f"sqlite:///{data / 'alpr.sqlite3'}"
            print(json.dumps(run(url, args.reads, args.background, data)))
            return
        with scratch_database(args.postgres_url, "bench_release") as url:
            print(json.dumps(run(url, args.reads, args.background, data)))


if __name__ == "__main__":
    main()
