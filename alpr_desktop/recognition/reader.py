"""The plate reader: a fine-tuned PP-OCRv4 recogniser loaded through EasyOCR's custom networks.

The network (``alpr_plate_svtr.py``/``.yaml``/``.pth`` in
``alpr_desktop/resources/models/plate_reader/``, see its ``MODEL_CARD.md``: PaddleOCR's
PP-OCRv4 recogniser fine-tuned on US plates) is loaded by
``easyocr.Reader(..., recog_network="alpr_plate_svtr")``. EasyOCR unpickles the weights
with ``torch.load(weights_only=False)``, so the three files are checked against the
SHA-256 values pinned here *before* EasyOCR sees them.

The crop is prepared exactly as in training (:func:`prepare_crop`). The model file holds
one or more networks (``members``): each member's CTC output is decoded with a beam
search, every proposed reading is scored under all members, and the readings are ranked
with plate rules (:mod:`alpr_desktop.recognition.decoding`).
"""

from __future__ import annotations

import hashlib
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from alpr_desktop.errors import ModelFileError
from alpr_desktop.recognition.decoding import ensemble_candidates, rank_candidates
from alpr_desktop.recognition.types import Candidate, PlateReading

INPUT_H = 48
INPUT_W = 160
CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MODEL_NAME = "alpr_plate_svtr"
MODEL_DIR = Path(__file__).resolve().parent.parent / "resources" / "models" / "plate_reader"
# One intra-op thread: on a busy 2-core machine (localizer, GUI, training) two OpenMP
# threads made a crop of an earlier, smaller network take ~350 ms instead of ~8 ms; on an
# idle one they gain about a fifth (13.9 against 10.8 ms per crop for the shipped network).
TORCH_THREADS = 1

# SHA-256 of the shipped network files; update together with the files (see MODEL_CARD.md).
PINNED_SHA256: Mapping[str, str] = {
    f"{MODEL_NAME}.pth": "f5948b44badcf1162185a002d3c1c106f6cac729301fb56de8f9b192107bf91c",
    f"{MODEL_NAME}.py": "9822925da7359b11d52ac448d6596b7703e866fd50825a6ec59bbbef306d3979",
    f"{MODEL_NAME}.yaml": "0c3d53a9b12cfc69a61d92f5da99c1c087d1e33554363439d2a06c4d587cc1e3",
}

_LOAD_LOCK = threading.Lock()


