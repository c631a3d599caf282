"""What the screenshot scripts share: where they write, the window size, and waiting
for the GUI to settle before a widget is grabbed (``tools/screenshots.py``)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from alpr_desktop.gui.context import GuiContext

ROOT = Path(__file__).resolve().parents[1]
#: Every main-window screenshot is taken at the size the pages are laid out to fit.
WINDOW_SIZE = (1280, 720)


def settle(app: QApplication, gui: GuiContext) -> None:
    """Process events until the background worker is idle and callbacks have run."""
    for _ in range(3000):
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()
        if not gui.background.busy:
            break
    app.processEvents()


def save(app: QApplication, gui: GuiContext, widget: QWidget, path: Path) -> None:
    widget.show()
    settle(app, gui)
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def pump(seconds: float) -> None:
    """Run the event loop for ``seconds`` (video and reads arrive meanwhile)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        loop = QEventLoop()
        QTimer.singleShot(50, loop.quit)
        loop.exec()
