"""The maintenance scheduler in the GUI process: the start-up run on the long-job
thread, the hourly check, the stop at shutdown, and ``run_gui`` starting it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import create_engine, func, select

from alpr_desktop.app import open_application
from alpr_desktop.gui.auth_dialogs import LoginDialog
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.maintenance import MaintenanceScheduler
from alpr_desktop.services.maintenance import MaintenanceReport
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.engine import sqlite_url
from alpr_desktop.storage.models import PlateRead, PurgeLog
from tests.conftest import create_admin
from tests.gui.conftest import wait_idle
from tests.gui.test_startup import run_watching
from tests.integration.retention_helpers import aged_read


def _reads(gui: GuiContext) -> int:
    with gui.application.database.sessions() as session:
        return session.scalar(select(func.count()).select_from(PlateRead)) or 0


def test_start_up_run_then_only_when_due(qtbot: QtBot, gui: GuiContext) -> None:
    create_admin(gui.application)
    gui.services.ingest.store([aged_read(0, "7OLD000", days_old=400)])
    scheduler = MaintenanceScheduler(gui.background, gui.services.maintenance, check_ms=50)
    messages: list[str] = []
    gui.bridge.message.connect(lambda m: messages.append(m.text))
    with qtbot.waitSignal(scheduler.finished, timeout=10_000) as blocker:
        scheduler.start()
    report = blocker.args[0]
    assert isinstance(report, MaintenanceReport) and report.purge is not None
    assert report.purge.reads == 1 and _reads(gui) == 0
    wait_idle(qtbot, gui)
    assert any("Scheduled maintenance: Cutoff" in text for text in messages)
    # The hourly check (50 ms here) finds the next run a day away: no second purge.
    qtbot.wait(300)
    scheduler.stop()
    wait_idle(qtbot, gui)
    assert scheduler.checked_at is not None and scheduler.last_report is report
    with gui.application.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PurgeLog)) == 1
    scheduler.start()  # stopped for good: nothing is submitted
    assert not scheduler.running and not gui.background.busy


def test_run_gui_purges_behind_the_sign_in(qapp: object, tmp_path: Path) -> None:
    config = LocalConfig(data_dir=tmp_path / "data")
    application = open_application(config, create=True)
    try:
        create_admin(application)
        application.services.ingest.store([aged_read(0, "7OLD000", days_old=400)])
    finally:
        application.close()
    purged: list[int] = []
    polls: list[int] = []

    def answer(dialog: QDialog) -> None:
        assert isinstance(dialog, LoginDialog)
        if dialog.preparing:
            return
        with engine.connect() as conn:
            rows = list(conn.scalars(select(PurgeLog.reads_purged)))
        polls.append(1)
        if rows and rows[0] == 1:
            purged.extend(rows)
            dialog.reject()
        elif len(polls) > 1500:  # 15 s: give up, so the test fails instead of hanging
            dialog.reject()

    engine = create_engine(sqlite_url(config.data_dir / "alpr.sqlite3"))
    try:
        assert run_watching(config, False, answer) == 0
    finally:
        engine.dispose()
    assert purged == [1]
