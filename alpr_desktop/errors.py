"""Exceptions raised by the non-GUI layers.

Every error a user can cause carries a message written for that user; the GUI and the
command line show ``str(error)`` and never a traceback.
"""

from __future__ import annotations


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


class NotFoundError(AlprError):
    """The record asked for does not exist."""


class ModelFileError(AlprError):
    """A model weight file is missing, altered or unreadable."""
