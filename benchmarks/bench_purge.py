"""The retention purge at scale (issue 18): expired reads with their images, time and reads/s.

Command (SQLite, a fresh file in a temporary directory)::

    .venv/bin/python benchmarks/bench_purge.py --reads 1000000

PostgreSQL (a scratch database created next to the URL and dropped afterwards)::

    .venv/bin/python benchmarks/bench_purge.py --reads 1000000 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

Load: ``--reads`` reads older than the retention period, stored with
``ingest_store.store_batch`` (the ingest path's own statements, so the search index,
the plate dictionary and the image references are the real ones) in batches of 2,000;
each read has one alternative, its own small crop and its own context image (distinct
bytes, so every image goes with its read), and every 1,000th read is put under an
approved evidence hold (kept). Plates repeat (20,000 distinct), as real traffic does.
Then ``RetentionService.purge`` runs as the administrator with ``--batch`` reads per
transaction; the figures are the load time, the purge time, reads/s and images/s, the
slowest batch, and a check that nothing but the held reads (and their images) is left.

``--gui`` runs the purge as the GUI process does instead — the scheduled maintenance
job (:class:`~alpr_desktop.gui.maintenance.MaintenanceScheduler`) on the background's
long-job thread, offscreen — while a 10 ms timer ticks on the GUI thread; the figure
``gui_stall_ms`` gives each tick's delay beyond the 10 ms — p50, p99, p99.9, the longest,
and how many ticks were over 50 ms (target: the longest <= 50 ms)::

    .venv/bin/python benchmarks/bench_purge.py --reads 1000000 --gui
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _scratch import scratch_database
from sqlalchemy import func, insert, select, text

from alpr_desktop.app import open_application
from alpr_desktop.recognition.reads import EncodedImage, VehicleRead
from alpr_desktop.recognition.types import Candidate, PlateBox
from alpr_desktop.services.ingest_store import store_batch
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.models import (
    EvidenceHold,
    EvidenceHoldRead,
    HoldStatus,
    PlateRead,
    StoredImage,
)
from alpr_desktop.storage.types import utcnow

PASSWORD = "quiet-harbour-lantern-5678"
LOAD_BATCH = 2000
#: The GUI-thread timer of ``--gui``.
TICK_S = 0.010


def _read(index: int, now: dt.datetime) -> VehicleRead:
    plate = f"7P{index % 20_000:05d}"
    blob = index.to_bytes(8, "big")
    return VehicleRead(
        camera_name="",
        read_at=now - dt.timedelta(days=400, seconds=index),
        plate_text=plate,
        confidence=0.9,
        alternatives=(Candidate(plate.replace("7", "T", 1), 0.4),),
        box=PlateBox(10, 20, 96, 32, 0.95),
        frames_voted=3,
        crop=EncodedImage(b"\xff\xd8crop" + blob + b"\x00" * 1500, "image/jpeg", 96, 32),
        context=EncodedImage(b"\xff\xd8ctx" + blob + b"\x00" * 6000, "image/jpeg", 320, 180),
        read_uuid=str(uuid.UUID(int=index + 1)),
    )


def _load(app, reads: int) -> float:  # type: ignore[no-untyped-def]
    now = utcnow()
    start = time.perf_counter()
    for first in range(0, reads, LOAD_BATCH):
        batch = [_read(i, now) for i in range(first, min(first + LOAD_BATCH, reads))]
        with app.database.engine.begin() as conn:
            store_batch(conn, batch, stored_at=now)
        if first and first % 100_000 == 0:
            print(f"loaded {first:,}", file=sys.stderr, flush=True)
    with app.database.sessions.begin() as session:
        hold = EvidenceHold(
            case_number="BENCH-1",
            reason="benchmark",
            requested_by_id=1,
            status=HoldStatus.APPROVED,
            review_on=dt.date.today() + dt.timedelta(days=30),
        )
        session.add(hold)
        session.flush()
        held = select(PlateRead.id).where(PlateRead.id % 1000 == 0)
        session.execute(
            insert(EvidenceHoldRead).from_select(
                ["hold_id", "read_id"], select(text(str(hold.id)), held.subquery().c.id)
            )
        )
    return time.perf_counter() - start


def _purge_in_gui(app) -> tuple[object, float, list[float]]:  # type: ignore[no-untyped-def]
    """The scheduled purge on the long-job thread; (report, seconds, every tick's delay
    beyond the timer's interval in s, sorted)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer

    from alpr_desktop.gui.background import Background
    from alpr_desktop.gui.main import qt_application
    from alpr_desktop.gui.maintenance import MaintenanceScheduler
    from alpr_desktop.heap import freeze_long_lived

    qt = qt_application()
    background = Background()
    scheduler = MaintenanceScheduler(background, app.services.maintenance)
    freeze_long_lived("the database and the window are up")  # as gui/main.py does
    reports: list[object] = []
    last = [time.perf_counter()]
    stalls: list[float] = []

    def tick() -> None:
        now = time.perf_counter()
        stalls.append(max(0.0, now - last[0] - TICK_S))
        last[0] = now

    def finished(report: object) -> None:
        reports.append(report)
        qt.quit()

    timer = QTimer()
    timer.setInterval(round(TICK_S * 1000))
    timer.timeout.connect(tick)
    scheduler.finished.connect(finished)
    start = time.perf_counter()
    timer.start()
    scheduler.start()
    qt.exec()
    seconds = time.perf_counter() - start
    timer.stop()
    scheduler.stop()
    background.shutdown()
    return reports[0].purge, seconds, sorted(stalls)  # type: ignore[attr-defined]


def run(
    url: str, reads: int, batch: int, data_dir: Path, *, gui: bool = False
) -> dict[str, object]:
    app = open_application(
        LocalConfig(database_url=url, data_dir=data_dir, workstation_name="bench"), create=True
    )
    try:
        admin = app.services.auth.create_first_administrator(
            username="admin", full_name="Bench Admin", password=PASSWORD
        )
        load_s = _load(app, reads)
        with app.database.sessions() as session:
            held = session.scalar(select(func.count()).select_from(EvidenceHoldRead)) or 0
        slowest = [0.0]
        last = [time.perf_counter()]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            slowest[0] = max(slowest[0], now - last[0])
            last[0] = now
            if done % 100_000 < batch:
                print(f"purged {done:,} of {total:,}", file=sys.stderr, flush=True)

        stall_ms: dict[str, float] | None = None
        if gui:
            report, purge_s, stalls = _purge_in_gui(app)
            stall_ms = {
                "p50": round(stalls[len(stalls) // 2] * 1000, 1),
                "p99": round(stalls[int(len(stalls) * 0.99)] * 1000, 1),
                "p999": round(stalls[int(len(stalls) * 0.999)] * 1000, 1),
                "max": round(stalls[-1] * 1000, 1),
                "ticks": len(stalls),
                "over_50": sum(s > 0.050 for s in stalls),
            }
        else:
            start = time.perf_counter()
            report = app.services.retention.purge(admin, batch=batch, progress=progress)
            purge_s = time.perf_counter() - start
        with app.database.sessions() as session:
            left_reads = session.scalar(select(func.count()).select_from(PlateRead))
            left_images = session.scalar(select(func.count()).select_from(StoredImage))
        return {
            "backend": app.database.backend,
            "reads": reads,
            "batch": batch,
            "load_s": round(load_s, 1),
            "purge_s": round(purge_s, 1),
            "reads_per_s": round(report.reads / purge_s),
            "images_per_s": round(report.images / purge_s),
            "reads_purged": report.reads,
            "images_purged": report.images,
            "held_kept": report.held_reads_kept,
            "slowest_batch_s": None if gui else round(slowest[0], 3),
            "gui_stall_ms": stall_ms,
            "left_reads": left_reads,
            "left_images": left_images,
            "consistent": left_reads == held and left_images == 2 * held,
        }
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgres-url", help="maintenance database URL; default: SQLite")
    parser.add_argument("--gui", action="store_true", help="purge as the GUI does; time stalls")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-purge-") as tmp:
        data = Path(tmp)
        if not args.postgres_url:
            url = f"sqlite:///{data / 'alpr.sqlite3'}"
            print(json.dumps(run(url, args.reads, args.batch, data, gui=args.gui)))
            return
        with scratch_database(args.postgres_url, "bench_purge") as url:
            print(json.dumps(run(url, args.reads, args.batch, data, gui=args.gui)))


if __name__ == "__main__":
    main()
