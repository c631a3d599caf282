"""Maps of reads: a search's or a canvass's reads where they were taken (requirements §6).

Looking at a map of reads is looking at ALPR data: every map is an access record
(``VIEW_MAP``, with the purpose, the case number and the query that produced it)
committed before a single position is read, and a map exported to a case file is an
export (``EXPORT_READS``) with the file's SHA-256. The HTML is built by :mod:`.map_html` from what
this service reads; the tiles are the workstation's own MBTiles file when it has one
(:mod:`.mbtiles`; an exported map carries those covering its reads), else the
department's tile server from the settings, else none (a grid).

A map is not paged: it draws every read that fits, up to :data:`MAX_MAP_READS` (the
newest first beyond that, and the map says it is capped). A search map finds its reads
through the same pattern index as the Search page (``search._candidates``); positions
are read in one light query (no images, no other readings), and the crops of the first
:data:`map_html.MAX_THUMBNAILS` only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, case, cast, extract, func, select
from sqlalchemy.orm import Session

from alpr_desktop.core.roles import Action
from alpr_desktop.core.search import SearchPattern
from alpr_desktop.errors import NotFoundError, ValidationError
from alpr_desktop.services import search as search_module
from alpr_desktop.services.alerts import parse_snapshot
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext, load_department_settings
from alpr_desktop.services.map_html import (
    MAX_THUMBNAILS,
    MapAlert,
    MapCamera,
    MapContent,
    MapRead,
    MapTrack,
    TileSettings,
    build_map,
    content_bounds,
)
from alpr_desktop.services.mbtiles import TILE_URL, MBTiles, MBTilesError
from alpr_desktop.services.search import (
    CanvassRequest,
    ReadFilters,
    SearchRequest,
    SearchService,
)
from alpr_desktop.storage.models import (
    Alert,
    AlertStatus,
    Camera,
    GpsFix,
    PlateRead,
    StoredImage,
)

#: The longest an operations map looks back (hours).
MAX_OPERATIONS_HOURS = 168
#: The most alerts one map draws (the newest).
MAX_MAP_ALERTS = 2000
#: The most points a unit's track keeps on a map (thinned evenly).
MAX_TRACK_POINTS = 5000
#: An alert's map shows a mobile unit's track this long either side of the read.
ALERT_TRACK_MINUTES = 10
#: The most reads one map draws (a search's candidates are capped lower, at
#: ``search.CANDIDATE_LIMIT``; an area and time window can hold many more).
MAX_MAP_READS = 200_000


@dataclass(frozen=True)
class ReadsMap:
    """A map of reads, ready to show (``html``) or written (``path``)."""

    html: str
    reads: int
    #: More reads fitted than :data:`MAX_MAP_READS` (the newest are drawn).
    capped: bool
    record_id: int
    path: Path | None = None
    sha256: str = ""
    #: Something to say above the map (the workstation's tiles file cannot be used).
    note: str = ""


class MapService(BaseService):
    def __init__(
        self,
        ctx: ServiceContext,
        audit: AuditService,
        search: SearchService,
        *,
        tiles_file: Path | None = None,
    ) -> None:
        """``tiles_file``: this workstation's MBTiles file (``LocalConfig.map_tiles_file``),
        used instead of the department's tile server when set."""
        super().__init__(ctx)
        self.audit, self.search = audit, search
        self.tiles_file = tiles_file
        self._mbtiles: MBTiles | None = None
        self._tiles_error: MBTilesError | None = None
        self._lock = threading.Lock()

    def local_tiles(self) -> MBTiles | None:
        """The workstation's tiles (opened once), None when it has none configured;
        an :class:`MBTilesError` when the file cannot be used."""
        if self.tiles_file is None:
            return None
        with self._lock:
            if self._mbtiles is not None and self._mbtiles.path == self.tiles_file:
                return self._mbtiles
            if self._tiles_error is not None and self._tiles_error.path == self.tiles_file:
                raise self._tiles_error  # not reopened for every tile asked
            try:
                self._mbtiles, self._tiles_error = MBTiles(self.tiles_file), None
            except MBTilesError as exc:
                exc.path = self.tiles_file
                self._tiles_error = exc
                raise
            return self._mbtiles

    # ------------------------------------------------------------------ maps of reads
    def search_map(self, actor: Actor, request: SearchRequest, *, draw: bool = False) -> ReadsMap:
        """Every read ``request`` matches that has a position, on a map (recorded first)."""
        pattern, query = self._search_query(request)
        record_id = self.audit.record_first(
            actor, Action.VIEW_MAP, request.purpose, request.case_number, query, "mapped reads"
        )
        return self._reads_map(
            f"Reads matching {request.pattern}", pattern, request.filters, record_id, draw=draw
        )

    def canvass_map(self, actor: Actor, request: CanvassRequest) -> ReadsMap:
        """Every read within the canvass circle and window, on a map (recorded first)."""
        filters, query = search_module.canvass_filters(request)
        query = {**query, "map": True}
        record_id = self.audit.record_first(
            actor, Action.VIEW_MAP, request.purpose, request.case_number, query, "mapped a canvass"
        )
        centre = f"{request.latitude:.5f}, {request.longitude:.5f}"
        title = (
            "Canvass of the area drawn"
            if request.polygon is not None
            else f"Canvass, {request.metres:g} m around {centre}"
        )
        return self._reads_map(title, None, filters, record_id, draw=True)

    def export_search_map(self, actor: Actor, request: SearchRequest, target: Path) -> ReadsMap:
        """The search's map as one standalone HTML file (every asset inlined) for a case
        file; an export, recorded first, then written whole or not at all."""
        pattern, query = self._search_query(request)
        _check_target(target)  # before the record: a bad path exports nothing
        query = {**query, "export": "map_html", "target": target.name}
        record_id = self.audit.record_first(
            actor,
            Action.EXPORT_READS,
            request.purpose,
            request.case_number,
            query,
            "exported a map of reads",
        )
        made = self._reads_map(
            f"Reads matching {request.pattern}", pattern, request.filters, record_id, inline=True
        )
        data = made.html.encode("utf-8")
        _write_whole(target, data)
        return ReadsMap(
            made.html, made.reads, made.capped, record_id, target, hashlib.sha256(data).hexdigest()
        )

    # ------------------------------------------------------------------ dispatch
    def operations_map(
        self, actor: Actor, *, hours: int = 12, view: tuple[float, float, int] | None = None
    ) -> ReadsMap:
        """The dispatcher's map: every camera (the way it faces), each mobile unit's
        track over the last ``hours`` and where it is now, and the alerts raised in
        that time (pending ones however old). The alert queue's permission; recorded as
        a map (``VIEW_MAP``) before a position is read. ``view``: open there (a map
        rebuilt where its user had moved it) rather than fitted to what it shows."""
        if not 1 <= hours <= MAX_OPERATIONS_HOURS:
            raise ValidationError(f"Show 1 to {MAX_OPERATIONS_HOURS} hours of alerts and tracks.")
        query = {"map": "operations", "hours": hours}
        record_id = self._record_dispatch(actor, "opened the operations map", query)
        now = self.ctx.now()
        since = now - dt.timedelta(hours=hours)
        with self.ctx.db.readers() as session:
            wanted = (Alert.created_at >= since) | (Alert.status == AlertStatus.PENDING)
            alerts, capped = _alerts(session, wanted)
            tracks = _tracks(session, since, now)
            cameras = _cameras(session, tracks)
            settings = load_department_settings(session)
        if alerts:
            # As the queue's poll does: which alerts the map showed, by id.
            shown = {"map": "operations", "alerts": [a.alert_id for a in alerts]}
            self._record_dispatch(actor, f"the operations map showed {len(alerts)} alert(s)",
                                  shown)  # fmt: skip
        title = f"Operations: cameras, units and alerts of the last {hours} h"
        content = MapContent(
            title, cameras=cameras, tracks=tracks, alerts=alerts,
            time_zone=settings.local_time_zone, view=view, show_reads=False,
        )  # fmt: skip
        tiles, note = self.tiles(settings.tile_url, settings.tile_attribution, content, False)
        made = build_map(content, tiles)
        return ReadsMap(made, len(alerts), capped, record_id, note=note)

    def alert_map(self, actor: Actor, alert_id: int) -> ReadsMap:
        """Where one alert's read was taken, with its camera (a mobile unit: its track
        for :data:`ALERT_TRACK_MINUTES` either side); recorded as a map first."""
        query = {"map": "alert", "alert": alert_id}
        record_id = self._record_dispatch(actor, "mapped an alert", query, alert_id)
        with self.ctx.db.readers() as session:
            alerts, _capped = _alerts(session, Alert.id == alert_id)
            if not alerts:
                raise NotFoundError(f"Alert {alert_id} has no position to map.")
            camera_id, read_at = session.execute(
                select(PlateRead.camera_id, PlateRead.read_at)
                .join(Alert, Alert.read_id == PlateRead.id)
                .where(Alert.id == alert_id)
            ).one()
            around = dt.timedelta(minutes=ALERT_TRACK_MINUTES)
            # Only the unit that read it (a read whose camera is gone: no track at all).
            tracks = (
                _tracks(session, read_at - around, read_at + around, camera_id)
                if camera_id is not None
                else []
            )
            cameras = [c for c in _cameras(session, tracks) if c.name == alerts[0].camera_name]
            settings = load_department_settings(session)
        content = MapContent(
            f"Alert {alert_id}: {alerts[0].plate_text}", cameras=cameras, tracks=tracks,
            alerts=alerts, time_zone=settings.local_time_zone, show_reads=False,
        )  # fmt: skip
        tiles, note = self.tiles(settings.tile_url, settings.tile_attribution, content, False)
        return ReadsMap(build_map(content, tiles), 1, False, record_id, note=note)

    def _record_dispatch(
        self, actor: Actor, detail: str, query: dict[str, Any], alert_id: int | None = None
    ) -> int:
        """Commit the map's access record under the alert queue's permission."""
        with self._work(actor, Action.REVIEW_ALERT) as (session, _me):
            record = self._append(
                session,
                actor,
                category="data",
                action=Action.VIEW_MAP.value,
                detail=detail,
                target_type="alert" if alert_id is not None else "",
                target_id=alert_id if alert_id is not None else "",
                query=query,
            )
            session.flush()
            return int(record.id)

    # ------------------------------------------------------------------ internals
    def _search_query(self, request: SearchRequest) -> tuple[SearchPattern, dict[str, Any]]:
        pattern = self.search.compile(request)
        request.filters.check()
        return pattern, search_module.search_query(request, pattern, map=True)

    def _reads_map(
        self,
        title: str,
        pattern: SearchPattern | None,
        filters: ReadFilters,
        record_id: int,
        *,
        draw: bool = False,
        inline: bool = False,
    ) -> ReadsMap:
        with self.ctx.db.readers() as session:
            reads, capped = map_reads(session, pattern, filters)
            thumbnails = _thumbnails(session, [r.read_id for r in reads[:MAX_THUMBNAILS]])
            cameras = _cameras(session)
            settings = load_department_settings(session)
        content = MapContent(
            title,
            reads,
            cameras,
            thumbnails,
            area=filters.area.near,
            polygon=filters.area.polygon,
            draw=draw,
            time_zone=settings.local_time_zone,
        )
        tiles, note = self.tiles(settings.tile_url, settings.tile_attribution, content, inline)
        html = build_map(content, tiles, inline=inline)
        return ReadsMap(html, len(reads), capped, record_id, note=note)

    def tiles(
        self, url: str, attribution: str, content: MapContent, inline: bool
    ) -> tuple[TileSettings, str]:
        """The tiles a map uses — the workstation's own file when it has one (for an
        exported map, the tiles covering ``content``, carried in the page), else the
        department's server (``url``) or none — and what to say about them."""
        department = TileSettings(url, attribution)
        try:
            local = self.local_tiles()
        except MBTilesError as exc:
            return department, f"{exc} The map is shown without the workstation's tiles."
        if local is None:
            return department, ""
        meta = local.metadata
        carried: dict[str, bytes] = {}
        if inline:
            bounds = content_bounds(content)
            if bounds is not None:
                (south, west), (north, east) = bounds
                carried = local.tiles_for(((south, west), (north, east)))
        kind, native = meta.media_type, meta.max_zoom
        return TileSettings(TILE_URL, meta.attribution, 19, carried, kind, native), ""


