"""One alert in full: the images (decoded off the GUI thread), the entry, the reason.

:func:`load_detail` runs on the background worker: it asks the alert service for the
alert (an access record, so the page calls it once per selection) and decodes the crop
and the context image there, the plate's box drawn on the context. The
:class:`AlertDetailPane` only shows what it is given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.gui.alerts.queue_model import category_label, kind_label
from alpr_desktop.gui.live.images import boxed_image, decode_image
from alpr_desktop.services.alerts import AlertDetail, AlertImage, AlertView
from alpr_desktop.services.base import Actor
from alpr_desktop.services.registry import Services

#: Widest the images are prepared (the pane scales them down to fit).
CROP_WIDTH = 220
CONTEXT_WIDTH = 460


@dataclass(frozen=True)
class LoadedDetail:
    detail: AlertDetail
    crop: QImage
    context: QImage
    #: False when the read has a box that could not be placed on the context image.
    box_drawn: bool


def load_detail(services: Services, actor: Actor, alert_id: int) -> LoadedDetail:
    """The alert's detail with its images ready to show (worker thread)."""
    detail = services.alerts.view(actor, alert_id)
    crop = _scaled(detail.crop, CROP_WIDTH)
    context, drawn = _context(detail)
    return LoadedDetail(detail, crop, context, drawn)


def _scaled(image: AlertImage | None, width: int) -> QImage:
    if image is None:
        return QImage()
    decoded = decode_image(image.data)
    if decoded.isNull() or decoded.width() <= width:
        return decoded
    return decoded.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)


def _context(detail: AlertDetail) -> tuple[QImage, bool]:
    """The context image with the plate's box, at most :data:`CONTEXT_WIDTH` wide.

    The service gives the box on the context image already (scaled from the camera
    frame by the frame size the read recorded); a read that recorded none gets no box
    rather than one in the wrong place. The flag: whether the box could be drawn.
    """
    if detail.context is None:
        return QImage(), True
    image = boxed_image(detail.context.data, detail.box, CONTEXT_WIDTH)
    return image, not image.isNull() and detail.box is not None


def _when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return f"{value.astimezone():%Y-%m-%d %H:%M:%S %Z}"
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if parsed.tzinfo is None:
            return f"{parsed:%Y-%m-%d}"
        return _when(parsed)
    return str(value) if value else "—"


def position_text(view: AlertView) -> str:
    if view.latitude is None or view.longitude is None:
        return "Unknown"
    return f"{view.latitude:.5f}, {view.longitude:.5f}"


def decision_text(view: AlertView) -> str:
    """``Accepted by disp.one at 12:01:02 (Confirmed via CLETS)``; "" while pending."""
    if view.pending:
        return ""
    when = f" at {view.disposed_at.astimezone():%H:%M:%S}" if view.disposed_at else ""
    reason = f" ({view.disposition_reason})" if view.disposition_reason else ""
    return (
        f"{view.status.value.capitalize()} by {view.disposed_by or 'another user'}{when}{reason}."
    )


