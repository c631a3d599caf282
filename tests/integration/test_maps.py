"""Maps of reads on SQLite and PostgreSQL: each map is an access record committed before
a position is read, a refused map is recorded refused, a canvass map draws the circle's
reads, and an exported map is a recorded export of one whole, standalone file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied, ValidationError
from alpr_desktop.services import maps as maps_module
from alpr_desktop.services.base import Actor
from alpr_desktop.services.search import CanvassRequest, SearchRequest
from alpr_desktop.storage.models import AccessRecord, Alert, PlateRead
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import T0
from tests.integration.test_search import CASE, PURPOSE, SCENE, detective

__all__ = ["detective"]  # the fixture: reads at and near the scene


def _records(app: Application, action: str) -> list[AccessRecord]:
    with app.database.sessions() as session:
        return list(
            session.scalars(
                select(AccessRecord).where(AccessRecord.action == action).order_by(AccessRecord.seq)
            )
        )


def _seen_first(app: Application, monkeypatch: pytest.MonkeyPatch, reader: str) -> list[str]:
    """The ``view_map`` queries a second connection sees each time the map service's
    ``reader`` (the function that reads positions) is about to run."""
    seen: list[str] = []
    run = getattr(maps_module, reader)

    def checked(*args: object, **kwargs: object) -> object:
        engine = create_engine(app.database.engine.url)
        try:
            with engine.connect() as conn:
                seen.extend(
                    conn.scalars(
                        select(AccessRecord.query).where(AccessRecord.action == "view_map")
                    )
                )
        finally:
            engine.dispose()
        return run(*args, **kwargs)

    monkeypatch.setattr(maps_module, reader, checked)
    return seen


def _mapped(html: str) -> list[list[object]]:
    start = html.index("var reads = ") + len("var reads = ")
    return json.loads(html[start : html.index(";\n", start)])


def test_a_search_map_is_recorded_first_and_draws_the_matches_with_a_position(
    app: Application, detective: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _seen_first(app, monkeypatch, "map_reads")
    made = app.services.maps.search_map(detective, SearchRequest("7AB*2*", PURPOSE, CASE))
    assert len(seen) == 1 and '"map":true' in seen[0] and '"pattern":"7AB*2*"' in seen[0]
    rows = _mapped(made.html)
    # 7A8C123 through its second reading; 8XYZ451 has no position; 7XYZ120 does not match.
    assert sorted(r[3] for r in rows) == ["7A8C123", "7ABC123", "7ABX12"]
    assert made.reads == 3 and not made.capped
    start = made.html.index("reasons = ") + len("reasons = ")
    names = json.loads(made.html[start : made.html.index(";\n", start)])
    reasons = {r[3]: names[r[6]] for r in rows}
    assert reasons["7A8C123"] == "another reading matched"
    [record] = _records(app, "view_map")
    assert (record.purpose, record.case_number, record.outcome, record.id) == (
        PURPOSE,
        CASE,
        "ok",
        made.record_id,
    )
    assert "North gate" in made.html  # the camera, with the way it faces


def test_a_map_refused_is_recorded_refused(
    app: Application, admin: Actor, detective: Actor
) -> None:
    maps = app.services.maps
    dispatcher = create_active_user(app, admin, "disp.one", [Role.DISPATCHER])
    with pytest.raises(PermissionDenied):
        maps.search_map(dispatcher, SearchRequest("7AB*12", PURPOSE, CASE))
    with pytest.raises(ValidationError, match="case or incident number"):
        maps.search_map(detective, SearchRequest("7AB*12", PURPOSE, ""))
    with pytest.raises(ValidationError):  # a pattern that cannot run: nothing looked at
        maps.search_map(detective, SearchRequest("**", PURPOSE, CASE))
    assert [r.outcome for r in _records(app, "view_map")] == ["refused", "refused"]


def test_a_canvass_map_draws_every_read_in_the_circle_and_window(
    app: Application, detective: Actor
) -> None:
    import datetime as dt

    request = CanvassRequest(*SCENE, 300.0, T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=3),
                             PURPOSE, CASE)  # fmt: skip
    made = app.services.maps.canvass_map(detective, request)
    # Reads 1, 2, 5 and 6 at the scene; 7XYZ120 is 1.1 km north; 8XYZ451 has no position.
    assert sorted(r[3] for r in _mapped(made.html)) == ["7A8C123", "7ABC123", "7ABX12", "9QQQ999"]
    assert "L.Control.Draw" in made.html  # the drawing tools, to change the area
    [record] = _records(app, "view_map")
    assert json.loads(record.query)["canvass"] == [*SCENE, 300.0]


def test_an_exported_map_is_one_standalone_file_and_a_recorded_export(
    app: Application, detective: Actor, tmp_path: Path
) -> None:
    maps = app.services.maps
    request = SearchRequest("7ABC123", PURPOSE, CASE)
    with pytest.raises(ValidationError, match="There is no folder"):
        maps.export_search_map(detective, request, tmp_path / "missing" / "map.html")
    assert _records(app, "export_reads") == []  # a bad path exports nothing
    out = tmp_path / "case file"
    out.mkdir()
    target = out / "case 26-004711 map.html"
    made = maps.export_search_map(detective, request, target)
    data = target.read_bytes()
    assert made.path == target and hashlib.sha256(data).hexdigest() == made.sha256
    assert b"file:" not in data and b"<script src=" not in data
    [record] = _records(app, "export_reads")
    query = json.loads(record.query)
    assert query["export"] == "map_html" and query["target"] == target.name
    assert [p.name for p in out.iterdir()] == [target.name]  # no temporary left


def test_the_search_command_writes_a_map(
    app: Application,
    detective: Actor,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from alpr_desktop.cli import main
    from tests.conftest import USER_PASSWORD

    monkeypatch.setenv("ALPR_PASSWORD", USER_PASSWORD)
    common = ["--database-url", database_url, "--user", "det.one", "--purpose", PURPOSE]
    target = tmp_path / "map.html"
    capsys.readouterr()
    assert main(["search", "7AB*2*", *common, "--case", CASE, "--map", str(target)]) == 0
    out = capsys.readouterr().out
    assert (
        out.startswith("Mapped 3 read(s) to ")
        and hashlib.sha256(target.read_bytes()).hexdigest() in out
    )
    assert main(["search", "7AB*2*", *common, "--case", CASE, "--map", str(tmp_path / "m")]) == 2
    assert "--map needs an .html file name" in capsys.readouterr().err
    assert len(_records(app, "export_reads")) == 1


def test_a_canvass_of_a_drawn_polygon_groups_the_reads_inside_it(
    app: Application, detective: Actor
) -> None:
    import datetime as dt

    lat, lon = SCENE
    square = {"type": "Polygon", "coordinates": [[
        [lon - 0.001, lat - 0.001], [lon + 0.001, lat - 0.001], [lon + 0.001, lat + 0.001],
        [lon - 0.001, lat + 0.001], [lon - 0.001, lat - 0.001]]]}  # fmt: skip
    window = (T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=3))
    request = CanvassRequest(lat, lon, 0.0, *window, PURPOSE, CASE, polygon=square)
    result = app.services.search.canvass(detective, request)
    # The four plates read at the scene; 7XYZ120 (1.1 km north) and 8XYZ451 (no
    # position) are outside.
    assert sorted(p.plate_text for p in result.plates) == [
        "7A8C123",
        "7ABC123",
        "7ABX12",
        "9QQQ999",
    ]
    assert result.reads == 4 and not result.capped
    assert all(p.nearest_m < 1 for p in result.plates)  # at the square's centre
    [record] = _records(app, "canvass")
    assert json.loads(record.query)["canvass"] == {"polygon": square}
    bent = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(ValidationError, match="cross itself"):
        app.services.search.canvass(detective, CanvassRequest(lat, lon, 0.0, *window, PURPOSE,
                                                              CASE, polygon=bent))  # fmt: skip
    assert len(_records(app, "canvass")) == 1  # a shape that cannot run looks at nothing
    made = app.services.maps.canvass_map(detective, request)
    assert sorted(r[3] for r in _mapped(made.html)) == ["7A8C123", "7ABC123", "7ABX12", "9QQQ999"]
    assert "Canvass of the area drawn" in made.html


def test_the_workstations_own_tiles_are_used_and_carried_into_an_exported_map(
    app: Application, detective: Actor, tmp_path: Path
) -> None:
    import base64

    from alpr_desktop.services.mbtiles import MBTiles
    from tests.mbtiles_helpers import make_mbtiles

    maps = app.services.maps
    request = SearchRequest("7ABC123", PURPOSE, CASE)
    maps.tiles_file = tmp_path / "missing.mbtiles"
    shown = maps.search_map(detective, request)
    assert "does not exist" in shown.note and "without the workstation's tiles" in shown.note
    assert "alpr-tiles:" not in shown.html  # the department's (none here): the grid
    maps.tiles_file = tmp_path / "city.mbtiles"
    make_mbtiles(maps.tiles_file)
    shown = maps.search_map(detective, request)
    assert shown.note == "" and '"alpr-tiles:{z}/{x}/{y}"' in shown.html
    assert '"maxNativeZoom": 14,' in shown.html  # enlarged beyond the file's deepest zoom
    exported = maps.export_search_map(detective, request, tmp_path / "map.html")
    assert "alpr-tiles:" not in exported.html
    local = MBTiles(maps.tiles_file)
    scene = ((SCENE[0] - 0.001, SCENE[1] - 0.001), (SCENE[0] + 0.001, SCENE[1] + 0.001))
    for data in list(local.tiles_for(scene).values())[:5]:  # the scene's tiles, carried
        assert base64.b64encode(data).decode("ascii") in exported.html


# ---------------------------------------------------------------------- the dispatcher's maps
def _dispatch_scene(app: Application, admin: Actor) -> dict[str, int]:
    """A fixed camera facing south, a patrol unit with half an hour of GPS fixes ending
    now, and two alerts (one decided) on reads at the fixed camera and the unit."""
    import datetime as dt
    from dataclasses import replace

    from alpr_desktop.services.cameras import CameraFields
    from alpr_desktop.services.hotlist_fields import EntryFields
    from tests.integration.ingest_helpers import placed_read

    cameras = app.services.cameras
    cameras.create(admin, CameraFields("North gate", "rtsp://127.0.0.1:9/gate", latitude=38.5841,
                                       longitude=-121.4979, direction_deg=180.0))  # fmt: skip
    unit = cameras.create(admin, CameraFields("Unit 7", "rtsp://127.0.0.1:9/unit7", mobile=True))
    now = app.services.ctx.now()
    fixes = [
        (now - dt.timedelta(minutes=30 - i), 38.570 + i * 0.0005, -121.480, None, None)
        for i in range(31)
    ]
    cameras.import_gps_track(admin, unit.id, fixes)
    wanted = app.services.hotlists.create(admin, "Wanted")
    app.services.hotlists.add_entry(admin, wanted.id, EntryFields("7ABC123", "stolen_vehicle"))
    app.services.hotlists.add_entry(admin, wanted.id, EntryFields("8XYZ987", "amber"))
    at_gate = placed_read(1, "7ABC123", tag="d", camera="North gate", at=(38.5841, -121.4979))
    on_unit = placed_read(2, "8XYZ987", tag="d", camera="Unit 7", at=(38.5800, -121.4800))
    on_unit = replace(on_unit, read_at=now - dt.timedelta(minutes=10))
    alerts = list(app.services.ingest.store([at_gate, on_unit]).alerts)
    assert len(alerts) == 2
    return {"gate": alerts[0], "unit": alerts[1], "unit_camera": unit.id}


def _track_points(html: str) -> list[list[float]]:
    """The points of the GPS track drawn on ``html`` (the polyline with that tooltip)."""
    track = html[html.rindex("L.polyline(", 0, html.index("GPS track")) :]
    return json.loads(track[track.index("[[") : track.index("]]") + 2])


def _alert_rows(html: str) -> list[list[object]]:
    start = html.index(", rows = ") + len(", rows = ")
    return json.loads(html[start : html.index(";\n", start)])


def test_the_operations_map_shows_cameras_units_and_alerts_recorded_first(
    app: Application, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = _dispatch_scene(app, admin)
    dispatcher = create_active_user(app, admin, "disp.one", [Role.DISPATCHER])
    app.services.alerts.dispose(dispatcher, scene["gate"], accept=False, reason="Misread")
    seen = _seen_first(app, monkeypatch, "_alerts")
    made = app.services.maps.operations_map(dispatcher, hours=12)
    assert [json.loads(q) for q in seen] == [{"map": "operations", "hours": 12}]
    record, shown = _records(app, "view_map")
    assert (record.id, record.username, record.outcome) == (made.record_id, "disp.one", "ok")
    # Then which alerts it showed, by id (as the queue's poll records them).
    assert json.loads(shown.query) == {
        "map": "operations", "alerts": [scene["unit"], scene["gate"]]
    }  # fmt: skip
    assert not made.capped
    rows = _alert_rows(made.html)
    assert sorted((r[3], r[6]) for r in rows) == [("7ABC123", "rejected"), ("8XYZ987", "pending")]
    assert {r[8] for r in rows} == {"North gate", "Unit 7"}
    assert "Unit 7: GPS track" in made.html and "Unit 7: last position" in made.html
    assert "North gate" in made.html and made.reads == 2
    # The unit's camera has no fixed position: it is drawn where its track ends.
    assert "[38.585, -121.48]" in made.html
    with pytest.raises(ValidationError, match="1 to 168 hours"):
        app.services.maps.operations_map(dispatcher, hours=0)
    detective = create_active_user(app, admin, "det.two", [Role.INVESTIGATOR])
    with pytest.raises(PermissionDenied):
        app.services.maps.operations_map(detective)


def test_an_alerts_map_shows_its_read_and_the_units_track_around_it(
    app: Application, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = _dispatch_scene(app, admin)
    dispatcher = create_active_user(app, admin, "disp.one", [Role.DISPATCHER])
    seen = _seen_first(app, monkeypatch, "_alerts")
    made = app.services.maps.alert_map(dispatcher, scene["unit"])
    assert [json.loads(q) for q in seen] == [{"map": "alert", "alert": scene["unit"]}]
    [row] = _alert_rows(made.html)
    assert (row[2], row[3], row[8]) == (scene["unit"], "8XYZ987", "Unit 7")
    assert "Unit 7: GPS track" in made.html  # ten minutes either side of the read
    # The unit's fixes run from 30 minutes ago to now, one a minute; the read was 10
    # minutes ago: 0-20 minutes ago are drawn (21 fixes), the older ones are not.
    points = _track_points(made.html)
    assert len(points) == 21 and points[0] == [38.575, -121.48]
    assert "North gate" not in made.html  # only the alert's own camera
    [record] = _records(app, "view_map")
    assert (record.target_type, record.target_id) == ("alert", str(scene["unit"]))
    assert json.loads(record.query) == {"map": "alert", "alert": scene["unit"]}
    gate = app.services.maps.alert_map(dispatcher, scene["gate"])
    assert "GPS track" not in gate.html and "North gate" in gate.html
    from alpr_desktop.errors import NotFoundError

    with pytest.raises(NotFoundError):
        app.services.maps.alert_map(dispatcher, 999_999)
    # A read whose camera was deleted: no unit's track is drawn for it.
    with app.database.sessions.begin() as session:
        alert = session.get(Alert, scene["unit"])
        assert alert is not None
        session.get(PlateRead, alert.read_id).camera_id = None  # type: ignore[union-attr]
    orphan = app.services.maps.alert_map(dispatcher, scene["unit"])
    assert "GPS track" not in orphan.html


def test_the_operations_map_keeps_pending_alerts_first_and_thins_long_tracks(
    app: Application, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = _dispatch_scene(app, admin)
    dispatcher = create_active_user(app, admin, "disp.one", [Role.DISPATCHER])
    app.services.alerts.dispose(
        dispatcher, scene["unit"], accept=True, reason="Confirmed through CLETS"
    )
    monkeypatch.setattr(maps_module, "MAX_MAP_ALERTS", 1)
    monkeypatch.setattr(maps_module, "MAX_TRACK_POINTS", 7)
    made = app.services.maps.operations_map(dispatcher)
    # The older alert is still pending: it is the one kept; the map says it is capped.
    assert [(r[2], r[6]) for r in _alert_rows(made.html)] == [(scene["gate"], "pending")]
    assert made.capped
    points = _track_points(made.html)
    # 31 fixes, every 5th (0, 5 … 30) — the last one, where the unit is, always kept.
    assert len(points) == 7 and points[0] == [38.57, -121.48] and points[-1] == [38.585, -121.48]
