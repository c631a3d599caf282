"""Dialogs of the user administration page.

Every dialog runs its one service call on the background worker, shows a refusal
inline and stays open, so nothing is half applied; it closes only after the call
worked (the service then broadcasts ``Topic.USERS`` and the table reloads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.core.roles import Role
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.widgets import set_busy, show_inline_error
from alpr_desktop.services.base import Actor
from alpr_desktop.services.users import UserView, generate_temporary_password

_OK = QDialogButtonBox.StandardButton.Ok
_CANCEL = QDialogButtonBox.StandardButton.Cancel


class ServiceDialog(QDialog):
    """A dialog with a body, an inline error label and OK/Cancel buttons.

    Each subclass defines ``submit()``: it reads its fields and calls :meth:`run` with
    the service call to make; OK is connected to it.
    """

    def __init__(self, gui: GuiContext, title: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.gui = gui
        self.result_value: Any = None
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(24, 20, 24, 18)
        self.body.setSpacing(12)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        self.buttons = QDialogButtonBox(_OK | _CANCEL, self)
        self.ok_button = self.buttons.button(_OK)
        self.ok_button.setText(ok_text)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def finish_layout(self) -> None:
        self.body.addWidget(self.error_label)
        self.body.addWidget(self.buttons)

    def run(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the worker; accept with its result, or show its error."""
        set_busy(self.buttons, True)
        show_inline_error(self.error_label, "")
        self.gui.background.run(fn, on_done=self._done, on_error=self._failed, context=self)

    def _done(self, result: Any) -> None:
        self.result_value = result
        self.accept()

    def _failed(self, error: AlprError) -> None:
        set_busy(self.buttons, False)
        show_inline_error(self.error_label, str(error))


def role_boxes(
    parent: QWidget, checked: frozenset[Role]
) -> tuple[QGroupBox, dict[Role, QCheckBox]]:
    group = QGroupBox("Roles", parent)
    layout = QVBoxLayout(group)
    boxes = {}
    for role in Role:
        box = QCheckBox(role.label, group)
        box.setChecked(role in checked)
        layout.addWidget(box)
        boxes[role] = box
    return group, boxes


def _checked(boxes: dict[Role, QCheckBox]) -> list[Role]:
    return [role for role, box in boxes.items() if box.isChecked()]


class CreateUserDialog(ServiceDialog):
    """A new, pending account with a generated temporary password."""

    FIELDS = (
        ("username", "Username"),
        ("full_name", "Full name"),
        ("organisation", "Organisation"),
        ("badge_number", "Badge number"),
        ("title", "Title / rank"),
        ("email", "Email"),
    )

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, "Create user", "Create account", parent)
        self.actor = actor
        self.temporary_password = ""
        form = QFormLayout()
        form.setVerticalSpacing(8)
        self.edits: dict[str, QLineEdit] = {}
        for key, caption in self.FIELDS:
            self.edits[key] = QLineEdit(self)
            form.addRow(f"{caption}:", self.edits[key])
        self.edits["organisation"].setText(actor.organisation)
        self.body.addLayout(form)
        group, self.role_boxes = role_boxes(self, frozenset())
        self.body.addWidget(group)
        note = QLabel(
            "The account starts pending: a supervisor or administrator activates it. A "
            "temporary password is generated and shown once; the user must change it at "
            "first sign-in.",
            self,
        )
        note.setObjectName("muted")
        note.setWordWrap(True)
        self.body.addWidget(note)
        self.finish_layout()

    def submit(self) -> None:
        values = {key: edit.text() for key, edit in self.edits.items()}
        roles = _checked(self.role_boxes)
        temporary = generate_temporary_password()
        self.temporary_password = temporary
        users, actor = self.gui.services.users, self.actor
        self.run(
            lambda: users.create_user(actor, roles=roles, temporary_password=temporary, **values)
        )


class RolesDialog(ServiceDialog):
    def __init__(
        self, gui: GuiContext, actor: Actor, user: UserView, parent: QWidget | None = None
    ) -> None:
        super().__init__(gui, f"Roles of {user.username}", "Save roles", parent)
        self.actor, self.user = actor, user
        intro = QLabel(f"Roles of {user.full_name} ({user.username}):", self)
        self.body.addWidget(intro)
        group, self.role_boxes = role_boxes(self, user.roles)
        self.body.addWidget(group)
        self.finish_layout()

    def submit(self) -> None:
        roles = _checked(self.role_boxes)
        users, actor, user_id = self.gui.services.users, self.actor, self.user.id
        self.run(lambda: users.set_roles(actor, user_id, roles))


