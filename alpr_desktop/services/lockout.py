"""Lockout after repeated failed password checks, decided atomically per sign-in name.

Every password check (sign-in, unlock, password change) runs in three steps:

1. :func:`reserve`, in a short transaction holding the name's :class:`LoginThrottle` row
   (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every transaction already holds the
   write lock, see ``storage.engine``): refuse if the name is locked, or if the failures
   counted so far plus the checks already in flight reach the threshold; otherwise count
   this check as in flight.
2. The slow Argon2 verification, outside any transaction.
3. :func:`settle`, again holding the row: the check is no longer in flight; a failure is
   counted and may lock the name for the full lock duration.

So however many guesses arrive at once, at most ``lockout_threshold`` of them are
verified. A lock lasts until its end, whatever the window, or until an administrator
lifts it (:func:`lift`, which a password reset calls).

Names that match no account are stored as a keyed hash (:func:`unknown_name_key`) in the
throttle, in ``login_attempts`` and in the access trail: what someone types into the
username field is sometimes their password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from alpr_desktop.settings import DepartmentSettings
from alpr_desktop.storage.models import LoginAttempt, LoginThrottle, SettingRow
from alpr_desktop.storage.types import utcnow

#: The settings row holding this installation's key for hashing unknown names. It lives
#: in the database, not on one workstation, so every workstation sharing a PostgreSQL
#: database hashes a name alike (the lockout of that name is shared too).
HASH_KEY_SETTING = "username_hash_key"
UNKNOWN_PREFIX = "unknown:"
#: An in-flight check older than this was abandoned (its process died); stop counting it.
IN_FLIGHT_TIMEOUT = dt.timedelta(minutes=2)
_SETTINGS = cast(Table, SettingRow.__table__)
_THROTTLES = cast(Table, LoginThrottle.__table__)


def unknown_name_key(session: Session, name: str) -> str:
    """``unknown:`` and an HMAC-SHA-256 of ``name`` (40 hex digits), never the name itself.

    A real username cannot contain ``:``, so the key never collides with one; the same
    name always gives the same key, so repeated attempts can still be told apart.
    """
    digest = hmac.new(_hash_key(session), name.encode("utf-8"), hashlib.sha256).hexdigest()
    return UNKNOWN_PREFIX + digest[:40]


def _hash_key(session: Session) -> bytes:
    value = session.scalar(select(SettingRow.value).where(SettingRow.key == HASH_KEY_SETTING))
    if value is None:
        # Generated on first use; a concurrent first use on another workstation wins the
        # insert and both read its key back.
        row = {"key": HASH_KEY_SETTING, "value": secrets.token_hex(32), "updated_at": utcnow()}
        session.execute(_insert_ignore(session, _SETTINGS, row))
        value = session.scalar(select(SettingRow.value).where(SettingRow.key == HASH_KEY_SETTING))
    assert value is not None
    return bytes.fromhex(value)


def _insert_ignore(session: Session, table: Table, values: dict[str, object]) -> Executable:
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table).values(values).on_conflict_do_nothing()


def hold(session: Session, key: str) -> LoginThrottle:
    """The name's throttle row, created if need be and locked for this transaction."""
    session.execute(_insert_ignore(session, _THROTTLES, {"key": key, "in_flight": 0}))
    stmt = (
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one()


def _failures(
    session: Session, row: LoginThrottle, settings: DepartmentSettings, now: dt.datetime
) -> int:
    """Failures of ``row``'s name inside the window and since the count was last reset."""
    conditions = [
        LoginAttempt.username == row.key,
        LoginAttempt.succeeded.is_(False),
        LoginAttempt.attempted_at > now - dt.timedelta(minutes=settings.lockout_window_minutes),
    ]
    if row.counted_since is not None:
        conditions.append(LoginAttempt.attempted_at >= row.counted_since)
    return int(session.scalar(select(func.count(LoginAttempt.id)).where(*conditions)) or 0)


def reserve(
    session: Session, key: str, settings: DepartmentSettings, now: dt.datetime
) -> dt.datetime | None:
    """Admit one password check for ``key``, or return until when the name is locked.

    A name whose failures plus checks in flight reach the threshold is treated as
    locked from now for the lock duration (the caller records the refusal as a failure).
    """
    row = hold(session, key)
    if row.locked_until is not None:
        if row.locked_until > now:
            return row.locked_until
        row.locked_until = None  # the lock has run its full course
    if row.in_flight and row.in_flight_since and now - row.in_flight_since > IN_FLIGHT_TIMEOUT:
        row.in_flight = 0
    if _failures(session, row, settings, now) + row.in_flight >= settings.lockout_threshold:
        return now + dt.timedelta(minutes=settings.lockout_duration_minutes)
    row.in_flight += 1
    row.in_flight_since = now
    return None


def settle(
    session: Session, key: str, ok: bool, settings: DepartmentSettings, now: dt.datetime
) -> tuple[dt.datetime | None, bool]:
    """Settle a reserved check: the lock in force afterwards, and whether it just began.

    Call it after adding a failed attempt's :class:`LoginAttempt` row, so it counts.
    A success resets the count, unless a lock was set while the check was in flight.
    """
    row = hold(session, key)
    row.in_flight = max(0, row.in_flight - 1)
    if row.locked_until is not None and row.locked_until > now:
        return row.locked_until, False
    if ok:
        row.counted_since = now
        return None, False
    session.flush()
    if _failures(session, row, settings, now) >= settings.lockout_threshold:
        return lock(row, settings, now), True
    return None, False


def refuse(
    session: Session, key: str, settings: DepartmentSettings, now: dt.datetime
) -> dt.datetime | None:
    """After a refusal recorded as a failure: lock the name if the failures now reach it.

    Returns the lock when this call set it.
    """
    row = hold(session, key)
    if row.locked_until is not None and row.locked_until > now:
        return None
    session.flush()
    if _failures(session, row, settings, now) >= settings.lockout_threshold:
        return lock(row, settings, now)
    return None


def lock(row: LoginThrottle, settings: DepartmentSettings, now: dt.datetime) -> dt.datetime:
    until = now + dt.timedelta(minutes=settings.lockout_duration_minutes)
    row.locked_until = until
    row.counted_since = until  # failures before the lock's end do not count after it
    return until


def lift(session: Session, key: str, now: dt.datetime) -> None:
    """Lift any lock on ``key`` and forget its failures (an administrator's decision)."""
    row = hold(session, key)
    row.locked_until = None
    row.counted_since = now


def locked_until(session: Session, key: str, now: dt.datetime) -> dt.datetime | None:
    """The lock in force on ``key`` (read only)."""
    until = session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.key == key))
    return until if until is not None and until > now else None
