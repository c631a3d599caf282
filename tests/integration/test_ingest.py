"""The ingest service on a reachable database: what it stores, in batches, and what it refuses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading

import pytest
from sqlalchemy import func, select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied
from alpr_desktop.messages import Changes, Message, Topic
from alpr_desktop.recognition.types import PlateBox
from alpr_desktop.services.base import Actor
from alpr_desktop.services.cameras import CameraFields
from alpr_desktop.services.ingest import IngestOptions
from alpr_desktop.storage.models import (
    AccessRecord,
    PlateRead,
    ReadAlternative,
    StoredImage,
)
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import jpeg, make_read


def _count(app: Application, column: object) -> int:
    with app.database.sessions() as session:
        return int(session.scalar(select(func.count(column))) or 0)  # type: ignore[arg-type]


def _reads_changes(app: Application) -> list[Changes]:
    seen: list[Changes] = []
    app.services.ctx.changes.subscribe(lambda c: seen.append(c) if c.touches(Topic.READS) else None)
    return seen


def test_stores_reads_with_images_and_alternatives(app: Application, admin: Actor) -> None:
    fixed = app.services.cameras.create(
        admin, CameraFields(name="Main St", source="0", latitude=37.5, longitude=-122.25)
    )
    scene = jpeg(1000, 320, 180)
    reads = [
        make_read(1, camera="MAIN ST", context=scene),  # position from the fixed camera
        dataclasses.replace(
            make_read(2, camera="main st", context=scene), latitude=1.5, longitude=2.5
        ),
        make_read(3, camera="Nowhere"),  # unknown camera: stored without one
    ]
    with app.services.ingest.open_session(admin) as sink:
        for read in reads:
            sink.submit(read)
    assert sink.status.stored == 3
    with app.database.sessions() as session:
        rows = {r.read_uuid: r for r in session.scalars(select(PlateRead))}
        first, second, third = (rows[r.read_uuid] for r in reads)
        assert (first.camera_id, first.latitude, first.longitude) == (fixed.id, 37.5, -122.25)
        assert (second.camera_id, second.latitude, second.longitude) == (fixed.id, 1.5, 2.5)
        assert (third.camera_id, third.latitude, third.context_image_id) == (None, None, None)
        assert first.plate_text == "7ABC0001" and first.plate_normalized == "7ABC0001"
        assert first.plate_folded == "7A8C0001"
        assert (first.bbox_x, first.bbox_y, first.bbox_w, first.bbox_h) == (10, 20, 96, 32)
        assert first.frames_voted == 5 and first.read_at == reads[0].read_at
        assert [(a.rank, a.plate_text, a.confidence) for a in first.alternatives] == [
            (1, "7A8C0001", 0.6),
            (2, "7ABC000", 0.3),
        ]
        crop = session.get(StoredImage, first.crop_image_id)
        assert crop is not None and crop.data == reads[0].crop.data
        assert (crop.media_type, crop.width, crop.height) == ("image/jpeg", 96, 32)
        # One context frame shared by two reads is stored once (within a batch).
        assert first.context_image_id == second.context_image_id
    assert _count(app, StoredImage.id) == 4


def test_images_dedupe_against_the_table(app: Application, admin: Actor) -> None:
    scene = jpeg(2000, 200, 100)
    with app.services.ingest.open_session(admin) as sink:
        sink.submit(make_read(1, context=scene))
    with app.services.ingest.open_session(admin) as sink:
        sink.submit(make_read(2, crop=jpeg(1), context=scene))  # both images already stored
    assert _count(app, PlateRead.id) == 2
    assert _count(app, StoredImage.id) == 2


def test_one_reads_change_per_batch(app: Application, admin: Actor) -> None:
    app.services.ingest.options = IngestOptions(batch_size=50, max_delay=60.0)
    changes = _reads_changes(app)
    with app.services.ingest.open_session(admin) as sink:
        for i in range(120):
            sink.submit(make_read(i))
        assert sink.flush(timeout=60)
        assert len(changes) == 3  # 50 + 50 + the 20 the flush wrote
    assert _count(app, PlateRead.id) == 120
    assert _count(app, ReadAlternative.id) == 240


def test_a_batch_is_written_after_max_delay(app: Application, admin: Actor) -> None:
    app.services.ingest.options = IngestOptions(max_delay=0.05)
    stored = threading.Event()
    app.services.ctx.changes.subscribe(lambda c: stored.set() if c.touches(Topic.READS) else None)
    with app.services.ingest.open_session(admin) as sink:
        sink.submit(make_read(1))
        assert stored.wait(timeout=10), "a lone read is stored without a flush"
        assert sink.status.stored == 1


def test_a_read_is_stored_once(app: Application, admin: Actor) -> None:
    read = make_read(7)
    with app.services.ingest.open_session(admin) as sink:
        sink.submit(read)
        sink.submit(read)
    with app.services.ingest.open_session(admin) as sink:
        sink.submit(read)
    assert (sink.status.stored, sink.status.already_stored) == (0, 1)
    assert _count(app, PlateRead.id) == 1
    assert _count(app, ReadAlternative.id) == 2


def test_session_is_two_access_records_not_one_per_read(app: Application, admin: Actor) -> None:
    before = _count(app, AccessRecord.id)
    sink = app.services.ingest.open_session(admin, label="headless node")
    for i in range(30):
        sink.submit(make_read(i))
    status = sink.close()
    assert status.stored == 30 and sink.close() == status  # a second close does nothing
    with app.database.sessions() as session:
        opened, closed = session.scalars(
            select(AccessRecord).where(AccessRecord.seq > before).order_by(AccessRecord.seq)
        ).all()
    assert (opened.action, opened.target_id) == ("run_recognition", sink.id)
    assert opened.detail == "ingest session opened: headless node"
    assert (closed.action, closed.target_id) == ("run_recognition_summary", sink.id)
    summary = json.loads(closed.query)
    assert (summary["stored"], summary["spooled"], summary["spool_depth"]) == (30, 0, 0)
    assert "7ABC" not in closed.query + closed.detail, "no plate text in the trail's summary"
    assert app.services.audit.verify(admin).ok


def test_refused_without_run_recognition(app: Application, admin: Actor) -> None:
    investigator = create_active_user(app, admin, "inv", [Role.INVESTIGATOR])
    threads = threading.active_count()
    with pytest.raises(PermissionDenied, match="run recognition"):
        app.services.ingest.open_session(investigator)
    assert threading.active_count() == threads
    with app.database.sessions() as session:
        refused = session.scalars(
            select(AccessRecord.action).where(
                AccessRecord.username == "inv", AccessRecord.outcome == "refused"
            )
        ).all()
    assert refused == ["run_recognition"]
    dispatcher = create_active_user(app, admin, "disp", [Role.DISPATCHER])
    with app.services.ingest.open_session(dispatcher) as sink:
        sink.submit(make_read(1))
    assert _count(app, PlateRead.id) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"read_at": dt.datetime(2026, 1, 1)},
        {"plate_text": "--"},
        {"plate_text": "A" * 17},
        {"confidence": 1.5},
        {"confidence": float("nan")},
        {"latitude": 95.0, "longitude": 0.0},
        {"latitude": 5.0},
        {"box": PlateBox(-1, 0, 10, 10, 0.5)},
        {"box": PlateBox(0, 2**40, 10, 10, 0.5)},
        {"frames_voted": 0},
        {"read_uuid": ""},
    ],
)
def test_submit_refuses_a_read_it_cannot_store(
    sqlite_app: Application, change: dict[str, object]
) -> None:
    from tests.conftest import create_admin

    admin = create_admin(sqlite_app)
    with sqlite_app.services.ingest.open_session(admin) as sink:
        with pytest.raises(ValueError):
            sink.submit(dataclasses.replace(make_read(1), **change))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="closed"):
        sink.submit(make_read(2))


def test_a_read_the_database_refuses_is_kept_aside(
    app: Application, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that slips past the checks and fails in the database does not block the rest."""
    if app.database.backend != "postgresql":
        pytest.skip("SQLite stores any integer; PostgreSQL refuses one beyond INTEGER")
    monkeypatch.setattr("alpr_desktop.services.ingest_sink.check_read", lambda read: None)
    errors: list[Message] = []
    app.services.ctx.messages.subscribe(errors.append)
    bad = dataclasses.replace(make_read(3), box=PlateBox(0, 2**40, 10, 10, 0.5))
    with app.services.ingest.open_session(admin) as sink:
        for read in (make_read(1), make_read(2), bad, make_read(4)):
            sink.submit(read)
    assert (sink.status.stored, sink.status.rejected, sink.status.spool_depth) == (3, 1, 0)
    assert _count(app, PlateRead.id) == 3
    assert any("refused a read" in m.text for m in errors)
    assert not any("7ABC" in m.text for m in errors), "no plate text in messages"


