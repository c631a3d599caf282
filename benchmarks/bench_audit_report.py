"""Audit report generation (issue 15): a month with 100,000 searches, SQLite and PostgreSQL.

For each backend (a SQLite file with the shipped pragmas; a scratch PostgreSQL database
created next to ``--postgres-url`` and dropped again):

1. **load**: ``--searches`` searches (first pages: 83 % ``search_reads``, 12 % canvass,
   5 % exports) in November 2026 (America/Los_Angeles) by 60 investigators under the
   department's purposes, a fifth of a search's worth of further result pages each, and
   beside them opened reads, live views, sign-ins and sign-outs, about 1 % refusals and
   a few lockouts (about 1.9 records per search in all), plus a month of records before
   and after the period. Bulk Core inserts, each record hashed and chained exactly as
   :func:`~alpr_desktop.services.audit.append_record` does, with every index and
   trigger of the schema in place; on PostgreSQL then ``ANALYZE`` (what autovacuum
   does soon after such a load). SQLite gets no ``ANALYZE`` (the application runs none).
2. **report**: :meth:`AuditReportService.run` for November with a 50-search sample, as a
   signed-in supervisor — every figure, the sample, saving the report and recording it —
   ``--repeat`` times after one warm-up (median, min, max, and this process's CPU time:
   all of SQLite's work, on a shared machine steadier than the wall clock); and, inside one session,
   the figures alone (:func:`compute_figures`) and the sample population alone.

The last line printed is one JSON object with every figure. Command::

    .venv/bin/python benchmarks/bench_audit_report.py --searches 100000 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

(``--databases sqlite`` or ``postgres`` runs one.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_audit_query import _pg_admin, _pg_url
from sqlalchemy import Table, insert, select, text

from alpr_desktop.core.local_time import local_period
from alpr_desktop.core.purposes import DEFAULT_PURPOSES
from alpr_desktop.core.roles import Role
from alpr_desktop.services.audit import canonical_query, compute_hash
from alpr_desktop.services.audit_figures import (
    Period,
    compute_figures,
    sample_population,
)
from alpr_desktop.services.base import load_department_settings
from alpr_desktop.storage.engine import sqlite_url
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import USER_PASSWORD, create_active_user, create_admin, make_app

SUPERVISOR = "sup.bench"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
LA = ZoneInfo("America/Los_Angeles")
MONTH = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
INVESTIGATORS = [f"det.{i:02d}" for i in range(60)]
OTHERS = [f"disp.{i:02d}" for i in range(20)]
#: Per search (first page): how many of each other record the month holds.
EXTRA = (
    ("search_reads", "data", "ok", 0.20),  # further pages (offset > 0)
    ("open_read", "data", "ok", 0.35),
    ("view_live", "data", "ok", 0.15),
    ("login", "session", "ok", 0.10),
    ("logout", "session", "ok", 0.08),
    ("login", "session", "refused", 0.01),
    ("search_reads", "data", "refused", 0.005),
    ("manage_users", "admin", "refused", 0.005),
    ("account_locked", "session", "refused", 0.0005),
)
_TABLE: Table = AccessRecord.__table__  # type: ignore[assignment]


class Generator:
    def __init__(self, searches: int, seed: int = 4716) -> None:
        self.rng = random.Random(seed)
        start, end = local_period(*MONTH, LA)
        self.start, self.span = start, (end - start).total_seconds()
        self.searches = searches
        # Busy and quiet investigators: a skewed share of the searches.
        self.weights = [1.0 / (1 + i) ** 0.7 for i in range(len(INVESTIGATORS))]

    def _moment(self, offset_days: float = 0.0) -> dt.datetime:
        # Mostly by day, some at night: a day-shaped hour of the day.
        base = self.start + dt.timedelta(seconds=self.rng.random() * self.span)
        hour = int(self.rng.triangular(0, 24, 13))
        local = base.astimezone(LA).replace(hour=hour)
        return local.astimezone(dt.UTC) + dt.timedelta(days=offset_days)

    def records(self) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[dict[str, Any]] = []
        for _ in range(self.searches):
            kind = rng.random()
            action = "search_reads" if kind < 0.83 else "canvass" if kind < 0.95 else "export_reads"
            out.append(self._data(action, self._moment(), offset=0, case=rng.random() > 0.002))
        for action, category, outcome, share in EXTRA:
            for _ in range(int(self.searches * share)):
                when = self._moment()
                if category == "data" and outcome == "ok":
                    out.append(self._data(action, when, offset=100 * rng.randint(1, 4)))
                else:
                    user = rng.choice(INVESTIGATORS + OTHERS)
                    out.append(self._plain(action, category, outcome, when, user))
        for shift in (-31.0, 31.0):  # the months before and after
            for _ in range(self.searches // 5):
                out.append(self._data("search_reads", self._moment(shift), offset=0))
        out.sort(key=lambda r: r["recorded_at"])
        return out

    def _data(self, action: str, when: dt.datetime, *, offset: int, case: bool = True) -> dict:
        rng = self.rng
        user = rng.choices(INVESTIGATORS, self.weights)[0]
        pattern = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(5)) + "*"
        query: dict[str, Any]
        if action == "canvass":
            query = {"canvass": [38.58, -121.49, 200], "since": when.isoformat()}
        elif action == "open_read" or action == "view_live":
            query = {"read": rng.randint(1, 10**6)}
        else:
            query = {"pattern": pattern, "normalised": pattern, "limit": 100, "offset": offset}
        return {
            **self._plain(action, "data", "ok", when, user),
            "purpose": rng.choice(DEFAULT_PURPOSES),
            "case_number": f"26-{rng.randint(1, 30000):06d}" if case else "",
            "query": canonical_query(query),
        }

    @staticmethod
    def _plain(action: str, category: str, outcome: str, when: dt.datetime, user: str) -> dict:
        return {
            "recorded_at": when,
            "user_id": None,
            "username": user,
            "organisation": "Bench PD",
            "workstation": "ws-01",
            "category": category,
            "action": action,
            "outcome": outcome,
            "purpose": "",
            "case_number": "",
            "query": "",
            "detail": "",
            "target_type": "",
            "target_id": "",
        }


def _load(engine: Any, records: list[dict[str, Any]], chunk: int = 5000) -> float:
    """Append ``records`` chained after the trail's head; seconds taken."""
    with engine.connect() as conn:
        head = conn.execute(
            select(AccessRecord.seq, AccessRecord.record_hash).order_by(AccessRecord.seq.desc())
        ).first()
    seq, prev = (head[0], head[1]) if head else (0, "0" * 64)
    started = time.perf_counter()
    for first in range(0, len(records), chunk):
        rows = []
        for values in records[first : first + chunk]:
            seq += 1
            record = SimpleNamespace(seq=seq, prev_hash=prev, **values)
            values = {**values, "seq": seq, "prev_hash": prev}
            values["record_hash"] = prev = compute_hash(cast(AccessRecord, record))
            rows.append(values)
        with engine.begin() as conn:
            conn.execute(insert(_TABLE), rows)
    return time.perf_counter() - started


