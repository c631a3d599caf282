"""``alpr-desktop evaluate FOLDER``: run full-frame recognition on a bench folder and score it.

Every image of a folder in the bench format (``../shared/bench/README.md``) goes through
the whole pipeline: the plate localizer on the full frame, then the reader on each
padded crop. Scoring follows the OpenALPR benchmark conventions:

* ``recall_iou04``: the plate counts as found when a detection overlaps the labelled box
  with IoU > 0.4; ``recall_iou03`` relaxes that to IoU >= 0.3.
* The reading scored for an image is that of the detection overlapping the labelled box
  most (none: the empty string). ``exact``: it equals the label; ``folded_exact``: equal
  once O is read as 0 and I as 1 on both sides; ``char_accuracy``: the mean of
  1 - edit distance / label length, clipped at 0.
* ``ms_per_image``: wall time of the pipeline per image (decoding the file excluded).

Figures are fractions (0-1), given for all images and for the ``train`` and
``held_out`` parts of the fixed split (every fifth image in name order is held out).
Progress goes to stderr; the last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from alpr_desktop.errors import ModelFileError, ValidationError
from alpr_desktop.recognition.bench import BenchItem, load_bench
from alpr_desktop.recognition.pipeline import FramePipeline
from alpr_desktop.recognition.types import Image, PlateBox, PlateLocalizer, PlateReader

FOLDS = str.maketrans({"O": "0", "I": "1"})


def iou(a: PlateBox, b: PlateBox) -> float:
    """Intersection over union of two boxes (0 when they do not overlap)."""
    return a.iou(b)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions, each costing 1."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def fold_confusables(text: str) -> str:
    """``text`` with the letters O and I replaced by the digits 0 and 1."""
    return text.upper().translate(FOLDS)


def char_accuracy(read: str, truth: str) -> float:
    """1 - edit distance / length of ``truth``, clipped to 0-1."""
    if not truth:
        return 1.0 if not read else 0.0
    return max(0.0, 1.0 - edit_distance(read, truth) / len(truth))


@dataclass(frozen=True)
class ImageScore:
    """How one image fared."""

    image: str
    held_out: bool
    truth: str
    read: str
    best_iou: float
    detections: int
    ms: float
    ms_localize: float


def summarize(scores: Sequence[ImageScore]) -> dict[str, Any]:
    """The headline figures for ``scores`` (fractions 0-1, times in ms)."""
    n = len(scores)
    if n == 0:
        return {"images": 0}

    def share(hit: Callable[[ImageScore], bool]) -> float:
        return round(sum(1 for s in scores if hit(s)) / n, 4)

    return {
        "images": n,
        "recall_iou03": share(lambda s: s.best_iou >= 0.3),
        "recall_iou04": share(lambda s: s.best_iou > 0.4),
        "exact": share(lambda s: s.read == s.truth),
        "folded_exact": share(lambda s: fold_confusables(s.read) == fold_confusables(s.truth)),
        "char_accuracy": round(statistics.fmean(char_accuracy(s.read, s.truth) for s in scores), 4),
        "ms_per_image": round(statistics.fmean(s.ms for s in scores), 1),
        "ms_localize_per_image": round(statistics.fmean(s.ms_localize for s in scores), 1),
    }


def report(scores: Sequence[ImageScore]) -> dict[str, Any]:
    """Figures for all images, plus the ``train`` and ``held_out`` parts."""
    result = summarize(scores)
    result["train"] = summarize([s for s in scores if not s.held_out])
    result["held_out"] = summarize([s for s in scores if s.held_out])
    return result


class _TimedLocalizer:
    """Wraps a localizer to record how long the last ``locate`` took."""

    def __init__(self, inner: PlateLocalizer) -> None:
        self.inner = inner
        self.last_ms = 0.0

    def locate(self, frame: Image) -> list[PlateBox]:
        start = time.perf_counter()
        boxes = self.inner.locate(frame)
        self.last_ms = (time.perf_counter() - start) * 1000
        return boxes


def score_image(pipeline: FramePipeline, timed: _TimedLocalizer, item: BenchItem) -> ImageScore:
    """Run ``pipeline`` on ``item``'s image and compare with its label."""
    decoded = cv2.imread(str(item.image), cv2.IMREAD_COLOR)
    if decoded is None:
        raise ValidationError(f"{item.image} is not a readable image")
    frame = np.asarray(decoded, dtype=np.uint8)
    start = time.perf_counter()
    results = pipeline.process(frame)
    ms = (time.perf_counter() - start) * 1000
    best_iou, read = 0.0, ""
    for result in results:
        overlap = iou(result.box, item.box)
        if overlap > best_iou:
            best_iou, read = overlap, result.reading.text
    return ImageScore(
        image=item.image.name,
        held_out=item.held_out,
        truth=item.plate,
        read=read,
        best_iou=round(best_iou, 4),
        detections=len(results),
        ms=round(ms, 2),
        ms_localize=round(timed.last_ms, 2),
    )


def load_reader(baseline: bool, threads: int) -> tuple[PlateReader, str]:
    """The reader to evaluate and a short name for it.

    Raises:
        ModelFileError: the reader's weights or its module are missing.
    """
    if baseline:
        from alpr_desktop.recognition.stock_reader import StockEasyOcrReader

        # One torch thread whatever --threads says: see StockEasyOcrReader.
        return StockEasyOcrReader(threads=1), "easyocr-english_g2"
    try:
        from alpr_desktop.recognition.reader import (  # type: ignore[import-not-found,unused-ignore]
            load_default_reader,
        )
    except ModuleNotFoundError as exc:
        if exc.name not in ("alpr_desktop.recognition.reader", None):
            raise
        raise ModelFileError(
            "the project's plate reader (alpr_desktop.recognition.reader) is not part of "
            "this build; use --baseline to evaluate the stock EasyOCR reader"
        ) from None
    reader: PlateReader = load_default_reader()
    return reader, "project"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="images in the bench format")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="read with the stock EasyOCR English model instead of the project's reader",
    )
    parser.add_argument("--limit", type=int, default=0, metavar="N", help="first N images only")
    parser.add_argument("--json-out", type=Path, metavar="FILE", help="also write the results")
    parser.add_argument(
        "--threads", type=int, default=2, help="CPU threads for the localizer (default 2)"
    )


def run(args: argparse.Namespace) -> int:
    """Evaluate; prints progress to stderr and the JSON result as the last stdout line."""
    from alpr_desktop.recognition.localizer import OnnxPlateLocalizer

    items = load_bench(args.folder)
    if args.limit and args.limit > 0:
        items = items[: args.limit]
    cv2.setNumThreads(args.threads)
    timed = _TimedLocalizer(OnnxPlateLocalizer(threads=args.threads))
    reader, reader_name = load_reader(args.baseline, args.threads)
    pipeline = FramePipeline(timed, reader)
    scores: list[ImageScore] = []
    for n, item in enumerate(items, 1):
        scores.append(score_image(pipeline, timed, item))
        last = scores[-1]
        print(
            f"[{n}/{len(items)}] {last.image}: {last.truth} read {last.read or '-'} "
            f"(IoU {last.best_iou:.2f}, {last.ms:.0f} ms)",
            file=sys.stderr,
        )
    result = {"folder": str(args.folder), "reader": reader_name, **report(scores)}
    if args.json_out:
        full = {**result, "per_image": [asdict(s) for s in scores]}
        args.json_out.write_text(json.dumps(full, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))
    return 0
