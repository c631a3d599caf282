"""Idle detection for the workstation auto-lock (policy 471.6(a))."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QWindow

#: How often windows opened since are looked for (most are found when focused first).
SWEEP_MS = 3000

_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


class IdleWatcher(QObject):
    """Emits :attr:`idle` after ``timeout_ms`` without keyboard, mouse or touch input.

    Watches every top-level window (``QWindow``), where input arrives before Qt hands it
    to a widget, so input in any window or dialog — a map's web view included — counts
    as activity. Not an application-wide event filter: with one written in Python,
    PySide6 recurses without end when Qt WebEngine creates its objects (each new
    wrapper's property change is filtered, which makes a wrapper again) and crashes.
    New windows are taken on as they get the focus and by a sweep every few seconds.
    """

    idle = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self.idle)
        self._sweep = QTimer(self)
        self._sweep.setInterval(SWEEP_MS)
        self._sweep.timeout.connect(self.watch_windows)
        self._installed = False
        self._windows: list[QWindow] = []

    @property
    def timeout_ms(self) -> int:
        return self._timer.interval()

    def set_timeout(self, timeout_ms: int) -> None:
        self._timer.setInterval(timeout_ms)
        if self._timer.isActive():
            self._timer.start()

    def start(self) -> None:
        app = QGuiApplication.instance()
        if not self._installed and isinstance(app, QGuiApplication):
            app.focusWindowChanged.connect(self.watch_windows)
            self._sweep.start()
            self._installed = True
        self.watch_windows()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        app = QGuiApplication.instance()
        if self._installed and isinstance(app, QGuiApplication):
            app.focusWindowChanged.disconnect(self.watch_windows)
            self._sweep.stop()
            self._installed = False
        for window in self._windows:
            if shiboken6.isValid(window):
                window.removeEventFilter(self)
        self._windows = []

    def watch_windows(self, *_args: object) -> None:
        """Watch the top-level windows not watched yet (and forget closed ones)."""
        self._windows = [w for w in self._windows if shiboken6.isValid(w)]
        for window in QGuiApplication.topLevelWindows():
            if not any(window is w for w in self._windows):
                window.installEventFilter(self)
                self._windows.append(window)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS and self._timer.isActive():
            self._timer.start()
        return False
