"""Render the main screens offscreen into ``docs/screenshots/*.png``.

Every page of the main window is rendered at 1280x720 in both themes — the
administrator's pages, the dispatcher's Alerts page (the queue, one alert, the
disposition dialog) and Live page on the demo cameras once reads have come in, the
investigator's Search (purpose dialog, results, one read opened) and Canvass pages on a
few hundred sample reads, the commander's Releases page (``tools/release_screens.py``)
— with the sign-in states, first-run setup, password change,
About and lock screen.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots.py [--out docs/screenshots]

Uses throw-away demo databases (``open_application(demo=True)`` + ``seed_demo``), so it
touches no real data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from alpr_desktop.app import Application, open_application
from alpr_desktop.core.roles import Role
from alpr_desktop.demo import DemoAccount, seed_demo
from alpr_desktop.gui.auth_dialogs import (
    ChangePasswordDialog,
    LoginDialog,
    SetupDialog,
)
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.main import qt_application
from alpr_desktop.gui.main_window import MainWindow
from alpr_desktop.gui.theme import ThemeManager
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.services.base import Actor
from alpr_desktop.services.hotlist_fields import EntryFields
from alpr_desktop.services.users import generate_temporary_password
from alpr_desktop.settings import LocalConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from release_screens import release_screens
from screen_kit import ROOT, WINDOW_SIZE, pump, save, settle

#: How long the Live page runs before it is captured (models load, passes are read).
LIVE_SECONDS = 25.0
#: Where the sample hotlist files are written (removed when the script ends).
_HOTLIST_TMP = tempfile.TemporaryDirectory(prefix="alpr-screens-")
HOTLIST_FOLDER = Path(_HOTLIST_TMP.name)


def add_sample_users(application: Application, admin: Actor, supervisor: Actor) -> None:
    """A pending and a suspended account next to the demo ones, for a realistic table.

    The supervisor activates what the administrator created (separation of duties).
    """
    services = application.services
    services.users.create_user(
        admin,
        username="p.garcia",
        full_name="Paula Garcia",
        roles=[Role.INVESTIGATOR],
        temporary_password=generate_temporary_password(),
        organisation="Investigations Bureau",
        badge_number="5521",
    )
    suspended = services.users.create_user(
        admin,
        username="t.nguyen",
        full_name="Tom Nguyen",
        roles=[Role.DISPATCHER],
        temporary_password=generate_temporary_password(),
        organisation="Communications",
    )
    services.users.activate(supervisor, suspended.id)
    services.users.suspend(admin, suspended.id, "On extended leave")


SAMPLE_HOTLIST = """\
plate,state,category,priority,source,case_number,notes,expires_at
7ABC123,CA,stolen_vehicle,1,NCIC,24-001234,Grey 2019 Honda Civic,
8XYZ45?,CA,amber,1,CHP,24-001240,AMBER alert: blue Ford Focus; last digit unreadable,2030-12-31
6TR*9,,bolo,2,Detective unit,24-001251,Partial from a witness (471.4(c)),2030-06-30
4MNP812,NV,stolen_plate,2,NCIC,24-001260,,
5KLM901,CA,warrant,3,Sheriff,24-001302,Registered owner has a felony warrant,2030-03-31
"""
#: A file with four bad lines (six errors), for the import dialog's error table.
BAD_HOTLIST = """\
plate,state,category,priority,source,case_number,notes,expires_at
3JKL558,CA,stolen_vehicle,1,NCIC,24-002001,White 2016 Toyota Camry,
**,CA,bolo,2,Detective unit,24-002007,Wildcards only,
4MNP812,NV,stolen_car,2,NCIC,24-002010,,
9QRS004,CA,warrant,4,Sheriff,24-002013,,2030-02-30
2DEF777,CALIFORNIA,wanted_person,1,CHP,24-002020,,2001-01-01
"""


def add_sample_hotlists(application: Application, admin: Actor, folder: Path) -> None:
    """Three lists for the Hotlists page: an imported one, a hand-kept one, an inactive one."""
    hotlists = application.services.hotlists
    path = folder / "ncic-daily.csv"
    path.write_text(SAMPLE_HOTLIST, encoding="utf-8")
    hotlists.import_csv(admin, path, "NCIC daily extract", create_missing=True)
    local = hotlists.create(admin, "Local BOLOs", source="Investigations Bureau")
    for plate, category, notes in (
        ("6WQ*7", "bolo", "Partial plate, hit-and-run on Main St (471.4(c))"),
        ("8LMN204", "missing_person", "Silver Alert: driver 81, may be confused"),
    ):
        hotlists.add_entry(
            admin,
            local.id,
            EntryFields(
                plate=plate,
                category=category,
                state="CA",
                source="Detective unit",
                case_number="24-003118",
                notes=notes,
            ),
        )
    old = hotlists.create(admin, "2025 auto-theft task force", source="County task force")
    hotlists.set_active(admin, old.id, False)


def select_hotlist(app: QApplication, gui: GuiContext, page: QWidget, name: str) -> None:
    model = page.list_model  # type: ignore[attr-defined]
    row = next(r for r in range(model.rowCount()) if model.row_at(r).name == name)
    page.select_list(model.row_at(row).id)  # type: ignore[attr-defined]
    settle(app, gui)


def hotlist_import_screens(
    app: QApplication, gui: GuiContext, window: MainWindow, folder: Path, out: Path
) -> None:
    """The import dialog on a file with errors (its preview, its per-line error table) and
    the entry editor's check of a pattern as it is typed."""
    from alpr_desktop.gui.pages.hotlist_dialogs import ImportDialog

    window.show()  # the page loads its lists when it is first shown
    page = window.show_page("hotlists")
    settle(app, gui)
    path = folder / "tow-yard-bolos.csv"
    path.write_text(BAD_HOTLIST, encoding="utf-8")
    page.do_import()  # type: ignore[attr-defined]
    dialog = page.active_dialog  # type: ignore[attr-defined]
    assert isinstance(dialog, ImportDialog)
    dialog.resize(980, 640)
    dialog.set_file(path)
    dialog.list_combo.setCurrentText("Local BOLOs")
    settle(app, gui)
    save(app, gui, dialog, out / "hotlist-import-preview-light.png")
    dialog.import_button.click()
    settle(app, gui)
    save(app, gui, dialog, out / "hotlist-import-errors-light.png")
    dialog.reject()
    settle(app, gui)
    page.do_add()  # type: ignore[attr-defined]
    entry = page.active_dialog  # type: ignore[attr-defined]
    entry.plate_edit.setText("*7*")
    entry.state_edit.setText("CA")
    entry.case_edit.setText("24-003120")
    save(app, gui, entry, out / "hotlist-entry-error-light.png")
    entry.reject()
    settle(app, gui)


