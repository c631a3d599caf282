"""Live recognition end to end with the real models on the project-rendered demo video."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from alpr_desktop.recognition.demo_video import (
    DemoVideo,
    demo_video,
    match_passes,
    write_demo_gpx,
)
from alpr_desktop.recognition.gps import GpsTrack
from alpr_desktop.recognition.live import (
    FixedPosition,
    PreviewFrame,
    RecognitionWorker,
    WorkerSettings,
    WorkerStats,
)
from alpr_desktop.recognition.pipeline import FramePipeline
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.recognition.sources import Backoff, SourceState, SourceStatus, open_source
from tests.unit.test_sources import MjpegServer, Recorder

# Five passes of the default demo (seed 2026). The shipped reader reads the Massachusetts
# font's leading 7 of "7T8763" as Z in every frame (see benchmarks/bench_live.py), so one
# pass in five may be misread; every pass must still give exactly one read.
PASSES = 5
EXACT_FLOOR = 0.8


@pytest.fixture(scope="module")
def pipeline() -> FramePipeline:
    pytest.importorskip("torch")
    pytest.importorskip("easyocr")
    from alpr_desktop.recognition.localizer import OnnxPlateLocalizer
    from alpr_desktop.recognition.reader import load_default_reader

    return FramePipeline(OnnxPlateLocalizer(), load_default_reader())


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> DemoVideo:
    pytest.importorskip("PIL")
    return demo_video(tmp_path_factory.mktemp("demo"), passes=PASSES)


def test_demo_video_is_cached_with_its_ground_truth(video: DemoVideo) -> None:
    again = demo_video(video.path.parent, passes=PASSES)
    assert again == video
    cap = cv2.VideoCapture(str(video.path))
    try:
        assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (
            1280,
            720,
        )
    finally:
        cap.release()
    assert len({p.plate for p in video.passes}) == PASSES
    assert all(0 < p.visible_from_s < p.visible_to_s < video.duration_s for p in video.passes)


class Collector:
    def __init__(self) -> None:
        self.reads: list[VehicleRead] = []
        self.previews: list[PreviewFrame] = []
        self.stats: list[WorkerStats] = []
        self.states: list[SourceStatus] = []
        self.read_event = threading.Event()

    def on_read(self, read: VehicleRead) -> None:
        self.reads.append(read)
        self.read_event.set()


@pytest.mark.ocr
def test_video_file_gives_one_read_per_pass(pipeline: FramePipeline, video: DemoVideo) -> None:
    out = Collector()
    source = open_source(str(video.path), realtime=False)
    worker = RecognitionWorker(
        source,
        pipeline,
        camera_name="demo",
        position=FixedPosition(38.58, -121.49),
        on_read=out.on_read,
        on_preview=out.previews.append,
        on_stats=out.stats.append,
        on_state=out.states.append,
        settings=WorkerSettings(preview_fps=1000, preview_width=320),
    )
    worker.start()
    assert worker.wait_finished(300)
    assert worker.join(10)
    first = next(p for p in out.previews if p.frame_index == 0)
    start = first.captured_at  # a file's frame times are its start plus the position
    assert source.playback_origin == start
    matched = []
    for p, mine in match_passes(video, out.reads, start):
        assert len(mine) == 1, (p, [(r.plate_text, r.read_at) for r in out.reads])
        matched.append((p.plate, mine[0].plate_text))
    assert len(out.reads) == PASSES
    exact = sum(a == b for a, b in matched) / PASSES
    assert exact >= EXACT_FLOOR, matched
    read = out.reads[0]
    assert (read.latitude, read.longitude) == (38.58, -121.49)
    assert read.frames_voted >= 3 and read.context is not None and read.camera_name == "demo"
    assert out.states[-1].state is SourceState.STOPPED
    assert out.previews and out.previews[0].image.shape == (180, 320, 3)
    assert any(o.text for p in out.previews for o in p.overlays)
    final = out.stats[-1]
    assert final.frames_read == video.frame_count
    assert final.frames_processed + final.frames_skipped["no motion"] == video.frame_count
    assert final.reads == PASSES and final.errors == 0


@pytest.mark.ocr
def test_gps_track_positions_reads(
    pipeline: FramePipeline, video: DemoVideo, tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    # the track covers only the first 8 s: later reads keep no position
    track = GpsTrack.load(
        write_demo_gpx(tmp_path / "unit.gpx", now - dt.timedelta(seconds=5), duration_s=13)
    )
    out = Collector()
    worker = RecognitionWorker(
        open_source(str(video.path), realtime=False),
        pipeline,
        position=track,
        on_read=out.on_read,
    )
    worker.start()
    assert worker.wait_finished(300) and worker.join(10)
    assert out.reads
    for read in out.reads:
        expected = track.position_at(read.read_at)
        assert (read.latitude, read.longitude) == (expected or (None, None))
    assert any(r.latitude is None for r in out.reads)
    assert any(r.latitude is not None for r in out.reads)


@pytest.fixture
def demo_stream(video: DemoVideo) -> Iterator[MjpegServer]:
    frames = []
    cap = cv2.VideoCapture(str(video.path))
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    cap.release()
    server = MjpegServer(frames=frames)
    server.start()
    yield server
    server.stop()


@pytest.mark.ocr
def test_mjpeg_stream_reads_continue_after_the_camera_restarts(
    pipeline: FramePipeline, demo_stream: MjpegServer
) -> None:
    rec = Recorder()
    out = Collector()
    source = open_source(
        demo_stream.url, name="gate", backoff=Backoff(0.2, 2.0, 1.0), read_timeout_s=2
    )
    worker = RecognitionWorker(source, pipeline, on_read=out.on_read, on_state=rec)
    worker.start()
    try:
        assert out.read_event.wait(60), rec.states
        before = len(out.reads)
        mark = len(rec.states)
        demo_stream.stop()
        rec.wait_state(SourceState.RECONNECTING, after=mark)
        out.read_event.clear()
        demo_stream.start()
        rec.wait_state(SourceState.LIVE, after=mark)
        assert out.read_event.wait(60)
        assert len(out.reads) > before
        assert all(r.camera_name == "gate" for r in out.reads)
    finally:
        worker.stop()
        assert worker.join(20)
