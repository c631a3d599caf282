"""Demo history: a month of past reads for the demo investigator to search and canvass.

:func:`seed_history` stores (by default) 200,000 reads over the last 30 days at the demo
cameras — "North gate", "Main St eastbound" and "Unit 12 (mobile)", the patrol car's
positions along the downtown Sacramento street grid around its patrol loop — through
``IngestService.store`` in batches, the one way reads enter the database. It is
deterministic (one seed gives the same plates, times and crops) and plausible:

* California-style plates (``7ABC123`` mostly, some ``ABC1234``, ``1ABC23`` and vanity);
* about 0.25 % of the vehicles are commuters, seen on weekdays at the same camera at
  about the same time each morning and evening; the rest follow a heavy tail (a few
  regulars seen most days, many vehicles seen once);
* traffic follows the day (rush hours by day, few reads between 01:00 and 05:00 local
  time), confidences are lower at night and on the mobile unit;
* most reads carry a second and some a third reading (a confusable misread such as
  8/B or 0/O, or a reading one character short); about 4 % are read wrong, the right
  plate being their second reading.

Every read has a crop drawn by the project's plate renderer (``recognition.synth``),
rendered once per distinct plate and shared by all that plate's reads — the images
table is content-addressed, so a plate seen 60 times is one stored image. History reads
carry no context frame: one shared scene per camera would show some other vehicle
inside the plate's box, which is misleading evidence; the read's details say that no
context image was stored.

No history read matches the demo hotlist: every plate, and every reading a vehicle can
be given, is checked against the ingest service's own hotlist index before use, and a
plate that would hit is drawn again. Month-old reads of listed plates would otherwise
fill the dispatcher's alert queue at start-up with alerts for vehicles long gone.

Story vehicles, for a newcomer to look for (all checked by
``tests/integration/test_demo_history.py``):

* ``7ABT312`` — a witness remembered "7AB…12" after a burglary on Main St: search the
  partial ``7AB*12``; it passed Main St eastbound on four evenings at about 22:00
  Sacramento time. Two decoys fit the partial too: ``7ABR512`` (North gate, three
  mornings) and ``7ABG12`` (the patrol car, once).
* ``8KDW417`` — seen at the North gate between 01:00 and 03:30 on five nights of the
  last two weeks: canvass the North gate at night.

The day/night rhythm is Sacramento's (America/Los_Angeles); the application shows times
in UTC, eight hours ahead in winter (22:00 there is 06:00 UTC the next day).
* ``6GRB508`` — read once, wrongly, as ``6GR8508`` (8 for B); the right plate is its
  second reading, so a search for ``6GRB508`` finds it as an alternative.
* ``5NXP771`` — the patrol car passed it parked near 16th and P St on three days:
  canvass around 38.5745, -121.4860.

Started by ``alpr-desktop --demo`` on the background's long-job thread once sign-in is
possible (``gui/main.py``); the main window's status bar shows a :class:`HistoryProgress`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alpr_desktop.recognition.reads import EncodedImage, VehicleRead
from alpr_desktop.recognition.types import Candidate, PlateBox

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.core.matching import HotlistIndex

log = logging.getLogger(__name__)

DEFAULT_READS = 200_000
DAYS = 30
SEED = 1414
BATCH_SIZE = 1_000
NORTH_GATE, MAIN_ST, UNIT_12 = "North gate", "Main St eastbound", "Unit 12 (mobile)"
CAMERAS = (NORTH_GATE, MAIN_ST, UNIT_12)
_CAMERA_SHARE = (0.42, 0.40, 0.18)
_NAMESPACE = uuid.UUID("0b6f3b8e-4d0a-4d64-9a1e-5e0b1c2d3a44")
_SEQ_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # sequential plates skip I, O and Q
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_MISREAD = {"8": "B", "B": "8", "0": "O", "D": "0", "5": "S", "S": "5", "2": "Z", "Z": "2"}
_MISREAD |= {"1": "I", "6": "G", "G": "6", "E": "F", "M": "N", "N": "M", "U": "V"}
#: Relative traffic by local hour (rush hours, quiet small hours).
_HOURLY: tuple[float, ...] = (0.8, 0.5, 0.35, 0.3, 0.4, 1.0, 2.5, 5.0, 6.5, 5.0, 4.2, 4.3)
_HOURLY += (4.6, 4.5, 4.6, 5.2, 6.3, 6.8, 5.5, 4.0, 3.0, 2.3, 1.7, 1.2)
#: The mobile unit drives the day shift and, more quietly, the night.
_HOURLY_MOBILE = tuple(w * (1.0 if 7 <= h < 19 else 0.25) for h, w in enumerate(_HOURLY))
#: Downtown Sacramento's grid: origin (the unit's patrol loop), rotation, block pitch.
_GRID_ORIGIN, _GRID_ROTATION, _BLOCK_M = (38.5816, -121.4944), math.radians(-21.0), 130.0
_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class StoryVehicle:
    plate: str
    story: str
    look_for: str


STORY_VEHICLES = (
    StoryVehicle("7ABT312", "burglary witness saw 7AB…12", "search 7AB*12"),
    StoryVehicle("8KDW417", "at the North gate at night, five nights", "canvass North gate 01-04h"),
    StoryVehicle("6GRB508", "read once as 6GR8508", "search 6GRB508 (alternative)"),
    StoryVehicle("5NXP771", "parked near 16th and P St, three days", "canvass 38.5745,-121.4860"),
)
_PARKED_AT = (38.5745, -121.4860)


@dataclass
class HistoryProgress:
    """How far the seeding is; written by the seeding thread, read by the GUI's timer."""

    total: int
    stored: int = 0
    finished: bool = False
    stopped: bool = False
    error: str = ""

    def text(self) -> str:
        if self.error:
            return f"Demo history failed: {self.error}"
        if self.stopped:
            return f"Demo history stopped at {self.stored:,} reads"
        if self.finished:
            return f"Demo history: {self.stored:,} reads over {DAYS} days"
        return f"Demo history: {self.stored:,} of {self.total:,} reads…"


