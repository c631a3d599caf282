"""Server-side sign-in sessions: what makes an :class:`~alpr_desktop.services.base.Actor` live.

Sign-in creates a :class:`UserSession` row with a random id that the ``Actor`` carries.
Every unit of work checks that row (:func:`session_problem`): it exists, belongs to the
actor's user, has not ended, and has been seen recently. Logout and the workstation lock
end it (an unlock starts a new one), and so do suspension and deactivation of the user.

Expiry rule: a session expires when the database has not seen it for the department's
idle-lock period plus :data:`IDLE_GRACE`. The GUI locks itself after that idle period
(which ends the session anyway) and, while it is in use, keeps the session alive with
:meth:`AuthService.keep_alive` every minute even when the user only reads; so the
server-side expiry catches a workstation that stopped talking (crashed, killed, asleep)
and an ``Actor`` kept beyond its session, never a user at work.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr_desktop.settings import DepartmentSettings
from alpr_desktop.storage.models import User, UserSession

#: Time beyond the idle-lock period before the server ends a silent session.
IDLE_GRACE = dt.timedelta(minutes=2)
#: ``last_seen_at`` is written at most this often (saves a write on most calls).
SEEN_RESOLUTION = dt.timedelta(seconds=30)

#: Reasons a session ends; an unlock may continue after the lock ones.
LOCK_REASONS = frozenset({"idle_lock", "manual_lock", "expired"})
END_EVENTS = frozenset({"logout", "idle_lock", "manual_lock"})

_REASON_TEXT = {
    "logout": "you signed out",
    "idle_lock": "the workstation was locked",
    "manual_lock": "the workstation was locked",
    "expired": "it was idle too long",
    "suspended": "the account was suspended",
    "deactivated": "the account was deactivated",
    "pending": "the account awaits a second person's approval",
    "unlocked": "a new session replaced it",
    "password_reset": "an administrator reset the password",
}


def start_session(
    session: Session,
    user: User,
    *,
    workstation: str,
    settings: DepartmentSettings,
    now: dt.datetime,
) -> str:
    """Create a live session for ``user`` and return its id."""
    limit = dt.timedelta(minutes=settings.idle_lock_minutes) + IDLE_GRACE
    row = UserSession(
        id=secrets.token_hex(16),
        user_id=user.id,
        workstation=workstation,
        started_at=now,
        last_seen_at=now,
        idle_limit_seconds=int(limit.total_seconds()),
        end_reason="",
    )
    session.add(row)
    return row.id


def session_problem(
    session: Session, session_id: str, user_id: int, now: dt.datetime
) -> str | None:
    """Why the session cannot act (None: it is live, and now marked as seen).

    An idle-expired session is ended here, in the caller's transaction.
    """
    row = session.get(UserSession, session_id) if session_id else None
    if row is None or row.user_id != user_id:
        return "There is no sign-in session for this request; sign in."
    if row.ended_at is not None:
        why = _REASON_TEXT.get(row.end_reason, row.end_reason)
        return f"Your session has ended ({why}); sign in again."
    if now - row.last_seen_at > dt.timedelta(seconds=row.idle_limit_seconds):
        end(row, "expired", now)
        return "Your session has expired after inactivity; sign in again."
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
    return None


def end(row: UserSession, reason: str, now: dt.datetime) -> None:
    if row.ended_at is None:
        row.ended_at = now
        row.end_reason = reason


def end_session(
    session: Session, session_id: str, user_id: int, reason: str, now: dt.datetime
) -> None:
    """End one of ``user_id``'s sessions (nothing when it is not theirs or already ended)."""
    row = session.get(UserSession, session_id) if session_id else None
    if row is not None and row.user_id == user_id:
        end(row, reason, now)


def end_user_sessions(session: Session, user_id: int, reason: str, now: dt.datetime) -> int:
    """End every live session of ``user_id``; returns how many were ended."""
    rows = session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ).all()
    for row in rows:
        end(row, reason, now)
    return len(rows)


def resumable(session: Session, session_id: str, user_id: int) -> bool:
    """Whether an unlock may follow this session: the user's, live or ended by a lock."""
    row = session.get(UserSession, session_id) if session_id else None
    if row is None or row.user_id != user_id:
        return False
    return row.ended_at is None or row.end_reason in LOCK_REASONS
