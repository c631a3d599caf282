"""Spliced real plates (tools/training/splice.py): alignment, cuts, and joined crops."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "training"))

from splice import (
    COLUMN_PX,
    AlignedCrop,
    SpliceBank,
    character_cuts,
    forced_alignment,
)


def _path_score(lp: np.ndarray, path: tuple[int, ...]) -> float:
    return float(sum(lp[t, c] for t, c in enumerate(path)))


def _collapse(path: tuple[int, ...]) -> list[int]:
    out = [c for j, c in enumerate(path) if c and (j == 0 or c != path[j - 1])]
    return out


@pytest.mark.parametrize("labels", [[1], [1, 2], [2, 2], [1, 2, 1]])
def test_forced_alignment_is_the_best_path(labels: list[int]) -> None:
    """Against brute force over every path of 5 columns and 3 classes (repeats included)."""
    rng = np.random.default_rng(len(labels) * 7 + labels[-1])
    lp = np.log(rng.dirichlet(np.ones(3), size=5))
    best = max(
        (p for p in itertools.product(range(3), repeat=5) if _collapse(p) == labels),
        key=lambda p: _path_score(lp, p),
    )
    spans = forced_alignment(lp, labels)
    assert len(spans) == len(labels)
    # the spans must be exactly the columns where the best path emits each label
    expected: list[list[int]] = []
    k = -1
    for t, c in enumerate(best):
        if c and (t == 0 or c != best[t - 1] or best[t - 1] == 0):
            k += 1
            expected.append([t, t])
        elif c:
            expected[k][1] = t
    assert [list(s) for s in spans] == expected


def test_forced_alignment_refuses_what_cannot_fit() -> None:
    lp = np.log(np.full((3, 4), 0.25))
    assert forced_alignment(lp, [1, 1, 1]) == []  # needs 5 columns (blanks between repeats)
    assert forced_alignment(lp, [1, 2, 3, 1]) == []  # longer than the columns
    assert forced_alignment(lp, []) == []


def _bars(xs: list[int], width: int = 8) -> np.ndarray:
    """A light 32x128 plate with dark characters (bars) starting at ``xs``."""
    img = np.full((32, 128), 220, np.uint8)
    for x in xs:
        img[6:26, x : x + width] = 30
    return img


def test_cuts_fall_in_the_gaps_between_characters() -> None:
    xs = [10, 30, 50, 70]
    img = _bars(xs)
    # emitted at about each character's right edge, as the trained networks do
    spans = [((x + 8) // COLUMN_PX, (x + 8) // COLUMN_PX) for x in xs]
    cuts = character_cuts(img, spans)
    assert len(cuts) == 3
    for cut, left, right in zip(cuts, xs, xs[1:], strict=False):
        assert left + 8 <= cut < right


def test_cuts_refuse_a_crop_without_gaps() -> None:
    img = np.full((32, 128), 220, np.uint8)
    img[6:26, 30:75] = 30  # one long dark block: no gap where the alignment says
    assert character_cuts(img, [(9, 9), (12, 12), (16, 16)]) == []


def test_spliced_crop_joins_the_pieces_and_their_text() -> None:
    """Read back from the pixels, a joined crop's characters are exactly its text."""
    charset = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    crops, grey_to_char = [], {}
    for plate in range(9):
        text = charset[plate * 3 : plate * 3 + 5]
        img = np.zeros((32, 128), np.uint8)
        for j in range(5):  # character j: a black edge, then a grey unique to (plate, j)
            grey = 20 + 5 * (plate * 5 + j)
            grey_to_char[grey] = text[j]
            img[:, j * 25 + 3 : j * 25 + 25] = grey
        crops.append(AlignedCrop(img, text, (25, 50, 75, 100)))
    bank = SpliceBank()
    bank.crops = crops
    rng = np.random.default_rng(3)
    seen_three = False
    for _ in range(60):
        out = bank.sample(rng, lambda img, _rng: img)
        assert out is not None
        image, text = out
        assert image.shape == (32, 128) and 4 <= len(text) <= 8
        row = image[16].astype(int)
        runs = [(g, len(list(r))) for g, r in itertools.groupby(row)]
        spelled = "".join(grey_to_char[g] for g, n in runs if n >= 4 and g in grey_to_char)
        assert spelled == text
        plates = {g for g, n in runs if n >= 4 and g in grey_to_char}
        seen_three |= len({(g - 20) // 25 for g in plates}) == 3
    assert seen_three  # joins of three plates happen too


def test_small_bank_gives_nothing() -> None:
    bank = SpliceBank()
    bank.crops = [AlignedCrop(np.zeros((32, 128), np.uint8), "AB", (60,))] * 3
    assert bank.sample(np.random.default_rng(0), lambda img, _rng: img) is None


def test_bank_keeps_only_views_read_right() -> None:
    charset = "AB"
    img = _bars([20, 60], width=10)
    lp = np.full((32, 3), np.log(1e-3))
    lp[:, 0] = 0.0
    lp[(20 + 10) // COLUMN_PX, 1] = 0.0
    lp[(60 + 10) // COLUMN_PX, 2] = 0.0
    bank = SpliceBank()
    kept = bank.refresh([img, img], ["AB", "AB"], np.stack([lp, lp]), ["AB", "AA"], charset)
    assert kept == 1
    assert len(bank.crops[0].cuts) == 1 and 30 <= bank.crops[0].cuts[0] < 60
