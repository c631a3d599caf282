"""Reproduce ``alpr_desktop/resources/models/plate_detector/plate_detector.onnx``.

The plate detector is the YOLOv8 model ``fastanpr/best.pt`` shipped in the PyPI wheel
``fastanpr==0.1.13`` (AGPL-3.0-or-later). It is exported to ONNX with ultralytics, which
is needed only here, never at run time. Run it in a throw-away virtual environment
outside the repository::

    python3.11 -m venv /work/venv-export
    /work/venv-export/bin/pip install torch==2.14.1 torchvision==0.29.1 \\
        ultralytics onnx onnxslim onnxruntime
    /work/venv-export/bin/pip download --no-deps fastanpr==0.1.13 -d /work/venv-export/dl
    /work/venv-export/bin/python tools/export_localizer.py \\
        --wheel /work/venv-export/dl/fastanpr-0.1.13-py3-none-any.whl

It checks the SHA-256 of ``best.pt``, exports (imgsz 416, opset 17, simplify), copies
the result into the package and prints the versions and digests recorded in
``PROVENANCE.md``. Pass ``--imgsz`` / ``--out`` to produce other sizes for experiments.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

BEST_PT_SHA256 = "58f6ad86f35f09574e13484ead3346ae8cc052facae150041ed4a894ac2f3828"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "alpr_desktop/resources/models/plate_detector/plate_detector.onnx"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def extract_weights(wheel: Path, workdir: Path) -> Path:
    """``fastanpr/best.pt`` from the wheel, after checking its digest."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extract("fastanpr/best.pt", workdir)
    weights = workdir / "fastanpr/best.pt"
    digest = sha256(weights)
    if digest != BEST_PT_SHA256:
        sys.exit(f"{wheel}: best.pt has SHA-256 {digest}, expected {BEST_PT_SHA256}")
    return weights


def export(weights: Path, imgsz: int, dynamic: bool) -> Path:
    from ultralytics import YOLO

    model = YOLO(str(weights))
    out = model.export(
        format="onnx", imgsz=imgsz, opset=17, simplify=True, dynamic=dynamic, device="cpu"
    )
    return Path(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True, help="fastanpr-0.1.13 wheel")
    parser.add_argument("--imgsz", type=int, default=416)
    parser.add_argument("--dynamic", action="store_true", help="dynamic input size")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    import onnx
    import onnxslim
    import torch
    import ultralytics

    with tempfile.TemporaryDirectory() as tmp:
        weights = extract_weights(args.wheel, Path(tmp))
        onnx_file = export(weights, args.imgsz, args.dynamic)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(onnx_file, args.out)
    print(f"best.pt sha256 {BEST_PT_SHA256}")
    print(f"{args.out.name} sha256 {sha256(args.out)} ({args.out.stat().st_size} bytes)")
    print(
        f"ultralytics {ultralytics.__version__}, torch {torch.__version__}, "
        f"onnx {onnx.__version__}, onnxslim {onnxslim.__version__}, python {sys.version.split()[0]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
