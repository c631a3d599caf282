"""What the Home page reminds a user of (requirements §8; policy 471.4(d), 471.5).

- **Training** (471.4(d), 471.8): the user's own ALPR training expiring within
  :data:`TRAINING_NOTICE` or expired; for those who record training
  (``MANAGE_TRAINING``), every active account in that state, so nobody loses access to
  data by surprise.
- **Evidence holds** (471.5): a hold's review date within :data:`REVIEW_NOTICE` or past —
  the investigator's own holds, and for supervisors (``APPROVE_EVIDENCE_HOLD``) every
  approved hold plus the requests from others awaiting their decision.
- **Release requests** (471.7(b)): for a commander, each submitted request awaiting the
  decision (agency and case number, nothing of the data asked for).

Reminders name accounts, hold numbers and case numbers, never plates or reads: they are
not ALPR data, so they need no purpose and write no access record (the holds page they
lead to does).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from alpr_desktop.core.releases import ReleaseStatus
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import SessionEndedError
from alpr_desktop.services.base import Actor, BaseService
from alpr_desktop.storage.models import (
    AccountState,
    EvidenceHold,
    HoldStatus,
    ReleaseRequest,
    User,
)

#: Training expiring within this is a reminder.
TRAINING_NOTICE = dt.timedelta(days=30)
#: A hold's review date within this is a reminder.
REVIEW_NOTICE = dt.timedelta(days=14)


class Level(enum.IntEnum):
    """Lower comes first."""

    OVERDUE = 0
    SOON = 1
    TO_DO = 2


@dataclass(frozen=True)
class Reminder:
    level: Level
    text: str
    #: The page that deals with it (a main-window page key).
    page: str


class ReminderService(BaseService):
    """The reminders of the signed-in user (see the module docstring)."""

    def for_user(self, actor: Actor) -> list[Reminder]:
        today = self.ctx.now().date()
        with self.ctx.db.sessions() as session, session.begin():
            problem = self._session_problem(session, actor)
            if problem is not None:
                raise SessionEndedError(problem)
            reminders: list[Reminder] = []
            users = session.scalars(
                select(User)
                .where(User.state == AccountState.ACTIVE)
                .options(selectinload(User.training))
                .order_by(User.username)
            ).all()
            for user in users:
                own = user.id == actor.user_id
                if own or actor.may(Action.MANAGE_TRAINING):
                    reminder = _training(user, today, own=own)
                    if reminder is not None:
                        reminders.append(reminder)
            reminders.extend(self._holds(session, actor, today))
            reminders.extend(_releases(session, actor))
        return sorted(reminders, key=lambda r: r.level)

    def _holds(self, session: Session, actor: Actor, today: dt.date) -> list[Reminder]:
        supervisor = actor.may(Action.APPROVE_EVIDENCE_HOLD)
        if not (supervisor or actor.may(Action.REQUEST_EVIDENCE_HOLD)):
            return []
        query = select(EvidenceHold).where(
            EvidenceHold.status.in_((HoldStatus.REQUESTED, HoldStatus.APPROVED))
        )
        if not supervisor:
            query = query.where(EvidenceHold.requested_by_id == actor.user_id)
        out: list[Reminder] = []
        for hold in session.scalars(query.order_by(EvidenceHold.review_on)):
            name = f"Evidence hold {hold.id} (case {hold.case_number})"
            if supervisor and hold.status is HoldStatus.REQUESTED:
                if hold.requested_by_id != actor.user_id:
                    out.append(Reminder(Level.TO_DO, f"{name} awaits a decision.", "holds"))
                continue
            days = (hold.review_on - today).days
            if days < 0:
                text = f"{name}: review was due on {hold.review_on:%Y-%m-%d}."
                out.append(Reminder(Level.OVERDUE, text, "holds"))
            elif days <= REVIEW_NOTICE.days:
                text = f"{name}: review due on {hold.review_on:%Y-%m-%d} ({_in_days(days)})."
                out.append(Reminder(Level.SOON, text, "holds"))
        return out


def _releases(session: Session, actor: Actor) -> list[Reminder]:
    """For a commander: each submitted release request awaiting the decision (471.7(b))."""
    if not actor.may(Action.DECIDE_RELEASE_REQUEST):
        return []
    rows = session.execute(
        select(ReleaseRequest.id, ReleaseRequest.agency_name, ReleaseRequest.case_number)
        .where(ReleaseRequest.status == ReleaseStatus.SUBMITTED)
        .order_by(ReleaseRequest.submitted_at)
    )
    return [
        Reminder(
            Level.TO_DO,
            f"Release request {r.id} from {r.agency_name} (case {r.case_number}) awaits "
            "your decision.",
            "releases",
        )
        for r in rows
    ]


def _training(user: User, today: dt.date, *, own: bool) -> Reminder | None:
    whose = "Your" if own else f"{user.full_name} ({user.username}):"
    current = [t.expires_on for t in user.training if t.completed_on <= today < t.expires_on]
    if current:
        expires = max(current)
        days = (expires - today).days
        if days > TRAINING_NOTICE.days:
            return None
        text = f"{whose} ALPR training expires on {expires:%Y-%m-%d} ({_in_days(days)})."
        return Reminder(Level.SOON, _sentence(text, own), "home" if own else "users")
    if not user.training:
        text = f"{whose} no ALPR training is recorded; no access to ALPR data until it is."
    else:
        last = max(t.expires_on for t in user.training)
        text = f"{whose} ALPR training expired on {last:%Y-%m-%d}; no access to ALPR data."
    return Reminder(Level.OVERDUE, _sentence(text, own), "home" if own else "users")


def _sentence(text: str, own: bool) -> str:
    return text.replace("Your no ", "No ", 1) if own else text


def _in_days(days: int) -> str:
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
