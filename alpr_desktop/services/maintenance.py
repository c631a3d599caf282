"""Scheduled maintenance (requirements §8; policy 471.5 and 471.4(d)).

One job, run at start-up and then once a day while the application runs (the GUI's
:class:`~alpr_desktop.gui.maintenance.MaintenanceScheduler`; a headless installation runs
``alpr-desktop purge`` from cron instead): the purge of the reads past the retention
period (:meth:`RetentionService.purge`) and the suspension of accounts unused for the
inactivity period (:meth:`UserService.suspend_inactive_scheduled`). Nobody is signed in
for it, so both act, and are recorded in the access trail, as the ``system`` user.

**When.** At start-up it always runs: a purge killed by a power cut is completed then,
and a purge with nothing to do costs two counts. After that it runs when the last purge
of the database — by any workstation sharing it, from ``purge_log`` — started a day
ago or more, so workstations that share one PostgreSQL database do not each purge
daily; the advisory lock of the purge keeps two from purging at once.

A failure of one part (the other workstation holding the purge lock, a database error)
is reported and does not stop the other part; the next run tries again. A run that did
something, or failed, says so on the message bridge (the main window's status bar).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import func, select

from alpr_desktop.errors import AlprError
from alpr_desktop.services.base import ServiceContext
from alpr_desktop.services.retention import Progress, PurgeReport, RetentionService, Stop
from alpr_desktop.services.users import UserService
from alpr_desktop.storage.models import PurgeLog

log = logging.getLogger(__name__)

#: How often the job runs while the application runs.
INTERVAL = dt.timedelta(days=1)


@dataclass(frozen=True)
class MaintenanceReport:
    """What one run did; ``purge`` None when the purge failed (``purge_error`` says why)."""

    ran_at: dt.datetime
    purge: PurgeReport | None
    purge_error: str
    suspended: tuple[str, ...]
    suspend_error: str = ""

    def summary(self) -> str:
        parts = [self.purge.summary() if self.purge else f"Purge not run: {self.purge_error}"]
        if self.suspend_error:
            parts.append(f"Inactivity check not run: {self.suspend_error}")
        elif self.suspended:
            parts.append(
                f"Suspended for inactivity: {', '.join(self.suspended)} "
                f"({len(self.suspended)} account(s))."
            )
        else:
            parts.append("No account was suspended for inactivity.")
        return " ".join(parts)


class MaintenanceService:
    """The scheduled purge and inactivity suspension (see the module docstring)."""

    def __init__(
        self, ctx: ServiceContext, retention: RetentionService, users: UserService
    ) -> None:
        self.ctx = ctx
        self.retention = retention
        self.users = users

    def last_purge_at(self) -> dt.datetime | None:
        """When the last purge of this database started (any workstation, any user)."""
        with self.ctx.db.sessions() as session:
            return session.scalar(select(func.max(PurgeLog.ran_at)))

    def next_run_at(self) -> dt.datetime:
        """When the daily run is due next: a day after the last purge (now, if never)."""
        last = self.last_purge_at()
        return self.ctx.now() if last is None else last.replace(tzinfo=dt.UTC) + INTERVAL

    def due(self) -> bool:
        return self.next_run_at() <= self.ctx.now()

    def run(
        self,
        *,
        force: bool = False,
        progress: Progress | None = None,
        stop: Stop | None = None,
    ) -> MaintenanceReport | None:
        """Run the job if it is due (always with ``force``); None when it was not due.

        ``stop()`` true ends the purge after the batch in hand (the next run completes it).
        """
        if not force and not self.due():
            return None
        ran_at = self.ctx.now()
        purge: PurgeReport | None = None
        purge_error = suspend_error = ""
        try:
            purge = self.retention.purge(None, progress=progress, stop=stop)
        except AlprError as exc:
            purge_error = str(exc)
            log.warning("scheduled purge not run: %s", exc)
        suspended: list[str] = []
        if stop is None or not stop():
            try:
                suspended = self.users.suspend_inactive_scheduled()
            except AlprError as exc:
                suspend_error = str(exc)
                log.warning("scheduled inactivity check not run: %s", exc)
        else:
            suspend_error = "stopped before it ran"
        report = MaintenanceReport(ran_at, purge, purge_error, tuple(suspended), suspend_error)
        log.info("maintenance: %s", report.summary())
        if purge_error or suspend_error:
            self.ctx.messages.warning(f"Scheduled maintenance: {report.summary()}")
        elif (purge is not None and purge.reads) or suspended:
            self.ctx.messages.info(f"Scheduled maintenance: {report.summary()}")
        return report
