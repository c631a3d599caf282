"""The camera registry: every validation rule, the access trail, permissions, GPS tracks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import PERMISSIONS, Action, Role
from alpr_desktop.core.sources import display_source
from alpr_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.cameras import CameraFields
from alpr_desktop.storage.models import AccessRecord, CameraKind, GpsFix
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import make_read

FIXED = CameraFields(name="Main St North", source="0", latitude=37.77, longitude=-122.42)
MOBILE = CameraFields(name="Unit 12", source="rtsp://10.0.0.12/stream", mobile=True)
T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _records(app: Application, action: str) -> list[AccessRecord]:
    with app.database.sessions() as session:
        return list(
            session.scalars(
                select(AccessRecord).where(AccessRecord.action == action).order_by(AccessRecord.seq)
            )
        )


def test_create_stores_kind_from_source(app: Application, admin: Actor, tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not really a video, but a file")
    sources = {
        "0": CameraKind.DEVICE,
        "rtsp://cam.example/live": CameraKind.RTSP,
        "http://cam.example/mjpg": CameraKind.HTTP,
        "https://cam.example/mjpg": CameraKind.HTTP,
        str(video): CameraKind.FILE,
        str(tmp_path): CameraKind.FOLDER,
    }
    for n, (source, kind) in enumerate(sources.items()):
        view = app.services.cameras.create(
            admin, CameraFields(name=f"cam {n}", source=source, latitude=1.0, longitude=2.0)
        )
        assert view.kind is kind and view.enabled
    listed = app.services.cameras.list_cameras(admin)
    assert [v.name for v in listed] == [f"cam {n}" for n in range(len(sources))]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the camera name"),
        ({"name": "   "}, "Enter the camera name"),
        ({"name": "x" * 121}, "at most 120 characters"),
        ({"name": "bad\x00name"}, "control characters"),
        ({"name": "bad\nname"}, "control characters"),
        ({"description": "line\x07bell"}, "control characters"),
        ({"description": "d" * 2001}, "at most 2000 characters"),
        ({"source": ""}, "Enter a source"),
        ({"source": "ftp://cam.example/x"}, "Unsupported camera URL scheme"),
        ({"source": "rtsp:///nohost"}, "names no host"),
        ({"source": "http://cam.example:99999/"}, "invalid port"),
        ({"source": "99"}, "out of range"),
        ({"source": "/no/such/video.mp4"}, "existing video file or folder"),
        ({"source": "0\x01"}, "control characters"),
        ({"latitude": 90.5}, "latitude must be between -90 and 90"),
        ({"latitude": -91}, "latitude must be between -90 and 90"),
        ({"longitude": 180.01}, "longitude must be between -180 and 180"),
        ({"longitude": float("nan")}, "longitude must be between"),
        ({"latitude": True}, "latitude must be a number"),
        ({"latitude": "37.7"}, "latitude must be a number"),
        ({"direction_deg": 360.5}, "direction must be between 0 and 360"),
        ({"direction_deg": -1}, "direction must be between 0 and 360"),
        ({"latitude": None}, "fixed camera needs a position"),
        ({"longitude": None}, "fixed camera needs a position"),
        ({"mobile": True}, "mobile camera's position"),
        ({"enabled": "yes"}, "'enabled' must be yes or no"),
    ],
)
def test_validation_names_the_field(
    app: Application, admin: Actor, changes: dict[str, object], message: str
) -> None:
    fields = CameraFields(**{**FIXED.__dict__, **changes})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=message):
        app.services.cameras.create(admin, fields)
    assert app.services.cameras.list_cameras(admin) == []
    assert _records(app, "create_camera") == []


def test_direction_360_is_north_and_text_is_stripped(app: Application, admin: Actor) -> None:
    view = app.services.cameras.create(
        admin,
        CameraFields(
            name="  Gate  ",
            source=" 1 ",
            latitude=-90,
            longitude=180,
            direction_deg=360,
            description=" two\nlines\tok ",
        ),
    )
    assert (view.name, view.source, view.direction_deg) == ("Gate", "1", 0.0)
    assert view.description == "two\nlines\tok"
    assert (view.latitude, view.longitude) == (-90.0, 180.0)


def test_duplicate_name_case_insensitive(app: Application, admin: Actor) -> None:
    first = app.services.cameras.create(admin, FIXED)
    other = app.services.cameras.create(admin, CameraFields(**{**FIXED.__dict__, "name": "Oak"}))
    for name in ("main st north", "MAIN ST NORTH", " Main St North "):
        with pytest.raises(ValidationError, match="already exists"):
            app.services.cameras.create(admin, CameraFields(**{**FIXED.__dict__, "name": name}))
    with pytest.raises(ValidationError, match="already exists"):
        app.services.cameras.update(
            admin, other.id, CameraFields(**{**FIXED.__dict__, "name": "MAIN st north"})
        )
    # Renaming a camera to a different spelling of its own name is not a duplicate.
    renamed = app.services.cameras.update(
        admin, first.id, CameraFields(**{**FIXED.__dict__, "name": "MAIN ST NORTH"})
    )
    assert renamed.name == "MAIN ST NORTH"


def test_every_change_is_recorded_and_published(app: Application, admin: Actor) -> None:
    published: list[Changes] = []
    app.services.ctx.changes.subscribe(published.append)
    cameras = app.services.cameras
    secret = CameraFields(**{**FIXED.__dict__, "source": "rtsp://op:s3cret@10.1.1.1:554/x"})
    view = cameras.create(admin, secret)
    assert view.source == "rtsp://op:s3cret@10.1.1.1:554/x"
    assert view.display_source == "rtsp://op:***@10.1.1.1:554/x"
    cameras.update(admin, view.id, CameraFields(**{**secret.__dict__, "direction_deg": 90.0}))
    cameras.set_enabled(admin, view.id, False)
    assert not cameras.list_cameras(admin)[0].enabled
    cameras.set_enabled(admin, view.id, True)
    cameras.delete(admin, view.id)
    assert cameras.list_cameras(admin) == []
    actions = ["create_camera", "update_camera", "disable_camera", "enable_camera"]
    for action in [*actions, "delete_camera"]:
        (record,) = _records(app, action)
        assert record.username == "admin" and record.target_type == "camera"
        assert record.target_id == str(view.id) and record.outcome == "ok"
        assert "s3cret" not in record.query, "a camera's password never enters the trail"
    update = json.loads(_records(app, "update_camera")[0].query)
    assert update == {"direction_deg": {"before": None, "after": 90.0}}
    assert json.loads(_records(app, "create_camera")[0].query)["source"].startswith(
        "rtsp://op:***@"
    )
    assert len(published) == 5 and all(c.touches(Topic.CAMERAS) for c in published)
    assert app.services.audit.verify(admin).ok


def test_mask_source() -> None:
    assert display_source("rtsp://u:p@h/x") == "rtsp://u:***@h/x"
    assert display_source("rtsp://u@h:8554/x") == "rtsp://***@h:8554/x"
    assert display_source("/videos/a.mp4") == "/videos/a.mp4"


def test_unknown_camera(app: Application, admin: Actor) -> None:
    with pytest.raises(NotFoundError):
        app.services.cameras.update(admin, 999, FIXED)
    with pytest.raises(NotFoundError):
        app.services.cameras.delete(admin, 999)


def test_delete_refused_while_reads_refer_to_it(app: Application, admin: Actor) -> None:
    view = app.services.cameras.create(admin, FIXED)
    with app.services.ingest.open_session(admin) as sink:
        sink.submit(make_read(1, camera="main st north"))
    with pytest.raises(ValidationError, match="1 read.*disable it instead"):
        app.services.cameras.delete(admin, view.id)
    assert [v.id for v in app.services.cameras.list_cameras(admin)] == [view.id]


def test_gps_track_import(app: Application, admin: Actor) -> None:
    cameras = app.services.cameras
    unit = cameras.create(admin, MOBILE)
    fixed = cameras.create(admin, FIXED)
    track = [(T0 + dt.timedelta(seconds=s), 37.0 + s / 1000, -122.0, 12.5, 90.0) for s in range(5)]
    result = cameras.import_gps_track(admin, unit.id, list(reversed(track)))
    assert (result.imported, result.already_stored) == (5, 0)
    assert (result.first_at, result.last_at) == (T0, T0 + dt.timedelta(seconds=4))
    again = cameras.import_gps_track(admin, unit.id, track)
    assert (again.imported, again.already_stored) == (0, 5)
    got = cameras.gps_track(admin, unit.id, T0, T0 + dt.timedelta(seconds=2))
    assert got == [tuple(p) for p in track[:3]]
    (listed,) = [v for v in cameras.list_cameras(admin) if v.id == unit.id]
    assert (listed.gps_fix_count, listed.track_start) == (5, T0)
    with pytest.raises(ValidationError, match="is fixed"):
        cameras.import_gps_track(admin, fixed.id, track)
    assert len(_records(app, "import_gps_track")) == 2
    cameras.delete(admin, unit.id)  # its fixes go with it
    with app.database.sessions() as session:
        assert session.scalar(select(func.count(GpsFix.id))) == 0
    (deleted,) = _records(app, "delete_camera")
    assert json.loads(deleted.query)["gps_fixes_deleted"] == 5


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ((dt.datetime(2026, 6, 1, 12), 1.0, 2.0, None, None), "GPS fix 2: the time"),
        ((T0, 91.0, 2.0, None, None), "GPS fix 2: The latitude"),
        ((T0, 1.0, -200.0, None, None), "GPS fix 2: The longitude"),
        ((T0, 1.0, 2.0, -3.0, None), "GPS fix 2: The speed"),
        ((T0, 1.0, 2.0, None, 400.0), "GPS fix 2: The heading"),
        ((T0, None, 2.0, None, None), "GPS fix 2: a fix needs"),
        ((T0, 1.0), "GPS fix 2 is not"),
    ],
)
def test_gps_track_refuses_a_bad_fix(
    app: Application, admin: Actor, bad: tuple[object, ...], message: str
) -> None:
    unit = app.services.cameras.create(admin, MOBILE)
    good = (T0 - dt.timedelta(seconds=1), 1.0, 2.0, None, None)
    with pytest.raises(ValidationError, match=message):
        app.services.cameras.import_gps_track(admin, unit.id, [good, bad])  # type: ignore[list-item]
    with app.database.sessions() as session:
        assert session.scalar(select(func.count(GpsFix.id))) == 0


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.INVESTIGATOR, Role.SUPERVISOR])
def test_permissions(app: Application, admin: Actor, role: Role) -> None:
    view = app.services.cameras.create(admin, FIXED)
    app.services.cameras.create(
        admin, CameraFields(**{**FIXED.__dict__, "name": "Off", "enabled": False})
    )
    actor = create_active_user(app, admin, f"cam.{role.value}", [role])
    cameras = app.services.cameras
    changes = [
        lambda: cameras.list_cameras(actor),
        lambda: cameras.create(actor, CameraFields(**{**FIXED.__dict__, "name": "New"})),
        lambda: cameras.update(actor, view.id, FIXED),
        lambda: cameras.set_enabled(actor, view.id, False),
        lambda: cameras.delete(actor, view.id),
        lambda: cameras.import_gps_track(actor, view.id, []),
    ]
    for change in changes:
        with pytest.raises(PermissionDenied, match="roles do not allow you to manage cameras"):
            change()
    if role in PERMISSIONS[Action.RUN_RECOGNITION]:
        assert [v.name for v in cameras.list_for_recognition(actor)] == [FIXED.name]
        assert len(cameras.list_for_recognition(actor, enabled_only=False)) == 2
        assert cameras.gps_track(actor, view.id, T0, T0) == []
    else:
        with pytest.raises(PermissionDenied, match="run recognition"):
            cameras.list_for_recognition(actor)
    with app.database.sessions() as session:
        refused = session.scalars(
            select(AccessRecord.action).where(
                AccessRecord.username == actor.username, AccessRecord.outcome == "refused"
            )
        ).all()
    assert refused.count("manage_cameras") == len(changes)
