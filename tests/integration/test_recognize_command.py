"""``alpr-desktop recognize``: the headless node, end to end in a fresh process.

``init`` then ``recognize --user <that administrator> --source FILE`` on a fresh database,
with the real models on the project-rendered demo video: it exits 0 once the file has
been read to its end, and every vehicle pass is stored once, with the right text.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alpr_desktop.app import open_application
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.models import AccessRecord, PlateRead, User
from tests.conftest import ADMIN_PASSWORD, REPO_ROOT

pytest.importorskip("torch", reason="the plate reader needs the 'ocr' extra")
pytestmark = pytest.mark.ocr
LOOP_ARGS = ("recognize", "--user", "dana.w", "--source")
FAST_REPORTS = ("--loop", "--report-every", "1")


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alpr_desktop", *args],
        input="",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def node_env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "ALPR_DATA_DIR": str(tmp_path / "data"),
        "ALPR_CONFIG_DIR": str(tmp_path / "config"),
        "ALPR_PASSWORD": ADMIN_PASSWORD,
    }
    init = cli(env, "init", "--username", "dana.w", "--full-name", "Dana Whitfield")
    assert init.returncode == 0, init.stderr
    return env


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (small strings)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def stored_reads(data: Path) -> list[str]:
    app = open_application(LocalConfig(data_dir=data))
    try:
        with app.database.sessions() as session:
            return list(session.scalars(select(PlateRead.plate_text).order_by(PlateRead.read_at)))
    finally:
        app.close()


def start_node(env: dict[str, str], source: str, *extra: str) -> subprocess.Popen[str]:
    """A headless node on ``source`` in a fresh process."""
    return subprocess.Popen(
        [sys.executable, "-m", "alpr_desktop", *LOOP_ARGS, source, *extra],
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_reads(node: subprocess.Popen[str], data: Path) -> None:
    """Wait (at most two minutes) until the running node has stored a read."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not stored_reads(data):
        assert node.poll() is None, node.communicate()[1][-3000:]
        time.sleep(1)


def test_a_video_file_is_read_to_its_end_and_every_pass_stored(
    node_env: dict[str, str], tmp_path: Path
) -> None:
    from alpr_desktop.recognition.demo_video import demo_video

    video = demo_video(tmp_path / "cache", passes=4)
    result = cli(node_env, "recognize", "--user", "dana.w", "--source", str(video.path), "--fast")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "every source has ended" in result.stderr
    assert "4 reads stored" in result.stderr
    for truth in video.passes:  # no plate text in the ordinary log
        assert truth.plate not in result.stderr
    texts = stored_reads(tmp_path / "data")
    truth = sorted(p.plate for p in video.passes)
    assert len(texts) == len(truth), (texts, truth)
    # Reading accuracy is measured by benchmarks/bench_live.py; here the stored reads
    # must be those passes' plates, read right or nearly right.
    assert all(min(_distance(t, p) for p in truth) <= 1 for t in texts), (texts, truth)
    assert len(set(texts) & set(truth)) >= len(truth) - 1, (texts, truth)
    app = open_application(LocalConfig(data_dir=tmp_path / "data"))
    try:
        with app.database.sessions() as session:
            opened = session.scalar(
                select(func.count(AccessRecord.id)).where(AccessRecord.action == "run_recognition")
            )
    finally:
        app.close()
    assert opened == 1, "the run is one access record (and a summary), not one per read"


def test_sigterm_ends_a_looping_run_cleanly(node_env: dict[str, str], tmp_path: Path) -> None:
    from alpr_desktop.recognition.demo_video import demo_video

    video = demo_video(tmp_path / "cache", passes=4)
    node = start_node(node_env, str(video.path), "--loop")
    try:
        wait_for_reads(node, tmp_path / "data")
    finally:
        node.send_signal(signal.SIGTERM)
        _out, err = node.communicate(timeout=120)
    assert node.returncode == 0, err[-3000:]
    assert "SIGTERM received: stopping" in err and "0 left in the spool" in err
    assert stored_reads(tmp_path / "data")


def test_bad_sources_and_unknown_cameras_are_one_line(node_env: dict[str, str]) -> None:
    result = cli(node_env, "recognize", "--user", "dana.w", "--source", "ftp://cam.example/x")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Unsupported camera URL scheme" in result.stderr
    result = cli(node_env, "recognize", "--user", "dana.w", "--camera", "Nowhere")
    assert result.returncode == 2 and "No camera named 'Nowhere'" in result.stderr
    result = cli(node_env, "recognize", "--user", "dana.w")
    assert result.returncode == 2 and "No camera to run" in result.stderr


def test_a_failed_source_is_a_failed_run(node_env: dict[str, str], tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"not a video at all " * 1000)
    result = cli(node_env, "recognize", "--user", "dana.w", "--source", str(corrupt), "--fast")
    assert result.returncode == 1, result.stderr[-3000:]
    assert "failed" in result.stderr and "corrupt" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_ended_session_stops_the_node(node_env: dict[str, str], tmp_path: Path) -> None:
    from alpr_desktop.recognition.demo_video import demo_video
    from alpr_desktop.services.sessions import end_user_sessions

    video = demo_video(tmp_path / "cache", passes=4)
    node = start_node(node_env, str(video.path), *FAST_REPORTS)
    try:
        wait_for_reads(node, tmp_path / "data")
        # What suspending or deactivating the account does to its sessions.
        app = open_application(LocalConfig(data_dir=tmp_path / "data"))
        try:
            with app.database.sessions.begin() as session:
                admin_id = session.scalar(select(User.id).where(User.username == "dana.w"))
                assert admin_id is not None
                end_user_sessions(session, admin_id, "suspended", app.services.ctx.now())
        finally:
            app.close()
        _out, err = node.communicate(timeout=120)
    finally:
        if node.poll() is None:
            node.kill()
            node.communicate()
    assert node.returncode == 2, err[-3000:]
    assert "recognition stopped" in err
