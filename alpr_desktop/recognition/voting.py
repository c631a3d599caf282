"""Voting one plate's reading over the frames of its track.

Each frame's :class:`~alpr_desktop.recognition.types.PlateReading` proposes its best text
and the reader's alternatives, each with the probability the network gives it. Over a
track those probabilities are summed:

* per whole string (its *support*: the mean probability over the frames voted), and
* character by character, among the proposals of the most supported length, so a
  character misread in some frames is outvoted by the frames that read it right even
  when no single frame read the whole plate right.

The character-wise winner and the best-supported whole string are then ranked like the
reader ranks its own proposals (:func:`~alpr_desktop.recognition.decoding.plate_score`:
network probability and the plate-format prior), so voting never prefers a blend of two
readings over a plausible plate that the frames actually read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from alpr_desktop.recognition.decoding import is_valid_plate, plate_score
from alpr_desktop.recognition.types import Candidate, PlateReading


@dataclass(frozen=True)
class Vote:
    """The outcome of a vote.

    Attributes:
        text: the voted reading ("" when no frame gave a valid plate).
        confidence: 0-1, the voted text's weakest part: the lower of its length's support
            and its least supported character's (each a mean probability per frame).
        alternatives: other whole readings, best supported first, with their support.
        frames: readings that went into the vote.
    """

    text: str
    confidence: float
    alternatives: tuple[Candidate, ...]
    frames: int


def proposals(reading: PlateReading) -> list[Candidate]:
    """A reading's valid proposals: its text and alternatives, each text once."""
    seen: dict[str, float] = {}
    for cand in (Candidate(reading.text, reading.confidence), *reading.alternatives):
        text = cand.text.upper()
        if is_valid_plate(text) and text not in seen:
            seen[text] = max(0.0, min(1.0, cand.confidence))
    return [Candidate(t, c) for t, c in seen.items()]


def similarity(a: str, b: str) -> float:
    """0-1, how alike two readings are (1: equal; "" is like nothing)."""
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def vote(readings: Iterable[PlateReading], max_alternatives: int = 4) -> Vote:
    """Confidence-weighted, character-by-character vote over a track's readings."""
    string_support: dict[str, float] = defaultdict(float)
    length_support: dict[int, float] = defaultdict(float)
    all_proposals: list[Candidate] = []
    frames = 0
    for reading in readings:
        frames += 1
        for cand in proposals(reading):
            string_support[cand.text] += cand.confidence
            length_support[len(cand.text)] += cand.confidence
            all_proposals.append(cand)
    if not string_support:
        return Vote("", 0.0, (), frames)
    length = max(length_support, key=lambda n: (length_support[n], n))
    per_char = _char_tallies(all_proposals, length)
    composite = "".join(max(t, key=lambda c: (t[c], c)) for t in per_char)
    best_string = max(string_support, key=lambda s: (string_support[s], s))
    contenders = {composite, best_string}
    text = max(
        contenders,
        key=lambda s: (plate_score(Candidate(s, _support(s, per_char, string_support, frames))), s),
    )
    support = _support(text, per_char, string_support, frames)
    confidence = min(support, length_support[len(text)] / frames, 1.0)
    others = sorted(
        (Candidate(s, min(1.0, v / frames)) for s, v in string_support.items() if s != text),
        key=lambda c: (-c.confidence, c.text),
    )
    return Vote(text, confidence, tuple(others[:max_alternatives]), frames)


def _char_tallies(cands: Sequence[Candidate], length: int) -> list[dict[str, float]]:
    tallies: list[dict[str, float]] = [defaultdict(float) for _ in range(length)]
    for cand in cands:
        if len(cand.text) == length:
            for i, ch in enumerate(cand.text):
                tallies[i][ch] += cand.confidence
    return tallies


def _support(
    text: str, per_char: list[dict[str, float]], strings: dict[str, float], frames: int
) -> float:
    """Mean probability per frame: of the whole string, or of its weakest character."""
    whole = strings.get(text, 0.0)
    if len(text) == len(per_char):
        whole = max(whole, min(t.get(c, 0.0) for t, c in zip(per_char, text, strict=True)))
    return min(1.0, whole / max(frames, 1))
