"""The Audit page, offscreen, on a real SQLite database: filter, page, open, export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from alpr_desktop.core.roles import Role
from alpr_desktop.gui import export_bar
from alpr_desktop.gui.audit.verify_panel import VerifyPanel
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages import audit as audit_page_module
from alpr_desktop.gui.pages import pages_for
from alpr_desktop.gui.pages.audit import AuditPage
from alpr_desktop.services.base import Actor
from alpr_desktop.services.search import SearchRequest
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle

PURPOSE = "Criminal investigation"


class People:
    def __init__(self, supervisor: Actor, detective: Actor) -> None:
        self.supervisor, self.detective = supervisor, detective


@pytest.fixture
def people(gui: GuiContext) -> People:
    app = gui.application
    admin = create_admin(app)
    supervisor = create_active_user(app, admin, "sup.one", [Role.SUPERVISOR])
    detective = create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])
    app.services.search.search(detective, SearchRequest("7abc 123", PURPOSE, "26-000001"))
    app.services.search.search(detective, SearchRequest("9QQQ999", PURPOSE, "26-000002"))
    return People(supervisor, detective)


@pytest.fixture
def page(qtbot: QtBot, gui: GuiContext, people: People) -> Iterator[AuditPage]:
    """The page shown (its first view loaded); the workers let go of it at the end."""
    widget = AuditPage(gui, people.supervisor)
    qtbot.addWidget(widget)
    widget.resize(1280, 760)
    widget.show()
    wait_idle(qtbot, gui)
    yield widget
    gui.background.run(lambda: None)
    gui.background.run(lambda: None, long=True)
    wait_idle(qtbot, gui)


def _records(gui: GuiContext, action: str) -> list[AccessRecord]:
    with gui.application.database.sessions() as session:
        return list(
            session.scalars(
                select(AccessRecord).where(AccessRecord.action == action).order_by(AccessRecord.seq)
            )
        )


def _actions(page: AuditPage) -> list[tuple[str, str]]:
    model = page.model
    return [(model.row_at(r).username, model.row_at(r).action) for r in range(model.rowCount())]


def _apply(qtbot: QtBot, gui: GuiContext, page: AuditPage) -> None:
    page.filter_bar.apply_button.click()
    wait_idle(qtbot, gui)


def test_the_page_is_listed_for_supervisors_only(people: People) -> None:
    assert "audit" in [spec.key for spec in pages_for(people.supervisor)]
    assert "audit" not in [spec.key for spec in pages_for(people.detective)]


def test_first_shown_it_lists_the_newest_records_as_a_recorded_view(
    gui: GuiContext, page: AuditPage
) -> None:
    [view] = _records(gui, "audit_view")
    assert view.username == "sup.one" and view.query == "{}"
    model = page.model
    assert model.rowCount() > 5
    assert model.row_at(0).id == view.id  # the view itself is the newest record
    seqs = [model.row_at(r).seq for r in range(model.rowCount())]
    assert seqs == sorted(seqs, reverse=True)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "#"
    assert f"record id {view.id}" in page.count_label.text()
    assert isinstance(page.findChild(VerifyPanel), VerifyPanel)


def test_filters_give_the_rows_and_bad_ones_say_why(
    qtbot: QtBot, gui: GuiContext, page: AuditPage
) -> None:
    bar = page.filter_bar
    bar.plate_edit.setText("7ABC-123")
    bar.user_edit.setText("det.one")
    _apply(qtbot, gui, page)
    assert _actions(page) == [("det.one", "search_reads")]
    row = page.model.row_at(0)
    assert (row.case_number, row.purpose) == ("26-000001", PURPOSE)
    cells = [page.model.index(0, c).data() for c in range(page.model.columnCount())]
    assert cells[0] == str(row.seq) and cells[2] == "det.one" and cells[7] == "26-000001"
    assert "1 record(s) fit" in page.count_label.text()
    views = _records(gui, "audit_view")
    assert json.loads(views[-1].query) == {"plate": "7ABC123", "user": "det.one"}
    # A bad filter is refused at once, on the page; nothing runs or is recorded.
    bar.plate_edit.setText("7*")
    _apply(qtbot, gui, page)
    assert "needs 3–16 letters or digits" in page.error_label.text()
    assert len(_records(gui, "audit_view")) == len(views)
    assert _actions(page) == [("det.one", "search_reads")]  # the last view stays
    # Clear: every record again, a view of its own.
    bar.clear_button.click()
    wait_idle(qtbot, gui)
    assert bar.plate_edit.text() == "" and page.error_label.text() == ""
    assert page.model.rowCount() > 5
    assert len(_records(gui, "audit_view")) == len(views) + 1


def test_later_pages_continue_the_view(
    qtbot: QtBot, gui: GuiContext, page: AuditPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_page_module, "PAGE_SIZE", 3)
    # Room for one row only: the table view would otherwise fetch further pages itself
    # to fill an empty viewport, sooner or later depending on timing.
    page.table.setFixedHeight(page.table.horizontalHeader().height() + 30)
    _apply(qtbot, gui, page)
    views = len(_records(gui, "audit_view"))
    model = page.model
    assert model.loaded == 3 and model.canFetchMore()
    total = model.total
    assert total is not None and total > 6
    while model.canFetchMore():
        model.fetchMore()
        wait_idle(qtbot, gui)
    assert model.loaded == total
    assert len(_records(gui, "audit_view")) == views  # no new record per page
    ids = [model.row_at(r).id for r in range(model.rowCount())]
    assert len(set(ids)) == len(ids)


def test_opening_a_record_shows_its_query_pretty_and_its_hashes(
    qtbot: QtBot, gui: GuiContext, page: AuditPage
) -> None:
    page.filter_bar.case_edit.setText("26-000001")
    _apply(qtbot, gui, page)
    assert _actions(page) == [("det.one", "search_reads")]
    page.table.selectRow(0)
    wait_idle(qtbot, gui)
    [search] = [r for r in _records(gui, "search_reads") if r.case_number == "26-000001"]
    detail = page.detail
    assert detail.entry is not None and detail.body.isVisibleTo(page)
    shown = detail.query_view.toPlainText()
    assert '\n  "pattern": "7abc 123",\n' in shown
    assert json.loads(shown) == json.loads(search.query)
    assert detail.values["record_hash"].text() == search.record_hash
    assert detail.values["prev_hash"].text() == search.prev_hash
    assert detail.values["case"].text() == "26-000001"
    assert f"#{search.seq}" in detail.heading.text()
    [opened] = _records(gui, "audit_open")
    assert opened.target_id == str(search.id) and opened.username == "sup.one"


def _save_as(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    def answer(_parent: Any, _title: str, _name: str, _filter: str) -> tuple[str, str]:
        return str(path), _filter

    monkeypatch.setattr(export_bar.QFileDialog, "getSaveFileName", answer)


def _wait_message(qtbot: QtBot, gui: GuiContext, page: AuditPage) -> str:
    wait_idle(qtbot, gui)
    qtbot.waitUntil(lambda: page.export_bar.message is not None)
    message = page.export_bar.message
    assert message is not None
    return message.text()


def test_export_csv_and_pdf_with_their_records(
    qtbot: QtBot,
    gui: GuiContext,
    page: AuditPage,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bar = page.export_bar
    page.filter_bar.user_edit.setText("det.one")
    page.filter_bar.category_combo.setCurrentText("data")
    _apply(qtbot, gui, page)
    assert bar.csv_button.isEnabled() and bar.pdf_button.isEnabled()
    target = tmp_path / "trail"  # the suffix is added
    _save_as(monkeypatch, target)
    bar.csv_button.click()
    text = _wait_message(qtbot, gui, page)
    written = tmp_path / "trail.csv"
    assert "2 record(s) exported" in text and str(written) in text
    rows = list(csv.DictReader(io.StringIO(written.read_text(encoding="utf-8-sig"))))
    assert [r["case_number"] for r in rows] == ["26-000002", "26-000001"]
    [export] = _records(gui, "audit_export")
    assert json.loads(export.query) == {
        "filters": {"category": "data", "user": "det.one"},
        "format": "csv",
    }
    assert f"access record {export.id}" in text
    assert not bar.progress_bar.isVisibleTo(page)

    pdfium = pytest.importorskip("pypdfium2")
    _save_as(monkeypatch, tmp_path / "trail.pdf")
    bar.message = None
    bar.pdf_button.click()
    text = _wait_message(qtbot, gui, page)
    assert "2 record(s) exported" in text
    document = pdfium.PdfDocument(str(tmp_path / "trail.pdf"))
    try:
        assert len(document) >= 1
        words = "".join(document[0].get_textpage().get_text_range().split())
    finally:
        document.close()
    assert "Accesstrail" in words and "26-000001" in words and "det.one" in words
    assert [json.loads(r.query)["format"] for r in _records(gui, "audit_export")] == [
        "csv",
        "pdf",
    ]


def test_nothing_to_export_before_a_view_has_records(
    qtbot: QtBot, gui: GuiContext, page: AuditPage
) -> None:
    page.filter_bar.user_edit.setText("nobody")
    _apply(qtbot, gui, page)
    assert page.model.rowCount() == 0
    assert "No records fit" in page.count_label.text()
    assert not page.export_bar.csv_button.isEnabled()