def with_gui(
    app: QApplication,
    theme: ThemeManager,
    demo: bool,
    body: Callable[[GuiContext, Actor | None, list[DemoAccount]], None],
) -> None:
    """Run ``body`` on a throw-away database (with the demo accounts when ``demo``)."""
    application = open_application(LocalConfig(), demo=True)
    gui = GuiContext.build(application, theme, idle_lock_ms=24 * 3600 * 1000)
    try:
        admin = None
        accounts: list[DemoAccount] = []
        if demo:
            accounts = seed_demo(application)
            first = accounts[0]
            admin = application.services.auth.login(first.username, first.password).actor
            sup = next(a for a in accounts if a.role is Role.SUPERVISOR)
            supervisor = application.services.auth.login(sup.username, sup.password).actor
            add_sample_users(application, admin, supervisor)
            add_sample_hotlists(application, admin, HOTLIST_FOLDER)
        body(gui, admin, accounts)
    finally:
        gui.close()
        application.close()


def live_screens(
    app: QApplication,
    gui: GuiContext,
    theme: ThemeManager,
    accounts: list[DemoAccount],
    out: Path,
) -> None:
    """The dispatcher's Live page on the demo cameras, after reads have come in."""
    dispatcher = next(a for a in accounts if a.role is Role.DISPATCHER)
    actor = gui.services.auth.login(dispatcher.username, dispatcher.password).actor
    window = MainWindow(gui, actor)
    window.resize(*WINDOW_SIZE)
    window.show()
    page = window.show_page("live")
    pump(LIVE_SECONDS)
    for name in ("light", "dark"):
        theme.apply(name)
        pump(1.0)
        save(app, gui, window, out / f"main-live-{name}.png")
    theme.apply("light")
    done: list[bool] = []
    page.shutdown(lambda: done.append(True))  # type: ignore[attr-defined]
    while not done:
        pump(0.2)
    page.stopping.wait()  # type: ignore[attr-defined]
    window.idle.stop()
    window.hide()
    window.deleteLater()
    settle(app, gui)


