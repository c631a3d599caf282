"""Map cells: the grid the area index keys reads by (pure; no database here).

A circle or polygon search, and every canvass, asks for the reads in a small area and a
time window. A B-tree on (latitude, longitude) answers the area poorly: the latitude
range of a 500 m circle is a strip across the whole city, every read in it read to test
its longitude. The area index (:mod:`alpr_desktop.storage.area_index`) keys each read
by its **cell** instead — a square of :data:`CELL_DEGREES` degrees (about 280 m north to
south, 220 m east to west at 38°N) — and by its time, so an area is the handful of
cells it covers, each one seek to the window's start.

A cell's number is ``row * COLUMNS + column``, where ``row`` and ``column`` are the
truncated ``(latitude + 90) / CELL_DEGREES`` and ``(longitude + 180) / CELL_DEGREES``.
:func:`cell_of` computes it in Python exactly as the index's SQL expression does (the
same IEEE division, truncated: ``CAST(… AS INTEGER)`` on SQLite, ``trunc`` on
PostgreSQL), and the truncation is monotonic, so every read inside an area's bounding
box lies in one of the cells :func:`cells_covering` lists for it. The exact circle or
polygon is still tested afterwards; the cells only narrow.
"""

from __future__ import annotations

from collections.abc import Callable

#: The side of a cell, in degrees.
CELL_DEGREES = 0.0025
#: Cells in one row of the grid (360° of longitude); the column of longitude 180° itself
#: runs into the next row's first cell, which only adds a candidate the exact test drops.
COLUMNS = 144_000
#: The most cells an area is looked up by (a 5 km circle covers about 1,600); beyond it
#: the area is narrowed by its bounding box on the location index instead.
MAX_CELLS = 2_048


def cell_of(latitude: float | None, longitude: float | None) -> int | None:
    """The cell holding a position (None without one), as the area index computes it."""
    if latitude is None or longitude is None:
        return None
    return _row(latitude) * COLUMNS + _column(longitude)


def _row(latitude: float) -> int:
    return int((latitude + 90.0) / CELL_DEGREES)


def _column(longitude: float) -> int:
    return int((longitude + 180.0) / CELL_DEGREES)


def cells_covering(
    bounds: tuple[float, float, float, float],
    touches: Callable[[float, float, float, float], bool] | None = None,
) -> list[int] | None:
    """The cells a bounding box ``(min lat, min lon, max lat, max lon)`` overlaps, in
    order, or None when they are more than :data:`MAX_CELLS` (or the box is not one).

    ``touches(min lat, min lon, max lat, max lon)``, if given, says whether the area
    reaches into a cell (a circle does not reach a box's corners): the cells it rules
    out are left out. It must never rule out a cell the area reaches.
    """
    min_lat, min_lon, max_lat, max_lon = bounds
    if not (min_lat <= max_lat and min_lon <= max_lon):
        return None
    rows = range(_row(min_lat), _row(max_lat) + 1)
    columns = range(_column(min_lon), _column(max_lon) + 1)
    if len(rows) * len(columns) > MAX_CELLS:
        return None
    cells: list[int] = []
    for row in rows:
        south = row * CELL_DEGREES - 90.0
        for column in columns:
            west = column * CELL_DEGREES - 180.0
            # The cell's edges widened by a hair: the test must not drop a cell a
            # position on its edge falls in after rounding.
            if touches is None or touches(
                south - 1e-9, west - 1e-9, south + CELL_DEGREES + 1e-9, west + CELL_DEGREES + 1e-9
            ):
                cells.append(row * COLUMNS + column)
    return cells
