"""Import time for a 1,000,000-line hotlist CSV on SQLite and PostgreSQL.

Writes a file of ``--lines`` distinct entries in the documented format (one in a
thousand partial), then for each backend — SQLite in a temporary directory and, with
``--postgres-url``, a scratch PostgreSQL database created and dropped again — times:

* ``validate`` — :func:`hotlist_import.validate` (parse and check, no database);
* ``import``   — :meth:`HotlistService.import_csv` into a new list (one transaction);
* ``replace``  — the same file again with ``replace=True`` (delete + insert).

Command::

    .venv/bin/python benchmarks/bench_hotlist_import.py --lines 1000000 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

The last line printed is one JSON object with every figure (seconds, lines/s).

Measured 2026-12-01 (2 shared cores, load 0.7; 43 MB file; PostgreSQL local, psycopg 3):

=========== ========== ========== ==========
backend     validate   import     replace
=========== ========== ========== ==========
SQLite       8.1 s      26.7 s     25.5 s
PostgreSQL   6.4 s      55.1 s     68.1 s
=========== ========== ========== ==========
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alpr_desktop.app import open_application
from alpr_desktop.services import hotlist_import
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.engine import sqlite_url

HEADER = "plate,state,category,priority,source,case_number,notes,expires_at\n"


def write_file(path: Path, lines: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i in range(lines):
            plate = f"{i:06d}*Z" if i % 1000 == 0 else f"{i:07d}"
            out.write(f"{plate},CA,stolen_vehicle,2,NCIC,24-{i % 9999:04d},,\n")


def measure(url: str, data: Path, path: Path, lines: int) -> dict[str, float]:
    app = open_application(LocalConfig(database_url=url, data_dir=data), create=True)
    try:
        admin = app.services.auth.create_first_administrator(
            username="bench.admin", full_name="Bench Admin", password="quiet-harbour-lantern-2026"
        )
        figures: dict[str, float] = {}
        start = time.perf_counter()
        report = hotlist_import.validate(path)
        figures["validate_s"] = time.perf_counter() - start
        assert report.ok, report.errors[:3]
        for name, replace in (("import", False), ("replace", True)):
            start = time.perf_counter()
            result = app.services.hotlists.import_csv(
                admin, path, "Bench", replace=replace, create_missing=True
            )
            figures[f"{name}_s"] = time.perf_counter() - start
            assert result.imported == lines
        for key in list(figures):
            figures[key.replace("_s", "_lines_per_s")] = lines / figures[key]
        return {k: round(v, 2) for k, v in figures.items()}
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--postgres-url", default=os.environ.get("ALPR_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results: dict[str, object] = {"lines": args.lines, "load_1min": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "hotlist.csv"
        write_file(path, args.lines)
        results["file_mb"] = round(path.stat().st_size / 1e6, 1)
        url = sqlite_url(root / "db" / "bench.sqlite3")
        results["sqlite"] = measure(url, root / "data-sqlite", path, args.lines)
        print("sqlite", results["sqlite"], flush=True)
        if args.postgres_url:
            results["postgresql"] = _postgres(args.postgres_url, root, path, args.lines)
            print("postgresql", results["postgresql"], flush=True)
    print(json.dumps(results))


def _postgres(admin_url: str, root: Path, path: Path, lines: int) -> dict[str, float]:
    name = f"alpr_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
        return measure(url.render_as_string(hide_password=False), root / "data-pg", path, lines)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
