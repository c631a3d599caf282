"""Sign-in, lockout, password changes, sign-out and the first administrator.

The same message answers an unknown user and a wrong password, and unknown usernames
are locked out exactly like real ones, so neither the message nor the lockout tells an
attacker which accounts exist. A dummy verification runs for unknown users so the
time taken does not tell either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr_desktop.core.roles import Role
from alpr_desktop.errors import AccountLockedError, AuthenticationError, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import append_record
from alpr_desktop.services.base import (
    Actor,
    BaseService,
    ServiceContext,
    load_department_settings,
)
from alpr_desktop.services.fields import clean_text, column_length, login_name, validate_username
from alpr_desktop.services.passwords import check_new_password, make_hasher, verify_password
from alpr_desktop.settings import DepartmentSettings
from alpr_desktop.storage.models import AccountState, LoginAttempt, SettingRow, User, UserRole

BAD_CREDENTIALS = "Unknown username or wrong password."


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        organisation=user.organisation,
        roles=user.role_set,
    )


@dataclass(frozen=True)
class LoginResult:
    actor: Actor
    must_change_password: bool


class AuthService(BaseService):
    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self._dummy_hash: str | None = None

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
            actor = actor_for(user)
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
        """Verify credentials; raise :class:`AuthenticationError` (same text for all bad cases)."""
        name = login_name(username)  # never a database error, whatever was typed
        with self.ctx.db.sessions.begin() as session:
            settings = self._settings(session)
            now = self.ctx.now()
            user = session.scalar(select(User).where(User.username == name))
            locked_until = self._locked_until(session, name, settings, now)
            if locked_until is not None:
                # Recorded and committed before the refusal is raised.
                self._attempt(session, name, user, False, now, "login_refused_locked")
        if locked_until is not None:
            raise AccountLockedError(_locked_message(locked_until))
        with self.ctx.db.sessions.begin() as session:
            user = session.scalar(select(User).where(User.username == name))
            hasher = make_hasher(settings.argon2)
            if user is None:
                verify_password(hasher, self._dummy(hasher), password)
                ok = False
            else:
                ok = verify_password(hasher, user.password_hash, password)
            if not ok:
                self._attempt(session, name, user, False, now, "login_failed")
                locked = self._locked_until(session, name, settings, now)
                if locked is not None and user is not None:
                    user.locked_until = locked
                    self._audit(session, name, user, now, "account_locked", outcome="refused")
                # commit the failure before raising
        if not ok:
            raise AuthenticationError(BAD_CREDENTIALS)
        assert user is not None
        return self._after_verified(user.id, password, name)

    def _after_verified(self, user_id: int, password: str, name: str) -> LoginResult:
        with self.ctx.db.sessions.begin() as session:
            settings = self._settings(session)
            now = self.ctx.now()
            user = session.get(User, user_id)
            assert user is not None
            refusal = self._state_refusal(session, user, settings, now)
            if refusal is None:
                hasher = make_hasher(settings.argon2)
                if hasher.check_needs_rehash(user.password_hash):
                    user.password_hash = hasher.hash(password)
                    self._audit(session, name, user, now, "password_rehashed")
                user.last_login_at = now
                user.last_activity_at = now
                user.locked_until = None
                self._attempt(session, name, user, True, now, "login")
                result = LoginResult(actor_for(user), user.password_is_temporary)
            else:
                self._attempt(session, name, user, False, now, "login_refused_state")
        if refusal is not None:
            self.ctx.changes.publish(Changes.of(Topic.USERS))
            raise AuthenticationError(refusal)
        return result

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
                self._audit(session, user.username, user, now, "account_suspended_inactive")
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

    def _locked_until(
        self, session: Session, name: str, settings: DepartmentSettings, now: dt.datetime
    ) -> dt.datetime | None:
        """When the username is locked until, from failures since its last success."""
        window_start = now - dt.timedelta(minutes=settings.lockout_window_minutes)
        last_success = session.scalar(
            select(func.max(LoginAttempt.attempted_at)).where(
                LoginAttempt.username == name, LoginAttempt.succeeded.is_(True)
            )
        )
        since = max(window_start, last_success) if last_success else window_start
        failures = list(
            session.scalars(
                select(LoginAttempt.attempted_at)
                .where(
                    LoginAttempt.username == name,
                    LoginAttempt.succeeded.is_(False),
                    LoginAttempt.attempted_at > since,
                )
                .order_by(LoginAttempt.attempted_at)
            )
        )
        if len(failures) < settings.lockout_threshold:
            return None
        until = failures[settings.lockout_threshold - 1] + dt.timedelta(
            minutes=settings.lockout_duration_minutes
        )
        return until if until > now else None

    def _attempt(
        self,
        session: Session,
        name: str,
        user: User | None,
        succeeded: bool,
        now: dt.datetime,
        action: str,
    ) -> None:
        session.add(
            LoginAttempt(
                username=name,
                user_id=user.id if user else None,
                attempted_at=now,
                succeeded=succeeded,
                workstation=self.ctx.workstation,
            )
        )
        self._audit(session, name, user, now, action, outcome="ok" if succeeded else "refused")

    def _audit(
        self,
        session: Session,
        name: str,
        user: User | None,
        now: dt.datetime,
        action: str,
        *,
        outcome: str = "ok",
    ) -> None:
        append_record(
            session,
            now=now,
            user_id=user.id if user else None,
            username=name,
            organisation=user.organisation if user else "",
            workstation=self.ctx.workstation,
            category="session",
            action=action,
            outcome=outcome,
        )

    def _dummy(self, hasher: object) -> str:
        if self._dummy_hash is None:
            from argon2 import PasswordHasher

            assert isinstance(hasher, PasswordHasher)
            self._dummy_hash = hasher.hash("timing-equaliser-not-a-password")
        return self._dummy_hash

    # ------------------------------------------------------------------ passwords, sign-out
    def change_password(self, actor: Actor, current: str, new: str) -> None:
        """Change the actor's own password (also how a temporary password is replaced)."""
        with self.ctx.db.sessions.begin() as session:
            settings = self._settings(session)
            user = session.get(User, actor.user_id)
            if user is None or user.state is not AccountState.ACTIVE:
                raise AuthenticationError("Your account is not active.")
            hasher = make_hasher(settings.argon2)
            if not verify_password(hasher, user.password_hash, current):
                raise AuthenticationError("The current password is wrong.")
            check_new_password(
                new,
                username=user.username,
                full_name=user.full_name,
                min_length=settings.password_min_length,
            )
            if new == current:
                raise ValidationError("The new password must differ from the current one.")
            now = self.ctx.now()
            user.password_hash = hasher.hash(new)
            user.password_is_temporary = False
            user.password_changed_at = now
            user.last_activity_at = now
            self._audit(session, user.username, user, now, "password_changed")
        self.ctx.changes.publish(Changes.of(Topic.USERS))

    def replace_temporary_password(self, username: str, temporary: str, new: str) -> None:
        """Replace a temporary password without signing in.

        For an account nobody has used yet (the demo seed prepares its accounts this
        way, so they show no sign-in). The temporary password is checked like a sign-in:
        the same answer for every bad case and the same lockout.
        """
        name = login_name(username)
        with self.ctx.db.sessions.begin() as session:
            settings = self._settings(session)
            now = self.ctx.now()
            user = session.scalar(select(User).where(User.username == name))
            hasher = make_hasher(settings.argon2)
            locked = self._locked_until(session, name, settings, now) is not None
            stored = user.password_hash if user is not None else self._dummy(hasher)
            ok = verify_password(hasher, stored, temporary) and not locked
            ok = ok and user is not None and _unused_temporary(user)
            if ok and user is not None:
                check_new_password(
                    new,
                    username=user.username,
                    full_name=user.full_name,
                    min_length=settings.password_min_length,
                )
                user.password_hash = hasher.hash(new)
                user.password_is_temporary = False
                user.password_changed_at = now
                self._audit(session, name, user, now, "password_changed")
            else:
                self._attempt(session, name, user, False, now, "temporary_password_change_failed")
        if not ok:
            raise AuthenticationError(BAD_CREDENTIALS)
        self.ctx.changes.publish(Changes.of(Topic.USERS))

    def verify_unlock(self, actor: Actor, password: str) -> None:
        """Re-check the password to unlock an idle-locked workstation.

        Failures count towards the same lockout as sign-in, and a locked-out or no longer
        active account cannot unlock: the lock screen is not a way around either.
        """
        with self.ctx.db.sessions.begin() as session:
            settings = self._settings(session)
            now = self.ctx.now()
            user = session.get(User, actor.user_id)
            locked_until = self._locked_until(session, actor.username, settings, now)
            if locked_until is not None:
                self._attempt(session, actor.username, user, False, now, "unlock_refused_locked")
                error: AuthenticationError | None = AccountLockedError(
                    _locked_message(locked_until)
                )
            elif user is None or user.state is not AccountState.ACTIVE:
                self._attempt(session, actor.username, user, False, now, "unlock_refused_state")
                error = AuthenticationError("Your account is no longer active; sign out.")
            elif not verify_password(make_hasher(settings.argon2), user.password_hash, password):
                self._attempt(session, actor.username, user, False, now, "unlock_failed")
                error = AuthenticationError("Wrong password.")
            else:
                self._audit(session, actor.username, user, now, "unlock")
                error = None
        if error is not None:
            raise error

    def record_session_event(self, actor: Actor, action: str) -> None:
        """Record ``logout``, ``idle_lock`` and similar session events."""
        with self.ctx.db.sessions.begin() as session:
            user = session.get(User, actor.user_id)
            self._audit(session, actor.username, user, self.ctx.now(), action)


def _locked_message(until: dt.datetime) -> str:
    local = until.astimezone().strftime("%H:%M")
    return (
        "Too many failed sign-ins. Sign-in with this username is blocked until "
        f"{local}; ask an administrator if you need access sooner."
    )


def _unused_temporary(user: User) -> bool:
    """An active account whose temporary password nobody has used to sign in yet."""
    return (
        user.state is AccountState.ACTIVE
        and user.password_is_temporary
        and user.last_login_at is None
    )
