"""The workstation's own map tiles: an MBTiles file read as Leaflet asks (rows from the
north), files that cannot serve refused with their reason, the tiles of an exported map
chosen whole zoom by zoom within their budget, and the scheme's paths parsed strictly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from alpr_desktop.services.mbtiles import MBTiles, MBTilesError, _tile_of
from tests.mbtiles_helpers import make_mbtiles


def test_a_tile_is_found_by_its_xyz_row_and_the_metadata_is_read(tmp_path: Path) -> None:
    path = tmp_path / "city.mbtiles"
    make_mbtiles(path, metadata={"bounds": "-121.5,38.57,-121.47,38.6"})
    tiles = MBTiles(path)
    meta = tiles.metadata
    assert (meta.name, meta.media_type, meta.min_zoom, meta.max_zoom) == (
        "Test city", "image/png", 10, 14,
    )  # fmt: skip
    assert meta.attribution == "Test tiles © the city"
    assert meta.bounds == (-121.5, 38.57, -121.47, 38.6)
    x, y = _tile_of(38.58, -121.49, 14)
    assert (x, y) == (2662, 6286)  # the Web Mercator tile, as any tile server numbers it
    data = tiles.tile(14, x, y)
    assert data is not None and data.startswith(b"\x89PNG")
    # Stored counted from the south: the same numbers as a TMS row find nothing here.
    db = sqlite3.connect(path)
    [(tms_row,)] = db.execute(
        "SELECT tile_row FROM tiles WHERE zoom_level = 14 AND tile_column = ? AND tile_data = ?",
        (x, data),
    ).fetchall()
    assert tms_row == 2**14 - 1 - y != y
    assert tiles.tile(14, x, tms_row) is None
    assert tiles.tile(3, 1, 1) is None  # a zoom the file lacks
    assert tiles.tile(14, 2**14, 0) is None and tiles.tile(40, 0, 0) is None
    tiles.close()


def test_the_format_is_sniffed_when_the_metadata_does_not_say(tmp_path: Path) -> None:
    path = tmp_path / "plain.mbtiles"
    make_mbtiles(path, zooms=[12], metadata={"format": ""})
    assert MBTiles(path).metadata.media_type == "image/png"


def _tiff(path: Path) -> None:
    make_mbtiles(path, zooms=[12], metadata={"format": "tiff"})
    db = sqlite3.connect(path)
    db.execute("UPDATE tiles SET tile_data = ?", (b"II*\0" + b"\0" * 64,))
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.write_bytes(b"not a database at all" * 100), "is not an MBTiles file"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE other (a)"), "no tiles or metadata"),
        (lambda p: make_mbtiles(p, metadata={"format": "pbf"}), "vector tiles"),
        (lambda p: _tiff(p), "format 'tiff'"),
        (lambda p: make_mbtiles(p, zooms=[]), "holds no tiles"),
    ],
)
def test_a_file_that_cannot_serve_is_refused_with_its_reason(
    tmp_path: Path, make: object, message: str
) -> None:
    path = tmp_path / "bad.mbtiles"
    make(path)  # type: ignore[operator]
    with pytest.raises(MBTilesError, match=message):
        MBTiles(path)


def test_an_exported_map_takes_whole_zooms_within_its_budget(tmp_path: Path) -> None:
    path = tmp_path / "city.mbtiles"
    make_mbtiles(path)
    tiles = MBTiles(path)
    scene = ((38.575, -121.495), (38.585, -121.485))
    every = tiles.tiles_for(scene)
    zooms = sorted({int(key.split("/")[0]) for key in every})
    assert zooms == [10, 11, 12, 13, 14]
    for key, data in every.items():
        z, x, y = (int(p) for p in key.split("/"))
        assert tiles.tile(z, x, y) == data
    # A budget that holds the first zooms only: no zoom is taken in part.
    sizes = {z: sum(len(v) for k, v in every.items() if k.startswith(f"{z}/")) for z in zooms}
    budget = sizes[10] + sizes[11] + sizes[12] // 2
    some = tiles.tiles_for(scene, budget=budget)
    assert sorted({int(key.split("/")[0]) for key in some}) == [10, 11]
    assert tiles.tiles_for(scene, budget=0) == {}


def test_the_schemes_paths_are_parsed_strictly() -> None:
    from alpr_desktop.gui.map_tiles import parse_tile_path

    assert parse_tile_path("14/2662/6285") == (14, 2662, 6285)
    assert parse_tile_path("/14/2662/6285.png") == (14, 2662, 6285)
    for bad in ("", "14/2662", "14/2662/6285/1", "14/-1/3", "a/b/c", "1/2/3e4", "9999999999/1/1",
                "²/1/1", "١٤/1/1"):  # fmt: skip
        assert parse_tile_path(bad) is None, bad
