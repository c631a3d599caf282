"""``core.search``: what a search pattern matches in each mode, how it ranks, and the globs
the index is asked for — checked against a brute-force reference matcher."""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpr_desktop.core.patterns import PatternError
from alpr_desktop.core.plates import PLATE_ALPHABET, fold_normalized
from alpr_desktop.core.search import (
    MatchQuality,
    SearchGlob,
    SearchMatch,
    SearchPattern,
    compile_search,
    glob_keys,
    plate_keys,
    to_like,
)

Q = MatchQuality


# --- bad patterns -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "Enter a plate"),
        (" - ", "Enter a plate"),
        ("*?*", "wildcards only"),
        ("7*", "at least 2 fixed characters"),
        ("7AB#12", "not '#'"),
        ("7AB" + "?" * 14, "at most 16"),
    ],
)
def test_patterns_that_cannot_run_say_why(pattern: str, message: str) -> None:
    for fuzzy in (False, True):
        with pytest.raises(PatternError, match=message):
            compile_search(pattern, confusable=True, fuzzy=fuzzy)


def test_min_fixed_is_a_setting() -> None:
    with pytest.raises(PatternError, match="at least 3 fixed characters"):
        compile_search("7A*", min_fixed=3)
    assert compile_search("7*", min_fixed=1).classify("7XYZ") is not None


