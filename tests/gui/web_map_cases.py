"""Maps in the workstation, offscreen in a real ``QWebEngineView`` with no network: the
search's map loads the vendored Leaflet and clusters every read, a marker click opens
the read, a polygon drawn on the map becomes the search's area, a circle the canvass's
scene, a tile server that does not answer is said while the map stays usable, and the
workstation's own tiles (an MBTiles file) are served through its ``alpr-tiles:`` scheme.

Run in a pytest process of their own by ``test_map_window.py`` (see there why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pytestqt.qtbot import QtBot

from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.map_view import prepare_web_engine, web_engine_problem
from alpr_desktop.gui.pages.canvass import CanvassPage
from alpr_desktop.gui.search.map_window import MapWindow
from alpr_desktop.services.base import Actor
from tests.gui.conftest import wait_idle
from tests.gui.test_search_page import (
    CASE,
    PURPOSE,
    SCENE,
    Search,
    Show,
    _declare,
    _dialog,
    _records,
    _set,
    detective,
    searched,
    show,
)
from tests.integration.ingest_helpers import T0

__all__ = ["detective", "searched", "show"]  # fixtures

pytestmark = pytest.mark.skipif(web_engine_problem() is not None, reason="no Qt WebEngine")

if web_engine_problem() is None:
    # As the application does before its QApplication: the tile scheme, shared contexts.
    prepare_web_engine()


def js(qtbot: QtBot, window: MapWindow, code: str) -> Any:
    """The value of ``code`` in the map page."""
    box: list[Any] = []
    window.view.run_js(code, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def opened(qtbot: QtBot, gui: GuiContext, window: MapWindow) -> None:
    """Wait until the page has drawn its reads and the bridge is up."""
    wait_idle(qtbot, gui)
    qtbot.waitUntil(lambda: window.made is not None, timeout=20_000)
    ready = "!!(window.alprMap && window.alprBridge)"
    qtbot.waitUntil(lambda: js(qtbot, window, ready) is True, timeout=30_000)


def test_the_search_map_clusters_every_read_and_a_click_opens_it(
    qtbot: QtBot, gui: GuiContext, searched: Search
) -> None:
    page = searched("7AB*2*")
    assert page.map_button.isEnabled()
    page.map_button.click()
    window = page.map_window
    assert isinstance(window, MapWindow)
    opened(qtbot, gui, window)
    assert js(qtbot, window, "typeof L") == "object"  # Leaflet, from the vendored file
    assert js(qtbot, window, "window.alprMap.reads") == 3
    assert js(qtbot, window, "window.alprMap.shown()") == 3
    # The three share a spot: one cluster bubble in view.
    assert js(qtbot, window, "document.querySelectorAll('.marker-cluster').length") == 1
    assert "3 read(s) with a position" in window.info.text()
    # The time filter: the first fifth of the span (18 of 90 minutes) keeps two reads.
    js(qtbot, window, "var to = document.querySelector('.alpr-to'); to.value = 200;"
                      " to.dispatchEvent(new Event('input')); true")  # fmt: skip
    layers = "window.alprMap.shown()"
    qtbot.waitUntil(lambda: js(qtbot, window, layers) == 2, timeout=10_000)
    label = js(qtbot, window, "document.querySelector('.alpr-time-label').textContent")
    assert "2 read(s)" in label
    # In the department's zone (Pacific), as everywhere in the application.
    start = T0.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%Y-%m-%d %H:%M %Z")
    assert label.startswith(start + " – ") and "UTC" not in label
    js(qtbot, window, "var to = document.querySelector('.alpr-to'); to.value = 1000;"
                      " to.dispatchEvent(new Event('input')); true")  # fmt: skip
    qtbot.waitUntil(lambda: js(qtbot, window, layers) == 3, timeout=10_000)
    # Played over time: a tenth of the span steps from the first read on (the reads are
    # at 0, 5 and 90 minutes: the moving window holds fewer than three), then stopped.
    js(qtbot, window, "document.querySelector('.alpr-play').click(); true")
    assert js(qtbot, window, "window.alprMap.timeFilter.playing()") is True
    qtbot.waitUntil(lambda: js(qtbot, window, layers) < 3, timeout=10_000)
    moved = "+document.querySelector('.alpr-from').value"
    qtbot.waitUntil(lambda: js(qtbot, window, moved) >= 20, timeout=10_000)  # it moves on
    assert (
        js(qtbot, window, "+document.querySelector('.alpr-to').value")
        == js(qtbot, window, moved) + 100
        or js(qtbot, window, "window.alprMap.timeFilter.playing()") is False
    )
    js(qtbot, window, "document.querySelector('.alpr-play').click(); true")
    assert js(qtbot, window, "window.alprMap.timeFilter.playing()") is False
    assert js(qtbot, window, "document.querySelector('.alpr-play').textContent") == "▶ Play"
    js(qtbot, window, "var f = document.querySelector('.alpr-from'), t ="
                      " document.querySelector('.alpr-to'); f.value = 0; t.value = 1000;"
                      " window.alprMap.timeFilter.apply(); true")  # fmt: skip
    assert js(qtbot, window, layers) == 3
    [record] = _records(gui, "view_map")
    assert (record.purpose, record.case_number) == (PURPOSE, CASE)
    before = len(_records(gui, "open_read"))
    # Zoomed past the clustering, the reads are drawn one by one; one is clicked.
    click = (
        "var c = alprMap.map.getCenter(); alprMap.map.setView(c, 19, {animate: false});"
        " alprMap.update(); var m = alprMap.cluster.getLayers().filter(function (l) {"
        " return l.alprRow; })[0]; m.fire('click', {latlng: m.getLatLng()}); true"
    )
    js(qtbot, window, click)
    qtbot.waitUntil(lambda: len(_records(gui, "open_read")) == before + 1, timeout=10_000)
    wait_idle(qtbot, gui)
    assert page.selected_id is not None
    window.close()


def test_a_polygon_drawn_on_the_map_becomes_the_search_area(
    qtbot: QtBot, gui: GuiContext, searched: Search
) -> None:
    page = searched("7AB*2*")
    page.map_button.click()
    window = page.map_window
    assert isinstance(window, MapWindow)
    opened(qtbot, gui, window)
    lat, lon = SCENE
    corners = [[lat - 0.001, lon - 0.001], [lat - 0.001, lon + 0.001], [lat + 0.001, lon]]
    js(qtbot, window, f"window.alprMap.map.fire('draw:created', {{layer: L.polygon({corners}),"
                      " layerType: 'polygon'}); true")  # fmt: skip
    qtbot.waitUntil(lambda: page.filter_bar.polygon is not None, timeout=10_000)
    area = page.filter_bar.filters().area
    assert area.polygon is not None and area.near is None
    assert area.contains(*SCENE) and not area.contains(lat + 0.01, lon)
    assert "3 corners" in page.filter_bar.polygon_label.text()
    window.close()


def test_a_circle_drawn_on_the_canvass_map_becomes_the_scene(
    qtbot: QtBot, gui: GuiContext, detective: Actor, show: Show
) -> None:
    page = CanvassPage(gui, detective)
    show(page)
    page.centre_edit.setText(f"{SCENE[0]}, {SCENE[1]}")
    _set(page.since_edit, T0)
    _set(page.until_edit, T0 + dt.timedelta(hours=3))
    page.submit()
    _declare(_dialog(qtbot, gui, page))
    wait_idle(qtbot, gui)
    page.map_button.click()
    window = page.map_window
    assert isinstance(window, MapWindow)
    opened(qtbot, gui, window)
    circle = "L.circle([38.5811, -121.4922], {radius: 275})"
    js(qtbot, window, f"window.alprMap.map.fire('draw:created', {{layer: {circle}}}); true")
    qtbot.waitUntil(lambda: page.centre_edit.text() == "38.581100, -121.492200", timeout=10_000)
    assert page.radius_spin.value() == 275
    # A polygon drawn on it becomes the canvass's area, and the canvass runs on it.
    lat, lon = SCENE
    corners = [[lat - 0.001, lon - 0.001], [lat - 0.001, lon + 0.001], [lat + 0.001, lon]]
    js(qtbot, window, f"window.alprMap.map.fire('draw:created', {{layer: L.polygon({corners})}});"
                      " true")  # fmt: skip
    qtbot.waitUntil(lambda: page.polygon is not None, timeout=10_000)
    assert not page.centre_edit.isEnabled() and "3 corners" in page.polygon_label.text()
    window.close()
    page.submit()
    _declare(_dialog(qtbot, gui, page))
    wait_idle(qtbot, gui)
    plates = {page.model.index(r, 0).data() for r in range(page.model.rowCount())}
    assert plates == {"7ABC123", "7A8C123", "7ABX12", "9QQQ999"}
    [_circle, polygon] = _records(gui, "canvass")
    assert '"polygon"' in polygon.query


def test_a_tile_server_that_does_not_answer_is_said_and_the_map_still_works(
    qtbot: QtBot, gui: GuiContext, searched: Search
) -> None:
    from tests.conftest import ADMIN_PASSWORD

    admin = gui.services.auth.login("admin", ADMIN_PASSWORD).actor
    gui.services.settings.update(admin, tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    page = searched("7AB*2*")
    page.map_button.click()
    window = page.map_window
    assert isinstance(window, MapWindow)
    opened(qtbot, gui, window)
    qtbot.waitUntil(lambda: "tile server does not answer" in window.view.message.text(),
                    timeout=20_000)  # fmt: skip
    assert js(qtbot, window, "window.alprMap.shown()") == 3
    window.close()


def test_the_workstations_own_tiles_are_served_to_the_map(
    qtbot: QtBot, gui: GuiContext, searched: Search, tmp_path: Path
) -> None:
    from tests.mbtiles_helpers import make_mbtiles

    make_mbtiles(tmp_path / "city.mbtiles")
    gui.services.maps.tiles_file = tmp_path / "city.mbtiles"
    page = searched("7AB*2*")
    page.map_button.click()
    window = page.map_window
    assert isinstance(window, MapWindow)
    opened(qtbot, gui, window)
    # Tiles drawn from the file, through the alpr-tiles: scheme (nothing listens on a port).
    loaded = (
        "Array.from(document.querySelectorAll('img.leaflet-tile-loaded')).filter("
        "function (i) { return i.src.indexOf('alpr-tiles:') === 0 && i.naturalWidth === 256; })"
        ".length"
    )
    qtbot.waitUntil(lambda: js(qtbot, window, loaded) > 0, timeout=20_000)
    credit = "document.querySelector('.leaflet-control-attribution').textContent"
    assert "Test tiles" in js(qtbot, window, credit)
    assert js(qtbot, window, "window.alprMap.shown()") == 3
    assert not window.view.message.isVisible()  # tiles beyond the file are no failure
    window.close()


def test_the_dispatchers_map_shows_alerts_and_units_and_a_click_opens_the_alert(
    qtbot: QtBot, gui: GuiContext, show: Show
) -> None:
    from alpr_desktop.core.roles import Role
    from alpr_desktop.gui.pages.alerts import AlertsPage
    from alpr_desktop.gui.pages.operations_map import OperationsMapPage
    from tests.conftest import create_active_user, create_admin
    from tests.integration.test_maps import _dispatch_scene

    app = gui.application
    admin = create_admin(app)
    scene = _dispatch_scene(app, admin)
    dispatcher = create_active_user(app, admin, "disp.one", [Role.DISPATCHER])
    wait_idle(qtbot, gui)  # the scene's own change notices, delivered before the page
    page = OperationsMapPage(gui, dispatcher)
    assert page.view is None  # no web engine until the page is shown
    show(page)
    assert page.view is not None
    qtbot.waitUntil(lambda: page.made is not None, timeout=20_000)
    # (The scene's change notices may rebuild the map meanwhile: wait for a settled page.)
    settled = "window.alprAlerts && window.alprBridge ? window.alprAlerts.count : -1"
    qtbot.waitUntil(
        lambda: not page._building and _page_js(qtbot, page, settled) == 2, timeout=30_000
    )
    assert "2 alert(s)" in page.info.text()
    # One record per build (the scene's change notices may bring a rebuild).
    records = _records(gui, "view_map")
    assert records and {(r.username, r.query) for r in records} == {
        ("disp.one", '{"hours":12,"map":"operations"}'),
        ("disp.one", f'{{"alerts":[{scene["unit"]},{scene["gate"]}],"map":"operations"}}'),
    }
    with qtbot.waitSignal(page.alert_requested, timeout=10_000) as clicked:
        _page_js(qtbot, page, "window.alprAlerts.layer.getLayers()[1].fire('click'); true")
    assert clicked.args == [scene["unit"]]  # the newest is drawn last, on top
    # A new period rebuilds the map where the dispatcher had left it.
    _page_js(qtbot, page, "window.alprMap.map.setView([38.58, -121.49], 15); true")
    qtbot.waitUntil(lambda: page.view.bridge.view is not None and page.view.bridge.view[2] == 15,
                    timeout=10_000)  # fmt: skip
    asked = page.view.bridge.view
    page.period.setCurrentIndex(0)  # 1 hour
    qtbot.waitUntil(lambda: page.made is not None and "1 hour" in page.info.text(),
                    timeout=20_000)  # fmt: skip
    assert '{"hours":1,"map":"operations"}' in [r.query for r in _records(gui, "view_map")]
    lat, lon, zoom = asked
    # (Leaflet keeps the corner, not the centre, as the page's layout settles.)
    assert abs(lat - 38.58) < 0.01 and abs(lon + 121.49) < 0.01 and zoom == 15
    assert f"setView([{lat!r}, {lon!r}], 15)" in page.made.html
    assert ".fitBounds(" not in page.made.html
    # The alert's own map, from the Alerts page's detail pane.
    alerts = AlertsPage(gui, dispatcher, poll_interval=0.2)
    show(alerts)
    alerts.select_alert(scene["unit"])
    qtbot.waitUntil(lambda: alerts.detail.map_button.isEnabled(), timeout=20_000)
    alerts.detail.map_button.click()
    window = alerts.map_window
    opened(qtbot, gui, window)
    assert js(qtbot, window, "window.alprAlerts.count") == 1
    assert "track 10 minutes either side" in window.info.text()
    window.close()
    alerts.shutdown()
    wait_idle(qtbot, gui)


def _page_js(qtbot: QtBot, page: Any, code: str) -> Any:
    box: list[Any] = []
    page.view.run_js(code, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


@pytest.fixture(autouse=True)
def _idle_watch(qapp: object) -> Iterator[None]:
    """The auto-lock's idle watcher runs, as in the application: an application-wide
    Python event filter used to crash PySide6 once the web engine made its objects."""
    from alpr_desktop.gui.idle import IdleWatcher

    watcher = IdleWatcher(60 * 60 * 1000)
    watcher.start()
    yield
    watcher.stop()


@pytest.fixture(autouse=True)
def _web_views_gone(qtbot: QtBot) -> Iterator[None]:
    """Each test's web views are destroyed before the next test runs its own event loop."""
    yield
    from PySide6.QtCore import QCoreApplication, QEvent

    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
