"""Hotlist matching: which hotlist entries a plate read hits, how, and why.

Pure Python, no database: the hotlist service turns the rows of the *active* lists into
:class:`MatchEntry` values (inactive lists are its filter; this module never sees a
list's state), builds a :class:`HotlistIndex` and builds a new one when a list changes.

What counts as a hit, best first for one entry:

* a full plate entry (no wildcard)
    1. ``exact`` — the read, normalised, is the entry's plate;
    2. ``alternative`` — one of the reader's other readings is the entry's plate;
    3. ``confusable`` — the read is the plate once OCR-confusable characters are folded
       (O/0/D/Q, I/1/L, Z/2, S/5, B/8, G/6: the one table in :mod:`core.plates`).
* a partial entry (``*``, ``?``) always gives ``partial``: the read fits the pattern as
  written, else folded, else one of the other readings fits it as written.

Folding applies to the best reading only: the other readings are already the reader's
second guesses, and folding them too would multiply false alerts.

Kinds are the values of ``storage.models.MatchKind`` (core cannot import storage).
Entries that have expired are left out when the index is built and again when a read is
matched, since an entry can expire while the index stands.

Speed: full plates sit in two hash maps (plate, folded plate); partial patterns are
compiled once and filed under one fixed character pair (or character) of their folded
form, the rarest when filed, so a read tests only the patterns that share a pair with it.
``benchmarks/bench_hotlist_match.py`` measures it against 1,000,000 entries.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

from alpr_desktop.core.patterns import (
    DEFAULT_MIN_FIXED,
    MAX_PATTERN_LENGTH,
    PatternError,
    PlatePattern,
    Substitution,
    compile_pattern,
    confusable_substitutions,
    describe_substitutions,
    fold_confusables_pattern,
    normalize_pattern,
)
from alpr_desktop.core.plates import fold_normalized, normalize_plate, reading_label

MatchKindName = Literal["exact", "alternative", "confusable", "partial"]
EXACT: Final = "exact"
ALTERNATIVE: Final = "alternative"
CONFUSABLE: Final = "confusable"
PARTIAL: Final = "partial"
#: Best first: the order hits come back in, and which evidence wins for one entry.
KIND_RANK: Final[dict[str, int]] = {EXACT: 0, ALTERNATIVE: 1, CONFUSABLE: 2, PARTIAL: 3}


@dataclass(frozen=True, slots=True)
class MatchEntry:
    """One hotlist entry as the index needs it (built by the service from a row).

    Attributes:
        entry_id: ``HotlistEntry.id``; unique within one index.
        list_id: ``HotlistEntry.hotlist_id``.
        pattern: the plate as entered, full or partial (``*``, ``?``).
        expires_at: when the entry stops matching (aware UTC, like the storage clock);
            None never expires.
        priority: ``HotlistEntry.priority``; hits of one kind come back lowest first.
        category: a ``HotlistCategory`` value.
    """

    entry_id: int
    list_id: int
    pattern: str
    expires_at: dt.datetime | None = None
    priority: int = 2
    category: str = "other"

    def expired(self, now: dt.datetime) -> bool:
        """Whether the entry has stopped matching by ``now`` (at ``expires_at`` exactly)."""
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True, slots=True)
class MatchHit:
    """One entry a read hits.

    Attributes:
        entry: the entry hit.
        kind: a ``MatchKind`` value (``exact``, ``alternative``, ``confusable``, ``partial``).
        matched_text: the normalised reading that matched (the read, or another reading).
        explanation: why, for the dispatcher: "2 → Z at position 4 (confusable)".
        substitutions: the confusable characters behind the hit, if any (for highlighting).
    """

    entry: MatchEntry
    kind: MatchKindName
    matched_text: str
    explanation: str
    substitutions: tuple[Substitution, ...] = ()

    @property
    def entry_id(self) -> int:
        """The entry's id (``Alert.entry_id``)."""
        return self.entry.entry_id


class Reading(Protocol):
    """Another reading of the plate: ``recognition.types.Candidate`` is one."""

    @property
    def text(self) -> str: ...

    @property
    def confidence(self) -> float: ...


@dataclass(frozen=True, slots=True)
class _Partial:
    entry: MatchEntry
    pattern: PlatePattern
    shortest: int
    longest: int