def test_pattern_is_normalised_and_frozen() -> None:
    search = compile_search(" 7ab**c-12 ", confusable=True)
    assert (search.text, search.confusable, search.fuzzy) == ("7AB*C12", True, False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        search.text = "X"  # type: ignore[misc]


# --- each mode, hand-picked ----------------------------------------------------------


def test_exact_wildcards_case_and_spacing() -> None:
    search = compile_search("7ab*12")
    assert search.classify("7AB12") == SearchMatch(Q.EXACT, "7AB12", "fits 7AB*12")
    assert search.classify("7ABXY12").quality is Q.EXACT  # type: ignore[union-attr]
    assert search.classify("7AB123") is None
    assert compile_search("?XYZ45?").classify("AXYZ45B") is not None
    assert compile_search("?XYZ45?").classify("XYZ45B") is None


def test_the_issues_example_is_found_through_its_second_reading() -> None:
    match = compile_search("7ABC123").classify("7A8C123", [("7ABC123", 0.81)])
    assert match is not None
    assert match.quality is Q.ALTERNATIVE
    assert match.matched_text == "7ABC123"
    assert match.reason == "second reading 7ABC123 (81%) fits 7ABC123"


def test_alternatives_are_named_by_their_rank_and_the_first_that_fits_wins() -> None:
    search = compile_search("7AB*12")
    alternatives = [("ZZZ", 0.5), ("7ab 9 12", 0.3), ("7AB12", 0.2)]
    match = search.classify("1AB912", alternatives)
    assert match is not None
    assert match.reason == "third reading 7AB912 (30%) fits 7AB*12"
    assert search.classify("1AB912", [("1AB912", 0.9)]) is None  # same as the plate


def test_confusable_mode_folds_the_plate_not_the_alternatives() -> None:
    plain, folding = compile_search("7ABC123"), compile_search("7ABC123", confusable=True)
    assert plain.classify("7A8C123") is None
    assert folding.classify("7A8C123") == SearchMatch(
        Q.CONFUSABLE,
        "7A8C123",
        "8 → B at position 3 (confusable)",
    )
    assert folding.classify("XXX", [("7A8C123", 0.9)]) is None
    wild = compile_search("O*5?", confusable=True).classify("0XYSA")
    assert wild is not None
    assert wild.reason == "0 → O at position 1, S → 5 at position 4 (confusable)"


@pytest.mark.parametrize(
    ("plate", "reason"),
    [
        ("7ABX123", "one character differs: X → C at position 4"),
        ("7AC123", "one character missing: B would be at position 3"),
        ("7ABCX123", "one extra character: X at position 5"),
        ("X7ABC123", "one extra character: X at position 1"),
        ("7ABC1234", "one extra character: 4 at position 8"),
    ],
)
def test_fuzzy_mode_says_which_edit(plate: str, reason: str) -> None:
    assert compile_search("7ABC123").classify(plate) is None
    assert compile_search("7ABC123", fuzzy=True).classify(plate) == SearchMatch(
        Q.FUZZY, plate, reason
    )


def test_fuzzy_with_wildcards() -> None:
    search = compile_search("7A?C*", fuzzy=True)
    missing = search.classify("7AC")
    assert missing is not None
    assert missing.reason == "one character missing at position 3"
    fixed = search.classify("7BC")
    assert fixed is not None
    assert fixed.reason == "one character missing: A would be at position 2"
    assert search.classify("7AXD99") is not None  # D for C
    assert search.classify("7XXD99") is None  # two edits
    assert search.classify("8ABC") is not None


def test_fuzzy_and_confusable_together() -> None:
    search = compile_search("7ABC123", confusable=True, fuzzy=True)
    match = search.classify("7A8C12X")
    assert match is not None
    assert match.reason == (
        "one character differs: X → 3 at position 7; 8 → B at position 3 (confusable)"
    )
    assert compile_search("7ABC123", fuzzy=True).classify("7A8C12X") is None


def test_ranking_takes_the_best_evidence() -> None:
    search = compile_search("7ABC123", confusable=True, fuzzy=True)
    assert search.classify("7ABC123", [("7ABC123", 0.9)]).quality is Q.EXACT  # type: ignore[union-attr]
    assert search.classify("7A8C123", [("7ABC123", 0.4)]).quality is Q.ALTERNATIVE  # type: ignore[union-attr]
    assert search.classify("7A8C123", [("7ABX123", 0.4)]).quality is Q.CONFUSABLE  # type: ignore[union-attr]
    assert search.classify("7ABC12", [("7A8C123", 0.4)]).quality is Q.FUZZY  # type: ignore[union-attr]
    assert sorted(Q) == [Q.EXACT, Q.ALTERNATIVE, Q.CONFUSABLE, Q.FUZZY]


# --- globs ---------------------------------------------------------------------------


def test_globs_per_mode() -> None:
    assert compile_search("7A*B").globs() == [SearchGlob("plate", "7A*B")]
    assert compile_search("7A*B", confusable=True).globs() == [
        SearchGlob("plate", "7A*B"),
        SearchGlob("folded", "7A*8"),
    ]
    fuzzy = {g.glob for g in compile_search("AB", fuzzy=True).globs()}
    assert fuzzy == {"AB", "?B", "A?", "A", "B", "?AB", "A?B", "AB?"}
    globs = compile_search("AA?", fuzzy=True, confusable=True).globs()
    assert len(globs) == len(set(globs))
    assert SearchGlob("plate", "A?") in globs  # deleting either A or the ? — listed once


def test_like_form() -> None:
    assert to_like("7A*B?") == "7A%B_"
    assert SearchGlob("plate", "?X*").like == "_X%"


# --- properties against a brute-force reference --------------------------------------

_CONFUSABLE_RICH = "AB8O0DQ1IL2Z5S7"


def _fits(text: str, pattern: str) -> bool:
    """The reference matcher: fnmatch's ``*`` and ``?`` are ours (no ``[`` in the alphabet)."""
    return fnmatch.fnmatchcase(text, pattern)


def _one_edit(text: str) -> set[str]:
    """Every string within one edit of ``text`` over the plate alphabet (itself included)."""
    found = {text}
    for i in range(len(text) + 1):
        for c in PLATE_ALPHABET:
            found.add(text[:i] + c + text[i:])
            if i < len(text):
                found.add(text[:i] + c + text[i + 1 :])
        if i < len(text):
            found.add(text[:i] + text[i + 1 :])
    return found


def _plate_quality(plate: str, pattern: str, *, confusable: bool, fuzzy: bool) -> Q | None:
    """The reference for the plate alone (no alternatives)."""
    if _fits(plate, pattern):
        return Q.EXACT
    folded, folded_pattern = fold_normalized(plate), fold_normalized(pattern)
    if confusable and _fits(folded, folded_pattern):
        return Q.CONFUSABLE
    if fuzzy and any(_fits(s, pattern) for s in _one_edit(plate)):
        return Q.FUZZY
    if fuzzy and confusable and any(_fits(s, folded_pattern) for s in _one_edit(folded)):
        return Q.FUZZY
    return None


def _reference(
    plate: str, alternatives: list[str], pattern: str, *, confusable: bool, fuzzy: bool
) -> Q | None:
    quality = _plate_quality(plate, pattern, confusable=confusable, fuzzy=fuzzy)
    if quality is not Q.EXACT and any(_fits(a, pattern) for a in alternatives if a != plate):
        return Q.ALTERNATIVE
    return quality


@st.composite
def _cases(draw: st.DrawFn) -> tuple[str, list[str], str, bool, bool]:
    """A pattern and a read that is often near it: the plate is the pattern's source with
    a few random edits, confusable swaps or not; sometimes unrelated altogether."""
    alphabet = draw(st.sampled_from([PLATE_ALPHABET, _CONFUSABLE_RICH, "AB8"]))
    chars = st.sampled_from(alphabet)
    base = draw(st.text(chars, min_size=2, max_size=8))
    pattern = "".join(
        draw(st.sampled_from([c, c, c, "?", "*", c + "*"])) for c in base
    )  # wildcards over a plate
    plate = base
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(plate)))
        c = draw(chars)
        edit = draw(st.sampled_from(["sub", "del", "ins", "fold"]))
        if edit == "ins":
            plate = plate[:at] + c + plate[at:]
        elif at < len(plate) and edit == "sub":
            plate = plate[:at] + c + plate[at + 1 :]
        elif at < len(plate) and edit == "del" and len(plate) > 2:
            plate = plate[:at] + plate[at + 1 :]
        elif at < len(plate):
            plate = plate[:at] + fold_normalized(plate[at]) + plate[at + 1 :]
    if draw(st.booleans()) and len(plate) > 8:
        plate = plate[:8]
    if draw(st.integers(0, 5)) == 0:
        plate = draw(st.text(chars, min_size=2, max_size=8))
    alternatives = draw(st.lists(st.text(chars, min_size=2, max_size=8), max_size=2))
    return pattern, alternatives, plate, draw(st.booleans()), draw(st.booleans())


