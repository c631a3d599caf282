"""Printable documents through Qt's own PDF writer (audit reports, request records, …).

A document is HTML (Qt's rich-text subset: headings, paragraphs, tables, ``<img>``
from ``data:`` or registered resources) laid out by :class:`QTextDocument` on A4 or
Letter pages with a running footer (title, page N of M). It can be written from a worker
thread: nothing here touches a widget, and on a plain Python thread (no Qt event
dispatcher, where Qt's text layout cannot start its timers) the layout runs on a
short-lived ``QThread`` that the caller waits for. Command-line tools call
:func:`ensure_gui_application` first (fonts need a ``QGuiApplication``; the ``offscreen``
platform serves when there is no display).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, QThread
from PySide6.QtGui import (
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from alpr_desktop.errors import StorageError

#: Resolution the pages are laid out at (points would do; 300 dpi keeps images sharp).
RESOLUTION = 300
_FOOTER_MM = 10.0


@dataclass(frozen=True)
class PdfDocument:
    """What to print: ``html`` under ``title`` (also the PDF's metadata title)."""

    title: str
    html: str
    creator: str = "alpr-desktop"
    letter: bool = True  # US Letter (California); False: A4
    footer: str = ""  # extra text left of "page N of M" (for example who printed it, when)


def ensure_gui_application() -> QGuiApplication:
    """The running ``QGuiApplication``, or a new offscreen one for a command-line tool."""
    existing = QGuiApplication.instance()
    if isinstance(existing, QGuiApplication):
        return existing
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QGuiApplication([])


def write_pdf(document: PdfDocument, path: Path) -> int:
    """Lay ``document`` out and write it to ``path`` atomically; the number of pages.

    Raises:
        StorageError: the file could not be written (nothing is left at ``path``).
    """
    path = Path(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        os.close(handle)
    except OSError as exc:
        raise StorageError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    try:
        pages = _render_on_a_qt_thread(document, temporary)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise StorageError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return pages


class _RenderThread(QThread):
    def __init__(self, document: PdfDocument, target: str) -> None:
        super().__init__()
        self.document, self.target = document, target
        self.pages = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.pages = _render(self.document, self.target)
        except BaseException as exc:  # re-raised on the calling thread
            self.error = exc


def _render_on_a_qt_thread(document: PdfDocument, target: str) -> int:
    if QThread.currentThread().eventDispatcher() is not None:
        return _render(document, target)  # the GUI thread, a QThread, a command-line tool
    thread = _RenderThread(document, target)
    thread.start()
    thread.wait()
    if thread.error is not None:
        raise thread.error
    return thread.pages


def _render(document: PdfDocument, target: str) -> int:
    writer = QPdfWriter(target)
    writer.setResolution(RESOLUTION)
    writer.setTitle(document.title)
    writer.setCreator(document.creator)
    size = QPageSize(QPageSize.PageSizeId.Letter if document.letter else QPageSize.PageSizeId.A4)
    layout = QPageLayout(
        size,
        QPageLayout.Orientation.Portrait,
        QMarginsF(18, 16, 18, 16 + _FOOTER_MM),
        QPageLayout.Unit.Millimeter,
    )
    writer.setPageLayout(layout)
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"Qt could not open {target} for writing")
    try:
        page_rect = writer.pageLayout().paintRectPixels(RESOLUTION)
        width, height = float(page_rect.width()), float(page_rect.height())
        text = QTextDocument()
        text.setDocumentMargin(0)
        font = QFont()
        font.setPointSizeF(10.0)
        text.setDefaultFont(font)
        text.setDefaultStyleSheet(
            "table { border-collapse: collapse; } "
            "th, td { border: 1px solid #888; padding: 3px; } "
            "th { background: #e6e6e6; } h1 { font-size: 16pt; } h2 { font-size: 13pt; }"
        )
        text.setHtml(document.html)
        # Lay out in device pixels of the writer (fonts are in points, so scale them).
        text.documentLayout().setPaintDevice(writer)
        text.setPageSize(QSizeF(width, height))
        pages = max(1, text.pageCount())
        footer_font = QFont(font)
        footer_font.setPointSizeF(8.0)
        footer_gap = _FOOTER_MM / 25.4 * RESOLUTION
        for index in range(pages):
            if index:
                writer.newPage()
            painter.save()
            painter.translate(0, -index * height)
            text.drawContents(painter, QRectF(0, index * height, width, height))
            painter.restore()
            painter.setFont(footer_font)
            left = f"{document.title}{' · ' + document.footer if document.footer else ''}"
            footer_rect = QRectF(0, height + footer_gap * 0.3, width, footer_gap * 0.6)
            painter.drawText(footer_rect, 0x0001 | 0x0080, left)  # AlignLeft | AlignVCenter
            painter.drawText(footer_rect, 0x0002 | 0x0080, f"page {index + 1} of {pages}")
    finally:
        painter.end()
    return pages
