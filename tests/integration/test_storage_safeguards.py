"""Issue 19 item 9: the server's clock, privilege warnings and the SQLite trail triggers."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from alpr_desktop.app import Application, open_application
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.models import AccessRecord
from alpr_desktop.storage.types import utcnow
from tests.conftest import ADMIN_PASSWORD, create_admin, make_app


def _config(url: str, tmp_path: Path) -> LocalConfig:
    return LocalConfig(database_url=url, data_dir=tmp_path / "data", workstation_name="test-ws")


def test_missing_sqlite_trail_triggers_are_restored_and_recorded(
    sqlite_db_url: str, tmp_path: Path
) -> None:
    app = make_app(sqlite_db_url, tmp_path)
    create_admin(app)
    app.close()
    path = make_url(sqlite_db_url).database
    assert path is not None
    with sqlite3.connect(path) as raw:
        raw.execute("DROP TRIGGER access_records_no_update")
        raw.execute("DROP TRIGGER access_records_no_delete")
    reopened = open_application(_config(sqlite_db_url, tmp_path))
    try:
        with reopened.database.sessions() as session:
            restored = session.scalars(
                select(AccessRecord).where(AccessRecord.action == "trail_triggers_restored")
            ).all()
        assert len(restored) == 1 and "access_records_no_update" in restored[0].detail
        assert any("triggers were missing" in w for w in reopened.security_warnings)
        with pytest.raises(DatabaseError, match="append-only"):
            with reopened.database.engine.begin() as conn:
                conn.execute(text("UPDATE access_records SET detail = 'rewritten'"))
    finally:
        reopened.close()
    again = open_application(_config(sqlite_db_url, tmp_path))
    try:
        assert not again.security_warnings  # intact now: nothing to restore or record
    finally:
        again.close()


@pytest.mark.postgres
def test_superuser_and_trail_owner_are_warned(postgres_url: str, tmp_path: Path) -> None:
    app = make_app(postgres_url, tmp_path)  # the test server's role is "postgres"
    try:
        warnings = " ".join(app.security_warnings)
        assert "superuser" in warnings and "owns" in warnings
    finally:
        app.close()


def test_sqlite_keeps_the_local_clock(sqlite_app: Application) -> None:
    assert sqlite_app.services.ctx.clock is utcnow


@pytest.mark.postgres
def test_timestamps_come_from_the_postgres_server(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alpr_desktop.storage.clock import DatabaseClock  # here: new in issue 19

    app = make_app(postgres_url, tmp_path)
    try:
        clock = app.services.ctx.clock
        assert isinstance(clock, DatabaseClock)
        with app.database.engine.connect() as conn:
            server = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
        assert abs((clock() - server).total_seconds()) < 1.0
        # A server whose clock is an hour ahead of this workstation's: records follow it.
        ahead = dt.timedelta(hours=1)
        real_read = clock.read_server
        monkeypatch.setattr(clock, "read_server", lambda: real_read() + ahead)
        monkeypatch.setattr(clock, "_resync", 0.0)
        create_admin(app)
        app.services.auth.login("admin", ADMIN_PASSWORD)
        with app.database.sessions() as session:
            stamps = session.scalars(select(AccessRecord.recorded_at)).all()
        assert stamps and all(s - utcnow() > ahead - dt.timedelta(minutes=1) for s in stamps)
    finally:
        app.close()


def test_the_gui_clock_estimate_never_asks_the_server() -> None:
    from sqlalchemy import create_engine

    from alpr_desktop.storage.clock import DatabaseClock

    clock = DatabaseClock(create_engine("sqlite://"))
    asked: list[bool] = []
    clock.read_server = lambda: asked.append(True) or dt.datetime.now(dt.UTC)  # type: ignore[method-assign]
    clock.estimate()
    assert not asked, "no reading yet: the local clock, no round trip"
    clock()
    assert asked == [True]
    clock.estimate()
    assert asked == [True]
