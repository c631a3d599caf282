"""The demo's sample hotlist raises its alerts within a minute of watching the cameras.

The demo seeded as ``--demo`` seeds it, the demo dispatcher signed in, recognition run on
the demo cameras at their own frame rate with the real models — as the Live page runs
it — and the alerts counted as they are stored. When one is missing, the message says
what was read meanwhile and how loaded the machine was.
"""

from __future__ import annotations

import os
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
    from alpr_desktop.recognition.reads import VehicleRead
    from alpr_desktop.services.recognition_run import (
        RecognitionRun,
        load_pipeline,
        plans_for_cameras,
    )

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
        # The Live page shows the models loading apart; the minute runs from the first frame.
        pipeline = load_pipeline()
        seen: list[str] = []  # what was read, said when an alert is missing

        def heard(read: VehicleRead) -> None:
            at = time.monotonic() - started
            seen.append(f"{at:.0f}s {read.camera_name}: {read.plate_text}/{read.frames_voted}")

        run = RecognitionRun(
            app.services,
            actor,
            plans,
            pipeline=pipeline,
            label="demo test",
            loop=True,
            on_read=heard,
        )
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
        load = os.getloadavg()[0]
        assert not missing, f"no alert in a minute for {missing} (load {load:.1f}); read: {seen}"
        queue = app.services.alerts.open_queue(actor)
        assert {a.entry_pattern for a in queue.new} >= set(hits.values())
    finally:
        app.close()
