"""Partial-plate search, canvass and opening a read — each recorded before any data.

A detective (``SEARCH_READS``, ``CANVASS``, ``OPEN_READ``: investigators and
supervisors with a current training record) gives an authorised purpose and a case
number (Civ. Code 1798.90.52; policy 471.4(c), 471.6). The access record — the pattern
verbatim and every filter, as canonical JSON — is committed in a transaction of its own
*before* the search runs, so no result exists without its record. A refusal (no
purpose, no case number, no training, no role) is recorded as refused.

How a search runs (``docs/storage.md``, "Plate search"): the pattern is compiled in
:mod:`alpr_desktop.core.search`, whose ``globs()`` say what the trigram index
(:mod:`alpr_desktop.storage.search_index`) must look for — as written, folded in
confusable mode, every one-edit variant in fuzzy mode — and whose ``classify()`` then
decides, for each candidate read and its other readings, whether and how it matched.
The filters are applied in SQL (time, cameras, mobile units, hotlist hits, the map cells
a radius or polygon reaches — :mod:`alpr_desktop.storage.area_index`) and exactly in
Python (the circle, the polygon). Results are
ranked by match quality (exact, another reading, confusable, one edit), then
confidence, then time, newest first.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from alpr_desktop.core import geocell
from alpr_desktop.core.patterns import PatternError, fold_confusables_pattern
from alpr_desktop.core.plates import PLATE_ALPHABET
from alpr_desktop.core.roles import Action
from alpr_desktop.core.search import (
    MatchQuality,
    SearchGlob,
    SearchPattern,
    compile_search,
)
from alpr_desktop.errors import NotFoundError, ValidationError
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext
from alpr_desktop.storage import area_index
from alpr_desktop.storage.models import Alert, Camera, PlateRead, ReadAlternative, StoredImage

if TYPE_CHECKING:
    from alpr_desktop.services.search_export import ExportResult

#: Most candidate reads one search ranks; beyond it the detective is asked to narrow it.
CANDIDATE_LIMIT = 5000
MAX_PAGE = 500
MAX_RADIUS_M = 50_000.0
MAX_CANVASS_PLATES = 20_000
_EARTH_M = 6_371_008.8


@dataclass(frozen=True)
class Area:
    """A circle (``near``) or a GeoJSON polygon (``polygon``) reads must lie in."""

    near: tuple[float, float, float] | None = None  # latitude, longitude, metres
    polygon: dict[str, Any] | None = None  # GeoJSON Polygon (lon, lat order)

    def check(self) -> None:
        if self.near is not None:
            lat, lon, metres = self.near
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValidationError("The centre must be a latitude and longitude.")
            if not 0 < metres <= MAX_RADIUS_M:
                raise ValidationError(f"The radius must be 1–{MAX_RADIUS_M:,.0f} metres.")
        if self.polygon is not None:
            _shape(self.polygon)

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(min lat, min lon, max lat, max lon) of the area, or None for no area."""
        if self.near is not None:
            lat, lon, metres = self.near
            dlat = math.degrees(metres / _EARTH_M)
            dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
            return lat - dlat, lon - dlon, lat + dlat, lon + dlon
        if self.polygon is not None:
            min_lon, min_lat, max_lon, max_lat = _shape(self.polygon).bounds
            return min_lat, min_lon, max_lat, max_lon
        return None

    def test(self) -> Callable[[float, float], bool]:
        """A fast test of many (latitude, longitude) positions: the circle's local scale
        worked out once, the polygon prepared once (shapely)."""
        if self.near is not None:
            clat, clon, metres = self.near
            dy, dx = _local_offsets(clat)
            limit = metres**2
            return lambda lat, lon: ((lat - clat) * dy) ** 2 + ((lon - clon) * dx) ** 2 <= limit
        if self.polygon is not None:
            from shapely.geometry import Point
            from shapely.prepared import prep

            shape = prep(_shape(self.polygon))
            return lambda lat, lon: bool(shape.covers(Point(lon, lat)))
        return lambda lat, lon: True

    def cells(self) -> list[int] | None:
        """The map cells the area reaches (:mod:`alpr_desktop.core.geocell`), or None for
        no area or one too large to look up by cell (its bounding box is used then)."""
        bounds = self.bounds()
        if bounds is None:
            return None
        return geocell.cells_covering(bounds, self._touches())

    def _touches(self) -> Callable[[float, float, float, float], bool] | None:
        """Whether the area reaches into a box (south, west, north, east)."""
        if self.near is not None:
            clat, clon, metres = self.near
            dy, dx = _local_offsets(clat)
            limit = metres**2 * (1 + 1e-9)

            def touches_circle(south: float, west: float, north: float, east: float) -> bool:
                lat, lon = min(max(clat, south), north), min(max(clon, west), east)
                return ((lat - clat) * dy) ** 2 + ((lon - clon) * dx) ** 2 <= limit

            return touches_circle
        if self.polygon is not None:
            from shapely.geometry import box
            from shapely.prepared import prep

            shape = prep(_shape(self.polygon))
            return lambda south, west, north, east: bool(
                shape.intersects(box(west, south, east, north))
            )
        return None

    def contains(self, lat: float | None, lon: float | None) -> bool:
        if lat is None or lon is None:
            return False
        if self.near is not None:
            clat, clon, metres = self.near
            dy, dx = _local_offsets(clat)
            return ((lat - clat) * dy) ** 2 + ((lon - clon) * dx) ** 2 <= metres**2
        if self.polygon is not None:
            from shapely.geometry import Point

            return bool(_shape(self.polygon).covers(Point(lon, lat)))
        return True


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(min(1.0, math.sqrt(h)))


