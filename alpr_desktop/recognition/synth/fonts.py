"""Fonts for synthetic plates.

Fonts come from PyPI font packages (``font-roboto``, ``font-fjallaone``,
``font-source-sans-pro``, ``font-lato``; listed in the ``ocr`` extra) and, when present,
from the Debian packages in ``DEBIAN_FONT_PACKAGES`` (``fonts-dejavu-core``,
``fonts-dejavu-extra``, ``fonts-liberation``, ``fonts-freefont-ttf``). Only rendered
images are used, at training time; no font ships with the application. Licences:
Apache-2.0 (Roboto), SIL OFL 1.1 (the others), GPL with font exception (FreeFont),
DejaVu's Bitstream Vera licence.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# (package, file name, usable for the big plate characters)
_PYPI_FONTS: tuple[tuple[str, str, bool], ...] = (
    ("font_fjallaone", "FjallaOne-Regular.ttf", True),
    ("font_roboto", "Roboto-Bold.ttf", True),
    ("font_roboto", "Roboto-Medium.ttf", True),
    ("font_roboto", "Roboto-Black.ttf", True),
    ("font_roboto", "Roboto-Regular.ttf", False),
    ("font_roboto", "Roboto-Italic.ttf", False),
    ("font_roboto", "Roboto-BoldItalic.ttf", False),
    ("font_source_sans_pro", "SourceSansPro-Bold.ttf", True),
    ("font_source_sans_pro", "SourceSansPro-Semibold.ttf", True),
    ("font_source_sans_pro", "SourceSansPro-Black.ttf", True),
    ("font_source_sans_pro", "SourceSansPro-Regular.ttf", False),
    ("font_source_sans_pro", "SourceSansPro-It.ttf", False),
    ("font_lato", "Lato-Bold.ttf", True),
    ("font_lato", "Lato-Black.ttf", True),
    ("font_lato", "Lato-Regular.ttf", False),
    ("font_lato", "Lato-BoldItalic.ttf", False),
)

# (Debian package, file, usable for the big plate characters)
_SYSTEM_FONTS: tuple[tuple[str, str, bool], ...] = (
    ("fonts-dejavu-extra", "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf", True),
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", True),
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", True),
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", False),
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf", False),
    (
        "fonts-dejavu-extra",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-BoldOblique.ttf",
        False,
    ),
    (
        "fonts-liberation",
        "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
        True,
    ),
    ("fonts-liberation", "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf", True),
    ("fonts-liberation", "/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf", True),
    (
        "fonts-liberation",
        "/usr/share/fonts/truetype/liberation/LiberationSerif-BoldItalic.ttf",
        False,
    ),
    ("fonts-liberation", "/usr/share/fonts/truetype/liberation/LiberationSans-Italic.ttf", False),
    ("fonts-freefont-ttf", "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf", True),
    ("fonts-freefont-ttf", "/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf", False),
    ("fonts-freefont-ttf", "/usr/share/fonts/truetype/freefont/FreeSerifBoldItalic.ttf", False),
)

# every Debian package of _SYSTEM_FONTS, in order (training wants all of them)
DEBIAN_FONT_PACKAGES: tuple[str, ...] = tuple(dict.fromkeys(pkg for pkg, _, _ in _SYSTEM_FONTS))


def missing_system_fonts() -> list[Path]:
    """The Debian font files of the full training font set that are not installed here."""
    return [Path(name) for _, name, _ in _SYSTEM_FONTS if not Path(name).is_file()]


def missing_font_packages() -> list[str]:
    """The Debian packages to install for :func:`missing_system_fonts`, in order."""
    missing = {str(p) for p in missing_system_fonts()}
    return list(dict.fromkeys(pkg for pkg, name, _ in _SYSTEM_FONTS if name in missing))


@dataclass(frozen=True)
class FontSet:
    """Font files found on this machine: ``plate`` for the characters, ``small`` for the rest."""

    plate: tuple[Path, ...]
    small: tuple[Path, ...]


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=2)
def find_fonts(system: bool = True) -> FontSet:
    """The plate and small-text fonts available, in a fixed order (for determinism).

    Args:
        system: also use the Debian fonts when installed. ``False`` gives the same fonts on
            every machine with the ``ocr`` extra (the PyPI font packages), so a seed gives
            the same images everywhere.

    Raises:
        FileNotFoundError: no usable font is installed.
    """
    plate: list[Path] = []
    small: list[Path] = []
    for package, filename, for_plate in _PYPI_FONTS:
        folder = _package_dir(package)
        if folder is None:
            continue
        path = folder / "files" / filename
        if path.is_file():
            (plate if for_plate else small).append(path)
    for _, name, for_plate in _SYSTEM_FONTS if system else ():
        path = Path(name)
        if path.is_file():
            (plate if for_plate else small).append(path)
    if not plate:
        raise FileNotFoundError(
            "no plate font found: install the 'ocr' extra (font-roboto, font-fjallaone, "
            "font-source-sans-pro, font-lato) or the Debian package fonts-dejavu-core"
        )
    return FontSet(tuple(plate), tuple(plate) + tuple(small))
