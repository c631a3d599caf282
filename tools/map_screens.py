"""Render the map screenshots from the real ``QWebEngineView`` into ``docs/screenshots``.

A process of its own (the web engine's Chromium), on a throw-away demo database with
sample reads spread over downtown Sacramento: at the two fixed demo cameras and along
the mobile unit's streets. The investigator searches ``7AB*12*`` and opens its map:
the reads clustered, then as the heat map, then with a polygon drawn around a block,
which the Search page takes as its area.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/map_screens.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screen_kit import ROOT, WINDOW_SIZE, pump, save, settle
from screenshots import (
    SEARCH_PATTERN,
    SEARCH_PLATES,
    _declare,
    _purpose_dialog,
    sample_alert_read,
    with_gui,
)

from alpr_desktop.core.roles import Role
from alpr_desktop.gui.main import qt_application
from alpr_desktop.gui.main_window import MainWindow
from alpr_desktop.gui.theme import ThemeManager

#: Streets the mobile unit drives (latitude, longitude corners), downtown Sacramento.
ROUTE = ((38.5860, -121.5010), (38.5860, -121.4860), (38.5760, -121.4860),
         (38.5760, -121.5010), (38.5810, -121.5010), (38.5810, -121.4920))  # fmt: skip
MOBILE = "Unit 12 (mobile)"
FIXED = {"North gate": (38.58410, -121.49790), "Main St eastbound": (38.57930, -121.49120)}


def add_spread_reads(gui: Any, count: int = 1500) -> None:
    """Reads of the sample plates: half at the fixed cameras, half along the route."""
    rng = random.Random(616)
    renders = {
        plate: sample_alert_read(plate, ("North gate", "Main St eastbound")[i % 2], 0, 40 + i)
        for i, plate in enumerate(SEARCH_PLATES)
    }
    reads = []
    for n in range(count):
        plate = rng.choice(SEARCH_PLATES)
        base = renders[plate]
        if n % 2:
            lat, lon = FIXED[base.camera_name]
            lat, lon = lat + rng.gauss(0, 0.00005), lon + rng.gauss(0, 0.00005)
            camera = base.camera_name
        else:
            leg = rng.randrange(len(ROUTE) - 1)
            (a_lat, a_lon), (b_lat, b_lon), f = ROUTE[leg], ROUTE[leg + 1], rng.random()
            lat, lon = a_lat + (b_lat - a_lat) * f, a_lon + (b_lon - a_lon) * f
            camera = MOBILE
        reads.append(
            replace(
                base,
                camera_name=camera,
                latitude=lat,
                longitude=lon,
                read_at=base.read_at - dt.timedelta(minutes=rng.uniform(1, 2800)),
                read_uuid=str(uuid.uuid4()),
            )
        )
    for start in range(0, len(reads), 500):
        gui.services.ingest.store(reads[start : start + 500])


def _js(app: Any, gui: Any, window: Any, code: str) -> Any:
    box: list[Any] = []
    window.view.run_js(code, box.append)
    for _ in range(400):
        if box:
            return box[0]
        pump(0.05)
    raise RuntimeError(f"the page did not answer {code!r}")


def _wait_map(app: Any, gui: Any, window: Any) -> None:
    for _ in range(600):
        settle(app, gui)
        if window.made is not None and _js(
            app, gui, window, "!!(window.alprMap && window.alprBridge)"
        ):
            pump(2.0)  # clusters and tiles drawn
            return
        pump(0.1)
    raise RuntimeError("the map did not load")


def map_screens(
    app: Any, gui: Any, theme: ThemeManager, admin: Any, accounts: list[Any], out: Path
) -> None:
    operations_screen(app, gui, admin, accounts, out)  # before the spread reads' alerts
    add_spread_reads(gui)
    account = next(a for a in accounts if a.role is Role.INVESTIGATOR)
    actor = gui.services.auth.login(account.username, account.password).actor
    window = MainWindow(gui, actor)
    window.resize(*WINDOW_SIZE)
    window.show()
    page: Any = window.show_page("search")
    page.pattern_edit.setText(SEARCH_PATTERN)
    page.submit()
    _declare(_purpose_dialog(app, gui, page))
    settle(app, gui)
    page.map_button.click()
    maps = page.map_window
    maps.resize(1200, 800)
    _wait_map(app, gui, maps)
    save(app, gui, maps, out / "map-search-clusters-light.png")
    _js(
        app,
        gui,
        maps,
        "alprMap.map.removeLayer(alprMap.cluster); alprMap.heat.addTo(alprMap.map); true",
    )
    pump(1.5)
    save(app, gui, maps, out / "map-search-heat-light.png")
    _js(
        app,
        gui,
        maps,
        "alprMap.map.removeLayer(alprMap.heat); alprMap.cluster.addTo(alprMap.map); true",
    )
    corners = [
        [38.5852, -121.4995],
        [38.5852, -121.4955],
        [38.5828, -121.4955],
        [38.5828, -121.4995],
    ]
    _js(
        app,
        gui,
        maps,
        f"alprMap.map.fire('draw:created', {{layer: L.polygon({corners})}}); true",
    )
    pump(1.5)
    save(app, gui, maps, out / "map-search-area-light.png")
    maps.close()
    settle(app, gui)
    save(app, gui, window, out / "main-search-map-area-light.png")
    window.idle.stop()
    window.hide()


def operations_screen(app: Any, gui: Any, admin: Any, accounts: list[Any], out: Path) -> None:
    """The dispatcher's Map page: the demo cameras, the patrol unit's lap, and alerts —
    two pending, one rejected — raised on sample reads now."""
    from alpr_desktop.services.hotlist_fields import EntryFields

    hotlists = gui.services.hotlists
    bolo = hotlists.create(admin, "Screenshot BOLO", source="Sample (not real data)")
    for plate, category in (("8XYZ987", "stolen_vehicle"), ("5LMN222", "warrant"),
                            ("4QRS567", "bolo")):  # fmt: skip
        hotlists.add_entry(admin, bolo.id, EntryFields(plate, category, priority=1))
    reads = [
        sample_alert_read("8XYZ987", "North gate", 1, 901),
        sample_alert_read("5LMN222", "Main St eastbound", 3, 902),
        sample_alert_read("4QRS567", "Main St eastbound", 6, 903),
    ]
    alerts = list(gui.services.ingest.store(reads).alerts)
    account = next(a for a in accounts if a.role is Role.DISPATCHER)
    actor = gui.services.auth.login(account.username, account.password).actor
    gui.services.alerts.dispose(actor, alerts[-1], accept=False, reason="Misread")
    window = MainWindow(gui, actor)
    window.resize(*WINDOW_SIZE)
    window.show()
    page: Any = window.show_page("map")
    for _ in range(600):
        settle(app, gui)
        if page.made is not None and _page_ready(page):
            break
        pump(0.1)
    pump(2.0)
    save(app, gui, window, out / "main-operations-map-light.png")
    window.idle.stop()
    window.hide()


def _page_ready(page: Any) -> bool:
    box: list[Any] = []
    page.view.run_js("!!(window.alprAlerts && window.alprMap)", box.append)
    for _ in range(100):
        if box:
            return bool(box[0])
        pump(0.05)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = qt_application()
    theme = ThemeManager(app, "light")
    theme.apply("light")

    def body(gui: Any, admin: Any, accounts: list[Any]) -> None:
        map_screens(app, gui, theme, admin, accounts, args.out)

    with_gui(app, theme, True, body)
    sys.stdout.flush()
    os._exit(0)  # the web engine may crash while the interpreter finalises (PySide6 6.12)


if __name__ == "__main__":
    main()
