"""Pre-render the synthetic training set in chunks (see README.md in this folder).

Chunk ``k`` of seed ``s`` holds samples ``k*CHUNK .. (k+1)*CHUNK-1`` of
``alpr_desktop.recognition.synth.generate(..., seed=s)``, already passed through
``prepare_crop`` (grey, the reader's input size). Chunks that exist are kept, so an
interrupted run resumes.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import cv2
import numpy as np

from alpr_desktop.recognition.bench import load_bench
from alpr_desktop.recognition.reader import INPUT_H, INPUT_W, prepare_crop
from alpr_desktop.recognition.synth import generate
from alpr_desktop.recognition.synth.fonts import missing_font_packages, missing_system_fonts

CHUNK = 500
_BACKGROUNDS: list[np.ndarray] = []


def training_backgrounds(bench: Path | None) -> list[np.ndarray]:
    """Scene backgrounds: the TRAINING photos of the bench (never held-out ones), 480 px wide."""
    if bench is None or not bench.is_dir():
        return []
    out = []
    for item in load_bench(bench):
        if item.held_out:
            continue
        img = cv2.imread(str(item.image))
        if img is None:
            continue
        scale = 480 / img.shape[1]
        out.append(cv2.resize(img, (480, int(img.shape[0] * scale)), interpolation=cv2.INTER_AREA))
    return out


def _init(backgrounds: list[np.ndarray]) -> None:
    global _BACKGROUNDS
    _BACKGROUNDS = backgrounds
    cv2.setNumThreads(1)


def chunk_path(folder: Path, start: int) -> Path:
    return folder / f"chunk_{start:07d}.npz"


def _chunk(args: tuple[Path, int, int]) -> int:
    folder, seed, start = args
    samples = generate(CHUNK, seed, start=start, backgrounds=_BACKGROUNDS or None)
    images = np.stack([prepare_crop(s.image) for s in samples])
    tmp = folder / f".tmp_{start}.npz"
    np.savez(tmp, images=images, texts=np.array([s.text for s in samples]))
    tmp.rename(chunk_path(folder, start))
    return start


def build_synth(
    folder: Path,
    count: int,
    seed: int,
    bench: Path | None,
    workers: int = 2,
    allow_missing_fonts: bool = False,
) -> None:
    """Render the missing chunks of the first ``count`` samples of ``seed`` into ``folder``.

    Stops (SystemExit) before rendering when a Debian font of the recipe is not installed,
    unless ``allow_missing_fonts``: the shipped weights were trained with all of them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(folder, seed, s) for s in range(0, count, CHUNK) if not chunk_path(folder, s).exists()]
    if not jobs:
        return
    missing = missing_system_fonts()
    if missing and not allow_missing_fonts:
        raise SystemExit(
            "the synthetic plates of the shipped weights use fonts this machine lacks: "
            + ", ".join(str(p) for p in missing)
            + f"\ninstall them (apt-get install {' '.join(missing_font_packages())}) or pass "
            "--allow-missing-fonts to render with fewer fonts"
        )
    t0 = time.time()
    cv2.setNumThreads(1)
    backgrounds = training_backgrounds(bench)
    with mp.get_context("spawn").Pool(workers, initializer=_init, initargs=(backgrounds,)) as pool:
        for i, start in enumerate(pool.imap_unordered(_chunk, jobs)):
            print(
                f"synth chunk {start} done ({i + 1}/{len(jobs)}, {time.time() - t0:.0f}s)",
                flush=True,
            )


def load_synth(folder: Path, count: int) -> tuple[np.ndarray, list[str]]:
    """The chunks rendered so far (of the first ``count`` samples)."""
    images, texts = [], []
    for s in range(0, count, CHUNK):
        p = chunk_path(folder, s)
        if p.exists():
            with np.load(p) as data:
                if data["images"].shape[1:] != (INPUT_H, INPUT_W):
                    raise SystemExit(
                        f"{p} holds {data['images'].shape[1:]} crops, not the reader's "
                        f"{(INPUT_H, INPUT_W)}: render into a new folder"
                    )
                images.append(data["images"])
                texts.extend(str(t) for t in data["texts"])
    if not images:
        return np.zeros((0, INPUT_H, INPUT_W), np.uint8), []
    return np.concatenate(images), texts


if __name__ == "__main__":
    import sys

    build_synth(
        Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5])
    )
