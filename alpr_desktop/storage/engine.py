"""Engine factory, connection checks and migrations to head.

The engine is built by the composition root from an explicit URL, never at import.
Every failure to open, reach or migrate a database becomes a :class:`StorageError`
with a message a user can act on.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from alpr_desktop.errors import ConfigurationError, StorageError

if TYPE_CHECKING:
    from alembic.config import Config

#: The newest migration shipped with this version. Start-up compares it with the
#: database's ``alembic_version`` and imports Alembic only when an upgrade is due (that
#: import is a sizeable part of a cold start); a test keeps it equal to Alembic's head.
HEAD_REVISION = "0001"

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_FILE_NAME = "alpr.sqlite3"


def sqlite_url(path: Path) -> str:
    return URL.create("sqlite+pysqlite", database=str(path)).render_as_string()


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``, safe for logs and the status bar."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def parse_url(url: str) -> URL:
    """Parse and normalise a database URL; only SQLite and PostgreSQL are supported."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            "The database URL is not valid. Use sqlite:///PATH/TO/FILE or "
            "postgresql://USER@HOST:PORT/DATABASE."
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ConfigurationError(
                "A SQLite database URL must name a file (sqlite:///PATH/TO/FILE)."
            )
        return parsed.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres"):
        if not parsed.database:
            raise ConfigurationError("A PostgreSQL URL must name a database (…/DATABASE).")
        return parsed.set(drivername="postgresql+psycopg")
    raise ConfigurationError(
        f"Unsupported database {backend!r}: use SQLite (sqlite:///…) or PostgreSQL "
        "(postgresql://…)."
    )


def _directory_writable(directory: Path) -> bool:
    # Try it rather than trust os.access: root passes access() on a read-only mount.
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".alpr-write-test-"):
            return True
    except OSError:
        return False


def _check_sqlite_file(path: Path) -> None:
    parent = path.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Cannot create the data directory {parent}: {exc.strerror}."
            ) from None
    if not _directory_writable(parent):
        raise StorageError(
            f"The data directory {parent} is read-only. Choose a writable directory "
            "with --data-dir or fix its permissions."
        )
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StorageError(f"The database file {path} is not readable and writable.")
        if path.stat().st_size > 0:
            with path.open("rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
            if header != SQLITE_HEADER:
                raise StorageError(
                    f"The file {path} is not a SQLite database, or it is corrupt. Restore it "
                    "from a backup or move it aside to start a new database."
                )


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Take the write lock at the start of every transaction. Appends to the hash-chained
    # access trail read the last record and then insert; a deferred transaction could
    # read a stale head and fail at commit, an immediate one waits its turn instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, connect_timeout: int = 5) -> Engine:
    """Create an engine for ``url`` after checking what can be checked without I/O risk."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        _check_sqlite_file(Path(parsed.database))
        engine = create_engine(parsed, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        parsed,
        pool_pre_ping=True,
        connect_args={"connect_timeout": connect_timeout, "application_name": "alpr-desktop"},
    )


def describe_failure(engine: Engine, exc: BaseException) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        msg = str(getattr(exc, "orig", exc))
        if "not a database" in msg or "malformed" in msg:
            return (
                f"The SQLite database {url.database} is corrupt ({msg}). Restore it from a "
                "backup or move it aside to start a new database."
            )
        if "readonly" in msg or "read-only" in msg:
            return f"The SQLite database {url.database} is read-only ({msg})."
        return f"Cannot open the SQLite database {url.database}: {msg}"
    orig = str(getattr(exc, "orig", exc)).strip().splitlines()
    detail = orig[0] if orig else type(exc).__name__
    return (
        f"Cannot reach PostgreSQL at {url.host or 'localhost'}:{url.port or 5432} "
        f"(database {url.database!r}): {detail}"
    )


def check_connection(engine: Engine) -> None:
    """Open a connection and run a trivial query, or raise :class:`StorageError`."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if engine.url.get_backend_name() == "sqlite":
                result = conn.execute(text("PRAGMA quick_check")).scalar()
                if result != "ok":
                    raise StorageError(
                        f"The SQLite database {engine.url.database} failed its integrity "
                        f"check ({result}). Restore it from a backup."
                    )
    except (OperationalError, DatabaseError) as exc:
        raise StorageError(describe_failure(engine, exc)) from None


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    migrations = resources.files("alpr_desktop.storage").joinpath("migrations")
    cfg.set_main_option("script_location", str(migrations))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The head according to Alembic's scripts (tests compare it with HEAD_REVISION)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://")))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision, or None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest migration shipped with this version."""
    try:
        if current_revision(engine) == HEAD_REVISION:
            return
        from alembic import command

        command.upgrade(_alembic_config(engine), "head")
    except (OperationalError, DatabaseError) as exc:
        raise StorageError(describe_failure(engine, exc)) from None
    except SQLAlchemyError as exc:
        raise StorageError(f"Database migration failed: {exc}") from None


@dataclass(frozen=True)
class Database:
    """An opened, migrated database: its engine and a session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def backend(self) -> str:
        return self.engine.url.get_backend_name()

    @property
    def masked_url(self) -> str:
        return mask_url(self.engine.url)

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Build the engine, check it answers, and (by default) upgrade it to head."""
    engine = make_engine(url)
    check_connection(engine)
    if migrate:
        upgrade_to_head(engine)
    log.info("database opened: %s", mask_url(engine.url))
    return Database(engine, sessionmaker(engine, expire_on_commit=False))
