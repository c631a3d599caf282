"""Plate-aware CTC decoding: beam search, validity rules and format ranking."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from alpr_desktop.recognition.decoding import (
    ctc_beam_search,
    ctc_log_likelihoods,
    ensemble_candidates,
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


def _collapse(path: tuple[int, ...]) -> str:
    out, prev = [], 0
    for k in path:
        if k != prev and k != 0:
            out.append(SMALL[k - 1])
        prev = k
    return "".join(out)


SMALL = "AB7"


@pytest.mark.parametrize("text", ["", "A", "AA", "AB", "B7A", "7777"])
def test_ctc_likelihood_equals_sum_over_every_alignment(text: str) -> None:
    rng = np.random.default_rng(len(text))
    probs = rng.dirichlet(np.ones(len(SMALL) + 1), size=5)  # 5 columns, blank + A B 7
    brute = sum(
        math.prod(probs[t, k] for t, k in enumerate(path))
        for path in itertools.product(range(len(SMALL) + 1), repeat=5)
        if _collapse(path) == text
    )
    got = ctc_log_likelihoods(np.log(probs), [text], SMALL)[:, 0]
    assert got.shape == (1,)
    if brute == 0:  # "7777" needs 7 columns (blanks between repeats): impossible in 5
        assert got[0] == -np.inf
    else:
        assert math.exp(got[0]) == pytest.approx(brute, rel=1e-9)


def test_batched_likelihoods_equal_one_text_at_a_time() -> None:
    rng = np.random.default_rng(7)
    log_probs = np.log(rng.dirichlet(np.ones(len(CHARSET) + 1), size=(3, 12)))
    # mixed lengths, repeats, and one text too long for 12 columns (AAAAAAA needs 13)
    texts = ["", "7", "ABC123", "AA", "8B8B8B8B", "AAAAAAA", "ZZ"]
    batched = ctc_log_likelihoods(log_probs, texts, CHARSET)
    assert batched.shape == (3, len(texts))
    for k, text in enumerate(texts):
        np.testing.assert_allclose(
            batched[:, k], ctc_log_likelihoods(log_probs, [text], CHARSET)[:, 0]
        )
    assert np.all(batched[:, texts.index("AAAAAAA")] == -np.inf)
    assert np.all(np.isfinite(np.delete(batched, texts.index("AAAAAAA"), axis=1)))


def test_ctc_likelihood_scores_several_networks_and_rejects_bad_input() -> None:
    a = np.log(_probs([{"A": 0.9}, {"-": 0.9}, {"7": 0.9}]))
    b = np.log(_probs([{"B": 0.9}, {"-": 0.9}, {"7": 0.9}]))
    both = ctc_log_likelihoods(np.stack([a, b]), ["A7"], CHARSET)[:, 0]
    assert both.shape == (2,)
    assert both[0] > math.log(0.5) > both[1]
    with pytest.raises(ValueError, match="outside the charset"):
        ctc_log_likelihoods(a, ["A7", "A-7"], CHARSET)
    with pytest.raises(ValueError, match="log_probs must be"):
        ctc_log_likelihoods(a[:, :10], ["A7"], CHARSET)
    with pytest.raises(ValueError, match="log_probs must be"):
        ctc_log_likelihoods(a[:0], ["A7"], CHARSET)


def test_ensemble_picks_the_reading_most_networks_support() -> None:
    # Network 1 leans to 8 in the middle; networks 2 and 3 clearly see B. The ensemble
    # reading is B, although network 1 alone would read 8.
    def net(middle: dict[str, float]) -> np.ndarray:
        return np.log(_probs([{"A": 0.95}, {"-": 0.95}, middle, {"-": 0.95}, {"7": 0.95}]))

    lone = ensemble_candidates(net({"8": 0.55, "B": 0.4})[None], CHARSET)
    assert lone[0].text == "A87"
    nets = np.stack([net({"8": 0.55, "B": 0.4}), net({"B": 0.9}), net({"B": 0.85, "8": 0.1})])
    ranked = ensemble_candidates(nets, CHARSET)
    assert ranked[0].text == "AB7"
    assert [c.confidence for c in ranked] == sorted((c.confidence for c in ranked), reverse=True)
    # every candidate is one a network's beam search proposed; none is made up
    proposed = {c.text for n in nets for c in ctc_beam_search(np.exp(n), CHARSET, 10, 5)}
    assert {c.text for c in ranked} <= proposed


def test_single_network_confidence_is_the_exact_reading_probability() -> None:
    probs = _probs([{"A": 0.5, "-": 0.45}, {"A": 0.5, "-": 0.45}])
    best = ensemble_candidates(np.log(probs)[None], CHARSET)[0]
    assert best.text == "A"
    assert best.confidence == pytest.approx(0.5 * 0.45 + 0.45 * 0.5 + 0.5 * 0.5, rel=1e-9)


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
