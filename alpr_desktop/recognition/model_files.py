"""Checks that a shipped or installed model weight file is the one the code was built for.

Weights are pinned by SHA-256. A file that is missing, unreadable or altered raises
:class:`~alpr_desktop.errors.ModelFileError` naming the file, so the user sees which
file to reinstall instead of a traceback from deep inside a framework.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from alpr_desktop.errors import ModelFileError


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_verified(path: Path, expected_sha256: str) -> bytes:
    """The bytes of ``path`` after checking their SHA-256 against ``expected_sha256``.

    Raises:
        ModelFileError: the file is missing, unreadable or its digest differs.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"model file {path} is missing; reinstall alpr-desktop") from None
    except OSError as exc:
        raise ModelFileError(f"model file {path} cannot be read: {exc.strerror}") from None
    digest = sha256_of(data)
    if digest != expected_sha256.lower():
        raise ModelFileError(
            f"model file {path} has been altered (SHA-256 {digest}, expected "
            f"{expected_sha256.lower()}); reinstall alpr-desktop"
        )
    return data


def verify_file(path: Path, expected_sha256: str) -> None:
    """Check the SHA-256 of ``path`` without keeping its bytes (for large files).

    Raises:
        ModelFileError: the file is missing, unreadable or its digest differs.
    """
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        raise ModelFileError(f"model file {path} is missing") from None
    except OSError as exc:
        raise ModelFileError(f"model file {path} cannot be read: {exc.strerror}") from None
    if digest.hexdigest() != expected_sha256.lower():
        raise ModelFileError(
            f"model file {path} has been altered (SHA-256 {digest.hexdigest()}, expected "
            f"{expected_sha256.lower()})"
        )
