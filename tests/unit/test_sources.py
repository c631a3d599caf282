"""Frame sources on real streams: MJPEG over HTTP (stopped and restarted), RTSP, files, folders.

No models here. Waits are on events set by the sources' callbacks, never fixed sleeps.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr_desktop.core.sources import display_source
from alpr_desktop.recognition.sources import (
    Backoff,
    Frame,
    FrameSource,
    SourceState,
    SourceStatus,
    open_source,
)

FAST = Backoff(initial_s=0.1, factor=2.0, max_s=0.4)


class Recorder:
    """Collects a source's states; waits for a condition on them."""

    def __init__(self) -> None:
        self.states: list[SourceStatus] = []
        self._cond = threading.Condition()

    def __call__(self, status: SourceStatus) -> None:
        with self._cond:
            self.states.append(status)
            self._cond.notify_all()

    def wait_for(self, pred: Callable[[list[SourceStatus]], bool], timeout: float = 20) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: pred(self.states), timeout), self.states

    def wait_state(self, state: SourceState, after: int = 0, timeout: float = 20) -> SourceStatus:
        self.wait_for(lambda s: any(x.state is state for x in s[after:]), timeout)
        return next(x for x in self.states[after:] if x.state is state)


def _frame_image(value: int) -> bytes:
    img = np.full((120, 160, 3), value, np.uint8)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


class MjpegServer:
    """A multipart/x-mixed-replace JPEG stream from the standard library's HTTP server.

    Frames carry ``value`` as their grey level, so a test tells two server runs apart;
    or, given ``frames`` (JPEG bytes), each connection streams those from the first.
    """

    def __init__(self, frames: list[bytes] | None = None) -> None:
        self.port = _free_port()
        self.value = 40
        self.frames = frames
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    def start(self) -> None:
        server = self
        self._stopping.clear()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    i = 0
                    while not server._stopping.wait(0.04):
                        data = (
                            server.frames[i % len(server.frames)]
                            if server.frames
                            else (_frame_image(server.value))
                        )
                        i += 1
                        self.wfile.write(
                            b"--frame\r\nContent-Type: image/jpeg\r\n"
                            + f"Content-Length: {len(data)}\r\n\r\n".encode()
                            + data
                            + b"\r\n"
                        )
                except (BrokenPipeError, ConnectionResetError):
                    pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = False
        self._httpd.block_on_close = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="mjpeg-server")
        self._thread.start()

    def stop(self) -> None:
        """Stop mid-stream: open connections are closed."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()  # joins the handler threads
            self._httpd = None
        if self._thread is not None:
            self._thread.join()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mjpeg() -> Iterator[MjpegServer]:
    server = MjpegServer()
    server.start()
    yield server
    server.stop()


def _until(pred: Callable[[], bool], timeout: float = 10) -> None:
    done = threading.Event()
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached"
        done.wait(0.02)


def _take_until(source: FrameSource, pred: Callable[[Frame], bool], timeout: float = 20) -> Frame:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = source.take(timeout=0.5)
        if frame is not None and pred(frame):
            return frame
    raise AssertionError(f"no such frame; status {source.status}")


def test_mjpeg_source_reconnects_after_the_server_stops_mid_stream(mjpeg: MjpegServer) -> None:
    rec = Recorder()
    source = open_source(mjpeg.url, name="gate", backoff=FAST, on_state=rec, read_timeout_s=2)
    source.start()
    try:
        rec.wait_state(SourceState.LIVE)
        first = _take_until(source, lambda f: int(f.image[60, 80, 0]) in range(35, 46))
        assert first.image.shape == (120, 160, 3)
        mark = len(rec.states)
        mjpeg.stop()
        dropped = rec.wait_state(SourceState.RECONNECTING, after=mark)
        assert dropped.next_try_at is not None and dropped.message
        mjpeg.value = 200
        mjpeg.start()
        rec.wait_state(SourceState.LIVE, after=mark)
        later = _take_until(source, lambda f: int(f.image[60, 80, 0]) > 180)
        assert later.index > first.index
    finally:
        source.stop()
        assert source.join(10)
    assert source.status.state is SourceState.STOPPED
    assert source.counters.frames_read > 2


def _write_video(path: Path, frames: int, fps: float = 25.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (160, 120))
    for i in range(frames):
        writer.write(np.full((120, 160, 3), (i * 10) % 250, np.uint8))
    writer.release()


def test_video_file_read_fast_gives_every_frame_then_stops(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    _write_video(path, 12)
    rec = Recorder()
    source = open_source(str(path), realtime=False, on_state=rec)
    source.start()
    frames = []
    while not source.exhausted:
        frame = source.take(timeout=0.5)
        if frame is not None:
            frames.append(frame)
    assert source.join(5)
    assert [f.index for f in frames] == list(range(12))
    assert frames[5].position_s == pytest.approx(5 / 25)
    gap = (frames[5].captured_at - frames[0].captured_at).total_seconds()
    assert gap == pytest.approx(0.2)
    assert rec.states[-1].state is SourceState.STOPPED
    assert rec.states[-1].message == "end of file after 12 frames"
    assert source.counters.frames_skipped == 0


def test_realtime_file_keeps_only_the_newest_frame(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    _write_video(path, 10, fps=50.0)
    rec = Recorder()
    source = open_source(str(path), realtime=True, on_state=rec)
    source.start()
    rec.wait_state(SourceState.STOPPED)  # nobody took a frame meanwhile
    last = source.take(timeout=1)
    assert last is not None and last.index == 9
    assert source.take(timeout=0.05) is None
    assert source.counters.skipped_busy == 9
    assert source.exhausted and source.join(5)


def _old_image(path: Path, value: int) -> None:
    cv2.imwrite(str(path), np.full((40, 60, 3), value, np.uint8))
    os.utime(path, (time.time() - 10, time.time() - 10))  # finished being written


def test_watched_folder_gives_new_images_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    _old_image(folder / "b.png", 20)
    _old_image(folder / "a.png", 10)
    (folder / "c.jpg").write_bytes(b"not an image")
    os.utime(folder / "c.jpg", (time.time() - 10, time.time() - 10))
    (folder / "notes.txt").write_text("ignored")
    source = open_source(str(folder), poll_s=0.05)
    source.start()
    try:
        values = [int(_take_until(source, lambda f: True).image[0, 0, 0]) for _ in range(2)]
        assert values == [10, 20]
        _old_image(folder / "d.png", 30)
        assert int(_take_until(source, lambda f: True).image[0, 0, 0]) == 30
        _until(lambda: source.counters.skipped_unreadable == 1)  # c.jpg, after its tries
        assert source.status.state is SourceState.LIVE
    finally:
        source.stop()
        assert source.join(5)


def test_bad_sources_fail_with_a_clear_message_and_others_go_on(
    tmp_path: Path, mjpeg: MjpegServer
) -> None:
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(os.urandom(4096))
    closed_port = _free_port()
    give_up = Backoff(initial_s=0.05, max_s=0.1, max_attempts=2)
    cases = {
        "unreachable": (f"http://127.0.0.1:{closed_port}/cam", "connection refused"),
        "corrupt": (str(corrupt), "cannot be opened (corrupt"),
        "no camera": ("63", "camera 63 does not exist"),
        "no folder": (str(tmp_path / "missing-folder"), "not found"),
    }
    recorders = {name: Recorder() for name in cases}
    sources = [
        open_source(text, name=name, on_state=recorders[name], backoff=give_up)
        for name, (text, _) in cases.items()
    ]
    good_rec = Recorder()
    good = open_source(mjpeg.url, name="good", on_state=good_rec)
    for s in [*sources, good]:
        s.start()
    try:
        for name, (_, expected) in cases.items():
            failed = recorders[name].wait_state(SourceState.FAILED)
            assert expected in failed.message, failed
            assert failed.source == name
        assert any(s.state is SourceState.RECONNECTING for s in recorders["unreachable"].states)
        assert "gave up after 2 attempts" in recorders["unreachable"].states[-1].message
        good_rec.wait_state(SourceState.LIVE)
        _take_until(good, lambda f: True)
        assert good.status.state is SourceState.LIVE
    finally:
        for s in [*sources, good]:
            s.stop()
        assert all(s.join(10) for s in [*sources, good])


_LOCKED_CHILD = """
import sys, threading
from alpr_desktop.recognition.sources import open_source
done, out = threading.Event(), []
def on_state(status):
    if status.state.terminal:
        out.append(status)
        done.set()