#: (plate read, camera, minutes ago) of the sample alerts: hits on the sample hotlists.
SAMPLE_ALERT_READS = (
    ("5KLM901", "Main St eastbound", 14.0),  # exact, warrant (priority 3)
    ("6TRW89", "North gate", 9.0),  # partial 6TR*9, BOLO (priority 2)
    ("8XYZ457", "Main St eastbound", 4.0),  # partial 8XYZ45?, AMBER (priority 1)
)
#: The alert raised once the page is open (B read as 8 on the stolen 7ABC123).
NEW_ALERT_READ = ("7A8C123", "North gate", 0.5)
#: Where the demo frame's own plate is (full-frame pixels): the sample plate goes there.
_PLATE_SLOT = (1010, 264, 145, 73)


def sample_alert_read(plate: str, camera: str, minutes_ago: float, seq: int) -> VehicleRead:
    """A read of ``plate`` with real images: the plate rendered by the project's plate
    renderer, pasted on a frame of the demo video (context downscaled to 640 wide)."""
    import cv2
    import numpy as np

    from alpr_desktop.recognition.demo_video import demo_video
    from alpr_desktop.recognition.synth.render import render_plate
    from alpr_desktop.recognition.tracker import encode_jpeg
    from alpr_desktop.recognition.types import Candidate, PlateBox

    rng = np.random.default_rng(100 + seq)
    cut = 4 if len(plate) == 7 else 3
    image, _box, _chars = render_plate(rng, [plate[:cut], plate[cut:]])
    capture = cv2.VideoCapture(str(demo_video(seed=2026).path))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 40)
    ok, frame = capture.read()
    capture.release()
    assert ok, "the demo video has no frame 40"
    x, y, w, h = _PLATE_SLOT
    frame[y : y + h, x : x + w] = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    crop = np.ascontiguousarray(frame[y - 6 : y + h + 6, x - 10 : x + w + 10], dtype=np.uint8)
    scale = 640 / frame.shape[1]
    size = (640, round(frame.shape[0] * scale))
    context = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    lat, lon = {"North gate": (38.58410, -121.49790), "Main St eastbound": (38.57930, -121.49120)}[
        camera
    ]
    now = dt.datetime.now(dt.UTC)
    return VehicleRead(
        camera_name=camera,
        read_at=now - dt.timedelta(minutes=minutes_ago),
        plate_text=plate,
        confidence=0.91,
        alternatives=(Candidate(plate[:-1], 0.52), Candidate(plate[1:], 0.21)),
        box=PlateBox(x, y, w, h, 0.96),  # full-frame pixels, as the recognizer gives it
        frames_voted=7,
        crop=encode_jpeg(crop),
        context=encode_jpeg(context),
        latitude=lat,
        longitude=lon,
        frame_size=(frame.shape[1], frame.shape[0]),
    )


def alerts_screens(
    app: QApplication,
    gui: GuiContext,
    theme: ThemeManager,
    accounts: list[DemoAccount],
    out: Path,
) -> None:
    """The dispatcher's Alerts page: the queue as a new alert arrives, one alert in full,
    and the disposition dialog."""
    from alpr_desktop.gui.pages.alerts import AlertsPage

    ingest = gui.services.ingest
    for seq, (plate, camera, ago) in enumerate(SAMPLE_ALERT_READS):
        ingest.store([sample_alert_read(plate, camera, ago, seq)])
    dispatcher = next(a for a in accounts if a.role is Role.DISPATCHER)
    actor = gui.services.auth.login(dispatcher.username, dispatcher.password).actor
    window = MainWindow(gui, actor)
    window.resize(*WINDOW_SIZE)
    window.show()
    page = window.show_page("alerts")
    assert isinstance(page, AlertsPage)
    page.sound.enabled = False  # no tone from a screenshot run
    while not page.loaded_queue:
        pump(0.1)
    plate, camera, ago = NEW_ALERT_READ
    ingest.store([sample_alert_read(plate, camera, ago, 9)])
    while page.model.pending_count < len(SAMPLE_ALERT_READS) + 1:
        pump(0.1)
    settle(app, gui)
    for name in ("light", "dark"):
        theme.apply(name)
        save(app, gui, window, out / f"main-alerts-{name}.png")
    top = page.model.row_at(0)
    page.select_alert(top.id)
    while page.detail.view is None:
        pump(0.1)
    for name in ("light", "dark"):
        theme.apply(name)
        save(app, gui, window, out / f"main-alerts-detail-{name}.png")
    theme.apply("light")
    page.decide(accept=True)
    dialog = page.active_dialog
    assert dialog is not None
    settle(app, gui)
    dialog.reason_combo.setCurrentText("Confirmed through CLETS")
    dialog.notes_edit.setPlainText("CLETS: stolen vehicle confirmed; Unit 12 notified.")
    save(app, gui, dialog, out / "alert-disposition-light.png")
    dialog.reject()
    done: list[bool] = []
    window.idle.stop()
    window._stop_pages(lambda: done.append(True))
    while not done:
        pump(0.1)
    window.hide()
    window.deleteLater()
    settle(app, gui)


