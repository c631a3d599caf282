"""The sign-in flow: first-run setup -> sign-in -> forced password change -> main window.

Windows are shown without blocking (``open``/``show``), so the flow is driven by
signals and tests can reach every step through :attr:`SessionController.current`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from alpr_desktop.errors import AlprError, SessionEndedError
from alpr_desktop.gui.auth_dialogs import ChangePasswordDialog, LoginDialog, SetupDialog
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.main_window import MainWindow
from alpr_desktop.services.base import Actor

#: How often a signed-in window tells the server it is in use (well inside the expiry).
KEEP_ALIVE_MS = 60_000


class SessionController(QObject):
    """Owns whichever window is current; emits :attr:`finished` when the user quits."""

    finished = Signal(int)

    def __init__(self, gui: GuiContext, *, agency: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.gui = gui
        #: The agency's name for the sign-in window, refreshed in the background.
        self.agency = agency
        self.current: QWidget | None = None

    def start(self) -> None:
        """Ask the worker whether setup is needed, then show setup or sign-in."""
        services = self.gui.services

        def facts() -> tuple[bool, str]:
            return services.auth.setup_needed(), services.settings.current().agency_name

        def show(result: tuple[bool, str]) -> None:
            setup_needed, self.agency = result
            self.show_setup() if setup_needed else self.show_login()

        self.gui.background.run(facts, on_done=show, context=self)

    def adopt_login(self, dialog: LoginDialog, *, setup_needed: bool) -> None:
        """Take over the sign-in window shown while the database was being opened."""
        if setup_needed:
            self.current = dialog
            self.show_setup()
            return
        dialog.attach(self.gui, agency=self.agency)
        self._connect_login(dialog)
        self.current = dialog

    def _replace(self, widget: QWidget) -> None:
        old, self.current = self.current, widget
        if old is not None:
            old.hide()
            old.deleteLater()
        widget.show()
        widget.raise_()
        widget.activateWindow()

    def show_setup(self) -> None:
        dialog = SetupDialog(self.gui)
        dialog.accepted.connect(
            lambda: self.show_login(dialog.created.username if dialog.created else "")
        )
        dialog.rejected.connect(self.quit)
        self._replace(dialog)

    def show_login(self, username: str = "") -> None:
        dialog = LoginDialog(self.gui, agency=self.agency, username=username)
        self._connect_login(dialog)
        self._replace(dialog)
        # The name may have changed in Settings during the last session.
        settings = self.gui.services.settings
        self.gui.background.run(
            lambda: settings.current().agency_name,
            on_done=lambda name: self._retitle(dialog, name),
            context=dialog,
        )

    def _retitle(self, dialog: LoginDialog, agency: str) -> None:
        self.agency = agency
        dialog.ui.titleLabel.setText(agency)

    def _connect_login(self, dialog: LoginDialog) -> None:
        dialog.accepted.connect(lambda: self._signed_in(dialog))
        dialog.rejected.connect(self.quit)

    def _signed_in(self, dialog: LoginDialog) -> None:
        result, password = dialog.result_value, dialog.password
        dialog.password = ""
        assert result is not None
        if result.must_change_password:
            self.show_change_password(result.actor, password)
        else:
            self.show_main(result.actor)

    def show_change_password(self, actor: Actor, current: str) -> None:
        dialog = ChangePasswordDialog(self.gui, actor, current=current, forced=True)
        dialog.accepted.connect(lambda: self.show_main(actor))
        dialog.rejected.connect(lambda: self._abandon(actor))
        self._replace(dialog)

    def _abandon(self, actor: Actor) -> None:
        auth = self.gui.services.auth
        self.gui.background.run(lambda: auth.record_session_event(actor, "logout"))
        self.show_login()

    def show_main(self, actor: Actor) -> None:
        window = MainWindow(self.gui, actor)
        window.logged_out.connect(self.show_login)
        window.closed.connect(self.quit)
        self._keep_alive(window)
        self._replace(window)

    def _keep_alive(self, window: MainWindow) -> None:
        """Tell the server every minute that the window's session is in use.

        The server ends a session it has not heard from for the idle-lock period (see
        ``services.sessions``); a user reading one page makes no other call. When the
        server says the session has ended, the window locks: an unlock starts a new one.
        """
        auth, timer = self.gui.services.auth, QTimer(window)
        timer.setInterval(KEEP_ALIVE_MS)

        def ended(error: AlprError) -> None:
            if isinstance(error, SessionEndedError):
                window.lock("session_expired")

        def beat() -> None:
            if window.locked or not window.isVisible():
                return
            actor = window.actor
            self.gui.background.run(lambda: auth.keep_alive(actor), on_error=ended, context=window)

        timer.timeout.connect(beat)
        timer.start()

    def quit(self) -> None:
        self.finished.emit(0)
