"""The scheduled maintenance job on SQLite and PostgreSQL: purge plus inactivity
suspension, run as the ``system`` user, daily after the start-up run."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.services.base import SYSTEM_USERNAME, Actor
from alpr_desktop.services.retention import BUSY_MESSAGE, PURGE_LOCK_KEY
from alpr_desktop.storage.models import AccessRecord, AccountState, PlateRead, User
from tests.conftest import create_active_user
from tests.integration.retention_helpers import aged_read, inconsistencies


def _age_activity(app: Application, username: str, days: int) -> None:
    with app.database.sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        user.last_activity_at = app.services.ctx.now() - dt.timedelta(days=days)


def _state(app: Application, username: str) -> AccountState:
    with app.database.sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return user.state


def _system_actions(app: Application) -> list[str]:
    with app.database.sessions() as session:
        return list(
            session.scalars(
                select(AccessRecord.action)
                .where(AccessRecord.username == SYSTEM_USERNAME)
                .order_by(AccessRecord.seq)
            )
        )


def _read_count(app: Application) -> int:
    with app.database.sessions() as session:
        return session.scalar(select(func.count()).select_from(PlateRead)) or 0


def test_run_purges_and_suspends_as_system(app: Application, admin: Actor) -> None:
    app.services.ingest.store(
        [aged_read(0, "7OLD000", days_old=400), aged_read(1, "7NEW001", days_old=3)]
    )
    create_active_user(app, admin, "idle.one", [Role.DISPATCHER])
    create_active_user(app, admin, "busy.one", [Role.DISPATCHER])
    _age_activity(app, "idle.one", 120)

    report = app.services.maintenance.run(force=True)

    assert report is not None and report.purge is not None
    assert report.purge.reads == 1 and report.suspended == ("idle.one",)
    assert "purged 1 read(s)" in report.summary() and "idle.one" in report.summary()
    assert _read_count(app) == 1 and inconsistencies(app) == []
    assert _state(app, "idle.one") is AccountState.SUSPENDED
    assert _state(app, "busy.one") is AccountState.ACTIVE
    assert _system_actions(app) == ["purge", "purge", "account_suspended"]
    with app.database.sessions() as session:
        record = session.scalar(
            select(AccessRecord).where(AccessRecord.action == "account_suspended")
        )
        assert record is not None and record.user_id is None
        assert "120" not in record.detail and "90 days" in record.detail


def test_daily_after_the_last_purge(app: Application, admin: Actor) -> None:
    class Clock:
        now = dt.datetime.now(dt.UTC)

        def __call__(self) -> dt.datetime:
            return self.now

    clock = Clock()
    app.services.ctx.clock = clock
    maintenance = app.services.maintenance
    assert maintenance.last_purge_at() is None and maintenance.due()
    assert maintenance.run() is not None  # never purged: due
    last = maintenance.last_purge_at()
    assert last is not None and abs((last - clock.now).total_seconds()) < 1
    assert maintenance.next_run_at() == last + dt.timedelta(days=1)
    clock.now += dt.timedelta(hours=23)
    assert not maintenance.due() and maintenance.run() is None
    assert maintenance.run(force=True) is not None  # the start-up run always runs
    clock.now += dt.timedelta(hours=24, seconds=1)
    assert maintenance.due() and maintenance.run() is not None


def test_last_active_administrator_is_never_suspended(app: Application, admin: Actor) -> None:
    create_active_user(app, admin, "admin.two", [Role.ADMINISTRATOR])
    _age_activity(app, "admin", 200)
    _age_activity(app, "admin.two", 150)
    report = app.services.maintenance.run(force=True)
    assert report is not None
    # The idler administrator goes; the other stays, though idle too: someone must be
    # able to reactivate accounts.
    assert report.suspended == ("admin",)
    assert _state(app, "admin.two") is AccountState.ACTIVE


def test_stop_before_the_end_is_completed_next_time(app: Application, admin: Actor) -> None:
    app.services.ingest.store([aged_read(i, f"7OLD{i:03d}", days_old=400) for i in range(5)])
    calls = 0

    def stop() -> bool:
        nonlocal calls
        calls += 1
        return calls > 2  # after two batches of one

    app.services.retention.purge(None, batch=1, stop=stop)
    assert _read_count(app) == 3
    report = app.services.maintenance.run(force=True)
    assert report is not None and report.purge is not None and report.purge.reads == 3
    assert _read_count(app) == 0 and inconsistencies(app) == []


@pytest.mark.postgres
def test_purge_lock_held_elsewhere_still_suspends(app: Application, admin: Actor) -> None:
    if app.database.backend != "postgresql":
        pytest.skip("the purge lock is PostgreSQL's")
    app.services.ingest.store([aged_read(0, "7OLD000", days_old=400)])
    create_active_user(app, admin, "idle.one", [Role.DISPATCHER])
    _age_activity(app, "idle.one", 120)
    with app.database.engine.connect() as other:  # another session: another workstation
        assert other.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": PURGE_LOCK_KEY})
        report = app.services.maintenance.run(force=True)
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PURGE_LOCK_KEY})
    assert report is not None and report.purge is None
    assert report.purge_error == BUSY_MESSAGE and report.suspended == ("idle.one",)
    assert _read_count(app) == 1
    assert "Purge not run" in report.summary()
