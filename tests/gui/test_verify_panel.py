"""The Audit page's VerifyPanel, offscreen, on a real SQLite database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select, text

from alpr_desktop.app import Application
from alpr_desktop.gui.audit.verify_panel import VerifyPanel
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.services.audit_checkpoints import read_checkpoint_file
from alpr_desktop.services.base import Actor
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_admin
from tests.gui.conftest import wait_idle
from tests.integration.test_audit_chain import _fill


@pytest.fixture
def admin(gui: GuiContext) -> Actor:
    return create_admin(gui.application)


@pytest.fixture
def panel(qtbot: QtBot, gui: GuiContext, admin: Actor) -> Iterator[VerifyPanel]:
    widget = VerifyPanel(gui, admin)
    qtbot.addWidget(widget)
    widget.resize(900, 300)
    widget.show()
    wait_idle(qtbot, gui)
    yield widget
    # The worker threads hold their last job until the next one: let go of the panel's.
    gui.background.run(lambda: None)
    gui.background.run(lambda: None, long=True)
    wait_idle(qtbot, gui)


def _actions(app: Application) -> list[str]:
    with app.database.sessions() as session:
        return list(session.scalars(select(AccessRecord.action).order_by(AccessRecord.seq)))


def test_without_a_key_it_verifies_and_says_so(
    qtbot: QtBot, gui: GuiContext, panel: VerifyPanel
) -> None:
    assert "not configured" in panel.key_label.text()
    assert "none signed yet" in panel.last_label.text()
    assert not panel.sign_button.isEnabled() and not panel.export_button.isEnabled()
    panel.verify_button.click()
    wait_idle(qtbot, gui)
    assert panel.report is not None and panel.report.ok
    assert panel.result_label.objectName() == "okLabel"
    assert panel.result_label.text().startswith(f"Intact: {panel.report.records:,} records")
    assert not panel.progress_bar.isVisible()
    assert "audit_verify" in _actions(gui.application)


def test_sign_and_export_a_checkpoint(
    qtbot: QtBot, gui: GuiContext, panel: VerifyPanel, admin: Actor, tmp_path: Path
) -> None:
    gui.services.checkpoints.create_key(admin)
    panel.refresh_status()
    wait_idle(qtbot, gui)
    assert "this workstation signs with it" in panel.key_label.text()
    assert panel.sign_button.isEnabled() and not panel.export_button.isEnabled()
    panel.sign_button.click()
    wait_idle(qtbot, gui)
    assert "Signed a checkpoint of record #" in panel.result_label.text()
    assert panel.status is not None and panel.status.last is not None
    seq = panel.status.last.seq
    assert f"record #{seq:,}" in panel.last_label.text()
    assert panel.export_button.isEnabled()
    target = tmp_path / "cp.txt"
    panel.export(target)
    wait_idle(qtbot, gui)
    assert f"written to {target}" in panel.result_label.text()
    assert read_checkpoint_file(target).seq == seq
    actions = _actions(gui.application)
    assert "audit_checkpoint_signed" in actions and "audit_checkpoint_exported" in actions


def test_a_broken_link_shows_in_red(qtbot: QtBot, gui: GuiContext, panel: VerifyPanel) -> None:
    _fill(gui.application, 5)
    with gui.application.database.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER access_records_no_update"))
        conn.execute(text("UPDATE access_records SET username = 'nobody' WHERE seq = 3"))
    panel.full_check.setChecked(True)
    panel.verify_button.click()
    wait_idle(qtbot, gui)
    assert panel.report is not None and panel.report.first_broken_seq == 3
    assert panel.result_label.objectName() == "errorLabel"
    assert "BROKEN at record #3" in panel.result_label.text()
    assert "edited" in panel.result_label.text()


def test_cancel_stops_the_walk(qtbot: QtBot, gui: GuiContext, panel: VerifyPanel) -> None:
    _fill(gui.application, 12_000)  # more than two batches of 5,000
    first_batch = threading.Event()

    def progress(done: int, total: int) -> None:  # worker thread
        panel._progress = (done, total)
        first_batch.set()
        assert panel._cancel.wait(10), "the test cancels"

    panel._report_progress = progress  # type: ignore[method-assign]
    panel.verify_button.click()
    assert panel.progress_bar.isVisible() and panel.cancel_button.isEnabled()
    assert not panel.verify_button.isEnabled()
    qtbot.waitUntil(first_batch.is_set, timeout=10_000)
    qtbot.waitUntil(lambda: panel.progress_bar.value() == 5000, timeout=5_000)
    assert panel.progress_bar.maximum() >= 12_000
    panel.cancel_button.click()
    wait_idle(qtbot, gui, timeout=20_000)
    assert panel.report is not None and panel.report.cancelled and not panel.report.ok
    assert panel.report.checked == 5000
    assert "cancelled" in panel.result_label.text()
    assert panel.verify_button.isEnabled()
    with gui.application.database.sessions() as session:
        outcome = session.scalars(
            select(AccessRecord.outcome).where(AccessRecord.action == "audit_verify")
        ).one()
    assert outcome == "cancelled"


def test_a_due_checkpoint_is_signed_by_the_panel(
    qtbot: QtBot, gui: GuiContext, panel: VerifyPanel, admin: Actor
) -> None:
    panel._periodic.timeout.emit()  # no key: nothing to sign, nothing said
    wait_idle(qtbot, gui)
    assert panel.status is not None and panel.status.last is None
    gui.services.checkpoints.create_key(admin)
    panel._periodic.timeout.emit()  # a key and no checkpoint yet: one is due
    wait_idle(qtbot, gui)
    qtbot.waitUntil(lambda: panel.status is not None and panel.status.last is not None)
    assert "record #" in panel.last_label.text()
    assert "audit_checkpoint_signed" in _actions(gui.application)