def prepare_crop(crop_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The network's view of a crop: grey, 48x160, contrast stretched (2nd-98th percentile).

    Training uses exactly this function, so change it only together with new weights.
    """
    grey = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY) if crop_bgr.ndim == 3 else crop_bgr
    h, w = grey.shape[:2]
    interp = cv2.INTER_AREA if (w > INPUT_W or h > INPUT_H) else cv2.INTER_LINEAR
    small = cv2.resize(grey, (INPUT_W, INPUT_H), interpolation=interp).astype(np.float32)
    lo, hi = np.percentile(small, (2, 98))
    scale = 255.0 / max(float(hi - lo), 16.0)
    out = np.clip((small - lo) * scale, 0, 255)
    return out.astype(np.uint8)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model_files(directory: Path, pins: Mapping[str, str] = PINNED_SHA256) -> None:
    """Check every pinned file in ``directory``; raise :class:`ModelFileError` naming the file."""
    for name, expected in pins.items():
        path = directory / name
        if not path.is_file():
            raise ModelFileError(f"plate reader model file is missing: {path}")
        try:
            actual = sha256_of(path)
        except OSError as exc:
            raise ModelFileError(f"plate reader model file cannot be read: {path} ({exc})") from exc
        if actual != expected:
            raise ModelFileError(
                f"plate reader model file has been altered (SHA-256 mismatch): {path}"
            )


class PlateTextReader:
    """Reads the characters of a plate crop (implements ``PlateReader``).

    Args:
        model_dir: folder holding ``alpr_plate_svtr.{py,yaml,pth}``.
        pins: expected SHA-256 per file name (defaults to the shipped files' values).
        beam_width: CTC beam width.
        top_k: readings kept (best plus alternatives).
        threads: torch intra-op threads.
    """

    def __init__(
        self,
        model_dir: Path = MODEL_DIR,
        *,
        pins: Mapping[str, str] = PINNED_SHA256,
        beam_width: int = 10,
        top_k: int = 5,
        threads: int = TORCH_THREADS,
    ) -> None:
        model_dir = Path(model_dir)
        verify_model_files(model_dir, pins)
        self.beam_width = beam_width
        self.top_k = top_k
        self._easyocr_reader, self._model = _load_network(model_dir, threads)

    def read(self, crop: npt.NDArray[np.uint8]) -> PlateReading:
        """Read one BGR (or grey) plate crop."""
        return self.read_batch([crop])[0]

    def read_batch(self, crops: Sequence[npt.NDArray[np.uint8]]) -> list[PlateReading]:
        """Read several crops in one forward pass."""
        if not crops:
            return []
        log_probs = self.member_log_probs(crops)
        return [self._decode(log_probs[:, i]) for i in range(len(crops))]

    def member_log_probs(self, crops: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """Each ensemble member's log-softmax output, shape (members, crops, columns, 37)."""
        import torch

        for crop in crops:
            if crop is None or crop.size == 0 or min(crop.shape[:2]) < 2:
                raise ValueError("empty plate crop")
        batch = np.stack([prepare_crop(c) for c in crops]).astype(np.float32)
        x = torch.from_numpy(batch).div_(127.5).sub_(1.0).unsqueeze(1)
        with torch.inference_mode():
            out = self._model.member_log_probs(x)
        return out.float().numpy()

    def _decode(self, log_probs: npt.NDArray[np.float32]) -> PlateReading:
        proposals = ensemble_candidates(log_probs, CHARACTERS, self.beam_width, self.top_k)
        ranked = rank_candidates(proposals)
        if not ranked:
            return PlateReading("", 0.0)
        best = ranked[0]
        alternatives: tuple[Candidate, ...] = tuple(ranked[1 : self.top_k])
        return PlateReading(best.text, best.confidence, alternatives)


def _load_network(model_dir: Path, threads: int) -> tuple[Any, Any]:
    """Build the network through EasyOCR's custom-network loader."""
    try:
        import easyocr
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelFileError(
            "the plate reader needs the 'ocr' extra (torch, EasyOCR): pip install "
            f"'alpr-desktop[ocr]' ({exc})"
        ) from exc
    torch.set_num_threads(threads)
    with _LOAD_LOCK:
        saved_path = list(sys.path)
        try:
            with warnings.catch_warnings():
                # EasyOCR's CPU path and torch emit these on every load; they are harmless.
                warnings.filterwarnings("ignore", message=".*pin_memory.*", category=UserWarning)
                warnings.filterwarnings(
                    "ignore", message=".*weights_only.*", category=FutureWarning
                )
                reader = easyocr.Reader(
                    ["en"],
                    gpu=False,
                    detector=False,
                    recog_network=MODEL_NAME,
                    user_network_directory=str(model_dir),
                    model_storage_directory=str(model_dir),
                    download_enabled=False,
                    verbose=False,
                    quantize=False,
                )
        except Exception as exc:
            raise ModelFileError(
                f"plate reader model in {model_dir} could not be loaded: {exc}"
            ) from exc
        finally:
            sys.path[:] = saved_path  # EasyOCR appends the network folder to sys.path
    model = reader.recognizer
    model.float()
    model.eval()
    _optimise_for_cpu(model, model_dir)
    return reader, model


def _optimise_for_cpu(model: Any, model_dir: Path) -> None:
    """Fold each BatchNorm, and each learnable affine right after a convolution, into it.

    Known layouts: a convolution and a BatchNorm next to each other in an
    ``nn.Sequential``; a module holding them as its ``conv`` and ``bn``; a module holding a
    ``conv`` and, applied right after it, a ``LearnableAffine`` (``scale * x + bias``) as
    its ``lab`` (PP-LCNetV3's layers, see ``alpr_plate_svtr.py``). The function computed
    is unchanged (checked on a fixed random input; any difference beyond float rounding
    raises :class:`ModelFileError`); the forward pass takes about 7 % less time.
    """
    import torch
    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    if not hasattr(model, "member_log_probs"):
        return
    probe = torch.rand(2, 1, INPUT_H, INPUT_W, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.inference_mode():
        before = model.member_log_probs(probe)
    for module in list(model.modules()):
        if isinstance(module, nn.Sequential):
            layers = list(module)
            for i in range(len(layers) - 1):
                first, second = layers[i], layers[i + 1]
                if isinstance(first, nn.Conv2d) and isinstance(second, nn.BatchNorm2d):
                    module[i] = fuse_conv_bn_eval(first, second)
                    module[i + 1] = nn.Identity()
        conv: Any = getattr(module, "conv", None)
        bn: Any = getattr(module, "bn", None)
        if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
            conv = fuse_conv_bn_eval(conv, bn)
            module.conv = conv
            module.bn = nn.Identity()
        lab: Any = getattr(module, "lab", None)
        if (
            isinstance(conv, nn.Conv2d)
            and conv.bias is not None
            and type(lab).__name__ == "LearnableAffine"
        ):
            with torch.no_grad():
                conv.weight.mul_(lab.scale)
                conv.bias.mul_(lab.scale).add_(lab.bias)
            module.lab = nn.Identity()
    with torch.inference_mode():
        after = model.member_log_probs(probe)
    if not torch.allclose(before, after, atol=1e-3, rtol=0):
        raise ModelFileError(
            f"plate reader model in {model_dir} changed its output when prepared for the CPU "
            f"(max difference {float((before - after).abs().max()):.2e})"
        )


def load_default_reader() -> PlateTextReader:
    """The reader with the shipped, SHA-256-checked network."""
    return PlateTextReader()
