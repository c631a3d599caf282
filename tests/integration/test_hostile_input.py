"""Hostile text input: refused by the services with a clear message, the same on both databases.

On PostgreSQL a NUL byte or an over-long value used to escape as ``psycopg.DataError``
(with the SQL); on SQLite it was stored. Every case here must give a ValidationError
naming the field — or, at sign-in, the ordinary bad-credentials answer.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AuthenticationError, ValidationError
from alpr_desktop.services.auth import BAD_CREDENTIALS
from alpr_desktop.services.base import Actor
from alpr_desktop.services.users import UserView
from alpr_desktop.storage.models import TrainingRecord, User
from tests.conftest import ADMIN_PASSWORD

TEMP = "temporary-pass-0002"
NUL = "\x00"


def _create(app: Application, admin: Actor, **fields: str) -> UserView:
    values = {"username": "hostile", "full_name": "Hostile Input"} | fields
    return app.services.users.create_user(
        admin, roles=["dispatcher"], temporary_password=TEMP, **values
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", f"bad{NUL}name", "username is 3–64"),
        ("username", "x" * 65, "username is 3–64"),
        ("full_name", f"Eve{NUL}Hostile", "full name must not contain control"),
        ("full_name", "E" * 201, "full name must be at most 200"),
        ("full_name", "Eve\nHostile", "full name must not contain control"),
        ("organisation", f"PD{NUL}", "organisation must not contain control"),
        ("organisation", "O" * 201, "organisation must be at most 200"),
        ("badge_number", f"12{NUL}34", "badge number must not contain control"),
        ("badge_number", "9" * 33, "badge number must be at most 32"),
        ("title", "T" * 121, "title must be at most 120"),
        ("email", f"a{NUL}@example.org", "e-mail address must not contain control"),
        ("email", "e" * 201, "e-mail address must be at most 200"),
        ("full_name", "Eve \ud800 Hostile", "full name must not contain control"),
    ],
)
def test_account_fields(
    app: Application, admin: Actor, field: str, value: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        _create(app, admin, **{field: value})
    with app.database.sessions() as session:
        assert session.scalar(select(func.count(User.id))) == 1, "nothing was stored"


def test_fields_at_their_limit_are_stored(app: Application, admin: Actor) -> None:
    view = _create(
        app,
        admin,
        full_name="F" * 200,
        organisation="O" * 200,
        badge_number="9" * 32,
        title="T" * 120,
        email="e" * 200,
    )
    assert view.badge_number == "9" * 32


@pytest.mark.parametrize(
    "typed",
    [f"admin{NUL}", f"{NUL}", "a" * 65, "admin" + "x" * 500, "ad\ud800min", "admin\x1b[2J"],
)
def test_sign_in_with_impossible_username(app: Application, admin: Actor, typed: str) -> None:
    with pytest.raises(AuthenticationError) as info:
        app.services.auth.login(typed, ADMIN_PASSWORD)
    assert str(info.value) == BAD_CREDENTIALS
    assert app.services.auth.login("admin", ADMIN_PASSWORD)


def test_sign_in_with_64_character_prefix_of_a_name_does_not_match(app: Application) -> None:
    name = "a" * 64
    app.services.auth.create_first_administrator(
        username=name, full_name="Long Name", password=ADMIN_PASSWORD
    )
    with pytest.raises(AuthenticationError):
        app.services.auth.login(name + "zzz", ADMIN_PASSWORD)
    assert app.services.auth.login(name, ADMIN_PASSWORD)


@pytest.mark.parametrize(
    ("full_name", "organisation", "message"),
    [
        (f"Ada{NUL}", "", "full name must not contain control"),
        ("A" * 201, "", "full name must be at most 200"),
        ("Ada Admin", f"PD{NUL}", "organisation must not contain control"),
    ],
)
def test_first_administrator_fields(
    app: Application, full_name: str, organisation: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        app.services.auth.create_first_administrator(
            username="admin",
            full_name=full_name,
            password=ADMIN_PASSWORD,
            organisation=organisation,
        )
    assert app.services.auth.setup_needed()


@pytest.mark.parametrize(
    ("course", "notes", "message"),
    [
        (f"ALPR{NUL}", "", "training course must not contain control"),
        ("C" * 201, "", "training course must be at most 200"),
        ("ALPR", f"passed{NUL}", "notes must not contain control"),
    ],
)
def test_training_fields(
    app: Application, admin: Actor, course: str, notes: str, message: str
) -> None:
    target = _create(app, admin)
    with pytest.raises(ValidationError, match=message):
        app.services.users.add_training(
            admin,
            target.id,
            course=course,
            completed_on=dt.date.today(),
            notes=notes,
        )
    with app.database.sessions() as session:
        assert not session.scalar(select(func.count(TrainingRecord.id)))


def test_training_notes_may_have_lines(app: Application, admin: Actor) -> None:
    target = _create(app, admin)
    app.services.users.add_training(
        admin,
        target.id,
        course="ALPR",
        completed_on=dt.date.today(),
        notes="Passed.\n\tScore 92",
    )


def test_reason_fields(app: Application, admin: Actor) -> None:
    target = _create(app, admin).id
    app.services.users.activate(admin, target)
    with pytest.raises(ValidationError, match="reason must not contain control"):
        app.services.users.suspend(admin, target, f"leave{NUL}")
    with pytest.raises(ValidationError, match="reason must be at most 500"):
        app.services.users.deactivate(admin, target, "r" * 501)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"agency_name": f"PD{NUL}"}, "agency name must not contain control"),
        ({"tile_url": f"https://x/{NUL}"}, "map tile server must not contain control"),
        ({"purposes": ["Investigation", f"Bad{NUL}"]}, "access purpose must not contain"),
        ({"purposes": ["Investigation", "P" * 201]}, "access purpose must be at most 200"),
        ({"disposition_reasons": ["R" * 201]}, "disposition reason must be at most 200"),
    ],
)
def test_settings_fields(
    app: Application, admin: Actor, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        app.services.settings.update(admin, **changes)


@pytest.mark.parametrize(
    ("case_number", "message"),
    [(f"2026{NUL}1", "case number must not contain control"), ("C" * 65, "at most 64")],
)
def test_case_number(app: Application, admin: Actor, case_number: str, message: str) -> None:
    purpose = app.services.settings.current().purposes[0]
    with pytest.raises(ValidationError, match=message):
        _record_access(app, admin, purpose, case_number)


def _record_access(app: Application, actor: Actor, purpose: str, case_number: str) -> object:
    with app.database.sessions.begin() as session:
        return app.services.audit.record_data_access(
            session,
            actor,
            Action.SEARCH_READS,
            purpose=purpose,
            case_number=case_number,
            query={"plate": "7ABC123"},
        )
