"""Search results as a table that pages itself in as the view scrolls (Qt "Fetch More").

The first page comes with the search; when the view nears the end, :meth:`fetchMore`
asks the page for the next one through :attr:`SearchResultsModel.fetch`, which calls
:meth:`SearchService.search <alpr_desktop.services.search.SearchService.search>` again
with the next offset on the background worker. **Each page fetched is a search of its
own in the access log** (same pattern, filters, purpose and case number, a new offset):
the law counts every look at the data, and the service records before it returns.

No thumbnail column: the crop of a row is only in the database, and reading it there is
opening the read (:meth:`SearchService.open_read`), an access record of its own. A
thumbnail per row would record an opened read for every row scrolled past, burying the
reads the detective actually looked at; the crop is shown in the detail pane instead.
A cell's ``UserRole`` is the read's id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from alpr_desktop.core.search import MatchQuality
from alpr_desktop.services.search import ReadResult, SearchPage

_Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("Match", "Plate", "Time", "Camera", "Conf.")
QUALITY_LABELS = {
    MatchQuality.EXACT: "exact",
    MatchQuality.ALTERNATIVE: "other reading",
    MatchQuality.CONFUSABLE: "confusable",
    MatchQuality.FUZZY: "one edit",
}


def quality_label(quality: MatchQuality) -> str:
    return QUALITY_LABELS.get(quality, quality.name.lower())


def when(result: ReadResult) -> str:
    return f"{result.read_at.astimezone():%Y-%m-%d %H:%M:%S}"


def camera_text(result: ReadResult) -> str:
    name = result.camera_name or "ad-hoc source"
    return f"{name} (mobile)" if result.mobile else name


class SearchResultsModel(QAbstractTableModel):
    """The ranked results of one search, fetched a page at a time by ``fetch(offset)``."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[ReadResult] = []
        self.total = 0
        self.capped = False
        self.loading = False
        self.fetch: Callable[[int], None] | None = None

    # ------------------------------------------------------------------ content
    def set_first(self, page: SearchPage) -> None:
        self.beginResetModel()
        self._rows = list(page.results)
        self.total, self.capped, self.loading = page.total, page.capped, False
        self.endResetModel()

    def append(self, page: SearchPage) -> None:
        """Add a later page (one that does not follow on is ignored)."""
        self.loading = False
        if page.offset != len(self._rows) or not page.results:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page.results) - 1)
        self._rows.extend(page.results)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.total, self.capped, self.loading = 0, False, False
        self.endResetModel()

    def result_at(self, row: int) -> ReadResult:
        return self._rows[row]

    @property
    def loaded(self) -> int:
        return len(self._rows)

    # ------------------------------------------------------------------ Qt
    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self.loading and len(self._rows) < self.total

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

    def cells(self, result: ReadResult) -> tuple[str, ...]:
        return (
            quality_label(result.quality),
            result.plate_text,
            when(result),
            camera_text(result),
            f"{result.confidence:.0%}",
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        result = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(result)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return result.reason or None
        if role == Qt.ItemDataRole.UserRole:
            return result.read_id
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 4:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None
