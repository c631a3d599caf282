"""User administration: accounts, roles, states, temporary passwords and training.

Besides the permission table, the separation-of-duties rules of
:mod:`alpr_desktop.core.roles` apply (checked with :mod:`alpr_desktop.services.duties`);
a refusal under them is recorded in the access trail like any other refusal.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr_desktop.core.roles import Action, Role, parse_roles
from alpr_desktop.errors import (
    NotFoundError,
    SeparationOfDutiesError,
    SessionEndedError,
    ValidationError,
)
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services import duties
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import (
    Actor,
    BaseService,
    ServiceContext,
    load_department_settings,
    training_current,
)
from alpr_desktop.services.fields import clean_text, column_length, validate_username
from alpr_desktop.services.lockout import lift as lift_lockout
from alpr_desktop.services.passwords import check_new_password, make_hasher
from alpr_desktop.services.sessions import end_user_sessions
from alpr_desktop.storage.models import AccountState, TrainingRecord, User, UserRole

_USERS = Changes.of(Topic.USERS)
_TRAINING = Changes.of(Topic.USERS, Topic.TRAINING)


@dataclass(frozen=True)
class TrainingView:
    id: int
    course: str
    completed_on: dt.date
    expires_on: dt.date


@dataclass(frozen=True)
class UserView:
    """A user as the administration page shows it (no password hash)."""

    id: int
    username: str
    full_name: str
    organisation: str
    badge_number: str
    title: str
    email: str
    roles: frozenset[Role]
    state: AccountState
    state_reason: str
    password_is_temporary: bool
    last_login_at: dt.datetime | None
    locked_until: dt.datetime | None
    training_current: bool
    training: tuple[TrainingView, ...]


def generate_temporary_password(length: int = 16) -> str:
    """A random temporary password that meets the password rules."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


