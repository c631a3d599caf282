"""Export… on the Search page, offscreen, on a real SQLite database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from alpr_desktop.core.packages import verify_package
from alpr_desktop.core.roles import Role
from alpr_desktop.gui import export_bar
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.search import SearchPage
from alpr_desktop.gui.search.export import default_name
from alpr_desktop.gui.search.purpose import PurposeDialog
from alpr_desktop.services import search as search_module
from alpr_desktop.services.base import Actor
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle
from tests.integration.ingest_helpers import jpeg, placed_read

PURPOSE = "Criminal investigation"
CASE = "26/004711"


@pytest.fixture
def detective(gui: GuiContext) -> Actor:
    app = gui.application
    admin = create_admin(app)
    reads = [
        placed_read(1, "7ABC123", tag="export-page"),
        placed_read(2, "7ABX12", tag="export-page", minutes=5, confidence=0.7),
        placed_read(3, "9QQQ999", tag="export-page", minutes=9),
    ]
    reads[0] = dataclasses.replace(reads[0], context=jpeg(77, 320, 240))
    app.services.ingest.store(reads)
    return create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])


@pytest.fixture
def page(qtbot: QtBot, gui: GuiContext, detective: Actor) -> Iterator[SearchPage]:
    """The page, kept alive until the worker threads let go of its jobs (see
    ``test_search_page.show``)."""
    widget = SearchPage(gui, detective)
    qtbot.addWidget(widget)
    widget.resize(1100, 640)
    widget.show()
    wait_idle(qtbot, gui)
    yield widget
    gui.background.run(lambda: None)
    gui.background.run(lambda: None, long=True)
    wait_idle(qtbot, gui)


def _search(qtbot: QtBot, gui: GuiContext, page: SearchPage, pattern: str) -> None:
    page.pattern_edit.setText(pattern)
    page.submit()
    wait_idle(qtbot, gui)
    qtbot.waitUntil(lambda: page.findChild(PurposeDialog) is not None)
    dialog = page.findChild(PurposeDialog)
    assert dialog is not None
    dialog.purpose_combo.setCurrentIndex(dialog.purpose_combo.findText(PURPOSE))
    dialog.case_edit.setText(CASE)
    dialog.ok_button.click()  # type: ignore[attr-defined]
    wait_idle(qtbot, gui)


def _records(gui: GuiContext) -> list[AccessRecord]:
    with gui.application.database.sessions() as session:
        return list(
            session.scalars(select(AccessRecord).where(AccessRecord.action == "export_reads"))
        )


def _save_as(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[str]:
    """Answer the file dialog with ``path``; the suggested names are collected."""
    suggested: list[str] = []

    def answer(_parent: Any, _title: str, name: str, _filter: str) -> tuple[str, str]:
        suggested.append(name)
        return str(path), "Zip packages (*.zip)"

    monkeypatch.setattr(export_bar.QFileDialog, "getSaveFileName", answer)
    return suggested


def test_the_default_name_is_safe_for_a_file() -> None:
    assert default_name("26/004711", dt.date(2026, 6, 1)) == "search-26-004711-2026-06-01.zip"
    assert default_name(" ../ ", dt.date(2026, 6, 1)) == "search-case-2026-06-01.zip"


def test_export_from_the_page_writes_a_package_that_verifies(
    qtbot: QtBot,
    gui: GuiContext,
    page: SearchPage,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bar = page.export_bar
    assert not bar.export_button.isEnabled()  # no search yet
    _search(qtbot, gui, page, "QQQ*1")
    assert page.model.total == 0 and not bar.export_button.isEnabled()
    _search(qtbot, gui, page, "7AB*")
    assert page.model.total == 2 and bar.export_button.isEnabled()
    target = tmp_path / "chosen"  # no suffix: .zip is added
    suggested = _save_as(monkeypatch, target)
    bar.export_button.click()
    qtbot.waitUntil(lambda: bar.message is not None, timeout=10_000)
    wait_idle(qtbot, gui)
    assert Path(suggested[0]).name == f"search-26-004711-{dt.date.today().isoformat()}.zip"
    written = tmp_path / "chosen.zip"
    assert verify_package(written).ok
    with zipfile.ZipFile(written) as archive:
        names = set(archive.namelist())
    assert {"reads.csv", "reads.json", "manifest.json"} <= names
    assert sum(n.startswith("crops/") for n in names) == 2
    assert sum(n.startswith("context/") for n in names) == 1
    assert bar.message is not None
    text = bar.message.text()
    assert "2 read(s) and 3 image(s)" in text and str(written) in text
    # Under the search session's purpose and case, asked once (no second dialog).
    [record] = _records(gui)
    assert (record.purpose, record.case_number, record.outcome) == (PURPOSE, CASE, "ok")
    assert '"export":"chosen.zip"' in (record.query or "")
    assert f"access record {record.id}" in text
    assert not bar.running and not bar.progress_bar.isVisibleTo(bar)
    bar.message.close()


def test_cancel_leaves_no_file(
    qtbot: QtBot,
    gui: GuiContext,
    page: SearchPage,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _search(qtbot, gui, page, "7AB*")
    bar = page.export_bar
    gate = threading.Event()
    run = search_module.ranked_reads

    def held(*args: object, **kwargs: object) -> object:
        gate.wait(10)  # until the test has pressed Cancel
        return run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(search_module, "ranked_reads", held)
    out = tmp_path / "out"
    out.mkdir()
    _save_as(monkeypatch, out / "x.zip")
    bar.export_button.click()
    assert bar.running and bar.cancel_button.isVisibleTo(bar)
    assert not bar.export_button.isEnabled()
    bar.cancel_button.click()
    gate.set()
    qtbot.waitUntil(lambda: bar.message is not None, timeout=10_000)
    wait_idle(qtbot, gui)
    assert bar.message is not None
    assert bar.message.windowTitle() == "Export cancelled"
    assert "no file was written" in bar.message.text()
    assert list(out.iterdir()) == []
    assert [r.outcome for r in _records(gui)] == ["ok"]  # the reads were looked at
    assert bar.export_button.isEnabled()
    bar.message.close()
