"""Spliced real plates: new training crops cut and joined from the TRAINING bench plates.

The bench gives only 96 real plates, and a network that sees them whole memorises each
plate's text from its overall look. Splicing breaks that: the network being trained
aligns its own reading of an augmented real crop to the ground truth (CTC Viterbi forced
alignment, :func:`forced_alignment`), which places every character at a column; a
spliced crop joins the left part of one real plate (up to a gap between two characters)
to the right part of another, so its text is a new sequence drawn in real plate
typefaces, and each character must be read from its own appearance.

Only crops the network already reads correctly are aligned and used, so a cut falls
between characters the network places reliably. Held-out photos never enter: the bank
is built from the training crops given to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

COLUMN_PX = 4  # input pixels per output column (128 px -> 32 columns)


def forced_alignment(
    log_probs: npt.NDArray[np.floating], labels: Sequence[int]
) -> list[tuple[int, int]]:
    """The most probable CTC path for ``labels``: each label's (first, last) column.

    Args:
        log_probs: (columns, classes) log-probabilities; class 0 is the blank.
        labels: class indices (>= 1) of the text.

    Returns:
        One (first, last) column pair per label, in order; empty when the text cannot be
        aligned in this many columns.
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    t_len = lp.shape[0]
    ext = [0]
    for lab in labels:
        ext += [int(lab), 0]
    s_len = len(ext)
    if not labels or len(labels) > t_len:
        return []
    neg = -np.inf
    score = np.full((t_len, s_len), neg)
    back = np.zeros((t_len, s_len), dtype=np.int64)
    score[0, 0] = lp[0, ext[0]]
    score[0, 1] = lp[0, ext[1]]
    for t in range(1, t_len):
        for s in range(s_len):
            best, arg = score[t - 1, s], s
            if s >= 1 and score[t - 1, s - 1] > best:
                best, arg = score[t - 1, s - 1], s - 1
            if s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2] and score[t - 1, s - 2] > best:
                best, arg = score[t - 1, s - 2], s - 2
            if best > neg:
                score[t, s] = best + lp[t, ext[s]]
                back[t, s] = arg
    end = s_len - 1 if score[-1, s_len - 1] >= score[-1, s_len - 2] else s_len - 2
    if score[-1, end] == neg:
        return []
    states = [end]
    for t in range(t_len - 1, 0, -1):
        states.append(int(back[t, states[-1]]))
    states.reverse()
    spans: list[list[int]] = [[t_len, -1] for _ in labels]
    for t, s in enumerate(states):
        if s % 2 == 1:
            k = s // 2
            spans[k][0] = min(spans[k][0], t)
            spans[k][1] = max(spans[k][1], t)
    return [(a, b) for a, b in spans]


def character_cuts(
    image: npt.NDArray[np.uint8],
    spans: Sequence[tuple[int, int]],
    search_px: int = 5,
    max_ink: float = 0.5,
) -> list[int]:
    """Pixel columns between consecutive characters of a prepared 32x128 crop.

    A CTC network with a bidirectional LSTM emits a character at about its right edge
    (measured on the shipped networks), so the cut after character ``k`` is looked for
    within ``search_px`` of its last emitting column: the column whose middle half of rows
    (where the characters are) differs least from the plate's background brightness.
    The last character's column carries no position (it is often emitted at the end).
    Returns no cuts (empty) when a gap is not clearly lighter in ink than the characters
    (above ``max_ink`` of the 75th-percentile column), so doubtful crops are left out.
    """
    band = image[image.shape[0] // 4 : image.shape[0] * 3 // 4].astype(np.float32)
    background = float(np.median(band))
    ink = np.abs(band - background).mean(axis=0)  # per column: how much is drawn there
    w = image.shape[1]
    typical = float(np.percentile(ink, 75)) + 1e-6
    cuts: list[int] = []
    for k in range(len(spans) - 1):
        centre = spans[k][1] * COLUMN_PX + COLUMN_PX // 2
        lo = max(1, centre - search_px, (cuts[-1] + 3) if cuts else 1)
        hi = min(w - 1, centre + search_px + 1, spans[k + 1][1] * COLUMN_PX)
        if hi <= lo:
            return []
        x = lo + int(np.argmin(ink[lo:hi]))
        if ink[x] > max_ink * typical:  # no clear gap there: do not trust this crop
            return []
        cuts.append(x)
    return cuts


@dataclass(frozen=True)
class AlignedCrop:
    image: npt.NDArray[np.uint8]  # prepared 32x128
    text: str
    cuts: tuple[int, ...]  # len(text) - 1 pixel columns between characters


class SpliceBank:
    """Aligned views of the training plates, and spliced crops made from them."""

    def __init__(self) -> None:
        self.crops: list[AlignedCrop] = []

    def refresh(
        self,
        views: Sequence[npt.NDArray[np.uint8]],
        texts: Sequence[str],
        log_probs: npt.NDArray[np.floating],
        greedy: Sequence[str],
        charset: str,
    ) -> int:
        """Replace the bank with the ``views`` the network reads right (``greedy == text``).

        ``log_probs`` is (views, columns, classes). Returns how many views were kept.
        """
        crops = []
        for img, text, lp, read in zip(views, texts, log_probs, greedy, strict=True):
            if read != text or len(text) < 2:
                continue
            spans = forced_alignment(lp, [charset.index(c) + 1 for c in text])
            cuts = character_cuts(img, spans) if spans else []
            if len(cuts) == len(text) - 1:
                crops.append(AlignedCrop(img, text, tuple(cuts)))
        self.crops = crops
        return len(crops)

    def sample(
        self,
        rng: np.random.Generator,
        degrade: Callable[[npt.NDArray[np.uint8], np.random.Generator], npt.NDArray[np.uint8]],
        min_len: int = 4,
        max_len: int = 8,
    ) -> tuple[npt.NDArray[np.uint8], str] | None:
        """A crop joined from two or three bank crops (its text is theirs, joined), degraded.

        None when the bank is too small or no fitting join was found in a few tries.
        """
        if len(self.crops) < 8:
            return None
        w_out = self.crops[0].image.shape[1]
        for _ in range(10):
            pieces = 2 if rng.random() < 0.6 else 3
            chosen = [self.crops[int(k)] for k in rng.integers(0, len(self.crops), pieces)]
            parts, text = [], ""
            for p, crop in enumerate(chosen):
                n = len(crop.text)
                first = 0 if p == 0 else int(rng.integers(1, n))  # characters [first, last)
                last = n if p == pieces - 1 else int(rng.integers(first + 1, n + (p > 0)))
                if last <= first or (p == 0 and last == n):
                    break
                x0 = 0 if first == 0 else crop.cuts[first - 1]
                x1 = w_out if last == n else crop.cuts[last - 1]
                parts.append(crop.image[:, x0:x1])
                text += crop.text[first:last]
            else:
                width = sum(part.shape[1] for part in parts)
                if min_len <= len(text) <= max_len and 0.7 <= width / w_out <= 1.4:
                    joined = np.hstack(parts)
                    h = joined.shape[0]
                    joined = cv2.resize(joined, (w_out, h), interpolation=cv2.INTER_LINEAR)
                    return degrade(joined, rng), text
        return None
