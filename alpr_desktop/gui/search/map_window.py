"""The map of a search or a canvass, in a window beside the page that asked for it.

The worker asks the map service (the ``VIEW_MAP`` access record is committed there,
before any position is read), writes the page into a folder of its own and hands back
the file; the window loads it. A click on a read's marker and an area drawn on the map
come back through the view's bridge to the page (:attr:`MapWindow.view`), which opens
the read or takes the area as its filter. The folder is removed when the window closes
(on the worker).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.map_view import MapView
from alpr_desktop.gui.widgets import hidden_label, show_inline_error
from alpr_desktop.services.maps import ReadsMap


def written(made: ReadsMap) -> tuple[ReadsMap, Path]:
    """Write the map page into a new folder (worker thread); the map and the file."""
    folder = Path(tempfile.mkdtemp(prefix="alpr-map-"))
    path = folder / "map.html"
    path.write_text(made.html, encoding="utf-8")
    return made, path


class MapWindow(QDialog):
    """A map of reads; ``work`` (worker thread) makes it."""

    def __init__(
        self,
        gui: GuiContext,
        title: str,
        work: Callable[[], ReadsMap],
        parent: QWidget | None = None,
        *,
        hint: str = "Click a read to open it; draw a circle or a polygon to search that area.",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mapWindow")
        self.setWindowTitle(title)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.resize(1100, 760)
        self.gui = gui
        self.hint = hint
        self.made: ReadsMap | None = None
        self.path: Path | None = None
        layout = QVBoxLayout(self)
        self.info = QLabel("Building the map…", self)
        self.info.setObjectName("muted")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.error_label = hidden_label(self)
        layout.addWidget(self.error_label)
        self.view = MapView(self, tiles=gui.application.services.maps.local_tiles)
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.view.bridge.refused.connect(lambda text: show_inline_error(self.error_label, text))
        self.finished.connect(self._remove_page)
        if self.view.available:
            gui.background.run(
                lambda: written(work()),
                on_done=self._made,
                on_error=self._failed,
                context=self,
                long=True,
            )
        else:
            self.info.setText("")

    def _made(self, result: tuple[ReadsMap, Path]) -> None:
        self.made, self.path = result
        made = result[0]
        capped = f" — more fitted; the newest {made.reads:,} are drawn" if made.capped else ""
        self.info.setText(
            f"{made.reads:,} read(s) with a position{capped}. {self.hint} "
            f"Access record {made.record_id}."
        )
        self.view.show_file(str(result[1]))
        if made.note:
            self.view.say(made.note)

    def _failed(self, error: AlprError) -> None:
        self.info.setText("The map was not made.")
        show_inline_error(self.error_label, str(error))

    def _remove_page(self) -> None:
        if self.path is not None:
            folder = self.path.parent
            self.path = None
            self.gui.background.run(lambda: shutil.rmtree(folder, ignore_errors=True))
