"""GPS tracks of mobile units: NMEA and GPX parsing, interpolation, span, malformed input."""

from __future__ import annotations

import datetime as dt
from functools import reduce
from pathlib import Path

import pytest

from alpr_desktop.recognition.demo_video import write_demo_gpx
from alpr_desktop.recognition.gps import GpsTrack, parse_gpx, parse_nmea

UTC = dt.UTC


def _nmea(body: str) -> str:
    """A sentence with its correct checksum."""
    checksum = reduce(lambda a, c: a ^ ord(c), body, 0)
    return f"${body}*{checksum:02X}"


def _rmc(hhmmss: str, lat: str, lon: str, status: str = "A", date: str = "011226") -> str:
    return _nmea(f"GPRMC,{hhmmss},{status},{lat},{lon},012.0,090.0,{date},,,A")


def _gga(hhmmss: str, lat: str, lon: str, quality: str = "1") -> str:
    return _nmea(f"GPGGA,{hhmmss},{lat},{lon},{quality},08,0.9,15.0,M,-30.0,M,,")


NMEA_LINES = [
    _rmc("100000.00", "3830.000,N", "12130.000,W"),  # 38.5, -121.5
    _nmea("GPGSV,1,1,01,03,03,111,00"),  # satellites: no position
    _gga("100010.00", "3830.600,N", "12130.000,W"),  # 38.51 at 10:00:10
    "$GPRMC,100015.00,A,3831.000,N,12130.000,W,012.0,090.0,011226,,,A*00",  # bad checksum
    "this is not NMEA",
    _rmc("100020.00", "3831.200,N", "12130.600,W"),  # 38.52, -121.51 at 10:00:20
    _rmc("100025.00", "3831.200,N", "12130.600,W", status="V"),  # void: no fix
    _gga("100030.00", "3831.200,N", "12130.600,W", quality="0"),  # quality 0: no fix
    "",
    _rmc("100020.00", "3831.200,N", "12130.600,W"),  # a second fix for 10:00:20
]


def _at(seconds: float) -> dt.datetime:
    return dt.datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC) + dt.timedelta(seconds=seconds)


def test_nmea_fixes_in_time_order() -> None:
    track = parse_nmea(NMEA_LINES)
    assert [f.at for f in track.fixes] == [_at(0), _at(10), _at(20)]
    assert track.fixes[0].latitude == pytest.approx(38.5)
    assert track.fixes[0].longitude == pytest.approx(-121.5)
    assert track.start == _at(0) and track.end == _at(20)


def test_nmea_malformed_lines_are_counted_with_reasons() -> None:
    track = parse_nmea(NMEA_LINES)
    reasons = {i.line: i.reason for i in track.issues}
    assert reasons[4] == "checksum mismatch"
    assert reasons[5].startswith("not an NMEA sentence")
    assert "void" in reasons[7]
    assert "quality 0" in reasons[8]
    assert "second fix" in reasons[10]
    assert track.malformed == 5
    assert track.ignored == 1  # the GSV sentence
    assert "3 fixes" in track.summary() and "5 malformed" in track.summary()


def test_nmea_time_only_sentence_before_any_date_is_reported() -> None:
    track = parse_nmea([_gga("100010.00", "3830.600,N", "12130.000,W")])
    assert track.fixes == ()
    assert "before any date" in track.issues[0].reason
    dated = parse_nmea([_gga("100010.00", "3830.600,N", "12130.000,W")], date=dt.date(2026, 12, 1))
    assert dated.fixes[0].at == _at(10)


def test_interpolation_between_fixes() -> None:
    track = parse_nmea(NMEA_LINES)
    lat, lon = track.position_at(_at(15))  # type: ignore[misc]
    assert lat == pytest.approx(38.515)
    assert lon == pytest.approx(-121.505)
    assert track.position_at(_at(10)) == pytest.approx((38.51, -121.5))
    naive = _at(5).replace(tzinfo=None)  # naive times are UTC
    assert track.position_at(naive) == pytest.approx((38.505, -121.5))


def test_outside_the_span_gives_no_position() -> None:
    track = parse_nmea(NMEA_LINES)
    assert track.position_at(_at(-0.001)) is None
    assert track.position_at(_at(20.5)) is None
    assert GpsTrack(()).position_at(_at(0)) is None


def test_a_long_gap_gives_no_position() -> None:
    track = parse_nmea(
        [_rmc("100000", "3830.000,N", "12130.000,W"), _rmc("101000", "3831.000,N", "12130.000,W")],
        max_gap_s=120,
    )
    assert track.position_at(_at(300)) is None
    assert track.position_at(_at(600)) is not None


def test_interpolation_across_the_antimeridian() -> None:
    track = parse_nmea(
        [_rmc("100000", "1000.000,S", "17959.400,E"), _rmc("100010", "1000.000,S", "17959.400,W")]
    )
    _, lon = track.position_at(_at(5))  # type: ignore[misc]
    assert abs(abs(lon) - 180.0) < 1e-6


GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><trkseg>
<trkpt lat="38.50" lon="-121.50"><time>2026-12-01T10:00:00Z</time></trkpt>
<trkpt lat="38.51" lon="-121.52"><time>2026-12-01T12:00:10+02:00</time></trkpt>
<trkpt lat="38.52" lon="-121.52"></trkpt>
<trkpt lat="38.52" lon="-121.52"><time>yesterday</time></trkpt>
<trkpt lat="95.0" lon="-121.52"><time>2026-12-01T10:00:15Z</time></trkpt>
<trkpt lat="38.53" lon="-121.54"><time>2026-12-01T10:00:20Z</time></trkpt>
</trkseg></trk>
</gpx>
"""


def test_gpx_points_and_malformed_points() -> None:
    track = parse_gpx(GPX)
    assert [f.at for f in track.fixes] == [_at(0), _at(10), _at(20)]
    assert [(i.line, i.reason) for i in track.issues] == [
        (3, "point without a readable time"),
        (4, "point without a readable time"),
        (5, "point without valid coordinates"),
    ]
    assert track.position_at(_at(5)) == pytest.approx((38.505, -121.51))
    assert track.position_at(_at(21)) is None


def test_gpx_that_is_not_gpx_raises_with_a_message() -> None:
    with pytest.raises(ValueError, match="not a GPX file"):
        parse_gpx("<html>no</html>")
    with pytest.raises(ValueError, match="not a GPX file"):
        parse_gpx(GPX.replace('lat="38.53"', 'lat="north"'))


def test_load_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "unit.gpx").write_text(GPX, encoding="utf-8")
    (tmp_path / "unit.nmea").write_text("\n".join(NMEA_LINES), encoding="utf-8")
    assert len(GpsTrack.load(tmp_path / "unit.gpx").fixes) == 3
    assert len(GpsTrack.load(tmp_path / "unit.nmea").fixes) == 3
    with pytest.raises(ValueError, match="cannot be read"):
        GpsTrack.load(tmp_path / "missing.gpx")


def test_demo_gpx_covers_its_hour(tmp_path: Path) -> None:
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    path = write_demo_gpx(tmp_path / "demo.gpx", start, duration_s=600)
    track = GpsTrack.load(path)
    assert track.malformed == 0
    assert track.start == start and track.end == start + dt.timedelta(seconds=600)
    assert track.position_at(start + dt.timedelta(seconds=123.4)) is not None


def test_a_track_built_from_unordered_fixes_is_sorted() -> None:
    fixes = parse_nmea(NMEA_LINES).fixes
    track = GpsTrack(tuple(reversed(fixes)))
    assert track.fixes == fixes
    assert track.position_at(_at(15)) == pytest.approx((38.515, -121.505))
