"""The camera registry: the department's cameras, their sources, positions and GPS tracks.

Administrators (:attr:`Action.MANAGE_CAMERAS`) create, change, enable, disable and
delete cameras and import a mobile unit's GPS track; every change is an access record
and publishes :attr:`Topic.CAMERAS`. Whoever runs recognition (:attr:`Action.RUN_RECOGNITION`,
which every holder of ``VIEW_LIVE`` also holds) gets a read-only list to open sources
from, and a mobile camera's fixes to place its reads.

What a source is (device index, RTSP or HTTP URL, video file, folder) is decided by
:func:`alpr_desktop.core.sources.classify_source`, the same function the recognition
sources use, and the camera's ``kind`` is stored from it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alpr_desktop.core.roles import Action
from alpr_desktop.core.sources import classify_source, display_source
from alpr_desktop.errors import NotFoundError, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext
from alpr_desktop.services.fields import clean_text, column_length
from alpr_desktop.storage.models import Camera, CameraKind, GpsFix, PlateRead

_CAMERAS = Changes.of(Topic.CAMERAS)
#: Longest description kept (the column is ``Text``; a form needs no more).
MAX_DESCRIPTION = 2000
#: One GPS fix as the track parsers hand it over: (time, latitude, longitude, speed in
#: metres per second or None, heading in degrees or None).
GpsPoint = tuple[dt.datetime, float, float, float | None, float | None]


@dataclass(frozen=True)
class CameraFields:
    """What an administrator enters for a camera (the Cameras page's form)."""

    name: str
    source: str
    enabled: bool = True
    mobile: bool = False
    latitude: float | None = None
    longitude: float | None = None
    direction_deg: float | None = None
    description: str = ""


@dataclass(frozen=True)
class CameraView:
    """A registered camera as lists show it."""

    id: int
    name: str
    kind: CameraKind
    source: str
    enabled: bool
    mobile: bool
    latitude: float | None
    longitude: float | None
    direction_deg: float | None
    description: str
    created_at: dt.datetime
    gps_fix_count: int = 0
    track_start: dt.datetime | None = None
    track_end: dt.datetime | None = None

    @property
    def display_source(self) -> str:
        """The source with any password in its URL replaced by ``***`` (lists, logs)."""
        return display_source(self.source)


@dataclass(frozen=True)
class GpsImport:
    """What an import of a GPS track stored."""

    camera_id: int
    imported: int
    #: Fixes at a time the camera already had a fix for (a track imported twice).
    already_stored: int
    first_at: dt.datetime | None
    last_at: dt.datetime | None


class CameraService(BaseService):
    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    # ------------------------------------------------------------------ lists
    def list_cameras(self, actor: Actor) -> list[CameraView]:
        """Every camera, for the administrator's Cameras page."""
        with self._work(actor, Action.MANAGE_CAMERAS) as (session, _me):
            return _views(session)

    def list_for_recognition(self, actor: Actor, *, enabled_only: bool = True) -> list[CameraView]:
        """The cameras to run recognition on (the Live page, the headless node); read-only."""
        with self._work(actor, Action.RUN_RECOGNITION) as (session, _me):
            return [v for v in _views(session) if v.enabled or not enabled_only]

    def gps_track(
        self, actor: Actor, camera_id: int, start: dt.datetime, end: dt.datetime
    ) -> list[GpsPoint]:
        """A mobile camera's fixes between ``start`` and ``end``, oldest first."""
        with self._work(actor, Action.RUN_RECOGNITION) as (session, _me):
            _get(session, camera_id)
            rows = session.execute(
                select(
                    GpsFix.fixed_at,
                    GpsFix.latitude,
                    GpsFix.longitude,
                    GpsFix.speed_mps,
                    GpsFix.heading_deg,
                )
                .where(GpsFix.camera_id == camera_id, GpsFix.fixed_at.between(start, end))
                .order_by(GpsFix.fixed_at)
            ).all()
            return [cast(GpsPoint, tuple(row)) for row in rows]

    # ------------------------------------------------------------------ changes
    def create(self, actor: Actor, fields: CameraFields) -> CameraView:
        """Register a camera, or raise :class:`ValidationError` naming the field and rule."""
        values = validate_camera(fields)
        with self._work(actor, Action.MANAGE_CAMERAS, changes=_CAMERAS) as (session, _me):
            _refuse_duplicate_name(session, values["name"], None)
            camera = Camera(**values, created_at=self.ctx.now())
            session.add(camera)
            _flush_unique(session, values["name"])
            self._record(session, actor, "create_camera", camera, _described(values))
            return _view(camera)

    def update(self, actor: Actor, camera_id: int, fields: CameraFields) -> CameraView:
        """Replace a camera's settings with ``fields`` (validated like :meth:`create`)."""
        values = validate_camera(fields)
        with self._work(actor, Action.MANAGE_CAMERAS, changes=_CAMERAS) as (session, _me):
            camera = _get(session, camera_id)
            _refuse_duplicate_name(session, values["name"], camera.id)
            before = _described(_columns(camera))
            for name, value in values.items():
                setattr(camera, name, value)
            _flush_unique(session, values["name"])
            after = _described(values)
            changed = {k: {"before": before[k], "after": v} for k, v in after.items()}
            changed = {k: v for k, v in changed.items() if v["before"] != v["after"]}
            self._record(session, actor, "update_camera", camera, changed)
            return _view(camera, **_track_summary(session, camera.id))

    def set_enabled(self, actor: Actor, camera_id: int, enabled: bool) -> CameraView:
        """Enable or disable a camera (a disabled one is not started by recognition)."""
        with self._work(actor, Action.MANAGE_CAMERAS, changes=_CAMERAS) as (session, _me):
            camera = _get(session, camera_id)
            action = "enable_camera" if enabled else "disable_camera"
            if camera.enabled != bool(enabled):
                camera.enabled = bool(enabled)
                session.flush()
            self._record(session, actor, action, camera, {"name": camera.name})
            return _view(camera, **_track_summary(session, camera.id))

    def delete(self, actor: Actor, camera_id: int) -> None:
        """Delete a camera and its GPS fixes; refused while any read refers to it.

        A read's camera says where and by what it was taken; deleting the camera would
        erase that from the evidence (``plate_reads.camera_id`` would become NULL), so a
        camera with reads is disabled instead until the retention purge removes them.
        """
        with self._work(actor, Action.MANAGE_CAMERAS, changes=_CAMERAS) as (session, _me):
            camera = _get(session, camera_id)
            reads = session.scalar(
                select(func.count(PlateRead.id)).where(PlateRead.camera_id == camera.id)
            )
            if reads:
                raise ValidationError(
                    f"{reads} read(s) were taken by the camera {camera.name!r}, so it cannot "
                    "be deleted: disable it instead. It can be deleted once the retention "
                    "purge has removed its reads."
                )
            # Its GPS fixes go with it (ON DELETE CASCADE); the trail says how many.
            fixes = _track_summary(session, camera.id)["gps_fix_count"]
            query = {"name": camera.name, "gps_fixes_deleted": fixes}
            self._record(session, actor, "delete_camera", camera, query)
            session.delete(camera)
            session.flush()

    def import_gps_track(
        self, actor: Actor, camera_id: int, fixes: Iterable[GpsPoint]
    ) -> GpsImport:
        """Store a mobile camera's GPS fixes (parsed by ``recognition.gps``).

        Every fix is checked first (a timezone-aware time, latitude and longitude in range,
        a speed that is not negative, a heading of 0–360°); one bad fix refuses the whole
        import, naming its position in the track. A fix at a time the camera already has
        one for is not stored again, so importing the same track twice changes nothing.
        """
        points = [_gps_point(i, point) for i, point in enumerate(fixes, start=1)]
        with self._work(actor, Action.MANAGE_CAMERAS, changes=_CAMERAS) as (session, _me):
            camera = _get(session, camera_id)
            if not camera.mobile:
                raise ValidationError(
                    f"The camera {camera.name!r} is fixed; a GPS track belongs to a mobile camera."
                )
            new = _new_fixes(session, camera.id, points)
            if new:
                session.execute(insert(cast(Table, GpsFix.__table__)), new)
            times = [p[0] for p in points]
            result = GpsImport(
                camera.id,
                len(new),
                len(points) - len(new),
                min(times) if times else None,
                max(times) if times else None,
            )
            query = {
                "name": camera.name,
                "fixes": len(points),
                "imported": result.imported,
                "first_at": result.first_at,
                "last_at": result.last_at,
            }
            self._record(session, actor, "import_gps_track", camera, query)
            return result

    def _record(
        self, session: Session, actor: Actor, action: str, camera: Camera, query: dict[str, Any]
    ) -> None:
        self.audit.record_admin(
            session, actor, action, target_type="camera", target_id=camera.id, query=query
        )


# ---------------------------------------------------------------------- validation


def validate_camera(fields: CameraFields) -> dict[str, Any]:
    """The column values for ``fields``, or :class:`ValidationError` naming the field."""
    name = clean_text(fields.name, "the camera name", column_length(Camera.name), required=True)
    description = clean_text(fields.description, "the description", MAX_DESCRIPTION, multiline=True)
    try:
        spec = classify_source(fields.source) if isinstance(fields.source, str) else None
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if spec is None:
        raise ValidationError("The source must be text.")
    for label, flag in (("enabled", fields.enabled), ("mobile", fields.mobile)):
        if not isinstance(flag, bool):
            raise ValidationError(f"'{label}' must be yes or no (true or false).")
    latitude = _number(fields.latitude, "the latitude", -90.0, 90.0)
    longitude = _number(fields.longitude, "the longitude", -180.0, 180.0)
    direction = _number(fields.direction_deg, "the direction", 0.0, 360.0)
    if fields.mobile and (latitude, longitude, direction) != (None, None, None):
        raise ValidationError(
            "A mobile camera's position and direction come from its GPS track: leave "
            "latitude, longitude and direction empty."
        )
    if not fields.mobile and (latitude is None or longitude is None):
        raise ValidationError(
            "A fixed camera needs a position: enter both its latitude and its longitude."
        )
    return {
        "name": name,
        "kind": CameraKind(spec.kind.value),
        "source": spec.value,
        "enabled": fields.enabled,
        "mobile": fields.mobile,
        "latitude": latitude,
        "longitude": longitude,
        # 360° and 0° are the same bearing; store one of them.
        "direction_deg": None if direction is None else direction % 360.0,
        "description": description,
    }


def _number(value: object, label: str, low: float, high: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{label[:1].upper()}{label[1:]} must be a number.")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise ValidationError(
            f"{label[:1].upper()}{label[1:]} must be between {low:g} and {high:g} (got {value!r})."
        )
    return number


def _gps_point(position: int, point: GpsPoint) -> GpsPoint:
    where = f"GPS fix {position}"
    try:
        when, lat, lon, speed, heading = point
    except (TypeError, ValueError):
        raise ValidationError(
            f"{where} is not (time, latitude, longitude, speed, heading)."
        ) from None
    if not isinstance(when, dt.datetime) or when.tzinfo is None:
        raise ValidationError(f"{where}: the time must be a timezone-aware date and time.")
    try:
        latitude = _number(lat, "the latitude", -90.0, 90.0)
        longitude = _number(lon, "the longitude", -180.0, 180.0)
        speed_mps = _number(speed, "the speed", 0.0, 1000.0)
        heading_deg = _number(heading, "the heading", 0.0, 360.0)
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc}") from None
    if latitude is None or longitude is None:
        raise ValidationError(f"{where}: a fix needs a latitude and a longitude.")
    return (when.astimezone(dt.UTC), latitude, longitude, speed_mps, heading_deg)


