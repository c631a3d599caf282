"""Access-trail verification (issue 15): full rate, then incremental after new records.

For SQLite (a file with the shipped pragmas) and PostgreSQL (a scratch database created
next to ``--postgres-url``), one at a time:

1. **load**: ``--records`` chained access records (default 1,000,000; the realistic mix
   of ``bench_audit_query.py``, hashed and chained exactly as ``append_record`` does,
   bulk-inserted). The audit viewer's plate index (the FTS5 trigger on SQLite, the
   pg_trgm GIN index on PostgreSQL) is dropped first unless ``--viewer-index``:
   verification never reads it, and it makes the load an order of magnitude slower.
2. **full**: ``CheckpointService.verify(actor, full=True)`` as a signed-in supervisor —
   the service path (permission, every stored checkpoint checked, the batched walk in
   short transactions, the ``audit_verify`` record) — records/s. With a checkpoint key
   configured and none signed yet, the service signs the first checkpoint right after
   (as the GUI does), inside the timed call.
3. **incremental**: ``--new`` more records (default 10,000) appended, then
   ``AuditService.verify(actor)``: it resumes after the checkpoint and walks only the
   new records; its time and how many it checked.

The last line printed is one JSON object with every figure. Command::

    .venv/bin/python benchmarks/bench_audit_verify.py --records 1000000

(``--databases sqlite`` or ``postgres`` runs one.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT))
sys.path.insert(0, str(_ROOT / "benchmarks"))

from bench_audit_query import Generator, _load, _pg_admin, _pg_url  # noqa: E402
from sqlalchemy import text  # noqa: E402

from alpr_desktop.core.roles import Role  # noqa: E402
from alpr_desktop.storage import audit_index  # noqa: E402
from alpr_desktop.storage.engine import sqlite_url  # noqa: E402
from tests.conftest import (  # noqa: E402
    USER_PASSWORD,
    create_active_user,
    create_admin,
    make_app,
)

SUPERVISOR = "sup.verify"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


def _drop_viewer_index(engine: Any) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"DROP INDEX IF EXISTS {audit_index.PG_QUERY_INDEX}"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS access_records_search_insert"))


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="audv-"))
    pg_name = f"alpr_bench_verify_{args.records}"
    if kind == "postgres":
        _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        _pg_admin(args.postgres_url, f'CREATE DATABASE "{pg_name}"')
        url = _pg_url(args.postgres_url, pg_name)
    else:
        url = sqlite_url(root / "db" / "alpr.sqlite3")
    figures: dict[str, Any] = {"kind": kind, "records": args.records, "new": args.new}
    app = make_app(url, root / "app")
    try:
        admin = create_admin(app)
        create_active_user(app, admin, SUPERVISOR, [Role.SUPERVISOR])
        app.services.checkpoints.create_key(admin)
        if not args.viewer_index:
            _drop_viewer_index(app.database.engine)
        figures["viewer_index"] = args.viewer_index
        end = app.services.ctx.now() - dt.timedelta(minutes=1)
        figures["load_s"] = round(
            _load(app.database.engine, Generator(args.records, end), args.records), 1
        )

        def sign_in() -> Any:  # the session locks after 10 idle minutes
            return app.services.auth.login(SUPERVISOR, USER_PASSWORD).actor

        actor = sign_in()
        started = time.perf_counter()
        # The service path as the GUI takes it: verify, then sign because one is due.
        report = app.services.checkpoints.verify(actor, full=True)
        took = time.perf_counter() - started
        assert report.ok, report.summary()
        (checkpoint,) = app.services.checkpoints.list_checkpoints(actor)
        assert checkpoint.seq == report.head_seq
        figures["full"] = {
            "checked": report.checked,
            "s": round(took, 2),
            "records_per_s": round(report.checked / took),
        }
        print(f"  full: {figures['full']}", file=sys.stderr, flush=True)

        _load(app.database.engine, Generator(args.new, app.services.ctx.now(), seed=7), args.new)
        actor = sign_in()
        started = time.perf_counter()
        report = app.services.audit.verify(actor)
        took = time.perf_counter() - started
        assert report.ok and report.resumed_from == checkpoint.seq, report.summary()
        figures["incremental"] = {
            "checked": report.checked,
            "resumed_from": report.resumed_from,
            "s": round(took, 3),
            "records_per_s": round(report.checked / took),
        }
        print(f"  incremental: {figures['incremental']}", file=sys.stderr, flush=True)
    finally:
        app.close()
        if kind == "postgres":
            _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    figures["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=PG_DEFAULT)
    parser.add_argument(
        "--viewer-index", action="store_true", help="keep the audit viewer's plate index"
    )
    args = parser.parse_args()
    results = {kind: run(kind, args) for kind in args.databases.split(",")}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