#: Plates of the sample search history: a few recur often (repeated vehicles), some are
#: one confusion (B/8) or one edit away from the pattern the screenshot searches for.
SEARCH_PLATES = (
    "7ABC123",
    "7A8C123",
    "7ABX12",
    "7ABD129",
    "7ABK12",
    "6ABC123",
    "7ABE201",
    "8XYZ451",
    "4KLM220",
    "5TRW889",
    "3MNB442",
    "9QQQ999",
    "2DEF318",
    "6JKL904",
    "1GHJ562",
    "8RST707",
    "7BBC123",
    "5PLM331",
    "4ZXC812",
    "3QWE127",
)
#: The pattern, purpose and case of the sample search.
SEARCH_PATTERN = "7AB*12*"
SEARCH_PURPOSE = "Criminal investigation"
SEARCH_CASE = "26-004711"


def add_sample_search_reads(ingest: object, count: int = 300) -> None:
    """``count`` reads over the last two days at the demo's fixed cameras: the sample
    plates, each rendered once by the plate renderer and read again and again."""
    import random
    import uuid
    from dataclasses import replace

    rng = random.Random(2026)
    renders = {
        plate: sample_alert_read(plate, ("North gate", "Main St eastbound")[i % 2], 0, 20 + i)
        for i, plate in enumerate(SEARCH_PLATES)
    }
    positions = {"North gate": (38.58410, -121.49790), "Main St eastbound": (38.57930, -121.49120)}
    weights = [8 if i < 3 else 1 + (i % 4) for i in range(len(SEARCH_PLATES))]
    reads = []
    for _ in range(count):
        plate = rng.choices(SEARCH_PLATES, weights)[0]
        base = renders[plate]
        camera = rng.choice(("North gate", "Main St eastbound"))
        hours = rng.uniform(0.2, 47.0)
        reads.append(
            replace(
                base,
                camera_name=camera,
                read_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours),
                confidence=round(rng.uniform(0.62, 0.97), 2),
                read_uuid=str(uuid.uuid4()),
                latitude=positions[camera][0] + rng.uniform(-0.0004, 0.0004),
                longitude=positions[camera][1] + rng.uniform(-0.0004, 0.0004),
            )
        )
    for start in range(0, len(reads), 100):
        ingest.store(reads[start : start + 100])  # type: ignore[attr-defined]


def _purpose_dialog(app: QApplication, gui: GuiContext, page: QWidget) -> QWidget:
    from alpr_desktop.gui.search.purpose import PurposeDialog

    for _ in range(200):
        settle(app, gui)
        dialog = page.findChild(PurposeDialog)
        if dialog is not None:
            return dialog
        pump(0.05)
    raise RuntimeError("the purpose dialog did not open")


def _declare(dialog: QWidget) -> None:
    combo = dialog.purpose_combo  # type: ignore[attr-defined]
    combo.setCurrentIndex(combo.findText(SEARCH_PURPOSE))
    dialog.case_edit.setText(SEARCH_CASE)  # type: ignore[attr-defined]
    dialog.ok_button.click()  # type: ignore[attr-defined]