@dataclass(frozen=True)
class HistoryResult:
    reads: int
    distinct_plates: int
    images_inserted: int
    alerts: int
    seconds: float
    stopped: bool


@dataclass
class _Vehicle:
    plate: str
    misread: str
    short: str
    home: int  # the camera it is mostly seen at
    crop: EncodedImage | None = None
    last_use: int = -1


@dataclass(frozen=True, order=True)
class _Event:
    at: float  # seconds since the history's start
    vehicle: int
    camera: int
    story: str = field(default="", compare=False)


def seed_history(
    app: Application,
    *,
    reads: int = DEFAULT_READS,
    days: int = DAYS,
    seed: int = SEED,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    stop: threading.Event | None = None,
    progress: HistoryProgress | None = None,
) -> HistoryResult:
    """Store ``reads`` past reads through the ingest service (see the module docstring).

    Args:
        app: the opened demo application (cameras and hotlists already seeded).
        reads: how many (at least 200 for the story vehicles and a few commuters).
        days: how far back; the newest read is ten minutes before ``now``.
        now: the end of the history (default the services' clock).
        stop: set it to stop after the batch in hand (checked while rendering too).
        progress: updated after each batch.
    """
    started = time.monotonic()
    stop = stop or threading.Event()
    progress = progress or HistoryProgress(reads)
    ingest = app.services.ingest
    end = (now or app.services.ctx.now()) - dt.timedelta(minutes=10)
    try:
        index = ingest.matcher.current().index
        vehicles, events = plan_history(reads, days=days, seed=seed, index=index, now=end)
        origin = end - dt.timedelta(days=days)
        stored = images = alerts = 0
        rendered: set[int] = set()
        for batch in _batches(vehicles, events, origin, seed, batch_size, stop, rendered):
            result = ingest.store(batch)
            stored += result.inserted + result.already_stored
            images += result.images_inserted
            alerts += len(result.alerts)
            progress.stored = stored
        progress.stopped = stop.is_set() and stored < len(events)
    except BaseException as exc:
        progress.error = str(exc) or type(exc).__name__
        raise
    finally:
        progress.finished = True
    if alerts:
        log.warning("demo history raised %d alert(s); its plates should miss the hotlist", alerts)
    seconds = time.monotonic() - started
    log.info("demo history: %d reads, %d plates in %.1f s", stored, len(rendered), seconds)
    return HistoryResult(stored, len(rendered), images, alerts, seconds, progress.stopped)


