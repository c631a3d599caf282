"""The Retention and Evidence holds pages, offscreen, on a real SQLite database."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
import shiboken6
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from alpr_desktop.core.packages import verify_package
from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.maintenance import MaintenanceScheduler
from alpr_desktop.gui.pages import PAGES
from alpr_desktop.gui.pages.holds import HoldsPage, RequestHoldDialog
from alpr_desktop.gui.pages.retention import RetentionDialog, RetentionPage
from alpr_desktop.gui.pages.user_dialogs import ActionDialog, ServiceDialog
from alpr_desktop.services.base import Actor
from alpr_desktop.storage.models import HoldStatus, PlateRead, PurgeLog
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle
from tests.integration.retention_helpers import aged_read, read_ids

P = TypeVar("P", bound=QWidget)


@pytest.fixture
def admin(gui: GuiContext) -> Actor:
    admin = create_admin(gui.application)
    gui.application.services.ingest.store(
        [
            aged_read(0, "7OLD000", days_old=400),
            aged_read(1, "7OLD001", days_old=380),
            aged_read(2, "7NEW002", days_old=3),
        ]
    )
    return admin


@contextmanager
def shown(qtbot: QtBot, gui: GuiContext, page: P) -> Iterator[P]:
    """``page`` shown and loaded; its jobs finished afterwards."""
    qtbot.addWidget(page)
    page.resize(1100, 650)
    page.show()
    wait_idle(qtbot, gui)
    yield page
    page.hide()
    gui.background.run(lambda: None)
    wait_idle(qtbot, gui)


def _reads(gui: GuiContext) -> int:
    with gui.application.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(PlateRead)) or 0)


def test_pages_are_listed_for_the_roles_that_use_them(gui: GuiContext, admin: Actor) -> None:
    app = gui.application
    detective = create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])
    commander = create_active_user(app, admin, "cmdr.one", [Role.COMMANDER])
    keys = {a: {s.key for s in PAGES if s.allowed(a)} for a in (admin, detective, commander)}
    assert "retention" in keys[admin] and "retention" in keys[commander]
    assert "holds" in keys[detective] and "holds" not in keys[commander]
    assert "retention" not in keys[detective]


def test_retention_page_sets_period_only_with_reason_under_365(
    qtbot: QtBot, gui: GuiContext, admin: Actor
) -> None:
    commander = create_active_user(gui.application, admin, "cmdr.one", [Role.COMMANDER])
    with shown(qtbot, gui, RetentionPage(gui, commander)) as page:
        assert page.period_label.text() == "365 days"
        assert page.oldest_label.text().startswith(f"{dt.date.today() - dt.timedelta(days=400)}")
        assert page.next_run_label.text().startswith("Not scheduled by this window")
        assert not page.purge_button.isVisible()  # the commander does not run purges
        page.change_button.click()
        dialog = page.active_dialog
        assert isinstance(dialog, RetentionDialog)
        dialog.days_spin.setValue(200)
        assert dialog.confirm_box.isVisible() and not dialog.ok_button.isEnabled()
        dialog.confirm_box.setChecked(True)
        assert not dialog.ok_button.isEnabled()  # still no reason
        dialog.submit()  # past the disabled button: the service refuses it
        wait_idle(qtbot, gui)
        assert dialog.isVisible()
        assert "needs an explicit confirmation and a reason" in dialog.error_label.text()
        assert gui.services.settings.current().retention_days == 365  # nothing changed
        dialog.reason_edit.setPlainText("County counsel: 200 days for the pilot cameras")
        assert dialog.ok_button.isEnabled()
        dialog.ok_button.click()
        wait_idle(qtbot, gui)
        assert closed(dialog)
        assert gui.services.settings.current().retention_days == 200
        qtbot.waitUntil(lambda: page.period_label.text().startswith("200 days"))


def test_retention_preview_and_purge_through_the_real_service(
    qtbot: QtBot, gui: GuiContext, admin: Actor
) -> None:
    gui.maintenance = MaintenanceScheduler(gui.background, gui.services.maintenance)
    with shown(qtbot, gui, RetentionPage(gui, admin)) as page:
        assert page.next_run_label.text() == "Due now: at the next hourly check"
        assert page.table.rowCount() == 0
        page.preview_button.click()
        assert page.running and not page.purge_button.isEnabled()
        wait_idle(qtbot, gui)
        assert page.report is not None and page.report.dry_run
        assert page.report.reads == 2
        text = page.result_label.text()
        assert text == "Preview: " + page.report.summary() and "would purge 2 read(s)" in text
        assert _reads(gui) == 3 and page.table.rowCount() == 0  # nothing deleted, no log
        page.purge_button.click()
        wait_idle(qtbot, gui)
        assert page.report is not None and not page.report.dry_run
        assert "purged 2 read(s)" in page.result_label.text()
        assert _reads(gui) == 1
        wait_idle(qtbot, gui)
        assert page.table.rowCount() == 1
        assert page.table.item(0, 2).text() == "2" and page.table.item(0, 6).text() == "admin"
        with gui.application.database.sessions() as session:
            assert session.scalar(select(PurgeLog.reads_purged)) == 2
        assert page.next_run_label.text().endswith("(a day after the last purge; checked hourly)")


def test_retention_purge_cancel_stops_before_the_next_batch(
    qtbot: QtBot, gui: GuiContext, admin: Actor
) -> None:
    with shown(qtbot, gui, RetentionPage(gui, admin)) as page:
        # Hold the long-job thread so Cancel is pressed before the purge's first batch.
        blocker = threading.Event()
        gui.background.run(blocker.wait, long=True)
        page.purge_button.click()
        assert page.cancel_button.isVisible() and page.progress_bar.isVisible()
        page.cancel_button.click()
        assert not page.cancel_button.isEnabled()
        blocker.set()
        wait_idle(qtbot, gui)
        assert page.report is not None and page.report.stopped and page.report.reads == 0
        assert "the next purge completes it" in page.result_label.text()
        assert not page.progress_bar.isVisible() and page.purge_button.isEnabled()
        assert _reads(gui) == 3


def test_retention_purge_refused_is_shown(qtbot: QtBot, gui: GuiContext, admin: Actor) -> None:
    supervisor = create_active_user(gui.application, admin, "sgt.one", [Role.SUPERVISOR])
    with shown(qtbot, gui, RetentionPage(gui, supervisor)) as page:
        page.purge_now()  # the button is hidden; the service refuses all the same
        wait_idle(qtbot, gui)
        assert page.error_label.isVisible() and page.error_label.text()
        assert _reads(gui) == 3


def closed(dialog: QWidget) -> bool:
    """The dialog was accepted and has gone (it deletes itself when closed)."""
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def _finish(qtbot: QtBot, gui: GuiContext, dialog: ServiceDialog) -> None:
    wait_idle(qtbot, gui)
    assert closed(dialog), dialog.error_label.text()
    wait_idle(qtbot, gui)


def test_holds_request_self_approval_refused_approve_export_release(
    qtbot: QtBot, gui: GuiContext, admin: Actor, tmp_path: Path
) -> None:
    app = gui.application
    # Both roles: may request and decide, but never on their own request.
    detective = create_active_user(app, admin, "det.sgt", [Role.INVESTIGATOR, Role.SUPERVISOR])
    sergeant = create_active_user(app, admin, "sgt.two", [Role.SUPERVISOR])
    with shown(qtbot, gui, HoldsPage(gui, detective)) as page:
        assert page.table.rowCount() == 0
        export = page.export_bar.export_button
        assert export.isVisibleTo(page) and not export.isEnabled()  # nothing approved yet
        page.buttons["request"].click()
        wait_idle(qtbot, gui)
        dialog = page.active_dialog
        assert isinstance(dialog, RequestHoldDialog)
        assert dialog.purpose_combo.currentIndex() == -1  # never pre-filled
        dialog.case_edit.setText("26-018001")
        dialog.reason_edit.setPlainText("Vehicle seen at a burglary")
        dialog.plate_edit.setText("7OLD000")
        dialog.start_edit.setDateTime(dialog.start_edit.dateTime().addDays(-500))
        dialog.submit()
        assert dialog.error_label.text() == "Choose the purpose of the hold."
        dialog.purpose_combo.setCurrentIndex(0)
        dialog.ids_edit.setText("x1")
        dialog.submit()
        assert "whole numbers" in dialog.error_label.text()
        dialog.ids_edit.setText("")
        dialog.submit()
        _finish(qtbot, gui, dialog)
        assert page.table.rowCount() == 1
        assert page.table.item(0, 2).text() == "Requested"
        assert page.table.item(0, 3).text() == "1"
        page.table.selectRow(0)
        page.buttons["approve"].click()
        approve = page.active_dialog
        assert isinstance(approve, ActionDialog)
        approve.ok_button.click()
        wait_idle(qtbot, gui)
        assert approve.isVisible()  # refused: separation of duties, shown in the dialog
        assert "cannot decide on your own" in approve.error_label.text()
        approve.reject()
        [view] = app.services.evidence.list_holds(sergeant)
        assert view.status is HoldStatus.REQUESTED
    with shown(qtbot, gui, HoldsPage(gui, sergeant)) as page:
        assert not page.buttons["request"].isVisible()
        page.table.selectRow(0)
        page.buttons["approve"].click()
        approve = page.active_dialog
        assert isinstance(approve, ActionDialog)
        approve.ok_button.click()
        _finish(qtbot, gui, approve)
        assert page.table.item(0, 2).text() == "Approved"
        assert page.table.item(0, 6).text() == "sgt.two"
        page.table.selectRow(0)
        bar = page.export_bar
        assert bar.export_button.isEnabled()
        bar.export_button.click()
        wait_idle(qtbot, gui)
        export_dialog = bar.dialog
        assert export_dialog is not None and export_dialog.purpose_combo.currentIndex() == -1
        export_dialog.submit()
        assert export_dialog.error_label.text() == "Choose the purpose of the export."
        export_dialog.purpose_combo.setCurrentIndex(0)
        export_dialog.destination_edit.setText("USB drive SN 4C530001")
        export_dialog.path_edit.setText(str(tmp_path / "hold.zip"))
        export_dialog.submit()
        qtbot.waitUntil(lambda: bar.result is not None)
        wait_idle(qtbot, gui)
        assert bar.result is not None and verify_package(bar.result.path).ok
        assert bar.message is not None and bar.result.sha256 in bar.message.text()
        assert bar.result.custody_sheet.exists()
        page.table.selectRow(0)
        page.buttons["release"].click()
        release = page.active_dialog
        assert isinstance(release, ActionDialog) and release.reason_edit is not None
        release.ok_button.click()  # no reason: refused, stays open
        wait_idle(qtbot, gui)
        assert release.isVisible() and release.error_label.text()
        release.reason_edit.setPlainText("Case closed at trial")
        release.ok_button.click()
        _finish(qtbot, gui, release)
        assert page.table.rowCount() == 0  # closed holds hidden by default
        page.closed_box.setChecked(True)
        wait_idle(qtbot, gui)
        assert page.table.rowCount() == 1 and page.table.item(0, 2).text() == "Released"
        page.status_combo.setCurrentText("Approved")
        assert page.table.rowCount() == 0


def test_holds_due_for_review_are_shown(qtbot: QtBot, gui: GuiContext, admin: Actor) -> None:
    app = gui.application
    detective = create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])
    read_id = read_ids(app, ["7OLD000"])["7OLD000"]
    for days, case in ((3, "26-000001"), (120, "26-000002")):
        app.services.evidence.request(
            detective,
            case_number=case,
            reason="Hit and run",
            review_on=dt.date.today() + dt.timedelta(days=days),
            purpose="Criminal investigation",
            read_ids=[read_id],
        )
    with shown(qtbot, gui, HoldsPage(gui, detective)) as page:
        assert page.due_label.isVisible()
        assert page.due_label.text().startswith("1 hold(s) due for review")
        assert "26-000001" in page.due_label.text()
        due = [page.table.item(r, 7).text() for r in range(page.table.rowCount())]
        assert sorted(due, key=len)[-1].endswith("— due") and sum("due" in d for d in due) == 1
