"""The area index (map cell and time) on SQLite and PostgreSQL: the cell the database
computes is the one Python computes, an area finds exactly the reads a scan finds (on
cell edges too), and a canvass is answered from the index."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select, text

from alpr_desktop.app import Application
from alpr_desktop.core import geocell
from alpr_desktop.core.roles import Role
from alpr_desktop.services.base import Actor
from alpr_desktop.services.cameras import CameraFields
from alpr_desktop.services.search import Area, CanvassRequest, ReadFilters, SearchRequest
from alpr_desktop.storage import area_index
from alpr_desktop.storage.models import PlateRead
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import T0, placed_read
from tests.plan_helpers import explain, statements_sent

PURPOSE = "Criminal investigation"
CASE = "26-004712"
SCENE = (38.5800, -121.4900)
WINDOW = (T0 - dt.timedelta(hours=1), T0 + dt.timedelta(days=2))


def _edge(row: int, column: int) -> tuple[float, float]:
    """The south-west corner of a cell: a position on four cells' edges."""
    return row * geocell.CELL_DEGREES - 90.0, column * geocell.CELL_DEGREES - 180.0


def _positions(rng: random.Random) -> list[tuple[float, float]]:
    """Reads scattered over 3 km of the scene, some on cell edges and corners, and a
    few far away (the other hemisphere, the antimeridian)."""
    lat, lon = SCENE
    spots = [(lat + rng.uniform(-0.03, 0.03), lon + rng.uniform(-0.03, 0.03)) for _ in range(160)]
    row, column = int((lat + 90) / geocell.CELL_DEGREES), int((lon + 180) / geocell.CELL_DEGREES)
    for dr in range(-3, 4):
        for dc in range(-3, 4):
            south, west = _edge(row + dr, column + dc)
            spots += [(south, west), (south, lon), (lat, west), (south + 1e-12, west - 1e-12)]
    return [*spots, (-33.8688, 151.2093), (0.0, 179.99999), (0.0, -180.0), (89.99, 0.5)]


@pytest.fixture
def scattered(app: Application, admin: Actor) -> tuple[Actor, list[tuple[str, float, float]]]:
    app.services.cameras.create(admin, CameraFields(name="Unit 7", source="0", mobile=True))
    rng = random.Random(11)
    placed = []
    reads = []
    for i, (lat, lon) in enumerate(_positions(rng)):
        plate = f"7AR{i % 97:03d}"  # plates recur: a canvass groups them
        placed.append((plate, lat, lon))
        reads.append(
            placed_read(i, plate, tag="area", camera="Unit 7", minutes=i * 7, at=(lat, lon))
        )
    app.services.ingest.store(reads)
    detective = create_active_user(app, admin, "det.area", [Role.INVESTIGATOR])
    return detective, placed


def test_the_database_computes_the_cell_python_does(
    app: Application, scattered: tuple[Actor, list[tuple[str, float, float]]]
) -> None:
    dialect = app.database.engine.dialect.name
    cell = area_index.cell_expression(dialect)
    with app.database.sessions() as session:
        rows = session.execute(select(PlateRead.latitude, PlateRead.longitude, cell)).all()
    assert len(rows) == len(scattered[1])
    assert [c for *_, c in rows] == [geocell.cell_of(lat, lon) for lat, lon, _ in rows]
    nowhere = "(SELECT CAST(NULL AS FLOAT) AS latitude, CAST(NULL AS FLOAT) AS longitude) AS p"
    with app.database.sessions() as session:  # no position, no cell
        sql = f"SELECT {area_index.cell_sql(dialect, 'p')} FROM {nowhere}"
        assert session.execute(text(sql)).scalar() is None


def _brute(placed: list[tuple[str, float, float]], area: Area) -> dict[str, int]:
    counts: dict[str, int] = {}
    for plate, lat, lon in placed:
        if area.contains(lat, lon):
            counts[plate] = counts.get(plate, 0) + 1
    return counts


def test_areas_find_what_a_scan_finds(
    app: Application, scattered: tuple[Actor, list[tuple[str, float, float]]]
) -> None:
    detective, placed = scattered
    rng = random.Random(5)
    lat, lon = SCENE
    circles = [(lat + rng.uniform(-0.01, 0.01), lon + rng.uniform(-0.01, 0.01),
                rng.choice([30.0, 150.0, 600.0, 1800.0])) for _ in range(8)]  # fmt: skip
    # A cell corner as the centre, and a circle too large for the cells (its bounding
    # box on the location index instead).
    corner = _edge(int((lat + 90) / geocell.CELL_DEGREES), int((lon + 180) / geocell.CELL_DEGREES))
    circles += [(*corner, 5.0), (*corner, 400.0), (lat, lon, 40_000.0)]
    assert Area(near=(lat, lon, 40_000.0)).cells() is None
    for clat, clon, metres in circles:
        area = Area(near=(clat, clon, metres))
        expected = _brute(placed, area)
        result = app.services.search.canvass(
            detective, CanvassRequest(clat, clon, metres, *WINDOW, PURPOSE, CASE)
        )
        assert {p.plate_text: p.reads for p in result.plates} == expected, (clat, clon, metres)
        assert result.reads == sum(expected.values())
        page = app.services.search.search(
            detective,
            SearchRequest(
                "7AR*", PURPOSE, CASE, filters=ReadFilters(*WINDOW, area=area), limit=500
            ),
        )
        assert sorted(r.plate_text for r in page.results) == sorted(
            plate for plate, n in expected.items() for _ in range(n)
        )
    polygon = {
        "type": "Polygon",
        "coordinates": [[[lon - 0.004, lat - 0.003], [lon + 0.006, lat - 0.001],
                         [lon + 0.001, lat + 0.007], [lon - 0.004, lat - 0.003]]],
    }  # fmt: skip
    result = app.services.search.canvass(
        detective, CanvassRequest.of_polygon(polygon, *WINDOW, PURPOSE, CASE)
    )
    expected = _brute(placed, Area(polygon=polygon))
    assert expected and {p.plate_text: p.reads for p in result.plates} == expected


def test_a_canvass_is_answered_from_the_area_index(
    app: Application, scattered: tuple[Actor, list[tuple[str, float, float]]]
) -> None:
    detective, _placed = scattered
    engine = app.database.engine
    with engine.begin() as conn:  # the planner knows what the table holds
        conn.execute(text("ANALYZE plate_reads"))
    with statements_sent(engine) as sent:
        app.services.search.canvass(
            detective, CanvassRequest(*SCENE, 500.0, *WINDOW, PURPOSE, CASE)
        )
    [(statement, parameters)] = [(s, p) for s, p in sent if "GROUP BY" in s]
    plan = explain(engine, statement, parameters, no_seqscan=True)
    assert area_index.INDEX in plan, plan
    if engine.dialect.name == "sqlite":  # one seek per cell, from the window's start
        assert "read_at>?" in plan and "read_at<?" in plan, plan
