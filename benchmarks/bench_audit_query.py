"""The audit viewer's first page over a large access trail (issue 15): p50/p95 per filter.

For SQLite (a file with the shipped pragmas) and PostgreSQL (a scratch database created
next to ``--postgres-url``), one at a time:

1. **load**: ``--records`` access records (default 1,000,000) over the last 365 days,
   a realistic mix — searches (40 %, the search's canonical query with its plate),
   opened reads (25 %), live views, sign-ins and sign-outs, canvasses, alert reviews,
   exports, administrative actions, about 1 % refused — by 60 investigators of very
   different activity, 8 supervisors and 20 dispatchers on 15 workstations, under the
   department's purposes and 30,000 case numbers; a tenth of the searches are for 100
   "hot" plates. Bulk Core ``executemany`` in batches, each record hashed and chained
   exactly as :func:`~alpr_desktop.services.audit.append_record` does (after the
   records the application's own setup wrote), with every index and trigger of the
   schema in place (the FTS5 trigger fills the plate index row by row; PostgreSQL keeps
   its GIN index). The setup's own records (accounts) are stamped just before the
   loaded year, so times rise with ``seq`` throughout, as in a trail written as things
   happen. PostgreSQL then gets ``VACUUM ANALYZE`` (what autovacuum would long since
   have done; the test server runs without it). ``--verify`` checks the whole chain
   afterwards.
2. **query**: the first page (100 records) of 14 filtered views through
   :meth:`AuditQueryService.page` as a signed-in supervisor — so each one includes
   recording the view (an append and its commit) and the capped count, as in the
   application — ``--repeat`` times after one warm-up; p50/p95 per filter.

``--keep DIR`` keeps the loaded database (``DIR/sqlite_<records>/`` or the PostgreSQL
database ``alpr_bench_audit_<records>``) with ``DIR/<kind>_<records>.json`` recording a
finished load, and reuses it on the next run. The last line printed is one JSON object
with every figure. Command::

    .venv/bin/python benchmarks/bench_audit_query.py --records 1000000 --keep /tmp/benchaudit

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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Table, create_engine, insert, select, text, update
from sqlalchemy.engine import make_url

from alpr_desktop.app import open_application
from alpr_desktop.core.purposes import DEFAULT_PURPOSES
from alpr_desktop.core.roles import Role
from alpr_desktop.services.audit import canonical_query, compute_hash, verify_chain
from alpr_desktop.services.audit_query import AuditFilters
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.engine import sqlite_url
from alpr_desktop.storage.models import AccessRecord, AccountState, User
from tests.conftest import USER_PASSWORD, create_active_user, create_admin, make_app

SUPERVISOR = "sup.bench"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
DAYS = 365
INVESTIGATORS = [f"det.{i:02d}" for i in range(60)]
SUPERVISORS = [f"sup.{i:02d}" for i in range(8)]
DISPATCHERS = [f"disp.{i:02d}" for i in range(20)]
WORKSTATIONS = [f"ws-{i:02d}" for i in range(15)]
CASES = 30_000
HOT_PLATES = 100
# (action, category, share); a data action carries a purpose and a case.
MIX = (
    ("search_reads", "data", 0.40),
    ("open_read", "data", 0.25),
    ("view_live", "data", 0.10),
    ("login", "session", 0.10),
    ("logout", "session", 0.05),
    ("canvass", "data", 0.03),
    ("review_alert", "data", 0.03),
    ("export_reads", "data", 0.01),
    ("update_settings", "admin", 0.01),
    ("add_training", "admin", 0.01),
    ("audit_verify", "admin", 0.01),
)
_TABLE: Table = AccessRecord.__table__  # type: ignore[assignment]


def _plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return f"{rng.randint(1, 9)}{''.join(rng.choices(letters, k=3))}{rng.randint(0, 999):03d}"


class Generator:
    def __init__(self, records: int, end: dt.datetime, seed: int = 471) -> None:
        self.rng = random.Random(seed)
        self.records = records
        self.start = end - dt.timedelta(days=DAYS)
        self.step = dt.timedelta(days=DAYS) / max(records, 1)
        self.hot = [_plate(self.rng) for _ in range(HOT_PLATES)]
        self.rare: str | None = None
        # Investigators' activity is very uneven (a few do most of the searching).
        self.weights = [1.0 / (i + 1) ** 0.8 for i in range(len(INVESTIGATORS))]
        self.actions = [m[:2] for m in MIX]
        self.shares = [m[2] for m in MIX]

    def record(self, index: int) -> dict[str, Any]:
        rng = self.rng
        action, category = rng.choices(self.actions, self.shares)[0]
        if action == "view_live" or (category == "session" and rng.random() < 0.3):
            user = rng.choice(DISPATCHERS)
        elif category == "admin" or rng.random() < 0.05:
            user = rng.choice(SUPERVISORS)
        else:
            user = rng.choices(INVESTIGATORS, self.weights)[0]
        when = self.start + self.step * index
        values: dict[str, Any] = {
            "recorded_at": when,
            "user_id": None,
            "username": user,
            "organisation": "Sacramento PD",
            "workstation": rng.choice(WORKSTATIONS),
            "category": category,
            "action": action,
            "outcome": "ok",
            "purpose": "",
            "case_number": "",
            "query": "",
            "detail": "",
            "target_type": "",
            "target_id": "",
        }
        if category == "data" and action != "view_live":
            if rng.random() < 0.01:
                values["outcome"] = "refused"
                values["detail"] = "Choose an authorised purpose (policy 471.4)."
            else:
                values["purpose"] = rng.choice(DEFAULT_PURPOSES)
                values["case_number"] = f"26-{rng.randrange(CASES):06d}"
        if action == "search_reads":
            plate = rng.choice(self.hot) if rng.random() < 0.1 else _plate(rng)
            if self.rare is None and index > self.records // 2:
                self.rare = plate = _plate(rng)
            pattern = plate.lower() if rng.random() < 0.5 else plate[:4] + "*" + plate[-2:]
            since = (when - dt.timedelta(days=rng.choice((1, 7, 30)))).isoformat()
            values["query"] = canonical_query(
                {
                    "pattern": pattern,
                    "normalised": pattern.upper(),
                    "confusable": rng.random() < 0.2,
                    "fuzzy": rng.random() < 0.1,
                    "since": since,
                    "until": None,
                    "cameras": [],
                    "near": None,
                    "polygon": None,
                    "hotlist_hits_only": False,
                    "mobile_only": False,
                    "limit": 100,
                    "offset": 0,
                }
            )
            values["detail"] = values["detail"] or "searched reads"
        elif action == "open_read":
            read = rng.randrange(10_000_000)
            values["query"] = canonical_query({"read": read})
            values["target_type"], values["target_id"] = "read", str(read)
        elif action == "canvass":
            values["query"] = canonical_query(
                {"canvass": [38.58, -121.49, 500.0], "since": when.isoformat(), "until": None}
            )
        return values


def _load(engine: Any, gen: Generator, records: int, chunk: int = 5000) -> float:
    """Append ``records`` chained records after the trail's head; seconds taken."""
    with engine.connect() as conn:
        head = conn.execute(
            select(AccessRecord.seq, AccessRecord.record_hash).order_by(AccessRecord.seq.desc())
        ).first()
    seq, prev = (head[0], head[1]) if head else (0, "0" * 64)
    started = time.perf_counter()
    done = 0
    while done < records:
        rows = []
        for i in range(done, min(done + chunk, records)):
            values = gen.record(i)
            seq += 1
            values["recorded_at"] = values["recorded_at"].astimezone(dt.UTC)
            # compute_hash reads the fields by name; a plain namespace is cheaper than
            # an ORM object (its instrumentation) and hashes the same.
            record = SimpleNamespace(seq=seq, prev_hash=prev, **values)
            values.update(seq=seq, prev_hash=prev)
            values["record_hash"] = prev = compute_hash(cast(AccessRecord, record))
            rows.append(values)
        with engine.begin() as conn:
            conn.execute(insert(_TABLE), rows)
        done += len(rows)
        if done % 100_000 < chunk:
            rate = done / (time.perf_counter() - started)
            print(f"  loaded {done:,} records ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    return time.perf_counter() - started


def _sign_in(app: Any) -> Any:
    # The setup is stamped a year back (see ``run``): the account would read as idle for
    # that long and be suspended: it is marked active now (the users table, not the trail).
    with app.database.sessions.begin() as session:
        session.execute(
            update(User)
            .where(User.username == SUPERVISOR)
            .values(
                state=AccountState.ACTIVE, state_reason="", last_activity_at=app.services.ctx.now()
            )
        )
    return app.services.auth.login(SUPERVISOR, USER_PASSWORD).actor


def _views(gen_info: dict[str, Any], end: dt.datetime) -> dict[str, AuditFilters]:
    last_month = (end - dt.timedelta(days=30), end)
    old_month = (end - dt.timedelta(days=200), end - dt.timedelta(days=170))
    return {
        "no_filter": AuditFilters(),
        "user_busy": AuditFilters(user=INVESTIGATORS[0]),
        "user_quiet": AuditFilters(user=INVESTIGATORS[-1]),
        "action_open_read": AuditFilters(action="open_read"),
        "plate_hot": AuditFilters(plate=gen_info["hot"]),
        "plate_once": AuditFilters(plate=gen_info["rare"]),
        "purpose": AuditFilters(purpose="Missing person"),
        "case": AuditFilters(case_number="26-012345"),
        "dates_last_month": AuditFilters(since=last_month[0], until=last_month[1]),
        "dates_old_month": AuditFilters(since=old_month[0], until=old_month[1]),
        "user_and_action": AuditFilters(user=INVESTIGATORS[3], action="search_reads"),
        "plate_and_dates": AuditFilters(
            plate=gen_info["hot"], since=old_month[0], until=old_month[1]
        ),
        "refused_data": AuditFilters(outcome="refused", category="data"),
        "workstation_purpose_old": AuditFilters(
            workstation=WORKSTATIONS[4], purpose="Active warrant", until=old_month[1]
        ),
    }


def _query(app: Any, views: dict[str, AuditFilters], repeat: int) -> dict[str, Any]:
    service = app.services.audit_query
    out: dict[str, Any] = {}
    for name, filters in views.items():
        actor = _sign_in(app)  # the session locks after 10 idle minutes
        service.page(actor, filters, limit=100)  # warm-up
        times = []
        page = None
        for _ in range(repeat):
            started = time.perf_counter()
            page = service.page(actor, filters, limit=100)
            times.append((time.perf_counter() - started) * 1000)
        assert page is not None
        times.sort()
        out[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
            "rows": len(page.rows),
            "total": page.total,
            "capped": page.total_capped,
        }
        print(f"  {name}: {out[name]}", file=sys.stderr, flush=True)
    return out


def _pg_url(admin_url: str, name: str) -> str:
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def _pg_admin(admin_url: str, statement: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    keep = Path(args.keep) if args.keep else None
    root = (keep / f"{kind}_{args.records}") if keep else Path(tempfile.mkdtemp(prefix="audq-"))
    state = keep / f"{kind}_{args.records}.json" if keep else None
    pg_name = f"alpr_bench_audit_{args.records}"
    url = (
        sqlite_url(root / "db" / "alpr.sqlite3")
        if kind == "sqlite"
        else _pg_url(args.postgres_url, pg_name)
    )
    figures: dict[str, Any] = {"kind": kind, "records": args.records}
    if state is not None and state.exists():
        figures.update(json.loads(state.read_text()))
        app = open_application(
            LocalConfig(database_url=url, data_dir=root / "app" / "data", workstation_name="ws")
        )
    else:
        if kind == "postgres":
            _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            _pg_admin(args.postgres_url, f'CREATE DATABASE "{pg_name}"')
        app = make_app(url, root / "app")
        # The setup's records come first in the trail, so they are stamped before the
        # loaded year: times rise with seq, as in a trail written as things happen.
        ctx = app.services.ctx
        clock = ctx.clock
        ctx.clock = lambda: clock() - dt.timedelta(days=DAYS + 1)
        try:
            admin = create_admin(app)
            # Untrained: viewing the trail is not a data access (training dates are real).
            create_active_user(app, admin, SUPERVISOR, [Role.SUPERVISOR], trained=False)
        finally:
            ctx.clock = clock
        end = ctx.now() - dt.timedelta(minutes=1)
        gen = Generator(args.records, end)
        figures["load_s"] = round(_load(app.database.engine, gen, args.records), 1)
        figures["load_per_s"] = round(args.records / figures["load_s"])
        if kind == "postgres":
            # What autovacuum does to a table this size long before a year has passed (the
            # test server runs with autovacuum off): statistics and the visibility map.
            started = time.perf_counter()
            _pg_admin(_pg_url(args.postgres_url, pg_name), "VACUUM ANALYZE access_records")
            figures["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
        figures["end"] = end.isoformat()
        figures["hot"], figures["rare"] = gen.hot[0], gen.rare
        if kind == "sqlite":
            figures["file_mb"] = round((root / "db" / "alpr.sqlite3").stat().st_size / 1e6, 1)
        if state is not None:
            state.parent.mkdir(parents=True, exist_ok=True)
            state.write_text(json.dumps(figures))
    try:
        if args.verify:
            started = time.perf_counter()
            with app.database.sessions() as session:
                report = verify_chain(session)
            figures["verify"] = {"ok": report.ok, "s": round(time.perf_counter() - started, 1)}
            assert report.ok, report.summary()
        end = dt.datetime.fromisoformat(figures["end"])
        figures["views"] = _query(app, _views(figures, end), args.repeat)
    finally:
        app.close()
        if keep is None and kind == "postgres":
            _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    figures["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=PG_DEFAULT)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", default="")
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args()
    results = {kind: run(kind, args) for kind in args.databases.split(",")}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