def _refuse_duplicate_name(session: Session, name: str, own_id: int | None) -> None:
    # Compared in Python: SQLite's lower() folds ASCII only, and a department has tens
    # of cameras, not thousands.
    wanted = name.casefold()
    for other_id, other in session.execute(select(Camera.id, Camera.name)):
        if other_id != own_id and other.casefold() == wanted:
            raise ValidationError(f"A camera named {other!r} already exists; choose another name.")


def _flush_unique(session: Session, name: str) -> None:
    # Two administrators saving the same name at once: the unique index decides.
    try:
        session.flush()
    except IntegrityError:
        raise ValidationError(
            f"A camera named {name!r} already exists; choose another name."
        ) from None


def _new_fixes(
    session: Session, camera_id: int, points: Sequence[GpsPoint]
) -> list[dict[str, Any]]:
    if not points:
        return []
    times = [p[0] for p in points]
    stored = set(
        session.scalars(
            select(GpsFix.fixed_at).where(
                GpsFix.camera_id == camera_id, GpsFix.fixed_at.between(min(times), max(times))
            )
        )
    )
    rows: dict[dt.datetime, dict[str, Any]] = {}
    for when, lat, lon, speed, heading in points:
        if when not in stored and when not in rows:
            rows[when] = {
                "camera_id": camera_id,
                "fixed_at": when,
                "latitude": lat,
                "longitude": lon,
                "speed_mps": speed,
                "heading_deg": heading,
            }
    return list(rows.values())


