"""The Alerts page, offscreen, on a real SQLite database with alerts raised by ingest."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.gui.alerts.detail import load_detail
from alpr_desktop.gui.alerts.disposition import DispositionDialog
from alpr_desktop.gui.alerts.sound import AlertSound
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.main_window import MainWindow
from alpr_desktop.gui.pages import pages_for
from alpr_desktop.gui.pages.alerts import AlertsPage
from alpr_desktop.recognition.reads import EncodedImage
from alpr_desktop.recognition.types import PlateBox
from alpr_desktop.services.base import Actor
from alpr_desktop.services.hotlist_fields import EntryFields
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.models import AccessRecord, Alert, AlertStatus
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle
from tests.integration.ingest_helpers import make_read

OpenPage = Callable[[Actor], AlertsPage]
#: Where the plate is in the camera frame (x, y, w, h, full-frame pixels).
BOX = (700, 380, 120, 40)


def _texture(seed: int, width: int, height: int) -> np.ndarray:
    """A smooth random BGR picture (JPEG keeps it; scaling keeps its shapes)."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    return np.asarray(cv2.GaussianBlur(noise, (0, 0), 4), dtype=np.uint8)


def _jpeg(image: np.ndarray) -> EncodedImage:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return EncodedImage(data.tobytes(), "image/jpeg", image.shape[1], image.shape[0])


