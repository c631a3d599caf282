"""The figures of a periodic audit (policy 471.6(c)), each aggregated in SQL.

Every figure is a ``GROUP BY`` over the period's rows on the indexed time column, so a
month of 100,000 searches comes back as a few hundred groups
(``benchmarks/bench_audit_report.py``). Days and hours are the department's local ones
(:mod:`alpr_desktop.core.local_time`): the trail is grouped by UTC hour and each hour
turned into local time in Python.

What counts as a *search*: an access record of ``search_reads``, ``canvass`` or
``export_reads`` that was carried out (outcome ``ok``). The Search page records each
further page of a result list as a search of its own (offset > 0); those are shown
apart and never sampled: they belong to the search whose first page they continue.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from alpr_desktop.core.local_time import after_hours, local_hour, window_text
from alpr_desktop.core.roles import Action
from alpr_desktop.settings import DepartmentSettings
from alpr_desktop.storage.models import (
    AccessRecord,
    Alert,
    AlertStatus,
    EvidenceHold,
    PurgeLog,
    ReleaseRequest,
    ReleaseShare,
)

SEARCH_ACTIONS = (Action.SEARCH_READS.value, Action.CANVASS.value, Action.EXPORT_READS.value)
_AR = AccessRecord
#: Sign-in events (category ``session``) the report counts, and what it calls them.
SESSION_EVENTS = {
    ("login", "ok"): "Successful sign-ins",
    ("login", "refused"): "Failed sign-ins (wrong password or name)",
    ("login_refused_locked", "refused"): "Sign-ins refused while locked",
    ("account_locked", "refused"): "Lockouts",
    ("unlock", "ok"): "Screen unlocks",
    ("unlock", "refused"): "Failed screen unlocks",
}


@dataclass(frozen=True)
class Period:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    tz: dt.tzinfo
    settings: DepartmentSettings
    #: The database's dialect name (``sqlite``, ``postgresql``): see :func:`_unindexed`.
    dialect: str

    def where(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)

    def days(self) -> list[str]:
        first = self.start.astimezone(self.tz).date()
        last = (self.end - dt.timedelta(microseconds=1)).astimezone(self.tz).date()
        return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def further_page() -> ColumnElement[bool]:
    """A search record for a later page of a result list (its offset is not 0)."""
    first = or_(_AR.query.like('%"offset":0,%'), _AR.query.like('%"offset":0}%'))
    return and_(_AR.action == Action.SEARCH_READS.value, not_(first))


def _unindexed(column: Any, period: Period) -> Any:
    """On SQLite, ``column`` as an expression no index serves (``column || ''``).

    For the broad conditions of a period's figures (category ``data``, outcome ``ok``:
    most of the trail): without statistics SQLite's planner prefers an equality index on
    them to the period's range on ``recorded_at``, and then reads the whole trail.
    PostgreSQL keeps the plain column: it has statistics, and an expression would leave
    it estimating one row and sorting where it should hash.
    """
    return column.concat("") if period.dialect == "sqlite" else column


def is_search(period: Period) -> ColumnElement[bool]:
    """A search that was carried out (see the module docstring)."""
    return and_(
        _unindexed(_AR.category, period) == "data",
        _unindexed(_AR.action, period).in_(SEARCH_ACTIONS),
        _unindexed(_AR.outcome, period) == "ok",
    )


def sample_population(session: Session, period: Period) -> list[int]:
    """The ids of the period's searches (first pages), in id order: what is sampled."""
    stmt = (
        select(_AR.id)
        .where(period.where(_AR.recorded_at), is_search(period), not_(further_page()))
        .order_by(_AR.id)
    )
    return list(session.scalars(stmt))


def _hour_bucket(period: Period) -> Any:
    """The UTC hour of a record: a naive UTC timestamp (PostgreSQL; ``to_char`` costs
    several times more) or ``'YYYY-MM-DD HH'`` (SQLite stores 'YYYY-MM-DD HH:MM:SS…')."""
    if period.dialect == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", _AR.recorded_at))
    return func.substr(_AR.recorded_at, 1, 13)


def compute_figures(session: Session, period: Period) -> dict[str, Any]:
    """Every figure of the report as JSON-ready data: summary, tables, series."""
    searches = _searches(session, period)
    hours = _hours(session, period)
    tables = [
        _summary_table(searches, hours, period),
        searches["by_user"],
        searches["by_purpose"],
        hours["by_user"],
        _refusals(session, period),
        _sign_ins(session, period),
        _alerts(session, period),
        _releases(session, period),
        _shares(session, period),
        _holds(session, period),
        _purges(session, period),
    ]
    return {
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "time_zone": str(period.tz),
            "after_hours": window_text(
                period.settings.after_hours_start, period.settings.after_hours_end
            ),
        },
        "totals": {**searches["totals"], "after_hours_access": hours["total"]},
        "tables": tables,
        "per_day": [[day, hours["per_day"].get(day, 0)] for day in period.days()],
    }


