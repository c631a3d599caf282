"""The one helper that runs service calls off the GUI thread.

Every call runs on a single worker thread (database work is serialised, as in Anki's
task manager); its result, or the :class:`~alpr_desktop.errors.AlprError` it raised,
comes back on the GUI thread through a queued signal. Widgets are never touched from
the worker. An unexpected database error reaches the user as a plain "database error":
the driver's text carries the SQL and its parameters (what was typed, perhaps a
password in the wrong field), so it is never shown, and is logged without them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

from alpr_desktop.errors import AlprError, database_error

log = logging.getLogger(__name__)


@dataclass
class _Job:
    fn: Callable[[], Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[AlprError], None] | None
    context: QObject | None
    result: Any = None
    error: AlprError | None = None


def _done() -> None:
    """What a delivered job's ``fn`` becomes (it may hold widgets)."""


def _unexpected(exc: Exception) -> AlprError:
    """What the user is told about an exception that is not an :class:`AlprError`."""
    # Imported here: this module is part of the first window, shown before SQLAlchemy is
    # loaded (gui/main.py); by the time a job fails, the worker has loaded it.
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        return database_error(exc)
    log.exception("background job failed")  # a bug: keep the application alive, say so
    return AlprError(f"An unexpected error occurred: {exc}")


class Background(QObject):
    """Runs callables off the GUI thread and delivers results on the GUI thread.

    Ordinary jobs (a page's load, a save) run one at a time on the worker, in order.
    Long jobs (``long=True``: a hotlist import, a check of past reads) run on a second
    thread of their own, so a minute-long import never holds up the pages' loads.
    """

    #: A job's callback has run (tests wait on this or on :attr:`busy`).
    done = Signal()
    #: An error nobody handled (no ``on_error``): the main window shows it.
    failed = Signal(str)
    _deliver = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alpr-worker")
        self._long = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alpr-long")
        self._pending = 0
        self._closed = False
        self._deliver.connect(self._on_deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        """True while a job is queued, running or waiting for its callback."""
        return self._pending > 0

    def run(
        self,
        fn: Callable[[], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[AlprError], None] | None = None,
        context: QObject | None = None,
        long: bool = False,
    ) -> None:
        """Run ``fn()`` on the worker; call ``on_done(result)`` or ``on_error(exc)`` here.

        Callbacks are skipped when ``context`` (usually the widget that asked) has been
        deleted in the meantime. ``long``: on the long-job thread (see the class).
        """
        if self._closed:
            raise RuntimeError("the background worker has been shut down")
        self._pending += 1
        executor = self._long if long else self._executor
        executor.submit(self._work, _Job(fn, on_done, on_error, context))

    def _work(self, job: _Job) -> None:  # worker thread: no widgets here
        try:
            job.result = job.fn()
        except AlprError as exc:
            job.error = exc
        except Exception as exc:
            job.error = _unexpected(exc)
        if shiboken6.isValid(self):
            self._deliver.emit(job)

    def _on_deliver(self, job: _Job) -> None:
        self._pending -= 1
        try:
            if self._closed:
                return  # delivered after shutdown: whoever asked has gone
            if job.context is not None and not shiboken6.isValid(job.context):
                return
            if job.error is None:
                if job.on_done is not None:
                    job.on_done(job.result)
            elif job.on_error is not None:
                job.on_error(job.error)
            else:
                self.failed.emit(str(job.error))
        finally:
            # The worker thread holds the finished job until it takes its next one; drop
            # the callbacks (and the widgets they hold) here, on the GUI thread, so a
            # widget is never deleted from a worker thread.
            job.fn, job.on_done, job.on_error = _done, None, None
            job.context = None
            job.result = None
            self.done.emit()

    def shutdown(self) -> None:
        """Finish the queued jobs and stop the worker thread (idempotent)."""
        self._closed = True
        self._executor.shutdown(wait=True)
        self._long.shutdown(wait=True)
