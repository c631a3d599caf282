"""Sign-in, lockout, password changes, sign-out and the first administrator.

The same message answers an unknown user and a wrong password, and unknown usernames
are locked out exactly like real ones, so neither the message nor the lockout tells an
attacker which accounts exist. A dummy verification runs for unknown users, and for
users whose hash predates the current Argon2 parameters, so the time taken does not
tell either (:mod:`.password_checks`). Lockout is decided atomically per name
(:mod:`.lockout`); signing in starts a server-side session (:mod:`.sessions`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr_desktop.core.roles import Role
from alpr_desktop.errors import (
    AccountLockedError,
    AuthenticationError,
    SessionEndedError,
    ValidationError,
)
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import append_record
from alpr_desktop.services.base import (
    Actor,
    BaseService,
    ServiceContext,
    load_department_settings,
)
from alpr_desktop.services.fields import clean_text, column_length, login_name, validate_username
from alpr_desktop.services.lockout import unknown_name_key
from alpr_desktop.services.password_checks import PasswordChecks, Pending, locked_message
from alpr_desktop.services.passwords import check_new_password, make_hasher
from alpr_desktop.services.sessions import (
    END_EVENTS,
    end_session,
    resumable,
    session_problem,
    start_session,
)
from alpr_desktop.settings import DepartmentSettings
from alpr_desktop.storage.models import AccountState, SettingRow, User, UserRole

BAD_CREDENTIALS = "Unknown username or wrong password."


def actor_for(user: User, session_id: str) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        organisation=user.organisation,
        roles=user.role_set,
        session_id=session_id,
    )


@dataclass(frozen=True)
class LoginResult:
    actor: Actor
    must_change_password: bool


class AuthService(BaseService):
    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self.checks = PasswordChecks(ctx.workstation)

    # ------------------------------------------------------------------ first run
    def setup_needed(self) -> bool:
        """True while the database has no user at all (first run)."""
        with self.ctx.db.sessions() as session:
            return not session.scalar(select(func.count(User.id)))

    def create_first_administrator(
        self, *, username: str, full_name: str, password: str, organisation: str = ""
    ) -> Actor:
        """Create the first, active administrator; refused once any user exists."""
        name = validate_username(username)
        full_name = clean_text(
            full_name, "the full name", column_length(User.full_name), required=True
        )
        organisation = clean_text(
            organisation, "the organisation", column_length(User.organisation)
        )
        with self.ctx.db.sessions.begin() as session:
            settings = self._settings(session)
            check_new_password(
                password,
                username=name,
                full_name=full_name,
                min_length=settings.password_min_length,
            )
            if session.scalar(select(func.count(User.id))):
                raise ValidationError("Setup has already been done: an administrator exists.")
            now = self.ctx.now()
            self._seed_settings(session, settings)
            user = User(
                username=name,
                full_name=full_name.strip(),
                organisation=organisation.strip(),
                password_hash=make_hasher(settings.argon2).hash(password),
                password_is_temporary=False,
                password_changed_at=now,
                state=AccountState.ACTIVE,
                state_changed_at=now,
                created_at=now,
                last_activity_at=now,
            )
            user.roles.append(UserRole(role=Role.ADMINISTRATOR, granted_at=now))
            session.add(user)
            session.flush()
            append_record(
                session,
                now=now,
                user_id=user.id,
                username=user.username,
                organisation=user.organisation,
                workstation=self.ctx.workstation,
                category="admin",
                action="create_first_administrator",
                target_type="user",
                target_id=user.id,
            )
            # The first run and the demo seed act through this actor: it is signed in.
            session_id = start_session(
                session, user, workstation=self.ctx.workstation, settings=settings, now=now
            )
            actor = actor_for(user, session_id)
        self.ctx.changes.publish(Changes.of(Topic.USERS, Topic.SETTINGS))
        return actor

    def _seed_settings(self, session: Session, settings: DepartmentSettings) -> None:
        existing = set(session.scalars(select(SettingRow.key)))
        for key, value in settings.to_rows().items():
            if key not in existing:
                session.add(SettingRow(key=key, value=value, updated_at=self.ctx.now()))

    def _settings(self, session: Session) -> DepartmentSettings:
        return load_department_settings(session)

    # ------------------------------------------------------------------ sign-in
    def login(self, username: str, password: str) -> LoginResult:
        """Verify credentials; raise :class:`AuthenticationError` (same text for all bad cases).

        On success a server-side session starts; the returned actor carries its id.
        """
        name = login_name(username)  # never a database error, whatever was typed
        with self.ctx.db.sessions.begin() as session:
            settings = self._settings(session)
            user = session.scalar(select(User).where(User.username == name))
            # A name that matches no account is never stored as typed (it may be a password).
            key = name if user is not None else unknown_name_key(session, name)
            pending = self.checks.reserve(
                session, user=user, key=key, settings=settings, now=self.ctx.now(), action="login"
            )
        pending.raise_if_locked()
        ok = self.checks.verify(pending, password)
        new_hash = self._rehashed(pending, password) if ok else None
        return self._finish_login(pending, ok, new_hash)

    def _rehashed(self, pending: Pending, password: str) -> str | None:
        """A hash at the current parameters when the stored one is older (outside a lock)."""
        hasher = make_hasher(pending.settings.argon2)
        assert pending.stored_hash is not None
        if hasher.check_needs_rehash(pending.stored_hash):
            return hasher.hash(password)
        return None

    def _finish_login(self, pending: Pending, ok: bool, new_hash: str | None) -> LoginResult:
        error: AuthenticationError | None = None
        with self.ctx.db.sessions.begin() as session:
            now = self.ctx.now()
            user = session.get(User, pending.user_id) if pending.user_id else None
            locked = self.checks.settle(session, pending, user, ok, now, "login_failed")
            if not ok:
                error = AuthenticationError(BAD_CREDENTIALS)
            elif locked is not None:
                self.checks.attempt(session, pending.key, user, False, now, "login_refused_locked")
                error = AccountLockedError(locked_message(locked))
            else:
                assert user is not None
                refusal = self._state_refusal(session, user, pending.settings, now)
                if refusal is not None:
                    self.checks.attempt(
                        session, pending.key, user, False, now, "login_refused_state"
                    )
                    error = AuthenticationError(refusal)
                else:
                    result = self._signed_in(session, user, pending, new_hash, now)
        if error is not None:
            if ok:
                self.ctx.changes.publish(Changes.of(Topic.USERS))
            raise error
        return result

    def _signed_in(
        self, session: Session, user: User, pending: Pending, new_hash: str | None, now: dt.datetime
    ) -> LoginResult:
        if new_hash is not None:
            user.password_hash = new_hash
            self.checks.audit(session, user.username, user, now, "password_rehashed")
        user.last_login_at = now
        user.last_activity_at = now
        user.locked_until = None
        self.checks.attempt(session, pending.key, user, True, now, "login")
        session_id = start_session(
            session, user, workstation=self.ctx.workstation, settings=pending.settings, now=now
        )
        return LoginResult(actor_for(user, session_id), user.password_is_temporary)

    def _state_refusal(
        self, session: Session, user: User, settings: DepartmentSettings, now: dt.datetime
    ) -> str | None:
        if user.state is AccountState.ACTIVE:
            last = user.last_activity_at or user.last_login_at or user.state_changed_at
            limit = dt.timedelta(days=settings.inactivity_suspend_days)
            if now - last > limit:
                user.state = AccountState.SUSPENDED
                user.state_reason = (
                    f"No activity for more than {settings.inactivity_suspend_days} days"
                )
                user.state_changed_at = now
                self.checks.audit(session, user.username, user, now, "account_suspended_inactive")
            else:
                return None
        return {
            AccountState.PENDING: "Your account is waiting to be activated by a supervisor "
            "or administrator.",
            AccountState.SUSPENDED: "Your account is suspended"
            + (f" ({user.state_reason})" if user.state_reason else "")
            + ". A supervisor or administrator can reactivate it.",
            AccountState.DEACTIVATED: "Your account has been deactivated.",
        }[user.state]

    # ------------------------------------------------------------------ passwords
    def change_password(self, actor: Actor, current: str, new: str) -> None:
        """Change the actor's own password (also how a temporary password is replaced).

        A wrong current password counts towards the lockout and is recorded like a failed
        sign-in: a signed-in session is not a way to guess passwords without limit.
        """
        with self.ctx.db.sessions.begin() as session:
            pending = self._reserve_own(session, actor, "password_change")
            user = session.get(User, actor.user_id)
            assert user is not None
            check_new_password(
                new,
                username=user.username,
                full_name=user.full_name,
                min_length=pending.settings.password_min_length,
            )
            if new == current:
                raise ValidationError("The new password must differ from the current one.")
        pending.raise_if_locked()
        ok = self.checks.verify(pending, current)
        new_hash = make_hasher(pending.settings.argon2).hash(new) if ok else None
        with self.ctx.db.sessions.begin() as session:
            now = self.ctx.now()
            user = session.get(User, actor.user_id)
            locked = self.checks.settle(session, pending, user, ok, now, "password_change_failed")
            if ok and locked is None and user is not None and new_hash is not None:
                user.password_hash = new_hash
                user.password_is_temporary = False
                user.password_changed_at = now
                user.last_activity_at = now
                self.checks.audit(session, user.username, user, now, "password_changed")
        if not ok:
            raise AuthenticationError("The current password is wrong.")
        if locked is not None:
            raise AccountLockedError(locked_message(locked))
        self.ctx.changes.publish(Changes.of(Topic.USERS))

    def _reserve_own(self, session: Session, actor: Actor, action: str) -> Pending:
        """Reserve a check of the signed-in actor's own password (live session, active)."""
        now = self.ctx.now()
        problem = session_problem(session, actor.session_id, actor.user_id, now)
        user = session.get(User, actor.user_id)
        if problem is not None:
            raise SessionEndedError(problem)
        if user is None or user.state is not AccountState.ACTIVE:
            raise AuthenticationError("Your account is not active.")
        settings = self._settings(session)
        return self.checks.reserve(
            session, user=user, key=user.username, settings=settings, now=now, action=action
        )

    def replace_temporary_password(self, username: str, temporary: str, new: str) -> None:
        """Replace a temporary password without signing in (nor starting a session).

        For an account nobody has used yet (the demo seed prepares its accounts this
        way, so they show no sign-in). The temporary password is checked like a sign-in:
        the same answer for every bad case and the same lockout.
        """
        name = login_name(username)
        with self.ctx.db.sessions.begin() as session:
            settings = self._settings(session)
            user = session.scalar(select(User).where(User.username == name))
            key = name if user is not None else unknown_name_key(session, name)
            pending = self.checks.reserve(
                session,
                user=user,
                key=key,
                settings=settings,
                now=self.ctx.now(),
                action="temporary_password_change",
            )
        pending.raise_if_locked()
        ok = self.checks.verify(pending, temporary)
        new_hash = make_hasher(pending.settings.argon2).hash(new) if ok else None
        with self.ctx.db.sessions.begin() as session:
            now = self.ctx.now()
            user = session.get(User, pending.user_id) if pending.user_id else None
            failed = "temporary_password_change_failed"
            ok = self.checks.settle(session, pending, user, ok, now, failed) is None and ok
            ok = ok and user is not None and _unused_temporary(user)
            if ok and user is not None and new_hash is not None:
                check_new_password(
                    new,
                    username=user.username,
                    full_name=user.full_name,
                    min_length=pending.settings.password_min_length,
                )
                user.password_hash = new_hash
                user.password_is_temporary = False
                user.password_changed_at = now
                self.checks.audit(session, user.username, user, now, "password_changed")
        if not ok:
            raise AuthenticationError(BAD_CREDENTIALS)
        self.ctx.changes.publish(Changes.of(Topic.USERS))

    # ------------------------------------------------------------------ lock and sign-out
    def verify_unlock(self, actor: Actor, password: str) -> Actor:
        """Re-check the password to unlock a locked workstation; returns the new actor.

        The lock ended the session, so an unlock starts a new one. Failures count towards
        the same lockout as sign-in, and a locked-out or no longer active account cannot
        unlock: the lock screen is not a way around either. Only the user's own session,
        ended by a lock (or still live), can be unlocked.
        """
        with self.ctx.db.sessions.begin() as session:
            settings = self._settings(session)
            now = self.ctx.now()
            user = session.get(User, actor.user_id)
            pending: Pending | None = None
            if user is None or user.state is not AccountState.ACTIVE:
                error = "Your account is no longer active; sign out."
                self.checks.attempt(
                    session, actor.username, user, False, now, "unlock_refused_state"
                )
            elif not resumable(session, actor.session_id, actor.user_id):
                error = "This session cannot be unlocked; sign out and sign in again."
                self.checks.attempt(session, actor.username, user, False, now, "unlock_refused")
            else:
                pending = self.checks.reserve(
                    session,
                    user=user,
                    key=user.username,
                    settings=settings,
                    now=now,
                    action="unlock",
                )
        if pending is None:
            raise AuthenticationError(error)
        pending.raise_if_locked()
        ok = self.checks.verify(pending, password)
        return self._finish_unlock(actor, pending, ok)

    def _finish_unlock(self, actor: Actor, pending: Pending, ok: bool) -> Actor:
        with self.ctx.db.sessions.begin() as session:
            now = self.ctx.now()
            user = session.get(User, actor.user_id)
            assert user is not None
            locked = self.checks.settle(session, pending, user, ok, now, "unlock_failed")
            if ok and locked is None:
                end_session(session, actor.session_id, actor.user_id, "unlocked", now)
                session_id = start_session(
                    session,
                    user,
                    workstation=self.ctx.workstation,
                    settings=pending.settings,
                    now=now,
                )
                self.checks.audit(session, user.username, user, now, "unlock")
                fresh = actor_for(user, session_id)
        if not ok:
            raise AuthenticationError("Wrong password.")
        if locked is not None:
            raise AccountLockedError(locked_message(locked))
        return fresh

    def record_session_event(self, actor: Actor, action: str) -> None:
        """Record ``logout``, ``idle_lock`` and similar events; logout and locks end the session."""
        with self.ctx.db.sessions.begin() as session:
            now = self.ctx.now()
            user = session.get(User, actor.user_id)
            outcome = "ok"
            if not resumable(session, actor.session_id, actor.user_id):
                outcome = "refused"  # not this user's session: nothing to end
            elif action in END_EVENTS:
                end_session(session, actor.session_id, actor.user_id, action, now)
            self.checks.audit(session, actor.username, user, now, action, outcome=outcome)

    def keep_alive(self, actor: Actor) -> None:
        """Tell the server the workstation is still in use (the GUI calls it every minute).

        Raises :class:`SessionEndedError`, recorded, when the session is no longer live.
        """
        with self.ctx.db.sessions.begin() as session:
            now = self.ctx.now()
            problem = session_problem(session, actor.session_id, actor.user_id, now)
        if problem is not None:
            with self.ctx.db.sessions.begin() as session:
                user = session.get(User, actor.user_id)
                self.checks.audit(
                    session,
                    actor.username,
                    user,
                    now,
                    "session_refused",
                    outcome="refused",
                    detail=problem,
                )
            raise SessionEndedError(problem)


def _unused_temporary(user: User) -> bool:
    """An active account whose temporary password nobody has used to sign in yet."""
    return (
        user.state is AccountState.ACTIVE
        and user.password_is_temporary
        and user.last_login_at is None
    )
