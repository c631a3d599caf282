"""The department's local time for the audit report: periods, hours, the after-hours window."""

from __future__ import annotations

import datetime as dt

import pytest

from alpr_desktop.core.local_time import (
    after_hours,
    check_zone,
    local_hour,
    local_period,
    window_text,
    zone,
)
from alpr_desktop.errors import ValidationError
from alpr_desktop.settings import DepartmentSettings


def test_a_period_of_local_days_across_the_clock_change() -> None:
    la = zone("America/Los_Angeles")
    start, end = local_period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), la)
    assert start == dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)  # PST, UTC-8
    assert end == dt.datetime(2026, 4, 1, 7, tzinfo=dt.UTC)  # PDT, UTC-7
    assert local_hour("2026-03-08 09", la).hour == 1  # before the change
    assert local_hour("2026-03-08 10", la).hour == 3  # 02:00 never happened
    assert local_hour("2026-04-01 06", la).date() == dt.date(2026, 3, 31)


@pytest.mark.parametrize(
    ("hour", "start", "end", "late"),
    [
        (19, 19, 7, True),
        (6, 19, 7, True),
        (7, 19, 7, False),
        (18, 19, 7, False),
        (23, 22, 23, False),
        (22, 22, 23, True),
        (3, 5, 5, False),
    ],
)
def test_the_after_hours_window(hour: int, start: int, end: int, late: bool) -> None:
    assert after_hours(hour, start, end) is late


def test_zones_and_their_errors() -> None:
    assert zone("UTC") is dt.UTC
    assert window_text(19, 7) == "19:00–07:00" and window_text(5, 5) == "none"
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("Mars/Olympus")
    with pytest.raises(ValueError, match="whole number of hours"):
        check_zone("Asia/Kolkata")
    check_zone("America/New_York")
    with pytest.raises(ValidationError, match="local_time_zone"):
        DepartmentSettings().updated(local_time_zone="Asia/Kolkata")
    with pytest.raises(ValidationError, match="after_hours_start"):
        DepartmentSettings().updated(after_hours_start=24)
    assert DepartmentSettings().updated(after_hours_start=20).after_hours_start == 20
