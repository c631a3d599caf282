"""The Debian packages Qt's xcb platform plugin and Qt WebEngine need, read off ``ldd``.

PySide6's wheels bundle Qt itself but not the X11/XCB client libraries its ``xcb``
platform plugin (``libqxcb.so``, the one a desktop session uses) links against, nor
what Qt WebEngine (the maps) links against (NSS, ALSA, X extensions). A missing one
only shows when a real window or a map is opened.

Usage::

    .venv/bin/python tools/qt_system_packages.py           # the packages, one line
    .venv/bin/python tools/qt_system_packages.py --check   # exit 1 naming missing libraries

The first form maps every library ``ldd`` resolves for the plugin to the Debian package
that owns it (``dpkg -S``); its output is the ``xcb`` list in ``.ci/system-deps``
(regenerate it there when PySide6 is upgraded). ``--check`` is the CI gate: it fails
when ``ldd`` reports a library "not found", i.e. when the list has fallen behind.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import PySide6

#: Qt's own libraries come with the wheel; libc and the compiler runtime are essential.
SKIP_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}


def plugin_path() -> Path:
    return Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"


def checked_paths() -> list[Path]:
    """The xcb plugin, and Qt WebEngine's core library when its wheel is installed."""
    web_engine = Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6WebEngineCore.so.6"
    return [plugin_path()] + ([web_engine] if web_engine.exists() else [])


def ldd(path: Path) -> list[tuple[str, str | None]]:
    """(library name, resolved path or None when not found) for everything ``path`` loads."""
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=True).stdout
    libraries: list[tuple[str, str | None]] = []
    for line in out.splitlines():
        if "=>" not in line:
            continue
        name, _, rest = (part.strip() for part in line.partition("=>"))
        target = rest.split(" (")[0].strip()
        libraries.append((name, None if target == "not found" else target))
    return libraries


def owner(library: str) -> str | None:
    """The Debian package that installed ``library`` (None for files of the wheel)."""
    candidates = [library, str(Path(library).resolve())]
    for candidate in candidates:
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].strip()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a library is missing")
    args = parser.parse_args(argv)
    paths = checked_paths()
    libraries = [library for path in paths for library in ldd(path)]
    missing = sorted({name for name, target in libraries if target is None})
    names = ", ".join(p.name for p in paths)
    if args.check:
        if missing:
            print(
                f"{names} cannot load: missing {', '.join(missing)}. Add their Debian "
                "packages to .ci/system-deps (see tools/qt_system_packages.py).",
                file=sys.stderr,
            )
            return 1
        print(f"{names}: all {len(set(libraries))} libraries found")
        return 0
    packages = {owner(target) for _name, target in libraries if target is not None}
    print(" ".join(sorted(p for p in packages if p and p not in SKIP_PACKAGES)))
    if missing:
        print(f"not found (install them, then run again): {' '.join(missing)}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
