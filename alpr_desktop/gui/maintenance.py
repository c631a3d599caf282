"""Runs the scheduled maintenance job (:mod:`alpr_desktop.services.maintenance`) from the
GUI process: once at start-up, then whenever it is due, checked every hour.

The job runs on the background's long-job thread, so neither the GUI thread nor the
pages' loads wait for a purge; :meth:`MaintenanceScheduler.stop` (at shutdown) makes a
running purge stop after the batch in hand, and the next run completes it. Other long
jobs (an import, an export) started meanwhile wait for it on that thread: a daily purge
is a day's reads (seconds); a large backlog — the first run after weeks switched off —
is better cleared once with ``alpr-desktop purge``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.background import Background
from alpr_desktop.services.maintenance import MaintenanceReport, MaintenanceService

log = logging.getLogger(__name__)

#: How often the scheduler asks whether the daily run is due.
CHECK_MS = 60 * 60 * 1000


class MaintenanceScheduler(QObject):
    """Starts the maintenance job at start-up and when due; one run at a time."""

    #: A run ended: its :class:`MaintenanceReport` (not emitted for a run not due).
    finished = Signal(object)

    def __init__(
        self,
        background: Background,
        service: MaintenanceService,
        *,
        check_ms: int = CHECK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.background = background
        self.service = service
        self.running = False
        self.last_report: MaintenanceReport | None = None
        self.last_error = ""
        #: When this process last asked or ran (for the Retention page); None: not yet.
        self.checked_at: dt.datetime | None = None
        self._stop = threading.Event()
        self._timer = QTimer(self)
        self._timer.setInterval(check_ms)
        self._timer.timeout.connect(lambda: self._submit(force=False))

    def start(self) -> None:
        """The start-up run now, then the hourly check."""
        self._submit(force=True)
        self._timer.start()

    def stop(self) -> None:
        """No more runs; a running purge stops after its current batch (idempotent)."""
        self._stop.set()
        self._timer.stop()

    def _submit(self, *, force: bool) -> None:
        if self.running or self._stop.is_set():
            return
        self.running = True
        service, stop = self.service, self._stop.is_set
        self.background.run(
            lambda: service.run(force=force, stop=stop),
            on_done=self._done,
            on_error=self._failed,
            context=self,
            long=True,
        )

    def _done(self, report: MaintenanceReport | None) -> None:
        self.running = False
        self.checked_at = self.service.ctx.display_now()
        if report is not None:
            self.last_report, self.last_error = report, ""
            self.finished.emit(report)

    def _failed(self, error: AlprError) -> None:
        self.running = False
        self.last_error = str(error)
        log.warning("scheduled maintenance failed: %s", error)
