"""Demo mode: a throw-away database with one account per role, and sample cameras.

Everything is set up through the services, as a real department would: the accounts
follow the separation-of-duties rules, and the cameras are registered like any other —
two fixed cameras and a mobile unit (with a GPX track covering the demo's hours), each
playing its own sample video that the project renders itself (``recognition.demo_video``),
so the dispatcher sees live reads within seconds of signing in, and an IP camera that
never answers, to show a dropped camera reconnecting. A sample hotlist — a stolen
vehicle, an AMBER alert and a partial plate from a major incident, taken from the
sample videos' own plates, plus entries that never pass — raises alerts on the
dispatcher's workstation within the first minute of watching the Live page.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.services.base import Actor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role


_AGENCY = "Demo Police Department"
#: Approvers last: once a second approver is active the two-person rules hold for good.
_ACTIVATION_ORDER = (Role.DISPATCHER, Role.INVESTIGATOR, Role.COMMANDER, Role.SUPERVISOR)
_LISTED_ORDER = (Role.DISPATCHER, Role.INVESTIGATOR, Role.SUPERVISOR, Role.COMMANDER)


def _password() -> str:
    # No "demo-" prefix: the account names start with "Demo", and a password may not
    # contain the holder's name.
    return secrets.token_urlsafe(12)


def seed_demo(app: Application) -> list[DemoAccount]:
    """Create the demo administrator and one trained, active account per other role.

    Everything goes through the services and follows the separation-of-duties rules
    (``docs/accounts.md``): the administrator creates each account and records its
    training; while it is the only approver it activates the accounts it created (the
    bootstrap), so the supervisor, an approver, is activated last. Each temporary
    password is replaced without a sign-in, so no account shows a sign-in nobody made.
    """
    services = app.services
    admin_password = _password()
    admin = services.auth.create_first_administrator(
        username="demo.admin",
        full_name="Demo Administrator",
        password=admin_password,
        organisation=_AGENCY,
    )
    services.settings.update(admin, agency_name=_AGENCY)
    completed = services.ctx.now().date() - dt.timedelta(days=30)
    made: dict[Role, DemoAccount] = {}
    for role in _ACTIVATION_ORDER:
        username = f"demo.{role.value}"
        temporary, final = _password(), _password()
        user = services.users.create_user(
            admin,
            username=username,
            full_name=f"Demo {role.label}",
            roles=[role],
            temporary_password=temporary,
            organisation=_AGENCY,
        )
        services.users.activate(admin, user.id)
        services.users.add_training(
            admin, user.id, course="ALPR operator training (demo)", completed_on=completed
        )
        services.auth.replace_temporary_password(username, temporary, final)
        made[role] = DemoAccount(username, final, role)
    cameras = seed_demo_cameras(app, admin)
    if cameras:
        seed_demo_hotlists(app, admin)
    accounts = [DemoAccount("demo.admin", admin_password, Role.ADMINISTRATOR)]
    return accounts + [made[role] for role in _LISTED_ORDER]


#: (name, latitude, longitude, facing, video seed) of the fixed demo cameras, in
#: Sacramento; each plays its own rendering (other vehicles, other plates).
_FIXED_CAMERAS = (
    ("North gate", 38.58410, -121.49790, 180.0, 2026),
    ("Main St eastbound", 38.57930, -121.49120, 90.0, 2027),
)
_MOBILE_CAMERA, _MOBILE_SEED = "Unit 12 (mobile)", 2028
#: A camera that never answers, so the demo shows what a dropped camera looks like.
_OFFLINE_CAMERA = ("Harbor Blvd (offline)", "rtsp://127.0.0.1:9/harbor", 38.5762, -121.5051)
#: How long the mobile unit's track covers, from the demo's start.
_TRACK_HOURS = 12


def seed_demo_cameras(app: Application, admin: Actor) -> list[str]:
    """Register the demo cameras on the rendered sample video; their names.

    Needs the renderer (the ``ocr`` extra); without it the demo has no cameras and says
    why on the Live page's empty state and in the log.
    """
    from alpr_desktop.services.camera_tracks import import_track_file
    from alpr_desktop.services.cameras import CameraFields

    try:
        from alpr_desktop.recognition.demo_video import demo_video, write_demo_gpx
    except ImportError as exc:
        log.warning("demo cameras skipped: the sample video needs the OCR extra (%s)", exc)
        return []
    cameras = app.services.cameras
    for name, lat, lon, facing, seed in _FIXED_CAMERAS:
        cameras.create(
            admin,
            CameraFields(
                name=name,
                source=str(demo_video(seed=seed).path),
                latitude=lat,
                longitude=lon,
                direction_deg=facing,
                description="Demo camera playing a project-rendered sample video.",
            ),
        )
    name, source, lat, lon = _OFFLINE_CAMERA
    cameras.create(
        admin,
        CameraFields(
            name=name,
            source=source,
            latitude=lat,
            longitude=lon,
            description="Demo IP camera that does not answer: its tile shows reconnecting.",
        ),
    )
    unit = cameras.create(
        admin,
        CameraFields(
            name=_MOBILE_CAMERA,
            source=str(demo_video(seed=_MOBILE_SEED).path),
            mobile=True,
            description="Demo patrol car; positions from its GPX track.",
        ),
    )
    start = app.services.ctx.now() - dt.timedelta(minutes=5)
    with tempfile.TemporaryDirectory(prefix="alpr-demo-gpx-") as tmp:
        track = write_demo_gpx(
            Path(tmp) / "unit12.gpx", start, duration_s=_TRACK_HOURS * 3600, step_s=5.0
        )
        import_track_file(cameras, admin, unit.id, track)
    return [c[0] for c in _FIXED_CAMERAS] + [_OFFLINE_CAMERA[0], _MOBILE_CAMERA]


#: The sample hotlist: (video seed, pass, category, priority, partial, note) — each
#: entry is the plate of one pass of that video (a near-lane one the shipped reader gets
#: right: "7T8763", the first of seed 2026, is read ZT8763), whole or as a partial
#: pattern; ``tests/integration/test_demo_alerts.py`` checks each hits within a minute.
_DEMO_HITS = (
    (2026, 5, "stolen_vehicle", 1, False, "Reported stolen 2026-11-28; grey sedan."),
    (2027, 1, "amber", 1, False, "AMBER alert: child believed in the vehicle."),
    (_MOBILE_SEED, 1, "bolo", 2, True, "Partial plate from a witness to a shooting."),
)
_DEMO_DECOYS = 250  # entries that never pass, so the list looks like a real extract


def seed_demo_hotlists(app: Application, admin: Actor) -> list[str]:
    """The sample hotlist hitting the demo videos; the patterns it holds that hit."""
    import random

    from alpr_desktop.recognition.demo_video import demo_video
    from alpr_desktop.services.hotlist_fields import EntryFields

    hotlists = app.services.hotlists
    wanted = hotlists.create(
        admin,
        "Demo wanted vehicles",
        source="Demo extract (not real data)",
        description="Sample list: its first three entries pass the demo cameras.",
    )
    patterns: list[str] = []
    seen: set[str] = set()
    for seed, index, category, priority, partial, notes in _DEMO_HITS:
        video = demo_video(seed=seed)
        plate = video.passes[index].plate
        seen.update(p.plate for p in video.passes)
        pattern = plate[:4] + "*" if partial else plate
        hotlists.add_entry(
            admin,
            wanted.id,
            EntryFields(
                pattern,
                category,
                state="CA",
                priority=priority,
                source="Demo",
                case_number=f"DEMO-{seed}",
                notes=notes,
            ),
        )
        patterns.append(pattern)
    # The decoys in one import (one transaction), as a department loads an extract.
    rng = random.Random(471)
    letters, digits = "ABCDEFGHJKLMNPRSTUVWXYZ", "0123456789"
    lines = ["plate,state,category,priority,source,case_number,notes,expires_at"]
    while len(lines) <= _DEMO_DECOYS:
        plate = rng.choice(digits) + "".join(rng.choices(letters, k=3))
        plate += "".join(rng.choices(digits, k=3))
        if plate not in seen:
            seen.add(plate)
            category = rng.choice(("stolen_vehicle", "stolen_plate", "warrant"))
            lines.append(f"{plate},CA,{category},{rng.choice((2, 3))},Demo,,,")
    with tempfile.TemporaryDirectory(prefix="alpr-demo-hotlist-") as tmp:
        extract = Path(tmp) / "demo-extract.csv"
        extract.write_text("\n".join(lines) + "\n", encoding="utf-8")
        hotlists.import_csv(admin, extract, wanted.name)
    return patterns


def credentials_banner(accounts: list[DemoAccount]) -> str:
    width = max(len(a.username) for a in accounts)
    lines = ["Demo accounts (shown once; the demo database is deleted on exit):"]
    lines += [f"  {a.username:<{width}}  {a.password}  ({a.role.label})" for a in accounts]
    return "\n".join(lines)