source = open_source(sys.argv[1], on_state=on_state)
source.start()
done.wait(20)
source.stop()
source.join(5)
print(out[0].state.value, out[0].message)
"""


def test_folder_without_permission_fails(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0)
    try:
        if os.geteuid() != 0:
            rec = Recorder()
            source = open_source(str(folder), on_state=rec)
            source.start()
            try:
                message = rec.wait_state(SourceState.FAILED).message
            finally:
                source.stop()
                source.join(5)
        else:
            # root reads any folder whatever its mode: run the source in a child whose
            # capabilities to override file permissions are dropped (util-linux setpriv)
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root and setpriv (util-linux) is not installed")
            drop = [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]
            child = subprocess.run(
                [*drop, sys.executable, "-c", _LOCKED_CHILD, str(folder)],
                capture_output=True,
                text=True,
                timeout=60,
                cwd=Path(__file__).resolve().parents[2],
            )
            assert child.returncode == 0, child.stderr
            message = child.stdout.strip()
            assert message.startswith("failed "), message
        assert f"folder {folder} cannot be read (permission denied)" in message
    finally:
        folder.chmod(0o700)


def test_urls_in_messages_hide_passwords() -> None:
    assert display_source("rtsp://admin:secret@10.0.0.5:554/live?token=abc") == (
        "rtsp://admin:***@10.0.0.5:554/live?…"
    )
    assert display_source("/videos/a.mp4") == "/videos/a.mp4"


def _rtsp_server_available() -> bool:
    python = shutil.which("python3", path="/usr/bin")
    if python is None:
        return False
    probe = "import gi; gi.require_version('GstRtspServer', '1.0')"
    probe += "; from gi.repository import GstRtspServer"
    return subprocess.run([python, "-c", probe], capture_output=True).returncode == 0


@pytest.mark.skipif(
    not _rtsp_server_available(),
    reason="needs Debian's python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good",
)
def test_rtsp_source_reads_a_gstreamer_rtsp_server() -> None:
    port = _free_port()
    script = Path(__file__).with_name("_rtsp_server.py")
    server = subprocess.Popen(
        ["/usr/bin/python3", str(script), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        rec = Recorder()
        source = open_source(f"rtsp://127.0.0.1:{port}/test", on_state=rec, backoff=FAST)
        source.start()
        try:
            rec.wait_state(SourceState.LIVE)
            frame = _take_until(source, lambda f: True)
            assert frame.image.shape == (240, 320, 3)
        finally:
            source.stop()
            assert source.join(10)
    finally:
        server.terminate()
        server.wait(10)
        assert server.stdout is not None
        server.stdout.close()
