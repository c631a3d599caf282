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

A trigram needs three fixed characters in a row; ``9?Z*99`` and ``*77*7`` have none
and would scan every row. The **plate dictionary** (migration 0007,
:func:`create_dictionary`) answers those: every distinct plate string (the reads'
``plate_normalized`` and ``plate_folded``, the alternatives' ``plate_normalized``) with
its *plate keys* (:func:`alpr_desktop.core.search.plate_keys`: each pair of adjacent
characters with the number of characters after it, the string's last and first
character). A glob that ends in a fixed character and has two fixed characters in a row
is answered by looking up its keys (:func:`~alpr_desktop.core.search.glob_keys`),
checking the few strings found with ``GLOB``/``LIKE``, and fetching the reads by the
plate columns' B-tree indexes.

* **SQLite**: ``plate_keys(key, text)``, a ``WITHOUT ROWID`` table (the key index *is*
  the table), filled by ``AFTER INSERT/UPDATE`` triggers on both tables.
* **PostgreSQL**: ``plate_strings(text)`` with a GIN index over the SQL function
  ``plate_search_keys(text)`` (the same keys), filled by statement-level triggers
  (transition tables: one ``INSERT … ON CONFLICT DO NOTHING`` per insert statement).
  The GIN index has ``fastupdate`` off: a glob may ask hundreds of keys, and each is
  matched against the whole pending list (5 s at 3M reads after 50,000 inserts).

Deleting reads does not touch the dictionary (a string is usually shared by many
reads); the purge calls :func:`prune_dictionary` afterwards, which removes the strings
no read or alternative holds any more. A string left behind is harmless meanwhile: the
reads are fetched by their own columns, so it finds nothing.

The **rank index** (migration 0012, :data:`RANK_INDEX`) holds the reads in the order a
search ranks those of one match quality — confidence, then time, newest first, then id —
so the first page of a pattern that fits many thousands of reads is read off it
(``services/search_rank.py``).

The objects here are not SQLAlchemy models: :func:`include_object` keeps Alembic's
comparison of the models with the database from reporting them. The DDL is created
by migrations 0005 and 0007 and lives only here (0012 keeps its own copy of its one
statement).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, text
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


# ---------------------------------------------------------------- plate dictionary
KEYS_TABLE = "plate_keys"  # SQLite
STRINGS_TABLE = "plate_strings"  # PostgreSQL
PG_KEYS_INDEX = "ix_plate_strings_keys"
#: The reads in rank order within a match quality (confidence, then time, newest first,
#: then id): migration 0012, used by ``services/search_rank.py``.
RANK_INDEX = "ix_plate_reads_rank"
# The key of the pair starting at 0-based position p of string t (core.search.plate_keys).
_SQLITE_KEY = (
    "substr('0123456789abcdef', min(length(s.t) - 2 - p.value, 15) + 1, 1) "
    "|| substr(s.t, p.value + 1, 2) || substr(s.t, -1) || substr(s.t, 1, 1)"
)
_POSITIONS = "json_each('[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]') AS p"


def _sqlite_keys_insert(strings: str) -> str:
    """INSERT of every key of the strings ``strings`` (a subquery with column ``t``)."""
    return (
        f"INSERT OR IGNORE INTO plate_keys(key, text) SELECT {_SQLITE_KEY}, s.t "  # noqa: S608
        f"FROM ({strings}) AS s, {_POSITIONS} WHERE p.value <= length(s.t) - 2"
    )


_SQLITE_READ_STRINGS = "SELECT new.plate_normalized AS t UNION SELECT new.plate_folded"
_SQLITE_DICTIONARY = (
    "CREATE TABLE plate_keys (key TEXT NOT NULL, text TEXT NOT NULL, "
    "PRIMARY KEY (key, text)) WITHOUT ROWID",
    f"""CREATE TRIGGER plate_reads_keys_insert AFTER INSERT ON plate_reads BEGIN
        {_sqlite_keys_insert(_SQLITE_READ_STRINGS)};
    END""",
    f"""CREATE TRIGGER plate_reads_keys_update AFTER UPDATE OF plate_normalized, plate_folded
        ON plate_reads BEGIN
        {_sqlite_keys_insert(_SQLITE_READ_STRINGS)};
    END""",
    f"""CREATE TRIGGER read_alternatives_keys_insert AFTER INSERT ON read_alternatives BEGIN
        {_sqlite_keys_insert("SELECT new.plate_normalized AS t")};
    END""",
    f"""CREATE TRIGGER read_alternatives_keys_update AFTER UPDATE OF plate_normalized
        ON read_alternatives BEGIN
        {_sqlite_keys_insert("SELECT new.plate_normalized AS t")};
    END""",
)
_ALL_STRINGS = (
    "SELECT plate_normalized AS t FROM plate_reads UNION SELECT plate_folded FROM plate_reads "
    "UNION SELECT plate_normalized FROM read_alternatives"
)
_SQLITE_DICTIONARY_DROP = (
    "DROP TRIGGER IF EXISTS plate_reads_keys_insert",
    "DROP TRIGGER IF EXISTS plate_reads_keys_update",
    "DROP TRIGGER IF EXISTS read_alternatives_keys_insert",
    "DROP TRIGGER IF EXISTS read_alternatives_keys_update",
    "DROP TABLE IF EXISTS plate_keys",
)
_PG_DICTIONARY = (
    "CREATE TABLE plate_strings (text text PRIMARY KEY)",
    # The keys of core.search.plate_keys; IMMUTABLE (an index expression), catalog
    # functions only.
    """CREATE FUNCTION plate_search_keys(s text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(
            substr('0123456789abcdef', least(length(s) - 2 - h, 15) + 1, 1)
            || substr(s, h + 1, 2) || right(s, 1) || left(s, 1)), '{}')
        FROM generate_series(0, length(s) - 2) AS h
    $$""",
    """CREATE FUNCTION plate_strings_from_reads() RETURNS trigger
        LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO plate_strings(text)
        SELECT plate_normalized FROM plate_search_new_rows
        UNION SELECT plate_folded FROM plate_search_new_rows
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION plate_strings_from_alternatives() RETURNS trigger
        LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO plate_strings(text)
        SELECT DISTINCT plate_normalized FROM plate_search_new_rows
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
)
_PG_DICTIONARY_TRIGGERS = tuple(
    f"CREATE TRIGGER {table}_strings_{event.lower()} AFTER {event} ON {table} "
    f"REFERENCING NEW TABLE AS plate_search_new_rows FOR EACH STATEMENT "
    f"EXECUTE FUNCTION plate_strings_from_{source}()"
    for table, source in (("plate_reads", "reads"), ("read_alternatives", "alternatives"))
    for event in ("INSERT", "UPDATE")
)
_PG_DICTIONARY_DROP = (
    *(
        f"DROP TRIGGER IF EXISTS {table}_strings_{event} ON {table}"
        for table in ("plate_reads", "read_alternatives")
        for event in ("insert", "update")
    ),
    "DROP TABLE IF EXISTS plate_strings",
    "DROP FUNCTION IF EXISTS plate_strings_from_reads()",
    "DROP FUNCTION IF EXISTS plate_strings_from_alternatives()",
    "DROP FUNCTION IF EXISTS plate_search_keys(text)",
)


def create_dictionary(conn: Connection) -> None:
    """Create the plate dictionary and fill it from the reads already stored."""
    if conn.dialect.name == "postgresql":
        for statement in _PG_DICTIONARY:
            conn.execute(text(statement))
        fill = f"INSERT INTO plate_strings(text) SELECT t FROM ({_ALL_STRINGS}) AS s"  # noqa: S608
        conn.execute(text(fill))
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        conn.execute(
            text(
                f"CREATE INDEX {PG_KEYS_INDEX} ON plate_strings "
                "USING gin (plate_search_keys(text)) WITH (fastupdate = off)"
            )
        )
        # Statistics now, not at autovacuum's leisure: without them the planner scans
        # plate_strings, calling the key function on every row (15 s at 3M reads).
        conn.execute(text("ANALYZE plate_strings"))
        for statement in _PG_DICTIONARY_TRIGGERS:
            conn.execute(text(statement))
        return
    conn.execute(text(_SQLITE_DICTIONARY[0]))
    # In key order: the table's b-tree is appended to, not inserted into at random.
    conn.execute(text(_sqlite_keys_insert(_ALL_STRINGS) + " ORDER BY 1, 2"))
    for statement in _SQLITE_DICTIONARY[1:]:
        conn.execute(text(statement))
    conn.execute(text("ANALYZE plate_keys"))


def drop_dictionary(conn: Connection) -> None:
    drops = _PG_DICTIONARY_DROP if conn.dialect.name == "postgresql" else _SQLITE_DICTIONARY_DROP
    for statement in drops:
        conn.execute(text(statement))


def prune_dictionary(conn: Connection, texts: Iterable[str] | None = None) -> int:
    """Remove the strings no read or alternative holds any more.

    Returns the rows deleted: strings on PostgreSQL, keys (one per pair of adjacent
    characters) on SQLite.

    Call it after deleting reads (the retention purge), in the same transaction or
    after it. ``texts`` limits it to those strings (the deleted reads' plates, folded
    plates and alternatives; cheap); None checks every string (a full pass, for a large
    purge). On PostgreSQL the dictionary is locked against concurrent inserts for the
    statement, so a read being stored meanwhile cannot lose its string.
    """
    postgres = conn.dialect.name == "postgresql"
    column = "s.text" if postgres else "k.text"
    unused = (
        f"NOT EXISTS (SELECT 1 FROM plate_reads r WHERE r.plate_normalized = {column}) "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM plate_reads r WHERE r.plate_folded = {column}) "
        f"AND NOT EXISTS (SELECT 1 FROM read_alternatives a WHERE a.plate_normalized = {column})"
    )
    wanted = sorted(set(texts)) if texts is not None else None
    if wanted is not None and not wanted:
        return 0
    if postgres:
        # Blocks ingest's INSERT … ON CONFLICT until this commits, and waits for those in
        # flight: the NOT EXISTS below then sees every read committed.
        conn.execute(text("LOCK TABLE plate_strings IN SHARE ROW EXCLUSIVE MODE"))
        sql = f"DELETE FROM plate_strings s WHERE {unused}"  # noqa: S608 - constant SQL
        if wanted is not None:
            sql += " AND s.text = ANY(:texts)"
        stmt = text(sql)
    else:
        sql = f"DELETE FROM plate_keys AS k WHERE {unused}"  # noqa: S608 - constant SQL
        if wanted is not None:
            sql += " AND k.text IN :texts"
        stmt = text(sql)
        if wanted is not None:
            stmt = stmt.bindparams(bindparam("texts", expanding=True))
    if wanted is None:
        return int(conn.execute(stmt).rowcount)
    removed = 0
    for start in range(0, len(wanted), 500):
        removed += int(conn.execute(stmt, {"texts": wanted[start : start + 500]}).rowcount)
    return removed


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
        return name in {KEYS_TABLE, STRINGS_TABLE} or any(
            name == base + suffix
            for base in (READS_FTS, ALTERNATIVES_FTS)
            for suffix in _FTS_SUFFIXES
        )
    if type_ == "index":
        return name in {PG_KEYS_INDEX, RANK_INDEX} | {index for index, _t, _c in PG_INDEXES}
    return False


def include_object(
    _object: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: leave the search index out of comparisons."""
    return not is_search_object(name, type_)
