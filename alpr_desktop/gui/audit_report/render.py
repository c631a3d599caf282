"""The audit report's PDF: its HTML (``services/audit_report_document.py``) with bar
charts of searches per day and per user painted into images and embedded as ``data:``
URLs, laid out by Qt's PDF writer (:mod:`alpr_desktop.gui.pdf`).

Nothing here touches a widget: it runs on a worker thread (the page's export) or in a
command-line tool after :func:`~alpr_desktop.gui.pdf.ensure_gui_application`.
"""

from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from alpr_desktop.gui.pdf import PdfDocument, write_pdf
from alpr_desktop.services.audit_report import ReportView
from alpr_desktop.services.audit_report_document import period_text, report_html

BAR = QColor("#2f6db5")
AXIS = QColor("#555555")
#: Users shown in the per-user chart (the table lists them all).
TOP_USERS = 12


def bar_chart_png(
    labels: list[str], values: list[int], *, width: int = 1800, height: int = 600, every: int = 1
) -> bytes:
    """A bar chart as PNG bytes; every ``every``-th label is written under its bar."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont()
        font.setPixelSize(max(14, height // 14))
        painter.setFont(font)
        left, right, top, bottom = width * 0.06, width * 0.06, height * 0.08, height * 0.26
        plot = QRectF(left, top, width - left - right, height - top - bottom)
        peak = max([*values, 1])
        painter.setPen(QPen(AXIS, 2))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        for tick in sorted({0, peak // 2, peak}):
            y = plot.bottom() - plot.height() * tick / peak
            painter.drawText(
                QRectF(0, y - height / 12, left - 10, height / 6),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(tick),
            )
        slot = min(plot.width() / max(len(values), 1), plot.width() / 8)
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            bar_height = plot.height() * value / peak
            x = plot.left() + index * slot
            painter.fillRect(
                QRectF(x + slot * 0.15, plot.bottom() - bar_height, slot * 0.7, bar_height), BAR
            )
            if index % every == 0:
                painter.save()
                painter.translate(x + slot / 2, plot.bottom() + 8)
                painter.rotate(30)
                painter.drawText(
                    QRectF(0, -height / 24, bottom * 2, height / 12),
                    Qt.AlignmentFlag.AlignLeft,
                    label,
                )
                painter.restore()
    finally:
        painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def chart_urls(view: ReportView) -> dict[str, str]:
    """Title -> ``data:`` URL of the charts the report has data for."""
    charts: dict[str, str] = {}
    days = view.per_day
    if days and any(count for _day, count in days):
        labels = [day[5:] for day, _count in days]  # MM-DD
        png = bar_chart_png(labels, [c for _d, c in days], every=max(1, round(len(days) / 11)))
        charts["Searches per day"] = _url(png)
    users = [row for row in view.table("searches_by_user").rows][:TOP_USERS]
    if users:
        png = bar_chart_png([str(r[0]) for r in users], [int(r[1]) for r in users])
        charts["Searches per user" + (f" (top {TOP_USERS})" if len(users) == TOP_USERS else "")] = (
            _url(png)
        )
    return charts


def _url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def write_report_pdf(view: ReportView, target: Path) -> None:
    """Write ``view`` as a PDF to ``target`` (atomically)."""
    title = f"Audit report #{view.summary.id}"
    footer = f"{view.agency_name} · {period_text(view)}"
    document = PdfDocument(title, report_html(view, chart_urls(view)), footer=footer)
    write_pdf(document, target)  # on a QThread when called from a plain Python thread
