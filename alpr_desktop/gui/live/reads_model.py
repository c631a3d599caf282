"""The recent-reads strip: the newest reads first, each with its crop thumbnail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QImage, QPixmap

from alpr_desktop.recognition.reads import VehicleRead

_Index = QModelIndex | QPersistentModelIndex
THUMB_SIZE = QSize(120, 40)

#: The read itself, for the detail dialog.
ReadRole = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class LiveRead:
    """A read as the strip shows it; the thumbnail was decoded on the worker thread."""

    read: VehicleRead
    thumbnail: QImage

    @property
    def caption(self) -> str:
        local = self.read.read_at.astimezone()
        return (
            f"{self.read.plate_text}  {self.read.confidence:.0%}\n"
            f"{self.read.camera_name or 'ad-hoc source'} · {local:%H:%M:%S}"
        )


class RecentReadsModel(QAbstractListModel):
    """At most ``capacity`` reads, newest first; older ones fall off the end."""

    def __init__(self, capacity: int = 200) -> None:
        super().__init__()
        self.capacity = capacity
        self._reads: list[LiveRead] = []
        self._pixmaps: dict[str, QPixmap] = {}

    def add(self, item: LiveRead) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._reads.insert(0, item)
        self.endInsertRows()
        if len(self._reads) > self.capacity:
            last = len(self._reads) - 1
            self.beginRemoveRows(QModelIndex(), self.capacity, last)
            for gone in self._reads[self.capacity :]:
                self._pixmaps.pop(gone.read.read_uuid, None)
            del self._reads[self.capacity :]
            self.endRemoveRows()

    def read_at(self, row: int) -> LiveRead:
        return self._reads[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._reads)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._reads[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.caption
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            alternatives = ", ".join(
                f"{c.text} {c.confidence:.0%}" for c in item.read.alternatives[:3]
            )
            return f"{item.read.frames_voted} frames voted" + (
                f"; also read as {alternatives}" if alternatives else ""
            )
        if role == ReadRole:
            return item.read
        return None

    def _pixmap(self, item: LiveRead) -> QPixmap:
        # QPixmap lives on the GUI thread; made once per read from the worker's QImage.
        key = item.read.read_uuid
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = QPixmap.fromImage(item.thumbnail)
            self._pixmaps[key] = pixmap
        return pixmap


def thumbnail(read: VehicleRead) -> QImage:
    """The read's crop scaled to the strip's thumbnail size (call off the GUI thread)."""
    from alpr_desktop.gui.live.images import decode_image

    image = decode_image(read.crop.data)
    if image.isNull():
        return image
    return image.scaled(
        THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
