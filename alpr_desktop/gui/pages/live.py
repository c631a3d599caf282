"""Live: every camera at once, plate boxes drawn over the video, and reads as they happen.

Opening the page is an access record (``LiveService.open_view``, before any camera is
shown); the page then runs recognition on the department's enabled cameras through a
:class:`~alpr_desktop.gui.live.session.LiveRun` — the models, the sources and the
database all off the GUI thread — until the window signs out or closes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QSize, Qt
from PySide6.QtGui import QImage, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.live.images import decode_image
from alpr_desktop.gui.live.reads_model import THUMB_SIZE, ReadRole, RecentReadsModel
from alpr_desktop.gui.live.session import LiveRun
from alpr_desktop.gui.live.tiles import CameraTile
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.widgets import show_inline_error
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.services.base import Actor
from alpr_desktop.services.recognition_run import CameraPlan

#: label -> tiles per row
LAYOUTS = {"1 camera": 1, "2 × 2": 2, "3 × 3": 3}


class LivePage(Page):
    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Live", parent)
        self.tiles: dict[str, CameraTile] = {}
        self.run: LiveRun | None = None
        #: A run being stopped (kept so its signals still arrive).
        self.stopping: LiveRun | None = None
        self.opened = False
        self.layout_choice = QComboBox(self)
        self.layout_choice.addItems(list(LAYOUTS))
        self.layout_choice.setCurrentIndex(1)
        self.layout_choice.currentIndexChanged.connect(self._arrange)
        self.status = QLabel("Opening the cameras…", self)
        self.status.setObjectName("muted")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        top = QHBoxLayout()
        top.addWidget(QLabel("Layout:", self))
        top.addWidget(self.layout_choice)
        top.addWidget(self.status, 1)
        self.grid_host = QWidget(self)
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(8)
        self.model = RecentReadsModel()
        self.reads_view = QListView(self)
        self.reads_view.setObjectName("recentReads")
        self.reads_view.setModel(self.model)
        self.reads_view.setIconSize(THUMB_SIZE)
        self.reads_view.setUniformItemSizes(True)
        self.reads_view.setSpacing(2)
        self.reads_view.setFixedWidth(320)
        self.reads_view.clicked.connect(self.open_read)
        side = QVBoxLayout()
        heading = QLabel("Recent reads", self)
        heading.setObjectName("cardTitle")
        side.addWidget(heading)
        side.addWidget(self.reads_view, 1)
        body = QHBoxLayout()
        body.setSpacing(12)
        body.addWidget(self.grid_host, 1)
        body.addLayout(side)
        self.layout_.addLayout(top)
        self.layout_.addWidget(self.error_label)
        self.layout_.addLayout(body, 1)
        self.active_dialog: QDialog | None = None

    # ------------------------------------------------------------------ opening
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.opened:
            self._open()

    def _open(self) -> None:
        self.opened = True
        services, actor = self.gui.services, self.actor
        self.gui.background.run(
            lambda: services.live.open_view(services, actor),
            on_done=self._cameras,
            on_error=self._refused,
            context=self,
        )

    def _refused(self, error: AlprError) -> None:
        self.status.setText("")
        show_inline_error(self.error_label, str(error))

    def _cameras(self, plans: list[CameraPlan]) -> None:
        if not plans:
            self.status.setText("")
            show_inline_error(
                self.error_label,
                "No camera is registered and enabled. An administrator adds cameras on the "
                "Cameras page.",
            )
            return
        for plan in plans:
            self.tiles[plan.name] = CameraTile(plan.name, self.gui.theme.colour, self.grid_host)
        self._arrange()
        self.status.setText("Loading the plate models…")
        # The demo's cameras play a sample video: replay it rather than stop at its end.
        loop = self.gui.application.demo
        run = LiveRun(self.gui.services, self.actor, plans, self, loop=loop)
        run.frame.connect(self._frame)
        run.state.connect(self._state)
        run.stats.connect(self._stats)
        run.read.connect(self.model.add)
        run.started.connect(lambda: self.status.setText(f"Recognition on {len(plans)} camera(s)."))
        run.failed.connect(self._refused)
        run.stopped.connect(self.status.setText)
        self.run = run
        run.start()

    def _arrange(self) -> None:
        per_row = LAYOUTS[self.layout_choice.currentText()]
        for tile in self.tiles.values():
            self.grid.removeWidget(tile)
            tile.hide()
        for i, tile in enumerate(list(self.tiles.values())[: per_row * per_row]):
            self.grid.addWidget(tile, i // per_row, i % per_row)
            tile.show()

    # ------------------------------------------------------------------ signals
    def _frame(self, camera: str, image: QImage) -> None:
        tile = self.tiles.get(camera)
        if tile is not None and tile.isVisible():
            tile.show_frame(image)

    def _state(self, camera: str, state: str, detail: str) -> None:
        tile = self.tiles.get(camera)
        if tile is not None:
            tile.set_state(state, detail)

    def _stats(self, camera: str, text: str) -> None:
        tile = self.tiles.get(camera)
        if tile is not None and tile.state == "live":
            tile.detail.setText(text)

    def open_read(self, index: QModelIndex) -> None:
        read = index.data(ReadRole)
        if isinstance(read, VehicleRead):
            dialog = ReadDetailDialog(read, self)
            self.active_dialog = dialog
            dialog.finished.connect(dialog.deleteLater)
            dialog.open()

    def resume(self) -> None:
        """After an unlock: open the view again in the new session (a new access record)."""
        if not self.opened or self.run is not None:
            return
        for tile in self.tiles.values():
            self.grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles.clear()
        show_inline_error(self.error_label, "")
        self.status.setText("Opening the cameras…")
        self.opened = False
        if self.isVisible():
            self._open()

    # ------------------------------------------------------------------ ending
    def shutdown(self, then: Callable[[], None] | None = None) -> None:
        """Stop recognition (the window signs out or closes), then call ``then``.

        The run stores or spools its last reads on its own thread; ``then`` is called on
        the GUI thread once it has.
        """
        run, self.run = self.run, None
        if run is None:
            if then is not None:
                then()
            return
        if then is not None:
            run.stopped.connect(lambda _text: then())
        run.stop()
        self.stopping = run


def _pixmap(data: bytes, width: int) -> QPixmap:
    image = decode_image(data)
    if image.isNull():
        return QPixmap()
    return QPixmap.fromImage(image).scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)


class ReadDetailDialog(QDialog):
    """One read: the plate crop, the context frame, the alternatives and the position."""

    def __init__(self, read: VehicleRead, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Read {read.plate_text}")
        self.setMinimumSize(QSize(560, 0))
        layout = QVBoxLayout(self)
        plate = QLabel(read.plate_text, self)
        plate.setObjectName("pageTitle")
        crop = QLabel(self)
        crop.setPixmap(_pixmap(read.crop.data, 320))
        top = QHBoxLayout()
        top.addWidget(plate)
        top.addStretch(1)
        top.addWidget(crop)
        layout.addLayout(top)
        if read.context is not None:
            context = QLabel(self)
            context.setPixmap(_pixmap(read.context.data, 540))
            layout.addWidget(context)
        form = QFormLayout()
        local = read.read_at.astimezone()
        form.addRow("Confidence:", QLabel(f"{read.confidence:.0%}", self))
        form.addRow("Camera:", QLabel(read.camera_name or "ad-hoc source", self))
        form.addRow("Time:", QLabel(f"{local:%Y-%m-%d %H:%M:%S %Z}", self))
        alternatives = ", ".join(f"{c.text} ({c.confidence:.0%})" for c in read.alternatives)
        form.addRow("Also read as:", QLabel(alternatives or "—", self))
        form.addRow("Frames voted:", QLabel(str(read.frames_voted), self))
        position = (
            f"{read.latitude:.5f}, {read.longitude:.5f}"
            if read.latitude is not None and read.longitude is not None
            else "Unknown"
        )
        form.addRow("Position:", QLabel(position, self))
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
