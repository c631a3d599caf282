"""Running counts of the access trail for the compliance checks, kept as the trail grows.

The trail is append-only (database triggers; a rewrite shows in the chain verification,
which the compliance page reports itself), so what was counted for the records up to
sequence number S stays true. Each look therefore counts, in SQL and grouped by day, only
the records appended since the last one, and adds them to totals held in memory: the
first look after start scans the trail once, later ones read the few new records.
Appends are serialised and committed in sequence order (``services/audit``), so no
record below the counted head can appear later.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from alpr_desktop.core.roles import Action
from alpr_desktop.storage.models import AccessRecord, TrainingRecord

#: Trail actions that query stored ALPR data and so must name a purpose and a case
#: (1798.90.52(a)); the live view and the alert queue are monitoring, not queries.
QUERY_ACTIONS = (
    Action.SEARCH_READS.value,
    Action.CANVASS.value,
    Action.OPEN_READ.value,
    Action.VIEW_MAP.value,
    Action.EXPORT_READS.value,
    Action.EXPORT_EVIDENCE.value,
)


def plain(column: Any) -> ColumnElement[str]:
    """``column`` as an expression no index serves.

    Nearly every record is ``outcome = 'ok'`` (and most are ``category = 'data'``), yet
    SQLite, without statistics, would walk those columns' indexes row by row; the
    sequence, action and time conditions are the selective ones.
    """
    return column.concat("")


def ok() -> ColumnElement[bool]:
    return plain(AccessRecord.outcome) == "ok"


def record_day(backend: str) -> ColumnElement[object]:
    """The UTC date of an access record ('YYYY-MM-DD' on SQLite, a date on PostgreSQL)."""
    if backend == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC.
        return func.substr(AccessRecord.recorded_at, 1, 10)
    return cast(func.timezone("UTC", AccessRecord.recorded_at), Date)


@dataclass(frozen=True)
class TrailFigures:
    """Successful data queries (:data:`QUERY_ACTIONS`) within a window of days."""

    queries: int
    without_purpose: int
    incomplete: int
    #: Within the (shorter) case-number window only.
    without_case: int
    outside_list: int
    #: Purposes not on the list, most used first.
    outside_names: tuple[str, ...]


@dataclass(frozen=True)
class UntrainedAccess:
    count: int
    first_day: str | None


class TrailTally:
    """The counts behind the trail checks, brought up to date by :meth:`update`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.upto_seq = 0
        #: How many records there were up to ``upto_seq`` when they were counted.
        self.rows = 0
        #: (purpose, day, no case number, query or username missing) -> records.
        self.queries: Counter[tuple[str, str, bool, bool]] = Counter()
        #: (user id, day) -> successful data accesses.
        self.accesses: Counter[tuple[int, str]] = Counter()

    def update(self, session: Session, backend: str) -> int:
        """Count the records appended since the last update; returns how many were new.

        Where records already counted have gone (:meth:`_lost_records`), or the trail
        ends before them, everything is counted afresh.
        """
        with self._lock:
            head = int(session.scalar(select(func.max(AccessRecord.seq))) or 0)
            if head < self.upto_seq or self._lost_records(session, backend):
                # Another database, or records removed (which verification reports):
                # count again from the start rather than keep counting what is gone.
                self._clear()
            if head == self.upto_seq:
                return 0
            new = (AccessRecord.seq > self.upto_seq, AccessRecord.seq <= head)
            day = record_day(backend).label("day")
            no_case = (AccessRecord.case_number == "").label("no_case")
            incomplete = or_(AccessRecord.username == "", AccessRecord.query == "").label(
                "incomplete"
            )
            # Two groupings, not one: by account and day, and by purpose, day and flags,
            # each a few rows per day (together they would be nearly a row per record).
            data = (*new, plain(AccessRecord.category) == "data", ok())
            by_purpose = (AccessRecord.purpose, day, no_case, incomplete)
            rows = session.execute(
                select(*by_purpose, func.count(AccessRecord.id))
                .where(*data, AccessRecord.action.in_(QUERY_ACTIONS))
                .group_by(*by_purpose)
            )
            for purpose, when, missing_case, missing, n in rows:
                self.queries[(purpose, str(when)[:10], bool(missing_case), bool(missing))] += n
            by_user = (AccessRecord.user_id, day)
            accesses = session.execute(
                select(*by_user, func.count(AccessRecord.id))
                .where(*data, AccessRecord.user_id.is_not(None))
                .group_by(*by_user)
            )
            for user_id, when, n in accesses:
                self.accesses[(int(user_id or 0), str(when)[:10])] += n
            fresh = int(
                session.scalar(
                    select(func.count(AccessRecord.seq)).where(
                        AccessRecord.seq > self.upto_seq, AccessRecord.seq <= head
                    )
                )
                or 0
            )
            self.upto_seq, self.rows = head, self.rows + fresh
            return fresh

    def _lost_records(self, session: Session, backend: str) -> bool:
        """Whether records counted before have gone (SQLite only).

        Anyone holding a SQLite file can drop its append-only triggers, so there the
        counted records are counted again (an index count). On PostgreSQL the
        application's role cannot (``db create-roles``), and a count is a heap scan.
        """
        if backend != "sqlite" or not self.upto_seq:
            return False
        stmt = select(func.count(AccessRecord.seq)).where(AccessRecord.seq <= self.upto_seq)
        return session.scalar(stmt) != self.rows

    def figures(
        self, *, today: dt.date, purposes: list[str], window_days: int, case_days: int
    ) -> TrailFigures:
        since = (today - dt.timedelta(days=window_days)).isoformat()
        case_since = (today - dt.timedelta(days=case_days)).isoformat()
        allowed = set(purposes)
        queries = no_purpose = incomplete = no_case = 0
        outside: Counter[str] = Counter()
        with self._lock:
            items = list(self.queries.items())
        for (purpose, day, missing_case, missing), n in items:
            if day < since:
                continue
            queries += n
            no_purpose += n if not purpose else 0
            incomplete += n if (not purpose or missing) else 0
            no_case += n if (missing_case and day >= case_since) else 0
            if purpose and purpose not in allowed:
                outside[purpose] += n
        return TrailFigures(
            queries,
            no_purpose,
            incomplete,
            no_case,
            sum(outside.values()),
            tuple(p for p, _n in outside.most_common()),
        )

    def untrained(self, session: Session, *, today: dt.date, window_days: int) -> UntrainedAccess:
        """Data accesses in the window by accounts without training in force that day."""
        since = (today - dt.timedelta(days=window_days)).isoformat()
        with self._lock:
            pairs = [(key, n) for key, n in self.accesses.items() if key[1] >= since]
        users = sorted({user for (user, _day), _n in pairs})
        spans: dict[int, list[tuple[dt.date, dt.date]]] = {}
        for user_id, completed, expires in session.execute(
            select(
                TrainingRecord.user_id, TrainingRecord.completed_on, TrainingRecord.expires_on
            ).where(TrainingRecord.user_id.in_(users))
        ):
            spans.setdefault(user_id, []).append((completed, expires))
        count, first = 0, None
        for (user_id, day), n in pairs:
            on = dt.date.fromisoformat(day)
            if not any(c <= on < e for c, e in spans.get(user_id, [])):
                count += n
                first = day if first is None or day < first else first
        return UntrainedAccess(count, first)
