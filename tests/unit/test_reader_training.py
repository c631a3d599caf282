"""The reader's fine-tuning contract (tools/training/train_reader.py).

Fine-tuning keeps the pre-trained BatchNorm statistics and the backbone's learnable affine
scalars and trains every other weight; the exported model is what the reader loads.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def train_reader() -> ModuleType:
    pytest.importorskip("torch")
    pytest.importorskip("PIL")
    sys.path.insert(0, str(REPO / "tools" / "training"))
    try:
        spec = importlib.util.spec_from_file_location(
            "train_reader_under_test", REPO / "tools" / "training" / "train_reader.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(REPO / "tools" / "training"))
    return module


@pytest.mark.ocr
def test_fine_tuning_step_keeps_frozen_weights(train_reader: ModuleType) -> None:
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = train_reader.build_member()
    train_reader.set_training(model)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and all(not m.training for m in bns)
    assert model.training

    frozen = [
        p for m in model.modules() if type(m).__name__ == "LearnableAffine" for p in m.parameters()
    ]
    trainable = train_reader.trainable(model)
    assert frozen and len(trainable) + len(frozen) == len(list(model.parameters()))
    assert not {id(p) for p in frozen} & {id(p) for p in trainable}

    before = {k: v.clone() for k, v in model.state_dict().items()}
    crops = np.random.default_rng(0).integers(0, 255, (2, 48, 160), dtype=np.uint8)
    x = train_reader.to_tensor(crops)
    assert x.shape == (2, 3, 48, 160)
    lp = model(x).permute(1, 0, 2)
    targets, lengths = train_reader.encode(["ABC123", "7XYZ42"])
    loss = nn.CTCLoss(zero_infinity=True)(
        lp, targets, torch.full((2,), lp.shape[0], dtype=torch.long), lengths
    )
    opt = torch.optim.AdamW(trainable, lr=1e-3)
    opt.zero_grad()
    loss.backward()
    opt.step()

    after = model.state_dict()
    frozen_names = {k for k in after if k.endswith((".scale", ".bias")) and "lab." in k}
    assert frozen_names
    for name, value in after.items():
        unchanged = torch.equal(before[name], value)
        if name in frozen_names or "running_" in name or "num_batches" in name:
            assert unchanged, f"{name} changed"
    assert not torch.equal(before["head.weight"], after["head.weight"])
    assert not torch.equal(
        before["neck.blocks.0.attn.qkv.weight"], after["neck.blocks.0.attn.qkv.weight"]
    )


@pytest.mark.ocr
def test_export_loads_as_the_shipped_format(train_reader: ModuleType, tmp_path: Path) -> None:
    import torch

    from alpr_desktop.recognition.reader import PlateTextReader, sha256_of

    member = train_reader.build_member()
    exp = train_reader.export(member, tmp_path, half=False)
    names = sorted(p.name for p in exp.iterdir())
    assert names == ["alpr_plate_svtr.pth", "alpr_plate_svtr.py", "alpr_plate_svtr.yaml"]
    reader = PlateTextReader(exp, pins={n: sha256_of(exp / n) for n in names})
    crop = np.full((40, 90, 3), 120, np.uint8)
    got = reader.member_log_probs([crop])
    member.eval()
    with torch.inference_mode():
        x = (
            torch.from_numpy(np.stack([train_reader.prepare_crop(crop)]).astype(np.float32))
            .div_(127.5)
            .sub_(1.0)
        )
        want = member(x.unsqueeze(1).expand(-1, 3, -1, -1)).numpy()
    np.testing.assert_allclose(got[0], want, atol=1e-4)


def _striped_photo(tmp_path: Path) -> Path:
    """A photo whose labelled box holds horizontal stripes and, just below it, a second box
    (where a localizer might put its box) holds vertical stripes."""
    import cv2

    frame = np.full((600, 600, 3), 128, np.uint8)
    rows = (np.arange(50)[:, None] // 8 % 2 * 255).astype(np.uint8)
    frame[250:300, 250:350] = np.repeat(np.repeat(rows, 100, 1)[:, :, None], 3, 2)
    cols = (np.arange(100)[None, :] // 8 % 2 * 255).astype(np.uint8)
    frame[330:380, 250:350] = np.repeat(np.repeat(cols, 50, 0)[:, :, None], 3, 2)
    path = tmp_path / "striped.png"
    cv2.imwrite(str(path), frame)
    return path


def _share_cut_around_second_box(crops: ModuleType, n: int = 300) -> float:
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(n):
        s = crops.sample(0, rng).astype(np.float32)
        gx = np.abs(np.diff(s, axis=1)).mean()
        gy = np.abs(np.diff(s, axis=0)).mean()
        hits += gx > 2 * gy  # vertical stripes dominate: cut around the second box
    return hits / n


@pytest.mark.ocr
def test_real_crops_follow_the_localizer_box_when_given(
    train_reader: ModuleType, tmp_path: Path
) -> None:
    from alpr_desktop.recognition.bench import BenchItem
    from alpr_desktop.recognition.types import PlateBox

    item = BenchItem(_striped_photo(tmp_path), PlateBox(250, 250, 100, 50, 1.0), "ABC123", 0)
    plain = train_reader.RealCrops([item])
    assert plain.sample(0, np.random.default_rng(0)).shape == (48, 160)
    assert _share_cut_around_second_box(plain) < 0.05

    localized = train_reader.RealCrops([item], {"striped.png": PlateBox(250, 330, 100, 50, 0.9)})
    assert localized.detected == [(100, 180, 100, 50)]  # region coordinates
    assert 0.2 <= _share_cut_around_second_box(localized) <= 0.4
