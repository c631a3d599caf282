"""Validation of free-text input, in one place, before any of it reaches the database.

Every text a user types is checked here by the service that stores it, so both
databases answer hostile input the same way: PostgreSQL rejects a NUL byte and an
over-long value with a driver error (whose text carries the SQL), while SQLite stores
either silently. Limits come from the schema's own column lengths, so the two cannot
drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from alpr_desktop.errors import ValidationError
from alpr_desktop.storage.models import User

#: Unicode categories refused: control characters (C0, DEL, C1) and lone surrogates.
_REFUSED = frozenset({"Cc", "Cs"})
#: What multi-line text (notes, reasons) may carry besides printable characters.
_LAYOUT = frozenset("\n\t")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def column_length(attribute: Any) -> int:
    """The declared length of a ``String(n)`` mapped column, e.g. ``User.full_name``."""
    length = attribute.property.columns[0].type.length
    if not isinstance(length, int):
        raise TypeError(f"{attribute} has no declared length")
    return length


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` holds a control character (NUL included) or a lone surrogate.

    A lone surrogate cannot be encoded as UTF-8, so the driver would fail on it too.
    """
    return any(
        unicodedata.category(char) in _REFUSED and not (multiline and char in _LAYOUT)
        for char in value
    )


def clean_text(
    value: str,
    label: str,
    max_length: int | None,
    *,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """``value`` stripped, or :class:`ValidationError` naming ``label`` and the rule.

    Args:
        value: the text as typed.
        label: what the field is called in the message ("the full name").
        max_length: the column's length (see :func:`column_length`); None for ``Text``.
        required: refuse an empty value.
        multiline: allow line breaks and tabs (notes, reasons).
    """
    if not isinstance(value, str):
        raise ValidationError(f"{_capital(label)} must be text.")
    if has_control_characters(value, multiline=multiline):
        raise ValidationError(f"{_capital(label)} must not contain control characters.")
    text = value.strip()
    if required and not text:
        raise ValidationError(f"Enter {label}.")
    if max_length is not None and len(text) > max_length:
        raise ValidationError(f"{_capital(label)} must be at most {max_length} characters long.")
    return text


def normalize_username(username: str) -> str:
    return username.strip().casefold()


def validate_username(username: str) -> str:
    """The normalised username, or :class:`ValidationError` stating the rule."""
    name = normalize_username(username)
    if not USERNAME_RE.fullmatch(name):
        raise ValidationError(
            "A username is 3–64 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


def login_name(typed: str) -> str:
    """The name a sign-in attempt is looked up and recorded under; safe for any database.

    A name that breaks the username rules cannot belong to an account, so it is mapped
    to a stand-in that can never match one (control characters become U+FFFD, an
    over-long name is cut and marked with an ellipsis) and takes the ordinary
    unknown-user path: the same answer, the same lockout, and no database error.
    """
    name = normalize_username(typed)
    if USERNAME_RE.fullmatch(name):
        return name
    name = "".join("\ufffd" if unicodedata.category(c) in _REFUSED else c for c in name)
    limit = column_length(User.username)
    if len(name) > limit:
        name = name[: limit - 1] + "\u2026"
    return name


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]
