"""Indexes that let the audit viewer filter a trail of millions of records at once.

The viewer (:mod:`alpr_desktop.services.audit_query`) shows the records that fit its
filters newest first (``seq`` descending), a page at a time. Two kinds of index serve it:

* **(filter column, seq)** B-tree indexes on ``access_records`` for the columns filtered
  by equality (username, category, action, outcome, purpose, case number, workstation):
  the first page is the first rows of one index read backwards, no sort. And
  (recorded_at, seq) for a date range: the ids of the records in the range and their
  ``seq`` come from the index alone, so ordering them costs a sort of small entries,
  not of whole records (the viewer reads the page's ids first, then only those rows).
  They replace the single-column indexes of migration 0001 on those columns (an index
  on the column alone serves nothing the composite does not). They are declared on the
  :class:`~alpr_desktop.storage.models.AccessRecord` model too, so Alembic's comparison
  knows them; the DDL lives here.
* **The plate inside the recorded query** (``query`` holds the search's canonical JSON):
  a trigram index.

  - **SQLite**: an FTS5 table ``audit_search`` with the ``trigram`` tokenizer and
    ``detail=none``, external content ``access_records`` (``content_rowid = id``). The
    trail is append-only (BEFORE UPDATE/DELETE triggers refuse changes), so one AFTER
    INSERT trigger keeps it. To keep the index small and appends cheap, it indexes only
    the query's short text values (the strings of the JSON, 2 to 32 characters, without
    ``:`` so timestamps are left out) rather than the whole JSON with its keys; that is
    about a quarter of the trigrams. A ``LIKE`` on the FTS5 column finds candidates
    through the index and SQLite re-checks it on ``access_records.query`` (the external
    content), so the answer is exact for a plate that is one of those values or part of
    one. A query that is not JSON is not indexed (it holds no plate field).
  - **PostgreSQL**: a ``pg_trgm`` GIN index on ``query``; ``ILIKE`` uses it.

:func:`include_object` keeps these objects (which are not models) out of Alembic's
comparison of the models with the database. Created by migration 0006; migration 0010
adds the (column, column, seq) indexes of :data:`PAIR_INDEXES` (its own DDL).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: The FTS5 table over the queries (SQLite); FTS5 keeps it in shadow tables.
QUERY_FTS = "audit_search"
_FTS_SUFFIXES = ("", "_data", "_idx", "_docsize", "_config", "_content")
PG_QUERY_INDEX = "ix_access_records_query_trgm"

#: (index name, column) of each composite (column, seq) index; the models declare them.
COMPOSITE_INDEXES = (
    ("ix_access_records_recorded_at_seq", "recorded_at"),
    ("ix_access_records_username_seq", "username"),
    ("ix_access_records_category_seq", "category"),
    ("ix_access_records_action_seq", "action"),
    ("ix_access_records_outcome_seq", "outcome"),
    ("ix_access_records_purpose_seq", "purpose"),
    ("ix_access_records_case_number_seq", "case_number"),
    ("ix_access_records_workstation_seq", "workstation"),
)
#: (index name, columns) of each (column, column, seq) index (migration 0010): pairs of
#: filters an oversight review combines where the first alone leaves many records to check
#: for the second — one user's searches (among tens of thousands of records of theirs),
#: the refused data accesses (the refusals are of every category).
PAIR_INDEXES = (
    ("ix_access_records_username_action_seq", ("username", "action")),
    ("ix_access_records_outcome_category_seq", ("outcome", "category")),
)
#: The single-column indexes of migration 0001 the composites replace.
_REPLACED = (
    ("ix_access_records_recorded_at", "recorded_at"),
    ("ix_access_records_username", "username"),
    ("ix_access_records_category", "category"),
    ("ix_access_records_action", "action"),
    ("ix_access_records_purpose", "purpose"),
    ("ix_access_records_case_number", "case_number"),
)

_SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE audit_search USING fts5(query, tokenize='trigram', "
    "content='access_records', content_rowid='id', detail=none)",
    """CREATE TRIGGER access_records_search_insert AFTER INSERT ON access_records
        WHEN json_valid(new.query) BEGIN
        INSERT INTO audit_search(rowid, query) VALUES (new.id, (
            SELECT group_concat(value, ' ') FROM json_tree(new.query)
            WHERE type = 'text' AND length(value) BETWEEN 2 AND 32 AND instr(value, ':') = 0
        ));
    END""",
    # Records stored before the index existed (the same values as the trigger takes).
    """INSERT INTO audit_search(rowid, query)
        SELECT r.id, (
            SELECT group_concat(value, ' ') FROM json_tree(r.query)
            WHERE type = 'text' AND length(value) BETWEEN 2 AND 32 AND instr(value, ':') = 0
        ) FROM access_records AS r WHERE json_valid(r.query)""",
)
_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS access_records_search_insert",
    "DROP TABLE IF EXISTS audit_search",
)


def create(conn: Connection) -> None:
    """Create the audit indexes on ``conn``'s database (in its transaction).

    Plain ``CREATE INDEX`` rather than Alembic's batch mode: on SQLite a batch operation
    copies the table, which would drop the triggers that keep the trail append-only.
    """
    for name, _column in _REPLACED:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    for name, column in COMPOSITE_INDEXES:
        # Names and columns are the constants above, not input.
        conn.execute(text(f"CREATE INDEX {name} ON access_records ({column}, seq)"))
    if conn.dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+); migration 0005 created it too.
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        conn.execute(
            text(f"CREATE INDEX {PG_QUERY_INDEX} ON access_records USING gin (query gin_trgm_ops)")
        )
        return
    for statement in _SQLITE_CREATE:
        conn.execute(text(statement))


def drop(conn: Connection) -> None:
    """Undo :func:`create`: the single-column indexes of migration 0001 come back."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"DROP INDEX IF EXISTS {PG_QUERY_INDEX}"))
    else:
        for statement in _SQLITE_DROP:
            conn.execute(text(statement))
    for name, _column in COMPOSITE_INDEXES:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    for name, column in _REPLACED:
        conn.execute(text(f"CREATE INDEX {name} ON access_records ({column})"))


def is_audit_index_object(name: str | None, type_: str) -> bool:
    """Whether Alembic's object ``name`` of ``type_`` is the query index (not a model)."""
    if name is None:
        return False
    if type_ == "table":
        return any(name == QUERY_FTS + suffix for suffix in _FTS_SUFFIXES)
    if type_ == "index":
        return name == PG_QUERY_INDEX
    return False


def include_object(
    _object: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: leave the query index out of comparisons."""
    return not is_audit_index_object(name, type_)
