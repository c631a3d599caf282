"""Stored image sizes: what a read's crop and context frame cost in the database.

Reads are stored with their images in the ``images`` table (see ``docs/storage.md``).
This encodes real camera frames from a folder in the bench format (``NAME.jpg`` plus
``NAME.txt`` = ``NAME x y w h TEXT``) the ways the store could keep them — the context
frame as JPEG at several qualities, full size and scaled to 1280 and 960 px wide; the
plate crop (box plus 15 % margin) as JPEG and PNG — and prints the median, 10th and 90th
percentile sizes, and what a million reads would take for the main choices.

Command::

    .venv/bin/python benchmarks/bench_image_sizes.py --folder ../shared/bench/openalpr-us

The last line printed is one JSON object with every figure (KiB).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import cv2
import numpy as np

WIDTHS = (None, 1280, 960)
QUALITIES = (85, 75, 60)
MARGIN = 0.15


def encode_kib(image: np.ndarray, ext: str, params: list[int] | None = None) -> float:
    ok, buf = cv2.imencode(ext, image, params or [])
    if not ok:
        raise RuntimeError(f"cannot encode {ext}")
    return len(buf) / 1024


def scaled(image: np.ndarray, width: int | None) -> np.ndarray:
    h, w = image.shape[:2]
    if width is None or w <= width:
        return image
    return cv2.resize(image, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)


def crop(image: np.ndarray, label: Path) -> np.ndarray | None:
    fields = label.read_text(encoding="utf-8").split()
    try:
        x, y, w, h = (int(v) for v in fields[1:5])
    except (ValueError, IndexError):
        return None
    pad = int(MARGIN * w)
    return image[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad]


def spread(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "median": round(statistics.median(values), 1),
        "p10": round(values[len(values) // 10], 1),
        "p90": round(values[len(values) * 9 // 10], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("../shared/bench/openalpr-us"))
    parser.add_argument("--limit", type=int, default=0, help="frames to use (0: all)")
    args = parser.parse_args(argv)

    frames = sorted(args.folder.glob("*.jpg"))
    if args.limit:
        frames = frames[: args.limit]
    if not frames:
        raise SystemExit(f"no .jpg frames in {args.folder}")
    sizes: dict[str, list[float]] = {}
    widths = []
    for path in frames:
        image = cv2.imread(str(path))
        if image is None:
            continue
        widths.append(image.shape[1])
        for width in WIDTHS:
            small = scaled(image, width)
            for quality in QUALITIES:
                key = f"context_{width or 'full'}px_q{quality}"
                size = encode_kib(small, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, quality])
                sizes.setdefault(key, []).append(size)
        plate = crop(image, path.with_suffix(".txt"))
        if plate is not None and plate.size:
            jpeg = encode_kib(plate, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 90])
            sizes.setdefault("crop_jpeg_q90", []).append(jpeg)
            sizes.setdefault("crop_png", []).append(encode_kib(plate, ".png"))

    figures = {key: spread(values) for key, values in sizes.items()}
    print(
        f"{len(widths)} frames from {args.folder} (width median {statistics.median(widths):.0f}"
        f" px, {min(widths)}-{max(widths)})"
    )
    for key, fig in figures.items():
        print(
            f"  {key:<24} median {fig['median']:7.1f} KiB   p10 {fig['p10']:6.1f}   "
            f"p90 {fig['p90']:6.1f}"
        )
    per_million = {}
    for key in (
        "context_fullpx_q85",
        "context_1280px_q75",
        "context_960px_q75",
        "context_960px_q60",
    ):
        for crop_key in ("crop_png", "crop_jpeg_q90"):
            total = figures[key]["median"] + figures[crop_key]["median"]
            per_million[f"{key}+{crop_key}"] = round(total * 1e6 / 1024**2, 1)  # GiB
    print("  per million reads (median crop + context), GiB:")
    for key, gib in per_million.items():
        print(f"    {gib:7.1f} GiB  {key}")
    print(
        json.dumps(
            {
                "benchmark": "image_sizes",
                "frames": len(widths),
                "kib": figures,
                "gib_per_million_reads": per_million,
            },
            sort_keys=True,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
