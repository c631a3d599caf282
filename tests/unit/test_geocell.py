"""Map cells: an area's cells hold every position inside it, and no more than needed."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from alpr_desktop.core import geocell
from alpr_desktop.services.search import Area, distance_m

latitudes = st.floats(min_value=-70.0, max_value=70.0)
longitudes = st.floats(min_value=-179.0, max_value=179.0)


@settings(max_examples=300, deadline=None)
@given(
    lat=latitudes,
    lon=longitudes,
    metres=st.floats(min_value=1.0, max_value=4000.0),
    bearing=st.floats(min_value=0.0, max_value=2 * math.pi),
    share=st.floats(min_value=0.0, max_value=1.0),
)
def test_a_position_in_a_circle_is_in_one_of_its_cells(
    lat: float, lon: float, metres: float, bearing: float, share: float
) -> None:
    area = Area(near=(lat, lon, metres))
    per_degree = math.radians(6_371_008.8)
    along = metres * share
    point = (
        lat + along * math.cos(bearing) / per_degree,
        lon + along * math.sin(bearing) / (per_degree * math.cos(math.radians(lat))),
    )
    cells = area.cells()
    bounds = area.bounds()
    assert bounds is not None
    every = geocell.cells_covering(bounds)
    if cells is None:  # too many cells (far north, a wide circle): the bounding box then
        assert every is None
        return
    assert every is not None and set(cells) <= set(every) and cells == sorted(cells)
    if area.contains(*point):  # (the rounding of the last step may put it just outside)
        assert geocell.cell_of(*point) in cells


@settings(max_examples=200, deadline=None)
@given(
    lat=latitudes,
    lon=longitudes,
    corners=st.lists(
        st.tuples(st.floats(-0.01, 0.01), st.floats(-0.01, 0.01)), min_size=3, max_size=3
    ),
    weights=st.tuples(st.floats(0.01, 1), st.floats(0.01, 1), st.floats(0.01, 1)),
)
def test_a_position_in_a_polygon_is_in_one_of_its_cells(
    lat: float,
    lon: float,
    corners: list[tuple[float, float]],
    weights: tuple[float, float, float],
) -> None:
    ring = [[lon + dx, lat + dy] for dy, dx in corners]
    (x1, y1), (x2, y2), (x3, y3) = ring
    if abs((x2 - x1) * (y3 - y1) - (x3 - x1) * (y2 - y1)) < 1e-9:
        return  # no area
    area = Area(polygon={"type": "Polygon", "coordinates": [[*ring, ring[0]]]})
    total = sum(weights)
    point = (
        sum(w * p[1] for w, p in zip(weights, ring, strict=True)) / total,
        sum(w * p[0] for w, p in zip(weights, ring, strict=True)) / total,
    )
    cells = area.cells()
    assert cells is not None and geocell.cell_of(*point) in cells


def test_a_circle_leaves_out_the_cells_it_does_not_reach() -> None:
    area = Area(near=(38.58, -121.49, 500.0))
    cells = area.cells()
    bounds = area.bounds()
    assert cells is not None and bounds is not None
    every = geocell.cells_covering(bounds)
    assert every is not None and len(cells) < len(every)
    for cell in set(every) - set(cells):  # each left out lies wholly outside
        row, column = divmod(cell, geocell.COLUMNS)
        south = row * geocell.CELL_DEGREES - 90.0
        west = column * geocell.CELL_DEGREES - 180.0
        for k in range(11):
            for j in range(11):
                lat = south + geocell.CELL_DEGREES * k / 10
                lon = west + geocell.CELL_DEGREES * j / 10
                assert distance_m(38.58, -121.49, lat, lon) > 499.0


def test_cells_of_positions_and_of_large_or_empty_areas() -> None:
    assert geocell.cell_of(None, -121.0) is None and geocell.cell_of(38.0, None) is None
    # Rows of 144,000 columns from the south pole, columns from the antimeridian.
    assert geocell.cell_of(-90.0, -180.0) == 0
    assert geocell.cell_of(-90.0, -179.997) == 1
    assert geocell.cell_of(-89.997, -180.0) == geocell.COLUMNS
    assert geocell.cell_of(38.581, -121.491) == 51432 * geocell.COLUMNS + 23403
    # A 50 km circle is too many cells: its bounding box is used instead.
    assert Area(near=(38.58, -121.49, 50_000.0)).cells() is None
    assert geocell.cells_covering((38.6, -121.4, 38.5, -121.3)) is None  # south above north
    assert Area().cells() is None
