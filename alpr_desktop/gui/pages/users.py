"""User administration: the account table, a filter and the actions on accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.pages.user_dialogs import (
    ActionDialog,
    CreateUserDialog,
    RolesDialog,
    TemporaryPasswordDialog,
    TrainingDialog,
)
from alpr_desktop.gui.pages.user_table import COLUMNS, UserTableModel
from alpr_desktop.gui.widgets import message_box
from alpr_desktop.messages import Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.users import UserView, generate_temporary_password
from alpr_desktop.storage.models import AccountState

#: button key -> (label, icon, action needed, enabled for this state)
_BUTTONS: dict[str, tuple[str, str, Action, Callable[[UserView | None], bool]]] = {
    "create": ("Create user", "fa5s.user-plus", Action.MANAGE_USERS, lambda u: True),
    "roles": ("Edit roles", "fa5s.user-tag", Action.MANAGE_USERS, lambda u: u is not None),
    "activate": (
        "Activate",
        "fa5s.user-check",
        Action.ACTIVATE_USERS,
        lambda u: u is not None and u.state in (AccountState.PENDING, AccountState.SUSPENDED),
    ),
    "suspend": (
        "Suspend",
        "fa5s.user-clock",
        Action.ACTIVATE_USERS,
        lambda u: u is not None and u.state is AccountState.ACTIVE,
    ),
    "deactivate": (
        "Deactivate",
        "fa5s.user-slash",
        Action.MANAGE_USERS,
        lambda u: u is not None and u.state is not AccountState.DEACTIVATED,
    ),
    "reset": ("Reset password", "fa5s.key", Action.MANAGE_USERS, lambda u: u is not None),
    "training": (
        "Training records",
        "fa5s.graduation-cap",
        Action.VIEW_USERS,
        lambda u: u is not None,
    ),
}


class UsersPage(Page):
    topics = frozenset({Topic.USERS, Topic.TRAINING})

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Users", parent)
        self.active_dialog: QDialog | None = None
        self.model = UserTableModel(gui.services.ctx.display_now)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by username, name, role or state…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.setSpacing(6)
        for key, (label, icon, _action, _when) in _BUTTONS.items():
            button = QPushButton(gui.theme.icon(icon), label, self)
            button.clicked.connect(getattr(self, f"do_{key}"))
            self.buttons[key] = button
            row.addWidget(button)
        row.addStretch(1)
        self.table = self._make_table()
        self.layout_.addWidget(self.filter_edit)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.table, 1)
        gui.theme.changed.connect(self._recolour)
        self._update_buttons()

    def _make_table(self) -> QTableView:
        table = QTableView(self)
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.verticalHeader().hide()
        header = table.horizontalHeader()
        # Every column as wide as its content; the last (notes, often empty) takes what
        # is left, so names are never cut while an empty column holds the space.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        table.selectionModel().selectionChanged.connect(self._update_buttons)
        table.doubleClicked.connect(lambda _i: self.do_training())
        return table

    def _recolour(self) -> None:
        for key, button in self.buttons.items():
            button.setIcon(self.gui.theme.icon(_BUTTONS[key][1]))

    # ------------------------------------------------------------------ data
    def refresh(self) -> None:
        users, actor = self.gui.services.users, self.actor
        self.gui.background.run(
            lambda: users.list_users(actor),
            on_done=self._loaded,
            on_error=self._show_error,
            context=self,
        )

    def _loaded(self, users: list[UserView]) -> None:
        selected = self.selected_user()
        self.model.set_rows(users)
        if selected is not None:
            self.select_user(selected.id)
        self._update_buttons()

    def selected_user(self) -> UserView | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row())

    def select_user(self, user_id: int) -> bool:
        """Select the row of ``user_id``; False when it is not shown."""
        row = self.model.row_of(user_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().select(index, flags)
        self.table.scrollTo(index)
        return True

    def _update_buttons(self) -> None:
        user = self.selected_user()
        for key, (_label, _icon, action, when) in _BUTTONS.items():
            allowed = self.actor.may(action)
            self.buttons[key].setEnabled(allowed and when(user))
            if not allowed:
                self.buttons[key].setToolTip("Your roles do not allow this.")

    def _show_error(self, error: AlprError) -> None:
        message_box(self, "User administration", str(error))

    def _open(self, dialog: QDialog, on_accept: Callable[[], None] | None = None) -> None:
        self.active_dialog = dialog
        if on_accept is not None:
            dialog.accepted.connect(on_accept)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _info(self, text: str) -> None:
        self.gui.services.ctx.messages.info(text)

    # ------------------------------------------------------------------ actions
    def do_create(self) -> None:
        dialog = CreateUserDialog(self.gui, self.actor, self)

        def created() -> None:
            view: UserView = dialog.result_value
            self._info(f"Created pending account {view.username}.")
            self._show_password(view.username, dialog.temporary_password)

        self._open(dialog, created)

    def _show_password(self, username: str, password: str) -> None:
        self._open(TemporaryPasswordDialog(username, password, self))

    def do_roles(self) -> None:
        user = self.selected_user()
        if user is not None:
            dialog = RolesDialog(self.gui, self.actor, user, self)
            self._open(dialog, lambda: self._info(f"Roles of {user.username} saved."))

    def _account_action(
        self,
        user: UserView,
        title: str,
        text: str,
        done: str,
        work: Callable[[str], object],
        **options: Any,
    ) -> None:
        """Confirm an account-state change in an :class:`ActionDialog`, then report it."""
        dialog = ActionDialog(self.gui, title=title, text=text, work=work, parent=self, **options)
        self._open(dialog, lambda: self._info(f"{done} {user.username}."))

    def do_activate(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        users, actor = self.gui.services.users, self.actor
        self._account_action(
            user,
            "Activate account",
            f"Activate the account of {user.full_name} ({user.username})?",
            "Activated",
            lambda _reason: users.activate(actor, user.id),
            ok_text="Activate",
        )

    def do_suspend(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        users, actor = self.gui.services.users, self.actor
        self._account_action(
            user,
            "Suspend account",
            f"Suspend {user.full_name} ({user.username})? They cannot sign in "
            "until the account is activated again.",
            "Suspended",
            lambda reason: users.suspend(actor, user.id, reason),
            ok_text="Suspend",
            reason=True,
        )

    def do_deactivate(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        users, actor = self.gui.services.users, self.actor
        self._account_action(
            user,
            "Deactivate account",
            f"Deactivate {user.full_name} ({user.username}) for good? A deactivated "
            "account cannot be activated again.",
            "Deactivated",
            lambda reason: users.deactivate(actor, user.id, reason),
            ok_text="Deactivate",
            reason=True,
            confirm=f"I understand that {user.username} can never sign in again.",
        )

    def do_reset(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        users, actor = self.gui.services.users, self.actor
        temporary = generate_temporary_password()
        dialog = ActionDialog(
            self.gui,
            title="Reset password",
            text=f"Give {user.full_name} ({user.username}) a new temporary password? The "
            "current password stops working and any lockout is cleared.",
            ok_text="Reset password",
            work=lambda _reason: users.reset_password(actor, user.id, temporary),
            parent=self,
        )
        self._open(dialog, lambda: self._show_password(user.username, temporary))

    def do_training(self) -> None:
        user = self.selected_user()
        if user is not None:
            can_add = self.actor.may(Action.MANAGE_TRAINING)
            self._open(TrainingDialog(self.gui, self.actor, user, can_add=can_add, parent=self))
