"""``alpr-desktop users …``: the Users page's service from the command line."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from alpr_desktop.app import open_application
from alpr_desktop.cli import main
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with one administrator, ``dana.w``; ALPR_PASSWORD holds its password."""
    directory = tmp_path / "data"
    monkeypatch.setenv("ALPR_PASSWORD", ADMIN_PASSWORD)
    init = ["init", "--data-dir", str(directory), "--username", "dana.w"]
    assert main([*init, "--full-name", "Dana Whitfield"]) == 0
    return directory


def users(data: Path, *args: str) -> int:
    return main(["users", *args, "--data-dir", str(data), "--user", "dana.w"])


def test_add_activate_train_list(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert users(data, "add", "sam.d", "--full-name", "Sam Dispatcher", "--role", "dispatcher") == 0
    out = capsys.readouterr().out
    assert "pending" in out
    temporary = re.search(r"shown once\): (\S+)", out)
    assert temporary is not None and len(temporary.group(1)) >= 12
    assert users(data, "activate", "sam.d") == 0
    assert (
        users(data, "training", "sam.d", "--course", "ALPR 101", "--completed", "2026-11-01") == 0
    )
    capsys.readouterr()
    assert users(data, "list") == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["USERNAME", "NAME", "ROLES", "STATE", "TRAINING"]
    sam = next(line for line in listing if line.startswith("sam.d"))
    assert "dispatcher" in sam and "active" in sam and "until" in sam
    # Each command signed in, acted through the service and signed out: all recorded.
    app = open_application(LocalConfig(data_dir=data))
    try:
        with app.database.sessions() as session:
            actions = list(session.scalars(select(AccessRecord.action).order_by(AccessRecord.seq)))
    finally:
        app.close()
    assert "create_user" in actions and actions.count("logout") >= 4


def test_errors_are_one_line_and_change_nothing(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    capsys.readouterr()
    assert users(data, "suspend", "nobody", "--reason", "x") == 2
    assert capsys.readouterr().err.strip() == "alpr-desktop: There is no account 'nobody'."
    assert users(data, "add", "x.y", "--full-name", "X Y", "--role", "wizard") == 2
    assert "unknown role" in capsys.readouterr().err
    assert users(data, "training", "dana.w", "--course", "C", "--completed", "01/11/2026") == 2
    assert "is not a date" in capsys.readouterr().err
    monkeypatch.setenv("ALPR_PASSWORD", "not-the-password")
    assert users(data, "list") == 2
    assert "Unknown username or wrong password" in capsys.readouterr().err


def test_without_a_terminal_or_password_it_says_how(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALPR_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    capsys.readouterr()
    assert users(data, "list") == 2
    assert "--password-stdin" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN_PASSWORD + "\n"))
    assert (
        main(["users", "list", "--data-dir", str(data), "--user", "dana.w", "--password-stdin"])
        == 0
    )
