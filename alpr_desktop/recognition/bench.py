"""Folders in the bench format (``../shared/bench/README.md``) and the fixed split rule.

Each ``NAME.jpg`` has a ``NAME.txt`` beside it holding one tab-separated line:
``NAME.jpg  x  y  w  h  PLATE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alpr_desktop.errors import ValidationError
from alpr_desktop.recognition.types import PlateBox

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
HOLDOUT_EVERY = 5


@dataclass(frozen=True)
class BenchItem:
    image: Path
    box: PlateBox
    plate: str
    index: int  # position in name order, used by the split rule

    @property
    def held_out(self) -> bool:
        return is_held_out(self.index)


def is_held_out(index: int) -> bool:
    """The fixed split: every fifth image in name order (index 4, 9, 14, …) is held out."""
    return index % HOLDOUT_EVERY == HOLDOUT_EVERY - 1


def _parse_label(path: Path) -> tuple[PlateBox, str]:
    line = path.read_text(encoding="utf-8").strip().splitlines()[0]
    parts = line.split("\t")
    if len(parts) < 6:
        parts = line.split()
    if len(parts) < 6:
        raise ValidationError(f"{path}: expected 'NAME x y w h PLATE', got {line!r}")
    try:
        x, y, w, h = (int(float(v)) for v in parts[1:5])
    except ValueError:
        raise ValidationError(f"{path}: box values must be numbers, got {parts[1:5]}") from None
    return PlateBox(x, y, w, h, 1.0), parts[5].strip().upper()


def load_bench(folder: Path) -> list[BenchItem]:
    """Every labelled image of ``folder`` in name order; raises if none or a label is bad."""
    if not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder")
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    items: list[BenchItem] = []
    for image in images:
        label = image.with_suffix(".txt")
        if not label.exists():
            continue
        box, plate = _parse_label(label)
        items.append(BenchItem(image, box, plate, len(items)))
    if not items:
        raise ValidationError(f"{folder} holds no labelled images (NAME.jpg beside NAME.txt)")
    return items
