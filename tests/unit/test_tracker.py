"""Tracking plates over frames and voting their readings (no models: readings are given)."""

from __future__ import annotations

import datetime as dt

import cv2
import numpy as np
import pytest

from alpr_desktop.recognition.pipeline import PlateResult
from alpr_desktop.recognition.tracker import PlateTracker, TrackerSettings
from alpr_desktop.recognition.types import Candidate, PlateBox, PlateReading
from alpr_desktop.recognition.voting import similarity, vote

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
FRAME = np.full((720, 1280, 3), 90, np.uint8)
CROP = np.full((40, 120, 3), 200, np.uint8)


def _reading(text: str, conf: float, *alts: tuple[str, float]) -> PlateReading:
    return PlateReading(text, conf, tuple(Candidate(t, c) for t, c in alts))


def _result(x: int, y: int, reading: PlateReading, w: int = 120, h: int = 40) -> PlateResult:
    return PlateResult(PlateBox(x, y, w, h, 0.9), reading, CROP)


def _t(frame: int, fps: float = 25.0) -> dt.datetime:
    return T0 + dt.timedelta(seconds=frame / fps)


# ------------------------------------------------------------------------------ voting
def test_vote_outvotes_a_character_misread_in_some_frames() -> None:
    readings = [_reading("7ABC123", 0.9)] * 3 + [_reading("ZABC123", 0.95)] * 2
    v = vote(readings)
    assert v.text == "7ABC123"
    assert v.frames == 5
    assert v.alternatives[0].text == "ZABC123"
    assert v.alternatives[0].confidence == pytest.approx(0.95 * 2 / 5)


def test_vote_is_weighted_by_confidence() -> None:
    readings = [_reading("ABC1234", 0.2)] * 3 + [_reading("ABC1284", 0.9)] * 2
    assert vote(readings).text == "ABC1284"


def test_vote_combines_characters_no_single_frame_got_right() -> None:
    # each frame misreads a different character; character by character all are right
    readings = [
        _reading("XBC1234", 0.5, ("ABC1234", 0.4)),
        _reading("AXC1234", 0.5, ("ABC1234", 0.4)),
        _reading("ABX1234", 0.5, ("ABC1234", 0.4)),
    ]
    v = vote(readings)
    assert v.text == "ABC1234"
    assert 0.5 < v.confidence <= 1.0


def test_vote_uses_the_readers_alternatives() -> None:
    readings = [_reading("8BC1234", 0.5, ("BBC1234", 0.45)), _reading("BBC1234", 0.6)]
    assert vote(readings).text == "BBC1234"


def test_vote_prefers_the_dominant_length_and_ignores_invalid_text() -> None:
    readings = [_reading("ABC123", 0.9)] * 3 + [_reading("AB", 0.99), _reading("abc-1!", 0.99)]
    v = vote(readings)
    assert v.text == "ABC123"
    assert all(c.text != "abc-1!" for c in v.alternatives)


def test_vote_of_nothing_valid_is_empty() -> None:
    assert vote([_reading("", 0.9), _reading("!", 0.5)]).text == ""
    assert vote([]).frames == 0


def test_similarity() -> None:
    assert similarity("ABC123", "ABC123") == 1.0
    assert similarity("ABC123", "ABC128") > 0.8
    assert similarity("ABC123", "XYZ789") < 0.2
    assert similarity("", "ABC") == 0.0


# ------------------------------------------------------------------------------ tracking
def _pass(
    tracker: PlateTracker, text: str, start: int, frames: int, x0: int, dx: int, y: int = 300
) -> list:  # type: ignore[type-arg]
    reads = []
    for i in range(frames):
        reads += tracker.update(
            FRAME, _t(start + i), [_result(x0 + dx * i, y, _reading(text, 0.9))]
        )
    return reads


