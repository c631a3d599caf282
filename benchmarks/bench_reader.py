"""Plate reader benchmark: ms per crop (torch threads as shipped), accuracy on GT crops.

    .venv/bin/python benchmarks/bench_reader.py ../shared/bench/openalpr-us [--pad 0.25]

Reads the ground-truth crop of every bench photo with the shipped reader
(``PlateTextReader``, as ``load_default_reader`` builds it) and prints, for the held-out
part (every fifth image, never trained on) and the training part separately: exact,
O/0 I/1-folded exact, character
accuracy (1 - edit distance / length), and the median / p90 time per crop (one crop per
call, after warm-up). ``--pad`` widens the GT box (0.25 = 25 % wider and taller), like a
looser detector box. ``--threads N`` measures with N torch threads (the reader uses 1;
the budget is 2 cores: compare ``--threads 2``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from alpr_desktop.recognition.bench import load_bench
from alpr_desktop.recognition.evaluate import edit_distance
from alpr_desktop.recognition.evaluate import fold_confusables as fold
from alpr_desktop.recognition.reader import TORCH_THREADS, PlateTextReader


def crop(image: np.ndarray, x: int, y: int, w: int, h: int, pad: float) -> np.ndarray:
    px, py = int(w * pad / 2), int(h * pad / 2)
    return image[max(0, y - py) : y + h + py, max(0, x - px) : x + w + px]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("bench", type=Path)
    ap.add_argument("--pad", type=float, default=0.0)
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--threads", type=int, default=TORCH_THREADS, help="torch threads")
    args = ap.parse_args()

    t = time.perf_counter()
    reader = PlateTextReader(threads=args.threads)
    print(f"load: {time.perf_counter() - t:.1f} s")
    items = load_bench(args.bench)
    rows = []
    times = []
    for it in items:
        img = cv2.imread(str(it.image))
        b = it.box
        c = crop(img, b.x, b.y, b.w, b.h, args.pad)
        reader.read(c)  # warm-up / cache
        t = time.perf_counter()
        reading = reader.read(c)
        times.append((time.perf_counter() - t) * 1000)
        rows.append((it, reading.text))
    for name, held in (("held-out", True), ("train", False)):
        part = [(it, p) for it, p in rows if it.held_out is held]
        n = len(part)
        exact = sum(p == it.plate for it, p in part) / n
        folded = sum(fold(p) == fold(it.plate) for it, p in part) / n
        chars = statistics.mean(
            max(0.0, 1 - edit_distance(p, it.plate) / len(it.plate)) for it, p in part
        )
        print(f"{name:9s} n={n:3d} exact {exact:.3f}  folded {folded:.3f}  char-acc {chars:.3f}")
        if args.show_errors:
            print("   errors: " + ", ".join(f"{it.plate}->{p}" for it, p in part if p != it.plate))
    times.sort()
    print(
        f"ms per crop ({args.threads} threads): median {statistics.median(times):.1f}  "
        f"p90 {times[int(0.9 * (len(times) - 1))]:.1f}  (n={len(times)})"
    )


if __name__ == "__main__":
    main()
