"""The part every export bar shares: progress, Cancel, the end message, the save dialog.

An export runs on the long-job thread; the worker writes its progress into a plain
attribute that a timer reads (no widget is touched off the GUI thread), a cancel stops
it between two items and leaves no file, and the end (or the failure) is one message
box opened without blocking the page. Subclasses add their buttons, say when they are
enabled (``ready`` given to :meth:`_lay_out`) and what the work is (:meth:`start`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, QTimer
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QWidget,
)

from alpr_desktop.core.packages import PackageCancelled
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.services.base import Actor

#: What the worker reports: items done and the total (worker thread: no widgets).
Progress = Callable[[int, int], None]


class ExportBarBase(QWidget):
    """Progress bar, Cancel and the end message of a background export."""

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gui, self.actor = gui, actor
        self.running = False
        #: The last message shown (the end of an export), for the tests.
        self.message: QMessageBox | None = None
        self._cancel = threading.Event()
        self._progress: tuple[int, int] = (0, 0)  # written by the worker, read by the timer
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setFixedWidth(160)
        self.progress_bar.setFormat("Exporting %v of %m")
        self.cancel_button = QPushButton("Cancel export", self)
        self.cancel_button.clicked.connect(self.cancel)
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._show_progress)
        self._buttons: list[QPushButton] = []
        self._ready: Callable[[], bool] = lambda: False

    def _lay_out(
        self, buttons: list[QPushButton], ready: Callable[[], bool], *, stretch: bool
    ) -> None:
        """Progress and Cancel, then ``buttons``, enabled while ``ready()`` and idle."""
        self._buttons, self._ready = buttons, ready
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if stretch:
            layout.addStretch(1)
        for widget in (self.progress_bar, self.cancel_button, *buttons):
            layout.addWidget(widget)
        self._set_running(False)

    def refresh(self) -> None:
        """Enable the buttons when there is something to export and none is running."""
        enabled = not self.running and self._ready()
        for button in self._buttons:
            button.setEnabled(enabled)

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.progress_bar.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        if running:
            self._poll.start()
        else:
            self._poll.stop()
        self.refresh()

    def _show_progress(self) -> None:
        done, total = self._progress
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)

    def save_path(self, title: str, suggested_name: str, pattern: str, suffix: str) -> Path | None:
        """Ask where to save (in Documents by default); the path ends in ``suffix``."""
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        path, _filter = QFileDialog.getSaveFileName(
            self, title, str(Path(folder) / suggested_name), pattern
        )
        if not path:
            return None
        target = Path(path)
        return target if target.suffix.lower() == suffix else target.with_name(target.name + suffix)

    def start(
        self,
        work: Callable[[Progress, Callable[[], bool]], Any],
        on_done: Callable[[Any], None],
    ) -> None:
        """Run ``work(progress, cancelled)`` on the long-job thread, then ``on_done``."""
        self._cancel = threading.Event()
        self._progress = (0, 0)
        self.progress_bar.setRange(0, 0)  # busy until the first progress
        self._set_running(True)
        cancel = self._cancel

        def progress(done: int, total: int) -> None:  # worker thread: no widgets
            self._progress = (done, total)

        def finished(result: Any) -> None:
            self._set_running(False)
            on_done(result)

        self.gui.background.run(
            lambda: work(progress, cancel.is_set),
            on_done=finished,
            on_error=self._failed,
            context=self,
            long=True,
        )

    def cancel(self) -> None:
        """Stop the export between two items; no file is left (its record stays)."""
        self._cancel.set()
        self.cancel_button.setEnabled(False)

    def _failed(self, error: AlprError) -> None:
        self._set_running(False)
        if isinstance(error, PackageCancelled):
            self._tell(QMessageBox.Icon.Information, "Export cancelled", str(error))
        else:
            self._tell(QMessageBox.Icon.Warning, "Export failed", f"Nothing was written: {error}")

    def _tell(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        if self.message is not None:
            self.message.close()
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("exportMessage")
        box.open()  # not exec(): the page stays live
        self.message = box
