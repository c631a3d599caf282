"""Alerts: the dispatcher's queue of hotlist hits, one alert in full, and its decision.

The page runs an :class:`~alpr_desktop.services.alert_feed.AlertFeed` for its user from
the moment the window is built (so an alert is heard and counted while the dispatcher
is on another page) until the window locks, signs out or closes; an unlock starts a new
one in the new session. The feed's first batch is the pending queue; each later batch
that brings pending alerts plays the tone and raises :attr:`AlertsPage.notice`, and
:attr:`AlertsPage.pending_changed` carries the pending count for the navigation.

Each look at one alert is an access record, so the detail is loaded once per selection
(on the background worker, images decoded there), never on a queue refresh.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.alerts.detail import AlertDetailPane, LoadedDetail, load_detail
from alpr_desktop.gui.alerts.disposition import DispositionDialog
from alpr_desktop.gui.alerts.feed import FeedRun
from alpr_desktop.gui.alerts.queue_model import AlertQueueModel
from alpr_desktop.gui.alerts.sound import AlertSound
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.widgets import show_inline_error
from alpr_desktop.services.alert_feed import FeedState, FeedStatus
from alpr_desktop.services.alerts import CLETS_REMINDER, AlertBatch, AlertView
from alpr_desktop.services.base import Actor
from alpr_desktop.services.maps import ALERT_TRACK_MINUTES
from alpr_desktop.settings import LocalConfig

_STATE_TEXT = {
    FeedState.STARTING: "Connecting to the alert feed…",
    FeedState.LIVE: "● Live: new alerts appear here as they are raised.",
    FeedState.RECONNECTING: "Reconnecting…",
    FeedState.STOPPED: "The alert feed has stopped.",
}


def save_alert_sound(enabled: bool) -> None:
    """Remember the sound choice in this workstation's configuration (worker thread)."""
    try:
        config = LocalConfig.load()
        config.alert_sound = enabled
        config.save()
    except OSError as exc:
        raise AlprError(str(exc)) from None


