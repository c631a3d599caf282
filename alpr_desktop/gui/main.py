"""``run_gui``: the Qt entry point behind ``alpr-desktop`` (and ``--demo``)."""

from __future__ import annotations

import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from alpr_desktop.app import Application, open_application
from alpr_desktop.demo import credentials_banner, seed_demo
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.session import SessionController
from alpr_desktop.gui.theme import ThemeManager, application_icon
from alpr_desktop.settings import APP_NAME, LocalConfig

ORGANISATION = "alpr-desktop"
EXIT_CANNOT_START = 2
EXIT_TERMINATED = 130


def qt_application() -> QApplication:
    """The process's QApplication (created here unless one exists, as under pytest-qt)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("alpr-desktop")
    app.setOrganizationName(ORGANISATION)
    app.setWindowIcon(application_icon())
    # The flow hides one window before showing the next; the controller decides when
    # the session is over, not "last window closed".
    app.setQuitOnLastWindowClosed(False)
    return app


def cannot_start(error: AlprError) -> int:
    QMessageBox.critical(None, "alpr-desktop cannot start", str(error))
    return EXIT_CANNOT_START


def run_gui(config: LocalConfig, *, demo: bool) -> int:
    """Open the database, sign a user in and run the main window until they quit."""
    qt_app = qt_application()
    termination = _Termination(qt_app)
    try:
        return _open_and_run(qt_app, config, demo, termination)
    finally:
        termination.restore()


def _open_and_run(
    qt_app: QApplication, config: LocalConfig, demo: bool, termination: _Termination
) -> int:
    theme = ThemeManager(qt_app, config.theme)
    theme.apply()
    try:
        application = open_application(config, demo=demo)
    except AlprError as exc:
        return cannot_start(exc)
    try:
        if demo:
            print(credentials_banner(seed_demo(application)), flush=True)
        if termination.requested:
            return EXIT_TERMINATED
        return _run_session(qt_app, application, theme)
    except AlprError as exc:
        return cannot_start(exc)
    finally:
        application.close()


def _run_session(qt_app: QApplication, application: Application, theme: ThemeManager) -> int:
    gui = GuiContext.build(application, theme)
    controller = SessionController(gui)
    controller.finished.connect(qt_app.exit)
    try:
        controller.start()
        return qt_app.exec()
    finally:
        if controller.current is not None:
            controller.current.hide()
            controller.current.deleteLater()
        gui.close()


class _Termination:
    """Turns SIGINT/SIGTERM into a clean exit, so shutdown runs (a demo database is removed).

    A signal only sets a flag and asks the event loop to exit; a short timer lets Python
    run its handler while Qt waits, and catches a signal that came before the loop began.
    """

    def __init__(self, qt_app: QApplication) -> None:
        self.requested = False
        self._app = qt_app
        self._previous = {
            signum: signal.signal(signum, self._handle)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        self._ticker = QTimer(qt_app)
        self._ticker.timeout.connect(self._check)
        self._ticker.start(250)

    def _handle(self, _signum: int, _frame: object) -> None:
        self.requested = True
        self._app.exit(EXIT_TERMINATED)

    def _check(self) -> None:
        if self.requested:
            self._app.exit(EXIT_TERMINATED)

    def restore(self) -> None:
        self._ticker.stop()
        self._ticker.deleteLater()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
