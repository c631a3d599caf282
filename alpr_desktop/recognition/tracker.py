"""Following plates across frames and emitting one :class:`VehicleRead` per vehicle pass.

After Frigate's licence-plate tracking: each frame's plates are associated with the
active tracks by box overlap (the track's box moved on by its measured velocity) and,
for a box that moved further, by text similarity; a track's readings are voted
(:func:`~alpr_desktop.recognition.voting.vote`); a track that has not been seen for
``end_after_s`` has passed and is emitted, and one seen for longer than ``timeout_s``
(a parked vehicle) is emitted once while it stays in view.

Times are the frames' capture times as given by the caller, so the tracker is
deterministic under test. A :class:`PlateTracker` belongs to one thread (one worker per
source); it does no locking.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import cv2

from alpr_desktop.recognition.pipeline import PlateResult
from alpr_desktop.recognition.reads import EncodedImage, VehicleRead
from alpr_desktop.recognition.types import Image, PlateBox, PlateReading
from alpr_desktop.recognition.voting import Vote, similarity, vote

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackerSettings:
    """Tuning of :class:`PlateTracker`.

    Attributes:
        iou_min: a box overlapping a track's predicted box this much continues it.
        max_shift: or, when the texts agree, a box whose centre is within this many
            box widths of the prediction (a fast vehicle, or frames skipped).
        text_min: how alike (0-1) the texts must be for that.
        text_conflict: a box reading less alike than this never joins a track, however
            it overlaps (the next vehicle, or two plates side by side).
        end_after_s: a track unseen this long has passed and is emitted.
        timeout_s: a track seen this long is emitted while still in view (only once).
        min_frames: tracks with fewer readings are dropped as noise.
        min_confidence: tracks whose vote is below this are dropped.
        settle_frames, settle_confidence: a track with that many readings and that
            vote confidence is *settled*: :meth:`PlateTracker.needs_reading` then asks
            for a new reading only every ``reread_every`` frames.
        same_plate_s: a track ending with the same text as a read emitted this recently
            is the same pass (the localizer lost it for a moment) and is not emitted.
        context_width: width of the context JPEG.
        jpeg_quality: of the crop and context JPEGs.
        max_alternatives: alternatives kept on a read.
    """

    iou_min: float = 0.1
    max_shift: float = 1.5
    text_min: float = 0.6
    text_conflict: float = 0.34
    end_after_s: float = 1.0
    timeout_s: float = 20.0
    min_frames: int = 2
    min_confidence: float = 0.2
    settle_frames: int = 4
    settle_confidence: float = 0.8
    reread_every: int = 4
    same_plate_s: float = 3.0
    context_width: int = 640
    jpeg_quality: int = 85
    max_alternatives: int = 4


@dataclass(frozen=True)
class TrackView:
    """A track as a preview draws it (full-frame pixels)."""

    track_id: int
    box: PlateBox
    text: str
    confidence: float
    frames_voted: int
    settled: bool


@dataclass
class _Sighting:
    """A candidate for the read's best crop: the crop, the context and when."""

    score: float
    text: str
    at: dt.datetime
    box: PlateBox
    crop: Image
    context: Image
    frame_size: tuple[int, int]


@dataclass
class _Track:
    track_id: int
    first_at: dt.datetime
    last_at: dt.datetime
    box: PlateBox
    velocity: tuple[float, float] = (0.0, 0.0)  # box centre, pixels per second
    readings: list[PlateReading] = field(default_factory=list)
    frames_seen: int = 0
    last_read_frame: int = -1
    bests: list[_Sighting] = field(default_factory=list)
    voted: Vote = field(default_factory=lambda: Vote("", 0.0, (), 0))
    emitted: bool = False

    def predicted(self, at: dt.datetime) -> PlateBox:
        dt_s = (at - self.last_at).total_seconds()
        vx, vy = self.velocity
        b = self.box
        return PlateBox(round(b.x + vx * dt_s), round(b.y + vy * dt_s), b.w, b.h, b.confidence)


@dataclass(frozen=True)
class _Observation:
    box: PlateBox
    reading: PlateReading | None
    crop: Image | None


