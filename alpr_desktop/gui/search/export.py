"""Export… on the Search page: the current search's results as a verifiable package.

The export runs under the purpose and case number already declared for the search
session (it is part of the same inquiry; nothing is asked again, nothing pre-filled);
the service records it as an access of its own (``export_reads``) before reading
anything. It runs on the long-job thread: a progress bar with Cancel meanwhile (the
worker writes its progress into a plain attribute a timer reads, as the hotlist import
does; a cancel leaves no file), a message with the count and the path at the end.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QStandardPaths, QTimer
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
from alpr_desktop.services.search import SearchRequest
from alpr_desktop.services.search_export import ExportResult

#: What the page gives: the current search session's request (with its purpose and case
#: number) and how many reads matched, or None when there is nothing to export.
Source = Callable[[], tuple[SearchRequest, int] | None]


def default_name(case_number: str, today: dt.date) -> str:
    """``search-<case>-<date>.zip``, the case number made safe for a file name."""
    case = re.sub(r"[^A-Za-z0-9._-]+", "-", case_number).strip("-.") or "case"
    return f"search-{case}-{today.isoformat()}.zip"


class ExportBar(QWidget):
    """The Export… button, the export's progress and Cancel; see the module."""

    def __init__(
        self, gui: GuiContext, actor: Actor, source: Source, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.gui, self.actor, self.source = gui, actor, source
        self.running = False
        #: The last message shown (the end of an export), for the tests.
        self.message: QMessageBox | None = None
        self._cancel = threading.Event()
        self._progress: tuple[int, int] = (0, 0)  # written by the worker, read by the timer
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("searchExport")
        self.export_button.setToolTip(
            "Save every matching read (CSV, JSON, crops and context images, with a manifest "
            "of SHA-256 sums) to a zip file; recorded under this search's purpose and case."
        )
        self.export_button.clicked.connect(self.choose_and_export)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setFixedWidth(160)
        self.progress_bar.setFormat("Exporting %v of %m")
        self.cancel_button = QPushButton("Cancel export", self)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addStretch(1)
        for widget in (self.progress_bar, self.cancel_button, self.export_button):
            layout.addWidget(widget)
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._show_progress)
        self._set_running(False)

    # ------------------------------------------------------------------ state
    def watch(self, model: QAbstractItemModel) -> None:
        """Refresh whenever the results model is reset or grows."""
        model.modelReset.connect(self.refresh)
        model.rowsInserted.connect(self.refresh)

    def refresh(self) -> None:
        """Enable Export… when the current search has results (and none is running)."""
        found = self.source()
        self.export_button.setEnabled(not self.running and found is not None and found[1] > 0)

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

    # ------------------------------------------------------------------ exporting
    def choose_and_export(self) -> None:
        """Ask where (a file dialog), then export there."""
        found = self.source()
        if found is None or self.running:
            return
        request, _total = found
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = Path(folder) / default_name(request.case_number, dt.date.today())
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export search results", str(suggested), "Zip packages (*.zip)"
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != ".zip":
            target = target.with_name(target.name + ".zip")
        self.export(request, target)

    def export(self, request: SearchRequest, target: Path) -> None:
        """Export ``request``'s results to ``target`` on the long-job thread."""
        self._cancel = threading.Event()
        self._progress = (0, 0)
        self.progress_bar.setRange(0, 0)  # busy until the first progress
        self._set_running(True)
        search, actor, cancel = self.gui.services.search, self.actor, self._cancel

        def progress(done: int, total: int) -> None:  # worker thread: no widgets
            self._progress = (done, total)

        self.gui.background.run(
            lambda: search.export(actor, request, target, progress=progress, cancel=cancel.is_set),
            on_done=self._done,
            on_error=self._failed,
            context=self,
            long=True,
        )

    def cancel(self) -> None:
        """Stop the export between two reads; no file is left (its record stays)."""
        self._cancel.set()
        self.cancel_button.setEnabled(False)

    def _done(self, result: ExportResult) -> None:
        self._set_running(False)
        capped = (
            "\n\nMore reads matched than a search ranks: only the first ones are in it."
            if result.capped
            else ""
        )
        self._tell(
            QMessageBox.Icon.Information,
            "Export written",
            f"{result.reads:,} read(s) and {result.images:,} image(s) exported to\n"
            f"{result.path}\n\nSHA-256 of the file: {result.sha256}\n"
            f"Recorded as access record {result.record_id}.{capped}",
        )

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
