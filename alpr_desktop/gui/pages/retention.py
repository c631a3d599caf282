"""Retention (policy 471.5): the period, the oldest read, the last purges and the purge.

The overview is loaded on the worker (``RetentionService.overview``, recorded). The
commander changes the period in :class:`RetentionDialog`: under 365 days it asks for an
explicit confirmation and a reason, as the service requires. "Preview purge" (a dry
run) and "Purge now" (``RUN_PURGE``) run on the long-job thread; the worker writes its
progress into a plain attribute a timer reads (no widget is touched off the GUI thread)
and Cancel stops the purge after the current batch (the next purge completes it).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.maintenance import MaintenanceScheduler
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.pages.user_dialogs import ServiceDialog
from alpr_desktop.gui.widgets import hidden_label, show_inline_error
from alpr_desktop.messages import Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.maintenance import INTERVAL
from alpr_desktop.services.retention import PurgeReport, RetentionOverview
from alpr_desktop.settings import MIN_RETENTION_DAYS

PURGE_COLUMNS = ("Started", "Cutoff", "Reads purged", "Images purged", "Held kept", "Span", "By")
#: The longest period the dialog offers (ten years).
MAX_DAYS = 3650


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "—"


class RetentionDialog(ServiceDialog):
    """The new period; under 365 days a confirmation box and a reason are required."""

    def __init__(
        self,
        gui: GuiContext,
        actor: Actor,
        current: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(gui, "Change the retention period", "Set period", parent)
        self.actor = actor
        intro = QLabel(
            f"Reads older than the period are purged, except those under an evidence hold. "
            f"Policy 471.5 and Gov. Code 34090.6 require at least {MIN_RETENTION_DAYS} days; "
            "a shorter period needs your confirmation and a reason, both recorded.",
            self,
        )
        intro.setWordWrap(True)
        self.body.addWidget(intro)
        form = QFormLayout()
        self.days_spin = QSpinBox(self)
        self.days_spin.setRange(1, MAX_DAYS)
        self.days_spin.setSuffix(" days")
        self.days_spin.setValue(current)
        form.addRow("Retention period:", self.days_spin)
        self.body.addLayout(form)
        self.short_label = QLabel(
            f"Under {MIN_RETENTION_DAYS} days: reads go before the statutory minimum.", self
        )
        self.short_label.setObjectName("errorLabel")
        self.short_label.setWordWrap(True)
        self.confirm_box = QCheckBox(
            f"I confirm a period under {MIN_RETENTION_DAYS} days is authorised", self
        )
        self.body.addWidget(self.short_label)
        self.body.addWidget(self.confirm_box)
        self.body.addWidget(QLabel("Reason (recorded in the access trail):", self))
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setFixedHeight(70)
        self.body.addWidget(self.reason_edit)
        self.finish_layout()
        self.days_spin.valueChanged.connect(self._check)
        self.confirm_box.toggled.connect(self._check)
        self.reason_edit.textChanged.connect(self._check)
        self._check()

    @property
    def short(self) -> bool:
        return self.days_spin.value() < MIN_RETENTION_DAYS

    def _check(self) -> None:
        short = self.short
        self.short_label.setVisible(short)
        self.confirm_box.setVisible(short)
        self.ok_button.setEnabled(
            not short
            or (self.confirm_box.isChecked() and bool(self.reason_edit.toPlainText().strip()))
        )

    def submit(self) -> None:
        retention, actor = self.gui.services.retention, self.actor
        days, reason = self.days_spin.value(), self.reason_edit.toPlainText()
        confirm = self.short and self.confirm_box.isChecked()
        self.run(lambda: retention.set_retention(actor, days, confirm_short=confirm, reason=reason))


def next_run_text(
    overview: RetentionOverview, scheduler: MaintenanceScheduler | None, now: dt.datetime
) -> str:
    """When the scheduled purge runs next, as the Retention page says it."""
    if scheduler is None:
        return (
            "Not scheduled by this window: at the application's next start, or by "
            "'alpr-desktop purge' from cron"
        )
    if scheduler.running:
        return "Running now"
    last = overview.last_purges[0].ran_at if overview.last_purges else None
    due = now if last is None else last.replace(tzinfo=dt.UTC) + INTERVAL
    if due <= now:
        return "Due now: at the next hourly check"
    return f"{due:%Y-%m-%d %H:%M} UTC (a day after the last purge; checked hourly)"


class RetentionPage(Page):
    """The retention setting, the purge log, the dry-run preview and the purge."""

    # Not READS: every live read would reload the page, and each load is a recorded
    # viewing; a purge run here reloads it when it ends.
    topics = frozenset({Topic.SETTINGS})

    def __init__(
        self,
        gui: GuiContext,
        actor: Actor,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(gui, actor, "Retention", parent)
        self.overview: RetentionOverview | None = None
        self.report: PurgeReport | None = None
        self.active_dialog: RetentionDialog | None = None
        intro = QLabel(
            "Reads are kept for the retention period and then purged with their images, "
            "alerts and search-index rows; reads under an active evidence hold are kept.",
            self,
        )
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        self.layout_.addWidget(intro)
        form = QFormLayout()
        self.period_label = QLabel("…", self)
        self.period_label.setObjectName("cardTitle")
        self.change_button = QPushButton("Change…", self)
        self.change_button.setVisible(actor.may(Action.SET_RETENTION))
        self.change_button.clicked.connect(self.change_period)
        period_row = QHBoxLayout()
        period_row.addWidget(self.period_label)
        period_row.addWidget(self.change_button)
        period_row.addStretch(1)
        self.oldest_label = QLabel("…", self)
        # When the scheduled job (gui/maintenance.py) purges next: set on each load.
        self.next_run_label = QLabel("—", self)
        self.next_run_label.setObjectName("nextRunLabel")
        form.addRow("Retention period:", period_row)
        form.addRow("Oldest read:", self.oldest_label)
        form.addRow("Next scheduled run:", self.next_run_label)
        self.layout_.addLayout(form)
        bar = QHBoxLayout()
        self.preview_button = QPushButton("Preview purge", self)
        self.preview_button.setToolTip("Count what a purge would delete now; deletes nothing.")
        self.preview_button.clicked.connect(self.preview)
        self.purge_button = QPushButton("Purge now", self)
        self.purge_button.setObjectName("dangerButton")
        self.purge_button.setVisible(actor.may(Action.RUN_PURGE))
        self.purge_button.clicked.connect(self.purge_now)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setFixedWidth(200)
        self.progress_bar.setFormat("Purged %v of %m")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        for widget in (self.preview_button, self.purge_button):
            bar.addWidget(widget)
        bar.addWidget(self.progress_bar)
        bar.addWidget(self.cancel_button)
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        self.layout_.addLayout(bar)
        self.result_label = QLabel(self)
        self.result_label.setObjectName("purgeResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()
        self.layout_.addWidget(self.result_label)
        self.error_label = hidden_label(self)
        self.layout_.addWidget(self.error_label)
        heading = QLabel("Last purges", self)
        heading.setObjectName("cardTitle")
        self.layout_.addWidget(heading)
        self.table = QTableWidget(0, len(PURGE_COLUMNS), self)
        self.table.setObjectName("purgeTable")
        self.table.setHorizontalHeaderLabels(list(PURGE_COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.layout_.addWidget(self.table, 1)
        self._stop = threading.Event()
        self._progress: tuple[int, int] = (0, 0)  # written by the worker, read by the timer
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._show_progress)
        self.running = False
        self._set_running(False)

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        service, actor = self.gui.services.retention, self.actor
        self.gui.background.run(
            lambda: service.overview(actor),
            on_done=self._loaded,
            on_error=self._failed,
            context=self,
        )

    def _loaded(self, overview: RetentionOverview) -> None:
        self.overview = overview
        self.refresh_button.setEnabled(True)
        self.error_label.hide()
        days = overview.retention_days
        short = " (under the 365-day minimum, confirmed)" if days < MIN_RETENTION_DAYS else ""
        self.period_label.setText(f"{days:,} days{short}")
        oldest = overview.oldest_read_at
        self.oldest_label.setText(f"{oldest:%Y-%m-%d %H:%M} UTC" if oldest else "No reads stored")
        self.next_run_label.setText(
            next_run_text(
                overview,
                self.gui.maintenance,
                self.gui.services.ctx.display_now(),
            )
        )
        self.table.setRowCount(len(overview.last_purges))
        for row, entry in enumerate(overview.last_purges):
            span = (
                f"{entry.oldest_purged_at:%Y-%m-%d} – {entry.newest_purged_at:%Y-%m-%d}"
                if entry.oldest_purged_at and entry.newest_purged_at
                else "—"
            )
            cells = (
                _when(entry.ran_at),
                _when(entry.cutoff),
                f"{entry.reads_purged:,}",
                f"{entry.images_purged:,}",
                f"{entry.held_reads_kept:,}",
                span,
                overview.usernames.get(entry.ran_by_id, f"user #{entry.ran_by_id}")
                if entry.ran_by_id is not None
                else "scheduled",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if 2 <= column <= 4:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)

    def _failed(self, error: AlprError) -> None:
        self.refresh_button.setEnabled(True)
        show_inline_error(self.error_label, str(error))

    # ------------------------------------------------------------------ period
    def change_period(self) -> None:
        current = self.overview.retention_days if self.overview else MIN_RETENTION_DAYS
        dialog = RetentionDialog(self.gui, self.actor, current, self)
        self.active_dialog = dialog
        dialog.accepted.connect(self.refresh)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    # ------------------------------------------------------------------ purge
    def preview(self) -> None:
        self._purge(dry_run=True)

    def purge_now(self) -> None:
        self._purge(dry_run=False)

    def _purge(self, *, dry_run: bool) -> None:
        self._stop = threading.Event()
        self._progress = (0, 0)
        self.progress_bar.setRange(0, 0)  # busy until the first batch
        self.error_label.hide()
        self.result_label.hide()
        self._set_running(True, dry_run=dry_run)
        service, actor, stop = self.gui.services.retention, self.actor, self._stop

        def progress(done: int, total: int) -> None:  # worker thread: no widgets
            self._progress = (done, total)

        self.gui.background.run(
            lambda: service.purge(actor, dry_run=dry_run, progress=progress, stop=stop.is_set),
            on_done=self._purged,
            on_error=self._purge_failed,
            context=self,
            long=True,
        )

    def _purged(self, report: PurgeReport) -> None:
        self._set_running(False)
        self.report = report
        self.result_label.setText(("Preview: " if report.dry_run else "") + report.summary())
        self.result_label.show()
        self.refresh()

    def _purge_failed(self, error: AlprError) -> None:
        self._set_running(False)
        show_inline_error(self.error_label, str(error))

    def cancel(self) -> None:
        """Stop after the current batch (each batch stands alone; a rerun completes it)."""
        self._stop.set()
        self.cancel_button.setEnabled(False)

    def _set_running(self, running: bool, *, dry_run: bool = True) -> None:
        self.running = running
        self.progress_bar.setVisible(running)
        self.cancel_button.setVisible(running and not dry_run)
        self.cancel_button.setEnabled(running)
        self.preview_button.setEnabled(not running)
        self.purge_button.setEnabled(not running)
        if running:
            self._poll.start()
        else:
            self._poll.stop()

    def _show_progress(self) -> None:
        done, total = self._progress
        if total:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
