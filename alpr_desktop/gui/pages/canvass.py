"""Canvass: every read within a radius and time window of an incident, by plate.

The detective gives the scene (latitude, longitude), a radius in metres and the time
window, then the purpose and case number (asked every run, the case pre-filled with the
last one given on this page); the canvass runs on the long-job thread with a busy bar
and is recorded before it runs (:meth:`SearchService.canvass
<alpr_desktop.services.search.SearchService.canvass>`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QWidget,
)

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError, ValidationError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.map_view import DrawnPolygon, map_button
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.pages.holds import RequestHoldDialog
from alpr_desktop.gui.search.canvass_model import CanvassModel
from alpr_desktop.gui.search.filters import aware, datetime_edit, parse_numbers
from alpr_desktop.gui.search.map_window import MapWindow
from alpr_desktop.gui.search.purpose import CaseMemory, Declared, ask_purpose, with_purposes
from alpr_desktop.gui.widgets import show_inline_error
from alpr_desktop.services.base import Actor
from alpr_desktop.services.evidence import PlatePeriod
from alpr_desktop.services.search import (
    MAX_RADIUS_M,
    CanvassPlate,
    CanvassRequest,
    CanvassResult,
)


class CanvassPage(Page):
    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Canvass", parent)
        self.memory = CaseMemory()
        self.model = CanvassModel()
        self.running = False
        self._runs = 0
        self.result: CanvassResult | None = None
        #: The canvass the table shows, as run (for a hold on one of its plates).
        self.done: tuple[CanvassRequest, Declared] | None = None
        self._build()

    def _build(self) -> None:
        now = dt.datetime.now(dt.UTC)
        self.centre_edit = QLineEdit(self)
        self.centre_edit.setObjectName("canvassCentre")
        self.centre_edit.setPlaceholderText("latitude, longitude of the scene")
        self.radius_spin = QDoubleSpinBox(self)
        self.radius_spin.setRange(1, MAX_RADIUS_M)
        self.radius_spin.setDecimals(0)
        self.radius_spin.setSingleStep(50)
        self.radius_spin.setValue(500)
        self.radius_spin.setSuffix(" m")
        self.since_edit = datetime_edit(self, now - dt.timedelta(hours=2))
        self.until_edit = datetime_edit(self, now)
        self.run_button = QPushButton("Canvass…", self)
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.submit)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setFixedWidth(120)
        self.busy.setTextVisible(False)
        self.busy.hide()
        row = QHBoxLayout()
        row.addWidget(QLabel("Scene:", self))
        row.addWidget(self.centre_edit, 2)
        row.addWidget(QLabel("Radius:", self))
        row.addWidget(self.radius_spin)
        row.addWidget(QLabel("From", self))
        row.addWidget(self.since_edit)
        row.addWidget(QLabel("to", self))
        row.addWidget(self.until_edit)
        row.addWidget(self.busy)
        row.addWidget(self.run_button)
        #: A polygon drawn on the canvass's map: the area instead of the circle.
        self.polygon: dict[str, Any] | None = None
        self.polygon_label = DrawnPolygon(self)
        self.polygon_label.cleared.connect(lambda: self.set_area(None))
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        self.table = QTableView(self)
        self.table.setObjectName("canvassPlates")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel("Give the scene, the radius and the time window.", self)
        self.summary.setObjectName("muted")
        self.summary.setWordWrap(True)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.polygon_label)
        self.layout_.addWidget(self.error_label)
        self.layout_.addWidget(self.table, 1)
        self.hold_button = QPushButton("Hold…", self)
        self.hold_button.setObjectName("canvassHold")
        self.hold_button.setToolTip(
            "Request an evidence hold on every read of the selected plate in the time window"
        )
        self.hold_button.setVisible(self.actor.may(Action.REQUEST_EVIDENCE_HOLD))
        self.hold_button.setEnabled(False)
        self.hold_button.clicked.connect(self.request_hold)
        self.table.selectionModel().selectionChanged.connect(self._update_hold)
        self.model.modelReset.connect(self._update_hold)
        self.hold_dialog: QWidget | None = None
        below = QHBoxLayout()
        below.addWidget(self.summary, 1)
        below.addWidget(self.hold_button)
        self.map_button = map_button(
            self, self.actor, "canvassMap", "Every read of the canvass on a map (recorded)"
        )
        self.map_button.clicked.connect(self.show_map)
        self.map_window: QWidget | None = None
        below.addWidget(self.map_button)
        self.layout_.addLayout(below)

    def _selected_plate(self) -> CanvassPlate | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.done is None:
            return None
        return self.model.plate_at(rows[0].row())

    def _update_hold(self) -> None:
        self.hold_button.setEnabled(not self.running and self._selected_plate() is not None)
        self.map_button.setEnabled(not self.running and self.done is not None)

    def show_map(self) -> None:
        """The canvass's reads on a map (a ``view_map`` access record); a circle drawn
        on it becomes the scene and radius of the next canvass."""
        if self.done is None:
            return
        request, declared = self.done
        maps, actor = self.gui.services.maps, self.actor
        window = MapWindow(
            self.gui,
            f"Map — canvass (case {declared.case_number})",
            lambda: maps.canvass_map(actor, request),
            self,
        )
        window.view.bridge.area_drawn.connect(self.set_area)
        window.finished.connect(window.deleteLater)
        self.map_window = window
        window.show()

    def set_area(self, area: dict[str, Any] | None) -> None:
        """An area drawn on the map (a circle: the scene and radius; a polygon: the area
        itself), or None to go back to the typed scene."""
        circle = (area or {}).get("circle")
        self.polygon = (area or {}).get("polygon")
        if circle is not None:
            lat, lon, metres = circle
            self.centre_edit.setText(f"{lat:.6f}, {lon:.6f}")
            self.radius_spin.setValue(min(metres, self.radius_spin.maximum()))
        self.polygon_label.show_polygon(self.polygon)
        for widget in (self.centre_edit, self.radius_spin):
            widget.setEnabled(self.polygon is None)
        show_inline_error(self.error_label, "")
        if area is not None:
            shape = "polygon" if self.polygon is not None else "circle"
            self.summary.setText(f"The {shape} drawn on the map is the area: press Canvass.")

    def request_hold(self) -> None:
        """The hold request for the selected plate's reads in the canvass's window."""
        plate, done = self._selected_plate(), self.done
        if plate is None or done is None:
            return
        request, declared = done
        period = PlatePeriod(plate.plate_text, request.since, request.until)
        actor = self.actor

        def opened(purposes: list[str]) -> None:
            dialog = RequestHoldDialog(
                self.gui, actor, purposes, self, case_number=declared.case_number, period=period
            )
            dialog.finished.connect(dialog.deleteLater)
            self.hold_dialog = dialog
            dialog.open()

        with_purposes(
            self.gui, self, opened, lambda exc: show_inline_error(self.error_label, str(exc))
        )

    def _request(self) -> CanvassRequest:
        """The canvass as typed (no purpose yet), or a :class:`ValidationError`."""
        since, until = aware(self.since_edit), aware(self.until_edit)
        if since >= until:
            raise ValidationError("The start of the time window must be before its end.")
        if self.polygon is not None:
            radius = self.radius_spin.value()
            return CanvassRequest.of_polygon(self.polygon, since, until, "", "", radius)
        lat, lon = parse_numbers(self.centre_edit.text(), 2, "The scene (latitude, longitude)")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError("The scene must be a latitude and longitude.")
        return CanvassRequest(lat, lon, self.radius_spin.value(), since, until, "", "")

    def submit(self) -> None:
        if self.running:
            return
        try:
            request = self._request()
        except ValidationError as exc:
            show_inline_error(self.error_label, str(exc))
            return
        show_inline_error(self.error_label, "")
        ask_purpose(
            self.gui,
            self,
            self.memory,
            "The canvass",
            lambda declared: self.run_canvass(request, declared),
            lambda exc: show_inline_error(self.error_label, str(exc)),
        )

    def run_canvass(self, request: CanvassRequest, declared: Declared) -> None:
        self._runs += 1
        run = self._runs
        request = replace(request, purpose=declared.purpose, case_number=declared.case_number)
        self._set_busy(True)
        self.done = None
        self.model.set_plates([])
        self.summary.setText("Canvassing…")
        search, actor = self.gui.services.search, self.actor
        self.gui.background.run(
            lambda: search.canvass(actor, request),
            on_done=lambda result: self._done(run, request, declared, result),
            on_error=lambda exc: self._failed(run, exc),
            context=self,
            long=True,
        )

    def _set_busy(self, busy: bool) -> None:
        self.running = busy
        self.busy.setVisible(busy)
        self.run_button.setEnabled(not busy)

    def _done(
        self, run: int, request: CanvassRequest, declared: Declared, result: CanvassResult
    ) -> None:
        if run != self._runs:
            return
        self._set_busy(False)
        self.result = result
        self.done = (request, declared)
        self.model.set_plates(result.plates)
        self._update_hold()
        text = f"{len(result.plates):,} plate(s) in {result.reads:,} read(s), most read first."
        if result.capped:
            text += " Too many reads: only the first were grouped; narrow the window."
        text += f" Recorded under case {declared.case_number} ({declared.purpose})."
        self.summary.setText(text)

    def _failed(self, run: int, error: AlprError) -> None:
        if run != self._runs:
            return
        self._set_busy(False)
        self.summary.setText("The canvass did not run.")
        show_inline_error(self.error_label, str(error))
