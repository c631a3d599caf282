"""What every service shares: the context, the acting user and the authorisation gate.

Each public service method is one unit of work: it opens a transaction, authorises the
acting user for one :class:`~alpr_desktop.core.roles.Action` (state, lock, temporary
password, role, and — for ALPR data — current training), does its work, records it in
the access trail and commits. A refusal is recorded too, in a transaction of its own,
before :class:`~alpr_desktop.errors.PermissionDenied` is raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr_desktop.core.roles import Action, Role, is_permitted
from alpr_desktop.errors import PasswordChangeRequired, PermissionDenied, SessionEndedError
from alpr_desktop.messages import ChangeBus, Changes, MessageBridge
from alpr_desktop.settings import DepartmentSettings
from alpr_desktop.storage.engine import Database
from alpr_desktop.storage.models import AccessRecord, AccountState, SettingRow, User
from alpr_desktop.storage.types import utcnow

#: The user name scheduled jobs and start-up checks are recorded under.
SYSTEM_USERNAME = "system"

#: How stale ``last_activity_at`` may get before an action refreshes it (saves writes).
ACTIVITY_RESOLUTION = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Actor:
    """The authenticated user a service acts for (what a login returns)."""

    user_id: int
    username: str
    full_name: str
    organisation: str
    roles: frozenset[Role]
    #: The server-side session this actor acts in; without a live one nothing is done.
    session_id: str = field(default="", repr=False)

    def may(self, action: Action) -> bool:
        """Whether the roles allow ``action`` — for hiding GUI parts; services re-check."""
        return is_permitted(self.roles, action)


@dataclass
class ServiceContext:
    """Everything services need, built once by the composition root."""

    db: Database
    workstation: str = ""
    clock: Callable[[], dt.datetime] = utcnow
    changes: ChangeBus = field(default_factory=ChangeBus)
    messages: MessageBridge = field(default_factory=MessageBridge)

    def now(self) -> dt.datetime:
        return self.clock()

    def display_now(self) -> dt.datetime:
        """The time for display on the GUI thread: never a database round trip.

        The server clock (PostgreSQL) re-reads the server now and then; the GUI thread
        must not wait for that, so it gets the clock's last estimate instead.
        """
        estimate = getattr(self.clock, "estimate", None)
        return estimate() if callable(estimate) else self.clock()


def load_department_settings(session: Session) -> DepartmentSettings:
    rows = {r.key: r.value for r in session.scalars(select(SettingRow))}
    return DepartmentSettings.from_rows(rows)


def training_current(user: User, today: dt.date) -> bool:
    return any(t.completed_on <= today < t.expires_on for t in user.training)


class BaseService:
    """Base of every service: holds the context and implements :meth:`_work`."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @contextmanager
    def _work(
        self, actor: Actor, action: Action, *, changes: Changes | None = None
    ) -> Iterator[tuple[Session, User]]:
        """One authorised unit of work; commits on success and then broadcasts ``changes``."""
        with self.ctx.db.sessions() as session:
            refusal: str | None = None
            user: User | None = None
            with session.begin():
                ended = self._session_problem(session, actor)
                user = session.get(User, actor.user_id)
                refusal = self._refusal(session, user, action)
                if ended is not None and user is not None and user.state is not AccountState.ACTIVE:
                    ended = None  # refused either way; the account's state says why
                if ended is None and refusal is None:
                    assert user is not None
                    self._touch(user)
                    yield session, user
            if ended is not None:
                self._record_refusal(actor, action, ended)
                raise SessionEndedError(ended)
            if refusal is not None:
                self._record_refusal(actor, action, refusal)
                if refusal == _TEMPORARY:
                    raise PasswordChangeRequired(
                        "Change your temporary password before doing anything else."
                    )
                raise PermissionDenied(refusal)
        if changes is not None:
            self.ctx.changes.publish(changes)

    def _session_problem(self, session: Session, actor: Actor) -> str | None:
        """Why ``actor``'s session cannot act (None: live); see :mod:`.sessions`."""
        from alpr_desktop.services.sessions import session_problem

        return session_problem(session, actor.session_id, actor.user_id, self.ctx.now())

    def _refusal(self, session: Session, user: User | None, action: Action) -> str | None:
        now = self.ctx.now()
        if user is None:
            return "Your account no longer exists."
        if user.state is not AccountState.ACTIVE:
            return f"Your account is {user.state.value}; you cannot {_describe(action)}."
        if user.locked_until is not None and user.locked_until > now:
            return "Your account is locked after repeated failed sign-ins."
        if user.password_is_temporary:
            return _TEMPORARY
        if not is_permitted(user.role_set, action):
            return f"Your roles do not allow you to {_describe(action)}."
        if action.data_access and not training_current(user, now.date()):
            return (
                "You have no current ALPR training record (policy 471.4(d)); "
                f"you cannot {_describe(action)} until an administrator records it."
            )
        return None

    def _touch(self, user: User) -> None:
        now = self.ctx.now()
        if user.last_activity_at is None or now - user.last_activity_at > ACTIVITY_RESOLUTION:
            user.last_activity_at = now

    def _append(self, session: Session, actor: Actor | None, **fields: Any) -> AccessRecord:
        """Append an access record by ``actor`` on this workstation, stamped with the clock.

        ``actor`` None: a scheduled job nobody is signed in for, recorded as the
        ``system`` user (as the start-up checks are).
        """
        from alpr_desktop.services.audit import append_record

        who: dict[str, Any] = (
            {"username": SYSTEM_USERNAME}
            if actor is None
            else {
                "user_id": actor.user_id,
                "username": actor.username,
                "organisation": actor.organisation,
            }
        )
        return append_record(
            session, now=self.ctx.now(), workstation=self.ctx.workstation, **who, **fields
        )

    def _record_refusal(self, actor: Actor, action: Action, reason: str) -> None:
        with self.ctx.db.sessions.begin() as session:
            self._append(
                session,
                actor,
                category="data" if action.data_access else "admin",
                action=action.value,
                outcome="refused",
                detail=reason,
            )


_TEMPORARY = "temporary-password"


def _describe(action: Action) -> str:
    return action.value.replace("_", " ")
