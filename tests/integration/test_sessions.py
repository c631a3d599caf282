"""Issue 19 item 8: sessions end on the server side; a revoked session does nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import AuthenticationError, PermissionDenied
from alpr_desktop.services.base import Actor
from alpr_desktop.storage import models
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, create_active_user


def _refusals(app: Application, username: str) -> list[str]:
    with app.database.sessions() as session:
        return list(
            session.scalars(
                select(AccessRecord.detail)
                .where(AccessRecord.username == username, AccessRecord.outcome == "refused")
                .order_by(AccessRecord.seq)
            )
        )


def test_sign_in_creates_a_session_row(app: Application, admin: Actor) -> None:
    actor = app.services.auth.login("admin", ADMIN_PASSWORD).actor
    assert actor.session_id and actor.session_id != admin.session_id
    with app.database.sessions() as session:
        row = session.get(models.UserSession, actor.session_id)
    assert row is not None and row.user_id == actor.user_id and row.ended_at is None
    assert row.workstation == "test-ws" and row.started_at <= row.last_seen_at


def test_logout_ends_the_session(app: Application, admin: Actor) -> None:
    actor = app.services.auth.login("admin", ADMIN_PASSWORD).actor
    assert app.services.users.list_users(actor)
    app.services.auth.record_session_event(actor, "logout")
    with pytest.raises(PermissionDenied, match="session has ended"):
        app.services.users.list_users(actor)
    assert any("session has ended" in d for d in _refusals(app, "admin"))
    with app.database.sessions() as session:
        row = session.get(models.UserSession, actor.session_id)
    assert row is not None and row.end_reason == "logout" and row.ended_at is not None


def test_idle_lock_ends_the_session_and_unlock_starts_a_new_one(
    app: Application, admin: Actor
) -> None:
    app.services.auth.record_session_event(admin, "idle_lock")
    with pytest.raises(PermissionDenied):
        app.services.users.list_users(admin)
    fresh = app.services.auth.verify_unlock(admin, ADMIN_PASSWORD)
    assert fresh.session_id != admin.session_id
    assert app.services.users.list_users(fresh)
    with pytest.raises(PermissionDenied):
        app.services.users.list_users(admin)  # the locked session stays ended


def test_logged_out_session_cannot_be_unlocked(app: Application, admin: Actor) -> None:
    app.services.auth.record_session_event(admin, "logout")
    with pytest.raises(AuthenticationError, match="cannot be unlocked"):
        app.services.auth.verify_unlock(admin, ADMIN_PASSWORD)


def test_forged_actor_does_nothing(app: Application, admin: Actor) -> None:
    for forged in (
        dataclasses.replace(admin, session_id=""),
        dataclasses.replace(admin, session_id="0" * 32),
    ):
        with pytest.raises(PermissionDenied, match="no sign-in session"):
            app.services.users.list_users(forged)
    other = create_active_user(app, admin, "other.olga", [Role.SUPERVISOR])
    # Someone else's live session id does not make an actor of that user either.
    borrowed = dataclasses.replace(admin, session_id=other.session_id)
    with pytest.raises(PermissionDenied):
        app.services.users.list_users(borrowed)
    assert len(_refusals(app, "admin")) >= 3


def test_suspension_and_deactivation_end_sessions(app: Application, admin: Actor) -> None:
    actor = create_active_user(app, admin, "soon.gone", [Role.SUPERVISOR])
    app.services.users.suspend(admin, actor.user_id, "under review")
    with app.database.sessions() as session:
        row = session.get(models.UserSession, actor.session_id)
    assert row is not None and row.end_reason == "suspended"
    with pytest.raises(PermissionDenied, match="suspended"):
        app.services.users.list_users(actor)
    # Reactivation does not revive the ended session: the user signs in again.
    approver = create_active_user(app, admin, "second.sup", [Role.SUPERVISOR])
    try:
        app.services.users.activate(approver, actor.user_id)
    except PermissionDenied:
        app.services.users.activate(admin, actor.user_id)
    with pytest.raises(PermissionDenied, match="session has ended"):
        app.services.users.list_users(actor)


def test_idle_session_expires(app: Application, admin: Actor) -> None:
    clock_now = [dt.datetime.now(dt.UTC)]
    app.services.ctx.clock = lambda: clock_now[0]
    actor = app.services.auth.login("admin", ADMIN_PASSWORD).actor
    limit = app.services.settings.current().idle_lock_minutes
    clock_now[0] += dt.timedelta(minutes=limit - 1)
    assert app.services.users.list_users(actor)  # a call keeps it alive
    clock_now[0] += dt.timedelta(minutes=limit + 3)
    with pytest.raises(PermissionDenied, match="expired"):
        app.services.users.list_users(actor)
    with pytest.raises(PermissionDenied, match="session has ended"):
        app.services.auth.keep_alive(actor)
    assert any("expired" in d for d in _refusals(app, "admin"))
    # An expired session can be unlocked like a locked one: the GUI locks on expiry.
    assert app.services.auth.verify_unlock(actor, ADMIN_PASSWORD).session_id


def test_first_administrator_actor_is_live(app: Application, admin: Actor) -> None:
    assert admin.session_id
    assert app.services.users.list_users(admin)


def test_change_password_needs_a_live_session(app: Application, admin: Actor) -> None:
    actor = create_active_user(app, admin, "changer", [Role.DISPATCHER])
    app.services.auth.record_session_event(actor, "logout")
    with pytest.raises(PermissionDenied):
        app.services.auth.change_password(actor, USER_PASSWORD, "another-long-secret-77")


def test_own_account_needs_a_live_session(app) -> None:
    import dataclasses

    import pytest

    from alpr_desktop.errors import SessionEndedError
    from tests.conftest import create_admin

    admin = create_admin(app)
    assert app.services.users.own_account(admin).username == admin.username
    forged = dataclasses.replace(admin, session_id="0" * 32)
    with pytest.raises(SessionEndedError):
        app.services.users.own_account(forged)


def test_a_password_reset_signs_the_account_out(app) -> None:
    import pytest

    from alpr_desktop.core.roles import Role
    from alpr_desktop.errors import SessionEndedError
    from tests.conftest import create_active_user, create_admin

    admin = create_admin(app)
    dana = create_active_user(app, admin, "dana.d", [Role.DISPATCHER])
    assert app.services.users.own_account(dana).username == "dana.d"
    app.services.users.reset_password(admin, dana.user_id, "Fresh-Temporary-2026x")
    with pytest.raises(SessionEndedError, match="reset the password"):
        app.services.users.own_account(dana)
