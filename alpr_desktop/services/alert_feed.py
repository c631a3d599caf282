"""Delivering alerts to a signed-in user as they are raised, on SQLite and PostgreSQL.

An :class:`AlertFeed` runs one thread for one user (a dispatcher's workstation, or
``alpr-desktop alerts watch``). It loads the pending queue once
(:meth:`AlertService.open_queue <.alerts.AlertService.open_queue>`), then fetches what
arrived with :meth:`~.alerts.AlertService.poll` whenever it is woken:

* **PostgreSQL**: a dedicated connection ``LISTEN``\\ s on
  :data:`~.alert_matcher.CHANNEL`; the ingest path and every disposition ``NOTIFY`` on
  it in their own transaction, so the wake-up comes when the alert is committed, on
  every workstation. When that connection drops (server restart, network, a killed
  backend) the feed reconnects with backoff and, once listening again, polls from the
  last alert id it saw — so an alert raised while it was away is delivered late, never
  lost.
* **SQLite** (one workstation): the ingest service's ``ALERTS`` change wakes it in
  process.

Either way it also polls every ``poll_interval`` seconds, which covers another process
writing the same SQLite file and any wake-up lost in between. Each poll is authorised
again (a signed-out or suspended user's feed stops) and a poll that brings alerts is an
access record. Callbacks run on the feed's thread; the GUI hands them to its own.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alpr_desktop.errors import PermissionDenied
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.alert_matcher import CHANNEL
from alpr_desktop.services.alerts import REORDER_SLACK, AlertBatch
from alpr_desktop.services.base import Actor

if TYPE_CHECKING:
    from alpr_desktop.services.registry import Services

log = logging.getLogger(__name__)

_LISTEN_SLICE = 0.25  # how long one wait for a notification lasts (stop() latency)
#: How far before the previous poll a poll looks for alerts committed out of id order
#: (a transaction that took this long between its insert and its commit).
_REORDER_WINDOW = dt.timedelta(minutes=2)


class FeedState(enum.StrEnum):
    STARTING = "starting"
    LIVE = "live"  # listening (PostgreSQL) or subscribed (SQLite)
    RECONNECTING = "reconnecting"  # the database or the listener connection is away
    STOPPED = "stopped"


@dataclass(frozen=True)
class FeedStatus:
    state: FeedState
    message: str = ""


class AlertFeed:
    """Alerts for ``actor`` as they are raised; see the module docstring.

    Args:
        services: the service set (its alert service and database).
        actor: who receives the alerts (``REVIEW_ALERT``).
        on_batch: called with each :class:`~.alerts.AlertBatch` that brought new or
            decided alerts (the first is the pending queue, even when empty).
        on_status: called when the feed's :class:`FeedStatus` changes.
        poll_interval: seconds between polls when nothing wakes the feed.
    """

    def __init__(
        self,
        services: Services,
        actor: Actor,
        *,
        on_batch: Callable[[AlertBatch], None],
        on_status: Callable[[FeedStatus], None] | None = None,
        poll_interval: float = 5.0,
        max_backoff: float = 10.0,
    ) -> None:
        self.services = services
        self.actor = actor
        self._on_batch = on_batch
        self._on_status = on_status
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._announced: set[int] = set()
        self._announced_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._status = FeedStatus(FeedState.STARTING)
        self._last_id = 0
        self._since: dt.datetime | None = None
        self._known: set[int] = set()
        self._pending: set[int] = set()
        self._listener: Any = None
        self._unsubscribe: Callable[[], None] | None = None
        self.polls = 0

    # ------------------------------------------------------------------ control
    @property
    def status(self) -> FeedStatus:
        return self._status

    @property
    def postgres(self) -> bool:
        return self.services.ctx.db.backend == "postgresql"

    @property
    def listener_pid(self) -> int | None:
        """The listening connection's server process id (PostgreSQL; for tests)."""
        listener = self._listener
        return int(listener.info.backend_pid) if listener is not None else None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the feed is already started")
        if not self.postgres:
            self._unsubscribe = self.services.ctx.changes.subscribe(self._changed)
        self._thread = threading.Thread(target=self._run, name="alert-feed", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and close the listener (idempotent)."""
        self._stop.set()
        self._wake.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wake(self) -> None:
        """Poll now (after this workstation decided an alert, say)."""
        self._wake.set()

    # ------------------------------------------------------------------ the thread
    def _changed(self, changes: Changes) -> None:
        if changes.touches(Topic.ALERTS):
            self._wake.set()

    def _set_status(self, state: FeedState, message: str = "") -> None:
        status = FeedStatus(state, message)
        if status != self._status:
            self._status = status
            if self._on_status is not None:
                self._on_status(status)

    def _run(self) -> None:
        backoff = 0.5
        opened = False
        try:
            while not self._stop.is_set():
                try:
                    if not opened:
                        self._open_queue()
                        opened = True
                    if self.postgres:
                        self._listen_loop()
                    else:
                        self._set_status(FeedState.LIVE)
                        self._wait_loop()
                    backoff = 0.5
                except PermissionDenied as refused:
                    self._set_status(FeedState.STOPPED, str(refused))
                    return
                except Exception as exc:  # the database or the listener went away
                    self._close_listener()
                    if self._stop.is_set():
                        break
                    log.warning("alert feed: %s; retrying in %.1f s", type(exc).__name__, backoff)
                    self._set_status(
                        FeedState.RECONNECTING,
                        "Alert feed disconnected from the database; reconnecting…",
                    )
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
        finally:
            self._close_listener()
            if self._status.state is not FeedState.STOPPED:
                self._set_status(FeedState.STOPPED, "")

    def _open_queue(self) -> None:
        batch = self.services.alerts.open_queue(self.actor)
        self._take(batch)
        self._on_batch(batch)

    def _take(self, batch: AlertBatch) -> None:
        self._last_id = max(self._last_id, batch.last_id)
        if batch.polled_at is not None:
            self._since = batch.polled_at - _REORDER_WINDOW
        for view in batch.new:
            self._known.add(view.id)
            if view.pending:
                self._pending.add(view.id)
        for view in batch.decided:
            self._pending.discard(view.id)
        floor = self._last_id - REORDER_SLACK
        self._known = {i for i in self._known if i > floor}

    def _poll(self) -> None:
        with self._announced_lock:
            ids, self._announced = self._announced, set()
        batch = self.services.alerts.poll(
            self.actor,
            after_id=self._last_id,
            known=self._known,
            watch=self._pending,
            ids=ids,
            since=self._since,
        )
        self.polls += 1
        self._take(batch)
        if batch.new or batch.decided:
            self._on_batch(batch)

    def _wait_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_interval)
            if self._stop.is_set():
                return
            self._wake.clear()
            self._poll()

    def _listen_loop(self) -> None:
        import psycopg

        url = self.services.ctx.db.engine.url.set(drivername="postgresql")
        self._listener = psycopg.connect(
            url.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
        )
        self._listener.execute(f"LISTEN {CHANNEL}")
        # Listening now: whatever was raised while we were away is caught up here.
        self._poll()
        self._set_status(FeedState.LIVE)
        last_poll = time.monotonic()
        while not self._stop.is_set():
            woke = False
            for note in self._listener.notifies(timeout=_LISTEN_SLICE, stop_after=1):
                woke = True
                self._note(note.payload)
            if self._stop.is_set():
                return  # stop() sets the wake-up too: no poll for a feed being stopped
            if self._wake.is_set():
                self._wake.clear()
                woke = True
            if woke or time.monotonic() - last_poll >= self.poll_interval:
                self._poll()
                last_poll = time.monotonic()

    def _note(self, payload: str) -> None:
        if payload == "*":
            return  # too many to name: the poll looks past the last id
        ids = {int(part) for part in payload.split(",") if part.isdigit()}
        with self._announced_lock:
            self._announced.update(ids)

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.close()
            except Exception:  # already broken
                log.debug("closing the alert listener failed", exc_info=True)
