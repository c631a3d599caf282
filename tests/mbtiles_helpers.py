"""A small MBTiles file of real PNG tiles (OpenCV-encoded) for the map tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from alpr_desktop.services.mbtiles import _tile_of

#: Around the test scenes (south, west, north, east).
AREA = (38.57, -121.50, 38.60, -121.47)


def make_mbtiles(
    path: Path,
    *,
    area: tuple[float, float, float, float] = AREA,
    zooms: Iterable[int] = range(10, 15),
    metadata: dict[str, str] | None = None,
) -> int:
    """Write ``path`` with one solid tile (its colour by zoom) for every XYZ tile of
    ``area`` at ``zooms``, rows counted from the south as MBTiles stores them; the count."""
    south, west, north, east = area
    meta = {"name": "Test city", "format": "png", "attribution": "Test tiles © the city"}
    meta.update(metadata or {})
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name text, value text)")
    db.execute(
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,"
        " tile_data blob)"
    )
    db.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
    count = 0
    for z in zooms:
        x0, y0 = _tile_of(north, west, z)
        x1, y1 = _tile_of(south, east, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                image = np.full((256, 256, 3), (40 + z * 10, 180, 90), np.uint8)
                cv2.putText(image, f"{z}/{x}/{y}", (8, 128), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                            (255, 255, 255), 1)  # fmt: skip
                ok, data = cv2.imencode(".png", image)
                assert ok
                db.execute(
                    "INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, 2**z - 1 - y, data.tobytes())
                )
                count += 1
    db.commit()
    db.close()
    return count