def plan_history(
    count: int,
    *,
    days: int = DAYS,
    seed: int = SEED,
    index: HotlistIndex | None = None,
    now: dt.datetime,
) -> tuple[list[_Vehicle], list[_Event]]:
    """The vehicles and the ``count`` passes (oldest first) of a history ending at ``now``."""
    planner = _Planner(random.Random(seed), days, index, now)
    events = planner.story()
    events += planner.commuters(max(4, round(count * 0.0025)))
    events = [e for e in events if 0 <= e.at < planner.span][:count]
    events += planner.tail(count - len(events))
    events.sort()
    for i, event in enumerate(events):
        planner.vehicles[event.vehicle].last_use = i
    return planner.vehicles, events


class _Planner:
    """Draws the vehicles (none on the hotlist) and when and where each passes."""

    def __init__(
        self, rng: random.Random, days: int, index: HotlistIndex | None, now: dt.datetime
    ) -> None:
        self.rng, self.days, self.index, self.now = rng, days, index, now
        self.span = days * 86_400.0
        start = now - dt.timedelta(days=days)
        self.start_weekday = start.astimezone(_LOCAL_TZ).weekday()
        #: Seconds from the history's start back to that day's local midnight (<= 0).
        self.offset = (_local_midnight(start) - start).total_seconds()
        self.vehicles: list[_Vehicle] = []
        self.taken: set[str] = set()

    def add(self, plate: str | None = None, home: int | None = None, misread: str = "") -> int:
        rng = self.rng
        while True:
            text = plate or _random_plate(rng)
            camera = rng.choices(range(3), _CAMERA_SHARE)[0] if home is None else home
            vehicle = _vehicle(text, camera, rng)
            vehicle.misread = misread or vehicle.misread
            if text not in self.taken and not self._hits(vehicle):
                break
            if plate is not None:
                raise ValueError(f"story plate {plate} is taken or on the hotlist")
        self.taken.add(text)
        self.vehicles.append(vehicle)
        return len(self.vehicles) - 1

    def _hits(self, vehicle: _Vehicle) -> bool:
        # Each reading the vehicle can be given, tried as the best reading: that covers
        # exact, confusable and partial hits, and an alternative's exact hit.
        index = self.index
        if index is None:
            return False
        readings = (vehicle.plate, vehicle.misread, vehicle.short)
        return any(index.match(text, (), now=self.now) for text in readings)

    def at(self, day: int, hour: float) -> float:
        """Local ``day`` (0: the history's first) at ``hour`` as seconds since the start."""
        return day * 86_400.0 + self.offset + hour * 3600.0

    def story(self) -> list[_Event]:
        """The story vehicles (never misread, but for the one that is) and two decoys."""
        rng, days, at = self.rng, self.days, self.at
        burglar, night = self.add("7ABT312", 1), self.add("8KDW417", 0)
        misread, parked = self.add("6GRB508", 0, "6GR8508"), self.add("5NXP771", 2)
        van, bike = self.add("7ABR512", 0), self.add("7ABG12", 2)  # they fit 7AB*12 too
        out = [
            _Event(at(days - d, 21.8 + rng.random() * 0.5), burglar, 1, "story")
            for d in (9, 6, 4, 2)
        ]
        out += [
            _Event(at(days - d, 1 + rng.random() * 2.5), night, 0, "story")
            for d in (13, 11, 8, 5, 3)
        ]
        out.append(_Event(at(days - 7, 14.4), misread, 0, "misread"))
        out += [
            _Event(at(days - d, 10 + rng.random() * 4), parked, 2, "parked") for d in (12, 8, 1)
        ]
        out += [_Event(at(days - d, 7.5 + rng.random()), van, 0, "story") for d in (20, 13, 6)]
        out.append(_Event(at(days - 4, 13.2), bike, 2, "story"))
        return out

    def commuters(self, n: int) -> list[_Event]:
        """Weekday mornings and evenings at their cameras, at about the same times."""
        rng, out = self.rng, list[_Event]()
        for _ in range(n):
            morning_cam, evening_cam = rng.choice(((0, 1), (1, 0), (0, 0), (1, 1)))
            vehicle = self.add(home=morning_cam)
            morning, evening = rng.uniform(6.5, 9.0), rng.uniform(15.5, 18.5)
            for day in range(self.days + 1):
                weekday = (self.start_weekday + day) % 7 < 5
                if weekday and rng.random() < 0.92:
                    out.append(_Event(self.at(day, rng.gauss(morning, 0.25)), vehicle, morning_cam))
                if weekday and rng.random() < 0.85:
                    out.append(_Event(self.at(day, rng.gauss(evening, 0.35)), vehicle, evening_cam))
                if not weekday and rng.random() < 0.15:
                    out.append(_Event(self.at(day, rng.uniform(10, 16)), vehicle, rng.randrange(2)))
        return out

    def tail(self, n: int) -> list[_Event]:
        """``n`` passes of a heavy tail: weight 1/(rank+k)^1.1 over a pool of plates.

        The busiest (a delivery van, a cab) passes about six times a day; at 200,000
        reads about 20,000 distinct plates pass, 3,000 of them once.
        """
        rng = self.rng
        pool, k = max(50, n // 8), max(3, n // 600)
        weights = [1.0 / (rank + k) ** 1.1 for rank in range(pool)]
        picks = rng.choices(range(pool), weights, k=n)
        ids: dict[int, int] = {}
        hourly = (_HOURLY, _HOURLY, _HOURLY_MOBILE)
        out: list[_Event] = []
        while len(out) < n:
            pick = picks[len(out)]
            if pick not in ids:
                ids[pick] = self.add()
            vehicle = ids[pick]
            home = self.vehicles[vehicle].home
            camera = home if rng.random() < 0.7 else rng.choices(range(3), _CAMERA_SHARE)[0]
            day = rng.randrange(self.days + 1)
            at = self.at(day, rng.choices(range(24), hourly[camera])[0] + rng.random())
            if 0 <= at < self.span:
                out.append(_Event(at, vehicle, camera))
        return out


def _random_plate(rng: random.Random) -> str:
    """A California-style plate: mostly 7ABC123, some ABC1234, 1ABC23 and vanity."""
    letters = "".join(rng.choices(_SEQ_LETTERS, k=3))
    r = rng.random()
    if r < 0.80:
        return f"{rng.randint(5, 9)}{letters}{rng.randint(0, 999):03d}"
    if r < 0.89:
        return f"{letters}{rng.randint(0, 9999):04d}"
    if r < 0.95:
        return f"{rng.randint(1, 9)}{letters}{rng.randint(0, 99):02d}"
    return "".join(rng.choices(_ALPHABET, k=rng.randint(4, 7)))


def _vehicle(plate: str, home: int, rng: random.Random) -> _Vehicle:
    """The plate with the misread and the short reading the reader may give it."""
    swappable = [i for i, ch in enumerate(plate) if ch in _MISREAD]
    if swappable:
        i = rng.choice(swappable)
        misread = plate[:i] + _MISREAD[plate[i]] + plate[i + 1 :]
    else:
        misread = plate[:-1] + ("1" if plate[-1] != "1" else "7")
    short = plate[1:] if rng.random() < 0.5 else plate[:-1]
    return _Vehicle(plate, misread, short, home)


def _local_midnight(moment: dt.datetime) -> dt.datetime:
    local = moment.astimezone(_LOCAL_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def _timezone() -> dt.tzinfo:
    """Sacramento's time zone; a fixed UTC-8 where the zone database is missing."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Los_Angeles")
    except Exception:  # no tzdata (Windows without the package)
        return dt.timezone(dt.timedelta(hours=-8), "PST")


_LOCAL_TZ = _timezone()


def local_hour(moment: dt.datetime) -> int:
    """The hour of ``moment`` at the demo's cameras (what the day/night rhythm follows)."""
    return moment.astimezone(_LOCAL_TZ).hour


def _batches(
    vehicles: list[_Vehicle],
    events: list[_Event],
    origin: dt.datetime,
    seed: int,
    size: int,
    stop: threading.Event,
    rendered: set[int],
) -> Iterator[list[VehicleRead]]:
    """The reads, ``size`` at a time, each plate's crop rendered at its first pass."""
    renderer = _CropRenderer(seed)
    rng = random.Random(seed + 1)
    for start in range(0, len(events), size):
        batch = []
        for i in range(start, min(start + size, len(events))):
            if i % 200 == 0 and stop.is_set():
                return
            event = events[i]
            vehicle = vehicles[event.vehicle]
            if vehicle.crop is None:
                vehicle.crop = renderer.render(vehicle.plate, event.vehicle)
                rendered.add(event.vehicle)
            batch.append(_read(vehicle, event, origin, seed, i, rng))
            if vehicle.last_use == i:
                vehicle.crop = None  # its last pass: the image is stored, free the bytes
        if stop.is_set():
            return
        yield batch


class _CropRenderer:
    """The plate renderer's image of a plate, scaled as a reader's crop, as JPEG."""

    def __init__(self, seed: int) -> None:
        from alpr_desktop.recognition.synth import find_fonts

        self.seed = seed
        self.fonts = find_fonts(system=False)  # the same fonts on every machine

    def render(self, plate: str, key: int) -> EncodedImage:
        import cv2
        import numpy as np

        from alpr_desktop.recognition.synth import render_plate

        image, _, _ = render_plate(np.random.default_rng([self.seed, key]), [plate], self.fonts)
        crop = cv2.resize(image, (_CROP_W, _CROP_H), interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 82])
        if not ok:
            raise RuntimeError("cannot encode a demo crop as JPEG")
        return EncodedImage(data.tobytes(), "image/jpeg", _CROP_W, _CROP_H)


_CROP_W, _CROP_H, _FRAME = 160, 80, (1280, 720)


def _read(
    vehicle: _Vehicle, event: _Event, origin: dt.datetime, seed: int, i: int, rng: random.Random
) -> VehicleRead:
    at = origin + dt.timedelta(seconds=event.at)
    night = not 6 <= local_hour(at) < 20
    mobile = event.camera == 2
    top = 0.985 - 0.06 * night - 0.04 * mobile
    confidence = round(max(0.55, min(0.995, rng.gauss(top, 0.045))), 3)
    misread = event.story == "misread" or (not event.story and rng.random() < 0.04)
    alternatives: list[Candidate] = []
    if misread:
        text, confidence = vehicle.misread, round(rng.uniform(0.58, 0.78), 3)
        alternatives.append(Candidate(vehicle.plate, round(confidence * rng.uniform(0.7, 0.95), 3)))
    else:
        text = vehicle.plate
        if rng.random() < 0.7:
            second = round(confidence * rng.uniform(0.15, 0.6), 3)
            alternatives.append(Candidate(vehicle.misread, second))
    if rng.random() < 0.35:
        low = alternatives[-1].confidence if alternatives else confidence
        alternatives.append(Candidate(vehicle.short, round(low * rng.uniform(0.2, 0.7), 3)))
    lat = lon = None
    if mobile:
        lat, lon = _PARKED_AT if event.story == "parked" else _street_point(rng)
        lat, lon = lat + rng.gauss(0, 3e-5), lon + rng.gauss(0, 4e-5)
    width = int(rng.uniform(150, 200))
    box = PlateBox(int(rng.uniform(300, 900)), int(rng.uniform(420, 560)), width, width // 2, 0.9)
    return VehicleRead(
        camera_name=CAMERAS[event.camera],
        read_at=at,
        plate_text=text,
        confidence=confidence,
        alternatives=tuple(alternatives),
        box=box,
        frames_voted=rng.randint(3, 14),
        crop=vehicle.crop,  # type: ignore[arg-type]  # rendered by _batches
        latitude=lat,
        longitude=lon,
        read_uuid=str(uuid.uuid5(_NAMESPACE, f"{seed}-{i}")),
        frame_size=_FRAME,
    )


def _street_point(rng: random.Random) -> tuple[float, float]:
    """A point on one of the downtown grid's streets within ~1.2 km of the patrol loop."""
    along = rng.uniform(-1200.0, 1200.0)
    across = _BLOCK_M * rng.randint(-6, 6)
    east, north = (along, across) if rng.random() < 0.5 else (across, along)
    cos, sin = math.cos(_GRID_ROTATION), math.sin(_GRID_ROTATION)
    east, north = east * cos - north * sin, east * sin + north * cos
    lat0, lon0 = _GRID_ORIGIN
    m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(lat0))
    return lat0 + north / _M_PER_DEG_LAT, lon0 + east / m_per_deg_lon
