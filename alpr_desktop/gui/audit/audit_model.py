"""The access records of one view as a table that pages itself in as it scrolls.

The first page comes with the view (recorded as an ``audit_view`` by the service); as
the table nears its end, :meth:`fetchMore` asks for the next page through
:attr:`AuditTableModel.fetch`, which continues the same view (no new record: it is the
same query, and the service checks it is this user's view of these filters). A cell's
``UserRole`` is the record's id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from alpr_desktop.services.audit_query import AuditRow, TrailPage

_Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("#", "Time", "User", "Workstation", "Action", "Outcome", "Purpose", "Case", "Target")
SEQ_COLUMN = 0
OUTCOME_COLUMN = 5


def local_time(row: AuditRow) -> str:
    """The record's time on this workstation's clock (stored in UTC)."""
    return f"{row.recorded_at.astimezone():%Y-%m-%d %H:%M:%S}"


def cells(row: AuditRow) -> tuple[str, ...]:
    return (
        str(row.seq),
        local_time(row),
        row.username,
        row.workstation,
        row.action,
        row.outcome,
        row.purpose,
        row.case_number,
        row.target,
    )


class AuditTableModel(QAbstractTableModel):
    """The records of one view, newest first, fetched a page at a time by ``fetch``."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[AuditRow] = []
        self.more = False
        self.loading = False
        self.total: int | None = None
        self.total_capped = False
        self.fetch: Callable[[int], None] | None = None

    # ------------------------------------------------------------------ content
    def set_first(self, page: TrailPage) -> None:
        self.beginResetModel()
        self._rows = list(page.rows)
        self.more, self.loading = page.more, False
        self.total, self.total_capped = page.total, page.total_capped
        self.endResetModel()

    def append(self, page: TrailPage) -> None:
        """Add a later page (one that does not follow on is ignored)."""
        self.loading = False
        if page.offset != len(self._rows):
            return
        self.more = page.more
        if not page.rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
        self._rows.extend(page.rows)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.more = self.loading = self.total_capped = False
        self.total = None
        self.endResetModel()

    def row_at(self, row: int) -> AuditRow:
        return self._rows[row]

    @property
    def loaded(self) -> int:
        return len(self._rows)

    # ------------------------------------------------------------------ Qt
    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self.loading and self.more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent) and self.fetch is not None:
            self.loading = True
            self.fetch(len(self._rows))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

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
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cells(row)[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.category} · {row.action} · {row.recorded_at:%Y-%m-%d %H:%M:%S} UTC"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == SEQ_COLUMN:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None
