"""An ingest sink: one recognition run's writer thread, its batches, spool and replay.

Opened by :meth:`alpr_desktop.services.ingest.IngestService.open_session` (see that
module for the whole design); everything here runs on the sink's own thread except
:meth:`IngestSink.submit`, :meth:`~IngestSink.flush`, :meth:`~IngestSink.drain` and
:meth:`~IngestSink.close`, which any thread may call.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.services.base import Actor
from alpr_desktop.services.ingest_spool import Spool
from alpr_desktop.services.ingest_store import StoredBatch, check_read

if TYPE_CHECKING:
    from alpr_desktop.services.ingest import IngestService

log = logging.getLogger(__name__)

_STOP = object()
SUMMARY_ACTION = "run_recognition_summary"


@dataclass(frozen=True)
class IngestOptions:
    """How a sink batches and retries (defaults suit a workstation; tests shorten them)."""

    batch_size: int = 250
    #: How long the first read of a batch may wait for others. 0 (the default): a read
    #: is stored as soon as the writer is free, and the reads that arrive while a batch
    #: is being stored form the next one — batches grow with the load by themselves, and
    #: a hotlist hit is not held back (frame-to-alert latency,
    #: ``benchmarks/bench_alert_latency.py``).
    max_delay: float = 0.0
    #: Reads held in memory before :meth:`IngestSink.submit` waits (back-pressure).
    queue_size: int = 2000
    retry_initial: float = 0.5
    retry_max: float = 30.0
    #: How long :meth:`IngestSink.close` keeps replaying the spool before leaving the rest.
    close_replay_seconds: float = 10.0
    #: How often the spool's depth is reported through the messages while it is not empty.
    report_every: float = 30.0


@dataclass(frozen=True)
class IngestStatus:
    """A sink's counters (what the live page and the headless log show)."""

    online: bool
    submitted: int
    #: Reads this sink inserted into the database (directly or replayed from the spool).
    stored: int
    #: Reads whose ``read_uuid`` was already in the database (not stored twice).
    already_stored: int
    spooled: int
    rejected: int
    #: Reads waiting in the local spool (this database's spool file, every sink's).
    spool_depth: int
    queued: int


@dataclass
class _Flush:
    done: threading.Event


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database cannot be reached now" (spool and retry)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeoutError
    )


