"""``core.patterns``: what a plate pattern means, and why one cannot run."""

from __future__ import annotations

import pytest

from alpr_desktop.core.patterns import PatternError, compile_pattern, normalize_pattern


@pytest.mark.parametrize(
    ("pattern", "plate", "fits"),
    [
        ("7ABC123", "7ABC123", True),
        ("7abc 123", "7ABC123", True),
        ("7AB*12", "7AB12", True),
        ("7AB*12", "7ABXY12", True),
        ("7AB*12", "7AB123", False),
        ("?XYZ45?", "AXYZ45B", True),
        ("?XYZ45?", "XYZ45B", False),
        ("7-AB-C?", "7ABCD", True),
    ],
)
def test_wildcards(pattern: str, plate: str, fits: bool) -> None:
    assert compile_pattern(pattern).matches(plate) is fits


def test_confusable_folding_applies_to_the_fixed_characters_only() -> None:
    from alpr_desktop.core.plates import fold_confusables

    pattern = compile_pattern("8O*S")
    assert not pattern.matches("B0XS")
    assert pattern.matches_folded(fold_confusables("B0X5"))
    assert compile_pattern("7A?C").matches_folded(fold_confusables("7AQC"))


def test_normalisation_and_shape() -> None:
    assert normalize_pattern(" 7ab**c-12 ") == "7AB*C12"
    exact, partial = compile_pattern("7ABC123"), compile_pattern("7A?C*")
    assert (exact.partial, exact.fixed, exact.lengths) == (False, 7, (7, 7))
    assert (partial.partial, partial.fixed, partial.lengths) == (True, 3, (4, None))


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "Enter a plate"),
        ("  - ", "Enter a plate"),
        ("***", "wildcards only"),
        ("?*?", "wildcards only"),
        ("7*", "at least 2 fixed characters"),
        ("7AB$12", "not '\\$'"),
        ("7ÄB12", "not 'Ä'"),
        ("A" * 17, "at most 16"),
    ],
)
def test_patterns_that_cannot_run_say_why(pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        compile_pattern(pattern)


def test_the_minimum_of_fixed_characters_is_a_setting() -> None:
    assert compile_pattern("7*", min_fixed=1).matches("7ABC")
    with pytest.raises(PatternError, match="at least 3"):
        compile_pattern("7A*", min_fixed=3)
