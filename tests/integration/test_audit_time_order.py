"""The audit viewer's date range as a range of seq, on SQLite and PostgreSQL.

The trail's records are appended here with chosen times (through ``append_record``, the
one way records are made), so that times rise with seq, tie at the edges of a range, and
step back (a clock set back); every date range must then give exactly the records a
plain check of every record's time gives, newest first.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from alembic import command
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from alpr_desktop.app import Application
from alpr_desktop.services import audit_query
from alpr_desktop.services.audit import append_record
from alpr_desktop.services.audit_query import AuditFilters, SeqSpan, seq_span
from alpr_desktop.storage.engine import _alembic_config, current_revision, upgrade_to_head
from alpr_desktop.storage.models import AccessRecord, AuditTimeOrder
from tests.plan_helpers import explain, statements_sent

#: After anything the fixtures recorded (at the real time), so nothing steps back by itself.
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
PAIR_INDEXES = {"ix_access_records_username_action_seq", "ix_access_records_outcome_category_seq"}


def _at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def _append(app: Application, minutes: list[float], user: str = "det.one") -> None:
    """One record per entry, stamped ``minutes`` after T0, in this order."""
    with app.database.sessions.begin() as session:
        for i, offset in enumerate(minutes):
            append_record(
                session,
                now=_at(offset),
                username=user,
                category="data",
                action="search_reads" if i % 2 else "open_read",
                workstation=f"ws-{i % 3}",
            )


def _trail(app: Application) -> list[tuple[int, dt.datetime, str, str]]:
    """(seq, time, action, workstation) of every record, newest first."""
    with app.database.sessions() as session:
        rows = session.execute(
            select(
                AccessRecord.seq,
                AccessRecord.recorded_at,
                AccessRecord.action,
                AccessRecord.workstation,
            ).order_by(AccessRecord.seq.desc())
        ).all()
    return [(seq, when.astimezone(dt.UTC), action, ws) for seq, when, action, ws in rows]


def _order(app: Application) -> tuple[int, int]:
    with app.database.sessions() as session:
        row = session.execute(
            select(AuditTimeOrder.max_backstep_us, AuditTimeOrder.last_backstep_seq)
        ).one()
    return row[0], row[1]


def _bounds() -> list[dt.datetime | None]:
    """Edges on, between and around the appended times (and none)."""
    return [None, *(_at(m) for m in (-100, -1, 0, 0.5, 1, 2, 3, 3.5, 5, 7, 9, 10, 50))]


def _check_every_range(app: Application, *, action: str = "", workstation: str = "") -> int:
    """Every (since, until) pair gives what a check of each record gives; how many dated."""
    trail = _trail(app)
    head = trail[0][0]
    dated = 0
    with app.database.sessions() as session:
        for since, until in itertools.product(_bounds(), repeat=2):
            if since is not None and until is not None and since >= until:
                continue
            want = [
                seq
                for seq, when, act, ws in trail
                if (since is None or when >= since)
                and (until is None or when < until)
                and (not action or act == action)
                and (not workstation or ws == workstation)
            ]
            span = seq_span(session, since, until, head)
            assert all(span.low <= seq <= span.high for seq in want), (since, until, span)
            dated += span.dated
            filters = AuditFilters(
                since=since, until=until, action=action, workstation=workstation
            ).cleaned()
            rows, more = audit_query._page(session, filters, span, 0, 500)
            assert ([r.seq for r in rows], more) == (want, False), (since, until, span)
            for offset in (0, 1, 3):  # pages of two, as the viewer pages them in
                rows, more = audit_query._page(session, filters, span, offset, 2)
                assert [r.seq for r in rows] == want[offset : offset + 2], (since, until)
                assert more == (len(want) > offset + 2)
            assert audit_query._capped_count(session, filters, span) == len(want)
    return dated


def test_times_rising_with_seq_give_exact_ranges(app: Application) -> None:
    # Ties on the edges of ranges (three records at minute 3, two at 5).
    _append(app, [0, 1, 1, 2, 3, 3, 3, 5, 5, 7, 9])
    assert _order(app)[0] == 0  # nothing stepped back (the setup's records came first)
    assert _check_every_range(app) == 0  # every span exact: no time checked
    assert _check_every_range(app, action="search_reads") == 0
    assert _check_every_range(app, workstation="ws-1") == 0


def test_a_step_back_is_recorded_and_ranges_stay_exact(app: Application) -> None:
    _append(app, [0, 1, 2, 3, 5, 7])
    before = _trail(app)[0][0]
    # A clock set back four minutes, then on again; a moment's overlap after it.
    _append(app, [3, 3.5, 4, 9, 8.5, 10])
    backstep, last = _order(app)
    assert backstep == 4 * 60 * 1_000_000  # 7 then 3
    assert last == before + 5  # the newest that stepped back: 9 then 8.5
    assert _check_every_range(app) > 0  # some spans widened and their times checked
    assert _check_every_range(app, action="search_reads") > 0
    assert _check_every_range(app, workstation="ws-2") > 0


def test_the_furthest_step_back_is_kept(app: Application) -> None:
    _append(app, [10, 20])
    head = _trail(app)[0][0]
    _append(app, [15])  # five minutes back
    assert _order(app) == (5 * 60 * 1_000_000, head + 1)
    _append(app, [21, 20.5, 22, 23])  # half a minute back: the furthest stays, the newest moves
    assert _order(app) == (5 * 60 * 1_000_000, head + 3)
    with app.database.sessions() as session:
        top = _trail(app)[0][0]
        # Landing on the last step back: widened and checked; after it: exact again.
        assert seq_span(session, _at(20.6), None, top).dated
        assert seq_span(session, _at(22.5), None, top) == SeqSpan(top, top)
        assert seq_span(session, _at(30), None, top).empty
        assert seq_span(session, None, _at(-5), top).dated  # before the step back


def test_the_order_only_grows(app: Application) -> None:
    _append(app, [10, 20, 15])
    table = AuditTimeOrder.__table__
    for change in (
        table.update().values(max_backstep_us=0),  # type: ignore[attr-defined]
        table.update().values(last_backstep_seq=0),  # type: ignore[attr-defined]
        table.delete(),  # type: ignore[attr-defined]
    ):
        with pytest.raises(DBAPIError, match="time order only grows"):
            with app.database.engine.begin() as conn:
                conn.execute(change)
    before = _order(app)
    with app.database.engine.begin() as conn:  # growing is what appends do
        conn.execute(table.update().values(max_backstep_us=before[0] + 1))  # type: ignore[attr-defined]
    assert _order(app) == (before[0] + 1, before[1])


def test_without_the_order_row_every_time_is_checked(app: Application) -> None:
    _append(app, [0, 1, 2])
    with app.database.engine.begin() as conn:
        # Only the schema's owner could do this (the guard's triggers refuse it).
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER audit_time_order_only_grows ON audit_time_order"))
        else:
            conn.execute(text("DROP TRIGGER audit_time_order_no_delete"))
        conn.execute(AuditTimeOrder.__table__.delete())  # type: ignore[attr-defined]
    with app.database.sessions() as session:
        head = _trail(app)[0][0]
        assert seq_span(session, _at(1), None, head) == SeqSpan(1, head, dated=True)
        assert seq_span(session, None, None, head) == SeqSpan(1, head)
    assert _check_every_range(app) > 0


def test_the_page_asks_two_probes_not_the_range(
    app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A date range far back is one seq range: its newest records are the page."""
    _append(app, [float(m) for m in range(200)])
    monkeypatch.setattr(audit_query, "PROBE_WINDOW", 10)
    head = _trail(app)[0][0]
    with app.database.sessions() as session:
        span = seq_span(session, _at(50), _at(60), head)
        assert not span.dated and span.high - span.low + 1 == 10
        filters = AuditFilters(since=_at(50), until=_at(60)).cleaned()
        rows, more = audit_query._page(session, filters, span, 0, 5)
    assert [r.recorded_at for r in rows] == [_at(m) for m in (59, 58, 57, 56, 55)] and more