def test_one_read_per_pass_when_the_track_ends() -> None:
    tracker = PlateTracker("north")
    reads = _pass(tracker, "ABC1234", 0, 30, 100, 20)
    assert reads == []  # still in view
    reads = tracker.update(FRAME, _t(30 + 25 + 1), [])  # unseen for more than end_after_s
    assert len(reads) == 1
    read = reads[0]
    assert (read.camera_name, read.plate_text, read.frames_voted) == ("north", "ABC1234", 30)
    assert T0 <= read.read_at <= _t(29)
    assert read.crop.media_type == "image/jpeg" and read.crop.data[:2] == b"\xff\xd8"
    assert read.context is not None and read.context.width == 640 and read.context.height == 360
    assert read.frame_size == (FRAME.shape[1], FRAME.shape[0])  # what the box is in
    decoded = cv2.imdecode(np.frombuffer(read.context.data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (360, 640, 3)
    assert tracker.track_count == 0


def test_two_plates_side_by_side_are_two_tracks() -> None:
    tracker = PlateTracker()
    for i in range(10):
        tracker.update(
            FRAME,
            _t(i),
            [
                _result(100 + 10 * i, 200, _reading("ABC1234", 0.9)),
                _result(700 - 10 * i, 500, _reading("XYZ987", 0.9)),
            ],
        )
    reads = tracker.flush()
    assert sorted(r.plate_text for r in reads) == ["ABC1234", "XYZ987"]
    assert all(r.frames_voted == 10 for r in reads)


def test_fast_plate_is_followed_by_text_when_boxes_do_not_overlap() -> None:
    # 150 px per frame: consecutive boxes (120 px wide) never overlap
    tracker = PlateTracker()
    _pass(tracker, "FAST123", 0, 6, 0, 150)
    reads = tracker.flush()
    assert [r.plate_text for r in reads] == ["FAST123"]
    assert reads[0].frames_voted == 6


def test_a_different_plate_at_the_same_place_starts_a_new_track() -> None:
    tracker = PlateTracker(settings=TrackerSettings(same_plate_s=0))
    _pass(tracker, "AAA1111", 0, 5, 400, 0)
    _pass(tracker, "ZZZ9999", 5, 5, 400, 0)  # overlapping box, text entirely different
    texts = sorted(r.plate_text for r in tracker.flush())
    assert texts == ["AAA1111", "ZZZ9999"]


def test_single_frame_noise_is_dropped() -> None:
    tracker = PlateTracker()
    tracker.update(FRAME, _t(0), [_result(100, 100, _reading("ABC123", 0.9))])
    assert tracker.update(FRAME, _t(100), []) == []
    assert tracker.discarded == 1


def test_a_parked_vehicle_is_emitted_once_on_timeout() -> None:
    tracker = PlateTracker(settings=TrackerSettings(timeout_s=2.0))
    reads = _pass(tracker, "PARK123", 0, 200, 500, 0)  # 8 s in view
    assert [r.plate_text for r in reads] == ["PARK123"]
    assert tracker.flush() == []  # not a second time when it leaves


def test_a_pass_lost_for_a_moment_is_not_read_twice() -> None:
    tracker = PlateTracker()
    reads = _pass(tracker, "GAP1234", 0, 10, 100, 5)
    reads += tracker.update(FRAME, _t(10 + 30), [])  # lost > end_after_s: emitted
    reads += _pass(tracker, "GAP1234", 41, 10, 300, 5)  # found again
    reads += tracker.flush()
    assert [r.plate_text for r in reads] == ["GAP1234"]
    assert tracker.merged == 1


def test_settled_tracks_are_read_only_now_and_then() -> None:
    settings = TrackerSettings(settle_frames=3, settle_confidence=0.8, reread_every=4)
    tracker = PlateTracker(settings=settings)
    asked = []
    for i in range(12):
        box = PlateBox(100 + 5 * i, 300, 120, 40, 0.9)
        (need,) = tracker.needs_reading([box], _t(i))
        asked.append(need)
        if need:
            tracker.update(FRAME, _t(i), [PlateResult(box, _reading("SET1234", 0.95), CROP)])
        else:
            tracker.update(FRAME, _t(i), [], unread=[box])
    assert asked[:3] == [True, True, True]
    assert 2 <= sum(asked[3:]) <= 3  # every fourth frame once settled
    (view,) = tracker.active(_t(11))
    assert view.settled and view.text == "SET1234"
    (read,) = tracker.flush()
    assert read.frames_voted == sum(asked)


def test_alternatives_and_confidence_of_the_read() -> None:
    tracker = PlateTracker()
    for i in range(4):
        reading = _reading("4BC1234", 0.8, ("ABC1234", 0.15)) if i else _reading("ABC1234", 0.7)
        tracker.update(FRAME, _t(i), [_result(100 + 5 * i, 100, reading)])
    (read,) = tracker.flush()
    assert read.plate_text == "4BC1234"
    assert read.alternatives[0].text == "ABC1234"
    assert read.alternatives[0].confidence == pytest.approx((0.7 + 3 * 0.15) / 4)
    assert read.confidence == pytest.approx(0.6)  # its first character: 2.4 of 4 frames
