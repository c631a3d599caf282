"""A canvass of a drawn polygon: every read inside it in a time window, grouped by plate.

The circle canvass groups in SQL on the area index (``SearchService.canvass``). A
polygon cannot be tested in SQL on both databases alike, so here the area index narrows
the reads to the map cells the polygon reaches and the time window, the exact shape is
tested on each read's position (shapely, prepared once), and the reads inside are grouped in Python:
counts, first and last seen, cameras, and the distance of the nearest read from the
polygon's centre. At most :data:`MAX_POLYGON_READS` reads are taken; beyond that the
result says it is capped (a narrower window or area answers).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr_desktop.services import search as search_module
from alpr_desktop.storage.models import Camera, PlateRead

#: The most reads a polygon canvass groups (their positions are tested one by one).
MAX_POLYGON_READS = 500_000


def polygon_canvass(
    session: Session, filters: Any, polygon: dict[str, Any]
) -> tuple[list[Any], int, bool]:
    """(plates, reads inside, capped) of the reads ``filters`` (time window, the
    polygon's area) let through. Records nothing: the caller recorded first."""
    inside = filters.area.test()
    centre = search_module._shape(polygon).centroid
    dialect = session.get_bind().dialect.name
    stmt = search_module._filtered(
        select(
            PlateRead.plate_text,
            PlateRead.read_at,
            PlateRead.latitude,
            PlateRead.longitude,
            Camera.name.label("camera_name"),
        )
        .select_from(PlateRead)
        .outerjoin(Camera, Camera.id == PlateRead.camera_id),
        filters,
        dialect,
    ).limit(MAX_POLYGON_READS + 1)
    rows = session.execute(stmt).all()
    capped = len(rows) > MAX_POLYGON_READS
    groups: dict[str, dict[str, Any]] = {}
    total = 0
    for row in rows[:MAX_POLYGON_READS]:
        if row.latitude is None or not inside(row.latitude, row.longitude):
            continue
        total += 1
        at = row.read_at if row.read_at.tzinfo else row.read_at.replace(tzinfo=dt.UTC)
        group = groups.setdefault(
            row.plate_text,
            {"reads": 0, "first": at, "last": at, "cameras": set(), "nearest": float("inf")},
        )
        group["reads"] += 1
        group["first"], group["last"] = min(group["first"], at), max(group["last"], at)
        if row.camera_name:
            group["cameras"].add(row.camera_name)
        metres = search_module.distance_m(centre.y, centre.x, row.latitude, row.longitude)
        group["nearest"] = min(group["nearest"], metres)
    ordered = sorted(groups.items(), key=lambda kv: (-kv[1]["reads"], kv[1]["first"], kv[0]))
    plates = [
        search_module.CanvassPlate(
            plate, g["reads"], g["first"], g["last"], tuple(sorted(g["cameras"])), g["nearest"]
        )
        for plate, g in ordered[: search_module.MAX_CANVASS_PLATES]
    ]
    return plates, total, capped or len(ordered) > search_module.MAX_CANVASS_PLATES
