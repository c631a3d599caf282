"""Plate localizer benchmark: recall, precision and time per 1280x720 frame on 2 threads.

Command (from the repository root; the bench photos stay in ../shared)::

    .venv/bin/python benchmarks/bench_localizer.py ../shared/bench/openalpr-us

Each photo is fitted into a 1280x720 frame (scaled to fit, padded with black; the
ground-truth box is mapped the same way), as the workstation's cameras deliver. A plate
is found at IoU >= 0.3 and at IoU > 0.4 (the OpenALPR benchmark rule); precision is the
share of returned boxes that overlap the plate with IoU >= 0.3 (the photos hold one
labelled plate each, so a second real plate in a photo counts against precision).
``ms_per_frame`` is the median wall time of ``locate`` alone, after two warm-up calls,
with onnxruntime (and OpenCV) limited to two threads. Options try the tuning knobs:
``--conf``, ``--flip``, ``--box-scale``, and ``--model``/``--sha256`` for other exports.
Recall at IoU >= 0.3 is also given for the training and held-out parts of the fixed
split (the int8 calibration and the confidence threshold were chosen on the training
part only). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from alpr_desktop.recognition.bench import BenchItem, load_bench
from alpr_desktop.recognition.localizer import (
    MODEL_SHA256,
    LocalizerSettings,
    OnnxPlateLocalizer,
)
from alpr_desktop.recognition.types import Image, PlateBox

FRAME_W, FRAME_H = 1280, 720


def to_frame(image: Image, box: PlateBox) -> tuple[Image, PlateBox]:
    """``image`` fitted into a black 1280x720 frame, and ``box`` mapped into it."""
    h, w = image.shape[:2]
    scale = min(FRAME_W / w, FRAME_H / h)
    new_w, new_h = round(w * scale), round(h * scale)
    frame = np.zeros((FRAME_H, FRAME_W, 3), dtype=np.uint8)
    ox, oy = (FRAME_W - new_w) // 2, (FRAME_H - new_h) // 2
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    frame[oy : oy + new_h, ox : ox + new_w] = cv2.resize(
        image, (new_w, new_h), interpolation=interp
    )
    mapped = PlateBox(
        round(box.x * scale) + ox,
        round(box.y * scale) + oy,
        round(box.w * scale),
        round(box.h * scale),
        1.0,
    )
    return frame, mapped


def score(
    localizer: OnnxPlateLocalizer, items: list[BenchItem], native: bool = False
) -> dict[str, object]:
    found03 = found04 = matched = returned = 0
    held_found = held = 0
    times: list[float] = []
    misses: list[str] = []
    for n, item in enumerate(items):
        image = np.asarray(cv2.imread(str(item.image)), dtype=np.uint8)
        frame, truth = (image, item.box) if native else to_frame(image, item.box)
        if n < 2:
            localizer.locate(frame)  # warm-up
        start = time.perf_counter()
        boxes = localizer.locate(frame)
        times.append((time.perf_counter() - start) * 1000)
        ious = [truth.iou(b) for b in boxes]
        best = max(ious, default=0.0)
        found03 += best >= 0.3
        found04 += best > 0.4
        held += item.held_out
        held_found += item.held_out and best >= 0.3
        if best < 0.3:
            misses.append(f"{item.image.name} best IoU {best:.2f}")
        matched += sum(i >= 0.3 for i in ious)
        returned += len(boxes)
    n = len(items)
    for line in misses:
        print("miss:", line, file=sys.stderr)
    return {
        "images": n,
        "recall_iou03": round(found03 / n, 4),
        "recall_iou04": round(found04 / n, 4),
        "recall_iou03_train": round((found03 - held_found) / max(1, n - held), 4),
        "recall_iou03_held_out": round(held_found / max(1, held), 4),
        "precision_iou03": round(matched / returned, 4) if returned else 0.0,
        "ms_per_frame": round(statistics.median(times), 1),
        "ms_per_frame_p90": round(sorted(times)[int(0.9 * (n - 1))], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--sha256", default=MODEL_SHA256)
    parser.add_argument("--conf", type=float, default=LocalizerSettings.conf_threshold)
    parser.add_argument(
        "--box-scale",
        type=float,
        nargs=2,
        metavar=("W", "H"),
        default=(LocalizerSettings.box_scale_w, LocalizerSettings.box_scale_h),
        help="fraction of the detected width and height kept (1 1: the raw boxes)",
    )
    parser.add_argument("--flip", action="store_true")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--native", action="store_true", help="photos as they are, not 1280x720")
    args = parser.parse_args()

    cv2.setNumThreads(2)
    settings = LocalizerSettings(
        conf_threshold=args.conf,
        flip_pass=args.flip,
        box_scale_w=args.box_scale[0],
        box_scale_h=args.box_scale[1],
    )
    localizer = OnnxPlateLocalizer(
        args.model, expected_sha256=args.sha256, settings=settings, threads=2
    )
    items = load_bench(args.folder)
    if args.limit:
        items = items[: args.limit]
    result = score(localizer, items, args.native)
    result.update(
        model=str(localizer.model_path.name),
        input_size=f"{localizer.input_w}x{localizer.input_h}",
        conf=args.conf,
        box_scale=list(args.box_scale),
        flip=args.flip,
        frames="native" if args.native else "1280x720",
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
