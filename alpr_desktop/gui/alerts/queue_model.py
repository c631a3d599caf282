"""The alert queue as a table: pending alerts first, most urgent then oldest on top.

The model keeps every alert the feed has delivered, by id. Pending ones are shown in
queue order (:attr:`AlertView.sort_key <alpr_desktop.services.alerts.AlertView.sort_key>`);
decided ones leave the queue, or, with :attr:`AlertQueueModel.show_decided`, follow it
greyed. A cell's ``UserRole`` is the alert's id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from alpr_desktop.services.alerts import AlertView
from alpr_desktop.storage.models import MatchKind

_Index = QModelIndex | QPersistentModelIndex

#: Two lines a cell, so every field fits beside the detail at 1280x720: the time and
#: whether it is a past read; the plate and how it matched; the category and the list;
#: the camera and the status.
COLUMNS = ("Pri.", "Time", "Plate", "Category", "Camera")
#: Badge colours by priority (1 is the most urgent); white text reads on each.
PRIORITY_COLOURS = {1: "#b3261e", 2: "#c25e00", 3: "#8a6d00"}
OTHER_PRIORITY = "#5b6770"
_KIND_LABELS = {
    MatchKind.EXACT: "exact",
    MatchKind.CONFUSABLE: "confusable",
    MatchKind.PARTIAL: "partial",
    MatchKind.ALTERNATIVE: "other reading",
}


def kind_label(kind: MatchKind) -> str:
    return _KIND_LABELS.get(kind, kind.value)


def category_label(category: str) -> str:
    """``stolen_vehicle`` -> ``Stolen vehicle`` (AMBER stays upper case)."""
    if category.lower() == "amber":
        return "AMBER"
    return category.replace("_", " ").capitalize()


def local_time(view: AlertView) -> str:
    return f"{view.read_at.astimezone():%H:%M:%S}"


def status_text(view: AlertView) -> str:
    if view.pending:
        return "pending"
    return f"{view.status.value} by {view.disposed_by or 'another user'}"


def cells(view: AlertView) -> tuple[str, ...]:
    return (
        f"P{view.priority}",
        local_time(view) + ("\npast read" if view.retroactive else ""),
        f"{view.plate_text}\n{kind_label(view.match_kind)}",
        f"{category_label(view.category)}\n{view.hotlist_name}",
        f"{view.camera_name or 'ad-hoc source'}\n{status_text(view)}",
    )


class AlertQueueModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._alerts: dict[int, AlertView] = {}
        self._rows: list[AlertView] = []
        self.show_decided = False
        self._bold = QFont()
        self._bold.setBold(True)

    # ------------------------------------------------------------------ content
    def merge(self, views: Iterable[AlertView]) -> list[AlertView]:
        """Add or update alerts; those that are pending and were not known before."""
        arrived: list[AlertView] = []
        for view in views:
            if view.id not in self._alerts and view.pending:
                arrived.append(view)
            old = self._alerts.get(view.id)
            if old is not None and not old.pending and view.pending:
                continue  # a late copy of a decision already taken: keep the decision
            self._alerts[view.id] = view
        self._layout()
        return arrived

    def clear(self) -> None:
        self._alerts.clear()
        self._layout()

    def set_show_decided(self, show: bool) -> None:
        self.show_decided = show
        self._layout()

    def _layout(self) -> None:
        pending = sorted((v for v in self._alerts.values() if v.pending), key=lambda v: v.sort_key)
        rows = pending
        if self.show_decided:
            decided = sorted(
                (v for v in self._alerts.values() if not v.pending),
                key=lambda v: v.disposed_at or v.created_at,
                reverse=True,
            )
            rows = pending + decided
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def alert(self, alert_id: int) -> AlertView | None:
        return self._alerts.get(alert_id)

    def row_at(self, row: int) -> AlertView:
        return self._rows[row]

    def row_of(self, alert_id: int) -> int | None:
        return next((i for i, v in enumerate(self._rows) if v.id == alert_id), None)

    @property
    def pending_count(self) -> int:
        return sum(1 for v in self._alerts.values() if v.pending)

    # ------------------------------------------------------------------ Qt
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
        view = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return cells(view)[column]
        if role == Qt.ItemDataRole.UserRole:
            return view.id
        if role == Qt.ItemDataRole.ToolTipRole:
            retro = (
                "\nRetroactive hit: a past read matched a new entry." if view.retroactive else ""
            )
            return f"{view.explanation}{retro}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == 0:
                return Qt.AlignmentFlag.AlignCenter
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if not view.pending:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(128, 128, 128))
            return None
        if column == 0:
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(QColor(PRIORITY_COLOURS.get(view.priority, OTHER_PRIORITY)))
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor("#ffffff"))
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        return None
