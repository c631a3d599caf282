"""Plate text normalisation shared by recognition, search and hotlists."""

from __future__ import annotations

import re

PLATE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_STRIP = re.compile(r"[^0-9A-Z]")


def normalize_plate(text: str) -> str:
    """Upper-case and drop everything but ``0-9A-Z`` (spaces, dashes, dots, symbols)."""
    return _STRIP.sub("", text.upper())


#: Pairs that OCR confuses; folding maps each group to one representative.
_FOLD = str.maketrans(
    {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6"}
)


def fold_confusables(text: str) -> str:
    """Map OCR-confusable characters to one representative (O/0/D/Q, I/1/L, Z/2, S/5, B/8, G/6)."""
    return fold_normalized(normalize_plate(text))


def fold_normalized(plate: str) -> str:
    """:func:`fold_confusables` for text already normalised (skips normalising it again).

    Characters outside ``0-9A-Z`` pass through, so ``*`` and ``?`` in a pattern survive.
    """
    return plate.translate(_FOLD)


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def reading_label(rank: int, plate: str, confidence: float) -> str:
    """``second reading 7ABC123 (81%)``: how another reading is named in a reason.

    Args:
        rank: the reading's place among the reader's readings, the best being 1.
        plate: the reading, normalised.
        confidence: its confidence, 0 to 1.
    """
    name = f"{_ORDINALS[rank - 1]} reading" if rank <= len(_ORDINALS) else f"reading {rank}"
    return f"{name} {plate} ({confidence:.0%})"