def _local_offsets(latitude: float) -> tuple[float, float]:
    """Metres per degree of latitude and of longitude around ``latitude``.

    Whether a read lies in a circle is decided on this local flat map, in SQL and in
    Python alike (:meth:`Area.contains`, :func:`_circle_sql`): within the 50 km a radius
    may span it differs from the great circle by well under a metre.
    """
    per_degree = math.radians(_EARTH_M)
    return per_degree, per_degree * max(math.cos(math.radians(latitude)), 1e-6)


def _circle_sql(latitude: float, longitude: float) -> ColumnElement[Any]:
    """Squared metres from a point to each read, on the local flat map (SQL)."""
    dy, dx = _local_offsets(latitude)
    north = (PlateRead.latitude - latitude) * dy
    east = (PlateRead.longitude - longitude) * dx
    return north * north + east * east


def _aware(value: dt.datetime) -> dt.datetime:
    """An aggregate's time: SQLite's MIN/MAX may come back naive (stored as UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _shape(polygon: dict[str, Any]) -> Any:
    from shapely.geometry import shape

    if not isinstance(polygon, dict) or polygon.get("type") != "Polygon":
        raise ValidationError("The area must be a GeoJSON Polygon.")
    try:
        geometry = shape(polygon)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValidationError(f"The polygon is not valid GeoJSON: {exc}.") from None
    if geometry.is_empty or not geometry.is_valid or geometry.area == 0:
        raise ValidationError("The polygon must enclose an area and not cross itself.")
    return geometry


@dataclass(frozen=True)
class ReadFilters:
    """What reads a search or canvass looks at, besides the plate."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    cameras: tuple[str, ...] = ()
    area: Area = field(default_factory=Area)
    hotlist_hits_only: bool = False
    mobile_only: bool = False

    def check(self) -> None:
        for value in (self.since, self.until):
            if value is not None and value.tzinfo is None:
                raise ValidationError("Times must carry their time zone.")
        if self.since and self.until and self.since >= self.until:
            raise ValidationError("The start of the time range must be before its end.")
        self.area.check()

    def canonical(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "cameras": list(self.cameras),
            "near": list(self.area.near) if self.area.near else None,
            "polygon": self.area.polygon,
            "hotlist_hits_only": self.hotlist_hits_only,
            "mobile_only": self.mobile_only,
        }


@dataclass(frozen=True)
class SearchRequest:
    pattern: str
    purpose: str
    case_number: str
    confusable: bool = False
    fuzzy: bool = False
    filters: ReadFilters = field(default_factory=ReadFilters)
    limit: int = 100
    offset: int = 0
    #: Return each result's crop with the page (the Search page's thumbnails). The crop
    #: is part of what the search shows, under the search's own access record; the
    #: context frame is not (opening a read is a record of its own).
    thumbnails: bool = False