def test_migration_0010_measures_the_stored_trail(app: Application) -> None:
    engine = app.database.engine
    _append(app, [0, 1, 2, 3])
    command.downgrade(_alembic_config(engine), "0009")
    assert current_revision(engine) == "0009"
    with engine.connect() as conn:
        assert not conn.dialect.has_table(conn, "audit_time_order")
        names = {i["name"] for i in inspect(conn).get_indexes("access_records")}
        assert not PAIR_INDEXES & names
    # Records stored by a version before 0010 (which kept no order): one steps back 90 s.
    table = AccessRecord.__table__
    with engine.begin() as conn:
        head = conn.execute(select(func.max(AccessRecord.seq))).scalar_one()
        template = {
            "username": "det.old",
            "organisation": "",
            "workstation": "",
            "category": "data",
            "action": "open_read",
            "outcome": "ok",
            "purpose": "",
            "case_number": "",
            "query": "",
            "detail": "",
            "target_type": "",
            "target_id": "",
            "prev_hash": "0" * 64,
            "record_hash": "0" * 64,
        }
        for i, minutes in enumerate([5, 6, 4.5, 7]):
            row = {**template, "seq": head + 1 + i, "recorded_at": _at(minutes)}
            conn.execute(insert(table), row)
    upgrade_to_head(engine)
    assert _order(app) == (90 * 1_000_000, head + 3)
    with engine.connect() as conn:
        names = {i["name"] for i in inspect(conn).get_indexes("access_records")}
        assert names >= PAIR_INDEXES
    assert _check_every_range(app) > 0


