"""The Compliance page's checks over a large access trail: the whole status and each check.

For SQLite (a file with the shipped pragmas) and PostgreSQL (a scratch database created
next to ``--postgres-url``), one at a time: load ``--records`` chained access records
over the last year with the audit viewer benchmark's realistic mix
(``bench_audit_query.Generator``: searches, opened reads, live views, sessions,
canvasses, exports, settings changes, about 1 % refused; here each record also carries
its user's id, so the training check has work to do), then time
:meth:`ComplianceService.status` as the administrator ``--repeat`` times after a warm-up
(each includes recording the view and its commit, as on the page), and each evaluator on
its own in one read session with a fresh tally, to say which check costs what. The first
look after start counts the whole trail (``services/compliance_tally.py``); later looks
count only the records appended since (here: the previous looks' own view records).

Command::

    .venv/bin/python benchmarks/bench_compliance.py --records 1000000 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

(``--databases sqlite`` or ``postgres`` runs one.) The 1-minute load average is printed
with the figures; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_audit_query import PG_DEFAULT, Generator, _load, _pg_admin, _pg_url

from alpr_desktop.services.base import load_department_settings
from alpr_desktop.services.compliance import EVALUATORS, Facts
from alpr_desktop.storage.engine import sqlite_url
from tests.conftest import create_admin, make_app


class _WithUserIds(Generator):
    def record(self, index: int) -> dict[str, Any]:
        values = super().record(index)
        values["user_id"] = 1000 + zlib.crc32(values["username"].encode()) % 500
        return values


def _status(app: Any, admin: Any, repeat: int) -> dict[str, float]:
    service = app.services.compliance
    started = time.perf_counter()
    service.status(admin)  # the first look counts the whole trail (compliance_tally)
    first = round((time.perf_counter() - started) * 1000, 1)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        report = service.status(admin)
        times.append((time.perf_counter() - started) * 1000)
    print(f"  status: {report.summary}", file=sys.stderr, flush=True)
    times.sort()
    return {
        "first_ms": first,
        "later_p50_ms": round(statistics.median(times), 1),
        "later_max_ms": round(times[-1], 1),
    }


def _checks(app: Any) -> dict[str, float]:
    """Each evaluator's time on a fresh tally (the first trail check pays the count)."""
    out = {}
    with app.database.sessions() as session:
        facts = Facts(
            session,
            app.services.ctx.now(),
            load_department_settings(session),
            app.database,
            app.services.policy,
        )
        for key, evaluate in EVALUATORS.items():
            started = time.perf_counter()
            evaluate(facts)
            out[key] = round((time.perf_counter() - started) * 1000, 1)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="compl-"))
    pg_name = f"alpr_bench_compliance_{args.records}"
    if kind == "postgres":
        _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        _pg_admin(args.postgres_url, f'CREATE DATABASE "{pg_name}"')
        url = _pg_url(args.postgres_url, pg_name)
    else:
        url = sqlite_url(root / "db" / "alpr.sqlite3")
    figures: dict[str, Any] = {"kind": kind, "records": args.records}
    app = make_app(url, root / "app")
    try:
        admin = create_admin(app)
        end = app.services.ctx.now() - dt.timedelta(minutes=1)
        figures["load_s"] = round(
            _load(app.database.engine, _WithUserIds(args.records, end), args.records), 1
        )
        if kind == "postgres":  # what autovacuum does soon after a load this size
            with app.database.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE access_records")
        admin = app.services.auth.login("admin", "Chief-Passphrase-2026").actor
        figures["status"] = _status(app, admin, args.repeat)
        figures["checks_ms"] = _checks(app)
    finally:
        app.close()
        if kind == "postgres":
            _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    figures["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(f"  {kind}: {figures}", file=sys.stderr, flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=PG_DEFAULT)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = [run(kind, args) for kind in args.databases.split(",")]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
