"""The idle watcher behind the auto-lock (policy 471.6(a)): input reaching any top-level
window — one opened after the watch began included — holds the lock off; without input
it fires once the timeout has passed."""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from alpr_desktop.gui.idle import IdleWatcher


def _keep_busy(qtbot: QtBot, widget: QWidget, seconds: float) -> None:
    """Move the mouse over ``widget``'s window every 50 ms for ``seconds``."""
    handle = widget.windowHandle()
    assert handle is not None
    end, x = time.monotonic() + seconds, 1
    while time.monotonic() < end:
        x = 1 + (x + 7) % 150
        QTest.mouseMove(handle, QPoint(x, 10))
        qtbot.wait(50)


def test_input_in_any_window_holds_the_lock_off(qtbot: QtBot) -> None:
    main = QWidget()
    qtbot.addWidget(main)
    main.resize(200, 100)
    main.show()
    watcher = IdleWatcher(400)
    fired: list[float] = []
    watcher.idle.connect(lambda: fired.append(time.monotonic()))
    watcher.start()
    try:
        _keep_busy(qtbot, main, 1.0)
        assert fired == []  # 1 s of input outlasted a 0.4 s timeout
        later = QDialog()  # a window opened after the watch began
        qtbot.addWidget(later)
        later.resize(200, 100)
        later.show()
        watcher.watch_windows()  # as the focus change or the sweep does
        _keep_busy(qtbot, later, 1.0)
        assert fired == []
        quiet = time.monotonic()
        qtbot.waitUntil(lambda: bool(fired), timeout=3000)
        assert fired[0] - quiet >= 0.3
    finally:
        watcher.stop()
