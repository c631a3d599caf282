"""A map in the workstation: a ``QWebEngineView`` on a page built by the map service.

The page is a file the worker wrote (``QWebEngineView.setHtml`` cannot show more than
2 MB, and the GUI thread never writes to disk), loaded by its ``file:`` URL; it loads
the vendored Leaflet files beside it and nothing from a network. No server is opened:
the page talks to the application through a ``QWebChannel`` whose script is injected
from Qt's own resources. :class:`MapBridge` is what the page sees as ``alprBridge``: a
click on a read's marker says which read, and an area drawn with the drawing tools
comes back as a circle (centre and radius) or a polygon (GeoJSON), checked here before
anything uses it.

Without the PySide6-WebEngine package the view says so in place of the map.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QFile, QIODevice, QObject, QUrl, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from alpr_desktop.core.roles import Action
from alpr_desktop.services.base import Actor

if TYPE_CHECKING:
    from alpr_desktop.services.mbtiles import MBTiles

#: The longest polygon a drawn area may be (vertices).
MAX_VERTICES = 500


def web_engine_problem() -> str | None:
    """Why maps cannot be shown here, or None when they can."""
    try:
        import PySide6.QtWebEngineWidgets  # noqa: F401
    except ImportError as exc:
        return f"Maps need Qt WebEngine (the PySide6-WebEngine package): {exc}"
    return None


def prepare_web_engine() -> None:
    """Before the QApplication exists: Chromium's sandbox cannot run as root (containers,
    some kiosks), and the web engine wants OpenGL contexts shared."""
    from PySide6.QtCore import QCoreApplication, Qt

    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    if web_engine_problem() is None:
        from alpr_desktop.gui.map_tiles import register_tile_scheme

        register_tile_scheme()


class MapBridge(QObject):
    """What the page may tell the application; everything it sends is checked."""

    read_clicked = Signal(int)
    alert_clicked = Signal(int)
    #: ``{"circle": (lat, lon, metres)}`` or ``{"polygon": GeoJSON Polygon}``.
    area_drawn = Signal(dict)
    #: A drawn shape that could not be used, in words.
    refused = Signal(str)
    #: The department's tile server did not answer a tile.
    tiles_failed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: Where the page was last moved to (latitude, longitude, zoom), or None.
        self.view: tuple[float, float, int] | None = None

    @Slot()
    def tilesFailed(self) -> None:  # named as the page calls it
        self.tiles_failed.emit()

    @Slot(int)
    def readClicked(self, read_id: int) -> None:
        if read_id > 0:
            self.read_clicked.emit(int(read_id))

    @Slot(float, float, int)
    def viewMoved(self, lat: float, lon: float, zoom: int) -> None:
        if -90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= zoom <= 24:
            self.view = (float(lat), float(lon), int(zoom))

    @Slot(int)
    def alertClicked(self, alert_id: int) -> None:
        if alert_id > 0:
            self.alert_clicked.emit(int(alert_id))

    @Slot(str)
    def areaDrawn(self, text: str) -> None:
        try:
            self.area_drawn.emit(parse_drawn_area(text))
        except ValueError as exc:
            self.refused.emit(str(exc))


def parse_drawn_area(text: str) -> dict[str, Any]:
    """A drawn shape as the page sends it (``{"geometry": …, "radius": …}``), checked."""
    try:
        data = json.loads(text)
        geometry = data["geometry"]
        kind = geometry["type"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("The shape drawn on the map could not be read.") from None
    if kind == "Point" and data.get("radius"):
        lon, lat = _position(geometry["coordinates"])
        metres = float(data["radius"])
        if not 1 <= metres <= 50_000 or not math.isfinite(metres):
            raise ValueError("A drawn circle must be 1 m to 50 km across its radius.")
        return {"circle": (lat, lon, round(metres, 1))}
    if kind == "Polygon":
        rings = geometry.get("coordinates")
        if not isinstance(rings, list) or len(rings) != 1:
            raise ValueError("Draw one polygon without holes.")
        ring = [_position(p) for p in rings[0]]
        if not 4 <= len(ring) <= MAX_VERTICES + 1:
            raise ValueError(f"A drawn polygon has 3 to {MAX_VERTICES} corners.")
        return {"polygon": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}}
    raise ValueError("Draw a circle, a rectangle or a polygon to search or canvass an area.")


def _position(value: Any) -> tuple[float, float]:
    try:
        lon, lat = float(value[0]), float(value[1])
    except (TypeError, ValueError, IndexError):
        raise ValueError(
            "The shape drawn on the map has a corner that is not a position."
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("The shape drawn on the map is off the globe.")
    return lon, lat


def _channel_script() -> str:
    """Qt's qwebchannel.js (a Qt resource) and the code making ``window.alprBridge``."""
    resource = QFile(":/qtwebchannel/qwebchannel.js")
    if not resource.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("Qt's qwebchannel.js resource is missing")
    source = bytes(resource.readAll().data()).decode("utf-8")
    resource.close()
    return source + (
        "\nnew QWebChannel(qt.webChannelTransport, function (channel) {"
        " window.alprBridge = channel.objects.alprBridge; });"
    )


