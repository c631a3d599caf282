"""Verifying the access trail and its signed checkpoints, for the Audit page.

"Verify trail" runs :meth:`CheckpointService.verify` on the long-job thread with a
progress bar and Cancel (the worker writes its progress into a plain attribute a timer
reads, as the search export does); the result shows "Intact: N records" or the first
broken link in red with what is wrong. "Sign checkpoint now" verifies and signs a
checkpoint of the head; "Export checkpoint…" saves the newest one as its text file.
The panel also shows whether a checkpoint key is configured (and held here) and the
last checkpoint. Every call goes through the service, which checks the permission and
records it in the trail.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.services.audit import Cancel, ChainReport, Progress
from alpr_desktop.services.audit_checkpoints import Checkpoint, CheckpointStatus, SignResult
from alpr_desktop.services.base import Actor


def default_export_name(checkpoint_seq: int | None, today: dt.date) -> str:
    seq = f"-{checkpoint_seq}" if checkpoint_seq else ""
    return f"trail-checkpoint{seq}-{today.isoformat()}.txt"


class VerifyPanel(QWidget):
    """Verify the trail, sign and export checkpoints; see the module."""

    #: How often the panel asks whether a periodic checkpoint is due.
    PERIODIC_MS = 15 * 60 * 1000

    def __init__(self, ctx: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gui, self.actor = ctx, actor
        self.running = False
        #: The last verification's report and the last status, for the page and tests.
        self.report: ChainReport | None = None
        self.status: CheckpointStatus | None = None
        self._cancel = threading.Event()
        self._progress: tuple[int, int] = (0, 0)  # written by the worker, read by the timer

        title = QLabel("Access-trail integrity", self)
        title.setObjectName("cardTitle")
        self.key_label = QLabel("Checkpoint key: …", self)
        self.key_label.setObjectName("muted")
        self.key_label.setWordWrap(True)
        self.last_label = QLabel("Last checkpoint: …", self)
        self.last_label.setObjectName("muted")
        self.last_label.setWordWrap(True)

        self.verify_button = QPushButton("Verify trail", self)
        self.verify_button.setObjectName("verifyTrail")
        ctx.theme.set_icon(self.verify_button, "fa5s.shield-alt")
        self.verify_button.setToolTip(
            "Check every link of the hash chain after the last signed checkpoint, and every "
            "checkpoint against the trail."
        )
        self.verify_button.clicked.connect(self.verify)
        self.full_check = QCheckBox("Full check (every record)", self)
        self.full_check.setToolTip(
            "Walk the chain from its first record instead of resuming after the newest "
            "signed checkpoint."
        )
        self.sign_button = QPushButton("Sign checkpoint now", self)
        self.sign_button.setObjectName("signCheckpoint")
        self.sign_button.clicked.connect(self.sign_now)
        self.export_button = QPushButton("Export checkpoint…", self)
        self.export_button.setObjectName("exportCheckpoint")
        self.export_button.clicked.connect(self.choose_and_export)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setFormat("Verified %v of %m")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.result_label = QLabel(self)
        self.result_label.setWordWrap(True)
        self.result_label.hide()

        buttons = QHBoxLayout()
        for widget in (self.verify_button, self.full_check):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        for widget in (self.sign_button, self.export_button):
            buttons.addWidget(widget)
        running = QHBoxLayout()
        running.addWidget(self.progress_bar, 1)
        running.addWidget(self.cancel_button)
        info = QGridLayout()
        info.addWidget(self.key_label, 0, 0)
        info.addWidget(self.last_label, 1, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(info)
        layout.addLayout(buttons)
        layout.addLayout(running)
        layout.addWidget(self.result_label)

        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._show_progress)
        self._set_running(False)
        self.refresh_status()
        # Periodic checkpoints: while the panel lives, ask now and then whether one is due
        # (daily or every N records, settings); the service signs it if so.
        self._periodic = QTimer(self)
        self._periodic.setInterval(self.PERIODIC_MS)
        self._periodic.timeout.connect(self.sign_if_due)
        self._periodic.start()

    # ------------------------------------------------------------------ state
    def refresh_status(self) -> None:
        """Load the key's state and the last checkpoint (on the worker)."""
        service, actor = self.gui.services.checkpoints, self.actor
        self.gui.background.run(
            lambda: service.status(actor),
            on_done=self._show_status,
            on_error=self._status_failed,
            context=self,
        )

    def _show_status(self, status: CheckpointStatus) -> None:
        self.status = status
        if not status.key_configured:
            key = "Checkpoint key: not configured. " + status.cannot_sign
        elif status.cannot_sign:
            key = f"Checkpoint key {status.key_id[:16]}… configured; {status.cannot_sign}"
        else:
            key = (
                f"Checkpoint key {status.key_id[:16]}… configured; this workstation signs with it."
            )
        self.key_label.setText(key)
        self.last_label.setText(_last_text(status.last, status.count))
        self._set_running(self.running)

    def _status_failed(self, error: AlprError) -> None:
        self.key_label.setText(f"Checkpoint key: unknown ({error})")
        self.last_label.setText("Last checkpoint: unknown")

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.progress_bar.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        can_sign = self.status is not None and not self.status.cannot_sign
        has_checkpoint = self.status is not None and self.status.last is not None
        self.verify_button.setEnabled(not running)
        self.full_check.setEnabled(not running)
        self.sign_button.setEnabled(not running and can_sign)
        self.export_button.setEnabled(not running and has_checkpoint)
        if running:
            self._poll.start()
        else:
            self._poll.stop()

    def _show_progress(self) -> None:
        done, total = self._progress
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)

    def _report_progress(self, done: int, total: int) -> None:  # worker thread: no widgets
        self._progress = (done, total)

    # ------------------------------------------------------------------ actions
    def verify(self) -> None:
        """Verify the trail on the long-job thread (incremental unless Full is ticked)."""
        service, actor, full = (
            self.gui.services.checkpoints,
            self.actor,
            self.full_check.isChecked(),
        )
        self._walk(
            lambda progress, cancel: service.verify(
                actor, full=full, progress=progress, cancel=cancel
            ),
            self._verified,
        )

    def sign_now(self) -> None:
        """Verify, then sign a checkpoint of the verified head."""
        service, actor = self.gui.services.checkpoints, self.actor
        self._walk(
            lambda progress, cancel: service.sign_now(actor, progress=progress, cancel=cancel),
            self._signed,
        )

    def _walk(
        self,
        call: Callable[[Progress, Cancel], Any],
        on_done: Callable[[Any], None],
    ) -> None:
        """Run ``call(progress, cancel)`` on the long-job thread, progress bar shown."""
        if self.running:
            return
        self._cancel = cancel = threading.Event()
        self._progress = (0, 0)
        self.progress_bar.setRange(0, 0)  # busy until the first progress
        self._set_running(True)
        self.result_label.hide()
        progress = self._report_progress
        self.gui.background.run(
            lambda: call(progress, cancel.is_set),
            on_done=on_done,
            on_error=self._failed,
            context=self,
            long=True,
        )

    def sign_if_due(self) -> None:
        """Sign a periodic checkpoint if one is due (on the long-job thread, quietly)."""
        if self.running:
            return
        service, actor = self.gui.services.checkpoints, self.actor
        self.gui.background.run(
            lambda: service.sign_if_due(actor),
            on_done=lambda signed: self.refresh_status() if signed is not None else None,
            on_error=lambda _error: None,  # the next Verify or Sign says what is wrong
            context=self,
            long=True,
        )

    def cancel(self) -> None:
        """Stop the walk at its next batch (the check is recorded as cancelled)."""
        self._cancel.set()
        self.cancel_button.setEnabled(False)

    def choose_and_export(self) -> None:
        """Ask where (a file dialog), then write the newest checkpoint there."""
        if self.running or self.status is None or self.status.last is None:
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = Path(folder) / default_export_name(self.status.last.seq, dt.date.today())
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export checkpoint", str(suggested), "Text files (*.txt)"
        )
        if path:
            self.export(Path(path))

    def export(self, target: Path) -> None:
        service, actor = self.gui.services.checkpoints, self.actor
        self.gui.background.run(
            lambda: service.export(actor, target),
            on_done=lambda cp: self._exported(cp, target),
            on_error=self._failed,
            context=self,
        )

    # ------------------------------------------------------------------ results
    def _verified(self, report: ChainReport) -> None:
        self._set_running(False)
        self.report = report
        if report.ok:
            self._show_result(True, f"Intact: {report.records:,} records. {report.summary()}")
        elif report.cancelled:
            self._show_result(None, report.summary())
        else:
            self._show_result(False, report.summary())
        self.refresh_status()  # a checkpoint may have been signed because one was due

    def _signed(self, result: SignResult) -> None:
        self._set_running(False)
        self.report = result.report
        cp = result.checkpoint
        self._show_result(
            True,
            f"Signed a checkpoint of record #{cp.seq} ({cp.signed_at:%Y-%m-%d %H:%M} UTC). "
            + result.report.summary(),
        )
        self.refresh_status()

    def _exported(self, checkpoint: Checkpoint, target: Path) -> None:
        self._show_result(
            True, f"Checkpoint of record #{checkpoint.seq} written to {target}. Keep it safe."
        )
        self.refresh_status()

    def _failed(self, error: AlprError) -> None:
        self._set_running(False)
        self._show_result(False, str(error))

    def _show_result(self, ok: bool | None, text: str) -> None:
        name = {True: "okLabel", False: "errorLabel", None: "muted"}[ok]
        self.result_label.setObjectName(name)
        self.result_label.setStyleSheet("")  # re-polish for the new object name
        self.result_label.setText(text)
        self.result_label.show()


def _last_text(last: Checkpoint | None, count: int) -> str:
    if last is None:
        return "Last checkpoint: none signed yet."
    return (
        f"Last checkpoint: record #{last.seq:,}, signed {last.signed_at:%Y-%m-%d %H:%M} UTC "
        f"by {last.created_by or '?'} ({count} in all)."
    )
