"""Plate-aware decoding of the reader's CTC output.

:func:`ctc_beam_search` turns per-column class probabilities into the most probable
readings (each with the probability the network gives it, summed over alignments).
:func:`ensemble_candidates` lets several independently trained networks vote: each
proposes its best readings, and every proposal is scored under all of them by its exact
CTC likelihood (:func:`ctc_log_likelihoods`). :func:`rank_candidates` then applies what is
known about US plates: only 0-9 and A-Z, 2 to 8 characters, and common state serial
formats. Formats only *rank* readings the networks proposed; they never add or change a
character.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from alpr_desktop.recognition.types import Candidate

ALLOWED = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
MIN_LENGTH = 2
MAX_LENGTH = 8

# Common passenger-plate serial formats (L letter, D digit), written as regular expressions.
COMMON_FORMATS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"[A-Z]{3}\d{4}",  # ABC1234: NY, PA, TX, GA, OH, MI, ...
        r"\d[A-Z]{3}\d{3}",  # 1ABC234: California
        r"[A-Z]{2}\d[A-Z]\d[A-Z]",  # AB1C2D: Missouri
        r"[A-Z]{3}\d{3}",  # ABC123
        r"\d{3}[A-Z]{3}",  # 123ABC
        r"[A-Z]{2}\d{5}",  # AB12345
        r"\d[A-Z]{2}\d{4}",  # 1AB2345
        r"[A-Z]\d{2}[A-Z]{3}",
        r"\d{3}[A-Z]\d{3}",
        r"[A-Z]{3}\d[A-Z]\d",
        r"\d{6,7}",
    )
)
# A reading in a common format counts as ten times as likely. Chosen for the previous
# single-network reader on the training part of the bench and on synthetic plates
# (x1, 2, 4, 10, 30, 100 tried), never on held-out; not re-tuned for the ensemble.
FORMAT_BONUS = math.log(10.0)
FALLBACK_PENALTY = math.log(1e-3)  # readings breaking the hard rules go last


def is_valid_plate(text: str) -> bool:
    """Only 0-9/A-Z and a plausible length."""
    return MIN_LENGTH <= len(text) <= MAX_LENGTH and all(c in ALLOWED for c in text)


def matches_common_format(text: str) -> bool:
    return any(p.fullmatch(text) for p in COMMON_FORMATS)


def ctc_beam_search(
    probs: npt.NDArray[np.floating], charset: str, beam_width: int = 10, top_k: int = 5
) -> list[Candidate]:
    """CTC prefix beam search.

    Args:
        probs: (columns, 1 + len(charset)) softmax output; class 0 is the CTC blank and
            class ``i`` is ``charset[i - 1]``.
        charset: the characters of classes 1..N.
        beam_width: prefixes kept per column.
        top_k: readings returned.

    Returns:
        Up to ``top_k`` readings, most probable first; ``confidence`` is the probability of
        the reading (summed over all alignments kept by the beam).
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(charset) + 1:
        raise ValueError(f"probs must be (T, {len(charset) + 1}), got {probs.shape}")
    # beams: prefix (tuple of class ids) -> (p ending in blank, p ending in non-blank)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (1.0, 0.0)}
    prune = 1e-4
    # Python floats and lists: arithmetic on NumPy scalars is slower in this inner loop
    rows = probs.tolist()
    above = probs[:, 1:] > prune
    for col, mask in zip(rows, above, strict=True):
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [0.0, 0.0])
        candidates = (np.flatnonzero(mask) + 1).tolist()
        for prefix, (pb, pnb) in beams.items():
            total = pb + pnb
            entry = nxt[prefix]
            entry[0] += total * col[0]  # blank keeps the prefix
            if prefix:  # repeating the last symbol without a blank keeps the prefix
                entry[1] += pnb * col[prefix[-1]]
            for k in candidates:
                p = col[k]
                ext = (*prefix, k)
                e = nxt[ext]
                if prefix and prefix[-1] == k:
                    e[1] += pb * p  # a repeat needs a blank in between
                else:
                    e[1] += total * p
        ranked = sorted(nxt.items(), key=lambda kv: kv[1][0] + kv[1][1], reverse=True)
        beams = {k: (v[0], v[1]) for k, v in ranked[:beam_width]}
    final = sorted(beams.items(), key=lambda kv: kv[1][0] + kv[1][1], reverse=True)
    out = []
    for prefix, (pb, pnb) in final[:top_k]:
        out.append(Candidate("".join(charset[k - 1] for k in prefix), float(pb + pnb)))
    return out


