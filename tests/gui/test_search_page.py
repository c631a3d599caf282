"""The Search and Canvass pages, offscreen, on a real SQLite database.

Reads are stored through the ingest service (the one way in, which keeps the search
index), as in ``tests/integration/test_search.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages import pages_for
from alpr_desktop.gui.pages import search as search_page_module
from alpr_desktop.gui.pages.canvass import CanvassPage
from alpr_desktop.gui.pages.holds import RequestHoldDialog
from alpr_desktop.gui.pages.search import SearchPage
from alpr_desktop.gui.search.filters import aware
from alpr_desktop.gui.search.purpose import PurposeDialog
from alpr_desktop.gui.search.results import PLATE_COLUMN, THUMBNAIL
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.services.base import Actor
from alpr_desktop.services.cameras import CameraFields
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle
from tests.integration.ingest_helpers import T0, placed_read

PURPOSE = "Criminal investigation"
CASE = "26-004711"
SCENE = (38.5800, -121.4900)


def _read(index: int, plate: str, **kwargs: Any) -> VehicleRead:
    return placed_read(index, plate, tag="search-page", **{"at": SCENE, **kwargs})


@pytest.fixture
def detective(gui: GuiContext) -> Actor:
    app = gui.application
    admin = create_admin(app)
    app.services.cameras.create(
        admin, CameraFields(name="North gate", source="0", latitude=SCENE[0], longitude=SCENE[1])
    )
    app.services.ingest.store(
        [
            _read(1, "7ABC123", camera="North gate", minutes=0),
            _read(2, "7A8C123", camera="North gate", minutes=5, alternatives=("7ABC123",)),
            _read(3, "7XYZ120", minutes=10, at=(38.5900, -121.4900)),
            _read(5, "7ABX12", minutes=90, confidence=0.6),
            _read(6, "9QQQ999", minutes=120),
        ]
    )
    return create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])


def _records(gui: GuiContext, action: str) -> list[AccessRecord]:
    with gui.application.database.sessions() as session:
        return list(session.scalars(select(AccessRecord).where(AccessRecord.action == action)))


Show = Callable[[QWidget], None]


@pytest.fixture
def show(qtbot: QtBot, gui: GuiContext) -> Iterator[Show]:
    """Show a page, keeping it alive until the worker threads have let go of its jobs.

    A finished job (and the callbacks in it, which hold the page) stays referenced by its
    worker thread until that thread takes the next job; a top-level page whose last
    reference went there would be deleted off the GUI thread. So at the end one empty
    job runs on each thread, and only then are the pages let go, here.
    """
    held: list[QWidget] = []

    def run(widget: QWidget) -> None:
        held.append(widget)
        qtbot.addWidget(widget)
        widget.resize(1100, 640)
        widget.show()
        wait_idle(qtbot, gui)

    yield run
    gui.background.run(lambda: None)
    gui.background.run(lambda: None, long=True)
    wait_idle(qtbot, gui)
    held.clear()


def _dialog(qtbot: QtBot, gui: GuiContext, page: QWidget) -> PurposeDialog:
    wait_idle(qtbot, gui)
    qtbot.waitUntil(lambda: page.findChild(PurposeDialog) is not None)
    dialog = page.findChild(PurposeDialog)
    assert dialog is not None
    return dialog


def _declare(dialog: PurposeDialog, case: str = CASE) -> None:
    dialog.purpose_combo.setCurrentIndex(dialog.purpose_combo.findText(PURPOSE))
    dialog.case_edit.setText(case)
    dialog.ok_button.click()  # type: ignore[attr-defined]


Search = Callable[[str], SearchPage]


@pytest.fixture
def searched(qtbot: QtBot, gui: GuiContext, detective: Actor, show: Show) -> Search:
    def run(pattern: str) -> SearchPage:
        page = SearchPage(gui, detective)
        show(page)
        page.pattern_edit.setText(pattern)
        page.submit()
        _declare(_dialog(qtbot, gui, page))
        wait_idle(qtbot, gui)
        return page

    return run


def test_a_search_shows_ranked_rows_with_reasons(gui: GuiContext, searched: Search) -> None:
    page = searched("7AB*2*")
    model = page.model
    plates = [model.result_at(r).plate_text for r in range(model.rowCount())]
    assert plates == ["7ABC123", "7ABX12", "7A8C123"]
    assert [model.index(r, 0).data() for r in range(3)] == ["exact", "exact", "other reading"]
    assert "second reading 7ABC123" in model.index(2, 0).data(0x0003)  # ToolTipRole
    assert not page.running and not page.busy.isVisibleTo(page)
    [record] = _records(gui, "search_reads")
    assert (record.purpose, record.case_number, record.outcome) == (PURPOSE, CASE, "ok")
    assert '"pattern":"7AB*2*"' in (record.query or "")
    assert "3 read(s) match" in page.count_label.text()
    # Each row shows its crop beside the plate, decoded and scaled to the thumbnail size.
    for row in range(3):
        image = model.index(row, PLATE_COLUMN).data(Qt.ItemDataRole.DecorationRole)
        assert isinstance(image, QImage) and not image.isNull()
        assert image.width() <= THUMBNAIL.width() and image.height() <= THUMBNAIL.height()
    assert model.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is None


def test_the_purpose_dialog_has_no_default_and_needs_both(
    qtbot: QtBot, gui: GuiContext, detective: Actor, show: Show
) -> None:
    page = SearchPage(gui, detective)
    show(page)
    page.pattern_edit.setText("7ABC123")
    page.submit()
    dialog = _dialog(qtbot, gui, page)
    assert dialog.purpose_combo.currentIndex() == -1 and dialog.purpose_combo.currentText() == ""
    assert dialog.purpose_combo.count() >= 1 and dialog.purpose_combo.findText(PURPOSE) >= 0
    assert dialog.case_edit.text() == ""
    assert not dialog.ok_button.isEnabled()  # type: ignore[attr-defined]
    dialog.case_edit.setText(CASE)
    assert not dialog.ok_button.isEnabled()  # type: ignore[attr-defined]
    dialog.case_edit.setText("")
    dialog.purpose_combo.setCurrentIndex(0)
    assert not dialog.ok_button.isEnabled()  # type: ignore[attr-defined]
    dialog.case_edit.setText("  ")
    assert not dialog.ok_button.isEnabled()  # type: ignore[attr-defined]
    dialog.case_edit.setText(CASE)
    assert dialog.ok_button.isEnabled()  # type: ignore[attr-defined]
    dialog.reject()
    wait_idle(qtbot, gui)
    assert _records(gui, "search_reads") == []  # cancelled: nothing ran
    # Next time: the case is remembered for the session, the purpose never.
    page.submit()
    _declare(_dialog(qtbot, gui, page))
    wait_idle(qtbot, gui)
    page.submit()
    again = _dialog(qtbot, gui, page)
    assert again.case_edit.text() == CASE
    assert again.purpose_combo.currentIndex() == -1
    assert not again.ok_button.isEnabled()  # type: ignore[attr-defined]
    again.reject()


def test_selecting_a_row_opens_the_read_and_records_it(
    qtbot: QtBot, gui: GuiContext, searched: Search
) -> None:
    page = searched("7AB*2*")
    assert _records(gui, "open_read") == []  # thumbnails come with the search, no read opened
    page.table.selectRow(2)
    wait_idle(qtbot, gui)
    loaded = page.detail.loaded
    assert loaded is not None and loaded.opened.result.plate_text == "7A8C123"
    assert not loaded.crop.isNull()
    assert page.detail.plate.text() == "7A8C123"
    assert "second reading 7ABC123" in page.detail.reason.text()
    assert "7ABC123 (50%)" in page.detail.values["alternatives"].text()
    [record] = _records(gui, "open_read")
    assert record.query == f'{{"read":{loaded.opened.result.read_id}}}'
    assert (record.purpose, record.case_number) == (PURPOSE, CASE)


def test_a_bad_pattern_shows_the_error_live_and_runs_nothing(
    qtbot: QtBot, gui: GuiContext, detective: Actor, show: Show
) -> None:
    page = SearchPage(gui, detective)
    show(page)
    page.pattern_edit.setText("**")
    assert page.pattern_label.objectName() == "errorLabel"
    assert page.pattern_label.text()
    assert not page.search_button.isEnabled()
    page.pattern_edit.setText("7A$")
    assert page.pattern_label.objectName() == "errorLabel"
    page.submit()
    wait_idle(qtbot, gui)
    assert page.findChild(PurposeDialog) is None
    assert _records(gui, "search_reads") == []
    page.pattern_edit.setText("7AB*")
    assert page.pattern_label.objectName() == "muted"
    assert page.search_button.isEnabled()
    page.filter_bar.near_edit.setText("38.5, nowhere")
    page.submit()
    assert "radius" in page.error_label.text()
    assert page.findChild(PurposeDialog) is None


def test_later_pages_are_fetched_lazily_each_recorded(
    qtbot: QtBot, gui: GuiContext, searched: Search, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_page_module, "PAGE_SIZE", 2)
    page = searched("7*1*")
    assert page.model.total == 4
    # The view asks for the next page itself once it has room for it; ask in case not.
    if page.model.canFetchMore():
        page.model.fetchMore()
    qtbot.waitUntil(lambda: page.model.rowCount() == 4)
    wait_idle(qtbot, gui)
    assert not page.model.canFetchMore()
    records = _records(gui, "search_reads")
    assert [r.case_number for r in records] == [CASE, CASE]
    assert '"offset":2' in (records[1].query or "")


def _set(edit: object, value: dt.datetime) -> None:
    edit.setDateTime(QDateTime(value.astimezone().replace(tzinfo=None)))  # type: ignore[attr-defined]


def test_canvass_shows_plates_grouped(
    qtbot: QtBot, gui: GuiContext, detective: Actor, show: Show
) -> None:
    gui.services.ingest.store([_read(7, "7ABC123", minutes=30, camera="North gate")])
    page = CanvassPage(gui, detective)
    show(page)
    page.centre_edit.setText(f"{SCENE[0]}, {SCENE[1]}")
    page.radius_spin.setValue(500)
    _set(page.since_edit, T0)
    _set(page.until_edit, T0 + dt.timedelta(hours=3))
    page.submit()
    _declare(_dialog(qtbot, gui, page))
    wait_idle(qtbot, gui)
    model = page.model
    rows = {model.index(r, 0).data(): r for r in range(model.rowCount())}
    assert set(rows) == {"7ABC123", "7A8C123", "7ABX12", "9QQQ999"}  # not 1.1 km away
    assert model.index(0, 0).data() == "7ABC123"
    assert model.index(0, 1).data() == "2" and model.index(0, 4).data() == "North gate"
    assert model.index(0, 5).data() == "0 m"
    [record] = _records(gui, "canvass")
    assert (record.purpose, record.case_number) == (PURPOSE, CASE)
    assert "4 plate(s) in 5 read(s)" in page.summary.text()
    # A hold on the top plate: every read of it in the canvass's window.
    assert not page.hold_button.isEnabled()
    page.table.selectRow(0)
    assert page.hold_button.isEnabled()
    page.hold_button.click()
    wait_idle(qtbot, gui)
    dialog = page.hold_dialog
    assert isinstance(dialog, RequestHoldDialog)
    assert (dialog.plate_edit.text(), dialog.case_edit.text()) == ("7ABC123", CASE)
    assert aware(dialog.start_edit) == T0 and aware(dialog.end_edit) == T0 + dt.timedelta(hours=3)
    dialog.purpose_combo.setCurrentIndex(dialog.purpose_combo.findText(PURPOSE))
    dialog.reason_edit.setPlainText("Seen at the scene twice")
    dialog.submit()
    wait_idle(qtbot, gui)
    [hold] = gui.services.evidence.list_holds(detective)
    assert hold.read_count == 2


def test_a_bad_canvass_runs_nothing(
    qtbot: QtBot, gui: GuiContext, detective: Actor, show: Show
) -> None:
    page = CanvassPage(gui, detective)
    show(page)
    page.centre_edit.setText("here")
    page.submit()
    wait_idle(qtbot, gui)
    assert "latitude, longitude" in page.error_label.text()
    assert page.findChild(PurposeDialog) is None and _records(gui, "canvass") == []


def test_pages_are_for_investigators_not_dispatchers(gui: GuiContext, detective: Actor) -> None:
    admin = gui.application.services.auth.login("admin", "Chief-Passphrase-2026").actor
    dispatcher = create_active_user(gui.application, admin, "disp.one", [Role.DISPATCHER])
    keys = [spec.key for spec in pages_for(dispatcher)]
    assert "search" not in keys and "canvass" not in keys
    assert {"search", "canvass"} <= {spec.key for spec in pages_for(detective)}


def test_cancel_drops_the_answer_but_the_search_stays_recorded(
    qtbot: QtBot, gui: GuiContext, detective: Actor, show: Show
) -> None:
    page = SearchPage(gui, detective)
    show(page)
    page.pattern_edit.setText("7AB*")
    page.submit()
    _declare(_dialog(qtbot, gui, page))
    assert page.running and page.busy.isVisible() and not page.search_button.isEnabled()
    page.cancel()
    wait_idle(qtbot, gui)
    assert not page.running and page.model.rowCount() == 0
    assert "Cancelled" in page.count_label.text() and page.search_button.isEnabled()
    assert len(_records(gui, "search_reads")) == 1


def test_a_pattern_the_index_cannot_serve_is_flagged_as_slow(
    gui: GuiContext, detective: Actor, show: Show
) -> None:
    page = SearchPage(gui, detective)
    show(page)
    page.pattern_edit.setText("7ab*12")
    assert "index cannot help" not in page.pattern_label.text()
    page.pattern_edit.setText("*77*7")  # the plate dictionary serves it
    assert "index cannot help" not in page.pattern_label.text()
    page.pattern_edit.setText("*7?7*")
    assert "index cannot help" in page.pattern_label.text()
    assert page.search_button.isEnabled()  # slow, not refused


def test_a_hold_is_requested_on_the_listed_reads(
    qtbot: QtBot, gui: GuiContext, searched: Search, detective: Actor
) -> None:
    page = searched("7AB*2*")
    assert page.hold_button.isVisibleTo(page) and page.hold_button.isEnabled()
    page.hold_button.click()
    wait_idle(qtbot, gui)
    dialog = page.hold_dialog
    assert isinstance(dialog, RequestHoldDialog)
    ids = [page.model.result_at(r).read_id for r in range(3)]
    assert dialog.case_edit.text() == CASE  # the search's case
    assert dialog.ids_edit.text() == ", ".join(map(str, ids))
    assert dialog.purpose_combo.currentIndex() == -1  # never pre-filled
    dialog.purpose_combo.setCurrentIndex(dialog.purpose_combo.findText(PURPOSE))
    dialog.reason_edit.setPlainText("Vehicles matching the witness's partial plate")
    dialog.submit()
    wait_idle(qtbot, gui)
    [hold] = gui.services.evidence.list_holds(detective)
    assert (hold.case_number, hold.read_count) == (CASE, 3)
