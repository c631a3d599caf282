"""The table model behind the user administration page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from alpr_desktop.gui.pages.rows_model import RowsModel
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


def _local(moment: dt.datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "Never"


def training_cell(user: UserView, today: dt.date) -> str:
    if not user.training:
        return "None recorded"
    current = [t.expires_on for t in user.training if t.completed_on <= today < t.expires_on]
    if current:
        return f"Until {max(current).isoformat()}"
    return f"Expired {max(t.expires_on for t in user.training).isoformat()}"


class UserTableModel(RowsModel[UserView]):
    """Read-only rows of :class:`UserView`; ``now`` is the services' clock."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        super().__init__(COLUMNS, self._cells)
        self._now = now

    def tooltip(self, record: UserView, column: str) -> str | None:
        return (record.state_reason or None) if column == "State" else None

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
