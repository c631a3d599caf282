"""A map of 100,000 reads: built by the map service and shown in a web view (issue 16).

Command (SQLite, a fresh file in a temporary directory)::

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 \\
        .venv/bin/python benchmarks/bench_map.py --reads 100000 [--show]

(``QTWEBENGINE_DISABLE_SANDBOX=1`` only when run as root: Chromium's sandbox cannot.)

Load: ``--reads`` reads spread over a 6 km square around downtown Sacramento in the last
30 days, stored with ``ingest_store.store_batch`` (the ingest path's statements), each
with a small JPEG crop. An investigator maps a canvass of a 5 km circle over the 30 days
through ``MapService.canvass_map`` (the access record, the positions query, the folium
page). Figures: the time to build the map, how many reads it draws, the HTML size. With
``--show`` (Qt WebEngine, in PySide6-Addons below 6.12), the page is written to a file and loaded
in an offscreen ``QWebEngineView``; figures: the time from ``load()`` to every read in
the cluster layer, the page's own timings (script start, index built, view drawn) and
the resident memory of the web engine's processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import cv2
import numpy as np
from _scratch import trained_user

from alpr_desktop.app import open_application
from alpr_desktop.core.roles import Role
from alpr_desktop.recognition.reads import EncodedImage, VehicleRead
from alpr_desktop.recognition.types import PlateBox
from alpr_desktop.services.ingest_store import store_batch
from alpr_desktop.services.search import CanvassRequest
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.types import utcnow

CENTRE = (38.5816, -121.4944)
LOAD_BATCH = 5000


def _crop() -> bytes:
    crop = np.full((60, 200, 3), 235, np.uint8)
    cv2.putText(crop, "7MAP100", (12, 44), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (30, 30, 30), 3)
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()


def _load(app, reads: int) -> float:  # type: ignore[no-untyped-def]
    now, crop = utcnow(), _crop()
    rng = np.random.default_rng(16)
    lat = CENTRE[0] + rng.uniform(-0.027, 0.027, reads)  # ±3 km
    lon = CENTRE[1] + rng.uniform(-0.034, 0.034, reads)
    start = time.perf_counter()
    for first in range(0, reads, LOAD_BATCH):
        batch = [
            VehicleRead(
                camera_name="",
                read_at=now - dt.timedelta(seconds=60 + (i * 7919) % (30 * 86_400 - 3600)),
                plate_text=f"7M{i % 90_000:05d}",
                confidence=0.9,
                alternatives=(),
                box=PlateBox(10, 20, 96, 32, 0.95),
                frames_voted=3,
                crop=EncodedImage(crop, "image/jpeg", 200, 60),
                context=None,
                latitude=float(lat[i]),
                longitude=float(lon[i]),
                read_uuid=str(uuid.UUID(int=i + 1)),
            )
            for i in range(first, min(first + LOAD_BATCH, reads))
        ]
        with app.database.engine.begin() as conn:
            store_batch(conn, batch, stored_at=now)
    return time.perf_counter() - start


def _engine_rss_mib() -> float:
    """Resident memory of this process and its web-engine children, in MiB."""
    total = 0
    for pid in [os.getpid(), *_children(os.getpid())]:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().split(")")[1].split()[1]) == pid:
                    found += [int(entry.name), *_children(int(entry.name))]
            except (OSError, IndexError, ValueError):
                continue
    return found


def _show(path: Path, reads: int) -> tuple[float, float, float]:
    """Seconds from load() to every read in the cluster layer; RSS before and after."""
    from PySide6.QtCore import QUrl
    from PySide6.QtWebEngineCore import QWebEngineSettings
    from PySide6.QtWebEngineWidgets import QWebEngineView
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = QWebEngineView()
    view.settings().setAttribute(
        QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True
    )
    view.resize(1280, 800)
    view.show()
    before = _engine_rss_mib()
    answer: dict[str, object] = {}
    start = time.perf_counter()
    view.load(QUrl.fromLocalFile(str(path)))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answer.clear()
        view.page().runJavaScript(
            "window.alprMap ? window.alprMap.shown() : -1",
            0,
            lambda value: answer.setdefault("n", value),
        )
        end = time.monotonic() + 0.05
        while "n" not in answer and time.monotonic() < end + 5:
            app.processEvents()
        if answer.get("n") == reads:
            break
    shown = time.perf_counter() - start
    answer.clear()
    view.page().runJavaScript(
        "JSON.stringify({nav: performance.timing.navigationStart, "
        "dom: performance.timing.domContentLoadedEventEnd, t: window.alprTimings})",
        0,
        lambda value: answer.setdefault("t", value),
    )
    end = time.monotonic() + 5
    while "t" not in answer and time.monotonic() < end:
        app.processEvents()
    print(f"page timings (ms since navigation): {answer.get('t')}")
    after = _engine_rss_mib()
    view.close()
    import shiboken6

    shiboken6.delete(view)  # the page before the profile, not at interpreter exit
    app.processEvents()
    return shown, before, after


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=100_000)
    parser.add_argument("--show", action="store_true", help="load it in a QWebEngineView")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp:
        app = open_application(LocalConfig(data_dir=Path(tmp) / "data"), create=True)
        try:
            loaded = _load(app, args.reads)
            print(f"loaded {args.reads:,} reads in {loaded:.1f} s")
            actor = trained_user(app, "det", Role.INVESTIGATOR)
            now = utcnow()
            request = CanvassRequest(*CENTRE, 5000.0, now - dt.timedelta(days=31), now,
                                     "Criminal investigation", "26-BENCH-16")  # fmt: skip
            start = time.perf_counter()
            made = app.services.maps.canvass_map(actor, request)
            built = time.perf_counter() - start
            size = len(made.html.encode("utf-8"))
            print(f"map built in {built:.2f} s: {made.reads:,} reads drawn "
                  f"(capped: {made.capped}), HTML {size / 1e6:.1f} MB")  # fmt: skip
            if args.show:
                page = Path(tmp) / "map.html"
                page.write_text(made.html, encoding="utf-8")
                shown, before, after = _show(page, made.reads)
                grown = after - before
                print(f"shown in {shown:.2f} s (load() to every read clustered); "
                      f"memory {before:.0f} -> {after:.0f} MiB (+{grown:.0f})")  # fmt: skip
                print(f"build + show: {built + shown:.2f} s")
        finally:
            app.close()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # PySide6 6.12's web engine can crash while the interpreter finalises (none_dealloc);
    # the figures are printed, so leave without finalising.
    os._exit(code)