def _table(key: str, title: str, columns: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    return {"key": key, "title": title, "columns": columns, "rows": rows}


def _searches(session: Session, period: Period) -> dict[str, Any]:
    further = further_page()
    stmt = (
        select(
            _AR.username,
            _AR.purpose,
            _AR.action,
            further.label("further"),
            (_AR.case_number == literal("")).label("no_case"),
            func.count(_AR.id),
        )
        .where(period.where(_AR.recorded_at), is_search(period))
        # By label: PostgreSQL does not match the expressions' bound parameters otherwise.
        .group_by(_AR.username, _AR.purpose, _AR.action, "further", "no_case")
    )
    users: dict[str, Counter[str]] = defaultdict(Counter)
    purposes: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for username, purpose, action, is_further, no_case, count in session.execute(stmt):
        kind = "further_pages" if is_further else action
        for counter in (users[username], purposes[purpose or "(none)"], totals):
            counter[kind] += count
            if not is_further:
                counter["searches"] += count
                if no_case:
                    counter["no_case"] += count
    columns = ["Searches", "Search", "Canvass", "Export", "Further pages", "No case number"]
    keys = ["searches", *SEARCH_ACTIONS, "further_pages", "no_case"]
    by_user = [[name, *(c[k] for k in keys)] for name, c in _by_count(users)]
    by_purpose = [[name, *(c[k] for k in keys[:-1])] for name, c in _by_count(purposes)]
    return {
        "totals": {k: totals[k] for k in keys} | {"users": len(users)},
        "by_user": _table("searches_by_user", "Searches per user", ["User", *columns], by_user),
        "by_purpose": _table(
            "searches_by_purpose", "Searches per purpose", ["Purpose", *columns[:-1]], by_purpose
        ),
    }


def _by_count(groups: dict[str, Counter[str]]) -> list[tuple[str, Counter[str]]]:
    return sorted(groups.items(), key=lambda item: (-item[1]["searches"], item[0]))


def _hours(session: Session, period: Period) -> dict[str, Any]:
    """Data accesses by local hour: searches per day, after-hours access per user."""
    bucket = _hour_bucket(period)
    searching = and_(is_search(period), not_(further_page()))
    stmt = (
        select(
            bucket.label("hour_bucket"),
            _AR.username,
            func.count(_AR.id),
            func.sum(case((searching, 1), else_=0)),
        )
        .where(
            period.where(_AR.recorded_at),
            _unindexed(_AR.category, period) == "data",
            _unindexed(_AR.outcome, period) == "ok",
        )
        .group_by("hour_bucket", _AR.username)
    )
    start, end = period.settings.after_hours_start, period.settings.after_hours_end
    per_day: Counter[str] = Counter()
    late: dict[str, Counter[str]] = defaultdict(Counter)
    hours: dict[str | dt.datetime, dt.datetime] = {}
    for hour, username, accesses, searches in session.execute(stmt):
        local = hours.get(hour)
        if local is None:
            local = hours[hour] = local_hour(hour, period.tz)
        per_day[local.date().isoformat()] += int(searches or 0)
        if after_hours(local.hour, start, end):
            late[username]["accesses"] += accesses
            late[username]["searches"] += int(searches or 0)
    rows = [
        [name, c["accesses"], c["searches"]]
        for name, c in sorted(late.items(), key=lambda item: (-item[1]["accesses"], item[0]))
    ]
    title = f"After-hours access ({window_text(start, end)} local)"
    return {
        "per_day": per_day,
        "total": sum(c["accesses"] for c in late.values()),
        "by_user": _table(
            "after_hours", title, ["User", "Data accesses", "Of which searches"], rows
        ),
    }


def _summary_table(
    searches: dict[str, Any], hours: dict[str, Any], period: Period
) -> dict[str, Any]:
    totals = searches["totals"]
    rows = [
        ["Searches (search, canvass, export)", totals["searches"]],
        ["Users who searched", totals["users"]],
        ["Further result pages (not counted above)", totals["further_pages"]],
        ["Searches without a case number", totals["no_case"]],
        [
            "After-hours data accesses "
            f"({window_text(period.settings.after_hours_start, period.settings.after_hours_end)})",
            hours["total"],
        ],
    ]
    return _table("summary", "Summary", ["Figure", "Count"], rows)


def _refusals(session: Session, period: Period) -> dict[str, Any]:
    stmt = (
        select(_AR.action, _AR.username, func.count(_AR.id))
        .where(period.where(_AR.recorded_at), _AR.outcome == "refused", _AR.category != "session")
        .group_by(_AR.action, _AR.username)
        .order_by(func.count(_AR.id).desc(), _AR.action, _AR.username)
    )
    rows = [[action, user, count] for action, user, count in session.execute(stmt)]
    return _table("refused", "Refused actions", ["Action", "User", "Refusals"], rows)


def _sign_ins(session: Session, period: Period) -> dict[str, Any]:
    stmt = (
        select(_AR.action, _AR.outcome, func.count(_AR.id), func.count(_AR.username.distinct()))
        .where(period.where(_AR.recorded_at), _unindexed(_AR.category, period) == "session")
        .group_by(_AR.action, _AR.outcome)
    )
    found = {(a, o): (n, u) for a, o, n, u in session.execute(stmt)}
    rows = [[label, *found.get(key, (0, 0))] for key, label in SESSION_EVENTS.items()]
    locked = session.execute(
        select(_AR.username, func.count(_AR.id))
        .where(period.where(_AR.recorded_at), _AR.action == "account_locked")
        .group_by(_AR.username)
        .order_by(_AR.username)
    ).all()
    rows += [[f"Lockouts of {name}", count, 1] for name, count in locked]
    return _table("sign_ins", "Sign-ins and lockouts", ["Event", "Count", "Names"], rows)


def _alerts(session: Session, period: Period) -> dict[str, Any]:
    raised = dict(
        session.execute(
            select(Alert.status, func.count(Alert.id))
            .where(period.where(Alert.created_at))
            .group_by(Alert.status)
        ).all()
    )
    stmt = (
        select(Alert.disposition_reason, Alert.status, func.count(Alert.id))
        .where(period.where(Alert.disposed_at), Alert.status != AlertStatus.PENDING)
        .group_by(Alert.disposition_reason, Alert.status)
    )
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for reason, status, count in session.execute(stmt):
        reasons[reason or "(none)"][AlertStatus(status).value] += count
    rows = [
        [reason, c["accepted"], c["rejected"]]
        for reason, c in sorted(reasons.items(), key=lambda i: (-sum(i[1].values()), i[0]))
    ]
    pending = raised.get(AlertStatus.PENDING, 0)
    rows.append([f"Raised in the period: {sum(raised.values())} ({pending} still pending)", "", ""])
    return _table(
        "alerts", "Alert dispositions by reason", ["Reason", "Accepted", "Rejected"], rows
    )


def _releases(session: Session, period: Period) -> dict[str, Any]:
    stmt = (
        select(ReleaseRequest.status, ReleaseRequest.agency_type, func.count(ReleaseRequest.id))
        .where(period.where(ReleaseRequest.created_at))
        .group_by(ReleaseRequest.status, ReleaseRequest.agency_type)
        .order_by(ReleaseRequest.status, ReleaseRequest.agency_type)
    )
    rows = [[str(s.value), str(a.value), n] for s, a, n in session.execute(stmt)]
    return _table(
        "releases", "Release requests made", ["Status now", "Agency type", "Requests"], rows
    )


def _shares(session: Session, period: Period) -> dict[str, Any]:
    stmt = (
        select(
            ReleaseShare.shared_at,
            ReleaseShare.recipient,
            ReleaseShare.read_count,
            ReleaseShare.package_name,
        )
        .where(period.where(ReleaseShare.shared_at))
        .order_by(ReleaseShare.shared_at, ReleaseShare.id)
        .limit(500)
    )
    rows = [
        [at.astimezone(period.tz).strftime("%Y-%m-%d %H:%M"), recipient, reads, package]
        for at, recipient, reads, package in session.execute(stmt)
    ]
    return _table(
        "shares",
        "Sharing log (fulfilled releases)",
        ["Shared", "Recipient", "Reads", "Package"],
        rows,
    )


def _holds(session: Session, period: Period) -> dict[str, Any]:
    stmt = (
        select(EvidenceHold.status, func.count(EvidenceHold.id))
        .where(period.where(EvidenceHold.requested_at))
        .group_by(EvidenceHold.status)
        .order_by(EvidenceHold.status)
    )
    rows = [[str(status.value), count] for status, count in session.execute(stmt)]
    return _table("holds", "Evidence holds requested", ["Status now", "Holds"], rows)


def _purges(session: Session, period: Period) -> dict[str, Any]:
    row = session.execute(
        select(
            func.count(PurgeLog.id),
            func.coalesce(func.sum(PurgeLog.reads_purged), 0),
            func.coalesce(func.sum(PurgeLog.images_purged), 0),
            func.coalesce(func.sum(PurgeLog.held_reads_kept), 0),
        ).where(period.where(PurgeLog.ran_at))
    ).one()
    rows = [[int(row[0]), int(row[1]), int(row[2]), int(row[3])]]
    return _table(
        "purges",
        "Retention purges",
        ["Runs", "Reads purged", "Images purged", "Held reads kept"],
        rows,
    )
