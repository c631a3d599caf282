"""Export… on the Search page: the current search's results as a verifiable package.

The export runs under the purpose and case number already declared for the search
session (it is part of the same inquiry; nothing is asked again, nothing pre-filled);
the service records it as an access of its own (``export_reads``) before reading
anything. It runs on the long-job thread: a progress bar with Cancel meanwhile (the
worker writes its progress into a plain attribute a timer reads, as the hotlist import
does; a cancel leaves no file), a message with the count and the path at the end.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import (
    QMessageBox,
    QPushButton,
    QWidget,
)

from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.export_bar import ExportBarBase
from alpr_desktop.services.base import Actor
from alpr_desktop.services.search import SearchRequest
from alpr_desktop.services.search_export import ExportResult

#: What the page gives: the current search session's request (with its purpose and case
#: number) and how many reads matched, or None when there is nothing to export.
Source = Callable[[], tuple[SearchRequest, int] | None]


def default_name(case_number: str, today: dt.date) -> str:
    """``search-<case>-<date>.zip``, the case number made safe for a file name."""
    case = re.sub(r"[^A-Za-z0-9._-]+", "-", case_number).strip("-.") or "case"
    return f"search-{case}-{today.isoformat()}.zip"


class ExportBar(ExportBarBase):
    """The Export… button, the export's progress and Cancel; see the module."""

    def __init__(
        self, gui: GuiContext, actor: Actor, source: Source, parent: QWidget | None = None
    ) -> None:
        super().__init__(gui, actor, parent)
        self.source = source
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("searchExport")
        self.export_button.setToolTip(
            "Save every matching read (CSV, JSON, crops and context images, with a manifest "
            "of SHA-256 sums) to a zip file; recorded under this search's purpose and case."
        )
        self.export_button.clicked.connect(self.choose_and_export)
        self._lay_out([self.export_button], self._has_results, stretch=True)

    def watch(self, model: QAbstractItemModel) -> None:
        """Refresh whenever the results model is reset or grows."""
        model.modelReset.connect(self.refresh)
        model.rowsInserted.connect(self.refresh)

    def _has_results(self) -> bool:
        found = self.source()
        return found is not None and found[1] > 0

    def choose_and_export(self) -> None:
        """Ask where (a file dialog), then export there."""
        found = self.source()
        if found is None or self.running:
            return
        request, _total = found
        name = default_name(request.case_number, dt.date.today())
        target = self.save_path("Export search results", name, "Zip packages (*.zip)", ".zip")
        if target is not None:
            self.export(request, target)

    def export(self, request: SearchRequest, target: Path) -> None:
        """Export ``request``'s results to ``target`` on the long-job thread."""
        search, actor = self.gui.services.search, self.actor
        self.start(
            lambda progress, cancelled: search.export(
                actor, request, target, progress=progress, cancel=cancelled
            ),
            self._done,
        )

    def _done(self, result: ExportResult) -> None:
        capped = (
            "\n\nMore reads matched than a search ranks: only the first ones are in it."
            if result.capped
            else ""
        )
        self._tell(
            QMessageBox.Icon.Information,
            "Export written",
            f"{result.reads:,} read(s) and {result.images:,} image(s) exported to\n"
            f"{result.path}\n\nSHA-256 of the file: {result.sha256}\n"
            f"Recorded as access record {result.record_id}.{capped}",
        )
