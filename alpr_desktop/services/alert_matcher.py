"""Raising alerts: the process's matching index and the alert rows of the ingest path.

One :class:`AlertMatcher` per process holds a :class:`~alpr_desktop.core.matching.HotlistIndex`
built from the active lists' unexpired entries at a known *hotlist revision* (the
counter every hotlist change increments last in its own transaction,
:func:`~.hotlists.bump_revision`).

The ingest path (:meth:`IngestService.store <.ingest.IngestService.store>`) does, for
each batch:

1. reads the revision; if it moved past the index in hand it asks for a new index
   (:meth:`AlertMatcher.request`, built on a thread of its own) and waits for it at
   most ``wait_for_build`` (0.25 s: a small list is ready by then, a 1,000,000-entry
   one takes seconds and the batch goes on with the index in hand);
2. in the batch's transaction: stores the reads, reads the revision ``FOR SHARE``
   (:func:`locked_revision`) and inserts the alerts the index gives
   (:func:`insert_alerts`), with a ``pg_notify`` that PostgreSQL delivers on commit;
3. if the revision read in (2) is newer than the index, a list changed meanwhile: the
   batch is matched again with the new index — at once if it is ready within the wait,
   else by the builder once it is (:meth:`AlertMatcher.defer`). Alerts are unique on
   ``(read_id, entry_id)``, so nothing is raised twice.

Why that loses no hit: a hotlist change locks the revision row for update just before
it commits. If it did so before the batch's ``FOR SHARE``, the batch waits for it,
sees the new revision and is matched again (3). If after, the change waits until the batch
has committed, and the retroactive check the change triggers
(:meth:`.alerts.AlertService.check_past_reads`) finds the batch's reads. SQLite runs
one writer at a time, so the same holds there.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from alpr_desktop.core.matching import HotlistIndex, MatchEntry, MatchHit, Reading
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.base import ServiceContext
from alpr_desktop.storage.models import (
    Alert,
    AlertStatus,
    Hotlist,
    HotlistEntry,
    HotlistRevision,
    MatchKind,
    PlateRead,
    ReadAlternative,
)

log = logging.getLogger(__name__)

#: The PostgreSQL channel alerts are announced on (payload: alert ids, or ``*``).
CHANNEL = "alpr_alerts"
_PAYLOAD_IDS = 200  # more ids than this and the payload says "*": look for yourself

_ALERTS = cast(Table, Alert.__table__)
_REVISION = cast(Table, HotlistRevision.__table__)


@dataclass(frozen=True)
class StoredRead:
    """A read just stored (or found in the store), as matching needs it."""

    read_id: int
    plate_text: str
    alternatives: Sequence[Reading] = ()


@dataclass(frozen=True)
class RevisionedIndex:
    index: HotlistIndex
    revision: int
    built_at: dt.datetime


def read_revision(conn: Connection, *, lock: bool = False) -> int:
    """The hotlist revision; ``lock`` reads it ``FOR SHARE`` (PostgreSQL)."""
    stmt = select(_REVISION.c.revision).where(_REVISION.c.id == 1)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(read=True)
    return int(conn.execute(stmt).scalar() or 0)


def locked_revision(conn: Connection) -> int:
    """The revision, read so a hotlist change cannot commit past this transaction."""
    return read_revision(conn, lock=True)


def load_index(
    conn: Connection,
    now: dt.datetime,
    *,
    entry_ids: Iterable[int] | None = None,
    hotlist_id: int | None = None,
) -> HotlistIndex:
    """An index of the active lists' entries (or just ``entry_ids`` / one list's) at ``now``."""
    from alpr_desktop.services.hotlists import active_entries_query

    stmt = active_entries_query(now)
    if entry_ids is not None:
        stmt = stmt.where(HotlistEntry.id.in_(list(entry_ids)))
    if hotlist_id is not None:
        stmt = stmt.where(HotlistEntry.hotlist_id == hotlist_id)
    entries = (
        MatchEntry(
            entry_id=row.id,
            list_id=row.hotlist_id,
            pattern=row.plate_normalized,
            expires_at=row.expires_at,
            priority=row.priority,
            category=str(row.category),
        )
        for row in conn.execute(stmt.execution_options(yield_per=20_000))
    )
    return HotlistIndex.build(entries, now=now)


class AlertMatcher:
    """This process's matching index; rebuilt off the ingest path when lists change.

    Building the index of a 1,000,000-entry list takes seconds (loading the entries
    most of it), and the ingest writer must not stop storing reads meanwhile. So the
    writer only *asks* for a new index (:meth:`request`) and waits for it at most
    ``wait_for_build`` seconds — a small list is built in that time and the batch is
    matched with it in its own transaction, as before. When the build takes longer,
    the batch is stored and matched with the index in hand, and its read ids are
    handed to the builder (:meth:`defer`), which matches them again with the new index
    once it has it: alerts for the new entries arrive a few seconds late, in a
    transaction of their own, and none is lost (alerts are unique per read and entry).
    """

    def __init__(self, ctx: ServiceContext, *, wait_for_build: float = 0.25) -> None:
        self.ctx = ctx
        self.wait_for_build = wait_for_build
        self._cond = threading.Condition()
        self._held = RevisionedIndex(HotlistIndex(), -1, dt.datetime.min.replace(tzinfo=dt.UTC))
        self._wanted = -1
        self._building = False
        self._deferred: list[tuple[int, list[int]]] = []  # (revision needed, read ids)
        self.builds = 0
        self.rematched = 0

    @property
    def loaded(self) -> RevisionedIndex | None:
        held = self._held
        return held if held.revision >= 0 else None

    def held(self) -> RevisionedIndex:
        """The index in hand (never waits; empty at revision -1 before the first build)."""
        return self._held

    def current(self) -> RevisionedIndex:
        """The index at the database's hotlist revision, waiting for it to be built."""
        with self.ctx.db.engine.connect() as conn:
            revision = read_revision(conn)
        return self.wait_for(revision, None) or self._held

    def at_revision(self, revision: int) -> RevisionedIndex:
        """The index at ``revision`` or later, waiting for it to be built."""
        return self.wait_for(revision, None) or self._held

    def request(self, revision: int) -> None:
        """Make sure an index at ``revision`` or later is (being) built."""
        with self._cond:
            self._wanted = max(self._wanted, revision)
            if self._held.revision >= revision or self._building:
                return
            self._building = True
        threading.Thread(target=self._build_loop, name="hotlist-index", daemon=True).start()

    def wait_for(self, revision: int, timeout: float | None) -> RevisionedIndex | None:
        """The index at ``revision`` or later, waiting up to ``timeout`` s (None: no limit)."""
        self.request(revision)
        with self._cond:
            self._cond.wait_for(
                lambda: self._held.revision >= revision or not self._building, timeout
            )
            if self._held.revision >= revision:
                return self._held
            if not self._building and timeout is None:
                raise RuntimeError("the hotlist index could not be built (see the log)")
            return None

    def defer(self, revision: int, read_ids: Sequence[int]) -> None:
        """Match ``read_ids`` again once an index at ``revision`` or later is in hand."""
        with self._cond:
            self._deferred.append((revision, list(read_ids)))
        self.request(revision)

    def _build_loop(self) -> None:
        try:
            while True:
                built = self._build()
                with self._cond:
                    self._held = built
                    self.builds += 1
                    ready = [ids for rev, ids in self._deferred if rev <= built.revision]
                    self._deferred = [(r, i) for r, i in self._deferred if r > built.revision]
                    self._cond.notify_all()
                raised = self._rematch(built, [i for ids in ready for i in ids])
                if raised:
                    self.ctx.changes.publish(Changes.of(Topic.ALERTS))
                with self._cond:
                    if self._wanted <= built.revision and not self._deferred:
                        self._building = False
                        self._cond.notify_all()
                        return
        except Exception:
            log.exception("building the hotlist index failed; the next batch asks again")
            with self._cond:
                self._building = False
                self._cond.notify_all()

    def _build(self) -> RevisionedIndex:
        now = self.ctx.now()
        with self.ctx.db.engine.connect() as conn:
            # Read the revision and the entries in one snapshot where there is one
            # (PostgreSQL REPEATABLE READ); SQLite's read transaction is one already.
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                revision = read_revision(conn)
                index = load_index(conn, now)
        log.info("hotlist index built: %d entries (revision %d)", index.size, revision)
        return RevisionedIndex(index, revision, now)

    def _rematch(self, built: RevisionedIndex, read_ids: list[int]) -> int:
        raised = 0
        for start in range(0, len(read_ids), 1000):
            chunk = read_ids[start : start + 1000]
            with self.ctx.db.engine.begin() as conn:
                reads = load_stored_reads(conn, chunk)
                raised += len(insert_alerts(conn, built.index, reads, now=self.ctx.now()))
            self.rematched += len(chunk)
        return raised