def _plan(app: Application, filters: AuditFilters) -> str:
    """SQLite's plan for a page of ``filters`` over the whole trail."""
    engine = app.database.engine
    with app.database.sessions() as session:
        head = _trail(app)[0][0]
        cleaned = filters.cleaned()
        span = seq_span(session, cleaned.since, cleaned.until, head)
        stmt = audit_query._ids(session, cleaned, span).order_by(AccessRecord.seq.desc())
        with statements_sent(engine) as sent:
            session.execute(stmt).all()
    statement, parameters = sent[-1]  # after the session's own (BEGIN and such)
    return explain(engine, statement, parameters)


def test_pairs_of_filters_walk_their_pair_index(sqlite_app: Application) -> None:
    app = sqlite_app
    _append(app, [float(m) for m in range(40)], user="det.one")
    _append(app, [40.0 + m for m in range(40)], user="det.two")
    with app.database.sessions.begin() as session:
        for i in range(6):
            append_record(
                session,
                now=_at(90 + i),
                username="det.two",
                category="data" if i % 2 else "session",
                action="search_reads",
                outcome="refused",
            )
    plan = _plan(app, AuditFilters(user="det.two", action="search_reads"))
    assert "ix_access_records_username_action_seq" in plan and "TEMP B-TREE" not in plan
    plan = _plan(app, AuditFilters(outcome="refused", category="data"))
    assert "ix_access_records_outcome_category_seq" in plan and "TEMP B-TREE" not in plan
    # A date range alone is a range of the seq index, in order: no sort of the range.
    plan = _plan(app, AuditFilters(since=_at(10), until=_at(20)))
    assert "recorded_at" not in plan and "TEMP B-TREE" not in plan, plan
    with app.database.sessions() as session:
        every = session.execute(
            select(
                AccessRecord.seq,
                AccessRecord.username,
                AccessRecord.action,
                AccessRecord.outcome,
                AccessRecord.category,
            ).order_by(AccessRecord.seq.desc())
        ).all()
        head = every[0][0]
        for filters, fits in (
            (
                AuditFilters(user="det.two", action="search_reads"),
                lambda r: r[1] == "det.two" and r[2] == "search_reads",
            ),
            (
                AuditFilters(outcome="refused", category="data"),
                lambda r: r[3] == "refused" and r[4] == "data",
            ),
        ):
            rows, more = audit_query._page(session, filters.cleaned(), SeqSpan(1, head), 0, 500)
            assert ([r.seq for r in rows], more) == ([r[0] for r in every if fits(r)], False)
            assert rows