class FittedImage(QLabel):
    """An image shown as wide as the label allows (never wider than it is), ratio kept.

    The image arrives decoded and scaled off the GUI thread; only the last fit to the
    label's width (a cheap scale of a small image) happens here.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._image = QImage()
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def set_image(self, image: QImage) -> None:
        self._image = image
        self._fit()

    def image(self) -> QImage:
        return self._image

    def hasHeightForWidth(self) -> bool:
        return not self._image.isNull()

    def heightForWidth(self, width: int) -> int:
        if self._image.isNull():
            return super().heightForWidth(width)
        width = min(width, self._image.width())
        return round(width * self._image.height() / self._image.width())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._image.isNull():
            self.setPixmap(QPixmap())
            return
        width = max(1, min(self.width(), self._image.width()))
        scaled = self._image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        self.setPixmap(QPixmap.fromImage(scaled))


class _Value(QLabel):
    def __init__(self, parent: QWidget) -> None:
        super().__init__("—", parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


class AlertDetailPane(QWidget):
    """The right-hand side of the Alerts page."""

    accept_requested = Signal()
    reject_requested = Signal()
    #: Show the alert's read on a map.
    map_requested = Signal()

    ENTRY_FIELDS = (
        ("list", "List:"),
        ("pattern", "Entry:"),
        ("state", "State:"),
        ("category", "Category:"),
        ("priority", "Priority:"),
        ("source", "Source:"),
        ("case_number", "Case number:"),
        ("notes", "Notes:"),
        ("expires_at", "Expires:"),
    )
    READ_FIELDS = (
        ("camera", "Camera:"),
        ("read_at", "Read at:"),
        ("position", "Position:"),
        ("confidence", "Confidence:"),
        ("alternatives", "Also read as:"),
    )

    def __init__(self, reminder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: AlertView | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.placeholder = QLabel("Select an alert in the queue to see it here.", self)
        self.placeholder.setObjectName("muted")
        layout.addWidget(self.placeholder)
        self.body = QWidget(self)
        layout.addWidget(self.body, 1)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(8)
        self.reminder = QLabel(f"⚠ {reminder}", self.body)
        self.reminder.setObjectName("errorLabel")
        self.reminder.setWordWrap(True)
        body.addWidget(self.reminder)
        head = QHBoxLayout()
        self.plate = QLabel(self.body)
        self.plate.setObjectName("pageTitle")
        self.match = QLabel(self.body)
        self.match.setWordWrap(True)
        self.match.setObjectName("cardTitle")
        titles = QVBoxLayout()
        titles.addWidget(self.plate)
        titles.addWidget(self.match)
        titles.addStretch(1)
        head.addLayout(titles, 1)
        self.crop = QLabel(self.body)
        self.crop.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.crop)
        body.addLayout(head)
        self.decision = QLabel(self.body)
        self.decision.setObjectName("okLabel")
        self.decision.setWordWrap(True)
        body.addWidget(self.decision)
        columns = QHBoxLayout()
        columns.setSpacing(16)
        left = QVBoxLayout()
        self.context = FittedImage(self.body)
        self.context_note = QLabel(self.body)
        self.context_note.setObjectName("muted")
        self.context_note.setWordWrap(True)
        left.addWidget(self.context)
        left.addWidget(self.context_note)
        self.read_form, self.read_values = self._form(self.READ_FIELDS)
        left.addLayout(self.read_form)
        left.addStretch(1)
        right = QVBoxLayout()
        heading = QLabel("Hotlist entry", self.body)
        heading.setObjectName("cardTitle")
        right.addWidget(heading)
        self.entry_form, self.entry_values = self._form(self.ENTRY_FIELDS)
        right.addLayout(self.entry_form)
        right.addStretch(1)
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        body.addLayout(columns, 1)
        # The buttons live in their own row, which the page places below the scrolled
        # detail so that they stay in sight.
        self.buttons = QWidget(self)
        row = QHBoxLayout(self.buttons)
        row.setContentsMargins(0, 4, 0, 0)
        self.map_button = QPushButton("Map…", self.buttons)
        self.map_button.setObjectName("alertMap")
        self.map_button.setToolTip(
            "Where the read was taken, its camera and, for a mobile unit, its track"
        )
        self.map_button.clicked.connect(self.map_requested)
        row.addWidget(self.map_button)
        row.addStretch(1)
        self.reject_button = QPushButton("Reject…", self.buttons)
        self.accept_button = QPushButton("Accept…", self.buttons)
        self.accept_button.setDefault(True)
        self.reject_button.clicked.connect(self.reject_requested)
        self.accept_button.clicked.connect(self.accept_requested)
        row.addWidget(self.reject_button)
        row.addWidget(self.accept_button)
        self.clear()

    def _form(self, fields: tuple[tuple[str, str], ...]) -> tuple[QFormLayout, dict[str, QLabel]]:
        form = QFormLayout()
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(4)
        values: dict[str, QLabel] = {}
        for key, label in fields:
            values[key] = _Value(self.body)
            form.addRow(label, values[key])
        return form, values

    def clear(self, text: str = "Select an alert in the queue to see it here.") -> None:
        self.view = None
        self.placeholder.setText(text)
        self.placeholder.show()
        self.body.hide()
        self.accept_button.setEnabled(False)
        self.reject_button.setEnabled(False)
        self.map_button.setEnabled(False)

    def show_loaded(self, loaded: LoadedDetail) -> None:
        detail = loaded.detail
        view = detail.alert
        entry = detail.entry
        self.plate.setText(view.plate_text)
        retro = "\nRetroactive hit: a past read matched a new entry." if view.retroactive else ""
        self.match.setText(
            f"{kind_label(view.match_kind).capitalize()} match on entry “{view.entry_pattern}”\n"
            f"{view.explanation or view.matched_text}{retro}"
        )
        self.crop.setPixmap(
            QPixmap.fromImage(loaded.crop) if not loaded.crop.isNull() else QPixmap()
        )
        if not loaded.crop.isNull():
            self.crop.setToolTip("The plate as read")
        else:
            self.crop.setText("No plate image")
        self.context.set_image(loaded.context)
        if loaded.context.isNull():
            self.context.setText("No context image was stored with this read.")
        notes = []
        if not loaded.box_drawn:
            notes.append("The plate box could not be placed on this image.")
        if detail.camera_mobile:
            notes.append("Mobile camera: the position is the unit's at the read.")
        self.context_note.setText(" ".join(notes))
        self.context_note.setVisible(bool(notes))
        alternatives = ", ".join(f"{text} ({conf:.0%})" for text, conf in detail.alternatives)
        read = {
            "camera": view.camera_name or "ad-hoc source",
            "read_at": _when(view.read_at),
            "position": position_text(view),
            "confidence": f"{view.confidence:.0%} ({detail.frames_voted} frame(s) voted)",
            "alternatives": alternatives or "—",
        }
        for key, value in read.items():
            self.read_values[key].setText(value)
        fields = {
            "list": view.hotlist_name,
            "pattern": view.entry_pattern,
            "state": entry.get("state") or "—",
            "category": category_label(str(entry.get("category") or view.category)),
            "priority": str(view.priority),
            "source": entry.get("source") or "—",
            "case_number": entry.get("case_number") or "—",
            "notes": entry.get("notes") or "—",
            "expires_at": _when(entry.get("expires_at")) if entry.get("expires_at") else "never",
        }
        for key, value in fields.items():
            self.entry_values[key].setText(str(value))
        self.placeholder.hide()
        self.body.show()
        self.set_view(view, notes=detail.disposition_notes)

    def set_view(self, view: AlertView, *, notes: str = "") -> None:
        """Show the alert's current state (a decision taken here or elsewhere)."""
        self.view = view
        text = decision_text(view)
        if text and notes:
            text += f" Notes: {notes}"
        self.decision.setText(text)
        self.decision.setVisible(bool(text))
        self.accept_button.setEnabled(view.pending)
        self.reject_button.setEnabled(view.pending)
        self.map_button.setEnabled(view.latitude is not None and view.longitude is not None)