class IngestSink:
    """One recognition run's way into the database; see the module docstring.

    ``submit`` may be called from any thread. Everything else happens on the sink's
    writer thread, which :meth:`close` ends (call it, or use the sink as a context
    manager: a sink left open keeps its thread, and its last reads, alive).
    """

    def __init__(self, service: IngestService, actor: Actor, spool: Spool, sink_id: str) -> None:
        self.id = sink_id
        self._service = service
        self._actor = actor
        self._spool = spool
        self._options = service.options
        self._queue: queue.Queue[object] = queue.Queue(maxsize=self._options.queue_size)
        self._submit_lock = threading.Lock()
        self._closed = False
        self._opened_at = service.ctx.now()
        self._counts = dict.fromkeys(
            ("submitted", "stored", "already_stored", "spooled", "rejected"), 0
        )
        self._online = True
        self._retry_at = 0.0
        self._backoff = self._options.retry_initial
        self._reported_at = 0.0
        #: Notified by the writer after each round, for :meth:`drain`.
        self._progress = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"alpr-ingest-{sink_id}")
        self._thread.start()

    def __enter__(self) -> IngestSink:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ public
    def submit(self, read: VehicleRead) -> None:
        """Hand over one read; waits only while ``queue_size`` reads are already waiting.

        Raises:
            ValueError: the read cannot be stored as it is (see ``ingest_store.check_read``).
            RuntimeError: the sink is closed.
        """
        check_read(read)
        with self._submit_lock:
            if self._closed:
                raise RuntimeError("this ingest sink is closed")
            self._counts["submitted"] += 1
        self._queue.put(read)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every read submitted so far is stored or spooled; False on timeout."""
        if self._closed:
            return True
        marker = _Flush(threading.Event())
        self._queue.put(marker)
        return marker.done.wait(timeout)

    def drain(self, timeout: float) -> bool:
        """Wait until everything submitted is in the database and the spool is empty.

        Returns False when that did not happen within ``timeout`` seconds (the database
        is still away, say); nothing is lost either way.
        """
        deadline = time.monotonic() + timeout
        if not self.flush(timeout):
            return False
        with self._progress:
            return self._progress.wait_for(
                lambda: self._online and not self._spool.depth,
                max(0.0, deadline - time.monotonic()),
            )

    @property
    def spool_depth(self) -> int:
        return self._spool.depth

    @property
    def status(self) -> IngestStatus:
        return IngestStatus(
            online=self._online,
            spool_depth=self._spool.depth,
            queued=self._queue.qsize(),
            **self._counts,
        )

    def close(self) -> IngestStatus:
        """Store or spool what is waiting, replay the spool for a while, record a summary."""
        with self._submit_lock:
            if self._closed:
                return self.status
            self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        # A submit that raced the stop marker left its read behind it: keep it too.
        late = [item for item in self._drain() if isinstance(item, VehicleRead)]
        if late:
            self._write(late)
        status = self.status
        try:
            self._service.write_summary(self._spool, self._summary(status))
        finally:
            self._service.release_spool(self)
        return status

    # ------------------------------------------------------------------ writer thread
    def _run(self) -> None:
        batch: list[VehicleRead] = []
        deadline: float | None = None
        while True:
            room = self._options.batch_size - len(batch)  # never more than one batch
            items = self._take(self._wait_time(deadline, bool(batch)), room)
            stopping = any(item is _STOP for item in items)
            flushes = [item for item in items if isinstance(item, _Flush)]
            batch.extend(item for item in items if isinstance(item, VehicleRead))
            if batch and deadline is None:
                deadline = time.monotonic() + self._options.max_delay
            full = len(batch) >= self._options.batch_size
            if batch and (full or flushes or stopping or time.monotonic() >= (deadline or 0)):
                self._write(batch)
                batch, deadline = [], None
            for flush in flushes:
                flush.done.set()
            if stopping:
                self._replay(self._options.close_replay_seconds, force=True)
                self._report_leftover()
                return
            if self._spool.depth and time.monotonic() >= self._retry_at:
                self._replay(1.0)
            self._report_depth()
            with self._progress:
                self._progress.notify_all()

    def _wait_time(self, deadline: float | None, pending: bool) -> float:
        now = time.monotonic()
        wait = 1.0
        if pending and deadline is not None:
            wait = min(wait, deadline - now)
        if self._spool.depth:
            wait = min(wait, self._retry_at - now)
        return max(wait, 0.0)

    def _take(self, wait: float, limit: int) -> list[object]:
        """Up to ``limit`` queued items: waits up to ``wait`` for the first, not the rest."""
        try:
            items = [self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()]
        except queue.Empty:
            return []
        while len(items) < limit and items[-1] is not _STOP:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _drain(self) -> list[object]:
        items: list[object] = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def _write(self, batch: list[VehicleRead]) -> None:
        if self._spool.depth or not self._online:
            self._to_spool(batch)  # behind what is already spooled: order is kept
            return
        try:
            result = self._service.store(batch)
        except Exception as exc:
            if isinstance(exc, DBAPIError) and not is_unreachable(exc):
                self._one_by_one([(None, read) for read in batch])
                return
            self._offline(exc)
            self._to_spool(batch)
            return
        self._stored(result)

    def _to_spool(self, batch: list[VehicleRead]) -> None:
        # A spool that cannot be written (disk full) is the one way to lose reads here;
        # it is an error the operator must see, not a log line.
        try:
            added = self._spool.append(batch, self._actor.username)
        except Exception as exc:
            log.error("cannot write the local spool: %s", exc)
            self._service.ctx.messages.error(
                f"{len(batch)} read(s) could not be stored or spooled ({exc}); check the "
                f"free space of {self._spool.path.parent}."
            )
            return
        self._counts["spooled"] += added

    def _stored(self, result: StoredBatch) -> None:
        self._counts["stored"] += result.inserted
        self._counts["already_stored"] += result.already_stored

    def _replay(self, budget: float, *, force: bool = False) -> None:
        """Store spooled reads, oldest first, for up to ``budget`` seconds."""
        if not self._spool.depth and self._online:
            return
        if not self._spool.replay_lock.acquire(blocking=False):
            return  # another sink of this process is replaying this spool
        try:
            if force or time.monotonic() >= self._retry_at:
                self._replay_locked(budget)
        except Exception as exc:
            # The spool itself failed (disk, corruption): the writer thread must live on,
            # or submit() would block and flush() never return. Retry after a backoff.
            log.exception("replaying the local spool failed")
            self._service.ctx.messages.error(
                f"The local spool {self._spool.path} could not be replayed ({exc}); retrying."
            )
            self._offline(exc)
        finally:
            self._spool.replay_lock.release()

    def _replay_locked(self, budget: float) -> None:
        started = time.monotonic()
        while time.monotonic() - started < budget:
            rows = self._spool.oldest(self._options.batch_size)
            if not rows:
                break
            try:
                result = self._service.store([read for _seq, read in rows])
            except Exception as exc:
                if isinstance(exc, DBAPIError) and not is_unreachable(exc):
                    self._one_by_one(rows)
                    continue
                self._offline(exc)
                return
            self._spool.remove([seq for seq, _read in rows])
            self._stored(result)
        if self._spool.refresh() == 0:
            self._back_online()

    def _one_by_one(self, rows: Sequence[tuple[int | None, VehicleRead]]) -> None:
        """A batch the database refused for its content: find the read(s) at fault."""
        for position, (seq, read) in enumerate(rows):
            try:
                self._stored(self._service.store([read]))
            except Exception as exc:
                if not isinstance(exc, DBAPIError) or is_unreachable(exc):
                    self._offline(exc)
                    self._to_spool([r for s, r in rows[position:] if s is None])
                    return
                self._rejected(seq, read, exc)
                continue
            if seq is not None:
                self._spool.remove([seq])

    def _rejected(self, seq: int | None, read: VehicleRead, exc: DBAPIError) -> None:
        orig = exc.orig
        code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", "")
        reason = f"{type(orig).__name__} {code}".strip()
        self._spool.reject(seq, read, reason, self._actor.username)
        self._counts["rejected"] += 1
        log.error("the database refused a read (%s); kept in the spool's rejected table", reason)
        self._service.ctx.messages.error(
            f"The database refused a read ({reason}); it is kept aside in {self._spool.path}."
        )

    def _offline(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self._online:
            self._online = False
            self._backoff = self._options.retry_initial
            self._reported_at = now
            log.warning("database unreachable (%s): spooling reads", type(exc).__name__)
            self._service.ctx.messages.warning(
                "The database cannot be reached: reads are kept in the local spool and "
                "will be stored when it is back."
            )
            if not is_unreachable(exc):
                log.error("unexpected error storing reads", exc_info=exc)
        else:
            self._backoff = min(self._backoff * 2, self._options.retry_max)
        self._retry_at = now + self._backoff

    def _back_online(self) -> None:
        if not self._online:
            self._online = True
            self._backoff = self._options.retry_initial
            log.info("database reachable again: spool replayed")
            self._service.ctx.messages.info(
                "The database is reachable again: every spooled read is stored."
            )
            try:
                self._service.write_pending_records(self._spool)
            except Exception as exc:
                log.warning("pending access records not written yet (%s)", type(exc).__name__)

    def _report_depth(self) -> None:
        now = time.monotonic()
        depth = self._spool.depth
        if depth and now - self._reported_at >= self._options.report_every:
            self._reported_at = now
            self._service.ctx.messages.info(f"{depth} read(s) waiting in the local spool.")

    def _report_leftover(self) -> None:
        depth = self._spool.refresh()
        if depth:
            self._service.ctx.messages.warning(
                f"{depth} read(s) remain in the local spool ({self._spool.path}); they will "
                "be stored when recognition next runs on this workstation."
            )

    def _summary(self, status: IngestStatus) -> dict[str, Any]:
        counts = {
            "stored": status.stored,
            "already_stored": status.already_stored,
            "spooled": status.spooled,
            "rejected": status.rejected,
            "spool_depth": status.spool_depth,
            "opened_at": self._opened_at.astimezone(dt.UTC).isoformat(),
        }
        return {
            "user_id": self._actor.user_id,
            "username": self._actor.username,
            "organisation": self._actor.organisation,
            "category": "admin",
            "action": SUMMARY_ACTION,
            "target_type": "ingest_session",
            "target_id": self.id,
            "query": counts,
            "detail": (
                f"ingest session closed: {status.submitted} read(s) submitted, "
                f"{status.stored} stored, {status.spool_depth} left in the spool"
            ),
        }
