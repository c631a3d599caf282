"""An unexpected database error reaches the user without its SQL or parameters."""

from __future__ import annotations

import logging

import pytest
from pytestqt.qtbot import QtBot

from alpr_desktop.errors import DATABASE_ERROR, AlprError, StorageError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.storage.models import SettingRow

SECRET = "typed-into-the-wrong-field-Passw0rd"


def _duplicate_setting(gui: GuiContext) -> None:
    """A real driver error whose text quotes the INSERT and the value typed."""
    with gui.application.database.sessions.begin() as session:
        session.add(SettingRow(key="argon2", value=SECRET))


def test_unhandled_database_error_is_generic(
    qtbot: QtBot, gui: GuiContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with qtbot.waitSignal(gui.background.failed, timeout=10_000) as blocker:
        gui.background.run(lambda: _duplicate_setting(gui))
    (message,) = blocker.args
    assert message == DATABASE_ERROR
    assert "INSERT" not in message and SECRET not in message
    assert SECRET not in caplog.text, "the parameters are never logged"
    assert "settings" in caplog.text, "the statement is, at debug level"


def test_handled_database_error_is_a_storage_error(qtbot: QtBot, gui: GuiContext) -> None:
    errors: list[AlprError] = []
    gui.background.run(lambda: _duplicate_setting(gui), on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    assert isinstance(errors[0], StorageError) and str(errors[0]) == DATABASE_ERROR


def test_a_long_job_does_not_hold_up_ordinary_ones(qtbot: QtBot, gui: GuiContext) -> None:
    import threading

    release = threading.Event()
    done: list[str] = []
    gui.background.run(lambda: release.wait(30), on_done=lambda _r: done.append("long"), long=True)
    gui.background.run(lambda: "load", on_done=done.append)
    qtbot.waitUntil(lambda: done == ["load"], timeout=5_000)  # while the long one runs
    assert gui.background.busy
    release.set()
    qtbot.waitUntil(lambda: done == ["load", "long"], timeout=5_000)
    qtbot.waitUntil(lambda: not gui.background.busy, timeout=5_000)
