"""The ingest service: the one path by which reads enter the database.

The live page, the headless node and the demo all do::

    sink = services.ingest.open_session(actor)   # authorised once: RUN_RECOGNITION
    sink.submit(read)                              # from any thread; returns at once
    sink.flush()                                   # optional: wait until stored or spooled
    sink.close()                                   # flush, replay, closing access record

Each sink has one writer thread. It gathers submitted reads into batches (at most
``batch_size`` reads; by default whatever arrived while the previous batch was being
stored, see ``IngestOptions.max_delay``) and stores each batch — reads, images and
alternatives — in one transaction (``ingest_store.store_batch``), then publishes one
``READS`` change. When the database cannot be reached, batches go to the durable local
spool (``ingest_spool``) instead, and the same thread replays the spool, oldest first,
with exponential backoff between attempts; while anything is spooled, new reads are
spooled behind it, so reads reach the database in the order they were submitted. A
read carries its ``read_uuid`` from the tracker, so a replay never stores it twice.

Alerts are raised in the batch's transaction: the batch's new reads are matched against
the process's hotlist index (``alert_matcher``) and their alerts inserted before the
commit, so a read is never stored without the alerts it raises, and PostgreSQL
announces them (``NOTIFY``) only when both are stored. After the commit an ``ALERTS``
change tells this process's alert feeds.

The session is one access record when it opens and one summary when it closes (counts,
no plate text), never one per read. See ``docs/storage.md``, "Ingest and spool".
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import StorageError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.services.alert_matcher import (
    AlertMatcher,
    StoredRead,
    insert_alerts,
    locked_revision,
    read_revision,
)
from alpr_desktop.services.audit import append_record
from alpr_desktop.services.base import Actor, BaseService, ServiceContext
from alpr_desktop.services.ingest_sink import (
    SUMMARY_ACTION,
    IngestOptions,
    IngestSink,
    IngestStatus,
    is_unreachable,
)
from alpr_desktop.services.ingest_spool import Spool, spool_path
from alpr_desktop.services.ingest_store import StoredBatch, store_batch
from alpr_desktop.settings import default_data_dir
from alpr_desktop.storage.models import AccessRecord

__all__ = [
    "SUMMARY_ACTION",
    "IngestOptions",
    "IngestService",
    "IngestSink",
    "IngestStatus",
    "is_unreachable",
]

log = logging.getLogger(__name__)

_READS = Changes.of(Topic.READS)
_READS_AND_ALERTS = Changes.of(Topic.READS, Topic.ALERTS)


class IngestService(BaseService):
    """Opens ingest sinks on one database; holds that database's spool while any is open."""

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        spool_dir: Path | None = None,
        options: IngestOptions | None = None,
        matcher: AlertMatcher | None = None,
    ) -> None:
        super().__init__(ctx)
        self.matcher = matcher if matcher is not None else AlertMatcher(ctx)
        self.spool_dir = spool_dir if spool_dir is not None else default_data_dir()
        self.options = options or IngestOptions()
        self._lock = threading.Lock()
        self._spool: Spool | None = None
        self._sinks: set[IngestSink] = set()

    @property
    def spool_file(self) -> Path:
        return spool_path(self.spool_dir, self.ctx.db.engine.url)

    def open_session(self, actor: Actor, *, label: str = "") -> IngestSink:
        """Authorise ``actor`` for RUN_RECOGNITION and start a sink (and its thread).

        Args:
            actor: who collects the reads (recorded at open and close).
            label: what runs it, for the access record ("live page", "headless node").
        """
        spool = self._acquire_spool()
        sink_id = uuid.uuid4().hex[:16]
        try:
            with self._work(actor, Action.RUN_RECOGNITION) as (session, _me):
                self._append(
                    session,
                    actor,
                    category="admin",
                    action=Action.RUN_RECOGNITION.value,
                    target_type="ingest_session",
                    target_id=sink_id,
                    detail=f"ingest session opened{': ' + label if label else ''}",
                    query={"spool_depth": spool.depth},
                )
                written = self._write_pending_records(session, spool)
            spool.remove_records(written)
            sink = IngestSink(self, actor, spool, sink_id)
        except BaseException:
            self.release_spool(None)
            raise
        with self._lock:
            self._sinks.add(sink)
        if spool.depth:
            self.ctx.messages.info(
                f"{spool.depth} read(s) left in the local spool by an earlier run are being stored."
            )
        return sink

    def close_all(self) -> None:
        """Close every open sink (the composition root's shutdown)."""
        with self._lock:
            sinks = list(self._sinks)
        for sink in sinks:
            sink.close()

    def spool_depth(self) -> int:
        """Reads waiting in this database's spool file (opens it when no sink has)."""
        with self._lock:
            if self._spool is not None:
                return self._spool.refresh()
        if not self.spool_file.exists():
            return 0
        spool = Spool(self.spool_file, self.ctx.db.engine.url)
        try:
            return spool.depth
        finally:
            spool.close()

    # ------------------------------------------------------------------ internals
    def _acquire_spool(self) -> Spool:
        with self._lock:
            if self._spool is None:
                try:
                    self._spool = Spool(self.spool_file, self.ctx.db.engine.url)
                except OSError as exc:
                    raise StorageError(
                        f"Cannot open the local spool {self.spool_file}: {exc.strerror}."
                    ) from None
                except sqlite3.Error as exc:
                    raise StorageError(
                        f"The local spool {self.spool_file} cannot be read ({exc}). Move it "
                        "aside (it may hold reads not yet stored) and start again."
                    ) from None
            return self._spool

    def release_spool(self, sink: IngestSink | None) -> None:
        with self._lock:
            if sink is not None:
                self._sinks.discard(sink)
            if not self._sinks and self._spool is not None:
                self._spool.close()
                self._spool = None

    def store(self, reads: Sequence[VehicleRead]) -> StoredBatch:
        """Store one batch and raise its alerts in one transaction (raises on failure).

        Publishes READS, and ALERTS when an alert was raised; see the module docstring
        and :mod:`.alert_matcher` for why no hit is lost while a list changes.
        """
        matcher = self.matcher
        held = matcher.held()
        with self.ctx.db.engine.connect() as conn:
            latest = read_revision(conn)
        if latest > held.revision:  # a list changed: a small list is built in the wait
            held = matcher.wait_for(latest, matcher.wait_for_build) or held
        now = self.ctx.now()
        with self.ctx.db.engine.begin() as conn:
            result = store_batch(conn, reads, stored_at=now)
            stored = [_stored_read(read_id, read) for read_id, read in result.new_reads]
            revision = locked_revision(conn) if stored else held.revision
            alerts = insert_alerts(conn, held.index, stored, now=now) if stored else []
        if revision > held.revision:
            # A list changed before this batch committed: match it again with the new
            # index — now if it is ready in time, else once the builder has it.
            ready = matcher.wait_for(revision, matcher.wait_for_build)
            if ready is not None:
                with self.ctx.db.engine.begin() as conn:
                    alerts += insert_alerts(conn, ready.index, stored, now=now)
            else:
                matcher.defer(revision, [read.read_id for read in stored])
        if alerts:
            self.ctx.changes.publish(_READS_AND_ALERTS)
        elif result.inserted:
            self.ctx.changes.publish(_READS)
        return dataclasses.replace(result, alerts=tuple(alerts))

    def write_summary(self, spool: Spool, fields: dict[str, Any]) -> None:
        """Append a closing summary, or keep it in the spool while the database is away."""
        try:
            with self.ctx.db.sessions.begin() as session:
                self._append_pending(session, fields)
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            spool.add_record(fields)
            log.warning("ingest summary kept in the spool: database unreachable")

    def write_pending_records(self, spool: Spool) -> None:
        with self.ctx.db.sessions.begin() as session:
            written = self._write_pending_records(session, spool)
        spool.remove_records(written)

    def _write_pending_records(self, session: Session, spool: Spool) -> list[int]:
        """Append the access records kept in the spool; the caller removes them after commit."""
        pending = spool.records()
        for _seq, fields in pending:
            self._append_pending(session, fields)
        return [seq for seq, _fields in pending]

    def _append_pending(self, session: Session, fields: dict[str, Any]) -> None:
        # A summary may be replayed twice (crash between commit and spool delete).
        exists = session.scalar(
            select(AccessRecord.id).where(
                AccessRecord.action == SUMMARY_ACTION,
                AccessRecord.target_id == fields["target_id"],
            )
        )
        if exists is None:
            append_record(session, now=self.ctx.now(), workstation=self.ctx.workstation, **fields)


def _stored_read(read_id: int, read: VehicleRead) -> StoredRead:
    return StoredRead(read_id, read.plate_text, read.alternatives)