def search_screens(
    app: QApplication,
    gui: GuiContext,
    theme: ThemeManager,
    accounts: list[DemoAccount],
    out: Path,
) -> None:
    """The investigator's Search page (the purpose dialog, results, one read opened)
    and Canvass page, on a few hundred sample reads."""
    add_sample_search_reads(gui.services.ingest)
    investigator = next(a for a in accounts if a.role is Role.INVESTIGATOR)
    actor = gui.services.auth.login(investigator.username, investigator.password).actor
    window = MainWindow(gui, actor)
    window.resize(*WINDOW_SIZE)
    window.show()
    page = window.show_page("search")
    page.pattern_edit.setText(SEARCH_PATTERN)  # type: ignore[attr-defined]
    page.confusable_check.setChecked(True)  # type: ignore[attr-defined]
    page.submit()  # type: ignore[attr-defined]
    dialog = _purpose_dialog(app, gui, page)
    dialog.case_edit.setText(SEARCH_CASE)  # type: ignore[attr-defined]
    save(app, gui, dialog, out / "search-purpose-light.png")
    _declare(dialog)
    settle(app, gui)
    for name in ("light", "dark"):
        theme.apply(name)
        save(app, gui, window, out / f"main-search-{name}.png")
    page.open_row(1)  # type: ignore[attr-defined]
    settle(app, gui)
    for name in ("light", "dark"):
        theme.apply(name)
        save(app, gui, window, out / f"main-search-detail-{name}.png")
    theme.apply("light")
    page = window.show_page("canvass")
    page.centre_edit.setText("38.58410, -121.49790")  # type: ignore[attr-defined]
    page.radius_spin.setValue(300)  # type: ignore[attr-defined]
    page.since_edit.setDateTime(page.since_edit.dateTime().addDays(-2))  # type: ignore[attr-defined]
    page.submit()  # type: ignore[attr-defined]
    _declare(_purpose_dialog(app, gui, page))
    settle(app, gui)
    for name in ("light", "dark"):
        theme.apply(name)
        save(app, gui, window, out / f"main-canvass-{name}.png")
    theme.apply("light")
    done: list[bool] = []
    window.idle.stop()
    window._stop_pages(lambda: done.append(True))
    while not done:
        pump(0.1)
    window.hide()
    window.deleteLater()
    settle(app, gui)


def compliance_screens(
    app: QApplication,
    gui: GuiContext,
    theme: ThemeManager,
    accounts: list[DemoAccount],
    out: Path,
) -> None:
    """The commander's Compliance page on the demo installation, part-way there: the
    designee named, the trail verified, the policy exported; no audit signed off yet.
    And the Policy page, as everyone sees it."""
    commander_account = next(a for a in accounts if a.role is Role.COMMANDER)
    commander = gui.services.auth.login(
        commander_account.username, commander_account.password
    ).actor
    gui.services.settings.update(
        commander,
        designee_name="Lt. Maria Lopez",
        designee_title="Support Services Division Commander",
    )
    gui.services.settings.update(commander, retention_days=365)
    supervisor_account = next(a for a in accounts if a.role is Role.SUPERVISOR)
    supervisor = gui.services.auth.login(
        supervisor_account.username, supervisor_account.password
    ).actor
    gui.services.audit.verify(supervisor)
    with tempfile.TemporaryDirectory(prefix="alpr-policy-") as folder:
        gui.services.policy.export(Path(folder) / "policy.html", actor=commander)
    window = MainWindow(gui, commander)
    window.resize(*WINDOW_SIZE)
    window.show()
    for key in ("compliance", "policy"):
        window.show_page(key)
        settle(app, gui)
        for name in ("light", "dark"):
            theme.apply(name)
            save(app, gui, window, out / f"main-{key}-{name}.png")
        theme.apply("light")
    page = window.show_page("compliance")
    page.tree.scrollToBottom()  # type: ignore[attr-defined]
    save(app, gui, window, out / "main-compliance-statute-light.png")
    window.idle.stop()
    window.hide()
    window.deleteLater()
    settle(app, gui)


#: The expired sample reads of the retention screenshots: (plate, days old, how many).
AGED_READS = (("7ABC123", 410, 40), ("6TRK902", 395, 25), ("8GHJ441", 372, 30), ("4XYZ777", 20, 15))
#: Reads that expire after the sample purge (the preview then has something to show).
LATE_READS = (("5LMN318", 368, 12), ("7ABC123", 367, 6))


def add_aged_reads(gui: GuiContext, plan: tuple[tuple[str, int, int], ...], seq: int) -> None:
    """Reads of each plate, ``days old`` give or take a few hours, with real images."""
    import uuid
    from dataclasses import replace

    now = dt.datetime.now(dt.UTC)
    for i, (plate, days, count) in enumerate(plan):
        base = sample_alert_read(plate, ("North gate", "Main St eastbound")[i % 2], 0, seq + i)
        gui.services.ingest.store(
            [
                replace(
                    base,
                    read_at=now - dt.timedelta(days=days, hours=n * 0.7),
                    read_uuid=str(uuid.uuid4()),
                )
                for n in range(count)
            ]
        )


