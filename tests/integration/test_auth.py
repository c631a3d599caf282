"""Sign-in: lockout, no user enumeration, Argon2 rehash, inactivity, password rules."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import AccountLockedError, AuthenticationError, ValidationError
from alpr_desktop.services.auth import BAD_CREDENTIALS
from alpr_desktop.services.base import Actor
from alpr_desktop.settings import Argon2Parameters
from alpr_desktop.storage.models import AccessRecord, AccountState, LoginAttempt, User
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, create_active_user


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture
def clock(app: Application) -> Clock:
    c = Clock()
    app.services.ctx.clock = c
    return c


def _fail(app: Application, username: str, times: int) -> list[str]:
    messages = []
    for _ in range(times):
        with pytest.raises(AuthenticationError) as info:
            app.services.auth.login(username, "wrong-password-xyz")
        messages.append(str(info.value))
    return messages


def test_login_success_records_access(app: Application, admin: Actor) -> None:
    result = app.services.auth.login("  ADMIN ", ADMIN_PASSWORD)
    assert result.actor.username == "admin" and not result.must_change_password
    with app.database.sessions() as session:
        actions = session.scalars(select(AccessRecord.action)).all()
    assert "login" in actions


def test_same_error_for_unknown_user_and_wrong_password(app: Application, admin: Actor) -> None:
    with pytest.raises(AuthenticationError) as unknown:
        app.services.auth.login("nobody", ADMIN_PASSWORD)
    with pytest.raises(AuthenticationError) as wrong:
        app.services.auth.login("admin", "not-the-password")
    assert str(unknown.value) == str(wrong.value) == BAD_CREDENTIALS
    assert type(unknown.value) is type(wrong.value)


def test_lockout_after_five_failures_in_window(
    app: Application, admin: Actor, clock: Clock
) -> None:
    messages = _fail(app, "admin", 5)
    assert set(messages) == {BAD_CREDENTIALS}
    # Locked now: even the right password is refused, with the lockout message.
    with pytest.raises(AccountLockedError, match="blocked until"):
        app.services.auth.login("admin", ADMIN_PASSWORD)
    clock.advance(minutes=16)
    assert app.services.auth.login("admin", ADMIN_PASSWORD).actor.username == "admin"
    with app.database.sessions() as session:
        actions = session.scalars(select(AccessRecord.action)).all()
    assert "account_locked" in actions and "login_refused_locked" in actions


def test_failures_outside_window_do_not_lock(app: Application, admin: Actor, clock: Clock) -> None:
    _fail(app, "admin", 4)
    clock.advance(minutes=16)
    _fail(app, "admin", 4)
    assert app.services.auth.login("admin", ADMIN_PASSWORD)


def test_success_resets_the_count(app: Application, admin: Actor, clock: Clock) -> None:
    _fail(app, "admin", 4)
    clock.advance(seconds=1)
    app.services.auth.login("admin", ADMIN_PASSWORD)
    clock.advance(seconds=1)
    _fail(app, "admin", 4)
    clock.advance(seconds=1)
    assert app.services.auth.login("admin", ADMIN_PASSWORD)


def test_unknown_usernames_lock_the_same_way(app: Application, admin: Actor, clock: Clock) -> None:
    """No enumeration: a non-existent account behaves exactly like a real one."""
    real = _fail(app, "admin", 5)
    fake = _fail(app, "ghost", 5)
    assert real == fake
    with pytest.raises(AccountLockedError) as real_locked:
        app.services.auth.login("admin", "whatever-password")
    with pytest.raises(AccountLockedError) as fake_locked:
        app.services.auth.login("ghost", "whatever-password")
    assert str(real_locked.value) == str(fake_locked.value)


def test_lockout_threshold_is_a_setting(app: Application, admin: Actor) -> None:
    app.services.settings.update(admin, lockout_threshold=2)
    _fail(app, "admin", 2)
    with pytest.raises(AccountLockedError):
        app.services.auth.login("admin", ADMIN_PASSWORD)


def test_rehash_on_login_when_parameters_change(app: Application, admin: Actor) -> None:
    with app.database.sessions() as session:
        before = session.scalar(select(User.password_hash).where(User.username == "admin"))
    assert before is not None and "m=7168,t=5" in before
    stronger = Argon2Parameters(time_cost=2, memory_cost_kib=19456, parallelism=1)
    app.services.settings.update(admin, argon2=stronger.model_dump())
    app.services.auth.login("admin", ADMIN_PASSWORD)
    with app.database.sessions() as session:
        after = session.scalar(select(User.password_hash).where(User.username == "admin"))
        actions = session.scalars(select(AccessRecord.action)).all()
    assert after is not None and after != before and "m=19456,t=2" in after
    assert "password_rehashed" in actions
    assert app.services.auth.login("admin", ADMIN_PASSWORD)


def test_pending_account_cannot_sign_in(app: Application, admin: Actor) -> None:
    app.services.users.create_user(
        admin,
        username="newbie",
        full_name="N",
        roles=["dispatcher"],
        temporary_password="temporary-pass-0009",
    )
    with pytest.raises(AuthenticationError, match="waiting to be activated"):
        app.services.auth.login("newbie", "temporary-pass-0009")
    # Wrong password for a pending account still gives the generic message.
    with pytest.raises(AuthenticationError) as info:
        app.services.auth.login("newbie", "nope-nope-nope")
    assert str(info.value) == BAD_CREDENTIALS


def _age_activity(app: Application, username: str, days: int) -> None:
    with app.database.sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None and user.last_activity_at is not None
        user.last_activity_at -= dt.timedelta(days=days)


def test_inactive_accounts_are_suspended(app: Application, admin: Actor) -> None:
    create_active_user(app, admin, "sleepy", [Role.DISPATCHER])
    _age_activity(app, "sleepy", 91)
    with pytest.raises(AuthenticationError, match="suspended"):
        app.services.auth.login("sleepy", USER_PASSWORD)
    with app.database.sessions() as session:
        user = session.scalar(select(User).where(User.username == "sleepy"))
        assert user is not None and user.state is AccountState.SUSPENDED
    # A supervisor or administrator reactivates it.
    admin_again = app.services.auth.login("admin", ADMIN_PASSWORD).actor
    app.services.users.activate(admin_again, user.id)
    assert app.services.auth.login("sleepy", USER_PASSWORD)


def test_suspend_inactive_sweep(app: Application, admin: Actor) -> None:
    create_active_user(app, admin, "idle.one", [Role.DISPATCHER])
    create_active_user(app, admin, "busy.one", [Role.DISPATCHER])
    _age_activity(app, "idle.one", 100)
    admin_now = app.services.auth.login("admin", ADMIN_PASSWORD).actor
    assert app.services.users.suspend_inactive(admin_now) == ["idle.one"]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-pass", "at least 12"),
        (" leading-space-pass", "space"),
        ("aaaaaaaaaaaaaaa", "4 different"),
        ("xx-admin-xx-123", "username"),
    ],
)
def test_password_rules(app: Application, admin: Actor, password: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        app.services.auth.change_password(admin, ADMIN_PASSWORD, password)
    assert app.services.auth.login("admin", ADMIN_PASSWORD)  # nothing changed


def test_change_password_needs_current(app: Application, admin: Actor) -> None:
    with pytest.raises(AuthenticationError, match="current password"):
        app.services.auth.change_password(admin, "not-it-at-all", "brand-new-password")


def test_first_administrator_only_once(app: Application, admin: Actor) -> None:
    assert not app.services.auth.setup_needed()
    with pytest.raises(ValidationError, match="already"):
        app.services.auth.create_first_administrator(
            username="second", full_name="Second", password="another-long-password"
        )


def test_login_attempts_recorded(app: Application, admin: Actor) -> None:
    _fail(app, "admin", 1)
    app.services.auth.login("admin", ADMIN_PASSWORD)
    with app.database.sessions() as session:
        attempts = session.scalars(select(LoginAttempt.succeeded)).all()
    assert attempts == [False, True]


def test_unlock_and_session_events(app: Application, admin: Actor) -> None:
    with pytest.raises(AuthenticationError):
        app.services.auth.verify_unlock(admin, "wrong-password-here")
    app.services.auth.verify_unlock(admin, ADMIN_PASSWORD)
    app.services.auth.record_session_event(admin, "logout")
    with app.database.sessions() as session:
        actions = session.scalars(select(AccessRecord.action)).all()
    assert {"unlock_failed", "unlock", "logout"} <= set(actions)


def test_lock_screen_respects_lockout(app: Application, admin: Actor) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError, match="Wrong password"):
            app.services.auth.verify_unlock(admin, "guessing-password")
    with pytest.raises(AccountLockedError):
        app.services.auth.verify_unlock(admin, ADMIN_PASSWORD)


def test_lock_screen_refuses_suspended_account(app: Application, admin: Actor) -> None:
    actor = create_active_user(app, admin, "on.shift", [Role.DISPATCHER])
    app.services.users.suspend(admin, actor.user_id, "investigation")
    with pytest.raises(AuthenticationError, match="no longer active"):
        app.services.auth.verify_unlock(actor, USER_PASSWORD)
