"""Partial-plate search, canvass and opening a read, on SQLite and PostgreSQL.

Reads are stored through the ingest service (the one way in), so the search index is
the one its triggers (SQLite) or GIN indexes (PostgreSQL) keep.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.core.search import MatchQuality
from alpr_desktop.errors import PermissionDenied, ValidationError
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.services import search as search_module
from alpr_desktop.services.base import Actor
from alpr_desktop.services.cameras import CameraFields
from alpr_desktop.services.search import (
    Area,
    CanvassRequest,
    ReadFilters,
    SearchRequest,
)
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_active_user, create_admin
from tests.integration.ingest_helpers import T0, placed_read

PURPOSE = "Criminal investigation"
CASE = "26-004711"
SCENE = (38.5800, -121.4900)
#: A square around the one read 1.1 km north of the scene.
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [
            [-121.491, 38.589],
            [-121.489, 38.589],
            [-121.489, 38.591],
            [-121.491, 38.591],
            [-121.491, 38.589],
        ]
    ],
}


def _read(index: int, plate: str, **kwargs: Any) -> VehicleRead:
    return placed_read(index, plate, tag="search", **{"at": SCENE, **kwargs})


@pytest.fixture
def detective(app: Application, admin: Actor) -> Actor:
    app.services.cameras.create(
        admin, CameraFields(name="North gate", source="0", latitude=SCENE[0], longitude=SCENE[1])
    )
    app.services.cameras.create(admin, CameraFields(name="Unit 12", source="1", mobile=True))
    reads = [
        _read(1, "7ABC123", camera="North gate", minutes=0),
        _read(2, "7A8C123", camera="North gate", minutes=5, alternatives=("7ABC123",)),
        _read(3, "7XYZ120", camera="Unit 12", minutes=10, at=(38.5900, -121.4900)),
        _read(4, "8XYZ451", minutes=60, at=None),
        _read(5, "7ABX12", minutes=90, confidence=0.6),  # one character short of 7AB?12
        _read(6, "9QQQ999", minutes=120),
    ]
    app.services.ingest.store(reads)
    return create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])


def _search(app: Application, actor: Actor, pattern: str, **kwargs: object) -> list[str]:
    filters = kwargs.pop("filters", ReadFilters())
    request = SearchRequest(pattern, PURPOSE, CASE, filters=filters, **kwargs)  # type: ignore[arg-type]
    return [r.plate_text for r in app.services.search.search(actor, request).results]


def test_patterns_modes_and_ranking(app: Application, detective: Actor) -> None:
    search = app.services.search
    page = search.search(detective, SearchRequest("7AB*2*", PURPOSE, CASE))
    # 7ABC123 and 7ABX12 fit as read (more confident first); 7A8C123 through its
    # second reading.
    assert [r.plate_text for r in page.results] == ["7ABC123", "7ABX12", "7A8C123"]
    assert [r.quality for r in page.results] == [
        MatchQuality.EXACT,
        MatchQuality.EXACT,
        MatchQuality.ALTERNATIVE,
    ]
    assert page.results[2].reason.startswith("second reading 7ABC123")
    confusable = search.search(detective, SearchRequest("7abc 123", PURPOSE, CASE, confusable=True))
    assert [(r.plate_text, r.quality) for r in confusable.results] == [
        ("7ABC123", MatchQuality.EXACT),
        ("7A8C123", MatchQuality.ALTERNATIVE),
    ]
    # 8XYZ451 only through the confusable folding (8/B) of "BXYZ451".
    assert _search(app, detective, "BXYZ451") == []
    folded = search.search(detective, SearchRequest("BXYZ451", PURPOSE, CASE, confusable=True))
    assert [(r.plate_text, r.quality) for r in folded.results] == [
        ("8XYZ451", MatchQuality.CONFUSABLE)
    ]
    assert "8 → B at position 1" in folded.results[0].reason
    fuzzy = search.search(detective, SearchRequest("9QQQ998", PURPOSE, CASE, fuzzy=True))
    assert [(r.plate_text, r.quality) for r in fuzzy.results] == [("9QQQ999", MatchQuality.FUZZY)]
    assert "differs" in fuzzy.results[0].reason
    assert fuzzy.record_id > 0


def test_filters(app: Application, detective: Actor) -> None:
    # Same quality and confidence: newest first.
    assert _search(app, detective, "7*2*", filters=ReadFilters(cameras=("north GATE",))) == [
        "7A8C123",
        "7ABC123",
    ]
    assert _search(app, detective, "7*2*", filters=ReadFilters(mobile_only=True)) == ["7XYZ120"]
    window = ReadFilters(since=T0 + dt.timedelta(minutes=4), until=T0 + dt.timedelta(minutes=11))
    assert sorted(_search(app, detective, "7*2*", filters=window)) == ["7A8C123", "7XYZ120"]
    near = ReadFilters(area=Area(near=(*SCENE, 200.0)))
    assert "7XYZ120" not in _search(app, detective, "7*2*", filters=near)  # 1.1 km north
    wide = ReadFilters(area=Area(near=(*SCENE, 1500.0)))
    assert "7XYZ120" in _search(app, detective, "7*2*", filters=wide)
    assert _search(app, detective, "7*2*", filters=ReadFilters(area=Area(polygon=SQUARE))) == [
        "7XYZ120"
    ]
    assert _search(app, detective, "7*2*", filters=ReadFilters(hotlist_hits_only=True)) == []


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "Enter a plate"),
        ("***", "wildcards only"),
        ("7*2*", None),
        ("A", "fixed"),
        ("7AB$12", "only A–Z"),
        ("7" * 17, "at most 16"),
    ],
)
def test_bad_patterns_are_clear_and_run_nothing(
    app: Application, detective: Actor, pattern: str, message: str | None
) -> None:
    if message is None:
        app.services.search.search(detective, SearchRequest(pattern, PURPOSE, CASE))
        return
    with pytest.raises(ValidationError, match=message):
        app.services.search.search(detective, SearchRequest(pattern, PURPOSE, CASE))
    assert _records(app, "search_reads") == []


def _records(app: Application, action: str) -> list[AccessRecord]:
    with app.database.sessions() as session:
        return list(session.scalars(select(AccessRecord).where(AccessRecord.action == action)))


def test_the_record_is_committed_before_the_search_runs(
    app: Application, detective: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    run = search_module.ranked_reads

    def checked(*args: object, **kwargs: object) -> object:
        # A second connection sees the committed record while the search runs.
        engine = create_engine(app.database.engine.url)
        try:
            with engine.connect() as conn:
                seen.extend(
                    conn.scalars(
                        select(AccessRecord.query).where(AccessRecord.action == "search_reads")
                    )
                )
        finally:
            engine.dispose()
        return run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(search_module, "ranked_reads", checked)
    filters = ReadFilters(cameras=("North gate",), area=Area(near=(*SCENE, 300.0)))
    app.services.search.search(detective, SearchRequest("7ab*12", PURPOSE, CASE, filters=filters))
    assert len(seen) == 1
    assert '"pattern":"7ab*12"' in seen[0] and '"near":[38.58,-121.49,300.0]' in seen[0]
    [record] = _records(app, "search_reads")
    assert (record.purpose, record.case_number, record.outcome) == (PURPOSE, CASE, "ok")


def test_no_purpose_case_or_training_is_refused_and_recorded(
    app: Application, admin: Actor, detective: Actor
) -> None:
    search = app.services.search
    with pytest.raises(ValidationError, match="authorised purpose"):
        search.search(detective, SearchRequest("7AB*12", "Curiosity", CASE))
    with pytest.raises(ValidationError, match="case or incident number"):
        search.search(detective, SearchRequest("7AB*12", PURPOSE, " "))
    untrained = create_active_user(app, admin, "det.new", [Role.INVESTIGATOR], trained=False)
    with pytest.raises(PermissionDenied, match="training"):
        search.search(untrained, SearchRequest("7AB*12", PURPOSE, CASE))
    dispatcher = create_active_user(app, admin, "disp.one", [Role.DISPATCHER])
    with pytest.raises(PermissionDenied):
        search.search(dispatcher, SearchRequest("7AB*12", PURPOSE, CASE))
    records = _records(app, "search_reads")
    assert [r.outcome for r in records] == ["refused"] * 4


def test_canvass_groups_reads_near_a_scene(app: Application, detective: Actor) -> None:
    app.services.ingest.store([_read(7, "7ABC123", minutes=30, camera="North gate")])
    result = app.services.search.canvass(
        detective,
        CanvassRequest(*SCENE, 500.0, T0, T0 + dt.timedelta(hours=3), PURPOSE, CASE),
    )
    by_plate = {p.plate_text: p for p in result.plates}
    assert set(by_plate) == {"7ABC123", "7A8C123", "7ABX12", "9QQQ999"}  # not 1.1 km away
    assert by_plate["7ABC123"].reads == 2 and by_plate["7ABC123"].cameras == ("North gate",)
    assert by_plate["7ABC123"].last_seen - by_plate["7ABC123"].first_seen == dt.timedelta(
        minutes=30
    )
    assert result.plates[0].plate_text == "7ABC123"  # most reads first
    [record] = _records(app, "canvass")
    assert record.case_number == CASE
    with pytest.raises(ValidationError, match="radius"):
        app.services.search.canvass(
            detective, CanvassRequest(*SCENE, 0.0, T0, T0 + dt.timedelta(hours=1), PURPOSE, CASE)
        )


def test_opening_a_read_is_recorded_and_gives_its_images(
    app: Application, detective: Actor
) -> None:
    page = app.services.search.search(detective, SearchRequest("7ABC123", PURPOSE, CASE))
    opened = app.services.search.open_read(
        detective, page.results[0].read_id, purpose=PURPOSE, case_number=CASE
    )
    assert opened.crop is not None and opened.crop_type == "image/jpeg"
    assert opened.record_id > page.record_id
    [record] = _records(app, "open_read")
    assert record.query == f'{{"read":{page.results[0].read_id}}}'


def test_the_index_follows_deletes(app: Application, detective: Actor) -> None:
    from alpr_desktop.storage.models import PlateRead

    with app.database.sessions.begin() as session:
        session.execute(PlateRead.__table__.delete().where(PlateRead.plate_text == "9QQQ999"))
    assert _search(app, detective, "9QQQ*") == []
    with app.database.sessions() as session:
        assert session.scalar(select(func.count(PlateRead.id))) == 5


def test_the_command_line_goes_through_the_same_service(
    app: Application,
    detective: Actor,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    import json

    from alpr_desktop.cli import main
    from tests.conftest import USER_PASSWORD

    monkeypatch.setenv("ALPR_PASSWORD", USER_PASSWORD)
    common = ["--database-url", database_url, "--user", "det.one"]
    capsys.readouterr()
    args = ["search", "7AB*2*", *common, "--purpose", PURPOSE, "--case", CASE, "--json"]
    assert main(args) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["plate_text"] for r in lines] == ["7ABC123", "7ABX12", "7A8C123"]
    assert lines[2]["quality"] == "alternative"
    assert main(["search", "7AB*2*", *common, "--purpose", "Curiosity", "--case", CASE]) == 2
    assert "authorised purpose" in capsys.readouterr().err
    assert main(["search", "**", *common, "--purpose", PURPOSE, "--case", CASE]) == 2
    assert "wildcards only" in capsys.readouterr().err
    since, until = T0.isoformat(), (T0 + dt.timedelta(hours=3)).isoformat()
    where = f"{SCENE[0]},{SCENE[1]},500"
    canvass = ["canvass", where, "--since", since, "--until", until, *common]
    assert main([*canvass, "--purpose", PURPOSE, "--case", CASE]) == 0
    out = capsys.readouterr().out
    assert "4 plate(s) in 4 read(s)" in out and "7ABC123" in out
    bad = ["canvass", "38.5,north,10", "--since", since, "--until", until, *common]
    with pytest.raises(SystemExit) as exited:  # argparse: usage and one line, status 2
        main([*bad, "--purpose", PURPOSE, "--case", CASE])
    assert exited.value.code == 2
    assert "is not LAT,LON,METRES" in capsys.readouterr().err
    # An area as a GeoJSON file (a Feature, as a map drawing exports it): the square
    # around the one read 1.1 km north of the scene.
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps({"type": "Feature", "geometry": SQUARE}), encoding="utf-8")
    in_area = ["canvass", "--polygon", str(area), "--since", since, "--until", until, *common]
    assert main([*in_area, "--purpose", PURPOSE, "--case", CASE, "--json"]) == 0
    [plate] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert plate["plate"] == "7XYZ120" and plate["reads"] == 1
    [*_, polygon_record] = _records(app, "canvass")
    assert json.loads(polygon_record.query)["canvass"] == {"polygon": SQUARE}
    assert main([*in_area[:1], where, *in_area[1:], "--purpose", PURPOSE, "--case", CASE]) == 2
    assert "one of them" in capsys.readouterr().err
    area.write_text('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}')
    assert main([*in_area, "--purpose", PURPOSE, "--case", CASE]) == 2
    assert "must enclose an area" in capsys.readouterr().err
    assert [r.outcome for r in _records(app, "search_reads")] == ["ok", "refused"]


def test_searching_neither_waits_for_nor_holds_up_a_writer(
    sqlite_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite a search and a canvass read a snapshot (``Database.readers``): they run
    while the cameras' ingest holds the write lock mid-batch, instead of queueing behind it
    (or, at ten thousand reads a batch, holding the ingest up while they group a month)."""
    app = sqlite_app
    admin = create_admin(app)
    app.services.cameras.create(
        admin, CameraFields(name="North gate", source="0", latitude=SCENE[0], longitude=SCENE[1])
    )
    app.services.ingest.store([_read(1, "7ABC123", camera="North gate")])
    detective = create_active_user(app, admin, "det.snap", [Role.INVESTIGATOR])
    writer = sqlite3.connect(str(app.database.engine.url.database), isolation_level=None)
    record_first = app.services.search.audit.record_first

    def then_a_writer_holds_the_lock(*args: Any, **kwargs: Any) -> int:
        record_id = record_first(*args, **kwargs)
        writer.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction
        return record_id

    monkeypatch.setattr(app.services.search.audit, "record_first", then_a_writer_holds_the_lock)
    try:
        page = app.services.search.search(detective, SearchRequest("7AB*", PURPOSE, CASE))
        assert [r.plate_text for r in page.results] == ["7ABC123"]
        writer.execute("ROLLBACK")
        canvass = app.services.search.canvass(
            detective,
            CanvassRequest(
                *SCENE, 300.0, T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=1), PURPOSE, CASE
            ),
        )
        assert [p.plate_text for p in canvass.plates] == ["7ABC123"]
    finally:
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        writer.close()
