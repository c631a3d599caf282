"""The small recognition interfaces that live recognition builds on.

A :class:`PlateLocalizer` finds plate boxes in a BGR frame; a :class:`PlateReader`
reads the characters of one plate crop. Both are plain protocols so that the pipeline,
the evaluation command and tests can swap implementations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]  # H x W x 3, BGR (OpenCV order)


@dataclass(frozen=True)
class PlateBox:
    """A plate found in a frame: top-left corner, size (pixels) and detector confidence."""

    x: int
    y: int
    w: int
    h: int
    confidence: float

    def iou(self, other: PlateBox) -> float:
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Candidate:
    """One reading of a plate and its confidence (0-1)."""

    text: str
    confidence: float


@dataclass(frozen=True)
class PlateReading:
    """The best reading of a plate crop and the next-best alternatives, best first."""

    text: str
    confidence: float
    alternatives: tuple[Candidate, ...] = field(default_factory=tuple)


class PlateLocalizer(Protocol):
    def locate(self, frame: Image) -> list[PlateBox]:
        """Plate boxes in ``frame``, most confident first."""
        ...


class PlateReader(Protocol):
    def read(self, crop: Image) -> PlateReading:
        """Read the characters of one plate crop."""
        ...
