"""Argon2id hashing and the password rules."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from alpr_desktop.errors import ValidationError
from alpr_desktop.settings import Argon2Parameters


def make_hasher(params: Argon2Parameters) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, *, username: str, min_length: int) -> None:
    """Raise :class:`ValidationError` with the specific rule a new password breaks."""
    if len(password) < min_length:
        raise ValidationError(f"The password must be at least {min_length} characters long.")
    if len(password) > 1024:
        raise ValidationError("The password must be at most 1024 characters long.")
    if password.strip() != password:
        raise ValidationError("The password must not start or end with a space.")
    if username and username.casefold() in password.casefold():
        raise ValidationError("The password must not contain the username.")
    if len(set(password)) < 4:
        raise ValidationError("The password must use at least 4 different characters.")
