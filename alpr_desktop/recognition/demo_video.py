"""A sample video the project renders itself: drawn vehicles with rendered plates passing.

:func:`demo_video` writes (once, into the cache) a 1280x720 video of vehicles crossing a
drawn street in two lanes, each carrying a plate drawn by the project's renderer
(:func:`alpr_desktop.recognition.synth.render_plate`), and returns its path with the
ground truth: which plate passed, in which lane, and when it was fully in view.
:func:`write_demo_gpx` writes a GPX track for a mobile unit driving while the video plays.

Needs Pillow and the font packages of the ``ocr`` extra (the renderer's). The video
depends only on the seed and the fonts (:func:`find_fonts` with ``system=False``), so
every machine with the extra renders the same plates.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import platformdirs

from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.recognition.synth import find_fonts, random_plate, render_plate

#: Bump when the drawing changes, so caches from an older version are not used.
VERSION = 1
WIDTH, HEIGHT = 1280, 720
FPS = 25.0
DEFAULT_SEED = 2026
DEFAULT_PASSES = 8
#: Lanes: (top of the vehicle body, scale); the far lane above the near one, no overlap.
LANES = ((150, 0.78), (400, 1.0))
U8 = npt.NDArray[Any]


@dataclass(frozen=True)
class DemoPass:
    """One vehicle pass: its plate, lane (0 far, 1 near), and when its plate is in view."""

    plate: str
    lane: int
    left_to_right: bool
    visible_from_s: float
    visible_to_s: float


@dataclass(frozen=True)
class DemoVideo:
    path: Path
    fps: float
    frame_count: int
    passes: tuple[DemoPass, ...]

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps


def match_passes(
    video: DemoVideo, reads: Sequence[VehicleRead], origin: dt.datetime, slack_s: float = 0.5
) -> list[tuple[DemoPass, list[VehicleRead]]]:
    """Each pass with the reads made in its lane while its plate was in view.

    Args:
        video: the ground truth.
        reads: reads of one playback of the video.
        origin: when that playback started (a file source's frame 0 ``captured_at``).
        slack_s: seconds added to each side of a pass's window.
    """
    out = []
    for p in video.passes:
        lo = origin + dt.timedelta(seconds=p.visible_from_s - slack_s)
        hi = origin + dt.timedelta(seconds=p.visible_to_s + slack_s)
        mine = [
            r for r in reads if lo <= r.read_at <= hi and (r.box.y >= LANES[1][0]) == bool(p.lane)
        ]
        out.append((p, mine))
    return out


def cache_dir() -> Path:
    """Where rendered samples are kept: ``ALPR_CACHE_DIR`` or the user's cache folder."""
    root = os.environ.get("ALPR_CACHE_DIR") or platformdirs.user_cache_dir("alpr-desktop")
    return Path(root) / "demo"


@dataclass
class _Vehicle:
    sprite: U8
    mask: U8
    plate_box: tuple[int, int, int, int]  # x0, y0, x1, y1 inside the sprite
    lane: int
    start_s: float
    speed: float  # px/s, signed
    text: str

    def x_at(self, t: float) -> float:
        w = self.sprite.shape[1]
        start_x = -w if self.speed > 0 else WIDTH
        return start_x + self.speed * (t - self.start_s)


def demo_video(
    directory: Path | None = None,
    *,
    seed: int = DEFAULT_SEED,
    passes: int = DEFAULT_PASSES,
) -> DemoVideo:
    """The sample video and its ground truth, rendering it the first time.

    Args:
        directory: where to keep it (default :func:`cache_dir`).
        seed: fixes the plates, colours and timing.
        passes: how many vehicles pass.
    """
    folder = Path(directory) if directory is not None else cache_dir()
    stem = f"demo-v{VERSION}-s{seed}-n{passes}"
    path, truth = folder / f"{stem}.mp4", folder / f"{stem}.json"
    if path.is_file() and truth.is_file():
        try:
            return _load_truth(path, truth)
        except (ValueError, KeyError, TypeError):
            pass  # damaged cache: render again
    folder.mkdir(parents=True, exist_ok=True)
    vehicles = _plan(np.random.default_rng([seed, VERSION]), passes)
    frame_count = _render(vehicles, path)
    video = DemoVideo(path, FPS, frame_count, tuple(_truth_of(v) for v in vehicles))
    tmp = truth.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(
        json.dumps(
            {"fps": FPS, "frames": frame_count, "passes": [asdict(p) for p in video.passes]}
        ),
        encoding="utf-8",
    )
    os.replace(tmp, truth)
    return video


def _load_truth(path: Path, truth: Path) -> DemoVideo:
    data = json.loads(truth.read_text(encoding="utf-8"))
    passes = tuple(DemoPass(**p) for p in data["passes"])
    return DemoVideo(path, float(data["fps"]), int(data["frames"]), passes)


def _plan(rng: np.random.Generator, count: int) -> list[_Vehicle]:
    """Vehicles with distinct plates; a lane holds one vehicle at a time."""
    fonts = find_fonts(system=False)
    vehicles: list[_Vehicle] = []
    lane_free = [0.3, 1.2]
    texts: set[str] = set()
    while len(vehicles) < count:
        text, groups = random_plate(rng)
        if text in texts or len(text) < 5:
            continue
        texts.add(text)
        lane = int(rng.integers(2)) if len(vehicles) > 1 else len(vehicles)
        scale = LANES[lane][1]
        sprite, mask, plate_box = _draw_vehicle(rng, groups, fonts, scale)
        speed = float(rng.uniform(420, 620)) * scale * (1 if rng.random() < 0.6 else -1)
        start = lane_free[lane] + float(rng.uniform(0.0, 0.6))
        v = _Vehicle(sprite, mask, plate_box, lane, start, speed, text)
        lane_free[lane] = start + (WIDTH + sprite.shape[1]) / abs(speed) + 0.3
        vehicles.append(v)
    return vehicles


def _truth_of(v: _Vehicle) -> DemoPass:
    x0, _, x1, _ = v.plate_box
    # the plate is fully in the frame while 0 <= x + x0 and x + x1 <= WIDTH
    t_a = v.start_s + (-x0 - v.x_at(v.start_s)) / v.speed
    t_b = v.start_s + (WIDTH - x1 - v.x_at(v.start_s)) / v.speed
    lo, hi = sorted((t_a, t_b))
    return DemoPass(v.text, v.lane, v.speed > 0, round(lo, 3), round(hi, 3))


def _draw_vehicle(
    rng: np.random.Generator, groups: list[str], fonts: Any, scale: float
) -> tuple[U8, U8, tuple[int, int, int, int]]:
    """A vehicle seen from behind (sprite, mask, plate box), scaled to its lane."""
    w, h = 460, 270
    img: U8 = np.zeros((h, w, 3), np.uint8)
    mask: U8 = np.zeros((h, w), np.uint8)
    body = tuple(int(c) for c in rng.integers(30, 230, 3))
    roof = np.array([[80, 0], [w - 80, 0], [w - 30, 95], [30, 95]], np.int32)
    for target, color in ((img, body), (mask, 255)):
        cv2.fillConvexPoly(target, roof, color)
        cv2.rectangle(target, (10, 90), (w - 10, h - 30), color, -1)
        for cx in (70, w - 70):  # wheels
            cv2.rectangle(target, (cx - 38, h - 40), (cx + 38, h - 1), color, -1)
    cv2.fillConvexPoly(
        img, np.array([[98, 12], [w - 98, 12], [w - 55, 85], [55, 85]]), (60, 50, 45)
    )
    for cx in (70, w - 70):
        cv2.rectangle(img, (cx - 38, h - 40), (cx + 38, h - 1), (25, 25, 25), -1)
    for x0 in (22, w - 92):  # tail lights
        cv2.rectangle(img, (x0, 110), (x0 + 70, 145), (30, 30, 200), -1)
    cv2.rectangle(img, (10, h - 70), (w - 10, h - 30), (45, 45, 45), -1)  # bumper
    plate, _, _ = render_plate(rng, groups, fonts)
    pw = int(rng.uniform(170, 190))
    ph = round(plate.shape[0] * pw / plate.shape[1])
    plate = cv2.resize(plate, (pw, ph), interpolation=cv2.INTER_AREA)
    px, py = (w - pw) // 2, h - 72 - ph // 2
    py = min(py, h - 32 - ph)
    img[py : py + ph, px : px + pw] = plate
    box = (px, py, px + pw, py + ph)
    if scale != 1.0:
        size = (round(w * scale), round(h * scale))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
        box = (
            round(box[0] * scale),
            round(box[1] * scale),
            round(box[2] * scale),
            round(box[3] * scale),
        )
    return img, mask, box


def _background() -> U8:
    img = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    img[:] = (150, 140, 130)
    for i, x in enumerate(range(0, WIDTH, 160)):  # buildings
        top = 20 + (i * 37) % 90
        cv2.rectangle(img, (x + 6, top), (x + 150, 140), (95 + i * 7 % 40, 105, 120), -1)
        for wy in range(top + 12, 130, 26):
            for wx in range(x + 18, x + 140, 30):
                cv2.rectangle(img, (wx, wy), (wx + 14, wy + 14), (170, 190, 200), -1)
    cv2.rectangle(img, (0, 140), (WIDTH, HEIGHT), (85, 85, 85), -1)  # road
    for x in range(0, WIDTH, 120):
        cv2.rectangle(img, (x, 392), (x + 60, 400), (220, 220, 220), -1)  # lane marks
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 6, (HEIGHT // 4, WIDTH // 4, 1)).astype(np.float32)
    texture = cv2.resize(noise, (WIDTH, HEIGHT))[..., None]
    return np.clip(img.astype(np.float32) + texture, 0, 255).astype(np.uint8)


def _render(vehicles: list[_Vehicle], path: Path) -> int:
    """Write the frames; returns how many. Written under a temporary name, then renamed."""
    end_s = max(v.start_s + (WIDTH + v.sprite.shape[1]) / abs(v.speed) for v in vehicles) + 0.6
    frames = math.ceil(end_s * FPS)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp{path.suffix}")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise OSError(f"cannot write the demo video {tmp} (no mp4v encoder in OpenCV?)")
    background = _background()
    try:
        for i in range(frames):
            frame = background.copy()
            for v in vehicles:
                _paste(frame, v, i / FPS)
            writer.write(frame)
    finally:
        writer.release()
    os.replace(tmp, path)
    return frames


def _paste(frame: U8, v: _Vehicle, t: float) -> None:
    x = round(v.x_at(t))
    y = LANES[v.lane][0]
    h, w = v.sprite.shape[:2]
    x0, x1 = max(0, x), min(WIDTH, x + w)
    if x1 <= x0:
        return
    region = frame[y : y + h, x0:x1]
    sprite = v.sprite[:, x0 - x : x1 - x]
    m = v.mask[:, x0 - x : x1 - x] > 0
    region[m] = sprite[m]


def write_demo_gpx(
    path: Path, start: dt.datetime, *, duration_s: float = 3600.0, step_s: float = 1.0
) -> Path:
    """A GPX track of a mobile unit driving a loop from ``start`` for ``duration_s``.

    One point a second along a circuit of about 2 km around a Sacramento block, so a
    demo started at ``start`` finds a position for every read.
    """
    lat0, lon0 = 38.5816, -121.4944
    points = []
    n = int(duration_s / step_s) + 1
    for i in range(n):
        angle = 2 * math.pi * (i * step_s) / 300.0  # one lap every 5 minutes
        lat = lat0 + 0.003 * math.sin(angle)
        lon = lon0 + 0.004 * math.cos(angle)
        at = (start + dt.timedelta(seconds=i * step_s)).astimezone(dt.UTC)
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        points.append(f'<trkpt lat="{lat:.6f}" lon="{lon:.6f}"><time>{stamp}</time></trkpt>')
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="alpr-desktop demo" '
        'xmlns="http://www.topografix.com/GPX/1/1">\n'
        "<trk><name>Demo unit</name><trkseg>\n" + "\n".join(points) + "\n</trkseg></trk></gpx>\n"
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
