"""Separation of duties: who may not act on whom, beyond what the roles allow.

The rules and the bootstrap are stated in :mod:`alpr_desktop.core.roles` and
``docs/accounts.md``; :class:`~alpr_desktop.services.users.UserService` applies them
with the checks here, inside its unit of work.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr_desktop.core.roles import APPROVER_ROLES, Role
from alpr_desktop.errors import SeparationOfDutiesError
from alpr_desktop.storage.models import AccountState, SettingRow, User, UserRole

#: Settings row written once, when a second approver first exists; from then on the
#: two-person rules hold for good. It is no field of ``DepartmentSettings``, so the
#: settings service cannot be used to turn them off again.
IN_FORCE_KEY = "two_person_rules_since"


def active_approvers(session: Session) -> int:
    """How many active accounts hold a role that may activate accounts."""
    return int(
        session.scalar(
            select(func.count(func.distinct(User.id)))
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.state == AccountState.ACTIVE, UserRole.role.in_(APPROVER_ROLES))
        )
        or 0
    )


def two_person_rules_in_force(session: Session, now: dt.datetime) -> bool:
    """Whether a second approver has ever existed (recording it the first time it has)."""
    if session.get(SettingRow, IN_FORCE_KEY) is not None:
        return True
    if active_approvers(session) < 2:
        return False
    session.add(SettingRow(key=IN_FORCE_KEY, value=json.dumps(now.isoformat()), updated_at=now))
    session.flush()
    return True


def refuse_self(me: User, user: User, what: str) -> None:
    if user.id == me.id:
        raise SeparationOfDutiesError(f"You cannot {what}; another administrator must.")


def check_activation(session: Session, me: User, user: User, now: dt.datetime) -> bool:
    """Refuse a pending account's activation by whoever made it pending.

    Returns:
        True when the activation is allowed only by the bootstrap (one approver so far).
    """
    if user.state is not AccountState.PENDING:
        return False
    if me.id not in (user.created_by_id, user.state_changed_by_id):
        return False
    if two_person_rules_in_force(session, now):
        did = "created this account" if me.id == user.created_by_id else "made it pending"
        raise SeparationOfDutiesError(
            f"You {did}; a second supervisor or administrator must activate it."
        )
    return True


def roles_not_held(me: User, user: User) -> frozenset[Role]:
    """The target's roles the acting user does not hold (a password reset would lend them)."""
    return user.role_set - me.role_set


def check_suspension(me: User, user: User, *, supervisors_may: bool) -> None:
    if (
        Role.ADMINISTRATOR in user.role_set
        and Role.ADMINISTRATOR not in me.role_set
        and not supervisors_may
    ):
        raise SeparationOfDutiesError(
            "Only an administrator may suspend an administrator here (the department "
            "setting 'supervisors may suspend administrators' is off)."
        )