class PlateTracker:
    """Tracks the plates of one source and votes their readings.

    Args:
        camera_name: put on every read.
        settings: see :class:`TrackerSettings`.
    """

    def __init__(self, camera_name: str = "", settings: TrackerSettings | None = None) -> None:
        self.camera_name = camera_name
        self.settings = settings or TrackerSettings()
        self._tracks: list[_Track] = []
        self._ids = itertools.count(1)
        self._recent: dict[str, dt.datetime] = {}
        self.discarded = 0  # tracks dropped as noise
        self.merged = 0  # tracks that were the pass just emitted

    # ----------------------------------------------------------------- queries
    def needs_reading(self, boxes: Sequence[PlateBox], at: dt.datetime) -> list[bool]:
        """For each box, whether to read it (False: it continues a settled track)."""
        s = self.settings
        matches = self._associate([_Observation(b, None, None) for b in boxes], at)
        out = []
        for i in range(len(boxes)):
            track = matches.get(i)
            out.append(
                track is None
                or not self._settled(track)
                or track.frames_seen - track.last_read_frame >= s.reread_every
            )
        return out

    def active(self, at: dt.datetime | None = None) -> list[TrackView]:
        """The tracks seen at ``at`` (the last frame by default), for drawing."""
        views = []
        for t in self._tracks:
            if at is None or t.last_at == at:
                v = t.voted
                views.append(
                    TrackView(t.track_id, t.box, v.text, v.confidence, v.frames, self._settled(t))
                )
        return views

    @property
    def track_count(self) -> int:
        return len(self._tracks)

    # ----------------------------------------------------------------- updates
    def update(
        self,
        frame: Image,
        at: dt.datetime,
        results: Sequence[PlateResult],
        unread: Sequence[PlateBox] = (),
    ) -> list[VehicleRead]:
        """Add one frame's plates; return the reads of tracks that ended by ``at``.

        Args:
            frame: the whole frame (BGR), for the context image.
            at: its capture time; times must not go backwards.
            results: plates read in this frame.
            unread: plates found but not read (they continue settled tracks).
        """
        obs = [_Observation(r.box, r.reading, r.crop) for r in results]
        obs += [_Observation(b, None, None) for b in unread]
        matches = self._associate(obs, at)
        for i, o in enumerate(obs):
            track = matches.get(i)
            if track is None:
                track = _Track(next(self._ids), at, at, o.box)
                self._tracks.append(track)
            self._observe(track, o, frame, at)
        return self._finish(at, everything=False)

    def flush(self, at: dt.datetime | None = None) -> list[VehicleRead]:
        """End every track (the source ended) and return their reads."""
        return self._finish(at, everything=True)

    # ----------------------------------------------------------------- internals
    def _settled(self, track: _Track) -> bool:
        s = self.settings
        v = track.voted
        return v.frames >= s.settle_frames and v.confidence >= s.settle_confidence

    def _associate(self, obs: Sequence[_Observation], at: dt.datetime) -> dict[int, _Track]:
        """Greedy one-to-one matching of observations to live tracks, best score first."""
        pairs: list[tuple[float, int, int]] = []
        live = self._tracks
        for ti, track in enumerate(live):
            pred = track.predicted(at)
            for oi, o in enumerate(obs):
                score = self._score(track, pred, o)
                if score > 0:
                    pairs.append((score, ti, oi))
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        taken_t: set[int] = set()
        matches: dict[int, _Track] = {}
        for _, ti, oi in pairs:
            if ti not in taken_t and oi not in matches:
                taken_t.add(ti)
                matches[oi] = live[ti]
        return matches

    def _score(self, track: _Track, pred: PlateBox, o: _Observation) -> float:
        s = self.settings
        iou = pred.iou(o.box)
        text = o.reading.text if o.reading else ""
        sim = similarity(text, track.voted.text) if text and track.voted.text else None
        if sim is not None and sim < s.text_conflict:
            return 0.0
        if iou >= s.iou_min:
            return 1.0 + iou + (sim or 0.0)
        if sim is not None and sim >= s.text_min:
            pc = (pred.x + pred.w / 2, pred.y + pred.h / 2)
            oc = (o.box.x + o.box.w / 2, o.box.y + o.box.h / 2)
            dist = ((pc[0] - oc[0]) ** 2 + (pc[1] - oc[1]) ** 2) ** 0.5
            if dist <= s.max_shift * max(pred.w, o.box.w):
                return sim * 0.5
        return 0.0

    def _observe(self, track: _Track, o: _Observation, frame: Image, at: dt.datetime) -> None:
        dt_s = (at - track.last_at).total_seconds()
        if track.frames_seen and dt_s > 0:
            old, new = track.box, o.box
            vx = (new.x + new.w / 2 - old.x - old.w / 2) / dt_s
            vy = (new.y + new.h / 2 - old.y - old.h / 2) / dt_s
            track.velocity = (
                0.5 * track.velocity[0] + 0.5 * vx,
                0.5 * track.velocity[1] + 0.5 * vy,
            )
        track.box, track.last_at = o.box, at
        track.frames_seen += 1
        if o.reading is None or o.crop is None:
            return
        track.readings.append(o.reading)
        track.last_read_frame = track.frames_seen - 1  # this frame's index in the track
        track.voted = vote(track.readings, self.settings.max_alternatives)
        self._keep_best(track, o, frame, at)

    def _keep_best(self, track: _Track, o: _Observation, frame: Image, at: dt.datetime) -> None:
        """Keep the three best sightings (confidence, favouring larger plates)."""
        assert o.reading is not None and o.crop is not None
        score = o.reading.confidence * min(1.0, o.box.h / 32.0) ** 0.5
        if len(track.bests) >= 3 and score <= track.bests[-1].score:
            return
        context = _downscale(frame, self.settings.context_width)
        size = (int(frame.shape[1]), int(frame.shape[0]))
        track.bests.append(_Sighting(score, o.reading.text, at, o.box, o.crop, context, size))
        track.bests.sort(key=lambda b: -b.score)
        del track.bests[3:]

    def _finish(self, at: dt.datetime | None, *, everything: bool) -> list[VehicleRead]:
        s = self.settings
        reads: list[VehicleRead] = []
        keep: list[_Track] = []
        for track in self._tracks:
            ended = everything or (
                at is not None and (at - track.last_at).total_seconds() > s.end_after_s
            )
            timed_out = (
                at is not None
                and not track.emitted
                and (at - track.first_at).total_seconds() > s.timeout_s
            )
            if ended or timed_out:
                read = None if track.emitted else self._emit(track)
                track.emitted = True
                if read is not None:
                    reads.append(read)
            if not ended:
                keep.append(track)
        self._tracks = keep
        return reads

    def _emit(self, track: _Track) -> VehicleRead | None:
        s = self.settings
        v = track.voted
        if v.frames < s.min_frames or not v.text or v.confidence < s.min_confidence:
            self.discarded += 1
            return None
        best = next((b for b in track.bests if b.text == v.text), track.bests[0])
        last = self._recent.get(v.text)
        if last is not None and abs((best.at - last).total_seconds()) <= s.same_plate_s + (
            s.end_after_s
        ):
            self.merged += 1
            self._recent[v.text] = track.last_at
            return None
        self._recent = {
            t: when
            for t, when in self._recent.items()
            if (track.last_at - when).total_seconds() <= 60
        }
        self._recent[v.text] = track.last_at
        return VehicleRead(
            camera_name=self.camera_name,
            read_at=best.at,
            plate_text=v.text,
            confidence=v.confidence,
            alternatives=v.alternatives,
            box=best.box,
            frames_voted=v.frames,
            crop=encode_jpeg(best.crop, s.jpeg_quality),
            context=encode_jpeg(best.context, s.jpeg_quality),
            frame_size=best.frame_size,
        )


def _downscale(frame: Image, width: int) -> Image:
    h, w = frame.shape[:2]
    if w <= width:
        return frame.copy()
    small = cv2.resize(frame, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    return cast(Image, small)


def encode_jpeg(image: Image, quality: int = 85) -> EncodedImage:
    """JPEG bytes of a BGR image, with its size."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV encodes any non-empty uint8 image
        raise ValueError("image could not be encoded as JPEG")
    h, w = image.shape[:2]
    return EncodedImage(buf.tobytes(), "image/jpeg", int(w), int(h))
