"""Exceptions raised by the non-GUI layers.

Every error a user can cause carries a message written for that user; the GUI and the
command line show ``str(error)`` and never a traceback.
"""

from __future__ import annotations

import logging

_log = logging.getLogger(__name__)


class AlprError(Exception):
    """Base class of every expected, user-facing error."""


class ConfigurationError(AlprError):
    """A setting, URL or path is invalid."""


class StorageError(AlprError):
    """The database cannot be opened, reached, migrated or written."""


class ValidationError(AlprError):
    """User input was rejected; nothing was changed."""


class AuthenticationError(AlprError):
    """Login failed. The message never says whether the user exists."""


class AccountLockedError(AuthenticationError):
    """Too many failed attempts; the account is locked for a while."""


class PasswordChangeRequired(AlprError):
    """The password is temporary and must be changed before anything else."""


class PermissionDenied(AlprError):
    """The current user may not perform this action."""


class SessionEndedError(PermissionDenied):
    """The sign-in session has ended (logout, lock, suspension) or expired."""


class SeparationOfDutiesError(PermissionDenied):
    """The roles allow the action, but not for this person on this account.

    See ``docs/accounts.md``: nobody changes their own roles or records their own
    training, and some changes need a second person.
    """


class NotFoundError(AlprError):
    """The record asked for does not exist."""


class ModelFileError(AlprError):
    """A model weight file is missing, altered or unreadable."""


DATABASE_ERROR = (
    "A database error occurred; nothing was changed. If it happens again, tell your "
    "ALPR administrator the time it happened."
)


def database_error(exc: BaseException) -> StorageError:
    """A :class:`StorageError` for an unexpected database exception, safe to show.

    The driver's message quotes the SQL and its parameters, which may hold what the
    user typed; neither is shown, and only the statement (never the parameters) and the
    exception types are logged, at debug level.
    """
    orig = getattr(exc, "orig", None)
    _log.debug(
        "database error %s (%s) in: %s",
        type(exc).__name__,
        type(orig).__name__ if orig is not None else "-",
        getattr(exc, "statement", None),
    )
    return StorageError(DATABASE_ERROR)
