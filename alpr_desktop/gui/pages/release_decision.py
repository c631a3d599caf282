"""The commander's decision on a release request, and the request in a few lines.

:class:`DecisionDialog` lets the commander approve, deny or refer a submitted request
with a required reason. When the agency may not receive ALPR data the Approve button is
disabled, the reason is shown in the theme's danger colour and referral is suggested.
The call runs on the background worker; a refusal (another workstation decided first,
say) is shown inline and the dialog stays open.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.widgets import hidden_label, show_inline_error
from alpr_desktop.services.base import Actor
from alpr_desktop.services.release_record import STATUS_LABELS
from alpr_desktop.services.release_records import ReleaseView
from alpr_desktop.services.releases import REFERRAL_UNIT


def request_summary(view: ReleaseView) -> str:
    """The request in a few lines of rich text (the decision dialog, the detail pane)."""
    f = view.fields
    search = "—"
    if view.query is not None:
        q = view.query
        parts = [q.pattern] + (["confusable"] if q.confusable else [])
        parts += ["one edit"] if q.fuzzy else []
        if q.filters.since or q.filters.until:
            since = f"{q.filters.since:%Y-%m-%d}" if q.filters.since else "…"
            until = f"{q.filters.until:%Y-%m-%d}" if q.filters.until else "…"
            parts.append(f"{since} to {until}")
        search = ", ".join(parts)
    rows = (
        ("Agency", f"{f.agency_name} ({f.agency_type.label}, {f.agency_state or '—'})"),
        ("Requester", f"{f.requester_name}, {f.requester_title} — {f.requester_contact}"),
        ("Case", f.case_number),
        ("Authorised purpose", f.purpose),
        ("Intended purpose", f.intended_purpose),
        ("Legal basis", f.legal_basis),
        ("Data asked for", f.data_requested),
        ("As a search", search),
        ("Status", STATUS_LABELS[view.status]),
    )
    cells = "".join(
        f"<tr><td style='padding-right:10px'><b>{escape(k)}</b></td>"
        f"<td>{escape(v or '—')}</td></tr>"
        for k, v in rows
    )
    return f"<table>{cells}</table>"


class DecisionDialog(QDialog):
    """The commander's decision on one submitted request, with a required reason."""

    def __init__(
        self, gui: GuiContext, actor: Actor, view: ReleaseView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("releaseDecisionDialog")
        self.gui, self.actor, self.view = gui, actor, view
        self.result_value: ReleaseView | None = None
        self.setWindowTitle(f"Decide release request {view.id}")
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        summary = QLabel(request_summary(view), self)
        summary.setWordWrap(True)
        layout.addWidget(summary)
        blocker = view.blocker
        self.blocker_label = hidden_label(self)
        self.blocker_label.setObjectName("errorLabel")
        if blocker:
            show_inline_error(self.blocker_label, f"Approval is blocked. {blocker}")
            font = self.blocker_label.font()
            font.setBold(True)
            self.blocker_label.setFont(font)
        layout.addWidget(self.blocker_label)
        layout.addWidget(QLabel("Reason for the decision, or the note with a referral:", self))
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setFixedHeight(80)
        self.reason_edit.textChanged.connect(self._update_buttons)
        layout.addWidget(self.reason_edit)
        refer_row = QHBoxLayout()
        refer_row.addWidget(QLabel("Refer to:", self))
        self.refer_edit = QLineEdit(REFERRAL_UNIT, self)
        refer_row.addWidget(self.refer_edit, 1)
        layout.addLayout(refer_row)
        self.error_label = hidden_label(self)
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(self)
        self.approve_button = self.buttons.addButton(
            "Approve", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.deny_button = self.buttons.addButton("Deny", QDialogButtonBox.ButtonRole.ActionRole)
        self.refer_button = self.buttons.addButton(
            "Refer to records release", QDialogButtonBox.ButtonRole.ActionRole
        )
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.clicked.connect(self.reject)
        self.approve_button.clicked.connect(lambda: self.decide("approve"))
        self.deny_button.clicked.connect(lambda: self.decide("deny"))
        self.refer_button.clicked.connect(lambda: self.decide("refer"))
        if blocker:
            self.approve_button.setToolTip(blocker)
            self.refer_button.setDefault(True)
        else:
            self.approve_button.setDefault(True)
        layout.addWidget(self.buttons)
        self._busy = False
        self._update_buttons()

    def _update_buttons(self) -> None:
        reason = bool(self.reason_edit.toPlainText().strip())
        idle = not self._busy
        self.approve_button.setEnabled(idle and reason and self.view.blocker is None)
        self.deny_button.setEnabled(idle and reason)
        self.refer_button.setEnabled(idle and reason)

    def decide(self, verb: str) -> None:
        """Run ``verb`` (approve, deny, refer) on the worker; the service has the last word."""
        releases, actor, request_id = self.gui.services.releases, self.actor, self.view.id
        text, to = self.reason_edit.toPlainText(), self.refer_edit.text()
        work: Callable[[], ReleaseView] = {
            "approve": lambda: releases.approve(actor, request_id, reason=text),
            "deny": lambda: releases.deny(actor, request_id, reason=text),
            "refer": lambda: releases.refer(actor, request_id, note=text, to=to),
        }[verb]
        self._busy = True
        self._update_buttons()
        show_inline_error(self.error_label, "")
        self.gui.background.run(work, on_done=self._done, on_error=self._failed, context=self)

    def _done(self, view: ReleaseView) -> None:
        self.result_value = view
        self.accept()

    def _failed(self, error: AlprError) -> None:
        self._busy = False
        self._update_buttons()
        show_inline_error(self.error_label, str(error))
