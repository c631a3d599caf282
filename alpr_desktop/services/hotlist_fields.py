"""The fields of a hotlist entry, checked one by one — for the entry editor and the CSV import.

Each checker takes the text (or value) as given and returns the column value, or raises
:class:`FieldError` naming the field and what is wrong, so the import can put the field in
its column of the per-line error table and the editor can show one clear sentence.
The checks are fast on the ordinary case (a million-line import runs them all), and fall
back to the shared slow paths (:func:`~alpr_desktop.core.patterns.compile_pattern`,
:func:`~alpr_desktop.services.fields.clean_text`) for anything unusual, so the messages
and the rules stay theirs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from alpr_desktop.core.patterns import (
    DEFAULT_MIN_FIXED,
    MAX_PATTERN_LENGTH,
    PatternError,
    compile_pattern,
)
from alpr_desktop.errors import ValidationError
from alpr_desktop.services.fields import clean_text, column_length
from alpr_desktop.storage.models import HotlistCategory, HotlistEntry

#: The fields of an entry, in the order of the documented CSV header.
FIELDS = (
    "plate",
    "state",
    "category",
    "priority",
    "source",
    "case_number",
    "notes",
    "expires_at",
)
PRIORITIES = (1, 2, 3)
DEFAULT_PRIORITY = 2
#: Longest note kept (the column is ``Text``).
MAX_NOTES = 2000
_LABELS = {
    "plate": "the plate",
    "state": "the state or region",
    "category": "the category",
    "priority": "the priority",
    "source": "the source",
    "case_number": "the case number",
    "notes": "the notes",
    "expires_at": "the expiry",
}
_LIMITS = {
    "plate": column_length(HotlistEntry.plate_pattern),
    "source": column_length(HotlistEntry.source),
    "case_number": column_length(HotlistEntry.case_number),
    "notes": MAX_NOTES,
}
_REGION_LENGTH = column_length(HotlistEntry.region)
# A plain plate that compile_pattern would accept as it is (the common case of an import).
_PLAIN_PLATE = re.compile(rf"[0-9A-Z]{{{DEFAULT_MIN_FIXED},{MAX_PATTERN_LENGTH}}}")
# Unicode categories Cc and Cs, as fields.has_control_characters refuses them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_REGION = re.compile(rf"[A-Z0-9]{{1,{_REGION_LENGTH}}}")
_CATEGORIES = {c.value: c for c in HotlistCategory} | {
    c.value.replace("_", " "): c for c in HotlistCategory
}


class FieldError(ValidationError):
    """One field of an entry is wrong; ``field`` says which (one of :data:`FIELDS`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EntryFields:
    """What an administrator enters for an entry (the editor's form, one CSV line).

    ``expires_at`` is a date (the entry runs to the end of that day, UTC), a
    timezone-aware date and time, or None (no expiry).
    """

    plate: str
    category: HotlistCategory | str
    state: str = ""
    priority: int = DEFAULT_PRIORITY
    source: str = ""
    case_number: str = ""
    notes: str = ""
    expires_at: dt.date | dt.datetime | None = None


def label(field: str) -> str:
    """What ``field`` is called in messages ("the case number")."""
    return _LABELS.get(field, field)


def check_plate(text: object) -> tuple[str, str, bool]:
    """(as entered, normalised pattern, partial) for a plate or a pattern with * and ?."""
    if isinstance(text, str) and _PLAIN_PLATE.fullmatch(text):
        return text, text, False
    entered = _text(text, "plate", required=True)
    try:
        pattern = compile_pattern(entered)
    except PatternError as exc:
        raise FieldError("plate", f"The plate {entered!r}: {exc}") from None
    return entered, pattern.text, pattern.partial


def check_region(text: object) -> str:
    """A state or region code: up to 8 letters or digits, upper case; empty for none."""
    region = _text(text, "state").upper()
    if region and not _REGION.fullmatch(region):
        raise FieldError(
            "state",
            f"The state or region {region!r} is not a code of 1–{_REGION_LENGTH} letters or "
            "digits (for example CA).",
        )
    return region


def check_category(value: object) -> HotlistCategory:
    if isinstance(value, HotlistCategory):
        return value
    text = _text(value, "category", required=True)
    found = _CATEGORIES.get(text.casefold())
    if found is None:
        allowed = ", ".join(c.value for c in HotlistCategory)
        raise FieldError("category", f"The category {text!r} is not one of {allowed}.")
    return found


def check_priority(value: object) -> int:
    """Priority 1 (highest) to 3; an empty text gives the default."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return DEFAULT_PRIORITY
        value = int(text) if text.isdigit() and len(text) < 3 else text
    if isinstance(value, bool) or value not in PRIORITIES:
        raise FieldError("priority", f"The priority must be 1, 2 or 3 (got {value!r}).")
    assert isinstance(value, int)
    return value


def check_expiry(value: object, now: dt.datetime) -> dt.datetime | None:
    """When the entry stops matching (UTC), or None; one in the past is refused.

    A date means "through that day": the entry expires at the next midnight, UTC.
    """
    if isinstance(value, str):
        value = _parse_expiry(value.strip())
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise FieldError("expires_at", "The expiry needs a time zone (or give a date).")
        expires = value.astimezone(dt.UTC)
        shown = value.isoformat()
    elif isinstance(value, dt.date):
        expires = dt.datetime.combine(value + dt.timedelta(days=1), dt.time(), dt.UTC)
        shown = value.isoformat()
    else:
        raise FieldError("expires_at", "The expiry must be a date (YYYY-MM-DD).")
    if expires <= now:
        raise FieldError("expires_at", f"The expiry {shown} is in the past.")
    return expires


def check_text(value: object, field: str) -> str:
    """The source, case number or notes, stripped and within the column's length."""
    return _text(value, field, multiline=field == "notes")


def check_entry(fields: EntryFields, now: dt.datetime) -> dict[str, Any]:
    """The column values of ``fields``, or :class:`FieldError` for the first wrong field."""
    entered, normalized, partial = check_plate(fields.plate)
    return {
        "plate_pattern": entered,
        "plate_normalized": normalized,
        "is_partial": partial,
        "region": check_region(fields.state),
        "category": check_category(fields.category),
        "priority": check_priority(fields.priority),
        "source": check_text(fields.source, "source"),
        "case_number": check_text(fields.case_number, "case_number"),
        "notes": check_text(fields.notes, "notes"),
        "expires_at": check_expiry(fields.expires_at, now),
    }


def _parse_expiry(text: str) -> dt.date | dt.datetime | None:
    if not text:
        return None
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(
            "expires_at", f"The expiry {text!r} is not an ISO date (YYYY-MM-DD)."
        ) from None


def _text(value: object, field: str, *, required: bool = False, multiline: bool = False) -> str:
    limit = _LIMITS.get(field, _REGION_LENGTH if field == "state" else None)
    if isinstance(value, str) and value and (limit is None or len(value) <= limit):
        control = _CONTROL_MULTILINE if multiline else _CONTROL
        if control.search(value) is None:
            stripped = value.strip()
            if stripped or not required:
                return stripped
    try:
        return clean_text(
            value,  # type: ignore[arg-type]  # clean_text itself refuses what is not text
            label(field),
            limit,
            required=required,
            multiline=multiline,
        )
    except ValidationError as exc:
        raise FieldError(field, str(exc)) from None
