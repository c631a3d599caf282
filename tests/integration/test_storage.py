"""Migrations and the clear errors for bad database input."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from alpr_desktop.errors import ConfigurationError, StorageError
from alpr_desktop.storage import own_ddl
from alpr_desktop.storage.engine import (
    HEAD_REVISION,
    current_revision,
    head_revision,
    make_engine,
    open_database,
    sqlite_url,
)
from alpr_desktop.storage.models import Base
from tests.conftest import REPO_ROOT


def test_migrations_take_empty_database_to_head(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    engine.dispose()
    db = open_database(database_url)
    try:
        assert current_revision(db.engine) == head_revision()
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        open_database(database_url).dispose()  # idempotent second start
    finally:
        db.dispose()


def test_head_constant_matches_alembic() -> None:
    assert head_revision() == HEAD_REVISION


def test_migrated_schema_matches_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = open_database(database_url)
    try:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": own_ddl.include_object}
            )
            with own_ddl.quiet_reflection():
                diff = compare_metadata(context, Base.metadata)
        # Only differences alembic reports for our UTC type decorator are tolerated.
        assert [d for d in diff if d[0] != "modify_type"] == []
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not valid"),
        ("mysql://root@localhost/x", "Unsupported database"),
        ("sqlite://", "must name a file"),
        ("postgresql://postgres@127.0.0.1:5432", "must name a database"),
    ],
)
def test_wrong_database_url(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        open_database(url)


def test_unreachable_postgres() -> None:
    with pytest.raises(StorageError, match=r"Cannot reach PostgreSQL at 127\.0\.0\.1:1"):
        open_database("postgresql://postgres@127.0.0.1:1/alpr")


def test_corrupt_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "alpr.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StorageError, match="not a SQLite database, or it is corrupt"):
        open_database(sqlite_url(path))


def test_damaged_sqlite_pages(tmp_path: Path) -> None:
    path = tmp_path / "alpr.sqlite3"
    open_database(sqlite_url(path)).dispose()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    data = bytearray(path.read_bytes())
    data[100:] = b"\xa5" * (len(data) - 100)  # keep the file header, wreck every page
    path.write_bytes(bytes(data))
    with pytest.raises(StorageError, match="corrupt|integrity|malformed"):
        open_database(sqlite_url(path))


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody can write to — not even root: a read-only tmpfs when root."""
    target = tmp_path / "ro"
    target.mkdir()
    if os.geteuid() != 0:
        target.chmod(0o555)
        yield target
        target.chmod(0o755)
        return
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot make a read-only directory as root here: {mount.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=False)


def test_read_only_data_directory(read_only_dir: Path) -> None:
    with pytest.raises(StorageError, match="read-only"):
        open_database(sqlite_url(read_only_dir / "alpr.sqlite3"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "alpr_desktop",
            "init",
            "--data-dir",
            str(read_only_dir),
            "--username",
            "chief",
            "--full-name",
            "Chief",
            "--password-stdin",
        ],
        input="a-long-enough-password\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "read-only" in result.stderr and "Traceback" not in result.stderr


def test_cli_reports_bad_url_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "alpr_desktop",
            "--database-url",
            "postgresql://postgres@127.0.0.1:1/x",
            "audit",
            "verify",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
        env={**os.environ, "ALPR_CONFIG_DIR": str(tmp_path)},
    )
    assert result.returncode == 2
    assert "Cannot reach PostgreSQL" in result.stderr and "Traceback" not in result.stderr
