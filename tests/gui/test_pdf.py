"""Qt's PDF writer: pages, footer, atomic writes; a page turned back into pixels."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from alpr_desktop.errors import StorageError
from alpr_desktop.gui.pdf import PdfDocument, write_pdf

pdfium = pytest.importorskip("pypdfium2")


def _rows(count: int) -> str:
    cells = "".join(f"<tr><td>{i}</td><td>demo.investigator</td></tr>" for i in range(count))
    return f"<h1>Audit report</h1><table><tr><th>#</th><th>User</th></tr>{cells}</table>"


def test_a_long_table_flows_over_pages_and_the_page_shows_ink(qapp: object, tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    pages = write_pdf(PdfDocument("Audit report", _rows(150), footer="printed by x"), target)
    document = pdfium.PdfDocument(str(target))
    assert pages == len(document) >= 3
    assert document.get_metadata_dict()["Title"] == "Audit report"
    first = document[0]
    # PDFium splits the text into runs at will: compare without whitespace.
    text = "".join(first.get_textpage().get_text_range().split())
    assert "Auditreport" in text and "page1of" in text and "demo.investigator" in text
    pixels = first.render(scale=0.5, grayscale=True).to_numpy()
    dark = int((pixels < 128).sum())
    assert dark > 200  # text and table rules, not a blank page (fonts vary with the test order)
    assert not list(tmp_path.glob(".*.part"))


def test_one_short_page(qapp: object, tmp_path: Path) -> None:
    target = tmp_path / "short.pdf"
    assert write_pdf(PdfDocument("Short", "<p>One line.</p>", letter=False), target) == 1


def test_an_unwritable_target_is_a_clear_error_and_leaves_nothing(
    qapp: object, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="Cannot write"):
        write_pdf(PdfDocument("T", "<p>x</p>"), blocker / "sub" / "out.pdf")


def test_written_from_a_plain_python_thread(qapp: object, tmp_path: Path) -> None:
    """The page's workers are Python threads: the layout moves to a QThread (no Qt
    warning about timers, which the suite turns into failures)."""
    target = tmp_path / "threaded.pdf"
    pages: list[int] = []
    worker = threading.Thread(
        target=lambda: pages.append(write_pdf(PdfDocument("Threaded", _rows(120)), target))
    )
    worker.start()
    worker.join(60)
    assert pages and pages[0] == len(pdfium.PdfDocument(str(target))) >= 2
