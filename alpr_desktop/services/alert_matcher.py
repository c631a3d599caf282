"""Raising alerts: the process's matching index and the alert rows of the ingest path.

One :class:`AlertMatcher` per process holds a :class:`~alpr_desktop.core.matching.HotlistIndex`
built from the active lists' unexpired entries at a known *hotlist revision* (the
counter every hotlist change increments last in its own transaction,
:func:`~.hotlists.bump_revision`).

The ingest path (:meth:`IngestService.store <.ingest.IngestService.store>`) does, for
each batch:

1. ``index = matcher.current()`` — outside any transaction: reads the revision and, if
   it moved, builds a new index (in the writer thread; a list change costs one build,
   ``benchmarks/bench_hotlist_match.py``) and swaps it in;
2. in the batch's transaction: stores the reads, reads the revision ``FOR SHARE``
   (:func:`locked_revision`) and inserts the alerts ``index`` gives
   (:func:`insert_alerts`), with a ``pg_notify`` that PostgreSQL delivers on commit;
3. if the revision read in (2) is not the index's, a list changed in between: it builds
   the new index and matches the batch again in a second transaction. Alerts are unique
   on ``(read_id, entry_id)``, so nothing is raised twice.

Why that loses no hit: a hotlist change locks the revision row for update just before
it commits. If it did so before the batch's ``FOR SHARE``, the batch waits for it,
sees the new revision and matches again (3). If after, the change waits until the batch
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
from alpr_desktop.services.base import ServiceContext
from alpr_desktop.storage.models import (
    Alert,
    AlertStatus,
    Hotlist,
    HotlistEntry,
    HotlistRevision,
    MatchKind,
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
    """This process's matching index, rebuilt when the hotlist revision moves."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._current: RevisionedIndex | None = None
        self.builds = 0

    @property
    def loaded(self) -> RevisionedIndex | None:
        return self._current

    def current(self) -> RevisionedIndex:
        """The index at the database's hotlist revision, built now if it moved."""
        with self.ctx.db.engine.connect() as conn:
            revision = read_revision(conn)
        return self.at_revision(revision)

    def at_revision(self, revision: int) -> RevisionedIndex:
        with self._lock:
            held = self._current
            if held is not None and held.revision == revision:
                return held
            now = self.ctx.now()
            with self.ctx.db.engine.connect() as conn:
                # Read the revision and the entries in one snapshot where there is one
                # (PostgreSQL REPEATABLE READ); SQLite's read transaction is one already.
                if conn.dialect.name == "postgresql":
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    revision = read_revision(conn)
                    index = load_index(conn, now)
            built = RevisionedIndex(index, revision, now)
            self._current = built
            self.builds += 1
            log.info("hotlist index built: %d entries (revision %d)", index.size, revision)
            return built


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
