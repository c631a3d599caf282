"""The evaluation command: its scoring functions and a run on a tiny bench-format folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr_desktop import cli
from alpr_desktop.errors import ModelFileError
from alpr_desktop.recognition import evaluate
from alpr_desktop.recognition.evaluate import (
    ImageScore,
    char_accuracy,
    edit_distance,
    fold_confusables,
    iou,
    report,
)
from alpr_desktop.recognition.types import Image, PlateBox, PlateReading
from tests.conftest import bench_dir

FIGURES = ("recall_iou03", "recall_iou04", "exact", "folded_exact", "char_accuracy")


def test_iou() -> None:
    a = PlateBox(0, 0, 10, 10, 1.0)
    assert iou(a, a) == 1.0
    assert iou(a, PlateBox(10, 0, 10, 10, 1.0)) == 0.0
    assert iou(a, PlateBox(5, 0, 10, 10, 1.0)) == pytest.approx(50 / 150)
    assert iou(a, PlateBox(0, 0, 5, 5, 1.0)) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("ABC123", "ABC123", 0),
        ("ABC123", "ABC12", 1),
        ("ABC123", "XABC123", 1),
        ("ABC123", "ABD123", 1),
        ("7ABC123", "ZABC12", 2),
        ("", "ABC", 3),
        ("KITTEN", "SITTING", 3),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_folding_maps_o_and_i_only() -> None:
    assert fold_confusables("OI0123ZSB") == "010123ZSB"
    assert fold_confusables("6ol") == "60L"
    assert fold_confusables("0SG719") == fold_confusables("OSG7I9")


def test_char_accuracy_is_clipped() -> None:
    assert char_accuracy("ABC123", "ABC123") == 1.0
    assert char_accuracy("ABC12", "ABC123") == pytest.approx(5 / 6)
    assert char_accuracy("", "ABC123") == 0.0
    assert char_accuracy("XXXXXXXXXXXX", "ABC") == 0.0


def _score(read: str, truth: str, best_iou: float, held_out: bool) -> ImageScore:
    return ImageScore("x.jpg", held_out, truth, read, best_iou, 1, 10.0, 4.0)


def test_report_splits_train_and_held_out() -> None:
    scores = [
        _score("ABC123", "ABC123", 0.8, False),
        _score("OB1", "0BI", 0.35, False),
        _score("", "XYZ9", 0.0, False),
        _score("XYZ98", "XYZ99", 0.5, True),
    ]
    result = report(scores)
    assert result["images"] == 4
    assert result["recall_iou03"] == 0.75
    assert result["recall_iou04"] == 0.5
    assert result["exact"] == 0.25
    assert result["folded_exact"] == 0.5
    assert result["char_accuracy"] == pytest.approx((1 + 1 / 3 + 0 + 0.8) / 4, abs=1e-4)
    assert result["ms_per_image"] == 10.0
    assert result["train"]["images"] == 3
    assert result["train"]["exact"] == pytest.approx(0.3333)
    assert result["held_out"] == {**result["held_out"], "images": 1, "exact": 0.0}
    assert result["held_out"]["char_accuracy"] == 0.8


def _write_bench(folder: Path, count: int) -> None:
    """Synthetic frames in the bench format: a white plate with dark marks on grey."""
    folder.mkdir()
    for n in range(count):
        frame = np.full((720, 1280, 3), 70, dtype=np.uint8)
        x, y = 500 + 10 * n, 400
        cv2.rectangle(frame, (x, y), (x + 120, y + 60), (235, 235, 235), -1)
        cv2.putText(frame, "ABC12", (x + 8, y + 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 3)
        cv2.imwrite(str(folder / f"img{n}.jpg"), frame)
        (folder / f"img{n}.txt").write_text(f"img{n}.jpg\t{x}\t{y}\t120\t60\tABC12\n")


class _FakeReader:
    def read(self, crop: Image) -> PlateReading:
        return PlateReading("ABC12", 0.9)


def _last_json(out: str) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return parsed


def test_evaluate_command_prints_a_final_json_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_bench(tmp_path / "bench", 5)
    monkeypatch.setattr(evaluate, "load_reader", lambda baseline, threads: (_FakeReader(), "fake"))
    out_file = tmp_path / "result.json"
    rc = cli.main(["evaluate", str(tmp_path / "bench"), "--json-out", str(out_file)])
    captured = capsys.readouterr()
    assert rc == 0
    result = _last_json(captured.out)
    assert result["images"] == 5
    assert result["reader"] == "fake"
    for part in (result, result["train"], result["held_out"]):
        assert isinstance(part, dict)
        for figure in (*FIGURES, "ms_per_image"):
            assert figure in part
        for figure in FIGURES:
            assert 0.0 <= part[figure] <= 1.0
    assert result["train"]["images"] == 4  # type: ignore[index]
    assert result["held_out"]["images"] == 1  # type: ignore[index]
    assert "[5/5]" in captured.err
    saved = json.loads(out_file.read_text())
    assert len(saved["per_image"]) == 5


def test_evaluate_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_bench(tmp_path / "bench", 3)
    monkeypatch.setattr(evaluate, "load_reader", lambda baseline, threads: (_FakeReader(), "fake"))
    assert cli.main(["evaluate", str(tmp_path / "bench"), "--limit", "2"]) == 0
    assert _last_json(capsys.readouterr().out)["images"] == 2


def test_evaluate_rejects_a_folder_without_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert cli.main(["evaluate", str(tmp_path / "empty")]) == 2
    assert "no labelled images" in capsys.readouterr().err


def test_missing_project_reader_module_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "alpr_desktop.recognition.reader", None)
    with pytest.raises(ModelFileError, match="--baseline"):
        evaluate.load_reader(baseline=False, threads=2)


@pytest.mark.ocr
def test_evaluate_baseline_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("easyocr")
    pytest.importorskip("easyocr_en_models")
    _write_bench(tmp_path / "bench", 2)
    assert cli.main(["evaluate", str(tmp_path / "bench"), "--baseline"]) == 0
    result = _last_json(capsys.readouterr().out)
    assert result["reader"] == "easyocr-english_g2"
    assert result["images"] == 2


@pytest.mark.ocr
def test_stock_reader_refuses_altered_weights(tmp_path: Path) -> None:
    pytest.importorskip("easyocr")
    from alpr_desktop.recognition.stock_reader import StockEasyOcrReader

    weights = tmp_path / "english_g2.pth"
    weights.write_bytes(b"tampered")
    with pytest.raises(ModelFileError, match="altered") as info:
        StockEasyOcrReader(tmp_path)
    assert str(weights) in str(info.value)


# The shipped localizer and reader read 23 of the 24 held-out photos end to end
# (MODEL_CARD.md); the floor allows one plate less (floating-point kernels differ between
# CPUs and a near tie can go either way). The goal is 0.90 exact, 0.95 folded.
HELD_OUT_END_TO_END_FLOOR = 0.91


@pytest.mark.ocr
@pytest.mark.bench
def test_end_to_end_on_held_out_bench_photos(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = bench_dir()
    if folder is None:
        pytest.skip("bench photos not present (../shared/bench/openalpr-us or ALPR_BENCH_DIR)")
    assert cli.main(["evaluate", str(folder)]) == 0
    held_out = _last_json(capsys.readouterr().out)["held_out"]
    assert isinstance(held_out, dict)
    assert held_out["images"] == 24
    assert held_out["recall_iou03"] >= 0.95
    assert held_out["exact"] >= HELD_OUT_END_TO_END_FLOOR, held_out
    assert held_out["folded_exact"] >= HELD_OUT_END_TO_END_FLOOR, held_out
