"""Exporting an approved evidence hold from the Evidence holds page.

:class:`ExportHoldDialog` asks the purpose (never pre-filled), where the evidence goes
(for the chain-of-custody record) and the package: a ``.zip`` file or a new folder on a
removable drive. :class:`HoldExportBar` then runs ``EvidenceService.export`` on the
long-job thread with progress and Cancel (the shared export bar) and ends with the
package's SHA-256 and the custody sheet written beside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.export_bar import ExportBarBase
from alpr_desktop.gui.search.purpose import with_purposes
from alpr_desktop.gui.widgets import hidden_label, show_inline_error
from alpr_desktop.services.base import Actor
from alpr_desktop.services.evidence import HoldView
from alpr_desktop.services.evidence_export import EvidenceExport
from alpr_desktop.storage.models import HoldStatus


def suggested_name(hold: HoldView) -> str:
    case = re.sub(r"[^A-Za-z0-9._-]+", "-", hold.case_number).strip("-") or "case"
    return f"evidence-hold-{hold.id}-{case}.zip"


class ExportHoldDialog(QDialog):
    """Purpose, destination and package path of one evidence export."""

    def __init__(
        self, hold: HoldView, purposes: Sequence[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export evidence")
        self.setObjectName("exportHoldDialog")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Export the {hold.read_count:,} read(s) of hold {hold.id} (case "
            f"{hold.case_number}) with their images, the hold and a chain-of-custody record. "
            "The export is recorded with your name and the purpose; a custody sheet with the "
            "package's SHA-256 is written beside it.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.purpose_combo = QComboBox(self)
        self.purpose_combo.addItems(list(purposes))
        self.purpose_combo.setCurrentIndex(-1)  # never pre-filled
        self.purpose_combo.setPlaceholderText("Choose the purpose…")
        self.destination_edit = QLineEdit(self)
        self.destination_edit.setPlaceholderText("e.g. USB drive SN 4C53…, to the DA's office")
        self.destination_edit.setMaxLength(500)
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        self.path_edit = QLineEdit(str(Path(folder) / suggested_name(hold)), self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form.addRow("Purpose:", self.purpose_combo)
        form.addRow("Destination:", self.destination_edit)
        form.addRow("Package:", path_row)
        hint = QLabel("A path ending in .zip writes one zip file; any other, a new folder.", self)
        hint.setObjectName("muted")
        form.addRow("", hint)
        layout.addLayout(form)
        self.error_label = hidden_label(self)
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Export")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.purpose = self.destination = ""
        self.target: Path | None = None

    def _browse(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export evidence to", self.path_edit.text(), "Zip package (*.zip)"
        )
        if path:
            self.path_edit.setText(path)

    def submit(self) -> None:
        if self.purpose_combo.currentIndex() < 0:
            show_inline_error(self.error_label, "Choose the purpose of the export.")
            return
        text = self.path_edit.text().strip()
        if not text:
            show_inline_error(self.error_label, "Give the file or folder to export to.")
            return
        self.purpose = self.purpose_combo.currentText()
        self.destination = self.destination_edit.text()
        self.target = Path(text).expanduser()
        self.accept()


class HoldExportBar(ExportBarBase):
    """ "Export…" for the selected approved hold, with progress, Cancel and the outcome."""

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, parent)
        self.hold: HoldView | None = None
        self.dialog: ExportHoldDialog | None = None
        self.result: EvidenceExport | None = None
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("hold_export")
        gui.theme.set_icon(self.export_button, "fa5s.file-export")
        self.export_button.setToolTip("Export an approved hold's reads with a chain of custody")
        self.export_button.clicked.connect(self.ask)
        self._lay_out([self.export_button], self._exportable, stretch=False)

    def _exportable(self) -> bool:
        return self.hold is not None and self.hold.status is HoldStatus.APPROVED

    def set_hold(self, hold: HoldView | None) -> None:
        self.hold = hold
        self.refresh()

    def ask(self) -> None:
        """Read the purposes (fresh), then open the dialog for the selected hold."""
        hold = self.hold
        if hold is None:
            return

        def opened(purposes: list[str]) -> None:
            dialog = ExportHoldDialog(hold, purposes, self.window())
            dialog.accepted.connect(lambda: self.export(hold, dialog))
            dialog.finished.connect(dialog.deleteLater)
            self.dialog = dialog
            dialog.open()

        with_purposes(
            self.gui, self, opened, lambda e: self._tell(QMessageBox.Icon.Warning, "Export", str(e))
        )

    def export(self, hold: HoldView, dialog: ExportHoldDialog) -> None:
        assert dialog.target is not None
        evidence, actor = self.gui.services.evidence, self.actor
        target, purpose, destination = dialog.target, dialog.purpose, dialog.destination
        self.start(
            lambda progress, cancelled: evidence.export(
                actor,
                hold.id,
                target,
                purpose=purpose,
                destination=destination,
                progress=progress,
                cancel=cancelled,
            ),
            self._done,
        )

    def _done(self, result: EvidenceExport) -> None:
        self.result = result
        self._tell(
            QMessageBox.Icon.Information,
            "Evidence exported",
            f"{result.reads:,} read(s) and {result.images:,} image(s) written to {result.path}.\n"
            f"Package SHA-256: {result.sha256}\n"
            f"Chain-of-custody sheet: {result.custody_sheet}\n"
            "Check it anywhere with: alpr-desktop package verify PACKAGE",
        )
