"""The demo's sample hotlist raises its alerts within a minute of watching the cameras.

The demo seeded as ``--demo`` seeds it, the demo dispatcher signed in, recognition run on
the demo cameras at their own frame rate with the real models — as the Live page runs
it — and the alerts counted as they are stored.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from alpr_desktop.app import open_application
from alpr_desktop.core.roles import Role
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.models import Alert, HotlistEntry

pytest.importorskip("torch", reason="the plate reader needs the 'ocr' extra")
pytestmark = pytest.mark.ocr


def test_each_sample_entry_hits_within_the_first_minute(tmp_path: Path) -> None:
    from alpr_desktop.demo import seed_demo
    from alpr_desktop.services.recognition_run import RecognitionRun, plans_for_cameras

    app = open_application(LocalConfig(data_dir=tmp_path / "data"), create=True)
    try:
        accounts = seed_demo(app)
        dispatcher = next(a for a in accounts if a.role is Role.DISPATCHER)
        actor = app.services.auth.login(dispatcher.username, dispatcher.password).actor
        plans = [
            p for p in plans_for_cameras(app.services, actor) if not p.source.startswith("rtsp:")
        ]
        assert len(plans) == 3
        with app.database.sessions() as session:
            hits = dict(
                session.execute(
                    select(HotlistEntry.id, HotlistEntry.plate_pattern).where(
                        HotlistEntry.case_number.like("DEMO-%")
                    )
                ).all()
            )
        assert len(hits) == 3 and any(p.endswith("*") for p in hits.values())
        run = RecognitionRun(app.services, actor, plans, label="demo test", loop=True)
        started = time.monotonic()
        run.start()
        found: set[int] = set()
        try:
            while time.monotonic() - started < 60 and found != set(hits):
                time.sleep(1)
                with app.database.sessions() as session:
                    found = set(session.scalars(select(Alert.entry_id).distinct())) & set(hits)
        finally:
            run.stop()
        missing = sorted(hits[i] for i in set(hits) - found)
        assert not missing, f"no alert within a minute for {missing}"
        queue = app.services.alerts.open_queue(actor)
        assert {a.entry_pattern for a in queue.new} >= set(hits.values())
    finally:
        app.close()