def load_stored_reads(conn: Connection, read_ids: Sequence[int]) -> list[StoredRead]:
    """The reads ``read_ids`` with their other readings, as matching needs them."""
    rows = conn.execute(
        select(PlateRead.id, PlateRead.plate_text).where(PlateRead.id.in_(list(read_ids)))
    ).all()
    others: dict[int, list[_Reading]] = {}
    for alt in conn.execute(
        select(ReadAlternative.read_id, ReadAlternative.plate_text, ReadAlternative.confidence)
        .where(ReadAlternative.read_id.in_(list(read_ids)))
        .order_by(ReadAlternative.read_id, ReadAlternative.rank)
    ):
        others.setdefault(alt.read_id, []).append(_Reading(alt.plate_text, alt.confidence))
    return [StoredRead(r.id, r.plate_text, tuple(others.get(r.id, ()))) for r in rows]


@dataclass(frozen=True)
class _Reading:
    text: str
    confidence: float


def insert_alerts(
    conn: Connection,
    index: HotlistIndex,
    reads: Sequence[StoredRead],
    *,
    now: dt.datetime,
    retroactive: bool = False,
) -> list[int]:
    """Match ``reads`` and insert their alerts in the caller's transaction; the new ids.

    An alert already raised for the same read and entry is left alone. On PostgreSQL the
    new ids are announced on :data:`CHANNEL` (delivered when the transaction commits).
    """
    found: list[tuple[StoredRead, MatchHit]] = []
    for read in reads:
        for hit in index.match(read.plate_text, read.alternatives, now=now):
            found.append((read, hit))
    if not found:
        return []
    entries = _entry_details(conn, {hit.entry_id for _read, hit in found})
    rows = []
    for read, hit in found:
        detail = entries.get(hit.entry_id)
        if detail is None:
            continue  # removed since the index was built
        rows.append(
            {
                "read_id": read.read_id,
                "entry_id": hit.entry_id,
                "match_kind": MatchKind(hit.kind),
                "explanation": hit.explanation,
                "retroactive": retroactive,
                "created_at": now,
                "status": AlertStatus.PENDING,
                "disposition_reason": "",
                "disposition_notes": "",
                "priority": hit.entry.priority,
                "hotlist_id": detail["hotlist_id"],
                "hotlist_name": detail["hotlist_name"],
                "entry_pattern": detail["pattern"],
                "matched_text": hit.matched_text,
                "entry_snapshot": detail["snapshot"],
            }
        )
    if not rows:
        return []
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(_ALERTS)
        .on_conflict_do_nothing(index_elements=["read_id", "entry_id"])
        .returning(_ALERTS.c.id)
    )
    ids: list[int] = []
    for start in range(0, len(rows), 500):
        ids.extend(int(i) for i in conn.execute(stmt.values(rows[start : start + 500])).scalars())
    if ids:
        announce(conn, ids)
    return sorted(ids)


