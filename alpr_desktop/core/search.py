"""Partial-plate search: what a pattern asks the index for, and how each read matched.

Pure Python, no database. :func:`compile_search` turns what the detective typed into a
:class:`SearchPattern` (the same rules and errors as :func:`~core.patterns.compile_pattern`,
so a search and a hotlist entry mean the same thing by the same text). The storage layer
asks the index for the rows :meth:`SearchPattern.globs` describe, then runs
:meth:`SearchPattern.classify` on each candidate to rank it and say why it matched.

A read matches, best first (:class:`MatchQuality`):

1. ``EXACT`` — the read's plate fits the pattern as written;
2. ``ALTERNATIVE`` — one of the reader's other readings fits it as written (the first
   that does, readings being best first);
3. ``CONFUSABLE`` (confusable mode) — the plate fits once both are folded by the one
   confusable table in :mod:`core.plates`; the best reading only, as in hotlist matching;
4. ``FUZZY`` (fuzzy mode) — the plate is one edit (a substitution, a missing or an extra
   character) away from some string the pattern matches; with confusable mode too, the
   folded plate one edit away from some string the folded pattern matches. The best
   reading only: fuzzing second guesses as well would flood the results.

One edit from the pattern is the same as fitting one of its *variants*: a fixed
character replaced by ``?``, any one character deleted, or a ``?`` inserted in any gap.
Those variants, compiled once into one regular expression, decide the fuzzy match, and
the same variants are the globs the index looks for; so the globs find exactly the
plates classify accepts (besides alternatives, see :meth:`SearchPattern.globs`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from alpr_desktop.core.patterns import (
    DEFAULT_MIN_FIXED,
    WILDCARDS,
    PlatePattern,
    compile_pattern,
    confusable_substitutions,
    describe_substitutions,
    fold_confusables_pattern,
)
from alpr_desktop.core.plates import (
    PLATE_ALPHABET,
    fold_normalized,
    normalize_plate,
    reading_label,
)

Column = Literal["plate", "folded"]
#: Three fixed characters in a row: what a trigram index needs to answer a glob.
_FIXED_RUN = re.compile(r"[^*?]{3}")
#: A key's distance-to-the-end character (``plate_key``): 0-9, a-f (15 and more).
KEY_TAILS = "0123456789abcdef"
#: Characters a key's first character may be (the plate alphabet).
_KEY_FIRSTS = PLATE_ALPHABET


class MatchQuality(enum.IntEnum):
    """How a read matched a search; lower is better (results sort on it first)."""

    EXACT = 0
    ALTERNATIVE = 1
    CONFUSABLE = 2
    FUZZY = 3


@dataclass(frozen=True, slots=True)
class SearchMatch:
    """The best way one read matched.

    Attributes:
        quality: how it matched.
        matched_text: the normalised reading that matched (the plate, or another reading).
        reason: why, for the detective: "second reading 7ABC123 (81%) fits 7AB*12".
    """

    quality: MatchQuality
    matched_text: str
    reason: str


class SearchGlob(NamedTuple):
    """One thing the index must look for: rows whose ``column`` matches ``glob``.

    ``column`` is ``"plate"`` (the normalised plate) or ``"folded"`` (the plate folded by
    :func:`~core.plates.fold_normalized`); ``glob`` is in SQLite ``GLOB`` syntax.
    """

    column: Column
    glob: str

    @property
    def like(self) -> str:
        """The glob as a SQL ``LIKE`` pattern (PostgreSQL)."""
        return to_like(self.glob)

    @property
    def trigram(self) -> bool:
        """Whether a trigram index can answer it (three fixed characters in a row)."""
        return _FIXED_RUN.search(self.glob) is not None

    @property
    def keys(self) -> list[str] | None:
        """The plate keys (:func:`plate_keys`) one of which every match has, or None."""
        return glob_keys(self.glob)

    @property
    def indexed(self) -> bool:
        """Whether an index answers it: the trigram index or the plate keys."""
        return self.trigram or self.keys is not None


def plate_keys(text: str) -> list[str]:
    """The keys the plate dictionary holds for one plate string (``search_index``).

    One key per pair of adjacent characters: how many characters follow the pair
    (``KEY_TAILS``: 0-9, a-f for 10-14, f also for more), the pair, the string's last
    character and its first: ``7ABC123`` has ``57A37``, ``4AB37``, ``3BC37``, ``2C137``,
    ``11237`` and ``02337``. A glob ending in a fixed character and holding two fixed
    characters in a row is answered from these (:func:`glob_keys`). The SQL in
    ``storage/search_index.py`` computes the same keys (a test checks it).
    """
    n = len(text)
    return [
        KEY_TAILS[min(n - 2 - h, 15)] + text[h : h + 2] + text[-1] + text[0] for h in range(n - 1)
    ]


def glob_keys(glob: str) -> list[str] | None:
    """Keys one of which every string matching ``glob`` has, or None if the keys
    cannot narrow it (its last character is a wildcard, or no two fixed characters
    are adjacent).

    For each pair of adjacent fixed characters, the number of characters after it in a
    matching string is known exactly (no ``*`` after it) or bounded below; the first
    character is known or any. The pair giving the fewest keys is taken (the nearest to
    the end among equals: an exact distance there is the most selective).
    """
    if not glob or glob[-1] in WILDCARDS:
        return None
    last = glob[-1]
    firsts = _KEY_FIRSTS if glob[0] in WILDCARDS else glob[0]
    best: list[str] | None = None
    for i in range(len(glob) - 1):
        pair = glob[i : i + 2]
        if pair[0] in WILDCARDS or pair[1] in WILDCARDS:
            continue
        after = glob[i + 2 :]
        least = sum(c != "*" for c in after)
        tails = range(least, 16) if "*" in after else range(least, least + 1)
        keys = [KEY_TAILS[min(t, 15)] + pair + last + f for t in tails for f in firsts]
        keys = list(dict.fromkeys(keys))
        if best is None or len(keys) <= len(best):
            best = keys
    return best


def to_like(glob: str) -> str:
    """A GLOB as a SQL ``LIKE`` pattern: ``*`` → ``%``, ``?`` → ``_``.

    The plate alphabet holds neither ``%`` nor ``_``, so nothing needs escaping.
    """
    return glob.replace("*", "%").replace("?", "_")


@dataclass(frozen=True, slots=True)
class _Edit:
    kind: Literal["differs", "missing", "extra"]
    char: str  # the pattern's character the edit is about ("" for an inserted ?)
    variant: str  # the pattern with the edit applied (original characters)


@dataclass(frozen=True, slots=True)
class _Fuzzy:
    """The one-edit variants of a pattern as one regex: group ``v{i}`` is variant ``i``,
    its group ``e{i}`` marks where the edit fell in the plate."""

    regex: re.Pattern[str]
    edits: tuple[_Edit, ...]


@dataclass(frozen=True, slots=True)
class SearchPattern:
    """A compiled search; make one with :func:`compile_search`.

    Attributes:
        text: the normalised pattern (upper case, separators dropped, ``*`` runs collapsed).
        confusable: whether confusable mode is on.
        fuzzy: whether one-edit fuzzy mode is on.
    """

    text: str
    confusable: bool
    fuzzy: bool
    _pattern: PlatePattern
    _fuzzy: _Fuzzy | None
    _folded_fuzzy: _Fuzzy | None

    @property
    def alternative_glob(self) -> str:
        """The glob other readings are searched with (as written, ``plate`` form)."""
        return self.text

    def globs(self) -> list[SearchGlob]:
        """What the index must look for to find every read this search can match.

        The pattern as written on ``plate``; in confusable mode the folded pattern on
        ``folded``; in fuzzy mode every one-edit variant on ``plate`` (and, with
        confusable mode, every folded variant on ``folded``). A plate is matched by one
        of these exactly when :meth:`classify` accepts it as ``EXACT``, ``CONFUSABLE`` or
        ``FUZZY``. ``ALTERNATIVE`` matches are found by running :attr:`alternative_glob`
        (the first glob) over the stored other readings. Duplicates are dropped; a
        variant another one subsumes may stay.
        """
        wanted: list[SearchGlob] = [SearchGlob("plate", self.text)]
        if self.confusable:
            wanted.append(SearchGlob("folded", fold_confusables_pattern(self.text)))
        if self._fuzzy is not None:
            wanted.extend(SearchGlob("plate", e.variant) for e in self._fuzzy.edits)
        if self._folded_fuzzy is not None:
            wanted.extend(
                SearchGlob("folded", fold_confusables_pattern(e.variant))
                for e in self._folded_fuzzy.edits
            )
        return list(dict.fromkeys(wanted))

    @property
    def indexed(self) -> bool:
        """Whether an index answers every glob: the trigram index (three fixed characters
        in a row) or the plate keys (two in a row and a fixed last character, see
        :func:`glob_keys`); if not, the search scans and takes seconds at scale."""
        return all(wanted.indexed for wanted in self.globs())

    def classify(
        self, plate: str, alternatives: Sequence[tuple[str, float]] = ()
    ) -> SearchMatch | None:
        """The best way a read matches this search, or None.

        Args:
            plate: the read's plate (normalised; normalised again if not).
            alternatives: its other readings as ``(text, confidence)``, best first.
        """
        plate = normalize_plate(plate)
        pattern = self._pattern
        if pattern.matches(plate):
            return SearchMatch(MatchQuality.EXACT, plate, f"fits {self.text}")
        seen = {plate, ""}
        for rank, (text, confidence) in enumerate(alternatives, start=2):
            other = normalize_plate(text)
            if other in seen:
                continue
            seen.add(other)
            if pattern.matches(other):
                label = reading_label(rank, other, confidence)
                return SearchMatch(MatchQuality.ALTERNATIVE, other, f"{label} fits {self.text}")
        folded = fold_normalized(plate) if self.confusable else ""
        if self.confusable and pattern.matches_folded(folded):
            swaps = confusable_substitutions(plate, self.text)
            return SearchMatch(MatchQuality.CONFUSABLE, plate, describe_substitutions(swaps))
        if self._fuzzy is not None:
            reason = _fuzzy_reason(self._fuzzy, plate, plate, folded=False)
            if reason is None and self._folded_fuzzy is not None:
                reason = _fuzzy_reason(self._folded_fuzzy, folded, plate, folded=True)
            if reason is not None:
                return SearchMatch(MatchQuality.FUZZY, plate, reason)
        return None


def compile_search(
    text: str,
    *,
    confusable: bool = False,
    fuzzy: bool = False,
    min_fixed: int = DEFAULT_MIN_FIXED,
) -> SearchPattern:
    """Compile a search or raise :class:`~core.patterns.PatternError` saying what is wrong.

    Args:
        text: the pattern as typed: ``*`` any run, ``?`` one character; case and
            spacing ignored.
        confusable: also match plates that fit once confusable characters are folded.
        fuzzy: also match plates one edit away from the pattern.
        min_fixed: fewest fixed characters the pattern needs (a setting).
    """
    pattern = compile_pattern(text, min_fixed=min_fixed)
    plain = _compile_fuzzy(pattern.text, folded=False) if fuzzy else None
    folded = _compile_fuzzy(pattern.text, folded=True) if fuzzy and confusable else None
    return SearchPattern(pattern.text, confusable, fuzzy, pattern, plain, folded)


def _variants(pattern: str) -> list[tuple[_Edit, str]]:
    """Each one-edit variant with its regex, the edit's spot captured as ``(?P<e>…)``.

    In the order reasons prefer when several edits explain a plate: a character that
    differs, then a missing ``?``, a missing fixed character, an extra character.
    """
    tokens = [{"*": ".*", "?": "."}.get(c, re.escape(c)) for c in pattern]
    differs: list[tuple[_Edit, str]] = []
    missing_any: list[tuple[_Edit, str]] = []
    missing: list[tuple[_Edit, str]] = []
    extra: list[tuple[_Edit, str]] = []
    for i, c in enumerate(pattern):
        head, tail = "".join(tokens[:i]), "".join(tokens[i + 1 :])
        if c not in WILDCARDS:
            variant = pattern[:i] + "?" + pattern[i + 1 :]
            differs.append((_Edit("differs", c, variant), f"{head}(?P<e>.){tail}"))
        if c != "*":  # deleting a * only narrows the pattern
            variant = pattern[:i] + pattern[i + 1 :]
            into = missing_any if c == "?" else missing
            into.append((_Edit("missing", c, variant), f"{head}(?P<e>){tail}"))
    for i in range(len(pattern) + 1):
        head, tail = "".join(tokens[:i]), "".join(tokens[i:])
        variant = pattern[:i] + "?" + pattern[i:]
        extra.append((_Edit("extra", "", variant), f"{head}(?P<e>.){tail}"))
    return differs + missing_any + missing + extra


def _compile_fuzzy(pattern: str, *, folded: bool) -> _Fuzzy:
    """One alternation of all variants; a variant already listed (same regex) is dropped.

    For the folded form, the regex is built from the folded pattern while each edit keeps
    the pattern's own characters (folding maps character to character, so positions hold).
    """
    source = fold_confusables_pattern(pattern) if folded else pattern
    edits: list[_Edit] = []
    parts: list[str] = []
    seen: set[str] = set()
    for (matched, regex), (edit, _) in zip(_variants(source), _variants(pattern), strict=True):
        if matched.variant in seen:
            continue
        seen.add(matched.variant)
        n = len(edits)
        parts.append(f"(?P<v{n}>{regex.replace('(?P<e>', f'(?P<e{n}>')})")
        edits.append(edit)
    return _Fuzzy(re.compile("|".join(parts)), tuple(edits))


def _fuzzy_reason(fuzzy: _Fuzzy, text: str, plate: str, *, folded: bool) -> str | None:
    """Why ``text`` (the plate, or its folded form) fits a variant; None if none fits."""
    found = fuzzy.regex.fullmatch(text)
    if found is None or found.lastgroup is None:
        return None
    n = int(found.lastgroup[1:])
    edit = fuzzy.edits[n]
    at = found.start(f"e{n}")
    if edit.kind == "differs":
        reason = f"one character differs: {plate[at]} → {edit.char} at position {at + 1}"
    elif edit.kind == "extra":
        reason = f"one extra character: {plate[at]} at position {at + 1}"
    elif edit.char == "?":
        reason = f"one character missing at position {at + 1}"
    else:
        reason = f"one character missing: {edit.char} would be at position {at + 1}"
    if folded:
        swaps = confusable_substitutions(plate, edit.variant)
        if swaps:
            reason = f"{reason}; {describe_substitutions(swaps)}"
    return reason