def map_reads(
    session: Session, pattern: SearchPattern | None, filters: ReadFilters, cap: int = MAX_MAP_READS
) -> tuple[list[MapRead], bool]:
    """The reads with a position that ``pattern`` (or every read, when None) and
    ``filters`` let through, newest first, at most ``cap``; and whether more fitted.
    Records nothing: callers record first."""
    dialect = session.get_bind().dialect.name
    stmt: Any = (
        select(
            PlateRead.id,
            PlateRead.latitude,
            PlateRead.longitude,
            PlateRead.plate_text,
            PlateRead.plate_normalized,
            # POSIX seconds from the database itself: no datetime per read.
            cast(extract("epoch", PlateRead.read_at), Integer),
            Camera.name.label("camera_name"),
        )
        .select_from(PlateRead)
        .outerjoin(Camera, Camera.id == PlateRead.camera_id)
        .where(PlateRead.latitude.is_not(None), PlateRead.longitude.is_not(None))
    )
    stmt = search_module._filtered(stmt, filters, dialect)
    if pattern is not None:
        candidates = search_module._candidates(session, pattern)
        stmt = stmt.where(PlateRead.id.in_(select(candidates.c.id)))
    # Sorted only when more fit than a map draws (then the newest are kept).
    rows = session.execute(stmt.limit(cap + 1)).all()
    capped = len(rows) > cap
    if capped:
        newest = stmt.order_by(PlateRead.read_at.desc(), PlateRead.id.desc()).limit(cap)
        rows = session.execute(newest).all()
    inside = filters.area.test() if filters.area.bounds() is not None else None
    out: list[MapRead] = []
    reasons: dict[str, str] = {}  # a plate's reason is worked out once
    for read_id, lat, lon, plate, normalized, read_at, camera in rows[:cap]:
        if inside is not None and not inside(lat, lon):
            continue
        reason = ""
        if pattern is not None:
            reason = reasons.get(normalized, "")
            if not reason:
                match = pattern.classify(normalized)
                reason = match.reason if match is not None else "another reading matched"
                reasons[normalized] = reason
        out.append(MapRead(read_id, lat, lon, plate, read_at, camera or "", reason))
    return out, capped


