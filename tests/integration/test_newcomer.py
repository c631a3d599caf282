"""What a newcomer meets first: commands that tell the truth and create nothing by mistake.

Each test runs the real ``alpr-desktop`` command in a fresh process (stdin not a
terminal, as under a script or CI) unless it needs to look inside the database.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from alpr_desktop.app import open_application
from alpr_desktop.settings import LocalConfig, default_data_dir
from alpr_desktop.storage.engine import sqlite_url
from tests.conftest import ADMIN_PASSWORD, REPO_ROOT


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    """Run ``python -m alpr_desktop ARGS`` with stdin a pipe (never a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "alpr_desktop", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def init_args(data_dir: Path) -> list[str]:
    return [
        "init",
        "--data-dir",
        str(data_dir),
        "--username",
        "dana.w",
        "--full-name",
        "Dana Whitfield",
    ]


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_init_without_a_terminal_says_how_to_pass_the_password(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"ALPR_PASSWORD": ""}
    result = cli(*init_args(data), env=env)
    assert_one_clear_line(result, "--password-stdin", "ALPR_PASSWORD", "nothing was created")
    assert not data.exists()


def test_init_takes_the_password_from_alpr_password(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = cli(*init_args(data), env={"ALPR_PASSWORD": ADMIN_PASSWORD})
    assert result.returncode == 0, result.stderr
    assert f"Embedded database — {data / 'alpr.sqlite3'}" in result.stdout
    assert cli("audit", "verify", "--data-dir", str(data)).returncode == 0


def test_audit_verify_on_a_mistyped_path_creates_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "no" / "such" / "dir"
    result = cli("audit", "verify", "--data-dir", str(typo))
    assert_one_clear_line(result, "There is no database at", str(typo / "alpr.sqlite3"))
    assert not (tmp_path / "no").exists()
    url = sqlite_url(tmp_path / "elsewhere.sqlite3")
    result = cli("--database-url", url, "audit", "verify")
    assert_one_clear_line(result, "There is no database at")
    assert list(tmp_path.iterdir()) == []


def test_audit_verify_refuses_an_empty_file_and_a_foreign_database(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    result = cli("--database-url", sqlite_url(empty), "audit", "verify")
    assert_one_clear_line(result, "is empty", "not an alpr-desktop database")
    assert empty.stat().st_size == 0
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    result = cli("--database-url", sqlite_url(foreign), "audit", "verify")
    assert_one_clear_line(result, "not an alpr-desktop database")
    with sqlite3.connect(foreign) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"recipes"}, "nothing was migrated into someone else's database"


@pytest.mark.postgres
def test_audit_verify_refuses_an_empty_postgres_database(postgres_url: str) -> None:
    result = cli("--database-url", postgres_url, "audit", "verify")
    assert_one_clear_line(result, "not an alpr-desktop database")
    from sqlalchemy import create_engine, inspect

    engine = create_engine(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_an_emptied_trail_beside_users_is_broken_not_intact(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(*init_args(data), "--password-stdin", stdin=ADMIN_PASSWORD + "\n").returncode == 0
    app = open_application(LocalConfig(data_dir=data))
    with app.database.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER access_records_no_delete"))
        conn.execute(text("DELETE FROM access_records"))
    app.close()
    result = cli("audit", "verify", "--data-dir", str(data))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout and "records are missing" in result.stdout
    assert "intact:" not in result.stdout


def test_global_options_work_after_the_sub_command(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = cli(*init_args(data), "-v", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "database opened" in result.stderr  # -v after the sub-command took effect
    url = sqlite_url(data / "alpr.sqlite3")
    for args in (
        ["audit", "verify", "--data-dir", str(data)],
        ["audit", "--data-dir", str(data), "verify"],
        ["--data-dir", str(tmp_path / "ignored"), "audit", "verify", "--database-url", url],
    ):
        result = cli(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert "intact" in result.stdout


def test_help_tells_where_the_data_lives_and_only_what_is_there() -> None:
    result = cli("--help")
    assert result.returncode == 0
    # argparse may wrap a long path anywhere; compare without the wrapping.
    assert str(default_data_dir()) in "".join(result.stdout.split())
    # Every capability's command is listed (maps are ``search --map``).
    assert "alerts" in result.stdout and "canvass" in result.stdout
    assert "release" in result.stdout and "purge" in result.stdout
    assert "--map" in cli("search", "--help").stdout
    init_help = cli("init", "--help").stdout
    assert "--data-dir" in init_help and "--password-stdin" in init_help


def test_files_are_private_to_their_owner(tmp_path: Path) -> None:
    data = tmp_path / "nested" / "data"
    assert cli(*init_args(data), "--password-stdin", stdin=ADMIN_PASSWORD + "\n").returncode == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "nested").stat().st_mode) == 0o700
    app = open_application(LocalConfig(data_dir=data))
    try:
        app.services.auth.setup_needed()
        for suffix in ("", "-wal", "-shm"):
            path = data / f"alpr.sqlite3{suffix}"
            assert path.exists(), path
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert app.database.warnings == ()
    finally:
        app.close()


def test_wider_modes_are_warned_about_at_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(*init_args(data), "--password-stdin", stdin=ADMIN_PASSWORD + "\n").returncode == 0
    data.chmod(0o755)
    (data / "alpr.sqlite3").chmod(0o644)
    result = cli("audit", "verify", "--data-dir", str(data))
    assert result.returncode == 0
    assert f"{data} can be read by other users" in result.stderr
    assert "chmod 600" in result.stderr and "chmod 700" in result.stderr


def test_settings_file_is_written_private_and_narrowed(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    LocalConfig(database_url="postgresql://alpr:secret@db.example/alpr").save(config_dir)
    target = config_dir / "config.json"
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    target.chmod(0o644)
    LocalConfig.load(config_dir).save(config_dir)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    target.chmod(0o400)
    LocalConfig.load(config_dir).save(config_dir)
    assert stat.S_IMODE(target.stat().st_mode) == 0o400, "a narrower mode is kept"


def test_an_unexpected_database_error_prints_no_sql(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy.exc import IntegrityError

    from alpr_desktop import cli, commands

    def fails(_command: str, _args: object) -> int:
        raise IntegrityError("INSERT INTO users (username) VALUES (?)", ("Secret-Pass1",), None)  # type: ignore[arg-type]

    monkeypatch.setattr(commands, "run", fails)
    assert cli.main(["audit", "verify"]) == 2
    err = capsys.readouterr().err
    assert "database error" in err and "INSERT" not in err and "Secret-Pass1" not in err


def test_a_readable_settings_file_is_warned_about_at_start(tmp_path: Path) -> None:
    data, config_dir = tmp_path / "data", Path(os.environ["ALPR_CONFIG_DIR"])
    assert cli(*init_args(data), "--password-stdin", stdin=ADMIN_PASSWORD + "\n").returncode == 0
    config_dir.mkdir(mode=0o755, exist_ok=True)
    config_dir.chmod(0o755)
    (config_dir / "config.json").write_text("{}", encoding="utf-8")
    (config_dir / "config.json").chmod(0o644)
    result = cli("audit", "verify", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    assert f"{config_dir} can be read by other users" in result.stderr
    assert f"{config_dir / 'config.json'} can be read by other users" in result.stderr
