"""The table model behind the user administration page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from alpr_desktop.services.users import UserView

COLUMNS = (
    "Username",
    "Name",
    "Roles",
    "State",
    "Training",
    "Last sign-in",
    "Notes",
)

_Index = QModelIndex | QPersistentModelIndex


def _local(moment: dt.datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "Never"


def training_cell(user: UserView, today: dt.date) -> str:
    if not user.training:
        return "None recorded"
    current = [t.expires_on for t in user.training if t.completed_on <= today < t.expires_on]
    if current:
        return f"Until {max(current).isoformat()}"
    return f"Expired {max(t.expires_on for t in user.training).isoformat()}"


class UserTableModel(QAbstractTableModel):
    """Read-only rows of :class:`UserView`; ``now`` is the services' clock."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        super().__init__()
        self._now = now
        self._users: list[UserView] = []

    def set_users(self, users: list[UserView]) -> None:
        self.beginResetModel()
        self._users = list(users)
        self.endResetModel()

    def user_at(self, row: int) -> UserView:
        return self._users[row]

    def row_of(self, user_id: int) -> int | None:
        return next((i for i, u in enumerate(self._users) if u.id == user_id), None)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._users)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        user = self._users[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells(user)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[index.column()] == "State":
            return user.state_reason or None
        if role == Qt.ItemDataRole.UserRole:
            return user.id
        return None

    def _cells(self, user: UserView) -> tuple[str, ...]:
        now = self._now()
        notes = []
        if user.password_is_temporary:
            notes.append("Temporary password")
        if user.locked_until is not None and user.locked_until > now:
            notes.append(f"Locked until {user.locked_until.astimezone():%H:%M}")
        return (
            user.username,
            user.full_name,
            ", ".join(role.label for role in sorted(user.roles)),
            user.state.value.capitalize(),
            training_cell(user, now.date()),
            _local(user.last_login_at),
            "; ".join(notes),
        )