class ActionDialog(ServiceDialog):
    """Confirm one action on a user, optionally with a reason and a confirm box."""

    def __init__(
        self,
        gui: GuiContext,
        *,
        title: str,
        text: str,
        ok_text: str,
        work: Callable[[str], Any],
        reason: bool = False,
        confirm: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(gui, title, ok_text, parent)
        self._work = work
        label = QLabel(text, self)
        label.setWordWrap(True)
        self.body.addWidget(label)
        self.reason_edit: QPlainTextEdit | None = None
        if reason:
            self.body.addWidget(QLabel("Reason (kept with the account and in the trail):", self))
            self.reason_edit = QPlainTextEdit(self)
            self.reason_edit.setFixedHeight(80)
            self.body.addWidget(self.reason_edit)
        self.confirm_box: QCheckBox | None = None
        if confirm:
            self.confirm_box = QCheckBox(confirm, self)
            self.confirm_box.toggled.connect(self.ok_button.setEnabled)
            self.ok_button.setEnabled(False)
            self.body.addWidget(self.confirm_box)
        self.finish_layout()

    def submit(self) -> None:
        if self.confirm_box is not None and not self.confirm_box.isChecked():
            return
        text = self.reason_edit.toPlainText() if self.reason_edit is not None else ""
        work = self._work
        self.run(lambda: work(text))


class TemporaryPasswordDialog(QDialog):
    """Shows a temporary password once, with a copy button."""

    def __init__(self, username: str, password: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Temporary password")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(12)
        text = QLabel(
            f"Temporary password for <b>{username}</b>. Give it to the user in person; it "
            "is shown only now and must be changed at first sign-in.",
            self,
        )
        text.setWordWrap(True)
        self.password_edit = QLineEdit(password, self)
        self.password_edit.setObjectName("secretField")
        self.password_edit.setReadOnly(True)
        copy = QPushButton("Copy", self)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(password))
        row = QHBoxLayout()
        row.addWidget(self.password_edit, 1)
        row.addWidget(copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.accept)
        layout.addWidget(text)
        layout.addLayout(row)
        layout.addWidget(buttons)


class TrainingDialog(ServiceDialog):
    """A user's training records, and (with MANAGE_TRAINING) a form to add one."""

    def __init__(
        self,
        gui: GuiContext,
        actor: Actor,
        user: UserView,
        *,
        can_add: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(gui, f"Training of {user.username}", "Add record", parent)
        self.setMinimumWidth(560)
        self.actor, self.user = actor, user
        self.buttons.button(_CANCEL).setText("Close")
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Course", "Completed", "Expires"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(140)
        self.body.addWidget(self.table)
        self.saved_label = QLabel(self)
        self.saved_label.setObjectName("okLabel")
        self.body.addWidget(self.saved_label)
        group = QGroupBox("Record completed training", self)
        form = QFormLayout(group)
        self.course_edit = QLineEdit(group)
        self.completed_edit = self._date_edit(group, QDate.currentDate())
        self.expiry_box = QCheckBox("Expires on", group)
        self.expiry_edit = self._date_edit(group, QDate.currentDate().addYears(2))
        self.expiry_edit.setMaximumDate(QDate(9999, 12, 31))
        self.expiry_edit.setEnabled(False)
        self.expiry_box.toggled.connect(self.expiry_edit.setEnabled)
        form.addRow("Course:", self.course_edit)
        form.addRow("Completed on:", self.completed_edit)
        form.addRow(self.expiry_box, self.expiry_edit)
        hint = QLabel("Without an expiry date the department's validity period applies.", group)
        hint.setObjectName("muted")
        form.addRow(hint)
        group.setVisible(can_add)
        self.ok_button.setVisible(can_add)
        self.body.addWidget(group)
        self.finish_layout()
        self.show_records(user)

    @staticmethod
    def _date_edit(parent: QWidget, date: QDate) -> QDateEdit:
        edit = QDateEdit(date, parent)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMaximumDate(QDate.currentDate())
        return edit

    def show_records(self, user: UserView) -> None:
        self.user = user
        records = sorted(user.training, key=lambda t: t.completed_on, reverse=True)
        self.table.setRowCount(len(records))
        for row, record in enumerate(records):
            values = (record.course, record.completed_on, record.expires_on)
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(str(value)))
        self.table.resizeColumnToContents(0)

    def submit(self) -> None:
        course = self.course_edit.text()
        completed: dt.date = self.completed_edit.date().toPython()
        expires: dt.date | None = (
            self.expiry_edit.date().toPython() if self.expiry_box.isChecked() else None
        )
        users, actor, user_id = self.gui.services.users, self.actor, self.user.id
        self.saved_label.clear()
        self.run(
            lambda: users.add_training(
                actor, user_id, course=course, completed_on=completed, expires_on=expires
            )
        )

    def _done(self, result: Any) -> None:  # stay open: show the updated list
        set_busy(self.buttons, False)
        self.result_value = result
        self.show_records(result)
        self.course_edit.clear()
        self.saved_label.setText("Training recorded.")
