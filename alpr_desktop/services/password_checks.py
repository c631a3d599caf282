"""One throttled, recorded password check: reserve, verify outside a transaction, settle.

Used by every place that checks a password the user types (sign-in, unlock, password
change), so each counts towards the same lockout and is recorded the same way; see
:mod:`alpr_desktop.services.lockout` for the atomic decision.

Timing: an unknown name is checked against a dummy hash made with the current Argon2
parameters; a stored hash made with other (older) parameters is checked, and then the
dummy is checked too, so a known account with an old, cheap hash takes at least the
current cost — as long as an unknown one. (After a *lowering* of the parameters an old,
dearer hash still takes longer until its owner signs in and it is rehashed.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2.exceptions import InvalidHashError
from sqlalchemy.orm import Session

from alpr_desktop.errors import AccountLockedError
from alpr_desktop.services import lockout
from alpr_desktop.services.audit import append_record
from alpr_desktop.services.passwords import make_hasher, verify_password
from alpr_desktop.settings import Argon2Parameters, DepartmentSettings
from alpr_desktop.storage.models import LoginAttempt, User

_DUMMY_SECRET = "timing-equaliser-not-a-password"  # noqa: S105 (hashed, never accepted)


@dataclass(frozen=True)
class Pending:
    """A reserved check: the name's key, the user (if any) and the settings it ran under."""

    key: str
    user_id: int | None
    stored_hash: str | None
    settings: DepartmentSettings
    #: Set when the check was refused because the name is locked (nothing reserved).
    locked_until: dt.datetime | None = None

    def raise_if_locked(self) -> None:
        """Raise :class:`AccountLockedError` (call after the refusal was committed)."""
        if self.locked_until is not None:
            raise AccountLockedError(locked_message(self.locked_until))


def locked_message(until: dt.datetime) -> str:
    local = until.astimezone().strftime("%H:%M")
    return (
        "Too many failed sign-ins. Sign-in with this username is blocked until "
        f"{local}; ask an administrator if you need access sooner."
    )


class PasswordChecks:
    """The reserve / verify / settle steps and their records, for one workstation."""

    def __init__(self, workstation: str) -> None:
        self.workstation = workstation
        self._dummies: dict[tuple[int, int, int], str] = {}

    def reserve(
        self,
        session: Session,
        *,
        user: User | None,
        key: str,
        settings: DepartmentSettings,
        now: dt.datetime,
        action: str,
    ) -> Pending:
        """Reserve a check of ``key``'s password.

        When the name is locked, ``{action}_refused_locked`` is recorded and the result
        carries the lock; the caller calls :meth:`Pending.raise_if_locked` after commit.
        """
        until = lockout.reserve(session, key, settings, now)
        if until is not None:
            self.attempt(session, key, user, False, now, f"{action}_refused_locked")
            if lockout.refuse(session, key, settings, now) is not None:
                self._locked(session, key, user, until, now)
        stored = user.password_hash if user else None
        return Pending(key, user.id if user else None, stored, settings, until)

    def verify(self, pending: Pending, password: str) -> bool:
        """The Argon2 check (slow: call it outside any transaction); see the module doc."""
        params = pending.settings.argon2
        hasher = make_hasher(params)
        if pending.stored_hash is None:
            verify_password(hasher, self._dummy(params), password)
            return False
        ok = verify_password(hasher, pending.stored_hash, password)
        try:
            stale = hasher.check_needs_rehash(pending.stored_hash)
        except InvalidHashError:
            stale = True
        if stale:
            verify_password(hasher, self._dummy(params), password)
        return ok

    def settle(
        self,
        session: Session,
        pending: Pending,
        user: User | None,
        ok: bool,
        now: dt.datetime,
        action: str,
    ) -> dt.datetime | None:
        """Settle the check; a failure is recorded as ``action`` and may lock the name.

        Returns the lock in force (for a success too: a lock set while it was in flight).
        """
        # The name's row first, then the trail: the same lock order as reserve(), so
        # concurrent checks of one name cannot deadlock on PostgreSQL.
        lockout.hold(session, pending.key)
        if not ok:
            self.attempt(session, pending.key, user, False, now, action)
        until, just_locked = lockout.settle(session, pending.key, ok, pending.settings, now)
        if just_locked and until is not None:
            self._locked(session, pending.key, user, until, now)
        return until

    def _locked(
        self, session: Session, key: str, user: User | None, until: dt.datetime, now: dt.datetime
    ) -> None:
        if user is not None:
            user.locked_until = until  # shown on the users page, refused by every service
        self.audit(session, key, user, now, "account_locked", outcome="refused")

    def attempt(
        self,
        session: Session,
        key: str,
        user: User | None,
        succeeded: bool,
        now: dt.datetime,
        action: str,
    ) -> None:
        """A :class:`LoginAttempt` row (what the lockout counts) and its access record."""
        session.add(
            LoginAttempt(
                username=key,
                user_id=user.id if user else None,
                attempted_at=now,
                succeeded=succeeded,
                workstation=self.workstation,
            )
        )
        self.audit(session, key, user, now, action, outcome="ok" if succeeded else "refused")

    def audit(
        self,
        session: Session,
        key: str,
        user: User | None,
        now: dt.datetime,
        action: str,
        *,
        outcome: str = "ok",
        detail: str = "",
    ) -> None:
        append_record(
            session,
            now=now,
            user_id=user.id if user else None,
            username=key,
            organisation=user.organisation if user else "",
            workstation=self.workstation,
            category="session",
            action=action,
            outcome=outcome,
            detail=detail,
        )

    def _dummy(self, params: Argon2Parameters) -> str:
        # One dummy per parameter set: after a cost change it is made at the new cost.
        key = (params.time_cost, params.memory_cost_kib, params.parallelism)
        if key not in self._dummies:
            self._dummies[key] = make_hasher(params).hash(_DUMMY_SECRET)
        return self._dummies[key]