def retention_screens(
    app: QApplication,
    gui: GuiContext,
    theme: ThemeManager,
    accounts: list[DemoAccount],
    out: Path,
) -> None:
    """The administrator's Retention page after one purge (kept reads under holds) with
    a dry-run preview of what expired since, and the supervisor's Evidence holds page:
    an approved hold due for review, one awaiting a decision, one released."""

    def login(role: Role) -> Actor:
        account = next(a for a in accounts if a.role is role)
        return gui.services.auth.login(account.username, account.password).actor

    admin, detective, sergeant = (
        login(Role.ADMINISTRATOR),
        login(Role.INVESTIGATOR),
        login(Role.SUPERVISOR),
    )
    from alpr_desktop.services.evidence import PlatePeriod

    evidence, now = gui.services.evidence, dt.datetime.now(dt.UTC)
    add_aged_reads(gui, AGED_READS, 60)

    def hold(case: str, plate: str, days: tuple[int, int], review: int, why: str) -> int:
        start, end = now - dt.timedelta(days=days[0]), now - dt.timedelta(days=days[1])
        return evidence.request(
            detective,
            case_number=case,
            reason=why,
            review_on=now.date() + dt.timedelta(days=review),
            purpose="Criminal investigation",
            period=PlatePeriod(plate, start, end),
        ).id

    burglary = hold("26-004711", "7ABC123", (420, 400), 4, "Vehicle at the Elm St burglaries")
    evidence.approve(sergeant, burglary, note="Prosecutor asked for the reads")
    hit_and_run = hold("26-003982", "6TRK902", (400, 390), 60, "Hit and run, Main St")
    evidence.approve(sergeant, hit_and_run)
    closed = hold("25-011207", "8GHJ441", (380, 370), 30, "Stolen vehicle, recovered")
    evidence.approve(sergeant, closed)
    evidence.release(sergeant, closed, reason="Case closed: vehicle returned to its owner")
    pending = hold("26-005120", "4XYZ777", (30, 10), 90, "Suspect vehicle, armed robbery, 5th Ave")
    gui.services.retention.purge(admin)
    add_aged_reads(gui, LATE_READS, 70)
    from alpr_desktop.gui.maintenance import MaintenanceScheduler

    # As in the application (not started here: the page only asks it when it runs next).
    gui.maintenance = MaintenanceScheduler(gui.background, gui.services.maintenance)
    window = MainWindow(gui, admin)
    window.resize(*WINDOW_SIZE)
    window.show()
    page = window.show_page("retention")
    settle(app, gui)
    page.preview_button.click()  # type: ignore[attr-defined]
    settle(app, gui)
    for name in ("light", "dark"):
        theme.apply(name)
        save(app, gui, window, out / f"main-retention-{name}.png")
    theme.apply("light")
    window.idle.stop()
    window.hide()
    window.deleteLater()
    window = MainWindow(gui, sergeant)
    window.resize(*WINDOW_SIZE)
    window.show()
    page = window.show_page("holds")
    page.closed_box.setChecked(True)  # type: ignore[attr-defined]
    settle(app, gui)
    page.select_hold(burglary)  # type: ignore[attr-defined]
    for name in ("light", "dark"):
        theme.apply(name)
        save(app, gui, window, out / f"main-holds-{name}.png")
    theme.apply("light")
    bar = page.export_bar  # type: ignore[attr-defined]
    bar.export_button.click()
    settle(app, gui)
    bar.dialog.purpose_combo.setCurrentIndex(
        bar.dialog.purpose_combo.findText("Criminal investigation")
    )
    bar.dialog.destination_edit.setText("USB drive SN 4C530001, to the District Attorney's office")
    save(app, gui, bar.dialog, out / "hold-export-light.png")
    bar.dialog.reject()
    del pending  # left awaiting a decision: the supervisor's Home reminds them
    window.show_page("home")
    settle(app, gui)
    save(app, gui, window, out / "main-home-reminders-light.png")
    window.idle.stop()
    window.hide()
    window.deleteLater()
    settle(app, gui)


#: Who searched in the sample trail of the audit report screenshots, and how often.
AUDIT_SEARCHERS = (("det.garcia", 9), ("det.nguyen", 6), ("det.okafor", 4), ("det.smith", 2))


