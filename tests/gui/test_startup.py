"""``run_gui`` end to end: the sign-in window comes first, the database opens behind it.

Each test runs the real entry point (``run_gui``, as ``alpr-desktop`` does) with a timer
that watches the top-level dialogs and answers them as a user would.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox

from alpr_desktop.gui.auth_dialogs import LoginDialog, SetupDialog
from alpr_desktop.gui.main import run_gui
from alpr_desktop.settings import LocalConfig

_OK = QDialogButtonBox.StandardButton.Ok


def run_watching(config: LocalConfig, demo: bool, answer: Callable[[QDialog], None]) -> int:
    """Run the GUI; every 10 ms hand each visible dialog to ``answer``."""

    def poll() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                answer(widget)

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(poll)
    timer.start()
    try:
        return run_gui(config, demo=demo)
    finally:
        timer.stop()


def login_state(dialog: LoginDialog) -> tuple[bool, str, bool]:
    ok = dialog.ui.buttonBox.button(_OK)
    return dialog.preparing, ok.text(), ok.isEnabled()


def test_demo_shows_sign_in_first_and_enables_it_once_seeded(
    qapp: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[bool, str, bool]] = []

    def answer(dialog: QDialog) -> None:
        assert isinstance(dialog, LoginDialog), type(dialog)
        seen.append(login_state(dialog))
        if not dialog.preparing:
            dialog.reject()  # Quit

    config = LocalConfig(data_dir=tmp_path / "data")
    assert run_watching(config, True, answer) == 0
    assert seen[0] == (True, "Preparing the demo…", False)
    assert seen[-1] == (False, "Sign in", True)
    out = capsys.readouterr().out
    assert "Demo accounts" in out and "demo.admin" in out
    assert not (tmp_path / "data").exists(), "a demo touches no real data directory"
    assert not (tmp_path / "config").exists(), "nor this workstation's configuration"


def test_quitting_while_the_demo_is_prepared_shuts_down_cleanly(
    qapp: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def answer(dialog: QDialog) -> None:
        assert isinstance(dialog, LoginDialog) and dialog.preparing
        dialog.reject()

    assert run_watching(LocalConfig(data_dir=tmp_path / "data"), True, answer) == 0
    # The worker finished its seeding and the throw-away database was removed (the
    # autouse fixture fails the test if the worker thread were still running).
    assert "Demo accounts" not in capsys.readouterr().out


def test_first_run_opens_behind_the_window_then_asks_for_setup(
    qapp: object, tmp_path: Path
) -> None:
    seen: list[str] = []

    def answer(dialog: QDialog) -> None:
        if isinstance(dialog, LoginDialog):
            assert dialog.preparing, "no sign-in on a database without users"
            seen.append(login_state(dialog)[1])
        else:
            assert isinstance(dialog, SetupDialog)
            seen.append("setup")
            dialog.reject()

    data = tmp_path / "fresh" / "data"
    assert run_watching(LocalConfig(data_dir=data), False, answer) == 0
    assert seen[0] == "Opening the database…" and seen[-1] == "setup"
    database = data / "alpr.sqlite3"
    assert database.exists(), "the GUI's first run creates the database it sets up"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
