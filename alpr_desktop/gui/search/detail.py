"""One opened read: its crop, its context frame with the plate's box, why it matched.

:func:`load_read` runs on the background worker: it opens the read through the search
service (an access record, with the search's purpose and case number) and decodes the
images there. The :class:`ReadDetailPane` only shows what it is given. The match reason
comes from the search result (opening a read does not know which search found it).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from alpr_desktop.gui.alerts.detail import FittedImage
from alpr_desktop.gui.live.images import boxed_image, decode_image
from alpr_desktop.gui.search.purpose import Declared
from alpr_desktop.gui.search.results import camera_text, quality_label, when
from alpr_desktop.services.base import Actor
from alpr_desktop.services.registry import Services
from alpr_desktop.services.search import OpenedRead, ReadResult

CROP_WIDTH = 240
CONTEXT_WIDTH = 420


@dataclass(frozen=True)
class LoadedRead:
    opened: OpenedRead
    #: The search result the read was opened from (its match reason).
    found: ReadResult
    crop: QImage
    context: QImage


def load_read(
    services: Services, actor: Actor, found: ReadResult | int, declared: Declared
) -> LoadedRead:
    """Open ``found``'s read (recorded) and decode its images (worker thread); a read
    id alone (clicked on the map) is shown with the read as stored."""
    read_id = found if isinstance(found, int) else found.read_id
    opened = services.search.open_read(
        actor, read_id, purpose=declared.purpose, case_number=declared.case_number
    )
    if isinstance(found, int):
        found = opened.result
    crop = decode_image(opened.crop) if opened.crop else QImage()
    if not crop.isNull() and crop.width() > CROP_WIDTH:
        crop = crop.scaledToWidth(CROP_WIDTH, Qt.TransformationMode.SmoothTransformation)
    return LoadedRead(opened, found, crop, boxed_context(opened))


def boxed_context(opened: OpenedRead) -> QImage:
    """The context image with the plate's box drawn just outside the plate."""
    return boxed_image(opened.context, opened.box, CONTEXT_WIDTH)


def position_text(result: ReadResult) -> str:
    if result.latitude is None or result.longitude is None:
        return "Unknown"
    return f"{result.latitude:.5f}, {result.longitude:.5f}"


class _Value(QLabel):
    def __init__(self, parent: QWidget) -> None:
        super().__init__("—", parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


class ReadDetailPane(QWidget):
    """The right-hand side of the Search page."""

    FIELDS = (
        ("camera", "Camera:"),
        ("read_at", "Read at:"),
        ("position", "Position:"),
        ("confidence", "Confidence:"),
        ("alternatives", "Also read as:"),
    )
    PLACEHOLDER = "Select a result to open the read (recorded with the search's case)."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loaded: LoadedRead | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.placeholder = QLabel(self.PLACEHOLDER, self)
        self.placeholder.setObjectName("muted")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.placeholder)
        self.body = QWidget(self)
        layout.addWidget(self.body, 1)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(8)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        self.plate = QLabel(self.body)
        self.plate.setObjectName("pageTitle")
        self.reason = QLabel(self.body)
        self.reason.setObjectName("cardTitle")
        self.reason.setWordWrap(True)
        titles.addWidget(self.plate)
        titles.addWidget(self.reason)
        titles.addStretch(1)
        head.addLayout(titles, 1)
        self.crop = QLabel(self.body)
        self.crop.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.crop)
        body.addLayout(head)
        self.context = FittedImage(self.body)
        body.addWidget(self.context)
        form = QFormLayout()
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(4)
        self.values: dict[str, QLabel] = {}
        for key, label in self.FIELDS:
            self.values[key] = _Value(self.body)
            form.addRow(label, self.values[key])
        body.addLayout(form)
        body.addStretch(1)
        self.clear()

    def clear(self, text: str = PLACEHOLDER) -> None:
        self.loaded = None
        self.placeholder.setText(text)
        self.placeholder.show()
        self.body.hide()

    def show_loaded(self, loaded: LoadedRead) -> None:
        self.loaded = loaded
        found, result = loaded.found, loaded.opened.result
        self.plate.setText(result.plate_text)
        reason = found.reason or f"matched {found.matched_text}"
        self.reason.setText(f"{quality_label(found.quality).capitalize()} match: {reason}")
        if loaded.crop.isNull():
            self.crop.setPixmap(QPixmap())
            self.crop.setText("No plate image")
        else:
            self.crop.setPixmap(QPixmap.fromImage(loaded.crop))
            self.crop.setToolTip("The plate as read")
        self.context.set_image(loaded.context)
        if loaded.context.isNull():
            self.context.setText("No context image was stored with this read.")
        alternatives = ", ".join(f"{text} ({conf:.0%})" for text, conf in result.alternatives)
        values = {
            "camera": camera_text(result),
            "read_at": when(result) + f" {result.read_at.astimezone():%Z}",
            "position": position_text(result),
            "confidence": f"{result.confidence:.0%}",
            "alternatives": alternatives or "—",
        }
        for key, value in values.items():
            self.values[key].setText(value)
        self.placeholder.hide()
        self.body.show()
