"""``run_gui``: the Qt entry point behind ``alpr-desktop`` (and ``--demo``).

The sign-in window appears first, before the database is even opened: opening and
migrating it, and seeding the demo, run on the background worker while the window
shows what it is waiting for ("Opening the database…", "Preparing the demo…") with its
Sign-in button disabled. The heavy modules (SQLAlchemy, the services, the main window)
are imported on that worker too, so the first window does not wait for them.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.auth_dialogs import LoginDialog
from alpr_desktop.gui.background import Background
from alpr_desktop.gui.theme import ThemeManager, application_icon
from alpr_desktop.heap import freeze_long_lived
from alpr_desktop.settings import APP_NAME, LocalConfig

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.demo import DemoAccount
    from alpr_desktop.gui.context import GuiContext
    from alpr_desktop.gui.maintenance import MaintenanceScheduler

log = logging.getLogger(__name__)

ORGANISATION = "alpr-desktop"
EXIT_CANNOT_START = 2
EXIT_TERMINATED = 130


def qt_application() -> QApplication:
    """The process's QApplication (created here unless one exists, as under pytest-qt)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        from alpr_desktop.gui.map_view import prepare_web_engine

        prepare_web_engine()
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
    """Show the sign-in window, open the database behind it, run until the user quits."""
    qt_app = qt_application()
    termination = _Termination(qt_app)
    try:
        theme = ThemeManager(qt_app, config.theme)
        theme.apply()
        return Startup(qt_app, config, theme, demo=demo).run(termination)
    finally:
        termination.restore()


@dataclass
class Opened:
    """What the worker prepared before anyone can sign in."""

    application: Application
    setup_needed: bool
    agency: str
    demo_accounts: list[DemoAccount] = field(default_factory=list)


def open_for_gui(config: LocalConfig, *, demo: bool) -> Opened:
    """Worker side of the start: open (creating on first run) and, for a demo, seed."""
    # The main window and its pages are needed right after sign-in; importing them here
    # keeps that cost off the GUI thread as well.
    import alpr_desktop.gui.session  # noqa: F401
    from alpr_desktop.app import open_application

    application = open_application(config, demo=demo, create=True)
    try:
        accounts: list[DemoAccount] = []
        if demo:
            from alpr_desktop.demo import seed_demo

            accounts = seed_demo(application)
        services = application.services
        return Opened(
            application,
            services.auth.setup_needed(),
            services.settings.current().agency_name,
            accounts,
        )
    except BaseException:
        application.close()
        raise


class Startup:
    """Runs one GUI process: the early sign-in window, the open, the session."""

    #: How many past reads a demo seeds behind the sign-in (tests use fewer).
    demo_history_reads = 200_000

    def __init__(
        self, qt_app: QApplication, config: LocalConfig, theme: ThemeManager, *, demo: bool
    ) -> None:
        self.qt_app = qt_app
        self.config = config
        self.theme = theme
        self.demo = demo
        self.background = Background()
        self.login = LoginDialog(
            None,
            agency="alpr-desktop",
            preparing="Preparing the demo…" if demo else "Opening the database…",
        )
        self.login.rejected.connect(lambda: qt_app.exit(0))
        self.opened: Opened | None = None
        self.controller: object = None
        self.exit_code = 0
        #: Set at shutdown: the demo history stops after the batch in hand.
        self.history_stop = threading.Event()
        self.maintenance: MaintenanceScheduler | None = None

    def run(self, termination: _Termination) -> int:
        self.login.show()
        self.background.run(lambda: self._open(), on_done=self._ready, on_error=self._failed)
        try:
            code = self.qt_app.exec()
            return EXIT_TERMINATED if termination.requested else (self.exit_code or code)
        finally:
            self._shutdown()

    def _open(self) -> Opened:  # worker thread
        opened = open_for_gui(self.config, demo=self.demo)
        self.opened = opened  # closed at shutdown even if the window went away first
        return opened

    def _failed(self, error: AlprError) -> None:
        self.login.hide()
        self.exit_code = cannot_start(error)
        self.qt_app.exit(self.exit_code)

    def _ready(self, opened: Opened) -> None:
        from alpr_desktop.demo import credentials_banner
        from alpr_desktop.gui.context import GuiContext
        from alpr_desktop.gui.session import SessionController

        if opened.demo_accounts:
            print(credentials_banner(opened.demo_accounts), flush=True)
        gui = GuiContext.build(opened.application, self.theme, background=self.background)
        freeze_long_lived("the database and the window are up")
        self._start_maintenance(gui)
        controller = SessionController(gui, agency=opened.agency)
        controller.finished.connect(self.qt_app.exit)
        self.controller = controller
        self.login.rejected.disconnect()
        controller.adopt_login(self.login, setup_needed=opened.setup_needed)
        if opened.demo_accounts:
            self._seed_history(gui, opened.demo_accounts)

    def _start_maintenance(self, gui: GuiContext) -> None:
        """The purge and inactivity job: now, then daily (gui/maintenance.py)."""
        from alpr_desktop.gui.maintenance import MaintenanceScheduler

        scheduler = MaintenanceScheduler(self.background, gui.services.maintenance)
        gui.maintenance = scheduler
        self.maintenance = scheduler
        scheduler.start()

    def _seed_history(self, gui: GuiContext, accounts: list[DemoAccount]) -> None:
        """The demo's first morning of oversight (``demo_oversight``: searches, refusals,
        a signed checkpoint, a draft audit report), last year's reads with their evidence
        holds (``demo_retention``), then a month of past reads (``demo_history``) and the
        burglary's hold, behind the sign-in.

        On the long-job thread, so the pages' loads never wait for it; the main window's
        status bar shows :attr:`GuiContext.demo_history`; shutdown stops it.
        """
        from alpr_desktop.demo_history import HistoryProgress, seed_history
        from alpr_desktop.demo_oversight import seed_oversight
        from alpr_desktop.demo_releases import seed_releases
        from alpr_desktop.demo_retention import seed_current_holds, seed_last_year

        application = gui.application
        progress = HistoryProgress(self.demo_history_reads)
        gui.demo_history = progress

        def seed() -> object:
            seed_oversight(application, accounts)
            seed_last_year(application, accounts, stop=self.history_stop)
            result = seed_history(application, stop=self.history_stop, progress=progress)
            if not result.stopped:
                seed_current_holds(application, accounts)
                seed_releases(application, accounts)
            return result

        self.background.run(
            seed,
            on_done=lambda r: log.info("demo history ready: %s", r),
            on_error=lambda e: log.warning("demo history failed: %s", e),
            long=True,
        )

    def _shutdown(self) -> None:
        self.history_stop.set()  # before the worker's shutdown waits for the long job
        if self.maintenance is not None:
            self.maintenance.stop()  # a purge in hand stops after its batch
        current = getattr(self.controller, "current", None)
        for window in (self.login, current):
            if window is not None and shiboken6.isValid(window):
                window.hide()
                window.deleteLater()
        if self.controller is not None:
            self.controller.gui.close()  # type: ignore[attr-defined]
        self.background.shutdown()  # waits for a start still in progress
        if self.opened is not None:
            self.opened.application.close()


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
