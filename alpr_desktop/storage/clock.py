"""The clock that stamps records: the database server's on PostgreSQL, the local one on SQLite.

Workstations sharing a PostgreSQL database must agree on time — lockout windows, session
expiry and the access trail compare timestamps written by different machines — and a
workstation's own clock may be minutes off. Asking the server on every call would add a
round trip to each unit of work (and ``now()`` is asked several times per unit), so
:class:`DatabaseClock` reads ``clock_timestamp()`` once, then advances it by the
monotonic clock, and reads it again every few minutes. Its error is half a round trip
plus the monotonic clock's drift since the last reading (well under a second), and a
change of the workstation's wall clock does not move it at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from alpr_desktop.storage.types import utcnow

log = logging.getLogger(__name__)

#: How long a reading of the server's clock is trusted before it is taken again.
RESYNC_SECONDS = 300.0
_SERVER_NOW = text("SELECT clock_timestamp()")


class DatabaseClock:
    """Timezone-aware UTC time by the PostgreSQL server's clock (callable like ``utcnow``)."""

    def __init__(self, engine: Engine, *, resync_seconds: float = RESYNC_SECONDS) -> None:
        self._engine = engine
        self._resync = resync_seconds
        self._lock = threading.Lock()
        self._base: dt.datetime | None = None  # server time at the monotonic instant below
        self._base_mono = 0.0
        #: (base, base_mono) as one value, read without the lock by :meth:`estimate`.
        self._snapshot: tuple[dt.datetime | None, float] = (None, 0.0)

    def __call__(self) -> dt.datetime:
        mono = time.monotonic()
        with self._lock:
            if self._base is None or mono - self._base_mono > self._resync:
                self._sync()
                self._snapshot = (self._base, self._base_mono)
            assert self._base is not None
            return self._base + dt.timedelta(seconds=time.monotonic() - self._base_mono)

    def estimate(self) -> dt.datetime:
        """The time by the last reading, never asking the server (for the GUI thread).

        Takes no lock: a reading in progress on another thread holds it during a round
        trip, and the GUI thread must not wait for that. ``_snapshot`` is replaced whole.
        """
        base, base_mono = self._snapshot
        if base is None:
            return utcnow()
        return base + dt.timedelta(seconds=time.monotonic() - base_mono)

    def _sync(self) -> None:
        before = time.monotonic()
        try:
            server = self.read_server()
        except SQLAlchemyError as exc:
            # Keep the last reading (or the local clock) rather than fail the caller; the
            # failing database will surface in the caller's own unit of work.
            log.warning("cannot read the database server's clock: %s", type(exc).__name__)
            if self._base is None:
                self._base, self._base_mono = utcnow(), before
            else:
                self._base += dt.timedelta(seconds=before - self._base_mono)
                self._base_mono = before
            return
        after = time.monotonic()
        self._base, self._base_mono = server.astimezone(dt.UTC), (before + after) / 2

    def read_server(self) -> dt.datetime:
        """One reading of the server's clock (a round trip)."""
        with self._engine.connect() as conn:
            value = conn.execute(_SERVER_NOW).scalar_one()
        assert isinstance(value, dt.datetime)
        return value


def clock_for(engine: Engine) -> Callable[[], dt.datetime]:
    """The clock services should use on ``engine``'s database."""
    if engine.url.get_backend_name() == "postgresql":
        return DatabaseClock(engine)
    return utcnow