def announce(conn: Connection, ids: Sequence[int]) -> None:
    """``pg_notify`` the alert ids on :data:`CHANNEL` (nothing on SQLite)."""
    if conn.dialect.name != "postgresql":
        return
    payload = ",".join(str(i) for i in ids) if len(ids) <= _PAYLOAD_IDS else "*"
    conn.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
    )


def _entry_details(conn: Connection, entry_ids: set[int]) -> dict[int, dict[str, Any]]:
    rows = conn.execute(
        select(
            HotlistEntry.id,
            HotlistEntry.hotlist_id,
            HotlistEntry.plate_pattern,
            HotlistEntry.region,
            HotlistEntry.category,
            HotlistEntry.source,
            HotlistEntry.case_number,
            HotlistEntry.notes,
            HotlistEntry.expires_at,
            Hotlist.name,
        )
        .join(Hotlist, Hotlist.id == HotlistEntry.hotlist_id)
        .where(HotlistEntry.id.in_(sorted(entry_ids)))
    )
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        snapshot = {
            "state": row.region,
            "category": str(row.category),
            "source": row.source,
            "case_number": row.case_number,
            "notes": row.notes,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        }
        out[row.id] = {
            "hotlist_id": row.hotlist_id,
            "hotlist_name": row.name,
            "pattern": row.plate_pattern,
            "snapshot": json.dumps(snapshot, sort_keys=True, separators=(",", ":")),
        }
    return out