@dataclass(frozen=True, slots=True)
class _Reading:
    plate: str
    folded: str
    label: str  # "second reading 7ABC123 (81%)"


# A map value is the one entry with that key or, rarely, a tuple of several: a tuple for
# every key would cost ~50 bytes an entry at 1,000,000 entries.
_Slot = MatchEntry | tuple[MatchEntry, ...]


@dataclass
class HotlistIndex:
    """Entries ready to match reads against; build one with :meth:`build`.

    Nothing changes an index once built, so matching needs no lock: the service builds
    a new one when a list changes and swaps the reference (``HotlistIndex()`` is empty).

    Attributes:
        size: entries indexed (after expired and invalid ones were left out).
        expired: entries left out because they had expired when the index was built.
        invalid: ``entry_id`` → why its pattern cannot run (``PatternError`` message).
    """

    _plates: dict[str, _Slot] = field(default_factory=dict)
    # Folded plate -> entries whose plate changes when folded; those it leaves alone are
    # found by looking the folded read up in ``_plates`` (saves a key for most of them).
    _folded: dict[str, _Slot] = field(default_factory=dict)
    _partials: dict[str, list[_Partial]] = field(default_factory=dict)
    size: int = 0
    expired: int = 0
    invalid: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        entries: Iterable[MatchEntry],
        *,
        now: dt.datetime,
        min_fixed: int = DEFAULT_MIN_FIXED,
    ) -> HotlistIndex:
        """Index ``entries`` of active lists, leaving out those expired by ``now``.

        Args:
            entries: the entries of the active lists (the caller leaves inactive ones out).
            now: the time expiry is judged at (aware UTC).
            min_fixed: fewest fixed characters a pattern needs (as ``compile_pattern``).
        """
        index = cls()
        for entry in entries:
            if entry.expired(now):
                index.expired += 1
                continue
            try:
                index._add(entry, min_fixed)
            except PatternError as error:
                index.invalid[entry.entry_id] = str(error)
                continue
            index.size += 1
        return index

    def _add(self, entry: MatchEntry, min_fixed: int) -> None:
        plate = _full_plate(entry.pattern, min_fixed)
        if plate is None:
            pattern = compile_pattern(entry.pattern, min_fixed=min_fixed)
            if pattern.partial:
                self._add_partial(entry, pattern)
                return
            plate = pattern.text
        _put(self._plates, plate, entry)
        folded = fold_normalized(plate)
        if folded != plate:
            _put(self._folded, folded, entry)

    def _add_partial(self, entry: MatchEntry, pattern: PlatePattern) -> None:
        keys = _pattern_keys(fold_confusables_pattern(pattern.text))
        # The emptiest bucket keeps every bucket short, whatever the patterns share.
        key = min(keys, key=lambda k: (len(self._partials.get(k, ())), k))
        shortest, longest = pattern.lengths
        item = _Partial(
            entry, pattern, shortest, MAX_PATTERN_LENGTH if longest is None else longest
        )
        self._partials.setdefault(key, []).append(item)

    def match(
        self, plate_text: str, alternatives: Sequence[Reading] = (), *, now: dt.datetime
    ) -> list[MatchHit]:
        """The entries ``plate_text`` (and the reader's other readings) hit at ``now``.

        Args:
            plate_text: the best reading, as read (normalised here).
            alternatives: the other readings, best first.
            now: the time expiry is judged at (aware UTC).

        Returns:
            One hit per entry, the best evidence for it; exact first, then alternative,
            confusable and partial; within a kind by priority, then entry id.
        """
        plate = normalize_plate(plate_text)
        best = _Reading(plate, fold_normalized(plate), "")
        others = _other_readings(best.plate, alternatives)
        hits: dict[int, MatchHit] = {}
        # Evidence in rank order: the first hit an entry gets is its best one.
        self._full_hits(best, others, hits)
        self._partial_hits(best, others, hits)
        found = [hit for hit in hits.values() if not hit.entry.expired(now)]
        found.sort(key=lambda h: (KIND_RANK[h.kind], h.entry.priority, h.entry.entry_id))
        return found

    def _full_hits(self, best: _Reading, others: list[_Reading], hits: dict[int, MatchHit]) -> None:
        for entry in _slot(self._plates.get(best.plate)):
            _keep(hits, MatchHit(entry, EXACT, best.plate, f"exact: {best.plate}"))
        for other in others:
            for entry in _slot(self._plates.get(other.plate)):
                _keep(hits, MatchHit(entry, ALTERNATIVE, other.plate, other.label))
        for slot in (self._folded.get(best.folded), self._plates.get(best.folded)):
            for entry in _slot(slot):
                if entry.entry_id not in hits:
                    swaps = confusable_substitutions(best.plate, normalize_pattern(entry.pattern))
                    _keep(hits, _confusable_hit(entry, best.plate, swaps))

    def _partial_hits(
        self, best: _Reading, others: list[_Reading], hits: dict[int, MatchHit]
    ) -> None:
        if not self._partials:
            return
        for item in self._candidates(best):
            explanation = f"partial pattern {item.pattern.text}"
            if item.pattern.matches(best.plate):
                _keep(hits, MatchHit(item.entry, PARTIAL, best.plate, explanation))
            elif item.pattern.matches_folded(best.folded):
                swaps = confusable_substitutions(best.plate, item.pattern.text)
                because = f"{explanation}; {describe_substitutions(swaps)}"
                _keep(hits, MatchHit(item.entry, PARTIAL, best.plate, because, swaps))
        for other in others:
            for item in self._candidates(other):
                if item.entry.entry_id not in hits and item.pattern.matches(other.plate):
                    because = f"partial pattern {item.pattern.text} on the {other.label}"
                    _keep(hits, MatchHit(item.entry, PARTIAL, other.plate, because))

    def partial_candidates(self, plate_text: str) -> list[MatchEntry]:
        """The partial entries a read would be tested against (diagnostics, benchmarks)."""
        plate = normalize_plate(plate_text)
        return [
            item.entry for item in self._candidates(_Reading(plate, fold_normalized(plate), ""))
        ]

    def _candidates(self, reading: _Reading) -> list[_Partial]:
        """The partial patterns filed under a character pair or character of the reading."""
        folded, length = reading.folded, len(reading.folded)
        keys = {folded[i : i + 2] for i in range(length - 1)}
        keys.update(folded)
        found: list[_Partial] = []
        for key in keys:
            bucket = self._partials.get(key)
            if bucket:
                found.extend(p for p in bucket if p.shortest <= length <= p.longest)
        return found


