"""Home: who is signed in, their training, the agency and the policy reminder."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.messages import Topic
from alpr_desktop.services.audit import ChainReport
from alpr_desktop.services.base import Actor
from alpr_desktop.services.reminders import Level, Reminder
from alpr_desktop.services.users import UserView
from alpr_desktop.settings import DepartmentSettings

#: Reminder level -> (qtawesome icon, theme colour token).
_REMINDER_LOOK = {
    Level.OVERDUE: ("fa5s.exclamation-circle", "danger"),
    Level.SOON: ("fa5s.clock", "accent"),
    Level.TO_DO: ("fa5s.tasks", "text_muted"),
}


def training_text(view: UserView, today: dt.date) -> str:
    """ "Current, expires …", "Expired on …" or "No training recorded"."""
    if not view.training:
        return "No training recorded"
    current = [t for t in view.training if t.completed_on <= today < t.expires_on]
    if current:
        return f"Current, expires {max(t.expires_on for t in current).isoformat()}"
    return f"Expired on {max(t.expires_on for t in view.training).isoformat()}"


def roles_text(roles: frozenset) -> str:  # type: ignore[type-arg]
    return ", ".join(role.label for role in sorted(roles)) or "—"


def card(title: str, parent: QWidget) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame(parent)
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(18, 14, 18, 16)
    layout.setSpacing(10)
    heading = QLabel(title, frame)
    heading.setObjectName("cardTitle")
    layout.addWidget(heading)
    return frame, layout


class HomePage(Page):
    topics = frozenset({Topic.USERS, Topic.TRAINING, Topic.SETTINGS, Topic.HOLDS})

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Home", parent)
        grid = QGridLayout()
        grid.setSpacing(14)
        account, account_layout = card("Your account", self)
        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(8)
        self.fields: dict[str, QLabel] = {}
        for key, caption in (
            ("name", "Name"),
            ("username", "Username"),
            ("organisation", "Organisation"),
            ("roles", "Roles"),
            ("training", "ALPR training"),
        ):
            self.fields[key] = QLabel("…", account)
            self.fields[key].setWordWrap(True)
            form.addRow(f"{caption}:", self.fields[key])
        account_layout.addLayout(form)
        account_layout.addStretch(1)
        agency, agency_layout = card("Agency", self)
        self.agency_label = QLabel("…", agency)
        self.agency_label.setObjectName("dialogTitle")
        self.agency_label.setWordWrap(True)
        self.policy_label = QLabel(agency)
        self.policy_label.setWordWrap(True)
        agency_layout.addWidget(self.agency_label)
        agency_layout.addWidget(self.policy_label)
        agency_layout.addStretch(1)
        self.reminders_card, self._reminders_layout = card("Reminders", self)
        self.reminders_card.setObjectName("card")
        self.reminders_card.hide()
        self.reminder_texts: list[str] = []
        grid.addWidget(self.reminders_card, 0, 0, 1, 2)
        grid.addWidget(account, 1, 0)
        grid.addWidget(agency, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.verify_button: QPushButton | None = None
        self.verify_label = QLabel(self)
        if actor.may(Action.VERIFY_AUDIT):
            grid.addWidget(self._trail_card(), 2, 0, 1, 2)
        self.layout_.addLayout(grid)
        self.layout_.addStretch(1)
        self._show_actor()

    def _trail_card(self) -> QFrame:
        frame, layout = card("Access trail", self)
        text = QLabel(
            "Every access record carries a hash over its content and the previous record. "
            "Verifying walks the whole chain and reports the first broken link.",
            frame,
        )
        text.setObjectName("muted")
        text.setWordWrap(True)
        self.verify_button = QPushButton("Verify access trail", frame)
        self.verify_button.setIcon(self.gui.theme.icon("fa5s.shield-alt"))
        self.verify_button.clicked.connect(self.verify_trail)
        self.gui.theme.changed.connect(self._recolour)
        self.verify_label.setParent(frame)
        self.verify_label.setWordWrap(True)
        layout.addWidget(text)
        layout.addWidget(self.verify_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.verify_label)
        self.verify_label.hide()
        return frame

    def _recolour(self) -> None:
        if self.verify_button is not None:
            self.verify_button.setIcon(self.gui.theme.icon("fa5s.shield-alt"))

    def _show_actor(self) -> None:
        self.fields["name"].setText(self.actor.full_name)
        self.fields["username"].setText(self.actor.username)
        self.fields["organisation"].setText(self.actor.organisation or "—")
        self.fields["roles"].setText(roles_text(self.actor.roles))

    def refresh(self) -> None:
        services, actor = self.gui.services, self.actor

        def load() -> tuple[UserView, DepartmentSettings, list[Reminder]]:
            return (
                services.users.own_account(actor),
                services.settings.current(),
                services.reminders.for_user(actor),
            )

        self.gui.background.run(load, on_done=self._loaded, context=self)

    def _loaded(self, data: tuple[UserView, DepartmentSettings, list[Reminder]]) -> None:
        view, settings, reminders = data
        self._show_reminders(reminders)
        today = self.gui.services.ctx.display_now().date()
        self.fields["name"].setText(view.full_name)
        self.fields["organisation"].setText(view.organisation or "—")
        self.fields["roles"].setText(roles_text(view.roles))
        self.fields["training"].setText(training_text(view, today))
        self.agency_label.setText(settings.agency_name)
        purposes = "; ".join(p.lower() for p in settings.purposes)
        self.policy_label.setText(
            "Policy 471: ALPR data may be used only for an authorised purpose — "
            f"{purposes}. Every search records your name, the purpose and a case number; "
            "using the system for anything else is prohibited."
        )

    def _show_reminders(self, reminders: list[Reminder]) -> None:
        """One row per reminder, most urgent first; the card hides when there is none."""
        layout = self._reminders_layout
        while layout.count() > 1:  # keep the card's title
            item = layout.takeAt(1)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.reminder_texts = [r.text for r in reminders]
        for reminder in reminders:
            icon_name, colour = _REMINDER_LOOK[reminder.level]
            row = QWidget(self.reminders_card)
            row_layout = QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            icon = QLabel(row)
            icon.setPixmap(self.gui.theme.icon(icon_name, colour).pixmap(16, 16))
            text = QLabel(reminder.text, row)
            text.setWordWrap(True)
            row_layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
            row_layout.addWidget(text, 1)
            layout.addWidget(row)
        self.reminders_card.setVisible(bool(reminders))

    def verify_trail(self) -> None:
        assert self.verify_button is not None
        self.verify_button.setEnabled(False)
        self.verify_label.setText("Verifying…")
        self.verify_label.show()
        audit, actor = self.gui.services.audit, self.actor
        self.gui.background.run(
            lambda: audit.verify(actor), on_done=self._verified, on_error=self._failed, context=self
        )

    def _verified(self, report: ChainReport) -> None:
        assert self.verify_button is not None
        self.verify_button.setEnabled(True)
        self.verify_label.setObjectName("okLabel" if report.ok else "errorLabel")
        self.verify_label.setStyleSheet("")  # re-polish for the new object name
        self.verify_label.setText(report.summary())

    def _failed(self, error: AlprError) -> None:
        assert self.verify_button is not None
        self.verify_button.setEnabled(True)
        self.verify_label.setObjectName("errorLabel")
        self.verify_label.setStyleSheet("")
        self.verify_label.setText(str(error))
