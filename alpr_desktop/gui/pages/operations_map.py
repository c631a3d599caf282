"""The dispatcher's Map page: where every camera, every mobile unit and every alert is.

Cameras are drawn the way they face, each mobile unit with its GPS track over the
chosen hours and where it is now, and the alerts of those hours (pending ones however
old) by status: pending red, accepted amber, rejected grey. Clicking an alert opens it
on the Alerts page. The map is rebuilt when alerts or cameras change, opening where the
dispatcher had moved it. Each build is an access record (``VIEW_MAP``, under the alert
queue's permission), committed by the map service before a position is read.

The web engine starts only when the page is first shown.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.map_view import MapView, web_engine_problem
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.search.map_window import written
from alpr_desktop.gui.widgets import hidden_label, show_inline_error
from alpr_desktop.messages import Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.maps import ReadsMap

#: What the period box offers (hours).
PERIODS = ((1, "1 hour"), (4, "4 hours"), (12, "12 hours"), (24, "24 hours"), (72, "3 days"),
           (168, "7 days"))  # fmt: skip
DEFAULT_HOURS = 12


class OperationsMapPage(Page):
    topics = frozenset({Topic.ALERTS, Topic.CAMERAS})
    #: An alert clicked on the map: open it on the Alerts page.
    alert_requested = Signal(int)

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Map", parent)
        self.view: MapView | None = None
        self.made: ReadsMap | None = None
        self.path: Path | None = None
        self._building = False
        self._again = False
        #: The session has ended (locked or signed out): a late map is not shown.
        self._closed = False
        top = QHBoxLayout()
        top.addWidget(QLabel("Alerts and unit tracks of the last", self))
        self.period = QComboBox(self)
        self.period.setObjectName("mapPeriod")
        for hours, label in PERIODS:
            self.period.addItem(label, hours)
        self.period.setCurrentIndex([h for h, _ in PERIODS].index(DEFAULT_HOURS))
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        top.addWidget(self.period)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("mapRefresh")
        gui.theme.set_icon(self.refresh_button, "fa5s.sync-alt")
        self.refresh_button.clicked.connect(self.refresh)
        top.addWidget(self.refresh_button)
        top.addStretch(1)
        self.layout_.addLayout(top)
        self.info = QLabel(self)
        self.info.setObjectName("muted")
        self.info.setWordWrap(True)
        self.layout_.addWidget(self.info)
        self.error_label = hidden_label(self)
        self.layout_.addWidget(self.error_label)
        self.holder = QHBoxLayout()
        self.layout_.addLayout(self.holder, 1)
        problem = web_engine_problem()
        if problem is not None:
            self.info.setText(problem)
            self.refresh_button.setEnabled(False)

    @property
    def hours(self) -> int:
        return int(self.period.currentData())

    def showEvent(self, event: QShowEvent) -> None:
        if self.view is None and web_engine_problem() is None:
            # The web engine starts here, the first time the page is shown.
            self.view = MapView(self, tiles=self.gui.services.maps.local_tiles)
            self.view.setObjectName("operationsMap")
            self.view.bridge.alert_clicked.connect(self.alert_requested)
            self.holder.addWidget(self.view)
        super().showEvent(event)

    def refresh(self) -> None:
        if self.view is None:
            self._stale = True  # built when first shown
            return
        if self._building or self._closed:
            self._again = self._again or self._building
            return
        self._building, self._again = True, False
        services, actor, hours = self.gui.services, self.actor, self.hours
        view = self.view.bridge.view
        self.info.setText("Building the map…")
        self.gui.background.run(
            lambda: written(services.maps.operations_map(actor, hours=hours, view=view)),
            on_done=self._made,
            on_error=self._failed,
            context=self,
            long=True,  # a week of tracks: not ahead of the alert queue's own work
        )

    def _made(self, result: tuple[ReadsMap, Path]) -> None:
        self._building = False
        made, path = result
        if self._closed:  # arrived after the session ended: its file goes at once
            self.gui.background.run(lambda: shutil.rmtree(path.parent, ignore_errors=True))
            return
        old, self.made, self.path = self.path, made, path
        show_inline_error(self.error_label, "")
        capped = " — more than a map draws: the pending ones first, then the newest" * made.capped
        self.info.setText(
            f"{made.reads:,} alert(s) with a position in the last {self.period.currentText()} "
            f"(and every pending one){capped}: red pending, amber accepted, grey rejected. Cameras "
            "point the way they face; a unit's track ends where it is now. Click an alert "
            f"to open it. Access record {made.record_id}."
        )
        assert self.view is not None
        self.view.show_file(str(path))
        self.view.say(made.note)
        if old is not None:
            folder = old.parent
            self.gui.background.run(lambda: shutil.rmtree(folder, ignore_errors=True))
        if self._again:
            self.refresh()

    def _failed(self, error: AlprError) -> None:
        self._building = False
        self.info.setText("The map was not made.")
        show_inline_error(self.error_label, str(error))
        if self._again:
            self.refresh()

    def shutdown(self, then: Callable[[], None] | None = None) -> None:
        """Remove the page file (on the worker) as the session ends, then ``then``."""
        self._closed, self._again = True, False
        path, self.path = self.path, None
        if path is None:
            if then is not None:
                then()
            return
        folder = path.parent
        self.gui.background.run(
            lambda: shutil.rmtree(folder, ignore_errors=True),
            on_done=lambda _none: then() if then is not None else None,
            on_error=lambda _error: then() if then is not None else None,
        )

    def resume(self) -> None:
        """The session goes on (unlocked): the map is built again when shown."""
        self._closed = False
        self._stale = True
        if self.isVisible():
            self._reload()