class MapView(QWidget):
    """A web view showing map pages, with the bridge; a message when it cannot."""

    loaded = Signal(bool)

    def __init__(
        self, parent: QWidget | None = None, *, tiles: Callable[[], MBTiles | None] | None = None
    ) -> None:
        """``tiles``: the workstation's own tiles (``MapService.local_tiles``), served
        to the pages as ``alpr-tiles:`` (``map_tiles.py``)."""
        super().__init__(parent)
        self._tiles = tiles
        self.bridge = MapBridge(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.message = QLabel(self)
        self.message.setObjectName("muted")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.web: Any = None
        problem = web_engine_problem()
        if problem is not None:
            self.message.setText(problem)
            self.message.show()
            return
        self._build_web(layout)
        self.bridge.tiles_failed.connect(
            lambda: self.say(
                "The map tile server does not answer: the map is shown without its "
                "background (Settings, map tile server)."
            )
        )

    def _build_web(self, layout: QVBoxLayout) -> None:
        from PySide6.QtWebChannel import QWebChannel
        from PySide6.QtWebEngineCore import QWebEngineScript, QWebEngineSettings
        from PySide6.QtWebEngineWidgets import QWebEngineView

        self.web = QWebEngineView(self)
        self.web.setObjectName("mapWeb")
        settings = self.web.settings()
        settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        # A map page loads its local assets, never a remote page's (only the tile server).
        settings.setAttribute(
            QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False
        )
        if self._tiles is not None:
            from alpr_desktop.gui.map_tiles import install_tile_handler

            install_tile_handler(self.web.page().profile(), self._tiles)
        self.channel = QWebChannel(self.web.page())
        self.channel.registerObject("alprBridge", self.bridge)
        self.web.page().setWebChannel(self.channel)
        script = QWebEngineScript()
        script.setName("alpr-bridge")
        script.setSourceCode(_channel_script())
        script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
        script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
        self.web.page().scripts().insert(script)
        self.web.loadFinished.connect(self.loaded)
        layout.addWidget(self.web, 1)

    @property
    def available(self) -> bool:
        return self.web is not None

    def show_file(self, path: str) -> None:
        """Show the map page the worker wrote to ``path``."""
        if self.web is None:
            return
        self.message.hide()
        self.web.load(QUrl.fromLocalFile(path))

    def say(self, text: str) -> None:
        """A line above the map (a refusal, a tile server that does not answer)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def run_js(self, code: str, callback: Any) -> None:
        """Run ``code`` in the page; ``callback`` gets its value (tests, the bridge)."""
        if self.web is not None:
            self.web.page().runJavaScript(code, 0, callback)


def map_button(parent: QWidget, actor: Actor, name: str, tooltip: str) -> QPushButton:
    """A page's **Map…** button: shown to holders of ``VIEW_MAP``, off until there is
    something to map."""
    button = QPushButton("Map…", parent)
    button.setObjectName(name)
    button.setToolTip(tooltip)
    button.setVisible(actor.may(Action.VIEW_MAP))
    button.setEnabled(False)
    return button


class DrawnPolygon(QWidget):
    """ "The polygon drawn on the map (N corners)" with **Clear area**, in place of the
    typed area while a polygon drawn on the map is the area; hidden otherwise."""

    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.label.setObjectName("muted")
        self.clear_button = QPushButton("Clear area", self)
        self.clear_button.clicked.connect(self.cleared)
        layout.addWidget(self.label)
        layout.addWidget(self.clear_button)
        layout.addStretch(1)
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def show_polygon(self, polygon: dict[str, Any] | None) -> None:
        corners = len(polygon["coordinates"][0]) - 1 if polygon else 0
        self.label.setText(f"The polygon drawn on the map ({corners} corners)")
        self.setVisible(polygon is not None)
