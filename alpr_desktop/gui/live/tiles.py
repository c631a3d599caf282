"""A camera tile: the newest frame (boxes and readings already drawn), the camera's state."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

#: State name -> (badge text, theme colour token).
STATE_BADGES = {
    "connecting": ("Connecting", "text_muted"),
    "live": ("Live", "success"),
    "reconnecting": ("Reconnecting", "danger"),
    "stopped": ("Stopped", "text_muted"),
    "failed": ("Failed", "danger"),
}


class VideoView(QWidget):
    """Paints the newest frame scaled to fit, centred, on black; says why when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.placeholder = "Waiting for video…"
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(480, 270)

    def show_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#000000"))
        if self.image is None or self.image.isNull():
            painter.setPen(QColor("#b8c0cc"))
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.rect().adjusted(12, 12, -12, -12), flags, self.placeholder)
            return
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(self.rect().center())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self.image)


class CameraTile(QFrame):
    """One camera on the Live page."""

    def __init__(self, name: str, colour: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraTile")
        self.name = name
        self._colour = colour  # ThemeManager.colour
        self.state = "connecting"
        self.title = QLabel(name, self)
        self.title.setObjectName("cardTitle")
        self.badge = QLabel(self)
        self.badge.setObjectName("stateBadge")
        self.detail = QLabel(self)
        self.detail.setObjectName("muted")
        self.detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.video = VideoView(self)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.title)
        header.addWidget(self.badge)
        header.addWidget(self.detail, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.video, 1)
        self.set_state("connecting", "")

    def set_state(self, state: str, detail: str) -> None:
        """Show ``state`` (a key of :data:`STATE_BADGES`) and what it means in words."""
        self.state = state
        text, token = STATE_BADGES.get(state, (state.capitalize(), "text_muted"))
        colour = self._colour(token)  # type: ignore[operator]
        self.badge.setText(text)
        self.badge.setStyleSheet(f"QLabel#stateBadge {{ color: {colour}; font-weight: 600; }}")
        self.detail.setText(detail)
        self.detail.setToolTip(detail)
        if state in ("failed", "stopped", "reconnecting"):
            self.video.placeholder = detail or text
            self.video.update()

    def show_frame(self, image: QImage) -> None:
        self.video.show_image(image)