class UserService(BaseService):
    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    def _view(self, user: User) -> UserView:
        return UserView(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            organisation=user.organisation,
            badge_number=user.badge_number,
            title=user.title,
            email=user.email,
            roles=user.role_set,
            state=user.state,
            state_reason=user.state_reason,
            password_is_temporary=user.password_is_temporary,
            last_login_at=user.last_login_at,
            locked_until=user.locked_until,
            training_current=training_current(user, self.ctx.now().date()),
            training=tuple(
                TrainingView(t.id, t.course, t.completed_on, t.expires_on) for t in user.training
            ),
        )

    def _get(self, session: Session, user_id: int) -> User:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"There is no user with id {user_id}.")
        return user

    def own_account(self, actor: Actor) -> UserView:
        """The signed-in user's own account (for the home page); no permission needed.

        Still only for a live session: a forged or ended ``Actor`` reads nothing.
        """
        with self.ctx.db.sessions() as session, session.begin():
            problem = self._session_problem(session, actor)
            if problem is not None:
                raise SessionEndedError(problem)
            return self._view(self._get(session, actor.user_id))

    def list_users(self, actor: Actor) -> list[UserView]:
        with self._work(actor, Action.VIEW_USERS) as (session, _me):
            # Reading the roster is not ALPR data and is not recorded (changes are).
            users = session.scalars(select(User).order_by(User.username)).all()
            return [self._view(u) for u in users]

    def two_person_rules_in_force(self) -> bool:
        """Whether the bootstrap is over (policy information: no permission needed)."""
        with self.ctx.db.sessions.begin() as session:
            return duties.two_person_rules_in_force(session, self.ctx.now())

    @contextmanager
    def _duties(self, actor: Actor, action: Action) -> Iterator[None]:
        """Record a separation-of-duties refusal in the trail, as the gate records its own."""
        try:
            yield
        except SeparationOfDutiesError as exc:
            self._record_refusal(actor, action, str(exc))
            raise

    def create_user(
        self,
        actor: Actor,
        *,
        username: str,
        full_name: str,
        roles: Iterable[Role | str],
        temporary_password: str,
        organisation: str = "",
        badge_number: str = "",
        title: str = "",
        email: str = "",
    ) -> UserView:
        """Create a *pending* account with a temporary password; a second person activates it."""
        name = validate_username(username)
        profile = _profile(
            full_name=full_name,
            organisation=organisation,
            badge_number=badge_number,
            title=title,
            email=email,
        )
        role_set = _roles(roles)
        with self._work(actor, Action.MANAGE_USERS, changes=_USERS) as (session, _me):
            settings = load_department_settings(session)
            check_new_password(
                temporary_password,
                username=name,
                full_name=profile["full_name"],
                min_length=settings.password_min_length,
            )
            if session.scalar(select(User.id).where(User.username == name)) is not None:
                raise ValidationError(f"The username {name!r} is already taken.")
            now = self.ctx.now()
            user = User(
                username=name,
                **profile,
                password_hash=make_hasher(settings.argon2).hash(temporary_password),
                password_is_temporary=True,
                password_changed_at=now,
                state=AccountState.PENDING,
                state_changed_at=now,
                state_changed_by_id=actor.user_id,
                created_at=now,
                created_by_id=actor.user_id,
            )
            for role in sorted(role_set):
                user.roles.append(UserRole(role=role, granted_at=now, granted_by_id=actor.user_id))
            session.add(user)
            session.flush()
            self.audit.record_admin(
                session,
                actor,
                "create_user",
                target_type="user",
                target_id=user.id,
                query={"username": name, "roles": sorted(r.value for r in role_set)},
            )
            return self._view(user)

    def set_roles(self, actor: Actor, user_id: int, roles: Iterable[Role | str]) -> UserView:
        """Set a user's roles; added roles return the account to pending (a second person)."""
        role_set = _roles(roles)
        with (
            self._duties(actor, Action.MANAGE_USERS),
            self._work(actor, Action.MANAGE_USERS, changes=_USERS) as (session, me),
        ):
            user = self._get(session, user_id)
            duties.refuse_self(me, user, "change your own roles")
            before = user.role_set
            if Role.ADMINISTRATOR in before and Role.ADMINISTRATOR not in role_set:
                self._keep_an_administrator(session, user)
            now = self.ctx.now()
            user.roles = [r for r in user.roles if r.role in role_set]
            for role in sorted(role_set - before):
                user.roles.append(UserRole(role=role, granted_at=now, granted_by_id=actor.user_id))
            session.flush()
            self.audit.record_admin(
                session,
                actor,
                "set_roles",
                target_type="user",
                target_id=user.id,
                query={
                    "before": sorted(r.value for r in before),
                    "after": sorted(r.value for r in role_set),
                },
            )
            if role_set - before and user.state is not AccountState.DEACTIVATED:
                reason = f"Roles added by {actor.username}; a second person must approve them"
                self._set_state(session, actor, user, AccountState.PENDING, reason)
            return self._view(user)

    def _keep_an_administrator(self, session: Session, losing: User) -> None:
        others = session.scalars(
            select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.role == Role.ADMINISTRATOR,
                User.state == AccountState.ACTIVE,
                User.id != losing.id,
            )
        ).first()
        if others is None:
            raise ValidationError("At least one active administrator must remain.")

    def activate(self, actor: Actor, user_id: int) -> UserView:
        """Activate a pending (by a second person) or suspended account."""
        with (
            self._duties(actor, Action.ACTIVATE_USERS),
            self._work(actor, Action.ACTIVATE_USERS, changes=_USERS) as (session, me),
        ):
            user = self._get(session, user_id)
            if user.state not in (AccountState.PENDING, AccountState.SUSPENDED):
                raise ValidationError(f"A {user.state.value} account cannot be activated.")
            now = self.ctx.now()
            bootstrap = duties.check_activation(session, me, user, now)
            note = "bootstrap: the only approver so far (docs/accounts.md)" if bootstrap else ""
            self._set_state(session, actor, user, AccountState.ACTIVE, "", detail=note)
            user.last_activity_at = now  # restart the inactivity clock
            duties.two_person_rules_in_force(session, now)  # a second approver ends bootstrap
            return self._view(user)

    def suspend(self, actor: Actor, user_id: int, reason: str) -> UserView:
        reason = _reason(reason)
        with (
            self._duties(actor, Action.ACTIVATE_USERS),
            self._work(actor, Action.ACTIVATE_USERS, changes=_USERS) as (session, me),
        ):
            user = self._get(session, user_id)
            if user.id == actor.user_id:
                raise ValidationError("You cannot suspend your own account.")
            if user.state is not AccountState.ACTIVE:
                raise ValidationError(f"Only an active account can be suspended ({user.state}).")
            allowed = load_department_settings(session).supervisors_may_suspend_administrators
            duties.check_suspension(me, user, supervisors_may=allowed)
            if Role.ADMINISTRATOR in user.role_set:
                self._keep_an_administrator(session, user)
            self._set_state(session, actor, user, AccountState.SUSPENDED, reason)
            return self._view(user)

    def deactivate(self, actor: Actor, user_id: int, reason: str) -> UserView:
        reason = _reason(reason)
        with self._work(actor, Action.MANAGE_USERS, changes=_USERS) as (session, _me):
            user = self._get(session, user_id)
            if user.id == actor.user_id:
                raise ValidationError("You cannot deactivate your own account.")
            if user.state is AccountState.DEACTIVATED:
                raise ValidationError("The account is already deactivated.")
            if Role.ADMINISTRATOR in user.role_set:
                self._keep_an_administrator(session, user)
            self._set_state(session, actor, user, AccountState.DEACTIVATED, reason)
            return self._view(user)

    def _set_state(
        self,
        session: Session,
        actor: Actor | None,
        user: User,
        state: AccountState,
        reason: str,
        *,
        detail: str = "",
    ) -> None:
        """Change ``user``'s state and record it; ``actor`` None: the scheduler did it."""
        before = user.state
        user.state = state
        user.state_reason = reason
        user.state_changed_at = self.ctx.now()
        user.state_changed_by_id = actor.user_id if actor is not None else None
        if state is not AccountState.ACTIVE:
            end_user_sessions(session, user.id, state.value, self.ctx.now())
        self._append(
            session,
            actor,
            category="admin",
            action=f"account_{state.value}",
            target_type="user",
            target_id=user.id,
            query={"before": before.value, "after": state.value},
            detail=detail or reason,
        )

    def reset_password(self, actor: Actor, user_id: int, temporary_password: str) -> UserView:
        """Set a temporary password; the user must change it at next sign-in.

        When the user holds a role the resetter does not, the account also returns to
        pending, so a second person confirms the reset before it can be used.
        """
        with (
            self._duties(actor, Action.MANAGE_USERS),
            self._work(actor, Action.MANAGE_USERS, changes=_USERS) as (session, me),
        ):
            user = self._get(session, user_id)
            duties.refuse_self(me, user, "reset your own password here (use Change password)")
            settings = load_department_settings(session)
            check_new_password(
                temporary_password,
                username=user.username,
                full_name=user.full_name,
                min_length=settings.password_min_length,
            )
            user.password_hash = make_hasher(settings.argon2).hash(temporary_password)
            user.password_is_temporary = True
            user.password_changed_at = self.ctx.now()
            user.locked_until = None
            lift_lockout(session, user.username, self.ctx.now())  # what the lock message promises
            # A reset is how a compromised account is taken back: whoever holds a session
            # on it now is signed out.
            end_user_sessions(session, user.id, "password_reset", self.ctx.now())
            if user.state is AccountState.PENDING:
                # The resetter now knows the password: a second person must activate.
                user.state_changed_by_id = actor.user_id
            self.audit.record_admin(
                session, actor, "reset_password", target_type="user", target_id=user.id
            )
            lent = duties.roles_not_held(me, user)
            if lent and user.state is not AccountState.DEACTIVATED:
                names = ", ".join(sorted(r.label for r in lent))
                reason = f"Password reset by {actor.username}, who does not hold: {names}"
                self._set_state(session, actor, user, AccountState.PENDING, reason)
            return self._view(user)

    def add_training(
        self,
        actor: Actor,
        user_id: int,
        *,
        course: str,
        completed_on: dt.date,
        expires_on: dt.date | None = None,
        notes: str = "",
    ) -> UserView:
        """Record completed ALPR training; expiry defaults to the department's validity."""
        course = clean_text(
            course, "the training course", column_length(TrainingRecord.course), required=True
        )
        notes = clean_text(notes, "the notes", None, multiline=True)
        today = self.ctx.now().date()
        if completed_on > today:
            raise ValidationError("The completion date cannot be in the future.")
        with (
            self._duties(actor, Action.MANAGE_TRAINING),
            self._work(actor, Action.MANAGE_TRAINING, changes=_TRAINING) as (session, me),
        ):
            user = self._get(session, user_id)
            duties.refuse_self(me, user, "record your own training")
            if expires_on is None:
                days = load_department_settings(session).training_validity_days
                expires_on = completed_on + dt.timedelta(days=days)
            if expires_on <= completed_on:
                raise ValidationError("The expiry date must be after the completion date.")
            record = TrainingRecord(
                course=course,
                completed_on=completed_on,
                expires_on=expires_on,
                recorded_at=self.ctx.now(),
                recorded_by_id=actor.user_id,
                notes=notes,
            )
            user.training.append(record)
            session.flush()
            self.audit.record_admin(
                session,
                actor,
                "add_training",
                target_type="user",
                target_id=user.id,
                query={
                    "course": record.course,
                    "completed_on": completed_on.isoformat(),
                    "expires_on": expires_on.isoformat(),
                },
            )
            return self._view(user)

    def suspend_inactive(self, actor: Actor) -> list[str]:
        """Suspend every active account unused for longer than the configured period.

        Administrators are left to an administrator unless the department lets
        supervisors suspend them.
        """
        with self._work(actor, Action.ACTIVATE_USERS, changes=_USERS) as (session, me):
            settings = load_department_settings(session)
            spare_admins = not (
                Role.ADMINISTRATOR in me.role_set or settings.supervisors_may_suspend_administrators
            )
            return self._suspend_inactive(session, actor, spare_admins=spare_admins)

    def suspend_inactive_scheduled(self) -> list[str]:
        """The scheduled run of :meth:`suspend_inactive` (policy 471.4(d)): no one is
        signed in for it, so it acts — and is recorded — as the ``system`` user.

        Administrators are suspended too, except the last active one: an installation
        nobody can administer helps no one (the other administrators can reactivate).
        """
        with self.ctx.db.sessions.begin() as session:
            suspended = self._suspend_inactive(session, None, spare_admins=False)
        if suspended:
            self.ctx.changes.publish(_USERS)
        return suspended

    def _suspend_inactive(
        self, session: Session, actor: Actor | None, *, spare_admins: bool
    ) -> list[str]:
        days = load_department_settings(session).inactivity_suspend_days
        cutoff = self.ctx.now() - dt.timedelta(days=days)
        active = list(session.scalars(select(User).where(User.state == AccountState.ACTIVE)))
        admins_left = sum(Role.ADMINISTRATOR in u.role_set for u in active)
        suspended = []
        for user in sorted(active, key=lambda u: u.id):
            is_admin = Role.ADMINISTRATOR in user.role_set
            if is_admin and (spare_admins or admins_left <= 1):
                continue
            if actor is not None and user.id == actor.user_id:
                continue
            last = user.last_activity_at or user.last_login_at or user.state_changed_at
            if last < cutoff:
                reason = f"No activity for more than {days} days"
                self._set_state(session, actor, user, AccountState.SUSPENDED, reason)
                suspended.append(user.username)
                admins_left -= is_admin
        return suspended


def _profile(**fields: str) -> dict[str, str]:
    """The account's descriptive fields, each cleaned and held to its column's length."""
    labels = {
        "full_name": "the full name",
        "organisation": "the organisation",
        "badge_number": "the badge number",
        "title": "the title",
        "email": "the e-mail address",
    }
    return {
        key: clean_text(
            value,
            labels[key],
            column_length(getattr(User, key)),
            required=key == "full_name",
        )
        for key, value in fields.items()
    }


def _roles(roles: Iterable[Role | str]) -> frozenset[Role]:
    try:
        role_set = parse_roles(str(r) for r in roles)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if not role_set:
        raise ValidationError("Give the user at least one role.")
    return role_set


def _reason(reason: str) -> str:
    reason = clean_text(reason, "the reason", column_length(User.state_reason), multiline=True)
    if not reason:
        raise ValidationError("Give a reason; it is kept with the account.")
    return reason
