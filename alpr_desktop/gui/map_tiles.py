"""The workstation's own map tiles served to its map pages: the ``alpr-tiles:`` scheme.

A map built with the workstation's MBTiles file (``services/mbtiles.py``) asks for
``alpr-tiles:Z/X/Y``; Qt WebEngine hands each request to :class:`TileSchemeHandler`,
which reads the tile on a worker thread (the GUI thread never waits on the disk) and
replies with its bytes, or "not found" where the file has no tile. Nothing listens on
a port: only this application's pages can ask.

The scheme must be registered before the ``QApplication`` exists
(:func:`register_tile_scheme`, called by ``map_view.prepare_web_engine``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QThreadPool, Signal

from alpr_desktop.services.mbtiles import TILE_SCHEME, MBTiles

_SCHEME = TILE_SCHEME.encode("ascii")


def register_tile_scheme() -> None:
    """Declare the ``alpr-tiles:`` scheme to the web engine (before the QApplication):
    a local scheme that file pages (the maps) may load images from."""
    from PySide6.QtWebEngineCore import QWebEngineUrlScheme

    if QWebEngineUrlScheme.schemeByName(QByteArray(_SCHEME)).name() == QByteArray(_SCHEME):
        return
    scheme = QWebEngineUrlScheme(QByteArray(_SCHEME))
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Path)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.LocalScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.CorsEnabled
    )
    QWebEngineUrlScheme.registerScheme(scheme)


def parse_tile_path(path: str) -> tuple[int, int, int] | None:
    """``"Z/X/Y"`` (an optional extension on Y) as numbers, or None."""
    parts = path.strip("/").split("/")
    if len(parts) != 3:
        return None
    parts[2] = parts[2].split(".", 1)[0]
    if not all(p.isascii() and p.isdigit() and len(p) <= 9 for p in parts):
        return None
    z, x, y = (int(p) for p in parts)
    return z, x, y


def install_tile_handler(profile: Any, tiles: Callable[[], MBTiles | None]) -> None:
    """Serve ``tiles()`` on ``profile``: one handler per profile, serving from the
    newest caller's source (the application signed in now)."""
    handler = profile.urlSchemeHandler(QByteArray(_SCHEME))
    if handler is None:
        handler = _make_handler(profile)
        profile.installUrlSchemeHandler(QByteArray(_SCHEME), handler)
    handler.tiles = tiles


def _make_handler(parent: QObject) -> Any:
    from PySide6.QtWebEngineCore import QWebEngineUrlRequestJob, QWebEngineUrlSchemeHandler

    class TileSchemeHandler(QWebEngineUrlSchemeHandler):
        """Replies to ``alpr-tiles:Z/X/Y`` with the tile's bytes, read off the GUI thread."""

        #: (token, tile bytes or None, media type) from the worker.
        served = Signal(int, object, str)

        def __init__(self) -> None:
            super().__init__(parent)
            self.tiles: Callable[[], MBTiles | None] = lambda: None
            self._jobs: dict[int, Any] = {}
            self._tokens = itertools.count(1)
            self._pool = QThreadPool(self)
            self._pool.setMaxThreadCount(2)
            self.served.connect(self._reply)

        def requestStarted(self, job: Any) -> None:
            where = parse_tile_path(job.requestUrl().path())
            if where is None:
                job.fail(QWebEngineUrlRequestJob.Error.UrlInvalid)
                return
            token = next(self._tokens)
            self._jobs[token] = job
            # A request the page gave up (the map moved on) is deleted by the engine.
            job.destroyed.connect(lambda *_: self._jobs.pop(token, None))
            tiles = self.tiles
            self._pool.start(lambda: self._fetch(tiles, token, *where))

        def _fetch(
            self, tiles: Callable[[], MBTiles | None], token: int, z: int, x: int, y: int
        ) -> None:  # worker thread
            try:
                source = tiles()
                data = source.tile(z, x, y) if source is not None else None
                kind = source.metadata.media_type if source is not None else ""
            except Exception:  # an unreadable file: a missing tile, the grid shows
                data, kind = None, ""
            if shiboken6.isValid(self):  # not while the profile takes it down at exit
                self.served.emit(token, data, kind)

        def _reply(self, token: int, data: bytes | None, kind: str) -> None:
            job = self._jobs.pop(token, None)
            if job is None:
                return
            if data is None:
                job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
                return
            body = QBuffer(job)
            body.setData(QByteArray(data))
            body.open(QIODevice.OpenModeFlag.ReadOnly)
            job.reply(QByteArray(kind.encode("ascii")), body)

    return TileSchemeHandler()
