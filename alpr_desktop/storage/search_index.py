"""The plate search index: trigram indexes over the reads' plate texts, on both databases.

Partial-plate search (``7AB*12``, ``?XYZ45?``) must stay fast at ten million reads, where
a scan of ``plate_reads`` with ``GLOB``/``LIKE`` takes most of a second. Both databases
have a trigram index that answers such patterns from the fixed runs of three or more
characters and checks the rest on the few rows left:

* **SQLite**: FTS5 tables with the ``trigram`` tokenizer (``plate_search`` over
  ``plate_reads.plate_normalized`` and ``plate_folded``; ``alternative_search`` over
  ``read_alternatives.plate_normalized``) — external-content tables that hold only the
  index, kept by triggers on insert, update and delete (so the purge maintains them
  too). ``GLOB`` on an FTS5 trigram column uses the index.
* **PostgreSQL**: ``pg_trgm`` GIN indexes on the same three columns; ``LIKE`` uses them.

Confusable mode searches the folded column with the folded pattern (``core.plates``).
The objects here are not SQLAlchemy models: :func:`include_object` keeps Alembic's
comparison of the models with the database from reporting them. The DDL is created
by migration 0005 and lives only here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

# The names are written out in the DDL below as well (constant SQL, no formatting).
READS_FTS = "plate_search"
ALTERNATIVES_FTS = "alternative_search"
#: FTS5 keeps each index in shadow tables named after it.
_FTS_SUFFIXES = ("", "_data", "_idx", "_docsize", "_config", "_content")
PG_INDEXES = (
    ("ix_plate_reads_plate_normalized_trgm", "plate_reads", "plate_normalized"),
    ("ix_plate_reads_plate_folded_trgm", "plate_reads", "plate_folded"),
    ("ix_read_alternatives_plate_normalized_trgm", "read_alternatives", "plate_normalized"),
)

_SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE plate_search USING fts5(plate_normalized, plate_folded, "
    "tokenize='trigram', content='plate_reads', content_rowid='id')",
    "CREATE VIRTUAL TABLE alternative_search USING fts5(plate_normalized, "
    "tokenize='trigram', content='read_alternatives', content_rowid='id')",
    """CREATE TRIGGER plate_reads_search_insert AFTER INSERT ON plate_reads BEGIN
        INSERT INTO plate_search(rowid, plate_normalized, plate_folded)
        VALUES (new.id, new.plate_normalized, new.plate_folded);
    END""",
    """CREATE TRIGGER plate_reads_search_delete AFTER DELETE ON plate_reads BEGIN
        INSERT INTO plate_search(plate_search, rowid, plate_normalized, plate_folded)
        VALUES ('delete', old.id, old.plate_normalized, old.plate_folded);
    END""",
    """CREATE TRIGGER plate_reads_search_update AFTER UPDATE OF plate_normalized, plate_folded
        ON plate_reads BEGIN
        INSERT INTO plate_search(plate_search, rowid, plate_normalized, plate_folded)
        VALUES ('delete', old.id, old.plate_normalized, old.plate_folded);
        INSERT INTO plate_search(rowid, plate_normalized, plate_folded)
        VALUES (new.id, new.plate_normalized, new.plate_folded);
    END""",
    """CREATE TRIGGER read_alternatives_search_insert AFTER INSERT ON read_alternatives BEGIN
        INSERT INTO alternative_search(rowid, plate_normalized)
        VALUES (new.id, new.plate_normalized);
    END""",
    """CREATE TRIGGER read_alternatives_search_delete AFTER DELETE ON read_alternatives BEGIN
        INSERT INTO alternative_search(alternative_search, rowid, plate_normalized)
        VALUES ('delete', old.id, old.plate_normalized);
    END""",
    """CREATE TRIGGER read_alternatives_search_update AFTER UPDATE OF plate_normalized
        ON read_alternatives BEGIN
        INSERT INTO alternative_search(alternative_search, rowid, plate_normalized)
        VALUES ('delete', old.id, old.plate_normalized);
        INSERT INTO alternative_search(rowid, plate_normalized)
        VALUES (new.id, new.plate_normalized);
    END""",
    # Reads stored before the index existed.
    "INSERT INTO plate_search(plate_search) VALUES ('rebuild')",
    "INSERT INTO alternative_search(alternative_search) VALUES ('rebuild')",
)
_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS plate_reads_search_insert",
    "DROP TRIGGER IF EXISTS plate_reads_search_delete",
    "DROP TRIGGER IF EXISTS plate_reads_search_update",
    "DROP TRIGGER IF EXISTS read_alternatives_search_insert",
    "DROP TRIGGER IF EXISTS read_alternatives_search_delete",
    "DROP TRIGGER IF EXISTS read_alternatives_search_update",
    "DROP TABLE IF EXISTS plate_search",
    "DROP TABLE IF EXISTS alternative_search",
)


def create(conn: Connection) -> None:
    """Create the search index on ``conn``'s database (in its transaction)."""
    if conn.dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        for name, table, column in PG_INDEXES:
            conn.execute(text(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)"))
        return
    for statement in _SQLITE_CREATE:
        conn.execute(text(statement))


def drop(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        for name, _table, _column in PG_INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        return
    for statement in _SQLITE_DROP:
        conn.execute(text(statement))


def is_search_object(name: str | None, type_: str) -> bool:
    """Whether Alembic's object ``name`` of ``type_`` belongs to the search index."""
    if name is None:
        return False
    if type_ == "table":
        return any(
            name == base + suffix
            for base in (READS_FTS, ALTERNATIVES_FTS)
            for suffix in _FTS_SUFFIXES
        )
    if type_ == "index":
        return name in {index for index, _table, _column in PG_INDEXES}
    return False


def include_object(
    _object: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: leave the search index out of comparisons."""
    return not is_search_object(name, type_)
