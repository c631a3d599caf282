"""The command line: init, audit verify, demo accounts."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest

from alpr_desktop.app import open_application
from alpr_desktop.cli import main
from alpr_desktop.core.roles import Role
from alpr_desktop.demo import credentials_banner, seed_demo
from alpr_desktop.settings import LocalConfig


def test_init_then_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d"
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    rc = main(
        [
            "--data-dir",
            str(data),
            "init",
            "--username",
            "Chief",
            "--full-name",
            "Chief Example",
            "--password-stdin",
        ]
    )
    assert rc == 0 and "Created administrator 'chief'" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    rc = main(
        [
            "--data-dir",
            str(data),
            "init",
            "--username",
            "again",
            "--full-name",
            "X",
            "--password-stdin",
        ]
    )
    assert rc == 2 and "already has users" in capsys.readouterr().err
    assert main(["--data-dir", str(data), "audit", "verify"]) == 0
    assert "intact: 1 records" in capsys.readouterr().out


def test_init_rejects_short_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    rc = main(
        [
            "--data-dir",
            str(tmp_path),
            "init",
            "--username",
            "chief",
            "--full-name",
            "C",
            "--password-stdin",
        ]
    )
    assert rc == 2 and "at least 12 characters" in capsys.readouterr().err
    app = open_application(LocalConfig(data_dir=tmp_path), create=True)
    try:
        assert app.services.auth.setup_needed()  # nothing half-created
    finally:
        app.close()


def test_audit_verify_reports_tampering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import text

    app = open_application(LocalConfig(data_dir=tmp_path), create=True)
    app.services.auth.create_first_administrator(
        username="chief", full_name="C", password="a-long-enough-password"
    )
    with app.database.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER access_records_no_update"))
        conn.execute(text("UPDATE access_records SET username = 'someone' WHERE seq = 1"))
    app.close()
    assert main(["--data-dir", str(tmp_path), "audit", "verify"]) == 1
    assert "BROKEN at record #1" in capsys.readouterr().out


def test_demo_accounts_one_per_role(tmp_path: Path) -> None:
    app = open_application(LocalConfig(data_dir=tmp_path), demo=True)
    demo_file = Path(str(app.database.engine.url.database))
    try:
        accounts = seed_demo(app)
        assert {a.role for a in accounts} == set(Role)
        for account in accounts:
            result = app.services.auth.login(account.username, account.password)
            assert not result.must_change_password
        banner = credentials_banner(accounts)
        assert all(a.password in banner for a in accounts)
        if importlib.util.find_spec("PIL") is not None:  # the renderer: the 'ocr' extra
            dispatcher = next(a for a in accounts if a.role is Role.DISPATCHER)
            actor = app.services.auth.login(dispatcher.username, dispatcher.password).actor
            cameras = app.services.cameras.list_for_recognition(actor)
            assert len(cameras) == 4
            videos = {c.source for c in cameras if c.kind.value == "file"}
            assert len(videos) == 3 and all(Path(v).is_file() for v in videos)
            assert [c.kind.value for c in cameras].count("rtsp") == 1
            mobile = [c for c in cameras if c.mobile]
            assert len(mobile) == 1 and mobile[0].gps_fix_count > 1000
            now = app.services.ctx.now()
            assert mobile[0].track_start <= now <= mobile[0].track_end
    finally:
        app.close()
    assert not demo_file.exists(), "the demo database is thrown away"
