"""Train the shipped plate reader with one command (see README.md beside this file).

    PYTHONPATH=. nice -n 10 .venv/bin/python tools/training/train_ensemble.py \\
        --bench ../shared/bench/openalpr-us --out training-output/reader --install

1. Imports the pretrained PP-OCRv4 recogniser (``ppocr_base.py``: downloads the pinned
   ``rapidocr_onnxruntime`` wheel from PyPI, checks it, converts it) into
   ``OUT/ppocr_base.pt``, unless that file exists.
2. Renders the synthetic set once (``synth_data.py``: 24 000 crops of seed 1, under
   ``OUT/synth_s1/``; resumable).
3. Fine-tunes one network per seed (``--seeds``; the shipped reader: seed 1 alone) with
   ``train_reader.py``, ``--jobs`` at a time, each with one torch thread, into
   ``OUT/seed_N/`` (``last.pt``, ``train.log``, ``metrics.json``). A seed whose
   ``last.pt`` and ``metrics.json`` exist is not trained again (whatever recipe made them:
   use a new ``--out`` after changing ``--steps`` or ``--synth``); a member interrupted
   part-way is trained again from the start.
4. Exports the networks as one model (``train_reader.py --export-only``, fp32):
   ``OUT/export/`` holds ``alpr_plate_svtr.{py,yaml,pth}`` (``members: N``) and
   ``OUT/metrics.json`` its held-out scores; ``--install`` copies it into the package and
   prints the SHA-256 values to pin in ``alpr_desktop/recognition/reader.py`` and
   ``MODEL_CARD.md``.

Held-out bench images (every fifth in name order) are never trained on.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from synth_data import build_synth  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench" / "openalpr-us")
    ap.add_argument("--out", type=Path, default=REPO / "training-output" / "reader")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--jobs", type=int, default=2, help="members trained at the same time")
    ap.add_argument("--synth", type=int, default=24000)
    ap.add_argument("--synth-seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--install", action="store_true", help="copy the export into the package")
    ap.add_argument(
        "--allow-missing-fonts",
        action="store_true",
        help="render the synthetic set even if some of the Debian fonts are not installed",
    )
    args = ap.parse_args()

    if args.jobs < 1:
        ap.error("--jobs must be at least 1")

    base = args.out / "ppocr_base.pt"
    if not base.is_file():
        subprocess.run(
            [sys.executable, str(HERE / "ppocr_base.py"), "--out", str(base)], check=True
        )
    synth_dir = args.out / f"synth_s{args.synth_seed}"
    build_synth(
        synth_dir,
        args.synth,
        args.synth_seed,
        args.bench if args.bench.is_dir() else None,
        allow_missing_fonts=args.allow_missing_fonts,
    )

    script = HERE / "train_reader.py"
    common = [
        sys.executable,
        str(script),
        "--bench",
        str(args.bench),
        "--synth",
        str(args.synth),
        "--synth-seed",
        str(args.synth_seed),
        "--synth-dir",
        str(synth_dir),
        "--base",
        str(base),
    ]
    pending = [s for s in args.seeds if not _done(args.out / f"seed_{s}")]
    running: list[tuple[int, subprocess.Popen[bytes], IO[bytes]]] = []
    failed: list[int] = []
    while pending or running:
        while pending and len(running) < args.jobs:
            seed = pending.pop(0)
            out = args.out / f"seed_{seed}"
            out.mkdir(parents=True, exist_ok=True)
            cmd = [
                *common,
                *("--out", str(out), "--seed", str(seed), "--minutes", "600"),
                *("--max-steps", str(args.steps), "--batch", "32", "--threads", "1"),
                *("--lr", "5e-4", "--real-frac", "0.5"),
            ]
            log = (out / "stdout.log").open("ab")  # closed when the member is reaped
            print(f"training member seed {seed} -> {out}", flush=True)
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
            running.append((seed, proc, log))
        time.sleep(5)
        for entry in list(running):
            seed, proc, log = entry
            if proc.poll() is not None:
                running.remove(entry)
                log.close()
                print(f"member seed {seed} finished with exit code {proc.returncode}", flush=True)
                if proc.returncode:
                    failed.append(seed)
    if failed:
        logs = ", ".join(str(args.out / f"seed_{s}" / "stdout.log") for s in failed)
        sys.exit(f"members {failed} failed; see {logs}")

    export = [
        *common,
        *("--out", str(args.out), "--export-only"),
        *(str(args.out / f"seed_{s}" / "last.pt") for s in args.seeds),
    ]
    if args.install:
        export.append("--install")
    subprocess.run(export, check=True)


def _done(folder: Path) -> bool:
    return (folder / "last.pt").is_file() and (folder / "metrics.json").is_file()


if __name__ == "__main__":
    main()
