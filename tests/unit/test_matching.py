"""``core.matching``: which hotlist entries a read hits, by what kind, and why."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpr_desktop.core.matching import (
    KIND_RANK,
    HotlistIndex,
    MatchEntry,
    MatchHit,
    Substitution,
)
from alpr_desktop.core.patterns import PatternError, compile_pattern
from alpr_desktop.core.plates import fold_confusables, normalize_plate
from alpr_desktop.recognition.types import Candidate
from alpr_desktop.storage.models import MatchKind

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
GROUPS = ("O0DQ", "I1L", "Z2", "S5", "B8", "G6")


def _index(*patterns: str, now: dt.datetime = NOW) -> HotlistIndex:
    entries = [MatchEntry(n, 1, p) for n, p in enumerate(patterns, start=1)]
    return HotlistIndex.build(entries, now=now)


def _found(hits: list[MatchHit]) -> list[tuple[int, str, str]]:
    return [(h.entry_id, h.kind, h.explanation) for h in hits]


def test_kinds_are_the_storage_match_kinds() -> None:
    assert set(KIND_RANK) == {kind.value for kind in MatchKind}


def test_exact_match_normalises_read_and_entry() -> None:
    index = _index("7abc 123", "8XYZ999")
    hits = index.match("7-ABC-123", now=NOW)
    assert _found(hits) == [(1, "exact", "exact: 7ABC123")]
    assert hits[0].matched_text == "7ABC123"
    assert hits[0].substitutions == ()
    assert index.match("7ABC12", now=NOW) == []
    assert index.match("", now=NOW) == []


@pytest.mark.parametrize(
    ("entry_char", "read_char"),
    [(a, b) for group in GROUPS for a in group for b in group if a != b],
)
def test_each_confusable_pair_matches_and_says_where(entry_char: str, read_char: str) -> None:
    # K, X, 4, H, 7 are in no group, so the one difference is the one under test.
    index = _index(f"KX{entry_char}4H7")
    (hit,) = index.match(f"KX{read_char}4H7", now=NOW)
    assert (hit.kind, hit.matched_text) == ("confusable", f"KX{read_char}4H7")
    assert hit.explanation == f"{read_char} → {entry_char} at position 3 (confusable)"
    assert hit.substitutions == (Substitution(3, read_char, entry_char),)


def test_characters_in_different_groups_do_not_match() -> None:
    index = _index("KX04H7", "KX84H7")
    assert index.match("KX34H7", now=NOW) == []
    assert [h.entry_id for h in index.match("KXB4H7", now=NOW)] == [2]


def test_several_confusables_are_all_named() -> None:
    (hit,) = _index("7ABZ1S3").match("7A8Z153", now=NOW)
    assert hit.explanation == "8 → B at position 3, 5 → S at position 6 (confusable)"


def test_partial_patterns_as_written_and_folded() -> None:
    index = _index("7AB*12", "?XYZ45?")
    assert _found(index.match("7ABXY12", now=NOW)) == [(1, "partial", "partial pattern 7AB*12")]
    assert _found(index.match("7AB12", now=NOW)) == [(1, "partial", "partial pattern 7AB*12")]
    assert _found(index.match("AXYZ45B", now=NOW)) == [(2, "partial", "partial pattern ?XYZ45?")]
    assert index.match("7AB123", now=NOW) == []
    (hit,) = index.match("7A8XY1Z", now=NOW)
    assert hit.explanation == (
        "partial pattern 7AB*12; 8 → B at position 3, Z → 2 at position 7 (confusable)"
    )
    assert hit.kind == "partial"


def test_partial_patterns_of_single_fixed_characters() -> None:
    # No two fixed characters are adjacent, so the pattern is filed under one character.
    index = _index("7?A?", "K*9")
    assert [h.entry_id for h in index.match("7XAY", now=NOW)] == [1]
    assert [h.entry_id for h in index.match("KABCDE9", now=NOW)] == [2]
    assert index.match("7XAYZ", now=NOW) == []


def test_a_read_is_tested_only_against_partials_sharing_a_character_pair() -> None:
    index = _index("7AB*12", "XY?99", "K?M?P", "QR*34")
    assert [e.entry_id for e in index.partial_candidates("7ABQ12")] == [1]
    # Filed under a folded pair: "D" folds like "Q", so "DR" reaches QR*34.
    assert [e.entry_id for e in index.partial_candidates("DR5534")] == [4]
    assert index.partial_candidates("3456789") == []


def test_alternative_readings_match_full_plates_exactly() -> None:
    index = _index("7ABC123", "8XYZ999")
    alternatives = [Candidate("7ABC128", 0.9), Candidate("7ABC123", 0.81)]
    hits = index.match("7ABC12B", alternatives, now=NOW)
    assert _found(hits) == [(1, "alternative", "third reading 7ABC123 (81%)")]
    assert hits[0].matched_text == "7ABC123"


def test_alternative_readings_are_not_folded() -> None:
    # The other readings are already second guesses; folding them too would over-alert.
    index = _index("7ABC123")
    assert index.match("XXXX", [Candidate("7A8C123", 0.5)], now=NOW) == []


def test_alternative_readings_fit_partial_patterns_as_written() -> None:
    index = _index("7AB*12")
    (hit,) = index.match("XXXX", [Candidate("7ABQ12", 0.42)], now=NOW)
    assert (hit.kind, hit.matched_text) == ("partial", "7ABQ12")
    assert hit.explanation == "partial pattern 7AB*12 on the second reading 7ABQ12 (42%)"
    assert index.match("XXXX", [Candidate("7A8Q12", 0.42)], now=NOW) == []


def test_best_evidence_wins_for_one_entry() -> None:
    index = _index("7ABC123")
    both = index.match("7ABC123", [Candidate("7ABC123", 0.3)], now=NOW)
    assert [h.kind for h in both] == ["exact"]
    second = index.match("7A8C123", [Candidate("7ABC123", 0.3)], now=NOW)
    assert [h.kind for h in second] == ["alternative"]
    partial = _index("7AB*12").match("7ABX12", [Candidate("7ABY12", 0.3)], now=NOW)
    assert [h.matched_text for h in partial] == ["7ABX12"]


def test_one_hit_per_entry_best_kind_then_priority_first() -> None:
    entries = [
        MatchEntry(1, 1, "7AB*23", priority=1),
        MatchEntry(2, 1, "7ABZ123", priority=1),
        MatchEntry(3, 2, "7AB2123", priority=3),
        MatchEntry(4, 3, "7AB2123", priority=1, category="amber"),
    ]
    hits = HotlistIndex.build(entries, now=NOW).match("7AB2123", now=NOW)
    assert [(h.entry_id, h.kind) for h in hits] == [
        (4, "exact"),
        (3, "exact"),
        (2, "confusable"),
        (1, "partial"),
    ]
    assert hits[0].entry is entries[3]


def test_expired_entries_are_left_out_when_built() -> None:
    entries = [
        MatchEntry(1, 1, "7ABC123", expires_at=NOW - dt.timedelta(days=1)),
        MatchEntry(2, 1, "7AB*12", expires_at=NOW),
        MatchEntry(3, 1, "7ABC123", expires_at=NOW + dt.timedelta(days=1)),
    ]
    index = HotlistIndex.build(entries, now=NOW)
    assert (index.size, index.expired) == (1, 2)
    assert [h.entry_id for h in index.match("7ABC123", now=NOW)] == [3]
    assert index.match("7ABX12", now=NOW) == []


def test_entries_that_expire_after_the_build_stop_matching() -> None:
    later = NOW + dt.timedelta(hours=1)
    entries = [
        MatchEntry(1, 1, "7ABC123", expires_at=later),
        MatchEntry(2, 1, "7AB*123", expires_at=later),
        MatchEntry(3, 1, "7ABC123"),
    ]
    index = HotlistIndex.build(entries, now=NOW)
    assert [h.entry_id for h in index.match("7ABC123", now=NOW)] == [1, 3, 2]
    assert [h.entry_id for h in index.match("7ABC123", now=later)] == [3]


def test_patterns_that_cannot_run_are_reported_not_indexed() -> None:
    entries = [MatchEntry(1, 1, "***"), MatchEntry(2, 1, "7*"), MatchEntry(3, 1, "7AB$12")]
    index = HotlistIndex.build(entries, now=NOW)
    assert index.size == 0
    assert set(index.invalid) == {1, 2, 3}
    assert "wildcards only" in index.invalid[1]
    assert index.match("7AB12", now=NOW) == []
    assert HotlistIndex.build([MatchEntry(4, 1, "7*")], now=NOW, min_fixed=1).size == 1


# ------------------------------------------------------------------ property tests

ALPHABET = "0ODQ1IL2Z5S8B6GAX7"  # mostly confusables, so random plates do collide
plates = st.text(ALPHABET, min_size=1, max_size=8)
patterns = st.text(ALPHABET + "**??", min_size=1, max_size=9)


def _reference(
    entries: list[MatchEntry], plate: str, others: list[str], now: dt.datetime
) -> dict[int, tuple[str, str]]:
    """Every entry tried one by one: entry id -> (kind, matched text)."""
    read, readings = normalize_plate(plate), []
    for other in map(normalize_plate, others):
        if other and other != read and other not in readings:
            readings.append(other)
    found: dict[int, tuple[str, str]] = {}
    for entry in entries:
        try:
            pattern = compile_pattern(entry.pattern)
        except PatternError:
            continue
        if entry.expired(now) or entry.entry_id in found:
            continue
        if not pattern.partial:
            if pattern.text == read:
                found[entry.entry_id] = ("exact", read)
            elif pattern.text in readings:
                found[entry.entry_id] = ("alternative", pattern.text)
            elif fold_confusables(pattern.text) == fold_confusables(read):
                found[entry.entry_id] = ("confusable", read)
        elif pattern.matches(read) or pattern.matches_folded(fold_confusables(read)):
            found[entry.entry_id] = ("partial", read)
        else:
            fits = [r for r in readings if pattern.matches(r)]
            if fits:
                found[entry.entry_id] = ("partial", fits[0])
    return found


def _applied(read: str, swaps: tuple[Substitution, ...]) -> str:
    chars = list(read)
    for swap in swaps:
        assert chars[swap.position - 1] == swap.read
        assert swap.read != swap.entry
        assert fold_confusables(swap.read) == fold_confusables(swap.entry)
        chars[swap.position - 1] = swap.entry
    return "".join(chars)


_PARTNER = {c: group[(group.index(c) + 1) % len(group)] for group in GROUPS for c in group}


@st.composite
def _variant(draw: st.DrawFn, read: str, wildcards: bool) -> str:
    """``read`` with some characters swapped for a confusable one, some for wildcards."""
    chars = list(read)
    for at in draw(st.sets(st.integers(0, len(read) - 1), max_size=3)):
        chars[at] = _PARTNER.get(chars[at], chars[at])
    if wildcards:
        for at in draw(st.sets(st.integers(0, len(read) - 1), max_size=4)):
            chars[at] = "?"
        start = draw(st.integers(0, len(read)))
        chars[start : start + draw(st.integers(0, 3))] = draw(st.sampled_from(["", "*"]))
    return "".join(chars)


@st.composite
def _cases(draw: st.DrawFn) -> tuple[list[MatchEntry], str, list[str], int]:
    read = draw(plates)
    # Most patterns derive from the read (confusables, wildcards), so that hits happen.
    near = st.one_of(_variant(read, wildcards=False), _variant(read, wildcards=True))
    texts = draw(st.lists(st.one_of(patterns, plates, near, near), min_size=1, max_size=25))
    expiries = [None, NOW - dt.timedelta(hours=1), NOW + dt.timedelta(minutes=5)]
    entries = [
        MatchEntry(n, n % 3, text, draw(st.sampled_from(expiries)), draw(st.integers(1, 3)))
        for n, text in enumerate(texts)
    ]
    others = draw(st.lists(st.one_of(plates, st.sampled_from(texts)), max_size=3))
    return entries, read, others, draw(st.integers(0, 10))


@settings(max_examples=400, deadline=None)
@given(_cases())
def test_index_agrees_with_trying_every_entry(
    case: tuple[list[MatchEntry], str, list[str], int],
) -> None:
    entries, read, others, minutes = case
    # The index is built at NOW and used later: entries may expire in between.
    later = NOW + dt.timedelta(minutes=minutes)
    index = HotlistIndex.build(entries, now=NOW)
    hits = index.match(read, [Candidate(o, 0.5) for o in others], now=later)
    got = {h.entry_id: (h.kind, h.matched_text) for h in hits}
    assert got == _reference(entries, read, others, later)
    ranks = [(KIND_RANK[h.kind], h.entry.priority, h.entry_id) for h in hits]
    assert ranks == sorted(ranks)
    for hit in hits:
        fixed = _applied(hit.matched_text, hit.substitutions)
        if hit.kind == "confusable":
            assert fixed == normalize_plate(hit.entry.pattern)
        elif hit.kind == "partial":
            assert compile_pattern(hit.entry.pattern).matches(fixed)
        else:
            assert hit.substitutions == ()