def add_sample_audit_trail(application: Application, days: int = 30) -> None:
    """A month of searches (and a few refusals and lockouts) in the access trail."""
    import random
    from zoneinfo import ZoneInfo

    from alpr_desktop.core.purposes import DEFAULT_PURPOSES
    from alpr_desktop.services.audit import append_record

    rng = random.Random(471)
    now = application.services.ctx.now()
    users = [name for name, weight in AUDIT_SEARCHERS for _ in range(weight)]
    with application.database.sessions.begin() as session:
        # Mostly in office hours (Sacramento's), some in the evening and at night.
        local = now.astimezone(ZoneInfo("America/Los_Angeles"))
        moments = sorted(
            (local - dt.timedelta(days=rng.randint(1, days - 1)))
            .replace(hour=int(rng.triangular(5, 24, 13)), minute=rng.randint(0, 59))
            .astimezone(dt.UTC)
            for _ in range(420)
        )
        for when in moments:
            action = rng.choices(["search_reads", "canvass", "export_reads"], [85, 10, 5])[0]
            pattern = "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(4))
            query = (
                {"canvass": [38.5841, -121.4979, 250]}
                if action == "canvass"
                else {"pattern": f"{pattern}*", "offset": 0, "confusable": rng.random() < 0.3}
            )
            append_record(
                session,
                now=when,
                username=rng.choice(users),
                category="data",
                action=action,
                purpose=rng.choice(DEFAULT_PURPOSES[:6]),
                case_number="" if rng.random() < 0.01 else f"26-{rng.randint(100, 9999):06d}",
                query=query,
            )
        for n in range(6):
            append_record(
                session,
                now=now - dt.timedelta(days=3 + n * 4),
                username="det.smith" if n % 2 else "disp.lee",
                category="data",
                action="search_reads",
                outcome="refused",
                detail="Your roles do not allow you to search reads.",
            )
        append_record(
            session,
            now=now - dt.timedelta(days=12),
            username="det.okafor",
            category="session",
            action="account_locked",
            outcome="refused",
        )


def audit_report_screens(
    app: QApplication,
    gui: GuiContext,
    theme: ThemeManager,
    accounts: list[DemoAccount],
    out: Path,
) -> None:
    """The supervisor's Audit report for the last 30 days of a sample trail: figures,
    charts and the review sample part-way reviewed."""
    add_sample_audit_trail(gui.application)
    account = next(a for a in accounts if a.role is Role.SUPERVISOR)
    supervisor = gui.services.auth.login(account.username, account.password).actor
    window = MainWindow(gui, supervisor)
    window.resize(*WINDOW_SIZE)
    window.show()
    page: Any = window.show_page("audit_report")
    today = gui.services.ctx.now().date()
    page.since_edit.setDate(today - dt.timedelta(days=29))
    page.until_edit.setDate(today)
    page.sample_spin.setValue(12)
    page.seed_edit.setText("471")
    page.run_report()
    settle(app, gui)
    notes = ["", "", "Case number does not match an open case; ask the detective."]
    for row, note in enumerate(notes):
        page.sample_table.selectRow(row)
        page.review_pane.verdict_box.setCurrentIndex(1 if note else 0)
        page.review_pane.note_edit.setPlainText(note)
        page.review_pane.save_button.click()
        settle(app, gui)
    page.sample_table.selectRow(3)
    for tab, key in ((0, "audit-report"), (1, "audit-report-charts"), (2, "audit-report-review")):
        page.tabs.setCurrentIndex(tab)
        for name in ("light", "dark") if tab < 2 else ("light",):
            theme.apply(name)
            if tab == 1:
                page.charts.show_report(page.view)  # the charts take the theme when drawn
            save(app, gui, window, out / f"main-{key}-{name}.png")
    theme.apply("light")
    window.idle.stop()
    window.hide()
    window.deleteLater()
    settle(app, gui)


def audit_viewer_screens(
    app: QApplication,
    gui: GuiContext,
    theme: ThemeManager,
    accounts: list[DemoAccount],
    out: Path,
) -> None:
    """The supervisor's Audit page filtered to who searched for a plate (after the
    Search screenshots' searches), one record opened with its query and hashes."""
    account = next(a for a in accounts if a.role is Role.SUPERVISOR)
    supervisor = gui.services.auth.login(account.username, account.password).actor
    window = MainWindow(gui, supervisor)
    window.resize(*WINDOW_SIZE)
    window.show()
    page: Any = window.show_page("audit")
    settle(app, gui)
    page.filter_bar.plate_edit.setText(SEARCH_PATTERN.split("*")[0])
    page.filter_bar.category_combo.setCurrentText("data")
    page.apply()
    settle(app, gui)
    page.open_row(0)
    settle(app, gui)
    for name in ("light", "dark"):
        theme.apply(name)
        save(app, gui, window, out / f"main-audit-{name}.png")
    theme.apply("light")
    window.idle.stop()
    window.hide()
    window.deleteLater()
    settle(app, gui)