def test_image_bytes_skip_compression_on_postgres(app: Application) -> None:
    """Migration 0003: JPEG/PNG bytes are not compressed again (and 0002 undoes it)."""
    if app.database.backend != "postgresql":
        pytest.skip("a PostgreSQL storage setting")
    from alembic import command
    from sqlalchemy import text

    from alpr_desktop.storage.engine import _alembic_config

    storage = text(
        "SELECT attstorage FROM pg_attribute "
        "WHERE attrelid = 'images'::regclass AND attname = 'data'"
    )
    engine = app.database.engine
    with engine.connect() as conn:
        assert conn.execute(storage).scalar() == "e"
    command.downgrade(_alembic_config(engine), "0002")
    with engine.connect() as conn:
        assert conn.execute(storage).scalar() == "x"
    command.upgrade(_alembic_config(engine), "head")
    with engine.connect() as conn:
        assert conn.execute(storage).scalar() == "e"


def test_the_frame_size_survives_the_spool_and_is_stored(app: Application, admin: Actor) -> None:
    from alpr_desktop.services.ingest_spool import decode_read, encode_read
    from alpr_desktop.storage.models import PlateRead

    read = dataclasses.replace(make_read(1, tag="frame"), frame_size=(1920, 1080))
    assert decode_read(*encode_read(read, "admin")) == read
    bare = make_read(2, tag="frame")
    assert decode_read(*encode_read(bare, "admin")).frame_size is None
    app.services.ingest.store([read, bare])
    with app.database.sessions() as session:
        sizes = session.execute(
            select(PlateRead.frame_width, PlateRead.frame_height).order_by(PlateRead.id)
        ).all()
    assert [tuple(s) for s in sizes] == [(1920, 1080), (None, None)]
    from alpr_desktop.services.ingest_store import check_read

    with pytest.raises(ValueError, match="frame_size"):
        check_read(dataclasses.replace(read, frame_size=(0, 1080)))
