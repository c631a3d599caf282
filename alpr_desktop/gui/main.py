"""``run_gui``: the Qt entry point behind ``alpr-desktop`` (and ``--demo``)."""

from __future__ import annotations

import sys

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
    theme = ThemeManager(qt_app, config.theme)
    theme.apply()
    try:
        application = open_application(config, demo=demo)
    except AlprError as exc:
        return cannot_start(exc)
    try:
        if demo:
            print(credentials_banner(seed_demo(application)), flush=True)
    except AlprError as exc:
        application.close()
        return cannot_start(exc)
    return _run_session(qt_app, application, theme)


def _run_session(qt_app: QApplication, application: Application, theme: ThemeManager) -> int:
    gui = GuiContext.build(application, theme)
    controller = SessionController(gui)
    controller.finished.connect(qt_app.exit)
    try:
        controller.start()
        return qt_app.exec()
    except AlprError as exc:
        return cannot_start(exc)
    finally:
        if controller.current is not None:
            controller.current.hide()
            controller.current.deleteLater()
        gui.close()
        application.close()