def _compiled(pattern: str, confusable: bool, fuzzy: bool) -> SearchPattern | None:
    try:
        return compile_search(pattern, confusable=confusable, fuzzy=fuzzy, min_fixed=1)
    except PatternError:
        return None


@settings(max_examples=600, deadline=None)
@given(_cases())
def test_classify_agrees_with_the_reference(case: tuple[str, list[str], str, bool, bool]) -> None:
    """(1) classify matches iff the reference does, with the same best quality."""
    pattern, alternatives, plate, confusable, fuzzy = case
    search = _compiled(pattern, confusable, fuzzy)
    if search is None:
        return
    want = _reference(plate, alternatives, search.text, confusable=confusable, fuzzy=fuzzy)
    got = search.classify(plate, [(a, 0.5) for a in alternatives])
    assert (got.quality if got else None) == want
    if got is not None:
        assert got.reason
        assert got.matched_text == plate or got.matched_text in alternatives


def _glob_hits(search: SearchPattern, plate: str) -> bool:
    values = {"plate": plate, "folded": fold_normalized(plate)}
    return any(_fits(values[g.column], g.glob) for g in search.globs())


@settings(max_examples=600, deadline=None)
@given(_cases())
def test_globs_find_exactly_what_classify_accepts(
    case: tuple[str, list[str], str, bool, bool],
) -> None:
    """(2) every read the reference matches is found by a glob on the right column (its
    plate on ``plate``/``folded``; an alternative by ``alternative_glob``) — the index
    misses nothing; (3) stronger than required: a plate a glob finds is never rejected by
    classify, so the globs are exact, not merely a superset."""
    pattern, alternatives, plate, confusable, fuzzy = case
    search = _compiled(pattern, confusable, fuzzy)
    if search is None:
        return
    text = search.text
    by_plate = _plate_quality(plate, text, confusable=confusable, fuzzy=fuzzy)
    assert _glob_hits(search, plate) == (by_plate is not None)
    assert _glob_hits(search, plate) == (search.classify(plate) is not None)
    for other in alternatives:
        if _fits(other, text):
            assert _fits(other, search.alternative_glob)
    assert all(g.column in ("plate", "folded") for g in search.globs())


