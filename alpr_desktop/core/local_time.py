"""The department's local time: periods of whole local days, hours of the day.

The database keeps UTC. The audit report counts by local day and local hour, so it groups
the trail by UTC hour in SQL (a few hundred groups a month) and turns each UTC hour into
the local one here; that is exact wherever the zone's offsets are whole hours, which
:func:`check_zone` demands (every zone of the United States).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Instants at which a zone's offset is checked (winter and summer, both hemispheres).
_PROBES = (dt.datetime(2026, 1, 15, tzinfo=dt.UTC), dt.datetime(2026, 7, 15, tzinfo=dt.UTC))


def zone(name: str) -> dt.tzinfo:
    """The time zone ``name`` (IANA, e.g. ``America/Los_Angeles``), or ``ValueError``."""
    if name.upper() == "UTC":
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (an IANA name such as America/Los_Angeles)"
        ) from None


def check_zone(name: str) -> dt.tzinfo:
    """:func:`zone`, refusing a zone whose offset from UTC is not whole hours."""
    tz = zone(name)
    for probe in _PROBES:
        offset = probe.astimezone(tz).utcoffset() or dt.timedelta()
        if offset % dt.timedelta(hours=1):
            raise ValueError(f"time zone {name!r} is not a whole number of hours from UTC")
    return tz


def local_period(since: dt.date, until: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants ``[start, end)`` of local days ``since`` to ``until`` inclusive."""
    start = dt.datetime.combine(since, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def local_hour(utc_hour: str | dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A UTC hour as SQL groups it — ``YYYY-MM-DD HH`` text or a naive UTC timestamp —
    as the local hour it falls in."""
    if isinstance(utc_hour, dt.datetime):
        return utc_hour.replace(tzinfo=dt.UTC).astimezone(tz)
    # Sliced rather than strptime'd: this runs once per group, thousands of times.
    year, month, day, hour = (int(utc_hour[a:b]) for a, b in ((0, 4), (5, 7), (8, 10), (11, 13)))
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC).astimezone(tz)


def after_hours(hour: int, start: int, end: int) -> bool:
    """Whether local ``hour`` lies in the after-hours window ``start``–``end``."""
    if start == end:
        return False
    if start > end:  # over midnight, e.g. 19–07
        return hour >= start or hour < end
    return start <= hour < end


def window_text(start: int, end: int) -> str:
    return "none" if start == end else f"{start:02d}:00–{end:02d}:00"
