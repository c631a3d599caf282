"""The shipped plate detector: integrity checks, decoding, and plates found in bench photos."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr_desktop.errors import ModelFileError
from alpr_desktop.recognition.bench import load_bench
from alpr_desktop.recognition.localizer import (
    MODEL_SHA256,
    LocalizerSettings,
    OnnxPlateLocalizer,
    default_model_path,
)
from alpr_desktop.recognition.pipeline import FramePipeline, crop_plate
from alpr_desktop.recognition.types import Image, PlateBox, PlateReading
from tests.conftest import bench_dir

MAX_MODEL_BYTES = 12_500_000


@pytest.fixture(scope="module")
def localizer() -> OnnxPlateLocalizer:
    return OnnxPlateLocalizer()


@pytest.fixture(scope="module")
def raw_localizer() -> OnnxPlateLocalizer:
    """Boxes exactly as the detector draws them (no trim to the characters' region)."""
    return OnnxPlateLocalizer(settings=LocalizerSettings(box_scale_w=1.0, box_scale_h=1.0))


def test_shipped_model_matches_its_pin_and_budget() -> None:
    path = default_model_path()
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == MODEL_SHA256
    assert len(data) <= MAX_MODEL_BYTES
    for companion in ("LICENSE", "PROVENANCE.md"):
        assert (path.parent / companion).is_file()
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in (path.parent / "LICENSE").read_text()
    assert MODEL_SHA256 in (path.parent / "PROVENANCE.md").read_text()


def test_shipped_model_loads(localizer: OnnxPlateLocalizer) -> None:
    assert (localizer.input_h, localizer.input_w) == (448, 800)
    blank = np.full((720, 1280, 3), 90, dtype=np.uint8)
    assert localizer.locate(blank) == []


def test_degenerate_frames_give_no_boxes(localizer: OnnxPlateLocalizer) -> None:
    assert localizer.locate(np.zeros((1, 1, 3), dtype=np.uint8)) == []
    assert localizer.locate(np.zeros((5, 5), dtype=np.uint8)) == []


def test_missing_file_raises_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "plate_detector.onnx"
    with pytest.raises(ModelFileError, match="missing") as info:
        OnnxPlateLocalizer(missing)
    assert str(missing) in str(info.value)


def test_altered_file_raises_naming_it(tmp_path: Path) -> None:
    altered = tmp_path / "plate_detector.onnx"
    shutil.copyfile(default_model_path(), altered)
    data = bytearray(altered.read_bytes())
    data[len(data) // 2] ^= 0x01
    altered.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="altered") as info:
        OnnxPlateLocalizer(altered)
    assert str(altered) in str(info.value)


def test_unloadable_file_raises_naming_it(tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not an onnx model")
    digest = hashlib.sha256(b"not an onnx model").hexdigest()
    with pytest.raises(ModelFileError, match="cannot be loaded") as info:
        OnnxPlateLocalizer(junk, expected_sha256=digest)
    assert str(junk) in str(info.value)


def test_nms_keeps_the_best_of_overlapping_boxes(raw_localizer: OnnxPlateLocalizer) -> None:
    boxes = np.array([[100, 100, 80, 40], [102, 101, 80, 40], [400, 300, 60, 30]], dtype=np.float32)
    scores = np.array([0.6, 0.9, 0.3], dtype=np.float32)
    kept = raw_localizer._select(boxes, scores, 1280, 720)
    assert [(b.x, b.y, round(b.confidence, 1)) for b in kept] == [(102, 101, 0.9), (400, 300, 0.3)]


def test_boxes_are_clipped_to_the_frame(raw_localizer: OnnxPlateLocalizer) -> None:
    boxes = np.array([[-10, 700, 50, 40]], dtype=np.float32)
    (box,) = raw_localizer._select(boxes, np.array([0.8], dtype=np.float32), 1280, 720)
    assert (box.x, box.y, box.x + box.w, box.y + box.h) == (0, 700, 40, 720)


def test_boxes_are_trimmed_to_the_characters_region(localizer: OnnxPlateLocalizer) -> None:
    boxes = np.array([[100, 200, 100, 40]], dtype=np.float32)
    (box,) = localizer._select(boxes, np.array([0.8], dtype=np.float32), 1280, 720)
    assert (box.x, box.y, box.w, box.h) == (106, 205, 88, 30)


class _FixedLocalizer:
    def __init__(self, boxes: list[PlateBox]) -> None:
        self.boxes = boxes

    def locate(self, frame: Image) -> list[PlateBox]:
        return self.boxes


class _ShapeReader:
    crop_padding = (0.0, 0.0)

    def read(self, crop: Image) -> PlateReading:
        return PlateReading(f"{crop.shape[1]}x{crop.shape[0]}", 0.5)


def test_crop_adds_margin_and_clips() -> None:
    frame = np.zeros((100, 200, 3), dtype=np.uint8)
    assert crop_plate(frame, PlateBox(50, 40, 100, 20, 1.0), 0.1, 0.25).shape[:2] == (30, 120)
    assert crop_plate(frame, PlateBox(0, 90, 100, 10, 1.0), 0.1, 0.5).shape[:2] == (15, 110)


def test_pipeline_reads_each_box_with_the_readers_padding() -> None:
    frame = np.zeros((100, 200, 3), dtype=np.uint8)
    boxes = [PlateBox(10, 10, 60, 20, 0.9), PlateBox(100, 50, 40, 10, 0.5)]
    results = FramePipeline(_FixedLocalizer(boxes), _ShapeReader()).process(frame)
    assert [r.reading.text for r in results] == ["60x20", "40x10"]
    assert [r.box for r in results] == boxes
    assert results[0].crop.shape == (20, 60, 3)
    padded = FramePipeline(_FixedLocalizer(boxes[:1]), _ShapeReader(), pad_x=0.5, pad_y=0.5)
    assert padded.process(frame)[0].reading.text == "100x40"  # 0..100: clipped on the left


@pytest.mark.bench
def test_finds_the_plate_in_bench_photos() -> None:
    folder = bench_dir()
    if folder is None:
        pytest.skip("bench photos not present (../shared/bench/openalpr-us or ALPR_BENCH_DIR)")
    localizer = OnnxPlateLocalizer(settings=LocalizerSettings())
    items = load_bench(folder)[:6]
    found = 0
    for item in items:
        frame = np.asarray(cv2.imread(str(item.image)), dtype=np.uint8)
        boxes = localizer.locate(frame)
        assert boxes == sorted(boxes, key=lambda b: -b.confidence)
        found += any(b.iou(item.box) >= 0.3 for b in boxes)
    assert found >= len(items) - 1
