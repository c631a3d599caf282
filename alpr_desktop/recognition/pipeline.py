"""One frame in, the plates it shows out: localize, crop with a margin, read."""

from __future__ import annotations

from dataclasses import dataclass

from alpr_desktop.recognition.types import (
    Image,
    PlateBox,
    PlateLocalizer,
    PlateReader,
    PlateReading,
)

#: Margin added around a detected box before reading, as a fraction of its width and
#: height on each side. The localizer already trims its boxes to the characters' region
#: (the bench's convention, which the project reader is trained on); measured with the
#: stock EasyOCR reader on the 120 bench photos, any margin lowered accuracy (no margin:
#: 7.5% exact, 0.53 characters; 2%/4%: 3.3%, 0.46; 4%/8%: 2.5%, 0.43). A reader that
#: wants context declares ``crop_padding = (pad_x, pad_y)``.
DEFAULT_PAD_X = 0.0
DEFAULT_PAD_Y = 0.0


@dataclass(frozen=True)
class PlateResult:
    """A plate found in a frame: where, what it reads, and the crop that was read."""

    box: PlateBox
    reading: PlateReading
    crop: Image


def crop_plate(frame: Image, box: PlateBox, pad_x: float, pad_y: float) -> Image:
    """The region of ``box`` grown by ``pad_x``/``pad_y`` of its size per side, clipped.

    Returns a copy, so the crop outlives the frame buffer it came from.
    """
    h, w = frame.shape[:2]
    dx, dy = round(box.w * pad_x), round(box.h * pad_y)
    x0, y0 = max(0, box.x - dx), max(0, box.y - dy)
    x1, y1 = min(w, box.x + box.w + dx), min(h, box.y + box.h + dy)
    return frame[y0:y1, x0:x1].copy()


class FramePipeline:
    """Runs a localizer and a reader over whole frames.

    Args:
        localizer: finds plate boxes.
        reader: reads one crop.
        pad_x: horizontal margin per side (fraction of the box width); the reader's
            ``crop_padding`` attribute ``(pad_x, pad_y)``, when it has one, is used
            instead of the defaults, so a reader trained on wider crops gets them.
        pad_y: vertical margin per side (fraction of the box height).
        max_plates: read at most this many boxes per frame, most confident first.
    """

    def __init__(
        self,
        localizer: PlateLocalizer,
        reader: PlateReader,
        *,
        pad_x: float | None = None,
        pad_y: float | None = None,
        max_plates: int = 8,
    ) -> None:
        self.localizer = localizer
        self.reader = reader
        reader_pad = getattr(reader, "crop_padding", None)
        default_x, default_y = reader_pad if reader_pad else (DEFAULT_PAD_X, DEFAULT_PAD_Y)
        self.pad_x = default_x if pad_x is None else pad_x
        self.pad_y = default_y if pad_y is None else pad_y
        self.max_plates = max_plates

    def process(self, frame: Image) -> list[PlateResult]:
        """Every plate read in ``frame`` (BGR), most confident detection first."""
        results: list[PlateResult] = []
        for box in self.localizer.locate(frame)[: self.max_plates]:
            crop = crop_plate(frame, box, self.pad_x, self.pad_y)
            if crop.shape[0] < 4 or crop.shape[1] < 4:
                continue
            results.append(PlateResult(box, self.reader.read(crop), crop))
        return results