def _full_plate(text: str, min_fixed: int) -> str | None:
    """The plate of a full-plate entry without compiling a regex, or None to compile.

    Compiling a million regexes would take minutes; anything this cannot vouch for goes
    through ``compile_pattern``, which says what is wrong.
    """
    plate = normalize_plate(text)
    if min_fixed <= len(plate) <= MAX_PATTERN_LENGTH and normalize_pattern(text) == plate:
        return plate
    return None


def _pattern_keys(folded_pattern: str) -> list[str]:
    """Pairs of adjacent fixed characters, or the fixed characters when there is none."""
    runs = [run for run in re.split(r"[*?]", folded_pattern) if run]
    pairs = [run[i : i + 2] for run in runs for i in range(len(run) - 1)]
    return pairs or [c for run in runs for c in run]


def _other_readings(plate: str, alternatives: Sequence[Reading]) -> list[_Reading]:
    readings: list[_Reading] = []
    seen = {plate, ""}
    for rank, alternative in enumerate(alternatives, start=2):
        text = normalize_plate(alternative.text)
        if text in seen:
            continue
        seen.add(text)
        label = reading_label(rank, text, alternative.confidence)
        readings.append(_Reading(text, fold_normalized(text), label))
    return readings


def _confusable_hit(entry: MatchEntry, plate: str, swaps: tuple[Substitution, ...]) -> MatchHit:
    return MatchHit(entry, CONFUSABLE, plate, describe_substitutions(swaps), swaps)


def _put(index: dict[str, _Slot], key: str, entry: MatchEntry) -> None:
    held = index.get(key)
    if held is None:
        index[key] = entry
    else:
        index[key] = (*_slot(held), entry)


def _slot(held: _Slot | None) -> tuple[MatchEntry, ...]:
    if held is None:
        return ()
    return held if isinstance(held, tuple) else (held,)


def _keep(hits: dict[int, MatchHit], hit: MatchHit) -> None:
    hits.setdefault(hit.entry.entry_id, hit)