# ---------------------------------------------------------------------- views


def _get(session: Session, camera_id: int) -> Camera:
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise NotFoundError(f"There is no camera with id {camera_id}.")
    return camera


def _columns(camera: Camera) -> dict[str, Any]:
    names = (
        "name",
        "kind",
        "source",
        "enabled",
        "mobile",
        "latitude",
        "longitude",
        "direction_deg",
        "description",
    )
    return {name: getattr(camera, name) for name in names}


def _described(values: dict[str, Any]) -> dict[str, Any]:
    """Column values as the access trail keeps them: never a camera's password."""
    described = dict(values)
    described["source"] = display_source(str(values["source"]))
    described["kind"] = str(values["kind"])
    return described


def _track_summary(session: Session, camera_id: int) -> dict[str, Any]:
    count, first, last = session.execute(
        select(func.count(GpsFix.id), func.min(GpsFix.fixed_at), func.max(GpsFix.fixed_at)).where(
            GpsFix.camera_id == camera_id
        )
    ).one()
    return {"gps_fix_count": count or 0, "track_start": first, "track_end": last}


def _views(session: Session) -> list[CameraView]:
    tracks = {
        camera_id: {"gps_fix_count": count, "track_start": first, "track_end": last}
        for camera_id, count, first, last in session.execute(
            select(
                GpsFix.camera_id,
                func.count(GpsFix.id),
                func.min(GpsFix.fixed_at),
                func.max(GpsFix.fixed_at),
            ).group_by(GpsFix.camera_id)
        )
    }
    cameras = session.scalars(select(Camera)).all()
    ordered = sorted(cameras, key=lambda c: c.name.casefold())
    return [_view(c, **tracks.get(c.id, {})) for c in ordered]


def _view(camera: Camera, **track: Any) -> CameraView:
    return CameraView(
        id=camera.id,
        name=camera.name,
        kind=CameraKind(camera.kind),
        source=camera.source,
        enabled=camera.enabled,
        mobile=camera.mobile,
        latitude=camera.latitude,
        longitude=camera.longitude,
        direction_deg=camera.direction_deg,
        description=camera.description,
        created_at=camera.created_at,
        **track,
    )
