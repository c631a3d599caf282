"""Fulfilling an approved release request from the Releases page.

:class:`FulfilDialog` asks where the package goes (a ``.zip`` file or a new folder), who
receives it (the requester and agency unless told otherwise) and how it is sent, then
runs ``ReleaseService.fulfil`` on the long-job thread with a progress bar and Cancel.
The worker writes its progress into a plain attribute that a timer reads (no widget is
touched off the GUI thread). At the end the dialog shows the package's SHA-256 and the
manifest's, which the sharing log keeps too; a refusal is shown inline and nothing is
left written.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.core.packages import PackageCancelled
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.widgets import hidden_label, show_inline_error
from alpr_desktop.services.base import Actor
from alpr_desktop.services.release_package import ReleaseFulfilment
from alpr_desktop.services.release_records import ReleaseView

#: Lets tests answer the file chooser: (parent, suggested path) -> chosen path or None.
ChoosePath = Callable[[QWidget, str], str | None]


def package_name(view: ReleaseView) -> str:
    case = re.sub(r"[^A-Za-z0-9._-]+", "-", view.fields.case_number).strip("-") or "case"
    return f"release-{view.id}-{case}.zip"


def choose_package(parent: QWidget, suggested: str) -> str | None:
    path, _filter = QFileDialog.getSaveFileName(
        parent, "Write the release package to", suggested, "Zip package (*.zip)"
    )
    return path or None


class FulfilDialog(QDialog):
    """Target, recipient and delivery of one release package; progress; the sums."""

    choose_path: ChoosePath = staticmethod(choose_package)

    def __init__(
        self, gui: GuiContext, actor: Actor, view: ReleaseView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("releaseFulfilDialog")
        self.gui, self.actor, self.view = gui, actor, view
        self.result_value: ReleaseFulfilment | None = None
        self.running = False
        self._cancel = threading.Event()
        self._progress: tuple[int, int] = (0, 0)  # written by the worker, read by the timer
        self.setWindowTitle(f"Fulfil release request {view.id}")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        f = view.fields
        intro = QLabel(
            f"Run the approved search for {f.agency_name} (case {f.case_number}) under the "
            f"purpose “{f.purpose}” and write the package: the reads, their images, the "
            "request as approved and its attachments, with a manifest of SHA-256 sums. The "
            "access is recorded before a read is looked at; the sharing log names the package.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        self.path_edit = QLineEdit(str(Path(folder) / package_name(view)), self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.recipient_edit = QLineEdit(f"{f.requester_name}, {f.agency_name}", self)
        self.recipient_edit.setMaxLength(300)
        self.delivery_edit = QLineEdit(self)
        self.delivery_edit.setPlaceholderText("e.g. encrypted USB drive handed over; secure e-mail")
        self.delivery_edit.setMaxLength(300)
        form.addRow("Package:", path_row)
        hint = QLabel("A path ending in .zip writes one zip file; any other, a new folder.", self)
        hint.setObjectName("muted")
        form.addRow("", hint)
        form.addRow("Recipient:", self.recipient_edit)
        form.addRow("Sent by:", self.delivery_edit)
        layout.addLayout(form)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setFormat("Writing %v of %m")
        self.progress_bar.hide()
        layout.addWidget(self.progress_bar)
        self.result_label = QLabel(self)
        self.result_label.setObjectName("fulfilResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()
        layout.addWidget(self.result_label)
        self.error_label = hidden_label(self)
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(self)
        self.fulfil_button = self.buttons.addButton(
            "Fulfil", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.fulfil_button.setDefault(True)
        self.fulfil_button.clicked.connect(self.fulfil)
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(self.buttons)
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._show_progress)

    def _browse(self) -> None:
        path = self.choose_path(self, self.path_edit.text())
        if path:
            self.path_edit.setText(path)

    def fulfil(self) -> None:
        text = self.path_edit.text().strip()
        if not text:
            show_inline_error(self.error_label, "Give the file or folder to write the package to.")
            return
        releases, actor, request_id = self.gui.services.releases, self.actor, self.view.id
        target = Path(text).expanduser()
        recipient, delivery = self.recipient_edit.text(), self.delivery_edit.text()
        self._cancel = threading.Event()
        self._progress = (0, 0)
        cancel = self._cancel

        def progress(done: int, total: int) -> None:  # worker thread: no widgets
            self._progress = (done, total)

        self._set_running(True)
        show_inline_error(self.error_label, "")
        self.gui.background.run(
            lambda: releases.fulfil(
                actor,
                request_id,
                target,
                recipient=recipient,
                delivery=delivery,
                progress=progress,
                cancel=cancel.is_set,
            ),
            on_done=self._done,
            on_error=self._failed,
            context=self,
            long=True,
        )

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.progress_bar.setVisible(running)
        self.progress_bar.setRange(0, 0)  # busy until the first progress
        self.fulfil_button.setEnabled(not running and self.result_value is None)
        for edit in (self.path_edit, self.recipient_edit, self.delivery_edit):
            edit.setEnabled(not running and self.result_value is None)
        if running:
            self._poll.start()
        else:
            self._poll.stop()

    def _show_progress(self) -> None:
        done, total = self._progress
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)

    def cancel(self) -> None:
        """Stop a running fulfilment (nothing is written or logged), or close."""
        if self.running:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
        elif self.result_value is not None:
            self.accept()
        else:
            self.reject()

    def _done(self, result: ReleaseFulfilment) -> None:
        self.result_value = result
        self._set_running(False)
        self.fulfil_button.hide()
        self.cancel_button.setText("Close")
        self.result_label.setText(
            f"Request {result.request_id} fulfilled: {result.reads:,} read(s), "
            f"{result.images:,} image(s), {result.files:,} file(s), {result.size:,} bytes "
            f"written to {result.path}.\n"
            f"Package SHA-256: {result.sha256}\n"
            f"Manifest SHA-256: {result.manifest_sha256}\n"
            "Check it anywhere with: alpr-desktop release verify PACKAGE"
        )
        self.result_label.show()

    def _failed(self, error: AlprError) -> None:
        self._set_running(False)
        self.cancel_button.setEnabled(True)
        if isinstance(error, PackageCancelled):
            show_inline_error(self.error_label, f"Cancelled; nothing was written. {error}")
        else:
            show_inline_error(self.error_label, f"Nothing was written: {error}")
