"""Reproduce ``alpr_desktop/resources/passwords/common-passwords.txt.gz`` from Django.

The list is Django's ``django/contrib/auth/common-passwords.txt.gz`` (Royce Williams'
list of the 20,000 most common passwords, cut to the entries Django keeps), copied
byte for byte from a pinned Django wheel whose file hash is checked. Django is only
downloaded here, never installed or imported: it is not a dependency of the application.

Usage::

    .venv/bin/python tools/fetch_common_passwords.py          # download the wheel, copy
    .venv/bin/python tools/fetch_common_passwords.py --wheel /tmp/django-5.2.19-py3-none-any.whl
    .venv/bin/python tools/fetch_common_passwords.py --check  # exit 1 if the copy differs
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "alpr_desktop" / "resources" / "passwords" / "common-passwords.txt.gz"
DJANGO_VERSION = "5.2.19"
MEMBER = "django/contrib/auth/common-passwords.txt.gz"
SHA256 = "3c1baed62596de36860824eb3f436d5932d37ca8b06e59df78f5a44ec175afe4"


def download_wheel(directory: Path) -> Path:
    """``pip download`` the pinned Django wheel (no dependencies) into ``directory``."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    subprocess.run([*command, "-d", str(directory), f"django=={DJANGO_VERSION}"], check=True)
    return next(directory.glob(f"django-{DJANGO_VERSION}-*.whl"))


def extract(wheel: Path) -> bytes:
    """The list's bytes from ``wheel``, refused unless their SHA-256 is the pinned one."""
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{MEMBER} in {wheel.name} has SHA-256 {digest}, expected {SHA256}")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a Django wheel already downloaded")
    parser.add_argument("--check", action="store_true", help="only compare with the copy")
    args = parser.parse_args(argv)
    if args.check:
        ok = TARGET.exists() and hashlib.sha256(TARGET.read_bytes()).hexdigest() == SHA256
        state = "matches" if ok else "DIFFERS from"
        print(f"{TARGET.relative_to(ROOT)}: {state} Django {DJANGO_VERSION}")
        return 0 if ok else 1
    with tempfile.TemporaryDirectory() as tmp:
        data = extract(args.wheel or download_wheel(Path(tmp)))
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(data)
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(data)} bytes, sha256 {SHA256})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
