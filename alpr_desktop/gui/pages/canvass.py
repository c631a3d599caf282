"""Canvass: every read within a radius and time window of an incident, by plate.

The detective gives the scene (latitude, longitude), a radius in metres and the time
window, then the purpose and case number (asked every run, the case pre-filled with the
last one given on this page); the canvass runs on the long-job thread with a busy bar
and is recorded before it runs (:meth:`SearchService.canvass
<alpr_desktop.services.search.SearchService.canvass>`).
"""

from __future__ import annotations

import datetime as dt

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

from alpr_desktop.errors import AlprError, ValidationError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.search.canvass_model import CanvassModel
from alpr_desktop.gui.search.filters import aware, datetime_edit, parse_numbers
from alpr_desktop.gui.search.purpose import CaseMemory, Declared, ask_purpose
from alpr_desktop.gui.widgets import show_inline_error
from alpr_desktop.services.base import Actor
from alpr_desktop.services.search import MAX_RADIUS_M, CanvassRequest, CanvassResult


class CanvassPage(Page):
    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Canvass", parent)
        self.memory = CaseMemory()
        self.model = CanvassModel()
        self.running = False
        self._runs = 0
        self.result: CanvassResult | None = None
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
        self.layout_.addWidget(self.error_label)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.summary)

    def _request(self) -> CanvassRequest:
        """The canvass as typed (no purpose yet), or a :class:`ValidationError`."""
        lat, lon = parse_numbers(self.centre_edit.text(), 2, "The scene (latitude, longitude)")
        since, until = aware(self.since_edit), aware(self.until_edit)
        if since >= until:
            raise ValidationError("The start of the time window must be before its end.")
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
        request = CanvassRequest(
            request.latitude,
            request.longitude,
            request.metres,
            request.since,
            request.until,
            declared.purpose,
            declared.case_number,
        )
        self._set_busy(True)
        self.model.set_plates([])
        self.summary.setText("Canvassing…")
        search, actor = self.gui.services.search, self.actor
        self.gui.background.run(
            lambda: search.canvass(actor, request),
            on_done=lambda result: self._done(run, declared, result),
            on_error=lambda exc: self._failed(run, exc),
            context=self,
            long=True,
        )

    def _set_busy(self, busy: bool) -> None:
        self.running = busy
        self.busy.setVisible(busy)
        self.run_button.setEnabled(not busy)

    def _done(self, run: int, declared: Declared, result: CanvassResult) -> None:
        if run != self._runs:
            return
        self._set_busy(False)
        self.result = result
        self.model.set_plates(result.plates)
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
