"""``alpr-desktop search`` and ``alpr-desktop canvass``: the search service without a window.

Same service, same rules as the Search and Canvass pages: the acting user signs in like
the headless node (``--user NAME``; password from ``--password-stdin``,
``ALPR_PASSWORD`` or a prompt), needs ``SEARCH_READS`` / ``CANVASS`` with current
training, and gives an authorised ``--purpose`` and a ``--case`` number; the access
record is committed before a result is printed. Times are ISO 8601; one without a time
zone is taken in this machine's local time. ``search … --export FILE.zip`` writes every
match to a package instead (``services/search_export.py``; recorded as an export) and
prints the count, the file and its SHA-256; ``alpr-desktop package verify`` checks it.
``search … --map FILE.html`` writes the matches' map as one standalone page (an export
too, ``services/maps.py``). ``canvass`` takes the scene as ``LAT,LON,METRES`` or an area
as ``--polygon FILE`` (GeoJSON, as the Canvass page's map draws it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alpr_desktop.errors import ValidationError

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.services.base import Actor


def add_search_arguments(search: argparse.ArgumentParser, acting: Callable[[Any], None]) -> None:
    acting(search)
    search.add_argument("pattern", help="plate or pattern: * any run, ? one character")
    _purpose(search)
    search.add_argument("--confusable", action="store_true", help="O/0/D/Q, I/1/L, … alike")
    search.add_argument("--fuzzy", action="store_true", help="one character more, less or other")
    search.add_argument("--since", type=_time, metavar="TIME")
    search.add_argument("--until", type=_time, metavar="TIME")
    search.add_argument("--camera", action="append", default=[], metavar="NAME")
    search.add_argument("--near", type=_circle, metavar="LAT,LON,METRES")
    search.add_argument("--polygon", type=Path, metavar="FILE", help="a GeoJSON Polygon file")
    search.add_argument("--hotlist-hits", action="store_true", help="only reads that alerted")
    search.add_argument("--mobile", action="store_true", help="only mobile units' reads")
    search.add_argument("--limit", type=int, default=100, metavar="K")
    search.add_argument("--json", action="store_true", help="one JSON object per line")
    search.add_argument(
        "--export",
        type=Path,
        metavar="FILE.zip",
        help="write every match (CSV, JSON, crops, context images, SHA-256 manifest) to a "
        "zip file instead of printing them; recorded as an export",
    )
    search.add_argument(
        "--map",
        type=Path,
        metavar="FILE.html",
        help="write a map of every match with a position to one standalone HTML file "
        "(Leaflet inlined, the department's tiles or a grid) for a case file; an export",
    )


def add_canvass_arguments(canvass: argparse.ArgumentParser, acting: Callable[[Any], None]) -> None:
    acting(canvass)
    canvass.add_argument(
        "where", type=_circle, nargs="?", metavar="LAT,LON,METRES", help="the scene and radius"
    )
    canvass.add_argument(
        "--polygon", type=Path, metavar="FILE", help="a GeoJSON Polygon file: the area instead"
    )
    canvass.add_argument("--since", type=_time, required=True, metavar="TIME")
    canvass.add_argument("--until", type=_time, required=True, metavar="TIME")
    _purpose(canvass)
    canvass.add_argument("--json", action="store_true", help="one JSON object per line")


def _purpose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--purpose", required=True, help="one of the department's purposes")
    parser.add_argument("--case", required=True, metavar="NUMBER", help="case or incident number")


def _time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date or time") from None
    return value if value.tzinfo is not None else value.astimezone()


def _circle(text: str) -> tuple[float, float, float]:
    parts = text.split(",")
    try:
        lat, lon, metres = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LAT,LON,METRES") from None
    return lat, lon, metres


def run_search(app: Application, actor: Actor, args: argparse.Namespace) -> int:
    from alpr_desktop.services.search import Area, ReadFilters, SearchRequest, result_json

    polygon = _polygon(args.polygon) if args.polygon else None
    if polygon is not None and args.near is not None:
        raise ValidationError("Give --near or --polygon, not both.")
    filters = ReadFilters(
        since=args.since,
        until=args.until,
        cameras=tuple(args.camera),
        area=Area(near=args.near, polygon=polygon),
        hotlist_hits_only=args.hotlist_hits,
        mobile_only=args.mobile,
    )
    request = SearchRequest(
        args.pattern,
        args.purpose,
        args.case,
        confusable=args.confusable,
        fuzzy=args.fuzzy,
        filters=filters,
        limit=args.limit,
    )
    if args.export is not None and args.map is not None:
        raise ValidationError("Give --export or --map, not both.")
    if args.export is not None:
        return _export(app, actor, request, args.export)
    if args.map is not None:
        return _map(app, actor, request, args.map)
    page = app.services.search.search(actor, request)
    for rank, result in enumerate(page.results, 1):
        if args.json:
            print(result_json(result))
            continue
        print(
            f"{rank:>4}  {result.quality.name.lower():<11} {result.plate_text:<9} "
            f"{result.read_at.isoformat(timespec='seconds')}  {result.camera_name or '-':<18} "
            f"{result.confidence:.0%}  {result.reason}"
        )
    more = " (more than the search ranks: narrow it)" if page.capped else ""
    shown = len(page.results)
    if not args.json:
        print(f"{page.total} read(s) matched{more}; {shown} shown. Access record {page.record_id}.")
    return 0


def _export(app: Application, actor: Actor, request: Any, target: Path) -> int:
    if target.suffix.lower() != ".zip":
        raise ValidationError(f"--export needs a .zip file name, not {target.name!r}.")
    done = app.services.search.export(actor, request, target)
    capped = " (more matched than a search ranks: narrow it)" if done.capped else ""
    print(
        f"Exported {done.reads} read(s){capped} to {done.path} "
        f"(SHA-256 {done.sha256}). Access record {done.record_id}."
    )
    return 0


def _map(app: Application, actor: Actor, request: Any, target: Path) -> int:
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValidationError(f"--map needs an .html file name, not {target.name!r}.")
    done = app.services.maps.export_search_map(actor, request, target)
    capped = " (more matched than a map draws: the newest are drawn)" if done.capped else ""
    print(
        f"Mapped {done.reads} read(s){capped} to {done.path} "
        f"(SHA-256 {done.sha256}). Access record {done.record_id}."
    )
    return 0


def run_canvass(app: Application, actor: Actor, args: argparse.Namespace) -> int:
    from alpr_desktop.services.search import CanvassRequest

    if (args.where is None) == (args.polygon is None):
        raise ValidationError("Give the scene as LAT,LON,METRES or --polygon FILE, one of them.")
    if args.polygon is not None:
        request = CanvassRequest.of_polygon(
            _polygon(args.polygon), args.since, args.until, args.purpose, args.case
        )
    else:
        lat, lon, metres = args.where
        request = CanvassRequest(lat, lon, metres, args.since, args.until, args.purpose, args.case)
    result = app.services.search.canvass(actor, request)
    for plate in result.plates:
        if args.json:
            print(
                json.dumps(
                    {
                        "plate": plate.plate_text,
                        "reads": plate.reads,
                        "first_seen": plate.first_seen.isoformat(),
                        "last_seen": plate.last_seen.isoformat(),
                        "cameras": list(plate.cameras),
                        "nearest_m": round(plate.nearest_m, 1),
                    },
                    separators=(",", ":"),
                )
            )
            continue
        print(
            f"{plate.plate_text:<9} {plate.reads:>5}  "
            f"{plate.first_seen.isoformat(timespec='seconds')} – "
            f"{plate.last_seen.isoformat(timespec='seconds')}  {plate.nearest_m:>7.0f} m  "
            f"{', '.join(plate.cameras) or '-'}"
        )
    if not args.json:
        capped = " (the window held more reads than a canvass takes: narrow it)"
        print(
            f"{len(result.plates)} plate(s) in {result.reads} read(s)"
            f"{capped if result.capped else ''}. Access record {result.record_id}."
        )
    return 0


def _polygon(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}.") from None
    except ValueError:
        raise ValidationError(f"{path} is not JSON.") from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict):
        raise ValidationError(f"{path} holds no GeoJSON Polygon.")
    return data
