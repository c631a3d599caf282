"""Engine factory, connection checks and migrations to head.

The engine is built by the composition root from an explicit URL, never at import.
Every failure to open, reach or migrate a database becomes a :class:`StorageError`
with a message a user can act on.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import tempfile
from dataclasses import dataclass, field
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
HEAD_REVISION = "0012"

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


#: The embedded database and its data directory are private to the user who runs the
#: workstation: the file holds password hashes, the access trail and plate reads.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(directory: Path) -> None:
    """Create ``directory`` (and missing parents) readable by its owner only."""
    missing = [p for p in (directory, *directory.parents) if not p.exists()]
    directory.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    for created in missing:
        # mkdir's mode is filtered by the umask; set it exactly on what we created.
        created.chmod(PRIVATE_DIR_MODE)


def wider_than_private(path: Path) -> bool:
    """Whether ``path`` grants any access to its group or to other users."""
    return path.exists() and bool(path.stat().st_mode & 0o077)


def permission_warnings(path: Path) -> list[str]:
    """Warnings for a data directory or database files readable by other local users."""
    suffixed = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    return mode_warnings([path.parent, path, *suffixed])


def mode_warnings(paths: list[Path]) -> list[str]:
    """A warning for each existing path that other users of this computer can read."""
    return [
        f"{p} can be read by other users of this computer (mode "
        f"{stat.S_IMODE(p.stat().st_mode):o}); run: chmod {'700' if p.is_dir() else '600'} {p}"
        for p in paths
        if wider_than_private(p)
    ]


def _create_sqlite_file(path: Path) -> None:
    # SQLite creates a missing file with mode 0644 less the umask, and gives its -wal and
    # -shm files the main file's mode. Creating the (empty, valid) file ourselves with
    # 0600 keeps all three private without touching the process-wide umask.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    except OSError as exc:
        raise StorageError(f"Cannot create the database file {path}: {exc.strerror}.") from None
    os.close(fd)


def _check_sqlite_file(path: Path, *, create: bool) -> None:
    parent = path.parent
    if not create and not path.exists():
        raise StorageError(
            f"There is no database at {path}. Check --data-dir or --database-url, or create "
            "one with 'alpr-desktop init'."
        )
    if not parent.exists():
        try:
            make_private_dir(parent)
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
        size = path.stat().st_size
        if size == 0 and not create:
            raise StorageError(
                f"The file {path} is empty: it is not an alpr-desktop database. Check "
                "--data-dir or --database-url, or create one with 'alpr-desktop init'."
            )
        if size > 0:
            with path.open("rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
            if header != SQLITE_HEADER:
                raise StorageError(
                    f"The file {path} is not a SQLite database, or it is corrupt. Restore it "
                    "from a backup or move it aside to start a new database."
                )
    else:
        _create_sqlite_file(path)


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


#: The execution option of :attr:`Database.readers`' connections.
READ_ONLY_OPTION = "alpr_read_only"


def _sqlite_begin(conn: Any) -> None:
    # Take the write lock at the start of every transaction. Appends to the hash-chained
    # access trail read the last record and then insert; a deferred transaction could
    # read a stale head and fail at commit, an immediate one waits its turn instead.
    # A reader's transaction only reads: a deferred one is a snapshot of the WAL that
    # neither waits for the ingest's writes nor holds them up.
    if conn.get_execution_options().get(READ_ONLY_OPTION):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, connect_timeout: int = 5, create: bool = True) -> Engine:
    """Create an engine for ``url`` after checking what can be checked without I/O risk.

    With ``create=False`` a missing or empty SQLite file is an error naming the path,
    instead of a new database.
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        _check_sqlite_file(Path(parsed.database), create=create)
        engine = create_engine(parsed, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(
        parsed,
        pool_pre_ping=True,
        connect_args={"connect_timeout": connect_timeout, "application_name": "alpr-desktop"},
    )
    event.listen(engine, "connect", _postgres_session)
    return engine


def _postgres_session(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: no JIT compilation. The searches' queries are estimated dear (a
    pattern's rows are hard to estimate) but run in milliseconds; compiling them took
    15–35 ms of each at ten million reads (``EXPLAIN ANALYZE``, ``benchmarks/
    bench_search.py``)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()


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
    """Bring the schema to the newest migration shipped with this version.

    On PostgreSQL only the schema's owner migrates (``alpr-desktop db upgrade`` acts as
    it; a workstation connecting as the owner does so at start) and the application
    roles' privileges are re-applied afterwards (:mod:`.roles_setup`). Any other role,
    such as the application's own, gets one line saying who must upgrade.
    """
    try:
        current = current_revision(engine)
        if current == HEAD_REVISION:
            return
        _check_may_upgrade(engine, current)
        from alembic import command

        command.upgrade(_alembic_config(engine), "head")
        if engine.url.get_backend_name() == "postgresql":
            from alpr_desktop.storage import roles_setup

            with engine.begin() as conn:
                roles = roles_setup.refresh_grants(conn)
            log.info("privileges re-applied for %s", ", ".join(roles) or "no application role")
    except (OperationalError, DatabaseError) as exc:
        raise StorageError(describe_failure(engine, exc)) from None
    except SQLAlchemyError as exc:
        raise StorageError(f"Database migration failed: {exc}") from None


def _check_may_upgrade(engine: Engine, current: str | None) -> None:
    where = engine.url.database
    newer = current is not None and current.isdigit() and HEAD_REVISION.isdigit()
    if newer and int(str(current)) > int(HEAD_REVISION):
        raise StorageError(
            f"The database {where} is at revision {current}, newer than this version of "
            f"alpr-desktop ({HEAD_REVISION}): install the version that upgraded it."
        )
    if engine.url.get_backend_name() != "postgresql":
        return
    from alpr_desktop.storage import roles_setup

    with engine.connect() as conn:
        user, owner, may_create = roles_setup.upgrade_rights(conn)
    if current is None and not may_create:
        raise StorageError(
            f"The database {where} has no alpr-desktop schema and the role {user!r} may not "
            "create one: ask the database owner to run `alpr-desktop db create-roles`."
        )
    if current is not None and owner is not None and owner != user:
        raise StorageError(
            f"The database {where} is at revision {current}, this version needs "
            f"{HEAD_REVISION}: ask the database owner to run `alpr-desktop db upgrade`."
        )


@dataclass(frozen=True)
class Database:
    """An opened, migrated database: its engine and session factories.

    ``sessions`` is for work that may write. ``readers`` is for work that only reads
    (searches, canvasses, maps, the trail viewer): on SQLite its transactions are
    deferred — a snapshot that does not take the write lock, so a month-long canvass
    neither waits for the cameras' writes nor holds them up. A reader must not write (it
    could meet a write made after its snapshot). On PostgreSQL the two are alike.
    """

    engine: Engine
    sessions: sessionmaker[Session]
    #: Problems found at start-up that do not stop it (files other users can read).
    warnings: tuple[str, ...] = ()
    readers: sessionmaker[Session] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        bind = self.engine.execution_options(**{READ_ONLY_OPTION: True})
        object.__setattr__(self, "readers", sessionmaker(bind, expire_on_commit=False))

    @property
    def backend(self) -> str:
        return self.engine.url.get_backend_name()

    @property
    def masked_url(self) -> str:
        return mask_url(self.engine.url)

    @property
    def description(self) -> str:
        """Where the data lives, in words: "Embedded database — PATH" or "PostgreSQL — …"."""
        url = self.engine.url
        if self.backend == "sqlite":
            return f"Embedded database — {url.database}"
        port = f":{url.port}" if url.port and url.port != 5432 else ""
        return f"PostgreSQL — {url.host or 'localhost'}{port}/{url.database}"

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True, create: bool = True) -> Database:
    """Build the engine, check it answers, and (by default) upgrade it to head.

    Args:
        url: SQLite or PostgreSQL URL.
        migrate: Upgrade the schema to the newest migration.
        create: Allow a new database: create a missing SQLite file and the schema in an
            empty database. Only ``init`` and the GUI's first-run setup pass True; every
            other command refuses to create a database where it expected one.
    """
    engine = make_engine(url, create=create)
    check_connection(engine)
    if not create and _revision_or_failure(engine) is None:
        where = engine.url.database
        engine.dispose()
        raise StorageError(
            f"The database {where} is not an alpr-desktop database (it has no schema). "
            "Check --data-dir or --database-url, or create one with 'alpr-desktop init'."
        )
    if migrate:
        try:
            upgrade_to_head(engine)
        except BaseException:
            engine.dispose()
            raise
    log.info("database opened: %s", mask_url(engine.url))
    warnings: tuple[str, ...] = ()
    if engine.url.get_backend_name() == "sqlite":
        warnings = tuple(permission_warnings(Path(str(engine.url.database))))
        for warning in warnings:
            log.warning("%s", warning)
    return Database(engine, sessionmaker(engine, expire_on_commit=False), warnings)


def _revision_or_failure(engine: Engine) -> str | None:
    try:
        return current_revision(engine)
    except (OperationalError, DatabaseError) as exc:
        raise StorageError(describe_failure(engine, exc)) from None
