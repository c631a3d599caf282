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
from alpr_desktop.storage.models import AccessRecord
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


def _mapped(html: str) -> list[list[object]]:
    start = html.index("var reads = ") + len("var reads = ")
    return json.loads(html[start : html.index(";\n", start)])


def test_a_search_map_is_recorded_first_and_draws_the_matches_with_a_position(
    app: Application, detective: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    run = maps_module.map_reads

    def checked(*args: object, **kwargs: object) -> object:
        engine = create_engine(app.database.engine.url)  # a second connection sees it
        try:
            with engine.connect() as conn:
                seen.extend(
                    conn.scalars(
                        select(AccessRecord.query).where(AccessRecord.action == "view_map")
                    )
                )
        finally:
            engine.dispose()
        return run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(maps_module, "map_reads", checked)
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
