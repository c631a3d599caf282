"""Accepting or rejecting an alert: a reason from the department's list, and notes.

No reason is preselected, so OK stays disabled until the dispatcher picks one (a
decision always says why). The CLETS reminder (policy 471.4(f)) is shown above it.
When another dispatcher decided first, the dialog says who and how, and
:attr:`DispositionDialog.already_decided` lets the page update its queue.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.widgets import set_busy, show_inline_error
from alpr_desktop.services.alerts import CLETS_REMINDER, AlertAlreadyDecided, AlertView
from alpr_desktop.services.base import Actor


class DispositionDialog(QDialog):
    """Decide one alert; :attr:`decided` carries the stored decision."""

    #: the :class:`AlertView` as stored by this decision
    decided = Signal(object)
    #: the :class:`AlertView` of the decision someone else took first
    already_decided = Signal(object)

    def __init__(
        self,
        gui: GuiContext,
        actor: Actor,
        alert: AlertView,
        *,
        accept: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.gui = gui
        self.actor = actor
        self.alert = alert
        self.accepting = accept
        verb = "Accept" if accept else "Reject"
        self.setWindowTitle(f"{verb} alert {alert.id}")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        title = QLabel(f"{verb} the alert on {alert.plate_text}", self)
        title.setObjectName("dialogTitle")
        layout.addWidget(title)
        summary = QLabel(
            f"{alert.hotlist_name} · entry “{alert.entry_pattern}” · "
            f"{alert.camera_name or 'ad-hoc source'}",
            self,
        )
        summary.setObjectName("muted")
        summary.setWordWrap(True)
        layout.addWidget(summary)
        reminder = QLabel(f"⚠ {CLETS_REMINDER}", self)
        reminder.setObjectName("errorLabel")
        reminder.setWordWrap(True)
        layout.addWidget(reminder)
        form = QFormLayout()
        self.reason_combo = QComboBox(self)
        self.reason_combo.setPlaceholderText("Loading the reasons…")
        self.reason_combo.setEnabled(False)
        self.reason_combo.currentIndexChanged.connect(self._update_ok)
        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setPlaceholderText("What was checked (CLETS result, officer, unit)…")
        self.notes_edit.setFixedHeight(90)
        form.addRow("Reason:", self.reason_combo)
        form.addRow("Notes:", self.notes_edit)
        layout.addLayout(form)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(verb)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._busy = False
        self._closed_by_decision = False
        self._update_ok()
        self._load_reasons()

    # ------------------------------------------------------------------ reasons
    def _load_reasons(self) -> None:
        alerts, actor = self.gui.services.alerts, self.actor
        self.gui.background.run(
            lambda: alerts.reasons(actor),
            on_done=self._reasons,
            on_error=self._failed,
            context=self,
        )

    def _reasons(self, reasons: list[str]) -> None:
        self.reason_combo.clear()
        self.reason_combo.addItems(reasons)
        self.reason_combo.setCurrentIndex(-1)  # no default: the dispatcher chooses
        self.reason_combo.setPlaceholderText("Choose a reason…")
        self.reason_combo.setEnabled(bool(reasons) and not self._closed_by_decision)
        if not reasons:
            show_inline_error(
                self.error_label,
                "The department has no disposition reasons; an administrator sets them on "
                "the Settings page.",
            )
        self._update_ok()

    def _update_ok(self) -> None:
        chosen = self.reason_combo.currentIndex() >= 0
        self.ok_button.setEnabled(chosen and not self._busy and not self._closed_by_decision)

    # ------------------------------------------------------------------ deciding
    def submit(self) -> None:
        reason = self.reason_combo.currentText()
        if self.reason_combo.currentIndex() < 0 or self._busy:
            return
        notes = self.notes_edit.toPlainText()
        alerts, actor, alert_id, accept = (
            self.gui.services.alerts,
            self.actor,
            self.alert.id,
            self.accepting,
        )
        self._busy = True
        set_busy(self.buttons, True)
        show_inline_error(self.error_label, "")
        self.gui.background.run(
            lambda: alerts.dispose(actor, alert_id, accept=accept, reason=reason, notes=notes),
            on_done=self._done,
            on_error=self._failed,
            context=self,
        )

    def _done(self, view: AlertView) -> None:
        self._busy = False
        self.decided.emit(view)
        self.accept()

    def _failed(self, error: AlprError) -> None:
        self._busy = False
        show_inline_error(self.error_label, str(error))
        if isinstance(error, AlertAlreadyDecided):
            self._closed_by_decision = True
            self.reason_combo.setEnabled(False)
            self.notes_edit.setReadOnly(True)
            cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
            cancel.setText("Close")
            self.already_decided.emit(error.decision)
        self._update_ok()
