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
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QMessageBox,
    QPushButton,
    QWidget,
)

from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.export_bar import ExportBarBase, Progress
from alpr_desktop.gui.pdf import PdfDocument, write_pdf
from alpr_desktop.services.audit_query import MAX_PDF_RECORDS, AuditExport, AuditFilters
from alpr_desktop.services.base import Actor

#: The page's current view's filters, or None when no view has records.
Source = Callable[[], AuditFilters | None]
FORMATS = {"csv": ("CSV files (*.csv)", ".csv"), "pdf": ("PDF documents (*.pdf)", ".pdf")}


def write_audit_pdf(title: str, html: str, footer: str, path: Path) -> int:
    """The service's PDF writer: Qt's (works off the GUI thread)."""
    return write_pdf(PdfDocument(title, html, footer=footer), path)


class AuditExportBar(ExportBarBase):
    """Export CSV…, Export PDF…, the export's progress and Cancel; see the module."""

    def __init__(
        self, gui: GuiContext, actor: Actor, source: Source, parent: QWidget | None = None
    ) -> None:
        super().__init__(gui, actor, parent)
        self.source = source
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
        self._lay_out(
            [self.csv_button, self.pdf_button], lambda: self.source() is not None, stretch=False
        )

    def choose_and_export(self, fmt: str) -> None:
        """Ask where (a save dialog), then export there."""
        filters = self.source()
        if filters is None or self.running:
            return
        pattern, suffix = FORMATS[fmt]
        name = f"access-trail-{dt.date.today().isoformat()}{suffix}"
        target = self.save_path("Export the access trail", name, pattern, suffix)
        if target is not None:
            self.export(filters, fmt, target)

    def export(self, filters: AuditFilters, fmt: str, target: Path) -> None:
        """Export the records that fit ``filters`` as ``fmt`` to ``target`` (long job)."""
        service, actor = self.gui.services.audit_query, self.actor

        def work(progress: Progress, cancelled: Callable[[], bool]) -> AuditExport:
            if fmt == "pdf":
                return service.export_pdf(
                    actor, filters, target, write_audit_pdf, progress=progress, cancel=cancelled
                )
            return service.export_csv(actor, filters, target, progress=progress, cancel=cancelled)

        self.start(work, self._done)

    def _done(self, result: AuditExport) -> None:
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
