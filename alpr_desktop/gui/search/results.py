"""Search results as a table that pages itself in as the view scrolls (Qt "Fetch More").

The first page comes with the search; when the view nears the end, :meth:`fetchMore`
asks the page for the next one through :attr:`SearchResultsModel.fetch`, which calls
:meth:`SearchService.search <alpr_desktop.services.search.SearchService.search>` again
with the next offset on the background worker. **Each page fetched is a search of its
own in the access log** (same pattern, filters, purpose and case number, a new offset):
the law counts every look at the data, and the service records before it returns.

Each row's plate crop shows beside its plate (``DecorationRole``). The crops come with
the page (``SearchRequest.thumbnails``), under that page's own search record: they are
what the search shows. The context frame is not — selecting a row opens the read
(:meth:`SearchService.open_read`), an access record of its own. The crops are decoded
and scaled on the worker (:func:`decode_thumbnails`), never on the GUI thread.
A cell's ``UserRole`` is the read's id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QImage

from alpr_desktop.core.search import MatchQuality
from alpr_desktop.services.search import ReadResult, SearchPage

_Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("Match", "Plate", "Time", "Camera", "Conf.")
PLATE_COLUMN = 1
#: The size a row's crop is shown at (the plate column's icon size).
THUMBNAIL = QSize(72, 36)
QUALITY_LABELS = {
    MatchQuality.EXACT: "exact",
    MatchQuality.ALTERNATIVE: "other reading",
    MatchQuality.CONFUSABLE: "confusable",
    MatchQuality.FUZZY: "one edit",
}


@dataclass(frozen=True)
class ThumbnailedPage:
    """A page of results with its crops decoded, ready for the model."""

    page: SearchPage
    images: dict[int, QImage]


def decode_thumbnails(page: SearchPage) -> ThumbnailedPage:
    """Decode and scale the page's crops (worker side; QImage is safe off the GUI thread)."""
    images: dict[int, QImage] = {}
    for read_id, data in page.thumbnails.items():
        image = QImage.fromData(data)
        if not image.isNull():
            images[read_id] = image.scaled(
                THUMBNAIL,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
    return ThumbnailedPage(page, images)


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
        self._images: dict[int, QImage] = {}
        self.total = 0
        self.capped = False
        self.loading = False
        self.fetch: Callable[[int], None] | None = None

    # ------------------------------------------------------------------ content
    def set_first(self, page: SearchPage, images: dict[int, QImage] | None = None) -> None:
        self.beginResetModel()
        self._rows = list(page.results)
        self._images = dict(images or {})
        self.total, self.capped, self.loading = page.total, page.capped, False
        self.endResetModel()

    def append(self, page: SearchPage, images: dict[int, QImage] | None = None) -> None:
        """Add a later page (one that does not follow on is ignored)."""
        self.loading = False
        if page.offset != len(self._rows) or not page.results:
            return
        self._images.update(images or {})
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page.results) - 1)
        self._rows.extend(page.results)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._images = {}
        self.total, self.capped, self.loading = 0, False, False
        self.endResetModel()

    def result_at(self, row: int) -> ReadResult:
        return self._rows[row]

    def thumbnail(self, row: int) -> QImage | None:
        return self._images.get(self._rows[row].read_id)

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
        if role == Qt.ItemDataRole.DecorationRole and index.column() == PLATE_COLUMN:
            return self._images.get(result.read_id)
        if role == Qt.ItemDataRole.ToolTipRole:
            return result.reason or None
        if role == Qt.ItemDataRole.UserRole:
            return result.read_id
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 4:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None
