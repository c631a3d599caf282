"""A workstation's own map tiles: an MBTiles file (the MBTiles 1.3 specification).

A department with no tile server — or none reachable from the building — can give each
workstation one SQLite file of raster tiles (``LocalConfig.map_tiles_file``, exported
by any tile tool: TileMill, QGIS's "Generate XYZ tiles (MBTiles)", ``gdal_translate -of
MBTILES``). The workstation then serves them to its maps itself, through a URL scheme of
its own (:data:`TILE_SCHEME`, ``gui/map_tiles.py``): no server, no port, no network.

MBTiles rows count from the south (TMS); Leaflet asks for tiles counted from the north
(XYZ): :meth:`MBTiles.tile` flips the row. Only raster tiles (PNG, JPEG, WebP) can be
drawn by the maps; a file of vector tiles (``pbf``) is refused with that reason.
A map exported to a case file carries the tiles covering its reads, inlined, up to
:data:`INLINE_TILE_BUDGET` bytes (:meth:`MBTiles.tiles_for`).
"""

from __future__ import annotations

import math
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from alpr_desktop.errors import ValidationError

#: The URL scheme maps ask the workstation's own tiles by: ``alpr-tiles:Z/X/Y``.
TILE_SCHEME = "alpr-tiles"
TILE_URL = f"{TILE_SCHEME}:{{z}}/{{x}}/{{y}}"
#: Raster formats a map can draw, by the metadata's ``format``.
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
#: The most tile bytes a map exported to a case file carries inlined.
INLINE_TILE_BUDGET = 8 * 1024 * 1024


class MBTilesError(ValidationError):
    """The file cannot be used as map tiles (the message says why)."""

    #: The file refused (set by whoever remembers the refusal).
    path: Path | None = None


@dataclass(frozen=True)
class TileMetadata:
    name: str
    media_type: str
    attribution: str
    min_zoom: int
    max_zoom: int
    #: (west, south, east, north) in degrees, when the file says.
    bounds: tuple[float, float, float, float] | None


class MBTiles:
    """One MBTiles file, read-only; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise MBTilesError(f"The map tiles file {path} does not exist.")
        self._db = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        self._lock = threading.Lock()
        try:
            self.metadata = self._read_metadata()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise MBTilesError(f"{path.name} is not an MBTiles file: {exc}.") from None
        except MBTilesError:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def _read_metadata(self) -> TileMetadata:
        names = {
            row[0]
            for row in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            )
        }
        if not {"tiles", "metadata"} <= names:
            raise MBTilesError(f"{self.path.name} is not an MBTiles file: no tiles or metadata.")
        meta = {str(k): str(v) for k, v in self._db.execute("SELECT name, value FROM metadata")}
        kind = meta.get("format", "").lower()
        if kind == "pbf":
            raise MBTilesError(
                f"{self.path.name} holds vector tiles (pbf); the maps draw raster tiles "
                "(PNG, JPEG or WebP)."
            )
        declared = kind
        if kind not in MEDIA_TYPES:
            kind = self._sniff() or ""
        if kind not in MEDIA_TYPES:
            raise MBTilesError(
                f"{self.path.name} holds tiles of format {declared or 'unknown'!r}; the maps "
                "draw PNG, JPEG or WebP tiles."
            )
        low, high = self._db.execute(
            "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles"
        ).fetchone()
        if low is None:
            raise MBTilesError(f"{self.path.name} holds no tiles.")
        return TileMetadata(
            name=meta.get("name", self.path.stem),
            media_type=MEDIA_TYPES[kind],
            attribution=meta.get("attribution", ""),
            min_zoom=int(low),
            max_zoom=int(high),
            bounds=_bounds(meta.get("bounds", "")),
        )

    def _sniff(self) -> str | None:
        row = self._db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
        data = bytes(row[0]) if row else b""
        if data.startswith(b"\x89PNG"):
            return "png"
        if data.startswith(b"\xff\xd8"):
            return "jpg"
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return "webp"
        return None

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at zoom ``z``, column ``x``, row ``y`` counted from the north (XYZ,
        as Leaflet asks), or None when the file has none there."""
        if not (0 <= z <= 30 and 0 <= x < 2**z and 0 <= y < 2**z):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ?"
                " AND tile_row = ?",
                (z, x, 2**z - 1 - y),
            ).fetchone()
        return bytes(row[0]) if row else None

    def tiles_for(
        self,
        bounds: tuple[tuple[float, float], tuple[float, float]],
        budget: int = INLINE_TILE_BUDGET,
    ) -> dict[str, bytes]:
        """The tiles (``"z/x/y"`` → bytes) covering ``bounds`` ((south, west), (north,
        east)) from the file's lowest zoom up, each zoom whole or not at all, within
        ``budget`` bytes: what a map exported for a case file carries."""
        (south, west), (north, east) = bounds
        out: dict[str, bytes] = {}
        used = 0
        for z in range(self.metadata.min_zoom, self.metadata.max_zoom + 1):
            x0, y0 = _tile_of(north, west, z)
            x1, y1 = _tile_of(south, east, z)
            if (x1 - x0 + 1) * (y1 - y0 + 1) > 4096:
                break
            level: dict[str, bytes] = {}
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    data = self.tile(z, x, y)
                    if data is not None:
                        level[f"{z}/{x}/{y}"] = data
            size = sum(len(v) for v in level.values())
            if used + size > budget:
                break
            out.update(level)
            used += size
        return out


def _tile_of(lat: float, lon: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a position at zoom ``z`` (Web Mercator)."""
    lat = max(-85.0511, min(85.0511, lat))
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def _bounds(text: str) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(p) for p in text.split(","))
    except ValueError:
        return None
    return west, south, east, north
