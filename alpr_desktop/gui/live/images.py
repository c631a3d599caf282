"""Images for the Live page, made off the GUI thread.

``QImage`` (unlike ``QPixmap``) may be created and painted on any thread, so recognition
workers hand the GUI frames that are already scaled and annotated; the GUI thread only
shows them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from alpr_desktop.recognition.types import PlateBox

#: Box and label colours over video (legible on any scene).
BOX_COLOUR = QColor("#ffd400")
LABEL_BG = QColor(0, 0, 0, 170)


def bgr_to_qimage(frame: npt.NDArray[np.uint8], max_width: int) -> tuple[QImage, float]:
    """A copy of a BGR frame as an RGB ``QImage`` at most ``max_width`` wide, and its scale."""
    height, width = frame.shape[:2]
    scale = min(1.0, max_width / width) if width else 1.0
    if scale < 1.0:
        import cv2

        frame = cv2.resize(
            frame, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
        )
    rgb = np.ascontiguousarray(frame[:, :, ::-1])
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return image.copy(), scale  # copy: the QImage must not outlive the numpy buffer


def draw_plates(image: QImage, plates: Sequence[tuple[PlateBox, str, float]], scale: float) -> None:
    """Draw each plate's box and its reading with the confidence over ``image``."""
    if not plates:
        return
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont()
        font.setPixelSize(max(11, round(image.height() / 32)))
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for box, text, confidence in plates:
            rect = QRectF(box.x * scale, box.y * scale, box.w * scale, box.h * scale)
            painter.setPen(QPen(BOX_COLOUR, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)
            label = f"{text} {confidence:.0%}" if text else "…"
            width = metrics.horizontalAdvance(label) + 8
            top = max(0.0, rect.top() - metrics.height() - 2)
            back = QRectF(rect.left(), top, width, metrics.height() + 2)
            painter.fillRect(back, LABEL_BG)
            painter.setPen(BOX_COLOUR)
            painter.drawText(back, Qt.AlignmentFlag.AlignCenter, label)
    finally:
        painter.end()


def decode_image(data: bytes) -> QImage:
    """A JPEG or PNG as a ``QImage`` (a null image for bytes that are not one)."""
    image = QImage()
    image.loadFromData(data)
    return image


def boxed_image(
    data: bytes | None, box: tuple[float, float, float, float] | None, max_width: int
) -> QImage:
    """A stored context image with the plate's box (already in its pixels) drawn just
    outside the plate, at most ``max_width`` wide; a null image when there is none."""
    if not data:
        return QImage()
    image = decode_image(data)
    if image.isNull():
        return image
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    if box is not None:
        pen = max(3, image.width() // 160)  # still visible once scaled to the pane
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(BOX_COLOUR, pen))
            # Just outside the plate, so the line never hides a character.
            painter.drawRect(QRectF(*box).adjusted(-pen, -pen, pen, pen))
        finally:
            painter.end()
    if image.width() > max_width:
        image = image.scaledToWidth(max_width, Qt.TransformationMode.SmoothTransformation)
    return image
