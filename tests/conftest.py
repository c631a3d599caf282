"""Shared fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL tests run when ``ALPR_TEST_POSTGRES_URL`` names a server's maintenance
database (for example ``postgresql://postgres@127.0.0.1:5432/postgres``); each test gets
a database of its own, dropped afterwards. Without the variable they are skipped here;
``.ci/run`` always sets it.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import threading
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from alpr_desktop.app import Application, open_application
from alpr_desktop.core.roles import Role
from alpr_desktop.services.base import Actor
from alpr_desktop.settings import Argon2Parameters, DepartmentSettings, LocalConfig
from alpr_desktop.storage.engine import sqlite_url
from alpr_desktop.storage.models import SettingRow

REPO_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ENV = "ALPR_TEST_POSTGRES_URL"
ADMIN_PASSWORD = "Chief-Passphrase-2026"
#: Contains no test username or full name ("user.dispatcher" is one: "User.Dispatcher").
USER_PASSWORD = "quiet-harbour-lantern-1234"
#: The cheapest Argon2 that OWASP allows (7 MiB, t=5, p=1: its least memory x passes);
#: the shipped defaults are measured in benchmarks/.
TEST_ARGON2 = Argon2Parameters(time_cost=5, memory_cost_kib=7168, parallelism=1)


def bench_dir() -> Path | None:
    candidate = Path(
        os.environ.get("ALPR_BENCH_DIR", REPO_ROOT.parent / "shared/bench/openalpr-us")
    )
    return candidate if candidate.is_dir() else None


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"test left threads running: {still}"


@pytest.fixture(autouse=True)
def _nothing_frozen() -> Iterator[None]:
    """What a test froze out of the garbage collector's sight (the application freezes
    its start-up objects, ``alpr_desktop/heap.py``) is given back to it afterwards, so
    one test's leftovers cannot outlive it."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ALPR_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("ALPR_REQUIRE_POSTGRES"):
            pytest.fail(f"ALPR_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not")
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
    return url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = f"alpr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_admin_url).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_db_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "db" / "alpr.sqlite3")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "db" / "alpr.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


def make_app(url: str, tmp_path: Path) -> Application:
    config = LocalConfig(database_url=url, data_dir=tmp_path / "data", workstation_name="test-ws")
    app = open_application(config, create=True)
    with app.database.sessions.begin() as session:
        rows = DepartmentSettings(argon2=TEST_ARGON2).to_rows()
        session.add(SettingRow(key="argon2", value=rows["argon2"]))
    return app


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Application]:
    """An opened application on a fresh database (SQLite and PostgreSQL)."""
    application = make_app(database_url, tmp_path)
    yield application
    application.close()


@pytest.fixture
def sqlite_app(sqlite_db_url: str, tmp_path: Path) -> Iterator[Application]:
    application = make_app(sqlite_db_url, tmp_path)
    yield application
    application.close()


def create_admin(app: Application) -> Actor:
    return app.services.auth.create_first_administrator(
        username="admin", full_name="Ada Admin", password=ADMIN_PASSWORD, organisation="Test PD"
    )


def create_active_user(
    app: Application,
    admin: Actor,
    username: str,
    roles: list[Role],
    *,
    trained: bool = True,
    approver: Actor | None = None,
) -> Actor:
    """An active user with a changed password (and, by default, current training).

    ``admin`` creates the account and records the training; a second person activates
    it (separation of duties, docs/accounts.md): ``approver``, or else this application's
    co-signing supervisor, made on first use while ``admin`` is still the only approver.
    """
    services = app.services
    if approver is None:
        approver = cosigner(app, admin)
    temporary = "temporary-pass-0001"
    view = services.users.create_user(
        admin,
        username=username,
        full_name=username.title(),
        roles=roles,
        temporary_password=temporary,
        organisation="Test PD",
    )
    services.users.activate(approver, view.id)
    if trained:
        services.users.add_training(
            admin, view.id, course="ALPR operator", completed_on=dt.date.today()
        )
    login = services.auth.login(username, temporary)
    services.auth.change_password(login.actor, temporary, USER_PASSWORD)
    return login.actor


#: Each application's co-signing supervisor, by ``id`` (dropped with the application).
_COSIGNERS: dict[int, Actor] = {}
COSIGNER = "co.signer"


def cosigner(app: Application, admin: Actor) -> Actor:
    """The supervisor who activates the accounts ``admin`` creates in tests."""
    found = _COSIGNERS.get(id(app))
    if found is None:
        if app.services.users.two_person_rules_in_force():
            raise RuntimeError("two-person rules already in force: pass approver= explicitly")
        # Created during the bootstrap, so the only approver (admin) may activate it.
        found = create_active_user(
            app, admin, COSIGNER, [Role.SUPERVISOR], trained=False, approver=admin
        )
        _COSIGNERS[id(app)] = found
        weakref.finalize(app, _COSIGNERS.pop, id(app), None)
    return found


@pytest.fixture
def admin(app: Application) -> Actor:
    return create_admin(app)
