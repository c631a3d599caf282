"""Positions of a mobile unit from a GPS track (NMEA 0183 or GPX), looked up by time.

A :class:`GpsTrack` is a time-ordered list of fixes. :meth:`GpsTrack.position_at` gives
the position at a moment by linear interpolation between the two fixes around it; a
moment outside the track's span, or inside a gap longer than ``max_gap_s`` (the receiver
lost its fix), gives ``None``: a read keeps no position rather than a wrong one.

Parsing is done by ``pynmea2`` and ``gpxpy``. Every line or point that cannot be used is
recorded as a :class:`GpsIssue` (line number, reason), never silently dropped; sentence
types that carry no position (GSV, GSA, ...) are counted in ``ignored`` instead.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import gpxpy
import gpxpy.gpx
import pynmea2

#: Fixes further apart than this are not interpolated between (seconds).
DEFAULT_MAX_GAP_S = 120.0
GPX_SUFFIXES = frozenset({".gpx"})


@dataclass(frozen=True)
class GpsFix:
    """One position at one moment (UTC, timezone-aware)."""

    at: dt.datetime
    latitude: float
    longitude: float


@dataclass(frozen=True)
class GpsIssue:
    """A line (NMEA) or point (GPX) that gave no fix, and why.

    ``line`` is the line number for NMEA, the point's number in the file for GPX (gpxpy
    keeps no line numbers); both count from 1.
    """

    line: int
    reason: str


@dataclass(frozen=True)
class GpsTrack:
    """Time-ordered fixes and what could not be read.

    Attributes:
        fixes: strictly increasing in time (a second fix at the same moment is dropped,
            and recorded as an issue).
        issues: malformed sentences or points, in file order.
        ignored: well-formed sentences that carry no position (for example GSV).
        max_gap_s: see the module docstring.
    """

    fixes: tuple[GpsFix, ...]
    issues: tuple[GpsIssue, ...] = ()
    ignored: int = 0
    max_gap_s: float = DEFAULT_MAX_GAP_S
    _times: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fixes = self.fixes
        if any(b.at < a.at for a, b in itertools.pairwise(fixes)):
            # built from stored fixes in another order: the lookup needs them sorted
            fixes = tuple(sorted(fixes, key=lambda f: f.at))
            object.__setattr__(self, "fixes", fixes)
        object.__setattr__(self, "_times", tuple(f.at.timestamp() for f in fixes))

    @property
    def malformed(self) -> int:
        return len(self.issues)

    @property
    def start(self) -> dt.datetime | None:
        return self.fixes[0].at if self.fixes else None

    @property
    def end(self) -> dt.datetime | None:
        return self.fixes[-1].at if self.fixes else None

    def summary(self) -> str:
        """One line for a log or an import dialog (no coordinates)."""
        span = f"{self.start:%Y-%m-%d %H:%M:%S} to {self.end:%H:%M:%S} UTC" if self.fixes else ""
        return (
            f"{len(self.fixes)} fixes {span}; {self.malformed} malformed, "
            f"{self.ignored} without a position"
        ).replace("fixes ;", "fixes;")

    def position_at(self, at: dt.datetime) -> tuple[float, float] | None:
        """(latitude, longitude) at ``at``, or None outside the span or within a long gap.

        A naive ``at`` is taken as UTC.
        """
        if not self.fixes:
            return None
        t = _utc(at).timestamp()
        times = self._times
        if t < times[0] or t > times[-1]:
            return None
        i = bisect.bisect_left(times, t)
        if times[i] == t:
            fix = self.fixes[i]
            return fix.latitude, fix.longitude
        a, b = self.fixes[i - 1], self.fixes[i]
        span = times[i] - times[i - 1]
        if span > self.max_gap_s:
            return None
        f = (t - times[i - 1]) / span
        # longitude through the shorter way round (a track crossing 180 degrees)
        d_lon = (b.longitude - a.longitude + 540.0) % 360.0 - 180.0
        lon = (a.longitude + f * d_lon + 540.0) % 360.0 - 180.0
        return a.latitude + f * (b.latitude - a.latitude), lon

    @classmethod
    def load(cls, path: Path, *, max_gap_s: float = DEFAULT_MAX_GAP_S) -> GpsTrack:
        """Read a ``.gpx`` file, or any other file as NMEA 0183.

        Raises:
            ValueError: the file cannot be read, or is not GPX at all.
        """
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ValueError(f"GPS track {path} cannot be read: {exc.strerror or exc}") from None
        if Path(path).suffix.lower() in GPX_SUFFIXES:
            return parse_gpx(text, max_gap_s=max_gap_s)
        return parse_nmea(text.splitlines(), max_gap_s=max_gap_s)


def _utc(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def _build(
    fixes: list[tuple[int, GpsFix]], issues: list[GpsIssue], ignored: int, max_gap_s: float
) -> GpsTrack:
    """Sort by time (stable), drop repeated moments as issues, keep issues in file order."""
    ordered: list[GpsFix] = []
    for line, fix in sorted(fixes, key=lambda lf: lf[1].at):
        if ordered and ordered[-1].at == fix.at:
            issues.append(GpsIssue(line, f"a second fix for {fix.at:%H:%M:%S.%f} UTC"))
            continue
        ordered.append(fix)
    issues.sort(key=lambda i: i.line)
    return GpsTrack(tuple(ordered), tuple(issues), ignored, max_gap_s)


def _valid_coordinates(lat: float, lon: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0 and not (lat == 0.0 and lon == 0.0)


def parse_nmea(
    lines: Iterable[str],
    *,
    date: dt.date | None = None,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> GpsTrack:
    """Fixes from NMEA 0183 sentences (RMC with its date; GGA and GLL on the last date seen).

    Args:
        lines: the sentences, one a line; blank lines are skipped.
        date: the day for time-only sentences before the first RMC.
        max_gap_s: see :class:`GpsTrack`.
    """
    fixes: list[tuple[int, GpsFix]] = []
    issues: list[GpsIssue] = []
    ignored = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            # A missing checksum is allowed (optional in NMEA 0183); a wrong one is not.
            msg = pynmea2.parse(line, check=False)
        except pynmea2.ChecksumError:
            issues.append(GpsIssue(number, "checksum mismatch"))
            continue
        except pynmea2.ParseError as exc:
            issues.append(GpsIssue(number, f"not an NMEA sentence ({_first_line(exc)})"))
            continue
        result = _nmea_fix(msg, date)
        if isinstance(result, str):
            issues.append(GpsIssue(number, result))
        elif result is None:
            ignored += 1
        else:
            fix, date = result
            fixes.append((number, fix))
    return _build(fixes, issues, ignored, max_gap_s)


def _first_line(exc: Exception) -> str:
    text = str(exc.args[0]) if exc.args else type(exc).__name__
    return text.splitlines()[0][:80]


def _nmea_fix(
    msg: pynmea2.NMEASentence, date: dt.date | None
) -> tuple[GpsFix, dt.date | None] | str | None:
    """The fix and the date to carry on, a reason it has none, or None (no position type)."""
    kind = type(msg).__name__
    if kind not in {"RMC", "GGA", "GLL"}:
        return None
    try:
        if kind == "RMC" and msg.status != "A":
            return "no fix (RMC status void)"
        if kind == "GGA" and str(msg.gps_qual or "0") == "0":
            return "no fix (GGA quality 0)"
        if kind == "GLL" and msg.status != "A":
            return "no fix (GLL status void)"
        time = msg.timestamp
        if kind == "RMC":
            date = msg.datestamp
        lat, lon = float(msg.latitude), float(msg.longitude)
    except (AttributeError, TypeError, ValueError):
        return f"malformed {kind} fields"
    if not isinstance(time, dt.time):
        return f"{kind} without a time"
    if date is None:
        return f"{kind} before any date (no RMC yet)"
    if not msg.lat or not msg.lon or not _valid_coordinates(lat, lon):
        return f"{kind} without valid coordinates"
    at = dt.datetime.combine(date, time.replace(tzinfo=None), tzinfo=dt.UTC)
    return GpsFix(at, lat, lon), date


def parse_gpx(text: str, *, max_gap_s: float = DEFAULT_MAX_GAP_S) -> GpsTrack:
    """Fixes from every track point (and route point) of a GPX document.

    Raises:
        ValueError: the text is not a GPX document. gpxpy also rejects a whole document
            for one point whose coordinate is not a number; that is reported this way,
            never skipped.
    """
    if "<gpx" not in text[:4096]:  # gpxpy reads any XML as an empty track
        raise ValueError("not a GPX file: no <gpx> element")
    try:
        gpx = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise ValueError(f"not a GPX file: {_first_line(exc)}") from None
    fixes: list[tuple[int, GpsFix]] = []
    issues: list[GpsIssue] = []
    points: list[gpxpy.gpx.GPXTrackPoint | gpxpy.gpx.GPXRoutePoint] = [
        p for t in gpx.tracks for s in t.segments for p in s.points
    ]
    points += [p for r in gpx.routes for p in r.points]
    for line, point in enumerate(points, start=1):
        if point.time is None:  # gpxpy gives None for a missing and an unreadable time
            issues.append(GpsIssue(line, "point without a readable time"))
        elif not _valid_coordinates(float(point.latitude), float(point.longitude)):
            issues.append(GpsIssue(line, "point without valid coordinates"))
        else:
            fix = GpsFix(_utc(point.time), float(point.latitude), float(point.longitude))
            fixes.append((line, fix))
    return _build(fixes, issues, 0, max_gap_s)