def _thumbnails(session: Session, read_ids: Sequence[int]) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for start in range(0, len(read_ids), 900):
        chunk = list(read_ids[start : start + 900])
        for read_id, data in session.execute(
            select(PlateRead.id, StoredImage.data)
            .join(StoredImage, StoredImage.id == PlateRead.crop_image_id)
            .where(PlateRead.id.in_(chunk))
        ):
            out[read_id] = data
    return out


def _cameras(session: Session, tracks: Sequence[MapTrack] = ()) -> list[MapCamera]:
    """The cameras with a position; a mobile unit without one where its track ends."""
    last = {t.name: t.points[-1] for t in tracks if t.points}
    out = []
    for c in session.scalars(select(Camera).order_by(Camera.name)):
        lat, lon = c.latitude, c.longitude
        if (lat is None or lon is None) and c.name in last:
            lat, lon = last[c.name]
        if lat is not None and lon is not None:
            out.append(MapCamera(c.name, lat, lon, c.direction_deg, bool(c.mobile)))
    return out


def _alerts(session: Session, wanted: Any) -> tuple[list[MapAlert], bool]:
    """The alerts ``wanted`` picks whose read has a position — pending ones first, then
    newest first — at most :data:`MAX_MAP_ALERTS`; and whether more fitted."""
    rows = session.execute(
        select(
            Alert.id, PlateRead.latitude, PlateRead.longitude, PlateRead.plate_text,
            Alert.hotlist_name, Alert.entry_snapshot, Alert.status,
            cast(extract("epoch", PlateRead.read_at), Integer), Camera.name,
        )
        .join(PlateRead, PlateRead.id == Alert.read_id)
        .outerjoin(Camera, Camera.id == PlateRead.camera_id)
        .where(wanted, PlateRead.latitude.is_not(None), PlateRead.longitude.is_not(None))
        .order_by(case((Alert.status == AlertStatus.PENDING, 0), else_=1), Alert.id.desc())
        .limit(MAX_MAP_ALERTS + 1)
    ).all()  # fmt: skip
    capped = len(rows) > MAX_MAP_ALERTS
    out = []
    for alert_id, lat, lon, plate, hotlist, snapshot, status, at_s, camera in rows[:MAX_MAP_ALERTS]:
        assert lat is not None and lon is not None  # the query wants a position
        category = str(parse_snapshot(snapshot).get("category", ""))
        state = AlertStatus(status).value
        out.append(
            MapAlert(
                alert_id, lat, lon, plate, hotlist, category, state, at_s,
                camera or "",
            )
        )  # fmt: skip
    return out, capped


