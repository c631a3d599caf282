"""Cameras: the administrator's registry of cameras, their sources and positions.

Every change goes through :class:`~alpr_desktop.services.cameras.CameraService` on the
background worker (which validates it, records it and publishes ``CAMERAS``); the page
reloads on that change, here and on every other workstation's next look.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableView,
    QWidget,
)

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError, ValidationError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.pages.rows_model import RowsModel
from alpr_desktop.gui.pages.user_dialogs import ServiceDialog
from alpr_desktop.gui.widgets import confirm, message_box
from alpr_desktop.messages import Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.camera_tracks import import_track_file
from alpr_desktop.services.cameras import CameraFields, CameraView

COLUMNS = ("Name", "Kind", "Source", "State", "Position", "Description")
_KIND_LABELS = {
    "device": "USB / built-in",
    "rtsp": "IP camera (RTSP)",
    "http": "IP camera (MJPEG)",
    "file": "Video file",
    "folder": "Image folder",
}


def position_text(view: CameraView) -> str:
    if view.mobile:
        if not view.gps_fix_count:
            return "Mobile (no GPS track)"
        return f"Mobile ({view.gps_fix_count} GPS fixes)"
    if view.latitude is None or view.longitude is None:
        return "—"
    heading = f", facing {view.direction_deg:.0f}°" if view.direction_deg is not None else ""
    return f"{view.latitude:.5f}, {view.longitude:.5f}{heading}"


class CameraTableModel(RowsModel[CameraView]):
    def __init__(self) -> None:
        super().__init__(COLUMNS, self._cells)

    def set_rows(self, rows: Sequence[CameraView]) -> None:
        super().set_rows(sorted(rows, key=lambda c: c.name.casefold()))

    def _cells(self, camera: CameraView) -> tuple[str, ...]:
        return (
            camera.name,
            _KIND_LABELS.get(camera.kind.value, camera.kind.value),
            camera.display_source,
            "Enabled" if camera.enabled else "Disabled",
            position_text(camera),
            camera.description.splitlines()[0] if camera.description else "",
        )

    def tooltip(self, camera: CameraView, column: str) -> str | None:
        return {"Source": camera.display_source, "Description": camera.description}.get(column)


def _number(edit: QLineEdit, label: str) -> float | None:
    text = edit.text().strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationError(f"The {label} {edit.text()!r} is not a number.") from None


class CameraDialog(ServiceDialog):
    """Add or edit a camera: name, source, fixed position or mobile, description."""

    def __init__(
        self, gui: GuiContext, actor: Actor, camera: CameraView | None, parent: QWidget
    ) -> None:
        title = "Add camera" if camera is None else f"Edit camera {camera.name}"
        super().__init__(gui, title, "Add camera" if camera is None else "Save", parent)
        self.actor, self.camera = actor, camera
        self.setMinimumWidth(560)
        form = QFormLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(120)
        self.source_edit = QLineEdit(self)
        self.source_edit.setPlaceholderText(
            "0, rtsp://…, http://…/video.mjpg, a video file or folder"
        )
        browse_file = QPushButton("File…", self)
        browse_file.clicked.connect(self._browse_file)
        browse_folder = QPushButton("Folder…", self)
        browse_folder.clicked.connect(self._browse_folder)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_edit, 1)
        source_row.addWidget(browse_file)
        source_row.addWidget(browse_folder)
        self.enabled_box = QCheckBox("Run recognition on this camera", self)
        self.fixed_radio = QRadioButton("Fixed position", self)
        self.mobile_radio = QRadioButton("Mobile unit (positions from a GPS track)", self)
        group = QButtonGroup(self)
        group.addButton(self.fixed_radio)
        group.addButton(self.mobile_radio)
        self.lat_edit, self.lon_edit, self.dir_edit = (QLineEdit(self) for _ in range(3))
        self.lat_edit.setPlaceholderText("e.g. 37.77490")
        self.lon_edit.setPlaceholderText("e.g. -122.41940")
        self.dir_edit.setPlaceholderText("0–360, optional (0 = north)")
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setFixedHeight(64)
        form.addRow("Name:", self.name_edit)
        form.addRow("Source:", source_row)
        form.addRow("", self.enabled_box)
        form.addRow("Position:", self.fixed_radio)
        form.addRow("", self.mobile_radio)
        form.addRow("Latitude:", self.lat_edit)
        form.addRow("Longitude:", self.lon_edit)
        form.addRow("Facing (degrees):", self.dir_edit)
        form.addRow("Description:", self.description_edit)
        self.body.addLayout(form)
        self.finish_layout()
        self.mobile_radio.toggled.connect(self._mobile_toggled)
        self._show(camera)

    def _show(self, camera: CameraView | None) -> None:
        self.enabled_box.setChecked(camera.enabled if camera else True)
        (self.mobile_radio if camera and camera.mobile else self.fixed_radio).setChecked(True)
        if camera is None:
            self._mobile_toggled(False)
            return
        self.name_edit.setText(camera.name)
        self.source_edit.setText(camera.source)
        for edit, value in (
            (self.lat_edit, camera.latitude),
            (self.lon_edit, camera.longitude),
            (self.dir_edit, camera.direction_deg),
        ):
            edit.setText("" if value is None else f"{value:g}")
        self.description_edit.setPlainText(camera.description)
        self._mobile_toggled(camera.mobile)

    def _mobile_toggled(self, mobile: bool) -> None:
        for edit in (self.lat_edit, self.lon_edit, self.dir_edit):
            edit.setEnabled(not mobile)

    def _browse_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Video file", "", "Video (*.mp4 *.m4v *.mkv *.avi *.mov *.webm *.mjpeg)"
        )
        if path:
            self.source_edit.setText(path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Watched image folder")
        if path:
            self.source_edit.setText(path)

    def fields(self) -> CameraFields:
        mobile = self.mobile_radio.isChecked()
        return CameraFields(
            name=self.name_edit.text(),
            source=self.source_edit.text(),
            enabled=self.enabled_box.isChecked(),
            mobile=mobile,
            latitude=None if mobile else _number(self.lat_edit, "latitude"),
            longitude=None if mobile else _number(self.lon_edit, "longitude"),
            direction_deg=None if mobile else _number(self.dir_edit, "direction"),
            description=self.description_edit.toPlainText(),
        )

    def submit(self) -> None:
        try:
            fields = self.fields()
        except ValidationError as exc:
            self._failed(exc)
            return
        service, actor, camera = self.gui.services.cameras, self.actor, self.camera
        if camera is None:
            self.run(lambda: service.create(actor, fields))
        else:
            self.run(lambda: service.update(actor, camera.id, fields))


#: button key -> (label, icon, needs a selection)
_BUTTONS: dict[str, tuple[str, str, bool]] = {
    "add": ("Add camera", "fa5s.plus", False),
    "edit": ("Edit", "fa5s.edit", True),
    "toggle": ("Disable", "fa5s.pause", True),
    "track": ("Import GPS track…", "fa5s.route", True),
    "delete": ("Delete", "fa5s.trash-alt", True),
}


class CamerasPage(Page):
    topics = frozenset({Topic.CAMERAS})

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Cameras", parent)
        self.model = CameraTableModel()
        self.active_dialog: QDialog | None = None
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.setSpacing(6)
        for key, (label, icon, _needs) in _BUTTONS.items():
            button = QPushButton(gui.theme.icon(icon), label, self)
            button.clicked.connect(getattr(self, f"do_{key}"))
            self.buttons[key] = button
            row.addWidget(button)
        row.addStretch(1)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _i: self.do_edit())
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.table, 1)
        gui.theme.changed.connect(self._recolour)
        self._update_buttons()

    def _recolour(self) -> None:
        for key, button in self.buttons.items():
            button.setIcon(self.gui.theme.icon(_BUTTONS[key][1]))

    # ------------------------------------------------------------------ data
    def refresh(self) -> None:
        cameras, actor = self.gui.services.cameras, self.actor
        self.gui.background.run(
            lambda: cameras.list_cameras(actor),
            on_done=self._loaded,
            on_error=self._show_error,
            context=self,
        )

    def _loaded(self, cameras: list[CameraView]) -> None:
        selected = self.selected_camera()
        self.model.set_rows(cameras)
        if selected is not None:
            self.select_camera(selected.id)
        self._update_buttons()

    def selected_camera(self) -> CameraView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_camera(self, camera_id: int) -> bool:
        row = self.model.row_of(camera_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _update_buttons(self) -> None:
        camera = self.selected_camera()
        allowed = self.actor.may(Action.MANAGE_CAMERAS)
        for key, (_label, _icon, needs) in _BUTTONS.items():
            self.buttons[key].setEnabled(allowed and (camera is not None or not needs))
        self.buttons["toggle"].setText("Enable" if camera and not camera.enabled else "Disable")
        self.buttons["track"].setEnabled(allowed and camera is not None and camera.mobile)

    def _show_error(self, error: AlprError) -> None:
        message_box(self, "Cameras", str(error))

    def _open(self, dialog: QDialog, on_accept: Callable[[], None] | None = None) -> None:
        self.active_dialog = dialog
        if on_accept is not None:
            dialog.accepted.connect(on_accept)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _run(self, fn: Callable[[], Any], done: str) -> None:
        messages = self.gui.services.ctx.messages
        self.gui.background.run(
            fn, on_done=lambda _r: messages.info(done), on_error=self._show_error, context=self
        )

    # ------------------------------------------------------------------ actions
    def do_add(self) -> None:
        dialog = CameraDialog(self.gui, self.actor, None, self)
        self._open(dialog, lambda: self._info_saved(dialog))

    def do_edit(self) -> None:
        camera = self.selected_camera()
        if camera is not None and self.actor.may(Action.MANAGE_CAMERAS):
            dialog = CameraDialog(self.gui, self.actor, camera, self)
            self._open(dialog, lambda: self._info_saved(dialog))

    def _info_saved(self, dialog: CameraDialog) -> None:
        view: CameraView = dialog.result_value
        self.gui.services.ctx.messages.info(f"Camera {view.name} saved.")

    def do_toggle(self) -> None:
        camera = self.selected_camera()
        if camera is None:
            return
        service, actor, enable = self.gui.services.cameras, self.actor, not camera.enabled
        word = "enabled" if enable else "disabled"
        self._run(lambda: service.set_enabled(actor, camera.id, enable), f"{camera.name} {word}.")

    def do_delete(self) -> None:
        camera = self.selected_camera()
        if camera is None:
            return
        service, actor = self.gui.services.cameras, self.actor
        confirm(
            self,
            "Delete camera",
            f"Delete the camera {camera.name}? Its reads are kept, without the camera.",
            lambda: self._run(lambda: service.delete(actor, camera.id), f"{camera.name} deleted."),
        )

    def do_track(self) -> None:
        camera = self.selected_camera()
        if camera is None:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, f"GPS track for {camera.name}", "", "GPS tracks (*.gpx *.nmea *.txt *.log)"
        )
        if path:
            self.import_track(camera, path)

    def import_track(self, camera: CameraView, path: str) -> None:
        """Parse ``path`` (GPX or NMEA) and store its fixes, on the worker."""
        service, actor = self.gui.services.cameras, self.actor

        def work() -> str:
            return import_track_file(service, actor, camera.id, Path(path))

        self.gui.background.run(
            work,
            on_done=lambda text: message_box(self, "GPS track", text),
            on_error=self._show_error,
            context=self,
        )
