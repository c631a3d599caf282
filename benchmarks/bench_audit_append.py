"""Access-trail append rate from one writer, and ``verify_chain`` throughput.

For each backend (SQLite in a temporary file with the shipped pragmas — WAL,
synchronous=NORMAL, BEGIN IMMEDIATE — and, with ``--postgres-url``, a scratch PostgreSQL
database that is created and dropped again) it measures:

* ``per_record`` — :func:`append_record` in one transaction per record, which is what
  :class:`AuditService` does for each access (target: >= 2,000 records/s);
* ``batched``    — ``--batch`` records per transaction;
* ``verify``     — :func:`verify_chain` over every record the run wrote (records/s).

and, to say where a per-record append spends its time, one-transaction-per-record
variants:

* ``tx_only``     — open the transaction (BEGIN IMMEDIATE / advisory lock), SELECT 1, commit;
* ``tx_head``     — ... plus the SELECT of the chain head;
* ``orm_flush``   — the append as first written (``session.add`` + ``flush`` through the
  ORM unit of work), for comparison with the shipped Core INSERT in ``per_record``;
* ``dbapi_floor`` — the same append written against the raw driver (no SQLAlchemy);
* ``no_fsync``    — the shipped append with synchronous=OFF (SQLite) or
  synchronous_commit=off (PostgreSQL): what the commit's disk flush costs;
* ``no_pre_ping`` — (PostgreSQL) the shipped append on an engine without
  ``pool_pre_ping``: what the liveness check on each connection checkout costs.

Every variant writes real, correctly chained records into the same table, so the final
``verify_chain`` also proves they all hash identically to ``append_record``.
Rates are wall-clock records/s; ``cpu_us`` is this process's CPU time per record (less
disturbed by other load on a shared machine). The 1-minute load average is printed.

Command::

    .venv/bin/python benchmarks/bench_audit_append.py --records 2000 --batch 500 --rounds 4 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alpr_desktop.services.audit import (
    _PG_CHAIN_LOCK,
    GENESIS_HASH,
    append_record,
    canonical_query,
    compute_hash,
    verify_chain,
)
from alpr_desktop.storage.engine import Database, make_engine, open_database, sqlite_url
from alpr_desktop.storage.models import AccessRecord

Append = Callable[[Session, int], None]


def fields(i: int) -> dict[str, Any]:
    """A typical data-access record (a plate search with purpose and case number)."""
    return {
        "now": dt.datetime.now(dt.UTC),
        "user_id": 7,
        "username": "officer.bench",
        "organisation": "Bench PD",
        "workstation": "WS-BENCH-01",
        "category": "data",
        "action": "search_reads",
        "purpose": "Criminal investigation",
        "case_number": "24-000123",
        "query": {"plate": "7ABC123", "from": "2024-01-01", "to": "2024-01-31", "n": i},
        "detail": "12 reads returned",
        "target_type": "plate",
        "target_id": "7ABC123",
    }


# --------------------------------------------------------------------------- variants


def shipped(session: Session, i: int) -> None:
    append_record(session, **fields(i))


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})


def _head(session: Session) -> tuple[int, str]:
    last = session.execute(
        select(AccessRecord.seq, AccessRecord.record_hash)
        .order_by(AccessRecord.seq.desc())
        .limit(1)
    ).first()
    return (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)


def tx_only(session: Session, _i: int) -> None:
    _lock(session)
    session.execute(text("SELECT 1"))


def tx_head(session: Session, _i: int) -> None:
    _lock(session)
    _head(session)


def _row(seq: int, prev_hash: str, i: int) -> dict[str, Any]:
    f = fields(i)
    record = AccessRecord(
        seq=seq,
        recorded_at=f.pop("now").astimezone(dt.UTC),
        prev_hash=prev_hash,
        query=canonical_query(f.pop("query")),
        outcome="ok",
        **f,
    )
    record.record_hash = compute_hash(record)
    return {c.key: getattr(record, c.key) for c in AccessRecord.__table__.columns if c.key != "id"}


def orm_flush(session: Session, i: int) -> None:
    """The first version of ``append_record``: the record goes through the ORM."""
    _lock(session)
    seq, prev_hash = _head(session)
    record = AccessRecord(**_row(seq, prev_hash, i))
    session.add(record)
    session.flush()


# --------------------------------------------------------------------------- timing


Chunk = Callable[[int, int], int]  # (records, first index) -> records written


def orm_chunk(db: Database, append: Append, batch: int) -> Chunk:
    """Append ``n`` records, ``batch`` per transaction, through a Session."""

    def run(n: int, start: int) -> int:
        i = start
        while i < start + n:
            with db.sessions.begin() as session:
                for _ in range(min(batch, start + n - i)):
                    append(session, i)
                    i += 1
        return 0 if append in (tx_only, tx_head) else n

    return run


def dbapi_chunk(db: Database) -> Chunk:
    """The append written against the raw driver: the floor SQLAlchemy adds to."""
    backend = db.backend
    cols = [c.key for c in AccessRecord.__table__.columns if c.key != "id"]
    mark = "?" if backend == "sqlite" else "%s"
    ins = f"INSERT INTO access_records ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    head = "SELECT seq, record_hash FROM access_records ORDER BY seq DESC LIMIT 1"

    def run(n: int, start: int) -> int:
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            for i in range(start, start + n):
                if backend == "sqlite":
                    cur.execute("BEGIN IMMEDIATE")
                else:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_CHAIN_LOCK,))
                cur.execute(head)
                seq, prev = cur.fetchone()
                row = _row(seq + 1, prev, i)
                if backend == "sqlite":  # what UTCDateTime binds on SQLite: naive UTC
                    row["recorded_at"] = row["recorded_at"].replace(tzinfo=None).isoformat(" ")
                cur.execute(ins, [row[c] for c in cols])
                if backend == "sqlite":
                    cur.execute("COMMIT")
                else:
                    raw.commit()
            cur.close()
        finally:
            raw.close()  # back to the pool, as a Session would return it
        return n

    return run


def no_fsync_database(url: str) -> Database:
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _no_flush(dbapi_connection: Any, _record: Any) -> None:  # runs after the shipped pragmas
        cursor = dbapi_connection.cursor()
        if engine.url.get_backend_name() == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
        else:
            cursor.execute("SET synchronous_commit = off")
            dbapi_connection.commit()
        cursor.close()

    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def no_pre_ping_database(url: str) -> Database:
    shipped_engine = make_engine(url)
    engine = create_engine(shipped_engine.url, connect_args={"application_name": "alpr-bench"})
    shipped_engine.dispose()
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def run_backend(url: str, records: int, batch: int, rounds: int) -> dict[str, Any]:
    """Run every variant in ``rounds`` interleaved chunks, so load drift hits all alike."""
    db = open_database(url)
    extra = [no_fsync_database(url)]
    chunks: dict[str, Chunk] = {
        "per_record": orm_chunk(db, shipped, 1),
        "batched": orm_chunk(db, shipped, batch),
        "tx_only": orm_chunk(db, tx_only, 1),
        "tx_head": orm_chunk(db, tx_head, 1),
        "orm_flush": orm_chunk(db, orm_flush, 1),
        "dbapi_floor": dbapi_chunk(db),
        "no_fsync": orm_chunk(extra[0], shipped, 1),
    }
    if db.backend == "postgresql":
        extra.append(no_pre_ping_database(url))
        chunks["no_pre_ping"] = orm_chunk(extra[1], shipped, 1)
    totals = {name: [0.0, 0.0, 0.0] for name in chunks}  # wall, cpu, load samples
    done = 0
    per_round = max(1, records // rounds)
    try:
        for run in chunks.values():  # warm-up: pool, statement caches, first record
            done += run(1, done)
        for _ in range(rounds):
            for name, run in chunks.items():
                wall, cpu = time.perf_counter(), time.process_time()
                done += run(per_round, done)
                totals[name][0] += time.perf_counter() - wall
                totals[name][1] += time.process_time() - cpu
                totals[name][2] += os.getloadavg()[0]
        out: dict[str, Any] = {
            name: {
                "per_s": round(per_round * rounds / wall, 1),
                "cpu_us": round(cpu / (per_round * rounds) * 1e6, 1),
                "load1": round(load / rounds, 2),
            }
            for name, (wall, cpu, load) in totals.items()
        }
        out["verify"] = measure_verify(db, done)
    finally:
        for extra_db in extra:
            extra_db.dispose()
        db.dispose()
    return out


def measure_verify(db: Database, expected: int) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    with db.sessions() as session:
        report = verify_chain(session)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if not report.ok or report.checked != expected:
        raise SystemExit(f"chain check failed after the run: {report.summary()}")
    return {
        "per_s": round(report.checked / wall, 1),
        "cpu_us": round(cpu / report.checked * 1e6, 1),
        "load1": round(os.getloadavg()[0], 2),
        "checked": report.checked,
        "ok": report.ok,
    }


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """Create a throw-away database next to ``admin_url``'s and drop it afterwards."""
    name = f"alpr_bench_audit_{os.getpid()}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def print_backend(name: str, figures: dict[str, Any], target: float) -> None:
    print(f"{name}:")
    for key, fig in figures.items():
        flag = ""
        if key == "per_record":
            flag = "  OK" if fig["per_s"] >= target else f"  BELOW TARGET {target:,.0f}/s"
        print(
            f"  {key:<12} {fig['per_s']:>9,.0f} records/s   CPU {fig['cpu_us']:>6,.0f} us/record"
            f"   (load {fig['load1']:.2f}){flag}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="records per measurement")
    parser.add_argument("--batch", type=int, default=500, help="records per transaction")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved chunks per variant")
    parser.add_argument("--postgres-url", help="an existing database to create a scratch one")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--target", type=float, default=2000.0, help="records/s per writer")
    args = parser.parse_args(argv)

    result: dict[str, Any] = {
        "benchmark": "audit_append",
        "records": args.records,
        "batch": args.batch,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "target_per_s": args.target,
    }
    print(
        f"{args.records} records per figure in {args.rounds} interleaved rounds, "
        f"batch {args.batch}, cpus={os.cpu_count()}"
    )
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="alpr-bench-audit-") as tmp:
            url = sqlite_url(Path(tmp) / "audit.sqlite3")
            result["sqlite"] = run_backend(url, args.records, args.batch, args.rounds)
        print_backend(
            "SQLite (WAL, synchronous=NORMAL, BEGIN IMMEDIATE)", result["sqlite"], args.target
        )
    if args.postgres_url:
        with scratch_postgres(args.postgres_url) as url:
            result["postgresql"] = run_backend(url, args.records, args.batch, args.rounds)
        print_backend("PostgreSQL (advisory lock per append)", result["postgresql"], args.target)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
