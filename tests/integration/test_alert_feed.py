"""The alert feed: in process on SQLite, LISTEN/NOTIFY across processes on PostgreSQL.

On PostgreSQL two ``alpr-desktop alerts watch`` processes (two dispatcher workstations)
receive the alerts a third process, the headless node ``alpr-desktop recognize`` on the
project-rendered video, raises; and a feed whose listener connection is cut, or whose
server backend is killed, catches up when it is back.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from alpr_desktop.app import Application, open_application
from alpr_desktop.core.roles import Role
from alpr_desktop.services.alert_feed import AlertFeed, FeedState, FeedStatus
from alpr_desktop.services.alerts import AlertBatch
from alpr_desktop.services.base import Actor
from alpr_desktop.services.hotlist_fields import EntryFields
from alpr_desktop.settings import LocalConfig
from tests.conftest import (
    ADMIN_PASSWORD,
    REPO_ROOT,
    USER_PASSWORD,
    create_active_user,
    create_admin,
    make_app,
)
from tests.integration.ingest_helpers import TcpForwarder, make_read


class Collector:
    """What a feed delivered, for a test to wait on."""

    def __init__(self) -> None:
        self.batches: queue.Queue[AlertBatch] = queue.Queue()
        self.states: list[FeedState] = []
        self._state_changed = threading.Condition()

    def on_batch(self, batch: AlertBatch) -> None:
        self.batches.put(batch)

    def on_status(self, status: FeedStatus) -> None:
        with self._state_changed:
            self.states.append(status.state)
            self._state_changed.notify_all()

    def next_batch(self, timeout: float = 10.0) -> AlertBatch:
        return self.batches.get(timeout=timeout)

    def wait_state(self, state: FeedState, timeout: float = 20.0) -> None:
        with self._state_changed:
            assert self._state_changed.wait_for(
                lambda: bool(self.states) and self.states[-1] is state, timeout
            ), self.states


def _stolen(app: Application, admin: Actor, *plates: str) -> None:
    hotlist = app.services.hotlists.create(admin, "Stolen vehicles")
    for plate in plates:
        app.services.hotlists.add_entry(admin, hotlist.id, EntryFields(plate, "stolen_vehicle"))


def _raise(app: Application, index: int, plate: str = "7ABC123") -> list[int]:
    read = replace(make_read(index, tag="feed"), plate_text=plate, alternatives=())
    return list(app.services.ingest.store([read]).alerts)


@pytest.fixture
def feed_factory() -> Iterator[list[AlertFeed]]:
    feeds: list[AlertFeed] = []
    yield feeds
    for feed in feeds:
        feed.stop()


def _start(
    feeds: list[AlertFeed], app: Application, actor: Actor, poll: float = 3600.0
) -> tuple[AlertFeed, Collector]:
    collector = Collector()
    feed = AlertFeed(
        app.services,
        actor,
        on_batch=collector.on_batch,
        on_status=collector.on_status,
        poll_interval=poll,
    )
    feeds.append(feed)
    feed.start()
    return feed, collector


def test_sqlite_feed_is_woken_in_process(
    sqlite_app: Application, feed_factory: list[AlertFeed]
) -> None:
    admin = create_admin(sqlite_app)
    dispatcher = create_active_user(sqlite_app, admin, "disp.one", [Role.DISPATCHER])
    _stolen(sqlite_app, admin, "7ABC123")
    [pending] = _raise(sqlite_app, 1)
    feed, got = _start(feed_factory, sqlite_app, dispatcher)  # no polling: only wake-ups
    first = got.next_batch()
    assert [a.id for a in first.new] == [pending]
    got.wait_state(FeedState.LIVE)
    started = time.monotonic()
    [raised] = _raise(sqlite_app, 2)
    batch = got.next_batch(timeout=5)
    assert [a.id for a in batch.new] == [raised]
    assert time.monotonic() - started < 5
    # A decision elsewhere reaches the feed as "decided".
    sqlite_app.services.alerts.dispose(dispatcher, raised, accept=False, reason="Misread")
    decided = got.next_batch(timeout=5)
    assert [a.id for a in decided.decided] == [raised]
    feed.stop()
    assert feed.status.state is FeedState.STOPPED


def test_a_feed_stops_when_the_session_ends(
    sqlite_app: Application, feed_factory: list[AlertFeed]
) -> None:
    admin = create_admin(sqlite_app)
    dispatcher = create_active_user(sqlite_app, admin, "disp.one", [Role.DISPATCHER])
    feed, got = _start(feed_factory, sqlite_app, dispatcher, poll=0.2)
    got.next_batch()
    sqlite_app.services.auth.record_session_event(dispatcher, "logout")
    got.wait_state(FeedState.STOPPED, timeout=10)
    assert "signed out" in feed.status.message


@pytest.mark.postgres
def test_a_cut_listener_catches_up_and_a_killed_backend_reconnects(
    postgres_url: str, tmp_path: Path, feed_factory: list[AlertFeed]
) -> None:
    url = make_url(postgres_url)
    proxy = TcpForwarder(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    direct = make_app(postgres_url, tmp_path / "direct")
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    workstation = open_application(
        LocalConfig(database_url=through, data_dir=tmp_path / "ws", workstation_name="ws-2")
    )
    try:
        admin = create_admin(direct)
        dispatcher = create_active_user(direct, admin, "disp.one", [Role.DISPATCHER])
        _stolen(direct, admin, "7ABC123", "8XYZ789")
        feed, got = _start(feed_factory, workstation, dispatcher)
        assert got.next_batch().new == []
        got.wait_state(FeedState.LIVE)
        [first] = _raise(direct, 1)
        assert [a.id for a in got.next_batch().new] == [first]  # NOTIFY, no polling

        proxy.stop()  # the listener's connection is cut; the port is closed
        got.wait_state(FeedState.RECONNECTING)
        [missed] = _raise(direct, 2, "8XYZ789")
        with pytest.raises(queue.Empty):
            got.next_batch(timeout=1.5)
        proxy.start()
        caught_up = got.next_batch(timeout=30)
        assert [a.id for a in caught_up.new] == [missed]
        got.wait_state(FeedState.LIVE)

        pid = feed.listener_pid
        assert pid is not None
        killer = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with killer.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
        killer.dispose()
        [after_kill] = _raise(direct, 3)
        batch = got.next_batch(timeout=30)
        assert [a.id for a in batch.new] == [after_kill]
        assert feed.listener_pid not in (None, pid)
    finally:
        for f in feed_factory:
            f.stop()
        workstation.close()
        direct.close()
        proxy.stop()


def _watch(env: dict[str, str], url: str, user: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "alpr_desktop",
            "--database-url",
            url,
            "alerts",
            "watch",
            "--json",
            "--new-only",
            "--user",
            user,
        ],
        env={**env, "ALPR_PASSWORD": USER_PASSWORD},
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _lines(stream: object, out: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        out.put(line)


@pytest.mark.postgres
@pytest.mark.ocr
def test_two_workstations_receive_the_alerts_the_headless_node_raises(
    postgres_url: str, tmp_path: Path
) -> None:
    pytest.importorskip("torch", reason="the plate reader needs the 'ocr' extra")
    from alpr_desktop.recognition.demo_video import demo_video

    video = demo_video(tmp_path / "cache", passes=4)
    app = make_app(postgres_url, tmp_path / "setup")
    try:
        admin = create_admin(app)
        for name in ("disp.one", "disp.two"):
            create_active_user(app, admin, name, [Role.DISPATCHER])
        _stolen(app, admin, *(p.plate for p in video.passes))
    finally:
        app.close()
    env = {**os.environ, "ALPR_CONFIG_DIR": str(tmp_path / "config")}
    watchers, outputs, errors = [], [], []
    readers: list[threading.Thread] = []
    for index, name in enumerate(("disp.one", "disp.two")):
        watcher = _watch({**env, "ALPR_DATA_DIR": str(tmp_path / f"ws{index}")}, postgres_url, name)
        out: queue.Queue[str] = queue.Queue()
        err: queue.Queue[str] = queue.Queue()
        for stream, into in ((watcher.stdout, out), (watcher.stderr, err)):
            reader = threading.Thread(target=_lines, args=(stream, into), daemon=True)
            reader.start()
            readers.append(reader)
        watchers.append(watcher)
        outputs.append(out)
        errors.append(err)
    try:
        for err, watcher in zip(errors, watchers, strict=True):
            seen = [err.get(timeout=60)]
            while seen[-1].strip() != "alerts: live":  # start-up warnings come first
                assert watcher.poll() is None, seen
                seen.append(err.get(timeout=60))
        node = subprocess.run(
            [
                sys.executable,
                "-m",
                "alpr_desktop",
                "--database-url",
                postgres_url,
                "recognize",
                "--user",
                "admin",
                "--source",
                str(video.path),
                "--fast",
            ],
            env={**env, "ALPR_DATA_DIR": str(tmp_path / "node"), "ALPR_PASSWORD": ADMIN_PASSWORD},
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert node.returncode == 0, node.stderr[-3000:]
        received: list[set[int]] = []
        for out in outputs:
            ids: set[int] = set()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    ids.add(json.loads(out.get(timeout=1))["id"])
                except queue.Empty:
                    if ids:
                        break
            received.append(ids)
        assert received[0] and received[0] == received[1], received
        assert len(received[0]) >= len(video.passes) - 1
    finally:
        for watcher in watchers:
            watcher.terminate()
        for watcher, err in zip(watchers, errors, strict=True):
            code = watcher.wait(20)
            for reader in readers:
                reader.join(10)
            for stream in (watcher.stdout, watcher.stderr):
                assert stream is not None
                stream.close()
            left = [err.get_nowait() for _ in range(err.qsize())]
            assert code == 0, left


def test_watch_refused_without_the_role_is_one_line(tmp_path: Path) -> None:
    from alpr_desktop.storage.engine import sqlite_url

    url = sqlite_url(tmp_path / "db" / "alpr.sqlite3")
    app = make_app(url, tmp_path / "setup")
    try:
        admin = create_admin(app)
        create_active_user(app, admin, "inv.one", [Role.INVESTIGATOR])
    finally:
        app.close()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "alpr_desktop",
            "--database-url",
            url,
            "alerts",
            "watch",
            "--user",
            "inv.one",
            "--password-stdin",
        ],
        input=USER_PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "ALPR_CONFIG_DIR": str(tmp_path / "config")},
        timeout=60,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        "alpr-desktop: Your roles do not allow you to review alert."
    )
