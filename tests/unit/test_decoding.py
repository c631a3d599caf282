"""Plate-aware CTC decoding: beam search, validity rules and format ranking."""

from __future__ import annotations

import numpy as np
import pytest

from alpr_desktop.recognition.decoding import (
    ctc_beam_search,
    greedy_decode,
    is_valid_plate,
    matches_common_format,
    rank_candidates,
)
from alpr_desktop.recognition.types import Candidate

CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _probs(columns: list[dict[str, float]]) -> np.ndarray:
    """Columns given as {char or '-' (blank): probability}; the rest spread evenly."""
    out = np.zeros((len(columns), len(CHARSET) + 1))
    for t, col in enumerate(columns):
        for ch, p in col.items():
            out[t, 0 if ch == "-" else CHARSET.index(ch) + 1] = p
        rest = 1.0 - out[t].sum()
        zero = out[t] == 0
        out[t, zero] = rest / zero.sum()
    return out


def test_greedy_merges_repeats_and_drops_blanks() -> None:
    probs = _probs([{"A": 0.9}, {"A": 0.9}, {"-": 0.9}, {"A": 0.9}, {"7": 0.9}, {"-": 0.9}])
    assert greedy_decode(probs, CHARSET) == "AA7"


def test_beam_search_best_equals_clear_greedy_path() -> None:
    cols = [{c: 0.95} for c in "ABC1234"]
    probs = _probs([x for c in cols for x in (c, {"-": 0.95})])
    best = ctc_beam_search(probs, CHARSET, beam_width=8, top_k=3)
    assert best[0].text == "ABC1234"
    assert best[0].confidence > 0.3
    assert [c.confidence for c in best] == sorted((c.confidence for c in best), reverse=True)


def test_beam_search_sums_alignments() -> None:
    # "A" via A-, -A, AA is more probable than the single best path suggests.
    probs = _probs([{"A": 0.5, "-": 0.45}, {"A": 0.5, "-": 0.45}])
    best = ctc_beam_search(probs, CHARSET, beam_width=10, top_k=2)
    assert best[0].text == "A"
    assert best[0].confidence == pytest.approx(0.5 * 0.45 + 0.45 * 0.5 + 0.5 * 0.5, rel=1e-6)


def test_beam_search_proposes_alternatives_for_ambiguous_column() -> None:
    probs = _probs([{"8": 0.9}, {"-": 0.9}, {"B": 0.55, "8": 0.4}, {"-": 0.9}])
    texts = [c.text for c in ctc_beam_search(probs, CHARSET, beam_width=8, top_k=5)]
    assert texts[:2] == ["8B", "88"]


def test_beam_search_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError):
        ctc_beam_search(np.zeros((5, 10)), CHARSET)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("ABC1234", True),
        ("7", False),
        ("AB", True),
        ("ABCDEFGHJ", False),
        ("AB-12", False),
        ("ab1", False),
    ],
)
def test_validity(text: str, valid: bool) -> None:
    assert is_valid_plate(text) is valid


@pytest.mark.parametrize("text", ["ABC1234", "7ABC123", "AB1C2D", "ABC123", "123ABC"])
def test_common_formats(text: str) -> None:
    assert matches_common_format(text)


def test_format_breaks_near_ties_but_not_clear_winners() -> None:
    # 7ABC12 (no common format) vs 7ABC123 (California): close probabilities -> format wins
    ranked = rank_candidates([Candidate("7ABC12", 0.40), Candidate("7ABC123", 0.35)])
    assert ranked[0].text == "7ABC123"
    # but a much more probable reading stays first
    ranked = rank_candidates([Candidate("7ABC12", 0.80), Candidate("7ABC123", 0.05)])
    assert ranked[0].text == "7ABC12"


def test_invalid_readings_go_last_and_nothing_is_invented() -> None:
    cands = [Candidate("A", 0.6), Candidate("ABC1234", 0.2), Candidate("ABCDEFGHJK", 0.1)]
    ranked = rank_candidates(cands)
    assert ranked[0].text == "ABC1234"
    assert {c.text for c in ranked} == {c.text for c in cands}
    assert {c.confidence for c in ranked} == {c.confidence for c in cands}


def test_rank_merges_duplicates() -> None:
    ranked = rank_candidates([Candidate("ABC123", 0.3), Candidate("abc123", 0.2)])
    assert len(ranked) == 1
    assert ranked[0].confidence == pytest.approx(0.5)
