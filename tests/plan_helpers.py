"""The statements a service sends, and the database's plan for one (tests and benchmarks)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextlib.contextmanager
def statements_sent(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Collects (statement, parameters) of everything ``engine`` sends meanwhile, as sent."""
    sent: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        sent.append((args[2], args[3]))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def explain(engine: Engine, statement: str, parameters: Any, *, no_seqscan: bool = False) -> str:
    """The plan of one statement as sent (SQLite's ``EXPLAIN QUERY PLAN``, PostgreSQL's
    ``EXPLAIN``), its lines joined by `` | ``. ``no_seqscan``: PostgreSQL plans as if a
    scan of the table were dear (a test's small table would be scanned whatever its
    indexes)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            if no_seqscan:
                cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {statement}", parameters)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        rows = cursor.fetchall()
        raw.rollback()
    finally:
        raw.close()
    return " | ".join(str(row[-1]) for row in rows)
