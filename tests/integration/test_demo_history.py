"""The demo's month of history, seeded small through the real ingest service.

The demo cameras and the demo hotlist are the real ones (``demo.seed_demo_cameras`` and
``seed_demo_hotlists``), so "no alert" is checked against the list the demo ships.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.core.search import MatchQuality
from alpr_desktop.services.base import Actor
from alpr_desktop.services.search import CanvassRequest, ReadFilters, SearchRequest
from alpr_desktop.storage.models import Alert, Camera, PlateRead, ReadAlternative, StoredImage
from tests.conftest import create_active_user

pytest.importorskip("cv2", reason="the plate renderer needs the 'ocr' extra")

READS = 3_000
NOW = dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC)
PURPOSE, CASE = "Criminal investigation", "26-009140"


@pytest.fixture
def demo_app(app: Application, admin: Actor) -> Application:
    from alpr_desktop.demo import seed_demo_cameras, seed_demo_hotlists

    assert seed_demo_cameras(app, admin), "the demo cameras need the renderer"
    seed_demo_hotlists(app, admin)
    return app


@pytest.fixture
def seeded(demo_app: Application) -> Application:
    from alpr_desktop.demo_history import HistoryProgress, seed_history

    progress = HistoryProgress(READS)
    result = seed_history(demo_app, reads=READS, now=NOW, batch_size=500, progress=progress)
    assert (result.reads, result.alerts, result.stopped) == (READS, 0, False)
    assert progress.finished and progress.stored == READS
    assert progress.text() == "Demo history: 3,000 reads over 30 days"
    return demo_app


def test_history_is_plausible_and_raises_no_alert(seeded: Application) -> None:
    from alpr_desktop.demo_history import CAMERAS, local_hour

    with seeded.database.sessions() as session:
        rows = session.execute(
            select(
                PlateRead.plate_text, PlateRead.read_at, Camera.name, PlateRead.crop_image_id
            ).join(Camera, Camera.id == PlateRead.camera_id)
        ).all()
        alternatives = session.scalar(select(func.count()).select_from(ReadAlternative))
        images = session.scalar(select(func.count()).select_from(StoredImage))
        alerts = session.scalar(select(func.count()).select_from(Alert))
        mobile = session.execute(
            select(PlateRead.latitude, PlateRead.longitude)
            .join(Camera, Camera.id == PlateRead.camera_id)
            .where(Camera.mobile)
        ).all()
    assert len(rows) == READS and alerts == 0
    times = [r.read_at.replace(tzinfo=dt.UTC) for r in rows]
    assert NOW - dt.timedelta(days=30, minutes=10) <= min(times) < NOW - dt.timedelta(days=29)
    assert NOW - dt.timedelta(days=1) < max(times) < NOW
    assert {r.name for r in rows} == set(CAMERAS)
    hours = Counter(local_hour(t) for t in times)
    day, night = sum(hours[h] for h in range(8, 18)), sum(hours[h] for h in (1, 2, 3, 4))
    assert day > 10 * night > 0  # rush hours by day, a few reads in the small hours
    plates = Counter(r.plate_text for r in rows)
    assert plates.most_common(1)[0][1] >= 20  # commuters and regulars come back
    assert sum(1 for n in plates.values() if n == 1) >= 50  # and a tail seen once
    crops = {r.crop_image_id for r in rows}
    # One crop per distinct plate; a misread shares its vehicle's crop.
    assert len(crops) == images < 0.5 * len(plates) + 0.5 * len(rows)
    assert len(crops) <= len(plates)
    assert alternatives > READS // 2
    assert all(38.55 < lat < 38.61 and -121.53 < lon < -121.46 for lat, lon in mobile)


def test_story_vehicles_are_found(seeded: Application, admin: Actor) -> None:
    detective = create_active_user(seeded, admin, "det.history", [Role.INVESTIGATOR])
    search = seeded.services.search

    def found(pattern: str) -> list[tuple[str, MatchQuality]]:
        page = search.search(detective, SearchRequest(pattern, PURPOSE, CASE, limit=500))
        return [(r.plate_text, r.quality) for r in page.results]

    partial = Counter(plate for plate, _quality in found("7AB*12"))
    assert partial == {"7ABT312": 4, "7ABR512": 3, "7ABG12": 1}
    assert found("6GRB508") == [("6GR8508", MatchQuality.ALTERNATIVE)]
    night = ReadFilters(
        cameras=("North gate",),
        since=NOW - dt.timedelta(days=14),
        until=NOW,
    )
    page = search.search(detective, SearchRequest("8KDW417", PURPOSE, CASE, filters=night))
    assert len(page.results) == 5
    canvass = search.canvass(
        detective,
        CanvassRequest(38.5745, -121.4860, 60.0, NOW - dt.timedelta(days=30), NOW, PURPOSE, CASE),
    )
    assert ("5NXP771", 3) in [(p.plate_text, p.reads) for p in canvass.plates]


def test_stopping_stops_promptly(demo_app: Application) -> None:
    from alpr_desktop.demo_history import HistoryProgress, seed_history

    class Progress(HistoryProgress):
        def __setattr__(self, name: str, value: object) -> None:
            super().__setattr__(name, value)
            if name == "stored" and int(value) >= 500:  # type: ignore[call-overload]
                first_batch.set()

    stop, first_batch = threading.Event(), threading.Event()
    progress = Progress(20_000)
    outcome: list[object] = []
    worker = threading.Thread(
        target=lambda: outcome.append(
            seed_history(
                demo_app, reads=20_000, now=NOW, batch_size=500, stop=stop, progress=progress
            )
        )
    )
    worker.start()
    assert first_batch.wait(timeout=60)
    asked = time.monotonic()
    stop.set()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert time.monotonic() - asked < 3
    result = outcome[0]
    assert result.stopped and 500 <= result.reads < 20_000  # type: ignore[attr-defined]
    assert progress.text().startswith("Demo history stopped at")