def frame_images(
    seed: int, box: tuple[int, int, int, int], width: int = 1280, context_width: int = 640
) -> tuple[EncodedImage, EncodedImage]:
    """The crop (padded, full size) and the context (downscaled) of one frame, as the
    recognizer stores them."""
    frame = _texture(seed, width, width * 9 // 16)
    x, y, w, h = box
    dx, dy = w // 10, h // 5
    crop = frame[y - dy : y + h + dy, x - dx : x + w + dx]
    scale = min(1.0, context_width / width)
    size = (round(width * scale), round(frame.shape[0] * scale))
    context = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    return _jpeg(np.ascontiguousarray(crop)), _jpeg(np.asarray(context, dtype=np.uint8))


#: Long enough that an alert arriving within the test's wait came by the wake-up.
SLOW_POLL = 30.0


class Dispatch:
    """Two dispatchers and an administrator with a hotlist entry for 7ABC123."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.admin = create_admin(app)
        self.one = create_active_user(app, self.admin, "disp.one", [Role.DISPATCHER])
        self.two = create_active_user(app, self.admin, "disp.two", [Role.DISPATCHER])
        hotlists = app.services.hotlists
        stolen = hotlists.create(self.admin, "Stolen")
        hotlists.add_entry(
            self.admin,
            stolen.id,
            EntryFields(
                "7ABC123",
                "stolen_vehicle",
                state="CA",
                priority=1,
                source="NCIC",
                case_number="24-001234",
                notes="Grey Honda Civic",
            ),
        )
        self._index = 0

    def raise_alert(
        self,
        plate: str = "7A8C123",
        *,
        box: tuple[int, int, int, int] = BOX,
        width: int = 1280,
        frame_size: bool = True,
    ) -> int:
        """Store one read of ``plate`` (from a ``width``x720 frame); the alert's id."""
        self._index += 1
        crop, context = frame_images(self._index, box, width=width)
        read = replace(
            make_read(self._index, tag="gui", crop=crop, context=context),
            plate_text=plate,
            box=PlateBox(*box, 0.95),
            frame_size=(width, width * 9 // 16) if frame_size else None,
        )
        [alert_id] = self.app.services.ingest.store([read]).alerts
        return alert_id


@pytest.fixture
def dispatch(gui: GuiContext) -> Dispatch:
    return Dispatch(gui.application)


@pytest.fixture
def open_page(qtbot: QtBot, gui: GuiContext) -> Iterator[OpenPage]:
    pages: list[AlertsPage] = []

    def make(actor: Actor) -> AlertsPage:
        page = AlertsPage(gui, actor, poll_interval=SLOW_POLL)
        page.resize(1100, 640)
        page.show()
        pages.append(page)
        qtbot.waitUntil(lambda: page.loaded_queue or page.error_label.isVisible(), timeout=10_000)
        wait_idle(qtbot, gui)
        return page

    yield make
    for page in pages:  # not qtbot.addWidget: the feed stops before the page goes
        stop_page(qtbot, page)
        page.close()
        page.deleteLater()
    wait_idle(qtbot, gui)


@pytest.fixture(autouse=True)
def _silent(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real tone in the tests (the offscreen machine has no audio device)."""
    if request.node.name != "test_the_real_player_loads_the_tone_or_falls_back":
        monkeypatch.setattr(AlertSound, "_player", lambda self: None)
        monkeypatch.setattr(AlertSound, "_beep", lambda self: None)


def stop_page(qtbot: QtBot, page: AlertsPage) -> None:
    done: list[bool] = []
    feed = page.feed
    page.shutdown(lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=15_000)
    if feed is not None:  # and its thread ends by itself, soon
        thread = feed.feed._thread
        qtbot.waitUntil(lambda: thread is None or not thread.is_alive(), timeout=10_000)


def records(app: Application, detail: str) -> int:
    with app.database.sessions() as session:
        count = session.scalar(
            select(func.count(AccessRecord.id)).where(AccessRecord.detail == detail)
        )
    return int(count or 0)


def select_and_load(qtbot: QtBot, gui: GuiContext, page: AlertsPage, alert_id: int) -> None:
    row = page.model.row_of(alert_id)
    assert row is not None
    page.table.selectRow(row)
    qtbot.waitUntil(
        lambda: page.detail.view is not None and page.detail.view.id == alert_id, timeout=10_000
    )
    wait_idle(qtbot, gui)


def test_new_alert_arrives_and_its_detail_shows(
    qtbot: QtBot, gui: GuiContext, dispatch: Dispatch, open_page: OpenPage
) -> None:
    page = open_page(dispatch.one)
    assert page.model.rowCount() == 0 and page.loaded_queue
    qtbot.waitUntil(lambda: "Live" in page.feed_label.text(), timeout=5_000)
    alert_id = dispatch.raise_alert("7A8C123")  # B read as 8: a confusable hit
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5_000)
    view = page.model.row_at(0)
    assert view.id == alert_id and view.plate_text == "7A8C123" and view.pending
    cells = [page.model.index(0, c).data() for c in range(page.model.columnCount())]
    assert cells[0] == "P1"
    assert cells[2] == "7A8C123\nconfusable" and cells[3] == "Stolen vehicle\nStolen"
    assert cells[4] == "ad-hoc source\npending"
    assert records(gui.application, "viewed an alert") == 0, "arriving is not viewing"

    select_and_load(qtbot, gui, page, alert_id)
    detail = page.detail
    assert not detail.crop.pixmap().isNull() and detail.crop.pixmap().width() >= 96
    assert not detail.context.pixmap().isNull()
    assert detail.context_note.isHidden(), "the box was placed on the context image"
    assert "8 → B at position 3" in detail.match.text()
    assert "CLETS" in detail.reminder.text() and detail.reminder.isVisibleTo(page)
    assert detail.entry_values["case_number"].text() == "24-001234"
    assert detail.entry_values["source"].text() == "NCIC"
    assert detail.entry_values["notes"].text() == "Grey Honda Civic"
    assert detail.read_values["alternatives"].text() == "7A8C0001 (60%), 7ABC000 (30%)"
    assert detail.accept_button.isEnabled() and detail.reject_button.isEnabled()
    assert records(gui.application, "viewed an alert") == 1

    # A second alert refreshes the queue; the selection stays and is not viewed again.
    second = dispatch.raise_alert("7ABC123")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5_000)
    wait_idle(qtbot, gui)
    assert page.selected_id == alert_id
    assert page.table.currentIndex().row() == page.model.row_of(alert_id)
    assert records(gui.application, "viewed an alert") == 1
    assert page.model.pending_count == 2 and second in {page.model.row_at(r).id for r in (0, 1)}


def test_decision_needs_a_reason_and_is_stored(
    qtbot: QtBot, gui: GuiContext, dispatch: Dispatch, open_page: OpenPage
) -> None:
    alert_id = dispatch.raise_alert()
    page = open_page(dispatch.one)
    assert page.model.pending_count == 1
    select_and_load(qtbot, gui, page, alert_id)
    page.detail.accept_button.click()
    dialog = page.active_dialog
    assert isinstance(dialog, DispositionDialog) and dialog.accepting
    wait_idle(qtbot, gui)  # the department's reasons arrive
    assert dialog.reason_combo.count() >= 2
    assert dialog.reason_combo.currentIndex() == -1, "no reason is preselected"
    assert not dialog.ok_button.isEnabled()
    dialog.submit()  # even if called, nothing is sent without a reason
    wait_idle(qtbot, gui)
    with gui.application.database.sessions() as session:
        assert session.get(Alert, alert_id).status is AlertStatus.PENDING
    dialog.reason_combo.setCurrentText("Confirmed through CLETS")
    assert dialog.ok_button.isEnabled()
    dialog.notes_edit.setPlainText("CLETS: stolen, unit 12 notified")
    with qtbot.waitSignal(dialog.decided, timeout=10_000):
        dialog.ok_button.click()
    wait_idle(qtbot, gui)
    with gui.application.database.sessions() as session:
        stored = session.get(Alert, alert_id)
        assert stored is not None
        assert stored.status is AlertStatus.ACCEPTED
        assert stored.disposition_reason == "Confirmed through CLETS"
        assert stored.disposition_notes == "CLETS: stolen, unit 12 notified"
    assert page.model.rowCount() == 0 and page.model.pending_count == 0, "it left the queue"
    assert "Accepted by disp.one" in page.detail.decision.text()
    assert not page.detail.accept_button.isEnabled()
    page.show_decided.setChecked(True)
    assert page.model.rowCount() == 1
    assert page.model.index(0, 4).data().endswith("accepted by disp.one")


def test_someone_elses_earlier_decision_is_named(
    qtbot: QtBot, gui: GuiContext, dispatch: Dispatch, open_page: OpenPage
) -> None:
    alert_id = dispatch.raise_alert()
    page = open_page(dispatch.one)
    select_and_load(qtbot, gui, page, alert_id)
    page.detail.reject_button.click()
    dialog = page.active_dialog
    assert isinstance(dialog, DispositionDialog) and not dialog.accepting
    wait_idle(qtbot, gui)
    # Meanwhile the other dispatcher accepts it at their workstation.
    gui.services.alerts.dispose(
        dispatch.two, alert_id, accept=True, reason="Confirmed through CLETS"
    )
    dialog.reason_combo.setCurrentText("Misread")
    with qtbot.waitSignal(dialog.already_decided, timeout=10_000):
        dialog.ok_button.click()
    wait_idle(qtbot, gui)
    text = dialog.error_label.text()
    assert f"Alert {alert_id} was already accepted by disp.two" in text
    assert dialog.isVisible() and not dialog.ok_button.isEnabled()
    assert page.model.pending_count == 0, "the queue shows the other decision"
    assert "Accepted by disp.two" in page.detail.decision.text()
    dialog.reject()
    with gui.application.database.sessions() as session:
        stored = session.get(Alert, alert_id)
        assert stored is not None and stored.disposition_reason == "Confirmed through CLETS"


def test_the_tone_plays_once_for_a_new_alert(
    qtbot: QtBot,
    gui: GuiContext,
    dispatch: Dispatch,
    open_page: OpenPage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    played: list[bool] = []
    monkeypatch.setattr(AlertSound, "play", lambda self: played.append(self.enabled))
    old = dispatch.raise_alert("7ABC123")
    page = open_page(dispatch.one)
    assert page.model.pending_count == 1 and played == [], "not for the queue as loaded"
    dispatch.raise_alert("7A8C123")
    qtbot.waitUntil(lambda: page.model.pending_count == 2, timeout=5_000)
    wait_idle(qtbot, gui)
    assert played == [True]
    # A decision taken elsewhere is delivered, without a tone.
    gui.services.alerts.dispose(dispatch.two, old, accept=False, reason="Misread")
    page.feed.wake()
    qtbot.waitUntil(lambda: page.model.pending_count == 1, timeout=5_000)
    wait_idle(qtbot, gui)
    assert played == [True]


def test_sound_toggle_is_saved_for_this_workstation(
    qtbot: QtBot, gui: GuiContext, dispatch: Dispatch, open_page: OpenPage
) -> None:
    page = open_page(dispatch.one)
    assert page.sound_button.isChecked() and page.sound.enabled
    page.sound_button.click()
    wait_idle(qtbot, gui)
    assert not page.sound.enabled and page.sound_button.text() == "Sound off"
    assert LocalConfig.load().alert_sound is False


def test_new_alert_is_noticed_on_another_page(
    qtbot: QtBot, gui: GuiContext, dispatch: Dispatch
) -> None:
    dispatch.raise_alert("7ABC123")
    window = MainWindow(gui, dispatch.one)
    qtbot.addWidget(window)
    window.show()
    assert window.page_keys() == ["home", "live", "alerts", "map", "policy"]
    item = window.navigation.item(window.page_keys().index("alerts"))
    page = window.pages["alerts"]
    assert isinstance(page, AlertsPage)
    qtbot.waitUntil(lambda: item.text() == "Alerts (1)", timeout=10_000)
    assert window.navigation.currentRow() == 0, "still on Home"
    dispatch.raise_alert("7A8C123")
    qtbot.waitUntil(lambda: item.text() == "Alerts (2)", timeout=5_000)
    assert "7A8C123" in window.statusBar().currentMessage()
    done: list[bool] = []
    window.idle.stop()
    window._stop_pages(lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=15_000)
    wait_idle(qtbot, gui)
    assert page.feed is None


def test_lock_stops_the_feed_and_unlock_starts_a_new_one(
    qtbot: QtBot, gui: GuiContext, dispatch: Dispatch, open_page: OpenPage
) -> None:
    page = open_page(dispatch.one)
    stop_page(qtbot, page)
    assert page.feed is None
    dispatch.raise_alert()
    page.resume()
    qtbot.waitUntil(lambda: page.model.pending_count == 1, timeout=10_000)
    assert records(gui.application, "opened the alert queue") == 2


def test_untrained_dispatcher_is_told_why(
    qtbot: QtBot, gui: GuiContext, open_page: OpenPage
) -> None:
    admin = create_admin(gui.application)
    untrained = create_active_user(
        gui.application, admin, "una.d", [Role.DISPATCHER], trained=False
    )
    page = open_page(untrained)
    qtbot.waitUntil(lambda: page.error_label.isVisible(), timeout=10_000)
    assert "training" in page.error_label.text()
    assert page.model.rowCount() == 0


def test_no_alerts_page_for_an_investigator(gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    investigator = create_active_user(gui.application, admin, "ivy.i", [Role.INVESTIGATOR])
    supervisor = create_active_user(gui.application, admin, "sam.s", [Role.SUPERVISOR])
    assert "alerts" not in [spec.key for spec in pages_for(investigator)]
    assert "alerts" not in [spec.key for spec in pages_for(admin)]
    assert "alerts" in [spec.key for spec in pages_for(supervisor)]


@pytest.mark.qt_log_ignore(".*")  # the audio back end complains on a machine without sound
def test_the_real_player_loads_the_tone_or_falls_back(
    qtbot: QtBot, gui: GuiContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QUrl

    sound = AlertSound()
    effect = sound._player()
    if effect is not None:
        assert Path(QUrl(effect.source()).toLocalFile()).stat().st_size > 1000
    beeps: list[bool] = []
    monkeypatch.setattr(AlertSound, "_beep", lambda self: beeps.append(True))
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)  # cannot be imported
    broken = AlertSound()
    broken.play()
    broken.play()
    assert beeps == [True, True] and broken._player() is None
    broken.enabled = False
    broken.play()
    assert beeps == [True, True], "muted"


@pytest.fixture
def any_gui(qapp: object, app: Application) -> Iterator[GuiContext]:
    """Like ``gui``, on SQLite and on PostgreSQL (``ALPR_TEST_POSTGRES_URL``)."""
    from alpr_desktop.gui.main import qt_application
    from alpr_desktop.gui.theme import ThemeManager

    theme = ThemeManager(qt_application(), "light")
    context = GuiContext.build(app, theme, idle_lock_ms=60 * 60 * 1000)
    yield context
    context.close()
    theme.deleteLater()


def test_an_alert_reaches_two_workstations_at_once(qtbot: QtBot, any_gui: GuiContext) -> None:
    dispatch = Dispatch(any_gui.application)
    pages = [
        AlertsPage(any_gui, actor, poll_interval=SLOW_POLL)
        for actor in (dispatch.one, dispatch.two)
    ]
    try:
        for page in pages:
            page.show()
        qtbot.waitUntil(lambda: all("Live" in p.feed_label.text() for p in pages), timeout=10_000)
        alert_id = dispatch.raise_alert()
        qtbot.waitUntil(lambda: all(p.model.pending_count == 1 for p in pages), timeout=5_000)
        assert all(p.model.row_at(0).id == alert_id for p in pages)
        # One decides; the other's queue loses it.
        any_gui.services.alerts.dispose(dispatch.one, alert_id, accept=True, reason="Misread")
        qtbot.waitUntil(lambda: pages[1].model.pending_count == 0, timeout=5_000)
    finally:
        for page in pages:
            stop_page(qtbot, page)
            page.close()
            page.deleteLater()
        wait_idle(qtbot, any_gui)


@pytest.mark.parametrize("width", [640, 1280, 1920])
def test_the_plate_box_is_scaled_onto_the_downscaled_context(
    width: int, gui: GuiContext, dispatch: Dispatch
) -> None:
    box = (width // 2, 300, 120, 40)
    alert_id = dispatch.raise_alert(box=box, width=width)
    loaded = load_detail(gui.services, dispatch.one, alert_id)
    scale = min(1.0, 640 / width)
    assert loaded.detail.box == pytest.approx(tuple(v * scale for v in box))
    assert loaded.box_drawn and not loaded.context.isNull()
    # A read that did not record its frame's size gets no box rather than a wrong one.
    unknown = dispatch.raise_alert(box=box, width=width, frame_size=False)
    loaded = load_detail(gui.services, dispatch.one, unknown)
    assert loaded.detail.box is None and not loaded.box_drawn


def test_a_new_alert_keeps_the_dispatchers_place_in_a_long_queue(
    qtbot: QtBot, gui: GuiContext, dispatch: Dispatch, open_page: OpenPage
) -> None:
    for _ in range(25):
        dispatch.raise_alert("7ABC123")
    page = open_page(dispatch.one)
    bar = page.table.verticalScrollBar()
    assert page.model.pending_count == 25 and bar.maximum() > 0
    last = page.model.row_at(24).id
    select_and_load(qtbot, gui, page, last)
    bar.setValue(bar.maximum() // 2)  # the selection scrolled out of sight
    position = bar.value()
    assert 0 < position < bar.maximum()
    dispatch.raise_alert("7A8C123")
    qtbot.waitUntil(lambda: page.model.pending_count == 26, timeout=5_000)
    assert bar.value() == position and page.selected_id == last
    assert page.table.selectionModel().isRowSelected(page.model.row_of(last) or 0)
