"""Importing a mobile unit's GPS track file (GPX or NMEA 0183) into the camera registry.

The Cameras page, the demo and a future command line all import a file the same way:
``recognition.gps`` parses it (counting and naming malformed sentences, never dropping
them silently) and :meth:`CameraService.import_gps_track` validates and stores the fixes.
"""

from __future__ import annotations

from pathlib import Path

from alpr_desktop.errors import ValidationError
from alpr_desktop.services.base import Actor
from alpr_desktop.services.cameras import CameraService


def import_track_file(service: CameraService, actor: Actor, camera_id: int, path: Path) -> str:
    """Parse a GPX or NMEA file and store its fixes; what happened, in words.

    Malformed sentences are counted and the first few named, never silently dropped.
    """
    from alpr_desktop.recognition.gps import GpsTrack

    try:
        track = GpsTrack.load(path)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if not track.fixes:
        raise ValidationError(f"{path.name} holds no position fixes ({track.summary()}).")
    result = service.import_gps_track(
        actor, camera_id, [(f.at, f.latitude, f.longitude, None, None) for f in track.fixes]
    )
    lines = [f"{path.name}: {track.summary()}.", f"Stored {result.imported} new fixes"]
    if result.already_stored:
        lines[-1] += f" ({result.already_stored} were already stored)"
    lines[-1] += "."
    for issue in track.issues[:5]:
        lines.append(f"Line {issue.line}: {issue.reason}")
    if track.malformed > 5:
        lines.append(f"… and {track.malformed - 5} more malformed lines.")
    return "\n".join(lines)