def _timed(fn: Any, repeat: int) -> dict[str, float]:
    fn()  # warm-up
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        # This process's CPU (all of SQLite's work; PostgreSQL's is the server's):
        # less disturbed by other load on a shared machine than the wall clock.
        "cpu_median_ms": round(statistics.median(cpu), 1),
    }


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="audrep-"))
    pg_name = f"alpr_bench_report_{os.getpid()}"
    if kind == "sqlite":
        url = sqlite_url(root / "db" / "alpr.sqlite3")
    else:
        url = _pg_url(args.postgres_url, pg_name)
        _pg_admin(args.postgres_url, f'CREATE DATABASE "{pg_name}"')
    figures: dict[str, Any] = {"kind": kind, "searches": args.searches}
    app = make_app(url, root / "app")
    try:
        admin = create_admin(app)
        create_active_user(app, admin, SUPERVISOR, [Role.SUPERVISOR])
        records = Generator(args.searches).records()
        figures["records_loaded"] = len(records)
        figures["load_s"] = round(_load(app.database.engine, records), 1)
        print(f"  {kind}: loaded {len(records):,} in {figures['load_s']} s", file=sys.stderr)
        if kind == "postgres":
            # What autovacuum does within a minute of a load this size; without it the
            # planner has no statistics for the new rows and sorts where it would hash.
            with app.database.engine.begin() as conn:
                conn.execute(text("ANALYZE access_records"))
        actor = app.services.auth.login(SUPERVISOR, USER_PASSWORD).actor
        reports = app.services.audit_reports
        view = reports.run(actor, since=MONTH[0], until=MONTH[1], sample_size=50, seed=1)
        figures["searches_counted"] = view.figures["totals"]["searches"]
        figures["after_hours"] = view.figures["totals"]["after_hours_access"]
        figures["report"] = _timed(
            lambda: reports.run(actor, since=MONTH[0], until=MONTH[1], sample_size=50, seed=1),
            args.repeat,
        )
        with app.database.sessions() as session:
            settings = load_department_settings(session)
            dialect = session.get_bind().dialect.name
            period = Period(*local_period(*MONTH, LA), LA, settings, dialect)
            figures["figures_only"] = _timed(lambda: compute_figures(session, period), args.repeat)
            figures["population_only"] = _timed(
                lambda: sample_population(session, period), args.repeat
            )
        print(f"  {kind}: {figures}", file=sys.stderr, flush=True)
    finally:
        app.close()
        if kind == "postgres":
            _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    figures["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=PG_DEFAULT)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {kind: run(kind, args) for kind in args.databases.split(",")}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