def _tracks(
    session: Session, since: dt.datetime, until: dt.datetime, only: int | None = None
) -> list[MapTrack]:
    """Each mobile unit's (or unit ``only``'s) fixes between ``since`` and ``until``,
    thinned evenly to :data:`MAX_TRACK_POINTS` (the last one kept: where it is)."""
    units = select(Camera.id, Camera.name).where(Camera.mobile.is_(True))
    if only is not None:
        units = units.where(Camera.id == only)
    out = []
    for camera_id, name in session.execute(units.order_by(Camera.name)):
        window = (GpsFix.camera_id == camera_id, GpsFix.fixed_at.between(since, until))
        count = session.scalar(select(func.count(GpsFix.id)).where(*window)) or 0
        if not count:
            continue
        # Thinned in the database: every step-th fix by time, and the last one.
        step = max(1, -(-count // MAX_TRACK_POINTS))
        numbered = (
            select(
                GpsFix.latitude.label("lat"),
                GpsFix.longitude.label("lon"),
                cast(extract("epoch", GpsFix.fixed_at), Integer).label("at_s"),
                func.row_number().over(order_by=(GpsFix.fixed_at, GpsFix.id)).label("n"),
            )
            .where(*window)
            .subquery()
        )
        fixes = session.execute(
            select(numbered.c.lat, numbered.c.lon, numbered.c.at_s)
            .where(((numbered.c.n - 1) % step == 0) | (numbered.c.n == count))
            .order_by(numbered.c.n)
        ).all()
        out.append(MapTrack(name, [(f[0], f[1]) for f in fixes], int(fixes[-1][2])))
    return out


def _check_target(target: Path) -> None:
    if target.is_dir():
        raise ValidationError(f"{target} is a folder; name the HTML file to write.")
    if not target.parent.is_dir():
        raise ValidationError(f"There is no folder {target.parent}.")


def _write_whole(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file beside it: whole or not."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