def test_globs_and_like_forms_run_in_sqlite() -> None:
    """The globs in real SQLite (``GLOB`` and case-sensitive ``LIKE``) find exactly the
    plates classify accepts, the alternatives aside."""
    import sqlite3

    plates = ["7ABC123", "7A8C123", "7ABX123", "7AC123", "7ABCX123", "7A8C12X", "XYZ999"]
    search = compile_search("7abc123", confusable=True, fuzzy=True)
    with sqlite3.connect(":memory:") as db:
        db.execute("PRAGMA case_sensitive_like = ON")
        db.execute("CREATE TABLE reads (plate TEXT, folded TEXT)")
        db.executemany("INSERT INTO reads VALUES (?, ?)", [(p, fold_normalized(p)) for p in plates])
        for operator, form in (("GLOB", lambda g: g.glob), ("LIKE", lambda g: g.like)):
            found = {
                plate
                for g in search.globs()
                for (plate,) in db.execute(
                    f"SELECT plate FROM reads WHERE {g.column} {operator} ?",
                    (form(g),),
                )
            }
            assert found == {p for p in plates if search.classify(p) is not None}
            assert found == set(plates) - {"XYZ999"}


def test_a_search_says_whether_an_index_can_answer_it() -> None:
    assert compile_search("7AB*12").indexed
    assert compile_search("?XYZ45?", confusable=True).indexed
    # No three in a row, but two in a row and a fixed last character: the plate keys.
    assert compile_search("9?Z*99").indexed
    assert compile_search("*77*7", confusable=True).indexed
    assert not compile_search("9?Z*99").globs()[0].trigram
    # Neither: no fixed last character (or no two fixed characters in a row).
    assert not compile_search("*7?7*").indexed
    assert not compile_search("9?Z*").indexed
    assert not compile_search("7*2").indexed
    assert compile_search("7ABC123", fuzzy=True).indexed
    # A one-edit variant ending in ? (the last character differs) with no three in a row.
    assert not compile_search("7A*12", fuzzy=True).indexed


def test_plate_keys_spell_pair_distance_last_and_first() -> None:
    assert plate_keys("7ABC123") == ["57A37", "4AB37", "3BC37", "2C137", "11237", "02337"]
    assert plate_keys("7") == [] and plate_keys("") == []
    assert plate_keys("XY") == ["0XYYX"]
    # 15 characters or more after a pair share the distance f.
    assert plate_keys("A" * 20)[0] == "fAAAA"
    assert glob_keys("9?Z*99") == ["09999"]
    assert glob_keys("8JK?5?7") == ["4JK78"]
    keys = glob_keys("*77*7")
    assert keys is not None and len(keys) == 15 * 36 and "1777X" in keys
    assert glob_keys("7AB*") is None and glob_keys("*7?7") is None


_KEY_ALPHABET = "79AZ"


@settings(max_examples=1500, deadline=None)
@given(
    st.text(st.sampled_from(_KEY_ALPHABET), min_size=0, max_size=18),
    st.text(st.sampled_from(_KEY_ALPHABET + "*??"), min_size=1, max_size=10),
)
def test_every_string_a_glob_matches_has_one_of_its_keys(text: str, glob: str) -> None:
    """The plate keys never miss: a string the glob matches shares a key with it."""
    keys = glob_keys(glob)
    if keys is None:
        assert glob[-1] in "*?" or not any(
            a not in "*?" and b not in "*?" for a, b in itertools.pairwise(glob)
        )
        return
    if _fits(text, glob):
        assert set(keys) & set(plate_keys(text))
