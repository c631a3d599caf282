"""Argon2id hashing, the password rules and the Argon2 cost floor.

The rules follow NIST SP 800-63B §5.1.1.2: a length floor, no truncation, and a new
password is compared with breached and common passwords (the list shipped in
``resources/passwords``, see its ``PROVENANCE.md``), repetitive or sequential
characters and context-specific words — the user's own username and names. No
composition rules.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import re
from importlib.resources import files

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from alpr_desktop.errors import ValidationError
from alpr_desktop.services.fields import has_control_characters
from alpr_desktop.settings import Argon2Parameters

MAX_LENGTH = 1024

#: OWASP Password Storage Cheat Sheet: the least Argon2id memory (KiB) for each time
#: cost, with parallelism 1. A time cost above 5 needs no more than 5 does.
OWASP_MIN_MEMORY_KIB = {1: 47104, 2: 19456, 3: 12288, 4: 9216, 5: 7168}

#: Character orders a person types without thinking: alphabet, digits, keyboard rows.
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
#: A password whose steps are this predictable (repeat or neighbour) is refused.
_PREDICTABLE_SHARE = 0.75
_AFFIXES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_NAME_PARTS = re.compile(r"[\W_]+")
#: Name parts shorter than this ("Ann", "Lee", "Kim") are too common inside ordinary
#: words ("annual", "sleepy", "skimmer") to refuse on.
_MIN_NAME_PART = 4


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


def check_argon2_strength(params: Argon2Parameters) -> None:
    """Raise :class:`ValidationError` when ``params`` are below OWASP's minimum."""
    needed = OWASP_MIN_MEMORY_KIB[min(params.time_cost, 5)]
    if params.memory_cost_kib < needed:
        pairs = ", ".join(f"{m // 1024} MiB with t={t}" for t, m in OWASP_MIN_MEMORY_KIB.items())
        raise ValidationError(
            f"Argon2 memory {params.memory_cost_kib // 1024} MiB with time cost "
            f"{params.time_cost} is below OWASP's minimum of {needed // 1024} MiB "
            f"(OWASP Password Storage Cheat Sheet: {pairs})."
        )


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of breached and common passwords, lower case (read once)."""
    resource = files("alpr_desktop").joinpath("resources", "passwords", "common-passwords.txt.gz")
    text = gzip.decompress(resource.read_bytes()).decode("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def check_new_password(
    password: str, *, username: str, min_length: int, full_name: str = ""
) -> None:
    """Raise :class:`ValidationError` with the specific rule a new password breaks."""
    if len(password) < min_length:
        raise ValidationError(f"The password must be at least {min_length} characters long.")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"The password must be at most {MAX_LENGTH} characters long.")
    if has_control_characters(password):
        raise ValidationError("The password must not contain control characters.")
    if password.strip() != password:
        raise ValidationError("The password must not start or end with a space.")
    folded = password.casefold()
    if username and username.casefold() in folded:
        raise ValidationError("The password must not contain the username.")
    if any(part in folded for part in _name_parts(full_name)):
        raise ValidationError("The password must not contain your name.")
    if len(set(password)) < 4:
        raise ValidationError("The password must use at least 4 different characters.")
    if _is_common(folded):
        raise ValidationError(
            "This password is on the list of common or breached passwords; choose another."
        )
    if _is_predictable(folded):
        raise ValidationError(
            "The password is made of repeated or sequential characters (like 'abcd', "
            "'1234' or 'qwerty'); choose another."
        )


def _name_parts(full_name: str) -> list[str]:
    return [p for p in _NAME_PARTS.split(full_name.casefold()) if len(p) >= _MIN_NAME_PART]


def _is_common(folded: str) -> bool:
    """On the list as typed, or a listed word with digits or symbols stuck around it."""
    listed = common_passwords()
    if folded in listed:
        return True
    core = _AFFIXES.sub("", folded)
    return bool(core) and core != folded and core in listed


def _is_predictable(folded: str) -> bool:
    steps = list(itertools.pairwise(folded))
    predictable = sum(1 for a, b in steps if a == b or _neighbours(a, b))
    return predictable >= _PREDICTABLE_SHARE * len(steps)


def _neighbours(a: str, b: str) -> bool:
    return any(a + b in seq or b + a in seq for seq in _SEQUENCES)
