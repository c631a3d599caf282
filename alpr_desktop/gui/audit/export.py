"""Export CSV… and Export PDF… on the Audit page: the current view's records.

The export takes the filters of the view on screen; the service records it
(``audit_export``, the filters and the format) before reading a record. It runs on the
long-job thread with a progress bar and Cancel (the worker writes its progress into a
plain attribute a timer reads, as the search export does; a cancelled CSV leaves no
file). The PDF is laid out by Qt's own writer (:mod:`alpr_desktop.gui.pdf`), off the GUI
thread; it lists at most ``MAX_PDF_RECORDS`` records (CSV holds them all).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

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
from alpr_desktop.gui.pdf import PdfDocument, write_pdf
from alpr_desktop.services.audit_query import MAX_PDF_RECORDS, AuditExport, AuditFilters
from alpr_desktop.services.base import Actor

#: The page's current view's filters, or None when no view has records.
Source = Callable[[], AuditFilters | None]
FORMATS = {"csv": ("CSV files (*.csv)", ".csv"), "pdf": ("PDF documents (*.pdf)", ".pdf")}


def write_audit_pdf(title: str, html: str, footer: str, path: Path) -> int:
    """The service's PDF writer: Qt's (works off the GUI thread)."""
    return write_pdf(PdfDocument(title, html, footer=footer), path)


class AuditExportBar(QWidget):
    """Export CSV…, Export PDF…, the export's progress and Cancel; see the module."""

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
        self.csv_button = QPushButton("Export CSV…", self)
        self.csv_button.setObjectName("auditExportCsv")
        self.csv_button.setToolTip("Every record of this view as CSV (recorded as an export).")
        self.csv_button.clicked.connect(lambda: self.choose_and_export("csv"))
        self.pdf_button = QPushButton("Export PDF…", self)
        self.pdf_button.setObjectName("auditExportPdf")
        self.pdf_button.setToolTip(
            f"This view's newest {MAX_PDF_RECORDS:,} records as a printable PDF "
            "(recorded as an export)."
        )
        self.pdf_button.clicked.connect(lambda: self.choose_and_export("pdf"))
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setFixedWidth(160)
        self.progress_bar.setFormat("Exporting %v of %m")
        self.cancel_button = QPushButton("Cancel export", self)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.progress_bar, self.cancel_button, self.csv_button, self.pdf_button):
            layout.addWidget(widget)
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._show_progress)
        self._set_running(False)

    def refresh(self) -> None:
        enabled = not self.running and self.source() is not None
        self.csv_button.setEnabled(enabled)
        self.pdf_button.setEnabled(enabled)

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

    def choose_and_export(self, fmt: str) -> None:
        """Ask where (a save dialog), then export there."""
        filters = self.source()
        if filters is None or self.running:
            return
        pattern, suffix = FORMATS[fmt]
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = Path(folder) / f"access-trail-{dt.date.today().isoformat()}{suffix}"
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export the access trail", str(suggested), pattern
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != suffix:
            target = target.with_name(target.name + suffix)
        self.export(filters, fmt, target)

    def export(self, filters: AuditFilters, fmt: str, target: Path) -> None:
        """Export the records that fit ``filters`` as ``fmt`` to ``target`` (long job)."""
        self._cancel = threading.Event()
        self._progress = (0, 0)
        self.progress_bar.setRange(0, 0)  # busy until the first progress
        self._set_running(True)
        service, actor, cancel = self.gui.services.audit_query, self.actor, self._cancel

        def progress(done: int, total: int) -> None:  # worker thread: no widgets
            self._progress = (done, total)

        def work() -> AuditExport:
            if fmt == "pdf":
                return service.export_pdf(
                    actor, filters, target, write_audit_pdf, progress=progress, cancel=cancel.is_set
                )
            return service.export_csv(
                actor, filters, target, progress=progress, cancel=cancel.is_set
            )

        self.gui.background.run(
            work, on_done=self._done, on_error=self._failed, context=self, long=True
        )

    def cancel(self) -> None:
        self._cancel.set()
        self.cancel_button.setEnabled(False)

    def _done(self, result: AuditExport) -> None:
        self._set_running(False)
        truncated = (
            f"\n\nOnly the newest {MAX_PDF_RECORDS:,} records are in the PDF; export CSV for all."
            if result.truncated
            else ""
        )
        self._tell(
            QMessageBox.Icon.Information,
            "Export written",
            f"{result.records:,} record(s) exported to\n{result.path}\n\n"
            f"SHA-256 of the file: {result.sha256}\n"
            f"Recorded as access record {result.record_id}.{truncated}",
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