def ctc_log_likelihoods(
    log_probs: npt.NDArray[np.floating], texts: Sequence[str], charset: str
) -> npt.NDArray[np.float64]:
    """log P(text | columns) under CTC, summed over every alignment, for several texts.

    One forward pass (the CTC forward algorithm) scores all texts: their extended label
    sequences (blank, l1, blank, l2, ..., blank) are padded to the longest, and each
    text's likelihood is read at its own last two states (padding states come after them
    and never feed back).

    Args:
        log_probs: (columns, 1 + len(charset)) log-softmax output of one network, or
            (networks, columns, 1 + len(charset)) to score under several at once.
        texts: the readings; every character must be in ``charset``.
        charset: the characters of classes 1..N (class 0 is the blank).

    Returns:
        Shape (networks, texts) (networks = 1 for 2-D input); ``-inf`` where a text cannot
        be aligned to that many columns.
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    if lp.ndim == 2:
        lp = lp[None]
    if lp.ndim != 3 or lp.shape[1] < 1 or lp.shape[2] != len(charset) + 1:
        raise ValueError(f"log_probs must be (N, T>=1, {len(charset) + 1}), got {lp.shape}")
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    states = 2 * int(lengths.max(initial=0)) + 1
    ext = np.zeros((len(texts), states), dtype=np.int64)  # padding and blanks: class 0
    for k, text in enumerate(texts):
        try:
            ext[k, 1 : 2 * len(text) : 2] = [charset.index(c) + 1 for c in text]
        except ValueError:
            raise ValueError(f"{text!r} has characters outside the charset") from None
    # a label state may also be reached from two states back unless it repeats that label
    skip = np.zeros_like(ext, dtype=bool)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    n, columns = lp.shape[0], lp.shape[1]
    alpha = np.full((n, len(texts), states), -np.inf)
    alpha[:, :, 0] = lp[:, 0, 0][:, None]
    if states > 1:
        alpha[:, :, 1] = lp[:, 0, ext[:, 1]]
    for t in range(1, columns):
        prev = alpha
        alpha = prev.copy()
        alpha[:, :, 1:] = np.logaddexp(alpha[:, :, 1:], prev[:, :, :-1])
        from_two_back = np.logaddexp(alpha[:, :, 2:], prev[:, :, :-2])
        alpha[:, :, 2:] = np.where(skip[:, 2:], from_two_back, alpha[:, :, 2:])
        alpha += lp[:, t, ext]
    rows = np.arange(len(texts))
    last = alpha[:, rows, 2 * lengths]
    before_last = alpha[:, rows, np.maximum(2 * lengths - 1, 0)]
    return np.where(lengths > 0, np.logaddexp(last, before_last), last)


def ensemble_candidates(
    member_log_probs: npt.NDArray[np.floating],
    charset: str,
    beam_width: int = 10,
    top_k: int = 5,
) -> list[Candidate]:
    """Readings proposed by several networks, scored under all of them.

    Each network's beam search proposes its ``top_k`` readings; each proposal is then
    scored by the mean over networks of its exact CTC log-likelihood, i.e. the geometric
    mean of the probabilities the networks give it, which is its ``confidence``. With one
    network this is the exact probability of each beam reading. No reading is invented:
    every candidate is one some network proposed.

    Args:
        member_log_probs: (networks, columns, 1 + len(charset)) log-softmax outputs.

    Returns:
        The proposals, most probable first (not yet ranked with plate rules).
    """
    lp = np.asarray(member_log_probs, dtype=np.float64)
    if lp.ndim != 3:
        raise ValueError(f"member_log_probs must be (N, T, C), got shape {lp.shape}")
    proposals: dict[str, None] = {}
    for member in lp:
        for cand in ctc_beam_search(np.exp(member), charset, beam_width, top_k):
            proposals.setdefault(cand.text, None)
    if not proposals:
        return []
    texts = list(proposals)
    mean_ll = ctc_log_likelihoods(lp, texts, charset).mean(axis=0)
    scored = [Candidate(text, math.exp(float(ll))) for text, ll in zip(texts, mean_ll, strict=True)]
    return sorted(scored, key=lambda c: c.confidence, reverse=True)


def greedy_decode(probs: npt.NDArray[np.floating], charset: str) -> str:
    """Best path: argmax per column, merge repeats, drop blanks."""
    chars, prev = [], 0
    for k in np.asarray(probs).argmax(axis=1).tolist():
        if k != prev and k != 0:
            chars.append(charset[k - 1])
        prev = k
    return "".join(chars)


def plate_score(candidate: Candidate) -> float:
    """Log-probability from the network plus the plate-format prior."""
    score = math.log(max(candidate.confidence, 1e-12))
    if not is_valid_plate(candidate.text):
        return score + FALLBACK_PENALTY
    if matches_common_format(candidate.text):
        score += FORMAT_BONUS
    return score


def rank_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The network's readings re-ordered by :func:`plate_score` (duplicates merged).

    Readings are only re-ordered, never created or edited; confidences stay the
    network's.
    """
    merged: dict[str, float] = {}
    for c in candidates:
        text = c.text.upper()
        merged[text] = merged.get(text, 0.0) + c.confidence
    items = [Candidate(t, min(1.0, p)) for t, p in merged.items()]
    return sorted(items, key=plate_score, reverse=True)


def best_valid(candidates: Sequence[Candidate]) -> Candidate | None:
    """The first candidate that is a valid plate, if any."""
    return next((c for c in candidates if is_valid_plate(c.text)), None)
