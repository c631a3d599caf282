"""No read lost, none stored twice: database outages, a SIGKILL with reads spooled, replays.

PostgreSQL is made unreachable by a TCP forwarder between the application and the
server (stopped: the port is closed and open connections are cut; started again on the
same port). SQLite is made unavailable the way a real one is — another process holds
its write lock (a backup, a stuck writer) until the busy timeout gives up.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from alpr_desktop.app import Application
from alpr_desktop.messages import Level, Message, Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.ingest import IngestOptions
from alpr_desktop.services.ingest_spool import Spool, spool_path
from alpr_desktop.storage.models import AccessRecord, PlateRead, ReadAlternative
from tests.conftest import REPO_ROOT, create_admin, make_app
from tests.integration.ingest_helpers import TcpForwarder, make_read, read_uuid

FAST = IngestOptions(batch_size=50, max_delay=0.05, retry_initial=0.05, retry_max=0.3)


@pytest.fixture
def forwarder(postgres_url: str) -> Iterator[TcpForwarder]:
    url = make_url(postgres_url)
    proxy = TcpForwarder(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def pg_app(postgres_url: str, forwarder: TcpForwarder, tmp_path: Path) -> Iterator[Application]:
    """An application whose PostgreSQL connections all pass through ``forwarder``."""
    url = make_url(postgres_url).set(host="127.0.0.1", port=forwarder.port)
    app = make_app(url.render_as_string(hide_password=False), tmp_path)
    app.services.ingest.options = FAST
    yield app
    app.close()


def _stored_uuids(app: Application) -> list[str]:
    with app.database.sessions() as session:
        return list(session.scalars(select(PlateRead.read_uuid).order_by(PlateRead.id)))


def _alternatives(app: Application) -> int:
    with app.database.sessions() as session:
        return int(session.scalar(select(func.count(ReadAlternative.id))) or 0)


def _messages(app: Application) -> list[Message]:
    seen: list[Message] = []
    app.services.ctx.messages.subscribe(seen.append)
    return seen


@pytest.mark.postgres
def test_postgres_outage_mid_ingest_loses_and_duplicates_nothing(
    pg_app: Application, forwarder: TcpForwarder
) -> None:
    admin = create_admin(pg_app)
    messages = _messages(pg_app)
    some_stored, spooling = threading.Event(), threading.Event()
    pg_app.services.ctx.changes.subscribe(
        lambda c: some_stored.set() if c.touches(Topic.READS) else None
    )
    pg_app.services.ctx.messages.subscribe(
        lambda m: spooling.set() if m.level is Level.WARNING else None
    )
    total = 1500
    sink = pg_app.services.ingest.open_session(admin)

    def produce() -> None:
        for index in range(total):
            sink.submit(make_read(index))

    producer = threading.Thread(target=produce, name="producer")
    producer.start()
    assert some_stored.wait(timeout=30)
    forwarder.stop()  # cuts the connection, possibly in the middle of a batch
    assert spooling.wait(timeout=30)
    assert not sink.status.online
    forwarder.start()
    producer.join(timeout=60)
    assert sink.drain(timeout=120), sink.status
    status = sink.close()
    assert status.spooled > 0 and status.spool_depth == 0
    assert status.stored + status.already_stored == total
    # Every read once, in the order submitted, with its alternatives once.
    assert _stored_uuids(pg_app) == [read_uuid("t", i) for i in range(total)]
    assert _alternatives(pg_app) == 2 * total
    texts = [m.text for m in messages]
    assert any("cannot be reached" in t for t in texts)
    assert any("reachable again" in t for t in texts)


@pytest.mark.postgres
def test_close_while_unreachable_keeps_reads_and_summary(
    pg_app: Application, forwarder: TcpForwarder
) -> None:
    admin = create_admin(pg_app)
    pg_app.services.ingest.options = IngestOptions(
        retry_initial=0.05, close_replay_seconds=0.2, report_every=0.01
    )
    depth_reported = threading.Event()
    pg_app.services.ctx.messages.subscribe(
        lambda m: depth_reported.set() if "20 read(s) waiting" in m.text else None
    )
    sink = pg_app.services.ingest.open_session(admin)
    forwarder.stop()
    for index in range(20):
        sink.submit(make_read(index))
    assert sink.flush(timeout=30) and sink.spool_depth == 20
    assert depth_reported.wait(timeout=30), "the spool's depth is reported while it waits"
    status = sink.close()
    assert status.spool_depth == 20 and status.stored == 0
    path = pg_app.services.ingest.spool_file
    with sqlite3.connect(path) as spool:
        assert spool.execute("SELECT count(*) FROM reads").fetchone() == (20,)
        assert spool.execute("SELECT count(*) FROM records").fetchone() == (1,)
    forwarder.start()
    with pg_app.services.ingest.open_session(admin) as again:
        assert again.drain(timeout=60)
    assert _stored_uuids(pg_app) == [read_uuid("t", i) for i in range(20)]
    with pg_app.database.sessions() as session:
        summary = session.scalar(
            select(AccessRecord).where(
                AccessRecord.action == "run_recognition_summary",
                AccessRecord.target_id == sink.id,
            )
        )
    assert summary is not None and '"spool_depth":20' in summary.query
    assert pg_app.services.ingest.spool_depth() == 0


def _child(url: str, data_dir: Path, tag: str, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.ingest_child",
            url,
            str(data_dir),
            tag,
            str(count),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _expect(child: subprocess.Popen[str], word: str) -> str:
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line.startswith(word), f"child said {line!r}, return code {child.poll()}"
    return line


class _Outage:
    """Makes the database unavailable to other processes, and available again."""

    def __init__(self, app: Application, forwarder: TcpForwarder | None) -> None:
        self.app, self.forwarder = app, forwarder
        self._lock: sqlite3.Connection | None = None

    def begin(self) -> None:
        if self.forwarder is not None:
            self.forwarder.stop()
            return
        self._lock = sqlite3.connect(str(self.app.database.engine.url.database), timeout=10)
        self._lock.isolation_level = None
        self._lock.execute("BEGIN EXCLUSIVE")

    def end(self) -> None:
        if self.forwarder is not None:
            self.forwarder.start()
        elif self._lock is not None:
            self._lock.execute("ROLLBACK")
            self._lock.close()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_sigkill_with_reads_spooled_then_replayed_once(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "postgres":
        app: Application = request.getfixturevalue("pg_app")
        outage = _Outage(app, request.getfixturevalue("forwarder"))
    else:
        app = request.getfixturevalue("sqlite_app")
        outage = _Outage(app, None)
    admin = create_admin(app)
    url = app.database.engine.url.render_as_string(hide_password=False)
    count = 120
    with _child(url, tmp_path / "data", "k", count) as child:  # closes the pipes
        try:
            _expect(child, "READY")
            outage.begin()
            assert child.stdin is not None
            child.stdin.write("GO\n")
            child.stdin.flush()
            assert _expect(child, "SPOOLED") == f"SPOOLED {count}"
            child.send_signal(signal.SIGKILL)
            assert child.wait(timeout=30) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
            outage.end()
    spool_file = app.services.ingest.spool_file
    with sqlite3.connect(spool_file) as spool:
        spooled = [row[0] for row in spool.execute("SELECT read_uuid FROM reads ORDER BY seq")]
    assert spooled == [read_uuid("k", i) for i in range(count)], "the kill lost no spooled read"
    assert _stored_uuids(app) == []
    _replay_once(app, admin, count)


def _replay_once(app: Application, admin: Actor, count: int) -> None:
    messages = _messages(app)
    with app.services.ingest.open_session(admin) as sink:
        assert sink.drain(timeout=60), sink.status
    assert sink.status.stored == count
    assert any("left in the local spool by an earlier run" in m.text for m in messages)
    with app.services.ingest.open_session(admin) as again:
        assert again.drain(timeout=30)
    assert (again.status.stored, again.status.already_stored) == (0, 0)
    assert _stored_uuids(app) == [read_uuid("k", i) for i in range(count)]
    assert _alternatives(app) == 2 * count
    assert app.services.ingest.spool_depth() == 0


def test_replay_of_reads_already_stored_stores_nothing_twice(
    app: Application, admin: Actor
) -> None:
    """A crash after the database committed a replayed batch but before the spool forgot it."""
    app.services.ingest.options = FAST
    with app.services.ingest.open_session(admin) as sink:
        for index in range(10):
            sink.submit(make_read(index))
    spool = Spool(app.services.ingest.spool_file, app.database.engine.url)
    try:
        assert spool.append([make_read(i) for i in range(5, 15)], "admin") == 10
        assert spool.append([make_read(5)], "admin") == 0, "a read is spooled once"
    finally:
        spool.close()
    with app.services.ingest.open_session(admin) as sink:
        assert sink.drain(timeout=60)
    assert (sink.status.stored, sink.status.already_stored) == (5, 5)
    assert _stored_uuids(app) == [read_uuid("t", i) for i in range(15)]
    assert _alternatives(app) == 30


def test_spool_file_is_per_database_not_per_password(tmp_path: Path) -> None:
    a = make_url("postgresql+psycopg://alpr:one@db.example:5432/alpr")
    assert spool_path(tmp_path, a) == spool_path(tmp_path, a.set(password="two"))
    assert spool_path(tmp_path, a) != spool_path(tmp_path, a.set(database="other"))
    assert spool_path(tmp_path, a).parent == tmp_path / "spool"


def test_spool_round_trips_a_read(tmp_path: Path) -> None:
    from tests.integration.ingest_helpers import jpeg

    read = make_read(3, camera="Gate", context=jpeg(9, 64, 48))
    url = make_url("sqlite+pysqlite:///x.sqlite3")
    spool = Spool(spool_path(tmp_path, url), url)
    try:
        spool.append([read], "admin")
        ((seq, back),) = spool.oldest(10)
        assert back == read
        spool.remove([seq])
        assert spool.depth == 0 and spool.refresh() == 0
    finally:
        spool.close()
    assert oct(spool.path.stat().st_mode & 0o777) == "0o600"


def test_a_corrupt_spool_is_refused_with_a_message(sqlite_app: Application) -> None:
    from alpr_desktop.errors import StorageError

    admin = create_admin(sqlite_app)
    path = sqlite_app.services.ingest.spool_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not an SQLite file at all" * 100)
    with pytest.raises(StorageError, match="cannot be read.*Move it aside"):
        sqlite_app.services.ingest.open_session(admin)
    path.unlink()
    with sqlite_app.services.ingest.open_session(admin) as sink:
        sink.submit(make_read(1))
    assert _stored_uuids(sqlite_app) == [read_uuid("t", 1)]
