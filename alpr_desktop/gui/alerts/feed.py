"""The Qt side of an :class:`~alpr_desktop.services.alert_feed.AlertFeed`.

The feed calls back on its own thread; :class:`FeedRun` turns each callback into a
signal, which Qt queues to the GUI thread because this object lives there.

Stopping must not make the GUI thread wait, yet a lock or a sign-out must not be
followed by a poll in the ended session. Each queue load and poll therefore holds a
lock and is skipped once a stop was asked for: when :meth:`FeedRun.stop` finds the lock
free, nothing is in flight and nothing more will run, so it is done at once (the
thread ends on its own); otherwise a short-lived thread waits for the poll to end and
:attr:`FeedRun.stopped` says when.
"""

from __future__ import annotations

import threading
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from alpr_desktop.services.alert_feed import AlertFeed, FeedStatus
from alpr_desktop.services.alerts import AlertBatch
from alpr_desktop.services.base import Actor
from alpr_desktop.services.registry import Services


class _GuardedFeed(AlertFeed):
    """An :class:`AlertFeed` whose database work holds :attr:`busy` and ends with a stop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.busy = threading.Lock()
        self.stop_asked = threading.Event()

    def _open_queue(self) -> None:
        with self.busy:
            if not self.stop_asked.is_set():
                super()._open_queue()

    def _poll(self) -> None:
        with self.busy:
            if not self.stop_asked.is_set():
                super()._poll()


class FeedRun(QObject):
    """One feed for one signed-in session; see the module docstring."""

    #: an :class:`~alpr_desktop.services.alerts.AlertBatch`
    batch = Signal(object)
    #: a :class:`~alpr_desktop.services.alert_feed.FeedStatus`
    status = Signal(object)
    #: the feed's thread has ended (after :meth:`stop`)
    stopped = Signal()

    def __init__(
        self,
        services: Services,
        actor: Actor,
        parent: QObject,
        *,
        poll_interval: float = 5.0,
    ) -> None:
        super().__init__(parent)
        self.feed = _GuardedFeed(
            services,
            actor,
            on_batch=self._batch,
            on_status=self._status,
            poll_interval=poll_interval,
        )
        self._stopping = False

    def start(self) -> None:
        self.feed.start()

    def wake(self) -> None:
        self.feed.wake()

    def stop(self) -> bool:
        """Stop the feed without waiting; True when it is done already.

        Otherwise a poll is in flight: :attr:`stopped` follows once it has ended.
        Idempotent (a second call says False and emits nothing more).
        """
        if self._stopping:
            return False
        self._stopping = True
        self.feed.stop_asked.set()
        self.feed.stop(timeout=0)  # wakes the thread, which then ends by itself
        if self.feed.busy.acquire(blocking=False):
            self.feed.busy.release()  # nothing in flight, and nothing more will start
            return True
        threading.Thread(target=self._stop, name="alert-feed-stop", daemon=True).start()
        return False

    def join(self, timeout: float = 10.0) -> None:
        """Block until the feed's thread has ended (tests, application shutdown)."""
        self.feed.stop(timeout)

    def _stop(self) -> None:
        with self.feed.busy:
            pass  # the poll in flight has ended; none follows
        if shiboken6.isValid(self):
            self.stopped.emit()

    # ------------------------------------------------------------------ feed thread
    def _batch(self, batch: AlertBatch) -> None:
        if shiboken6.isValid(self) and not self._stopping:
            self.batch.emit(batch)

    def _status(self, status: FeedStatus) -> None:
        if shiboken6.isValid(self):
            self.status.emit(status)