def audit_broken_screens(
    app: QApplication,
    gui: GuiContext,
    theme: ThemeManager,
    accounts: list[DemoAccount],
    out: Path,
) -> None:
    """A broken link found: one record's purpose rewritten behind the application's back
    (the append-only triggers dropped first, as someone holding the file could), then a
    full verification on the Audit page. Taken last: the trail stays broken."""
    from sqlalchemy import text

    account = next(a for a in accounts if a.role is Role.SUPERVISOR)
    supervisor = gui.services.auth.login(account.username, account.password).actor
    with gui.application.database.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS access_records_no_update"))
        target = conn.execute(
            text(
                "SELECT seq FROM access_records WHERE action = 'search_reads' ORDER BY seq LIMIT 1"
            )
        ).scalar_one()
        conn.execute(
            text("UPDATE access_records SET purpose = 'Curiosity' WHERE seq = :seq"),
            {"seq": target},
        )
    window = MainWindow(gui, supervisor)
    window.resize(*WINDOW_SIZE)
    window.show()
    page: Any = window.show_page("audit")
    settle(app, gui)
    panel = page.verify_panel
    panel.full_check.setChecked(True)
    panel.verify()
    deadline = time.monotonic() + 60
    while panel.cancel_button.isVisible() and time.monotonic() < deadline:
        pump(0.2)
    settle(app, gui)
    save(app, gui, window, out / "main-audit-broken-light.png")
    window.idle.stop()
    window.hide()
    window.deleteLater()
    settle(app, gui)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    app = qt_application()
    theme = ThemeManager(app, "light")
    theme.apply("light")

    def first_run(gui: GuiContext, _admin: Actor | None, _accounts: list[DemoAccount]) -> None:
        dialog = SetupDialog(gui)
        dialog.ui.agencyEdit.setText("Springfield Police Department")
        dialog.ui.usernameEdit.setText("j.smith")
        dialog.ui.fullNameEdit.setText("Jordan Smith")
        dialog.ui.organisationEdit.setText("Support Services Division")
        dialog.ui.passwordEdit.setText("short")
        dialog.ui.repeatEdit.setText("short")
        dialog.submit()
        save(app, gui, dialog, out / "first-run-setup.png")
        dialog.deleteLater()

    with_gui(app, theme, False, first_run)

    def demo_screens(gui: GuiContext, actor: Actor | None, accounts: list[DemoAccount]) -> None:
        assert actor is not None
        preparing = LoginDialog(None, agency="alpr-desktop", preparing="Preparing the demo…")
        save(app, gui, preparing, out / "login-preparing.png")
        preparing.deleteLater()
        login = LoginDialog(gui, agency="Demo Police Department", username="demo.admin")
        save(app, gui, login, out / "login.png")
        login.ui.passwordEdit.setText("wrong-password")
        login.submit()
        save(app, gui, login, out / "login-error.png")
        login.deleteLater()
        change = ChangePasswordDialog(gui, actor, current="x", forced=True)
        save(app, gui, change, out / "change-password.png")
        change.deleteLater()
        window = MainWindow(gui, actor)
        window.resize(*WINDOW_SIZE)
        hotlist_import_screens(app, gui, window, HOTLIST_FOLDER, out)
        for name in ("light", "dark"):
            theme.apply(name)
            for key in window.page_keys():
                page = window.show_page(key)
                settle(app, gui)
                if key == "users":
                    page.select_user(page.model.row_at(1).id)  # type: ignore[attr-defined]
                if key == "hotlists":
                    select_hotlist(app, gui, page, "NCIC daily extract")
                save(app, gui, window, out / f"main-{key}-{name}.png")
        window.about()
        settle(app, gui)
        about = window.findChild(QMessageBox, "aboutBox")
        assert about is not None
        save(app, gui, about, out / "about-dark.png")
        about.close()
        window.lock("manual_lock")
        save(app, gui, window, out / "lock-screen-dark.png")
        theme.apply("light")
        window.idle.stop()
        window.hide()
        window.deleteLater()
        settle(app, gui)
        alerts_screens(app, gui, theme, accounts, out)
        search_screens(app, gui, theme, accounts, out)
        audit_viewer_screens(app, gui, theme, accounts, out)
        compliance_screens(app, gui, theme, accounts, out)
        audit_report_screens(app, gui, theme, accounts, out)
        live_screens(app, gui, theme, accounts, out)
        release_screens(app, gui, theme, accounts, out, lambda plan: add_aged_reads(gui, plan, 90))
        audit_broken_screens(app, gui, theme, accounts, out)
        retention_screens(app, gui, theme, accounts, out)

    with_gui(app, theme, True, demo_screens)
    return 0


if __name__ == "__main__":
    sys.exit(main())
