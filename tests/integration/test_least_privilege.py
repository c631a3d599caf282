"""Issue 15 item 6: the application's PostgreSQL role owns nothing and cannot undo the trail.

``alpr-desktop db create-roles`` is run as the test server's superuser (the database
owner here) on a database of this module's own, with role names of its own, all dropped
afterwards. Then the application is opened with the application role's URL and used
through its services, and the role is tried at everything that would rewrite the trail.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ProgrammingError

from alpr_desktop import cli
from alpr_desktop.app import open_application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import AuthenticationError, StorageError
from alpr_desktop.services.alert_feed import AlertFeed, FeedState
from alpr_desktop.services.cameras import CameraFields
from alpr_desktop.services.hotlist_fields import EntryFields
from alpr_desktop.services.search import CanvassRequest, SearchRequest
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage import roles_setup
from alpr_desktop.storage.engine import HEAD_REVISION, current_revision, open_database
from alpr_desktop.storage.models import AuditReportStatus, ReviewVerdict
from tests.conftest import ADMIN_PASSWORD, create_active_user, create_admin, make_app
from tests.integration.ingest_helpers import T0, placed_read
from tests.integration.test_alert_feed import Collector

APP_PASSWORD = "app-role-passphrase-2026"
PURPOSE = "Criminal investigation"
CASE = "26-007001"
SCENE = (38.5800, -121.4900)
MIGRATIONS = str(resources.files("alpr_desktop.storage").joinpath("migrations"))


@dataclass(frozen=True)
class Roles:
    database: str
    owner_url: str  # who runs the db commands: the database owner (or the superuser)
    super_url: str  # the superuser, for looking at and preparing what tests need
    app_url: str
    app_role: str
    owner_role: str
    #: create-roles was given --owner-role; else the schema's present owner stays it.
    owner_option: bool = True


def _cli(argv: list[str], stdin: str = "") -> int:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdin", io.StringIO(stdin))
        return cli.main(argv)


def _create_roles(roles: Roles, *extra: str, stdin: str = "") -> int:
    owner = ["--owner-role", roles.owner_role] if roles.owner_option else []
    argv = ["db", "create-roles", "--database-url", roles.owner_url]
    return _cli([*argv, "--app-role", roles.app_role, *owner, *extra], stdin)


@contextmanager
def least_privilege_database(
    admin_url: str, *, existing_schema: bool = False, dba: bool = False, owner_role: bool = True
) -> Iterator[Roles]:
    """A database of its own with an owner and an application role, all dropped after.

    Args:
        existing_schema: the superuser makes the schema first, as an installation from
            before the roles did (a version that migrated at start), so ``create-roles``
            has to hand it to the owner role.
        dba: the database is owned by a plain login role with CREATEROLE, as the README
            sets it up, and that role runs the db commands; else the superuser does.
        owner_role: pass ``--owner-role``; without it the role running the command (or
            the schema's present owner) keeps the schema.
    """
    suffix = uuid.uuid4().hex[:10]
    name = f"alpr_lp_{suffix}"
    app_role, owner_name, dba_role = (f"alpr_{r}_{suffix}" for r in ("app", "owner", "dba"))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if dba:
            conn.execute(text(f'CREATE ROLE "{dba_role}" LOGIN CREATEROLE'))
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{dba_role}"'))
        else:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    super_url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    owner_url = super_url.set(username=dba_role) if dba else super_url
    roles = Roles(
        database=name,
        owner_url=owner_url.render_as_string(hide_password=False),
        super_url=super_url.render_as_string(hide_password=False),
        app_url=super_url.set(username=app_role, password=APP_PASSWORD).render_as_string(
            hide_password=False
        ),
        app_role=app_role,
        owner_role=owner_name if owner_role else str(owner_url.username),
        owner_option=owner_role,
    )
    try:
        if existing_schema:
            open_database(roles.owner_url, create=True).dispose()
        assert _create_roles(roles, "--password-stdin", stdin=APP_PASSWORD + "\n") == 0
        yield roles
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in (app_role, owner_name, dba_role):
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


@pytest.fixture(scope="module")
def roles(postgres_admin_url: str) -> Iterator[Roles]:
    with least_privilege_database(postgres_admin_url, dba=True) as made:
        yield made


@pytest.fixture(scope="module")
def app_engine(roles: Roles) -> Iterator[Engine]:
    engine = create_engine(roles.app_url)
    yield engine
    engine.dispose()


def _config(url: str, tmp_path: Path) -> LocalConfig:
    return LocalConfig(database_url=url, data_dir=tmp_path / "data", workstation_name="test-ws")


#: What would rewrite the trail or switch its protection off, each refused for lack of a
#: privilege or of ownership (SQLSTATE 42501) before any trigger is reached.
REFUSED = [
    "UPDATE access_records SET detail = 'rewritten'",
    "DELETE FROM access_records",
    "TRUNCATE access_records",
    "ALTER TABLE access_records DISABLE TRIGGER access_records_append_only",
    "ALTER TABLE access_records DISABLE TRIGGER ALL",
    "DROP TRIGGER access_records_append_only ON access_records",
    "DROP TRIGGER access_records_no_truncate ON access_records",
    "CREATE TRIGGER sneak BEFORE INSERT ON access_records "
    "FOR EACH ROW EXECUTE FUNCTION access_records_refuse_change()",
    "CREATE OR REPLACE FUNCTION access_records_refuse_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
    "DROP TABLE access_records",
    "ALTER TABLE access_records RENAME TO old_records",
    "UPDATE audit_checkpoints SET signature = 'forged'",
    "DELETE FROM audit_checkpoints",
    "TRUNCATE audit_checkpoints",
    "UPDATE alembic_version SET version_num = '0001'",
    "TRUNCATE users",
    "CREATE TABLE shadow (id integer)",
    "CREATE SCHEMA shadow",
]


@pytest.mark.postgres
@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_cannot_rewrite_or_unprotect_the_trail(
    app_engine: Engine, statement: str
) -> None:
    with pytest.raises(ProgrammingError) as refused, app_engine.begin() as conn:
        conn.execute(text(statement))
    assert refused.value.orig is not None
    assert getattr(refused.value.orig, "sqlstate", None) == "42501"
    assert "append-only" not in str(refused.value.orig)  # the privilege, not the trigger


@pytest.mark.postgres
def test_the_app_role_cannot_become_the_owner(app_engine: Engine, roles: Roles) -> None:
    for statement in (
        f'SET ROLE "{roles.owner_role}"',
        f'GRANT "{roles.owner_role}" TO "{roles.app_role}"',
        f'ALTER TABLE access_records OWNER TO "{roles.app_role}"',
    ):
        with pytest.raises(ProgrammingError) as refused, app_engine.begin() as conn:
            conn.execute(text(statement))
        assert getattr(refused.value.orig, "sqlstate", None) == "42501", statement


@pytest.mark.postgres
def test_the_owner_could_do_what_the_app_role_cannot(roles: Roles) -> None:
    # The refused statements are real ones: the owner role runs them (rolled back).
    engine = roles_setup.act_as(create_engine(roles.owner_url), roles.owner_role)
    try:
        with engine.connect() as conn:
            for statement in (
                "ALTER TABLE access_records DISABLE TRIGGER access_records_append_only",
                "DROP TRIGGER access_records_no_truncate ON access_records",
                "CREATE TABLE shadow (id integer)",
            ):
                conn.execute(text(statement))
            conn.rollback()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_privileges_are_the_table_in_code(app_engine: Engine, roles: Roles) -> None:
    with app_engine.connect() as conn:
        table = roles_setup.privilege_table(conn, roles.app_role)
        owners = set(
            conn.execute(
                text(
                    "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
                    "WHERE relnamespace = 'public'::regnamespace"
                )
            ).scalars()
        )
        kinds: dict[str, str] = {
            name: kind
            for name, kind in conn.execute(
                text(
                    "SELECT relname, relkind FROM pg_class "
                    "WHERE relnamespace = 'public'::regnamespace"
                )
            )
        }
    assert owners == {roles.owner_role}  # the app role owns nothing
    assert table["access_records"] == ("INSERT", "SELECT")
    assert table["audit_checkpoints"] == ("INSERT", "SELECT")
    assert table["alembic_version"] == ("SELECT",)
    assert table["users"] == ("DELETE", "INSERT", "SELECT", "UPDATE")
    for name, kind in kinds.items():
        if kind == "S":
            assert table[name] == ("USAGE",), name
        elif kind == "r":
            assert table[name] == tuple(sorted(roles_setup.privileges_for(name))), name


@pytest.mark.postgres
def test_the_application_works_fully_under_the_app_role(roles: Roles, tmp_path: Path) -> None:
    app = make_app(roles.app_url, tmp_path)
    try:
        assert app.security_warnings == ()  # neither superuser nor the trail's owner
        services = app.services
        admin = create_admin(app)
        with pytest.raises(AuthenticationError):
            services.auth.login("admin", "not-the-password-at-all")  # throttle rows
        admin = services.auth.login("admin", ADMIN_PASSWORD).actor
        detective = create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])
        dispatcher = create_active_user(app, admin, "disp.one", [Role.DISPATCHER])
        services.settings.update(admin, agency_name="Least Privilege PD")
        services.cameras.create(
            admin,
            CameraFields(name="North gate", source="0", latitude=SCENE[0], longitude=SCENE[1]),
        )
        stolen = services.hotlists.create(admin, "Stolen")
        services.hotlists.add_entry(admin, stolen.id, EntryFields("7ABC123", "stolen_vehicle"))
        # The dispatcher's feed LISTENs on its own connection as the app role (no
        # polling: only NOTIFY wakes it).
        got = Collector()
        feed = AlertFeed(
            services,
            dispatcher,
            on_batch=got.on_batch,
            on_status=got.on_status,
            poll_interval=3600.0,
        )
        feed.start()
        try:
            assert got.next_batch().new == []
            got.wait_state(FeedState.LIVE)
            stored = services.ingest.store(
                [
                    placed_read(1, "7ABC123", tag="lp", camera="North gate", at=SCENE),
                    placed_read(2, "8XYZ451", tag="lp", camera="North gate", at=SCENE, minutes=5),
                ]
            )
            [alert_id] = stored.alerts
            assert [a.id for a in got.next_batch().new] == [alert_id]
        finally:
            feed.stop()
        decided = services.alerts.dispose(dispatcher, alert_id, accept=False, reason="Misread")
        assert decided.disposition_reason == "Misread"
        found = services.search.search(detective, SearchRequest("7AB*", PURPOSE, CASE))
        assert [r.plate_text for r in found.results] == ["7ABC123"]
        canvass = services.search.canvass(
            detective,
            CanvassRequest(*SCENE, 500.0, T0, T0 + dt.timedelta(hours=1), PURPOSE, CASE),
        )
        assert {p.plate_text for p in canvass.plates} == {"7ABC123", "8XYZ451"}
        # The periodic audit: run, every sampled search reviewed, signed off.
        supervisor = create_active_user(app, admin, "sup.one", [Role.SUPERVISOR])
        today = dt.datetime.now(dt.UTC).date()
        reports = services.audit_reports
        report = reports.run(
            supervisor, since=today - dt.timedelta(days=1), until=today + dt.timedelta(days=1)
        )
        assert report.items  # the detective's search is in the sample
        for item in report.items:
            reports.review(supervisor, report.summary.id, item.id, ReviewVerdict.JUSTIFIED)
        signed_off = reports.sign_off(supervisor, report.summary.id, "Reviewed.")
        assert signed_off.summary.status is AuditReportStatus.SIGNED_OFF
        services.checkpoints.create_key(admin)
        signed = services.checkpoints.sign_now(admin)
        assert signed.report.ok
        assert services.audit.verify(admin, full=True).ok
        services.users.suspend(admin, dispatcher.user_id, "left the unit")
        services.auth.record_session_event(admin, "logout")
    finally:
        app.close()
    owner = create_engine(roles.owner_url)
    try:
        with owner.connect() as conn:
            recorded = conn.execute(
                text("SELECT count(*) FROM access_records WHERE case_number = :case"),
                {"case": CASE},
            ).scalar()
            checkpoints = conn.execute(text("SELECT count(*) FROM audit_checkpoints")).scalar()
        assert recorded == 2 and checkpoints == 1  # the search and the canvass; one signed
    finally:
        owner.dispose()


def _snapshot(roles: Roles) -> tuple[object, ...]:
    engine = create_engine(roles.super_url)
    try:
        with engine.connect() as conn:
            acl = conn.execute(
                text(
                    "SELECT relname, relacl::text, pg_get_userbyid(relowner) FROM pg_class "
                    "WHERE relnamespace = 'public'::regnamespace ORDER BY 1"
                )
            ).all()
            defaults = conn.execute(
                text("SELECT defaclobjtype, defaclacl::text FROM pg_default_acl ORDER BY 1")
            ).all()
            role = conn.execute(
                text(
                    "SELECT rolcanlogin, rolsuper, rolpassword FROM pg_authid "
                    "WHERE rolname IN (:app, :owner) ORDER BY rolname"
                ),
                {"app": roles.app_role, "owner": roles.owner_role},
            ).all()
            database = conn.execute(
                text("SELECT datacl::text FROM pg_database WHERE datname = current_database()")
            ).scalar()
            schema = conn.execute(
                text("SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'")
            ).scalar()
        return (acl, defaults, role, database, schema)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_create_roles_twice_changes_nothing(
    roles: Roles, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(roles)
    app_row = before[2][0]  # type: ignore[index]
    assert str(app_row.rolpassword).startswith("SCRAM-SHA-256$")  # --password-stdin set it
    capsys.readouterr()
    assert _create_roles(roles) == 0
    out = capsys.readouterr().out
    assert "no role created; password unchanged" in out
    assert "0 objects handed to the owner" in out
    assert _snapshot(roles) == before


@pytest.mark.postgres
def test_an_out_of_date_schema_says_who_must_upgrade(
    postgres_admin_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An installation from before the roles: its schema belongs to the superuser.
    with least_privilege_database(postgres_admin_url, existing_schema=True) as made:
        assert "objects handed to the owner" in capsys.readouterr().out
        owner = roles_setup.act_as(create_engine(made.owner_url), made.owner_role)
        cfg = Config()
        cfg.set_main_option("script_location", MIGRATIONS)
        cfg.attributes["engine"] = owner
        command.downgrade(cfg, "-1")  # as if this version were newer than the schema
        behind = current_revision(owner)
        assert behind is not None and behind != HEAD_REVISION
        with pytest.raises(StorageError) as told:
            open_application(_config(made.app_url, tmp_path))
        assert str(told.value) == (
            f"The database {made.database} is at revision {behind}, this version needs "
            f"{HEAD_REVISION}: ask the database owner to run `alpr-desktop db upgrade`."
        )
        assert current_revision(owner) == behind  # the app role did not try
        assert _cli(["db", "upgrade", "--database-url", made.owner_url]) == 0
        out = capsys.readouterr().out
        assert f"was at {behind}, is at {HEAD_REVISION} now" in out
        assert f"Privileges re-applied for {made.app_role}." in out
        app = open_application(_config(made.app_url, tmp_path))
        try:
            assert app.security_warnings == ()
            with app.database.engine.connect() as conn:
                table = roles_setup.privilege_table(conn, made.app_role)
            # The tables the upgrade made again are granted by the table in code.
            assert table["audit_checkpoints"] == ("INSERT", "SELECT")
            admin = create_admin(app)
            assert app.services.audit.verify(admin).ok
        finally:
            app.close()
        owner.dispose()


@pytest.mark.postgres
def test_an_empty_database_tells_the_app_role_to_ask_the_owner(
    roles: Roles, postgres_admin_url: str
) -> None:
    name = f"alpr_lp_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(roles.app_url).set(database=name).render_as_string(hide_password=False)
        with pytest.raises(StorageError, match="may not create one: ask the database owner"):
            open_database(url, create=True)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_create_roles_refuses_roles_that_could_undo_the_trail(
    roles: Roles, capsys: pytest.CaptureFixture[str]
) -> None:
    suffix = uuid.uuid4().hex[:8]
    made = {
        f"alpr_super_{suffix}": "NOLOGIN SUPERUSER",
        f"alpr_maker_{suffix}": "LOGIN CREATEROLE",
        f"alpr_member_{suffix}": f'LOGIN IN ROLE "{roles.owner_role}"',
        f"alpr_via_{suffix}": f'LOGIN IN ROLE "alpr_maker_{suffix}"',
    }
    admin = create_engine(roles.super_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name, attributes in made.items():
            conn.execute(text(f'CREATE ROLE "{name}" {attributes}'))
    try:
        capsys.readouterr()
        superuser, maker, member, via = made
        cases = {
            via: f"belongs to {maker}, which may do more than it",
            superuser: "is a superuser",
            maker: "allowed to create roles (CREATEROLE)",
            roles.owner_role: "must not be the schema's owner",
            member: f"is a member of the owner role '{roles.owner_role}'",
        }
        for app_role, message in cases.items():
            argv = ["db", "create-roles", "--database-url", roles.owner_url]
            argv += ["--app-role", app_role, "--owner-role", roles.owner_role]
            assert _cli(argv) == 2, app_role
            assert message in capsys.readouterr().err
    finally:
        with admin.connect() as conn:
            for name in reversed(made):
                conn.execute(text(f'DROP ROLE "{name}"'))
        admin.dispose()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--app-role", 'x"; DROP TABLE users; --'], "is not a usable role name"),
        (["--app-role", "pg_signal_backend"], "is not a usable role name"),
        (["--app-role", "alpr_app", "--owner-role", "Owner"], "is not a usable role name"),
    ],
)
def test_bad_role_names_are_refused_before_connecting(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 1 answers nothing: reaching it would print "Cannot reach PostgreSQL" instead.
    url = "postgresql://owner@127.0.0.1:1/alpr"
    assert _cli(["db", "create-roles", "--database-url", url, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "nothing was changed" in err


def test_db_commands_need_a_postgresql_owner_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(["db", "upgrade"]) == 2
    assert "needs --database-url postgresql://OWNER@HOST:PORT/DB" in capsys.readouterr().err
    sqlite = f"sqlite:///{tmp_path / 'alpr.sqlite3'}"
    assert _cli(["db", "create-roles", "--database-url", sqlite, "--app-role", "alpr_app"]) == 2
    assert "are for PostgreSQL" in capsys.readouterr().err
    assert not (tmp_path / "alpr.sqlite3").exists()


@pytest.mark.postgres
def test_a_role_that_may_rewrite_the_trail_is_warned_at_start(roles: Roles, tmp_path: Path) -> None:
    wide = f"alpr_wide_{uuid.uuid4().hex[:8]}"
    admin = create_engine(roles.super_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{wide}" LOGIN'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE ON access_records TO "{wide}"'))
        conn.execute(text(f'GRANT SELECT ON alembic_version, settings TO "{wide}"'))
    try:
        url = make_url(roles.app_url).set(username=wide).render_as_string(hide_password=False)
        app = open_application(_config(url, tmp_path))
        try:
            [warning] = app.security_warnings
            assert (
                f"The database role {wide!r} holds UPDATE, DELETE, TRUNCATE or TRIGGER" in warning
            )
            assert "`alpr-desktop db create-roles`" in warning
        finally:
            app.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{wide}"'))
            conn.execute(text(f'DROP ROLE "{wide}"'))
        admin.dispose()


@pytest.mark.postgres
def test_upgrade_refreshes_only_application_roles(
    roles: Roles, capsys: pytest.CaptureFixture[str]
) -> None:
    # A reporting role the owner also grants to (by default privileges) keeps what it had.
    reporter = f"alpr_reporter_{uuid.uuid4().hex[:8]}"
    admin = create_engine(roles.super_url, isolation_level="AUTOCOMMIT")
    defaults = f'ALTER DEFAULT PRIVILEGES FOR ROLE "{roles.owner_role}" IN SCHEMA public'
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{reporter}" LOGIN'))
        conn.execute(text(f'{defaults} GRANT SELECT ON TABLES TO "{reporter}"'))
        conn.execute(text(f'GRANT SELECT ON users TO "{reporter}"'))
    try:
        capsys.readouterr()
        assert _cli(["db", "upgrade", "--database-url", roles.owner_url]) == 0
        assert f"Privileges re-applied for {roles.app_role}.\n" in capsys.readouterr().out
        with admin.connect() as conn:
            assert roles_setup.privilege_table(conn, reporter) == {"users": ("SELECT",)}
            assert roles_setup.privilege_table(conn, roles.app_role)["users"] == (
                "DELETE",
                "INSERT",
                "SELECT",
                "UPDATE",
            )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'{defaults} REVOKE SELECT ON TABLES FROM "{reporter}"'))
            conn.execute(text(f'DROP OWNED BY "{reporter}"'))
            conn.execute(text(f'DROP ROLE "{reporter}"'))
        admin.dispose()


@pytest.mark.postgres
def test_a_schema_owned_by_a_login_role_migrates_at_its_start_and_regrants(
    postgres_admin_url: str, tmp_path: Path
) -> None:
    # A single-role installation that adds an application role without an owner role:
    # the login role that owns the schema still upgrades it by starting the application,
    # and the application role gets the tables that upgrade made.
    with least_privilege_database(
        postgres_admin_url, existing_schema=True, dba=True, owner_role=False
    ) as made:
        owner = create_engine(made.owner_url)
        cfg = Config()
        cfg.set_main_option("script_location", MIGRATIONS)
        cfg.attributes["engine"] = owner
        command.downgrade(cfg, "-1")
        with pytest.raises(StorageError, match="ask the database owner to run"):
            open_application(_config(made.app_url, tmp_path))
        open_application(_config(made.owner_url, tmp_path)).close()  # migrates: it owns it
        assert current_revision(owner) == HEAD_REVISION
        with owner.connect() as conn:
            table = roles_setup.privilege_table(conn, made.app_role)
            owners = conn.execute(
                text(
                    "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
                    "WHERE relnamespace = 'public'::regnamespace"
                )
            ).scalars()
            assert set(owners) == {made.owner_role}
        assert table["audit_checkpoints"] == ("INSERT", "SELECT")
        assert table["alembic_version"] == ("SELECT",)
        owner.dispose()
        app = open_application(_config(made.app_url, tmp_path))
        try:
            assert app.security_warnings == ()
            assert app.services.audit.verify(create_admin(app)).ok
        finally:
            app.close()


@pytest.mark.postgres
def test_only_the_owner_or_its_member_may_upgrade(
    roles: Roles, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert _cli(["db", "upgrade", "--database-url", roles.app_url]) == 2
    err = capsys.readouterr().err
    assert f"The schema belongs to '{roles.owner_role}': connect as" in err
    assert _create_roles(roles, "--password-stdin", stdin="\n") == 2
    assert "No password on standard input; nothing was changed." in capsys.readouterr().err
