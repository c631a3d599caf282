"""Plate patterns: ``7AB*12``, ``?XYZ45?`` — what hotlist entries and searches are written in.

One place compiles them, so a hotlist entry and a search mean the same thing by the same
text. ``*`` stands for any run of characters (none included), ``?`` for exactly one;
case, spaces, dashes and dots are ignored, as on a plate. A pattern that cannot run gets
a :class:`PatternError` saying why: empty, wildcards only, too few fixed characters,
too long, or a character that is not A–Z, 0–9, ``*`` or ``?``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alpr_desktop.core.plates import fold_confusables, fold_normalized

#: Longest pattern accepted, in characters after normalisation (plates are at most 8;
#: room for wildcards around them).
MAX_PATTERN_LENGTH = 16
#: Fewest fixed (non-wildcard) characters a pattern needs by default (a setting).
DEFAULT_MIN_FIXED = 2
WILDCARDS = frozenset("*?")
_IGNORED = re.compile(r"[\s\-.·]")
_ALLOWED = re.compile(r"[0-9A-Z*?]")


class PatternError(ValueError):
    """A pattern that cannot run; the message says why, for the person who typed it."""


@dataclass(frozen=True)
class PlatePattern:
    """A compiled pattern.

    Attributes:
        text: the normalised pattern (upper case, wildcards kept, separators dropped).
        fixed: how many characters are not wildcards.
        partial: whether it holds a wildcard (an exact plate otherwise).
    """

    text: str
    fixed: int
    partial: bool
    _regex: re.Pattern[str]
    _folded_regex: re.Pattern[str]

    def matches(self, plate: str) -> bool:
        """Whether the normalised ``plate`` fits the pattern as written."""
        return self._regex.fullmatch(plate) is not None

    def matches_folded(self, folded_plate: str) -> bool:
        """Whether a plate folded by :func:`fold_confusables` fits the folded pattern."""
        return self._folded_regex.fullmatch(folded_plate) is not None

    @property
    def lengths(self) -> tuple[int, int | None]:
        """Shortest and longest plate the pattern can match (None: no upper bound)."""
        shortest = sum(1 for c in self.text if c != "*")
        return shortest, (None if "*" in self.text else shortest)


def normalize_pattern(text: str) -> str:
    """Upper case without spaces, dashes or dots; runs of ``*`` collapse to one."""
    return re.sub(r"\*+", "*", _IGNORED.sub("", text.upper()))


def compile_pattern(text: str, *, min_fixed: int = DEFAULT_MIN_FIXED) -> PlatePattern:
    """Compile ``text`` or raise :class:`PatternError` naming what is wrong."""
    pattern = normalize_pattern(text)
    if not pattern:
        raise PatternError("Enter a plate or a pattern (use * for any run, ? for one character).")
    bad = sorted({c for c in pattern if not _ALLOWED.fullmatch(c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise PatternError(f"A plate pattern holds only A–Z, 0–9, * and ?; not {shown}.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"A plate pattern is at most {MAX_PATTERN_LENGTH} characters long.")
    fixed = sum(1 for c in pattern if c not in WILDCARDS)
    if fixed == 0:
        raise PatternError("A pattern of wildcards only would match every plate.")
    if fixed < min_fixed:
        raise PatternError(
            f"A pattern needs at least {min_fixed} fixed characters (it has {fixed})."
        )
    return PlatePattern(
        pattern,
        fixed,
        any(c in WILDCARDS for c in pattern),
        re.compile(_regex(pattern)),
        re.compile(_regex(fold_confusables_pattern(pattern))),
    )


def fold_confusables_pattern(pattern: str) -> str:
    """The pattern with its fixed characters folded like plates, wildcards kept."""
    return "".join(c if c in WILDCARDS else fold_confusables(c) for c in pattern)


def _regex(pattern: str) -> str:
    return "".join({"*": ".*", "?": "."}.get(c, re.escape(c)) for c in pattern)


@dataclass(frozen=True, slots=True)
class Substitution:
    """One confusable character: the read had ``read``, the pattern has ``entry``.

    ``position`` counts from 1 in the normalised reading.
    """

    position: int
    read: str
    entry: str

    def __str__(self) -> str:
        return f"{self.read} → {self.entry} at position {self.position}"


def confusable_substitutions(plate: str, pattern: str) -> tuple[Substitution, ...]:
    """The characters of ``plate`` that differ from the fixed ones of ``pattern``.

    Only for a plate whose folded form fits the folded pattern (hotlists and search).
    """
    if not any(c in WILDCARDS for c in pattern):
        pairs = list(enumerate(zip(plate, pattern, strict=True)))
    else:
        # Capture every character of the pattern to learn where its fixed ones fell.
        groups = "".join(
            "(.*)" if c == "*" else "(.)" if c == "?" else f"({re.escape(c)})"
            for c in fold_confusables_pattern(pattern)
        )
        found = re.fullmatch(groups, fold_normalized(plate))
        assert found is not None, "called on a folded match only"
        pairs = [
            (found.start(group), (plate[found.start(group)], c))
            for group, c in enumerate(pattern, start=1)
            if c not in WILDCARDS
        ]
    return tuple(Substitution(at + 1, read, want) for at, (read, want) in pairs if read != want)


def describe_substitutions(swaps: tuple[Substitution, ...]) -> str:
    """``8 → B at position 3 (confusable)``: the reason shown for a confusable match."""
    return ", ".join(str(s) for s in swaps) + " (confusable)"