@dataclass(frozen=True)
class ReadResult:
    """One read a search found, with why."""

    read_id: int
    read_at: dt.datetime
    plate_text: str
    confidence: float
    camera_name: str
    mobile: bool
    latitude: float | None
    longitude: float | None
    quality: MatchQuality
    matched_text: str
    reason: str
    alternatives: tuple[tuple[str, float], ...]
    crop_image_id: int | None
    context_image_id: int | None


@dataclass(frozen=True)
class SearchPage:
    #: Reads that matched (of the candidates ranked; see ``capped``).
    total: int
    #: True when more than :data:`CANDIDATE_LIMIT` reads fitted the index: narrow it.
    capped: bool
    offset: int
    results: list[ReadResult]
    #: The access record this search is (its ``id``).
    record_id: int
    #: Crop image bytes by read id (``SearchRequest.thumbnails``; JPEG or PNG).
    thumbnails: dict[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class RankedReads:
    """What :func:`ranked_reads` returns: a page, the number of matches, and whether
    more than :data:`CANDIDATE_LIMIT` fitted (then ``total`` counts the first ones)."""

    results: list[ReadResult]
    total: int
    capped: bool


@dataclass(frozen=True)
class CanvassRequest:
    latitude: float
    longitude: float
    metres: float
    since: dt.datetime
    until: dt.datetime
    purpose: str
    case_number: str
    #: A GeoJSON Polygon drawn on the map: the area instead of the circle (the centre
    #: is then the polygon's, for the nearest distances; ``metres`` is unused).
    polygon: dict[str, Any] | None = None

    @classmethod
    def of_polygon(
        cls,
        polygon: dict[str, Any],
        since: dt.datetime,
        until: dt.datetime,
        purpose: str,
        case_number: str,
        metres: float = 0.0,
    ) -> CanvassRequest:
        """A canvass of ``polygon`` (checked: a :class:`ValidationError` when it is not
        a usable GeoJSON Polygon), centred on its centroid."""
        centre = _shape(polygon).centroid
        return cls(centre.y, centre.x, metres, since, until, purpose, case_number, polygon)


@dataclass(frozen=True)
class CanvassPlate:
    plate_text: str
    reads: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    cameras: tuple[str, ...]
    nearest_m: float


@dataclass(frozen=True)
class CanvassResult:
    plates: list[CanvassPlate]
    #: Reads in the area and window (all of them, grouped or not).
    reads: int
    #: True when more than :data:`MAX_CANVASS_PLATES` plates were read there.
    capped: bool
    record_id: int


@dataclass(frozen=True)
class OpenedRead:
    result: ReadResult
    crop: bytes | None
    crop_type: str
    context: bytes | None
    context_type: str
    box: tuple[float, float, float, float] | None
    #: The access record opening it is (its ``id``).
    record_id: int = 0


class SearchService(BaseService):
    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    # ------------------------------------------------------------------ search
    def compile(self, request: SearchRequest) -> SearchPattern:
        """The compiled pattern, or a :class:`ValidationError` saying what is wrong."""
        try:
            return compile_search(
                request.pattern, confusable=request.confusable, fuzzy=request.fuzzy
            )
        except PatternError as exc:
            raise ValidationError(str(exc)) from None

    def search(self, actor: Actor, request: SearchRequest) -> SearchPage:
        """Record the search, then run it; one page of ranked results.

        Raises:
            ValidationError: a pattern or filter that cannot run (nothing recorded, as
                nothing was looked at), or no purpose or case number (recorded refused).
            PermissionDenied: no ``SEARCH_READS`` or no current training (recorded).
        """
        pattern = self.compile(request)
        request.filters.check()
        if not 1 <= request.limit <= MAX_PAGE or request.offset < 0:
            raise ValidationError(f"A page is 1–{MAX_PAGE} results from an offset of 0 or more.")
        query = search_query(request, pattern)
        record_id = self.audit.record_first(
            actor,
            Action.SEARCH_READS,
            request.purpose,
            request.case_number,
            query,
            "searched reads",
        )
        with self.ctx.db.readers() as session:
            ranked = ranked_reads(
                session, pattern, request.filters, offset=request.offset, limit=request.limit
            )
            thumbnails = _crops(session, ranked.results) if request.thumbnails else {}
        return SearchPage(
            ranked.total, ranked.capped, request.offset, ranked.results, record_id, thumbnails
        )

    # ------------------------------------------------------------------ canvass
    def canvass(self, actor: Actor, request: CanvassRequest) -> CanvassResult:
        """Every read within ``metres`` of a point in a time window, grouped by plate.

        Grouped in SQL (counts, first and last seen, cameras, nearest distance, and the
        reads in all, in one pass) on the area index (the cells the circle reaches, from
        the window's start); the most-read plates first, at most
        :data:`MAX_CANVASS_PLATES`.
        With a ``polygon`` the reads inside it are grouped instead
        (:mod:`.canvass_area`).
        """
        filters, query = canvass_filters(request)
        record_id = self.audit.record_first(
            actor, Action.CANVASS, request.purpose, request.case_number, query, "canvassed reads"
        )
        if request.polygon is not None:
            from alpr_desktop.services.canvass_area import polygon_canvass

            with self.ctx.db.readers() as session:
                plates, total, capped = polygon_canvass(session, filters, request.polygon)
            return CanvassResult(plates, total, capped, record_id)
        with self.ctx.db.readers() as session:
            dialect = session.get_bind().dialect.name
            squared = _circle_sql(request.latitude, request.longitude)
            reads = func.count(PlateRead.id)
            first, last = func.min(PlateRead.read_at), func.max(PlateRead.read_at)
            # Camera ids, not names: a name may hold the separator.
            camera_id = PlateRead.camera_id
            if dialect == "postgresql":
                cameras = func.string_agg(cast(camera_id, Text).distinct(), ",")
            else:
                cameras = func.group_concat(camera_id.distinct())
            stmt = _filtered(
                select(
                    PlateRead.plate_text,
                    reads.label("reads"),
                    first.label("first_seen"),
                    last.label("last_seen"),
                    cameras.label("cameras"),
                    func.min(squared).label("nearest"),
                    # Every read in the area, from the same pass (before the limit).
                    func.sum(reads).over().label("total"),
                )
                .select_from(PlateRead)
                .outerjoin(Camera, Camera.id == PlateRead.camera_id),
                filters,
                dialect,
            ).where(squared <= request.metres**2)
            stmt = stmt.group_by(PlateRead.plate_text).order_by(
                reads.desc(), first, PlateRead.plate_text
            )
            rows = session.execute(stmt.limit(MAX_CANVASS_PLATES + 1)).all()
            total = int(rows[0].total) if rows else 0
            names: dict[int, str] = {
                i: n for i, n in session.execute(select(Camera.id, Camera.name))
            }
        plates = [
            CanvassPlate(
                row.plate_text,
                row.reads,
                _aware(row.first_seen),
                _aware(row.last_seen),
                tuple(sorted(names[int(i)] for i in (row.cameras or "").split(",") if i)),
                math.sqrt(row.nearest),
            )
            for row in rows[:MAX_CANVASS_PLATES]
        ]
        return CanvassResult(plates, total, len(rows) > MAX_CANVASS_PLATES, record_id)

    # ------------------------------------------------------------------ one read
    def open_read(
        self, actor: Actor, read_id: int, *, purpose: str, case_number: str
    ) -> OpenedRead:
        """A read with its crop and context image; opening it is an access record."""
        query = {"read": read_id}
        record_id = self.audit.record_first(
            actor, Action.OPEN_READ, purpose, case_number, query, "opened a read"
        )
        with self.ctx.db.readers() as session:
            row = session.execute(_result_columns().where(PlateRead.id == read_id)).one_or_none()
            if row is None:
                raise NotFoundError(f"There is no read {read_id}.")
            alternatives = _alternatives(session, [read_id]).get(read_id, ())
            result = _result(row, MatchQuality.EXACT, row.plate_text, "", alternatives)
            crop = session.get(StoredImage, row.crop_image_id) if row.crop_image_id else None
            context = (
                session.get(StoredImage, row.context_image_id) if row.context_image_id else None
            )
            read = session.get(PlateRead, read_id)
            box = read.box_on(context.width) if read is not None and context else None
            return OpenedRead(
                result,
                crop.data if crop else None,
                crop.media_type if crop else "",
                context.data if context else None,
                context.media_type if context else "",
                box,
                record_id,
            )

    # ------------------------------------------------------------------ records
    # ------------------------------------------------------------------ export
    def export(
        self,
        actor: Actor,
        request: SearchRequest,
        target: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> ExportResult:
        """Every ranked match of ``request`` as a verifiable package (a recorded access).

        See :func:`alpr_desktop.services.search_export.export_search`.
        """
        from alpr_desktop.services.search_export import export_search

        return export_search(self, actor, request, target, progress=progress, cancel=cancel)


def canvass_filters(request: CanvassRequest) -> tuple[ReadFilters, dict[str, Any]]:
    """The filters of a canvass (its circle or polygon, its window) and what its access
    record holds; a :class:`ValidationError` when they cannot run."""
    if request.polygon is not None:
        area = Area(polygon=request.polygon)
    else:
        area = Area(near=(request.latitude, request.longitude, request.metres))
    filters = ReadFilters(since=request.since, until=request.until, area=area)
    filters.check()
    where = {"polygon": request.polygon} if request.polygon is not None else list(area.near or ())
    return filters, {"canvass": where, **filters.canonical()}


def search_query(request: SearchRequest, pattern: SearchPattern, **extra: Any) -> dict[str, Any]:
    """What a search's access record holds: the pattern verbatim, every filter, the page."""
    return {
        "pattern": request.pattern,
        "normalised": pattern.text,
        "confusable": request.confusable,
        "fuzzy": request.fuzzy,
        **request.filters.canonical(),
        "limit": request.limit,
        "offset": request.offset,
        **extra,
    }


def _result_columns() -> Any:
    return select(
        PlateRead.id,
        PlateRead.read_at,
        PlateRead.plate_text,
        PlateRead.plate_normalized,
        PlateRead.confidence,
        PlateRead.latitude,
        PlateRead.longitude,
        PlateRead.crop_image_id,
        PlateRead.context_image_id,
        PlateRead.bbox_x,
        PlateRead.bbox_y,
        PlateRead.bbox_w,
        PlateRead.bbox_h,
        PlateRead.frame_width,
        Camera.name.label("camera_name"),
        func.coalesce(Camera.mobile, False).label("mobile"),
    ).outerjoin(Camera, Camera.id == PlateRead.camera_id)


def _filtered(stmt: Any, filters: ReadFilters, dialect: str) -> Any:
    """``stmt`` (a Select over ``plate_reads`` joined to ``cameras``) with the filters."""
    where: list[ColumnElement[bool]] = []
    bounds = filters.area.bounds()
    cells = filters.area.cells()
    times: list[ColumnElement[bool]] = []
    if filters.since is not None:
        times.append(PlateRead.read_at >= filters.since)
    if filters.until is not None:
        times.append(PlateRead.read_at < filters.until)
    if cells is None and bounds is not None and dialect == "sqlite":
        # An area too large for the area index: the location index is the narrower
        # one, and SQLite's planner takes the time index unless told the time bounds
        # let most rows through.
        times = [func.likelihood(t, literal_column("0.9")) for t in times]
    where.extend(times)
    if filters.cameras:
        names = [name.casefold() for name in filters.cameras]
        where.append(func.lower(Camera.name).in_(names))
    if filters.mobile_only:
        where.append(Camera.mobile.is_(True))
    if filters.hotlist_hits_only:
        where.append(exists().where(Alert.read_id == PlateRead.id))
    if cells is not None:
        # The area index (storage/area_index.py): one seek per cell and the window. An
        # area that reaches no cell at all (it cannot: a circle reaches its centre's)
        # would be an empty IN; keep the SQL valid and the answer empty.
        where.append(area_index.cell_expression(dialect).in_(cells or [-1]))
    elif bounds is not None:
        min_lat, min_lon, max_lat, max_lon = bounds
        where.append(PlateRead.latitude.between(min_lat, max_lat))
        where.append(PlateRead.longitude.between(min_lon, max_lon))
    return stmt.where(and_(*where)) if where else stmt


def _candidates(session: Session, pattern: SearchPattern) -> Any:
    """A subquery of the reads the index says match: ``id`` and ``quality``.

    One part per glob and one over the other readings, each answered by the index that
    can (:func:`_lookup`) and tagged with the match quality it proves; a read's quality is
    the best of its parts' (``min``). Every part is exact (the index narrows,
    ``GLOB``/``LIKE`` decides), so the candidates are the matches, and the tags give what
    :meth:`SearchPattern.classify` decides — the pattern as written on the plate is
    ``EXACT``, on another reading ``ALTERNATIVE``, folded on the folded plate
    ``CONFUSABLE``, any other glob (a one-edit variant) ``FUZZY`` — with no second test
    of each read in SQL. The ids come out grouped, so the reads are then fetched in
    rowid order.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    parts: list[str] = []
    params: dict[str, Any] = {}
    expanding: list[str] = []
    exact = SearchGlob("plate", pattern.text)
    confusable = SearchGlob("folded", fold_confusables_pattern(pattern.text))
    for i, wanted in enumerate(pattern.globs()):
        column = "plate_normalized" if wanted.column == "plate" else "plate_folded"
        quality = (
            MatchQuality.EXACT
            if wanted == exact
            else MatchQuality.CONFUSABLE
            if pattern.confusable and wanted == confusable
            else MatchQuality.FUZZY
        )
        parts.append(
            _lookup(
                postgres, "plate_reads", "id", column, wanted, f"g{i}", quality, params,
                expanding,
            )
        )  # fmt: skip
    alternative = SearchGlob("plate", pattern.alternative_glob)
    parts.append(
        _lookup(
            postgres, "read_alternatives", "read_id", "plate_normalized", alternative, "alt",
            MatchQuality.ALTERNATIVE, params, expanding,
        )
    )  # fmt: skip
    # Constant SQL with bound parameters: table and column names come from the code above.
    union = " UNION ALL ".join(parts)
    grouped = text(
        f"SELECT id, min(quality) AS quality FROM ({union}) AS parts GROUP BY id"  # noqa: S608
    ).bindparams(*(bindparam(key, expanding=True) for key in expanding), **params)
    return grouped.columns(literal_column("id"), literal_column("quality")).subquery("candidates")


def _lookup(
    postgres: bool,
    table: str,
    id_column: str,
    column: str,
    wanted: SearchGlob,
    key: str,
    quality: MatchQuality,
    params: dict[str, Any],
    expanding: list[str],
) -> str:
    """SQL for the ids (as ``id``, with ``quality`` as ``quality``) of the rows of
    ``table`` whose ``column`` fits a glob (:func:`index_match`)."""
    head = f"SELECT {id_column} AS id, {int(quality)} AS quality FROM {table}"  # noqa: S608
    if not postgres and table == "plate_reads" and wanted.trigram:
        # Straight from the FTS5 table: its rowids are the reads' ids.
        params[key] = wanted.glob
        fits = f"{column} GLOB :{key}"
        return f"SELECT rowid AS id, {int(quality)} AS quality FROM plate_search WHERE {fits}"  # noqa: S608
    match = index_match(postgres, table, column, wanted, key, params, expanding)
    return f"{head} WHERE {match}"


def index_match(
    postgres: bool,
    table: str,
    column: str,
    wanted: SearchGlob,
    key: str,
    params: dict[str, Any],
    expanding: list[str],
    qualify: str = "",
) -> str:
    """A condition on a row of ``table`` that its ``column`` fits a glob, answered by the
    index that can (``qualify``, such as ``"plate_reads."``, prefixes the row's columns):

    * three fixed characters in a row: the trigram index (SQLite FTS5; on PostgreSQL
      ``pg_trgm``, or the column's B-tree for a leading run of three or more — a
      padded start trigram such as ``"  7"`` is in a quarter of all rows, and reading
      its posting list is what made a confusable ``7AB*`` take a second);
    * else two in a row and a fixed last character: the plate dictionary's keys give
      the few strings that can fit, checked with ``GLOB``/``LIKE``, and the rows are
      fetched by the column's B-tree (``search_index``);
    * else a scan (``SearchPattern.indexed`` is False, the page says it is slow).

    The bound values go into ``params`` under names starting with ``key`` (and the
    names of lists SQLite expands into ``expanding``).
    """
    params[key] = wanted.like if postgres else wanted.glob
    own = f"{qualify}{column}"
    fits = f"{own} LIKE :{key}" if postgres else f"{own} GLOB :{key}"
    keys = None if wanted.trigram else wanted.keys
    if keys is not None:
        params[f"{key}_keys"] = keys
        if postgres:
            strings = (
                "SELECT text FROM plate_strings WHERE "  # noqa: S608 - bound values only
                f"plate_search_keys(text) && CAST(:{key}_keys AS text[]) AND text LIKE :{key}"
            )
        else:
            expanding.append(f"{key}_keys")
            strings = f"SELECT text FROM plate_keys WHERE key IN :{key}_keys AND text GLOB :{key}"  # noqa: S608
        return f"{own} IN ({strings})"
    if postgres:
        lead = _LEADING_RUN.match(wanted.glob)
        upper = _prefix_upper(lead.group()) if lead and len(lead.group()) >= 3 else None
        if lead is not None and upper is not None:
            # A range on the B-tree; the LIKE is written so the planner cannot take it
            # to the trigram index as well.
            params[f"{key}_lo"], params[f"{key}_hi"] = lead.group(), upper
            return f"{own} >= :{key}_lo AND {own} < :{key}_hi AND ({own} || '') LIKE :{key}"
        return fits
    fts = "plate_search" if table == "plate_reads" else "alternative_search"
    # IN (not a join): SQLite's planner may otherwise scan every alternative and
    # probe the FTS5 table once per row (0.9 ms became 0.95 s, bench_search.py).
    return f"{qualify}id IN (SELECT rowid FROM {fts} WHERE {column} GLOB :{key})"  # noqa: S608


_LEADING_RUN = re.compile(r"[0-9A-Z]+")


def _prefix_upper(prefix: str) -> str | None:
    """The least plate string above every string starting with ``prefix`` (within the
    plate alphabet, so any collation orders it alike), or None if there is none."""
    chars = list(prefix)
    while chars:
        at = PLATE_ALPHABET.find(chars[-1])
        if at < len(PLATE_ALPHABET) - 1:
            chars[-1] = PLATE_ALPHABET[at + 1]
            return "".join(chars)
        chars.pop()
    return None


def ranked_reads(
    session: Session,
    pattern: SearchPattern,
    filters: ReadFilters,
    *,
    offset: int = 0,
    limit: int | None = 100,
    cap: int = CANDIDATE_LIMIT,
) -> RankedReads:
    """One page of the reads a compiled search matches, best first, with the total.

    Ranked and paged in SQL: the ids of at most :data:`CANDIDATE_LIMIT` matches come back
    in rank order (the exact shape of a circle or polygon is then checked on their
    coordinates), and only the page's rows are read in full, with their other readings
    and why they matched. ``limit=None`` returns every ranked match (an export);
    ``cap`` raises the number of matches ranked (a release package must be whole).
    Does not record anything: callers record the access first.
    """
    from alpr_desktop.services.search_rank import rank_page

    fast = (
        None
        if limit is None
        else rank_page(session, pattern, filters, offset=offset, limit=limit, cap=cap)
    )
    if fast is not None:
        page, total, capped = fast
        return _page(session, pattern, [r.id for r in page], total, capped)
    dialect = session.get_bind().dialect.name
    candidates = _candidates(session, pattern)
    quality = candidates.c.quality
    ranked: Select[Any] = (
        _filtered(
            select(PlateRead.id, PlateRead.latitude, PlateRead.longitude, quality)
            .select_from(candidates)
            .join(PlateRead, PlateRead.id == candidates.c.id)
            .outerjoin(Camera, Camera.id == PlateRead.camera_id),
            filters,
            dialect,
        )
        .order_by(
            quality,
            PlateRead.confidence.desc(),
            PlateRead.read_at.desc(),
            PlateRead.id,
        )
        .limit(cap + 1)
    )
    rows = session.execute(ranked).all()
    capped = len(rows) > cap
    rows = rows[:cap]
    if filters.area.bounds() is not None:
        inside = filters.area.test()
        rows = [r for r in rows if r.latitude is not None and inside(r.latitude, r.longitude)]
    end = None if limit is None else offset + limit
    return _page(session, pattern, [r.id for r in rows[offset:end]], len(rows), capped)


def _page(
    session: Session, pattern: SearchPattern, wanted: list[int], total: int, capped: bool
) -> RankedReads:
    """The reads ``wanted`` (ids in rank order) in full, with why each matched."""
    full: dict[int, Any] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for found in session.execute(_result_columns().where(PlateRead.id.in_(chunk))):
            full[found.id] = found
    alternatives = _alternatives(session, wanted)
    results: list[ReadResult] = []
    for read_id in wanted:
        row: Any = full.get(read_id)
        if row is None:
            continue  # purged between the two queries
        others = alternatives.get(read_id, ())
        match = pattern.classify(row.plate_normalized, others)
        if match is None:  # pragma: no cover - the SQL and the pattern disagree
            raise AssertionError(f"read {read_id} was ranked but does not match")
        results.append(_result(row, match.quality, match.matched_text, match.reason, others))
    return RankedReads(results, total, capped)


def reads_by_id(session: Session, ids: Sequence[int], reason: str) -> list[ReadResult]:
    """The reads ``ids`` (oldest first) as results that matched exactly, for ``reason``
    (an evidence hold's reads, not a search's). Records nothing: callers record first."""
    ids = sorted(set(ids))
    rows: list[Any] = []
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows.extend(session.execute(_result_columns().where(PlateRead.id.in_(chunk))))
    rows.sort(key=lambda row: (row.read_at, row.id))
    alternatives = _alternatives(session, [row.id for row in rows])
    return [
        _result(row, MatchQuality.EXACT, row.plate_normalized, reason, alternatives.get(row.id, ()))
        for row in rows
    ]


def _crops(session: Session, results: Sequence[ReadResult]) -> dict[int, bytes]:
    """The crop of each result by read id (a crop shared by many reads is read once)."""
    ids = sorted({r.crop_image_id for r in results if r.crop_image_id is not None})
    data: dict[int, bytes] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for image_id, blob in session.execute(
            select(StoredImage.id, StoredImage.data).where(StoredImage.id.in_(chunk))
        ):
            data[image_id] = blob
    return {
        r.read_id: data[r.crop_image_id]
        for r in results
        if r.crop_image_id is not None and r.crop_image_id in data
    }


def _alternatives(session: Session, ids: Sequence[int]) -> dict[int, tuple[tuple[str, float], ...]]:
    out: dict[int, list[tuple[str, float]]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for row in session.execute(
            select(ReadAlternative.read_id, ReadAlternative.plate_text, ReadAlternative.confidence)
            .where(ReadAlternative.read_id.in_(chunk))
            .order_by(ReadAlternative.read_id, ReadAlternative.rank)
        ):
            out.setdefault(row.read_id, []).append((row.plate_text, row.confidence))
    return {k: tuple(v) for k, v in out.items()}


def _result(
    row: Any,
    quality: MatchQuality,
    matched: str,
    reason: str,
    alternatives: tuple[tuple[str, float], ...],
) -> ReadResult:
    return ReadResult(
        read_id=row.id,
        read_at=row.read_at,
        plate_text=row.plate_text,
        confidence=row.confidence,
        camera_name=row.camera_name or "",
        mobile=bool(row.mobile),
        latitude=row.latitude,
        longitude=row.longitude,
        quality=quality,
        matched_text=matched,
        reason=reason,
        alternatives=alternatives,
        crop_image_id=row.crop_image_id,
        context_image_id=row.context_image_id,
    )


def result_json(result: ReadResult) -> str:
    """One result as a JSON line (the CLI's ``--json``)."""
    fields = asdict(result)
    fields["read_at"] = result.read_at.isoformat()
    fields["quality"] = result.quality.name.lower()
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