class AlertsPage(Page):
    #: pending alerts in the queue (the navigation shows the count)
    pending_changed = Signal(int)
    #: a new alert arrived: one line for the status bar
    notice = Signal(str)

    def __init__(
        self,
        gui: GuiContext,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        poll_interval: float = 5.0,
    ) -> None:
        super().__init__(gui, actor, "Alerts", parent)
        self.poll_interval = poll_interval
        self.feed: FeedRun | None = None
        #: Feeds being stopped (kept so their ``stopped`` still arrives).
        self.stopping: list[FeedRun] = []
        self.loaded_queue = False
        self.selected_id: int | None = None
        self.active_dialog: DispositionDialog | None = None
        self.sound = AlertSound(self, enabled=gui.application.config.alert_sound)
        self.model = AlertQueueModel()
        self._build()
        self.start_feed()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.feed_label = QLabel(_STATE_TEXT[FeedState.STARTING], self)
        self.feed_label.setObjectName("muted")
        self.show_decided = QCheckBox("Show decided", self)
        self.show_decided.toggled.connect(self._toggle_decided)
        self.sound_button = QPushButton(self)
        self.sound_button.setCheckable(True)
        self.sound_button.setChecked(self.sound.enabled)
        self.sound_button.toggled.connect(self._toggle_sound)
        self._sound_look()
        self.gui.theme.changed.connect(self._sound_look)
        top = QHBoxLayout()
        top.addWidget(self.feed_label, 1)
        top.addWidget(self.show_decided)
        top.addWidget(self.sound_button)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        self.table = QTableView(self)
        self.table.setObjectName("alertQueue")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(2 * self.fontMetrics().height() + 14)  # two lines a row
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("muted")
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count_label)
        self.detail = AlertDetailPane(CLETS_REMINDER)
        self.detail.accept_requested.connect(lambda: self.decide(accept=True))
        self.detail.reject_requested.connect(lambda: self.decide(accept=False))
        self.detail.map_requested.connect(self.show_map)
        scroll = QScrollArea(self)
        scroll.setObjectName("alertDetail")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.detail)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(scroll, 1)
        right_layout.addWidget(self.detail.buttons)  # always in sight, never scrolled away
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 9)
        self.splitter.setStretchFactor(1, 11)
        self.splitter.setSizes([500, 540])
        self.layout_.addLayout(top)
        self.layout_.addWidget(self.error_label)
        self.layout_.addWidget(self.splitter, 1)
        self._counted()

    def _sound_look(self, _theme: str = "") -> None:
        on = self.sound_button.isChecked()
        self.sound_button.setText("Sound on" if on else "Sound off")
        self.sound_button.setIcon(
            self.gui.theme.icon("fa5s.volume-up" if on else "fa5s.volume-mute")
        )
        self.sound_button.setToolTip(
            "The tone plays when a new alert arrives (this workstation). Click to mute."
            if on
            else "Muted on this workstation. Click to play the tone for new alerts."
        )

    # ------------------------------------------------------------------ the feed
    def start_feed(self) -> None:
        if self.feed is not None:
            return
        self.loaded_queue = False
        feed = FeedRun(self.gui.services, self.actor, self, poll_interval=self.poll_interval)
        feed.batch.connect(lambda batch, f=feed: self._batch(f, batch))
        feed.status.connect(lambda status, f=feed: self._status(f, status))
        self.feed = feed
        self.feed_label.setText(_STATE_TEXT[FeedState.STARTING])
        feed.start()

    def _status(self, feed: FeedRun, status: FeedStatus) -> None:
        if feed is not self.feed:
            return
        text = _STATE_TEXT[status.state]
        if status.message:
            text = status.message if status.state is FeedState.RECONNECTING else text
        self.feed_label.setText(text)
        if status.state is FeedState.STOPPED and status.message:
            show_inline_error(self.error_label, status.message)
        elif status.state is FeedState.LIVE:
            show_inline_error(self.error_label, "")

    def _batch(self, feed: FeedRun, batch: AlertBatch) -> None:
        if feed is not self.feed:
            return  # a stopped feed's last delivery
        first = not self.loaded_queue
        self.loaded_queue = True
        arrived = self._merge([*batch.new, *batch.decided])
        self._counted()
        for view in batch.decided + [v for v in batch.new if not v.pending]:
            if self.detail.view is not None and self.detail.view.id == view.id:
                self.detail.set_view(view)
        if arrived and not first:
            self.sound.play()
            top = min(arrived, key=lambda v: v.sort_key)
            more = f" (+{len(arrived) - 1} more)" if len(arrived) > 1 else ""
            self.notice.emit(f"New alert: {top.plate_text} (P{top.priority}){more}")

    def _counted(self) -> None:
        pending = self.model.pending_count
        self.count_label.setText(f"{pending} pending alert(s)")
        self.pending_changed.emit(pending)

    # ------------------------------------------------------------------ the queue
    def _toggle_decided(self, show: bool) -> None:
        self.model.set_show_decided(show)
        self._reselect()

    def _merge(self, views: list[AlertView]) -> list[AlertView]:
        """Update the queue, keeping where the dispatcher had scrolled and selected."""
        bar = self.table.verticalScrollBar()
        position = bar.value()
        arrived = self.model.merge(views)
        self._reselect()
        bar.setValue(position)
        return arrived

    def _reselect(self) -> None:
        """Keep the selected alert selected across a queue update (no new view)."""
        if self.selected_id is None:
            return
        row = self.model.row_of(self.selected_id)
        if row is not None:
            self.table.selectRow(row)

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        alert_id = int(indexes[0].data(Qt.ItemDataRole.UserRole))
        if alert_id == self.selected_id:
            return
        self.select_alert(alert_id)

    def select_alert(self, alert_id: int) -> None:
        """Show ``alert_id`` in the detail pane (one ``view``: an access record)."""
        self.selected_id = alert_id
        row = self.model.row_of(alert_id)
        if row is not None and self.table.currentIndex().row() != row:
            self.table.selectRow(row)
        self.detail.clear("Loading the alert…")
        services, actor = self.gui.services, self.actor
        self.gui.background.run(
            lambda: load_detail(services, actor, alert_id),
            on_done=self._loaded,
            on_error=self._view_failed,
            context=self,
        )

    def _loaded(self, loaded: LoadedDetail) -> None:
        if loaded.detail.alert.id != self.selected_id:
            return  # the dispatcher moved on meanwhile
        self.detail.show_loaded(loaded)
        current = self.model.alert(loaded.detail.alert.id)
        if current is not None and not current.pending:
            self.detail.set_view(current)  # decided since the view was read
        self._merge([loaded.detail.alert])

    def _view_failed(self, error: AlprError) -> None:
        self.detail.clear(f"The alert could not be shown: {error}")

    # ------------------------------------------------------------------ deciding
    def show_map(self) -> None:
        """The selected alert's read on a map, in a window (the map service records it)."""
        view = self.detail.view
        if view is None:
            return
        from alpr_desktop.gui.search.map_window import MapWindow

        services, actor, alert_id = self.gui.services, self.actor, view.id
        self.map_window = MapWindow(
            self.gui,
            f"Alert {alert_id}: {view.plate_text} on the map",
            lambda: services.maps.alert_map(actor, alert_id),
            self,
            hint="The read where it was taken, its camera and, for a mobile unit, its "
            f"track {ALERT_TRACK_MINUTES} minutes either side.",
        )
        self.map_window.finished.connect(self.map_window.deleteLater)
        self.map_window.show()

    def decide(self, *, accept: bool) -> None:
        view = self.detail.view
        if view is None or not view.pending:
            return
        dialog = DispositionDialog(self.gui, self.actor, view, accept=accept, parent=self)
        dialog.decided.connect(self._decided)
        dialog.already_decided.connect(self._decided)
        dialog.finished.connect(dialog.deleteLater)
        self.active_dialog = dialog
        dialog.open()

    def _decided(self, view: AlertView) -> None:
        self._merge([view])
        self._counted()
        if self.detail.view is not None and self.detail.view.id == view.id:
            self.detail.set_view(view)
        if self.feed is not None:
            self.feed.wake()  # the other workstations hear it through the database

    # ------------------------------------------------------------------ sound
    def _toggle_sound(self, on: bool) -> None:
        self.sound.enabled = on
        self._sound_look()
        self.gui.application.config.alert_sound = on
        if self.gui.application.demo:
            return  # a demo leaves this workstation's own configuration alone
        self.gui.background.run(
            lambda: save_alert_sound(on),
            on_error=lambda exc: show_inline_error(
                self.error_label, f"The sound setting could not be saved: {exc}"
            ),
            context=self,
        )

    # ------------------------------------------------------------------ session
    def resume(self) -> None:
        """After an unlock: a new feed in the new session (its queue load is recorded)."""
        if self.feed is not None:
            return
        self.model.clear()
        self.selected_id = None
        self.detail.clear()
        show_inline_error(self.error_label, "")
        self._counted()
        self.start_feed()

    def shutdown(self, then: Callable[[], None] | None = None) -> None:
        """Stop the feed (lock, sign-out, close), then call ``then`` on the GUI thread."""
        feed, self.feed = self.feed, None
        if feed is None:
            if then is not None:
                then()
            return
        self.feed_label.setText(_STATE_TEXT[FeedState.STOPPED])
        self.stopping.append(feed)

        def stopped() -> None:
            if feed in self.stopping:
                self.stopping.remove(feed)
            if then is not None:
                then()

        feed.stopped.connect(stopped)
        if feed.stop():
            stopped()
