"""The Live page, offscreen, with the real models on the project-rendered demo video."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.live import LivePage, ReadDetailDialog
from alpr_desktop.services.cameras import CameraFields
from alpr_desktop.storage.models import AccessRecord, PlateRead
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle

pytest.importorskip("torch", reason="the plate reader needs the 'ocr' extra")
pytestmark = pytest.mark.ocr


class StallMeter:
    """The longest gap between 5 ms timer ticks: how long the GUI thread was busy."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()


def stop_page(qtbot: QtBot, page: LivePage) -> None:
    done: list[bool] = []
    page.shutdown(lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=60_000)
    if page.stopping is not None:
        page.stopping.wait()


def test_live_page_shows_video_boxes_and_reads(
    qtbot: QtBot, gui: GuiContext, tmp_path: Path
) -> None:
    from alpr_desktop.recognition.demo_video import demo_video

    video = demo_video(tmp_path / "cache", passes=3)
    admin = create_admin(gui.application)
    gui.services.cameras.create(
        admin,
        CameraFields(name="North gate", source=str(video.path), latitude=37.77, longitude=-122.4),
    )
    dispatcher = create_active_user(gui.application, admin, "dee.d", [Role.DISPATCHER])
    page = LivePage(gui, dispatcher)
    qtbot.addWidget(page)
    page.resize(1100, 640)
    meter = StallMeter()
    page.show()
    meter.start()
    try:
        qtbot.waitUntil(lambda: "North gate" in page.tiles, timeout=20_000)
        tile = page.tiles["North gate"]
        qtbot.waitUntil(lambda: tile.video.image is not None, timeout=60_000)
        qtbot.waitUntil(lambda: tile.state == "live" or page.model.rowCount() > 0, timeout=60_000)
        qtbot.waitUntil(lambda: page.model.rowCount() >= 2, timeout=120_000)
    finally:
        meter.timer.stop()
        stop_page(qtbot, page)
    # Models, sources and the database never ran on the GUI thread while frames flowed.
    # A generous bound: it catches work done on the GUI thread (the models take seconds to
    # load, a database call can block), not scheduling jitter on a loaded 2-core machine;
    # benchmarks/bench_live_gui.py measures the stall itself.
    assert meter.longest < 1.5, f"the GUI thread stalled {meter.longest * 1000:.0f} ms"
    truth = {p.plate for p in video.passes}
    shown = [page.model.read_at(i).read for i in range(page.model.rowCount())]
    assert {r.plate_text for r in shown} & truth
    assert all(r.camera_name == "North gate" and r.latitude == 37.77 for r in shown)
    page.open_read(page.model.index(0, 0))
    dialog = page.active_dialog
    assert isinstance(dialog, ReadDetailDialog) and shown[0].plate_text in dialog.windowTitle()
    dialog.close()
    with gui.application.database.sessions() as session:
        stored = session.scalar(select(func.count(PlateRead.id)))
        views = session.scalar(
            select(func.count(AccessRecord.id)).where(AccessRecord.action == "view_live")
        )
    assert stored == len(shown), "every read shown was stored through the ingest service"
    assert views == 1, "opening the page is an access record"


def test_live_page_needs_training_and_says_so(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    untrained = create_active_user(
        gui.application, admin, "una.d", [Role.DISPATCHER], trained=False
    )
    page = LivePage(gui, untrained)
    qtbot.addWidget(page)
    page.show()
    wait_idle(qtbot, gui)
    assert "training" in page.error_label.text()
    assert not page.tiles


def test_live_page_without_cameras_says_where_to_add_them(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    dispatcher = create_active_user(gui.application, admin, "dee.d", [Role.DISPATCHER])
    page = LivePage(gui, dispatcher)
    qtbot.addWidget(page)
    page.show()
    wait_idle(qtbot, gui)
    assert "Cameras page" in page.error_label.text()


def test_a_lock_stops_recognition_and_an_unlock_opens_the_view_again(
    qtbot: QtBot, gui: GuiContext, tmp_path: Path
) -> None:
    from alpr_desktop.gui.main_window import MainWindow
    from alpr_desktop.recognition.demo_video import demo_video
    from tests.conftest import USER_PASSWORD

    video = demo_video(tmp_path / "cache", passes=3)
    admin = create_admin(gui.application)
    gui.services.cameras.create(
        admin, CameraFields(name="North gate", source=str(video.path), latitude=1.0, longitude=2.0)
    )
    dispatcher = create_active_user(gui.application, admin, "dee.d", [Role.DISPATCHER])
    window = MainWindow(gui, dispatcher)
    qtbot.addWidget(window)
    window.show()
    page = window.show_page("live")
    assert isinstance(page, LivePage)
    qtbot.waitUntil(lambda: page.run is not None and bool(page.tiles), timeout=20_000)
    first = page.run
    qtbot.waitUntil(lambda: page.tiles["North gate"].video.image is not None, timeout=60_000)
    stopped: list[str] = []
    first.stopped.connect(stopped.append)
    window.lock("manual_lock")
    qtbot.waitUntil(lambda: bool(stopped), timeout=60_000)
    first.wait()
    assert page.run is None and first.run.workers[0].source.status.state.value != "live"
    window.lock_screen.password_edit.setText(USER_PASSWORD)
    with qtbot.waitSignal(window.lock_screen.unlocked, timeout=10_000):
        window.lock_screen.unlock_button.click()
    qtbot.waitUntil(lambda: page.run is not None and page.run is not first, timeout=20_000)
    assert page.actor is window.actor and page.actor.session_id != dispatcher.session_id
    stop_page(qtbot, page)
    with gui.application.database.sessions() as session:
        views = session.scalar(
            select(func.count(AccessRecord.id)).where(AccessRecord.action == "view_live")
        )
    assert views == 2, "the view is recorded again in the new session"
    window.idle.stop()
    window.close()
    wait_idle(qtbot, gui)
