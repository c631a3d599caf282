"""The main window: navigation, pages, status bar, session actions and the idle lock."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from alpr_desktop import __version__
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.idle import IdleWatcher
from alpr_desktop.gui.lock_screen import LockScreen
from alpr_desktop.gui.pages import PageSpec, pages_for
from alpr_desktop.gui.theme import application_icon
from alpr_desktop.gui.widgets import message_box
from alpr_desktop.messages import Changes, Level, Message, Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.settings import DepartmentSettings, LocalConfig

_MINUTE_MS = 60_000


def save_theme(theme: str) -> None:
    """Remember the theme in this workstation's configuration (worker thread)."""
    try:
        config = LocalConfig.load()
        config.theme = theme  # type: ignore[assignment]
        config.save()
    except OSError as exc:
        raise AlprError(str(exc)) from None


class MainWindow(QMainWindow):
    """One signed-in user's window; emits :attr:`logged_out` or :attr:`closed` once."""

    logged_out = Signal()
    closed = Signal()

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gui = gui
        self.actor = actor
        self._ended = False
        self.locked = False
        self.setWindowTitle(f"alpr-desktop — {actor.full_name}")
        self.setWindowIcon(application_icon())
        self.resize(1280, 720)
        self.specs: list[PageSpec] = pages_for(actor)
        self.pages: dict[str, QWidget] = {}
        self.screens = QStackedWidget(self)
        self.screens.addWidget(self._build_workspace())
        self.lock_screen = LockScreen(gui, actor, self)
        self.lock_screen.unlocked.connect(self.unlock)
        self.lock_screen.sign_out_requested.connect(self.log_out)
        self.screens.addWidget(self.lock_screen)
        self.setCentralWidget(self.screens)
        self._build_actions()
        self._build_status_bar()
        # The department's idle period arrives from the worker (the GUI thread does not
        # wait for the database); until then the shipped default applies.
        self.idle = IdleWatcher(self._idle_ms(DepartmentSettings()), self)
        self.idle.idle.connect(lambda: self.lock("idle_lock"))
        self.idle.start()
        gui.bridge.changed.connect(self._on_changed)
        self._load_idle_period()
        gui.bridge.message.connect(self._on_message)
        gui.background.failed.connect(self.show_error)
        gui.theme.changed.connect(self._recolour)

    # ------------------------------------------------------------------ construction
    def _build_workspace(self) -> QWidget:
        workspace = QWidget(self)
        workspace.setObjectName("workspace")
        self.navigation = QListWidget(workspace)
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(190)
        self.navigation.setIconSize(QSize(18, 18))
        self.page_stack = QStackedWidget(workspace)
        self.page_stack.setObjectName("pages")
        for spec in self.specs:
            item = QListWidgetItem(self.gui.theme.icon(spec.icon, "nav_text"), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            self.navigation.addItem(item)
            page = spec.factory(self.gui, self.actor)
            self.pages[spec.key] = page
            if hasattr(page, "pending_changed"):  # the Alerts page: heard on any page
                page.pending_changed.connect(
                    lambda n, i=item, t=spec.title: i.setText(f"{t} ({n})" if n else t)
                )
                page.notice.connect(self._notice)  # type: ignore[attr-defined]
            if hasattr(page, "navigate_requested"):  # a page that links to others
                page.navigate_requested.connect(self.show_page)
            if hasattr(page, "alert_requested"):  # the map: an alert clicked on it
                page.alert_requested.connect(self._open_alert)
            self.page_stack.addWidget(page)
        self.navigation.currentRowChanged.connect(self.page_stack.setCurrentIndex)
        self.navigation.setCurrentRow(0)
        layout = QHBoxLayout(workspace)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.page_stack, 1)
        return workspace

    def _action(self, text: str, icon: str, slot: object, shortcut: str = "") -> QAction:
        action = QAction(self.gui.theme.icon(icon), text, self)
        action.setData(icon)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.lock_action = self._action("Lock now", "fa5s.lock", self.lock_now, "Ctrl+L")
        self.logout_action = self._action("Log out", "fa5s.sign-out-alt", self.log_out)
        self.theme_action = self._action("Dark theme", "fa5s.moon", self.toggle_theme)
        self.theme_action.setCheckable(True)
        self.theme_action.setChecked(self.gui.theme.name == "dark")
        self.about_action = self._action("About alpr-desktop", "fa5s.info-circle", self.about)
        quit_action = self._action("Quit", "fa5s.power-off", self.close, "Ctrl+Q")
        menu = self.menuBar()
        session = menu.addMenu("&Session")
        session.addActions([self.lock_action, self.logout_action])
        session.addSeparator()
        session.addAction(quit_action)
        menu.addMenu("&View").addAction(self.theme_action)
        menu.addMenu("&Help").addAction(self.about_action)
        self.toolbar = QToolBar("Session", self)
        self.toolbar.setObjectName("sessionToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setIconSize(QSize(16, 16))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.addActions([self.lock_action, self.theme_action, self.logout_action])
        self.addToolBar(self.toolbar)
        self._session_actions = [self.lock_action, self.theme_action, self.about_action]

    def _build_status_bar(self) -> None:
        database = self.gui.application.database
        roles = ", ".join(role.label for role in sorted(self.actor.roles))
        bar = self.statusBar()
        self.status_labels = {
            "database": QLabel(database.description),
            "user": QLabel(f"User: {self.actor.username} ({self.actor.full_name})"),
            "roles": QLabel(f"Roles: {roles}"),
        }
        warnings = self.startup_warnings()
        if warnings:
            label = QLabel(f"⚠ {len(warnings)} security warning(s)")
            label.setObjectName("errorLabel")
            label.setToolTip("\n\n".join(warnings))
            self.status_labels["warnings"] = label
            if self.actor.may(Action.MANAGE_SETTINGS):
                # The administrator can act on them: say so once, without blocking.
                QTimer.singleShot(0, lambda: self._show_warnings(warnings))
        if self.gui.demo_history is not None:
            self._history_label = QLabel(self.gui.demo_history.text())
            self._history_label.setObjectName("demoHistory")
            self.status_labels = {"demo_history": self._history_label, **self.status_labels}
            self._history_timer = QTimer(self)
            self._history_timer.timeout.connect(self._show_history)
            self._history_timer.start(1000)
        for label in self.status_labels.values():
            bar.addPermanentWidget(label)

    def _show_history(self) -> None:
        """The demo history's progress (a plain object the seeding thread updates)."""
        progress = self.gui.demo_history
        if progress is None:
            return
        self._history_label.setText(progress.text())
        if progress.finished:
            self._history_timer.stop()
            self._history_label.setToolTip(
                "A month of sample reads: the README's Demo section lists the story "
                "vehicles to search for."
            )

    def startup_warnings(self) -> list[str]:
        """What start-up found wrong but not fatal: file modes, the trail's defences."""
        application = self.gui.application
        return [*application.security_warnings, *application.database.warnings]

    def _show_warnings(self, warnings: list[str]) -> None:
        box = message_box(self, "Security warnings", "\n\n".join(warnings))
        box.setObjectName("securityWarnings")

    def _idle_ms(self, settings: DepartmentSettings) -> int:
        if self.gui.idle_lock_ms is not None:
            return self.gui.idle_lock_ms
        return settings.idle_lock_minutes * _MINUTE_MS

    def _recolour(self) -> None:
        for row, spec in enumerate(self.specs):
            self.navigation.item(row).setIcon(self.gui.theme.icon(spec.icon, "nav_text"))
        for action in (self.lock_action, self.logout_action, self.theme_action, self.about_action):
            action.setIcon(self.gui.theme.icon(str(action.data())))

    # ------------------------------------------------------------------ navigation
    def show_page(self, key: str) -> QWidget:
        """Switch to page ``key`` (KeyError when this user has no such page)."""
        row = [spec.key for spec in self.specs].index(key)
        self.navigation.setCurrentRow(row)
        return self.pages[key]

    def _open_alert(self, alert_id: int) -> None:
        page = self.show_page("alerts")
        page.select_alert(alert_id)  # type: ignore[attr-defined]

    def page_keys(self) -> list[str]:
        return [spec.key for spec in self.specs]

    # ------------------------------------------------------------------ messages
    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(Topic.SETTINGS):
            self._load_idle_period()

    def _load_idle_period(self) -> None:
        self.gui.background.run(
            self.gui.services.settings.current,
            on_done=lambda s: self.idle.set_timeout(self._idle_ms(s)),
            context=self,
        )

    def _on_message(self, message: Message) -> None:
        self.statusBar().showMessage(message.text, 15_000)
        if message.level is Level.ERROR:
            self.show_error(message.text)

    def _notice(self, text: str) -> None:
        """A new alert: say it in the status bar and flash the window if it is behind."""
        self.statusBar().showMessage(f"🔔 {text}", 30_000)
        QApplication.alert(self)

    def show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, 15_000)
        message_box(self, "alpr-desktop", text)

    # ------------------------------------------------------------------ session
    def lock_now(self) -> None:
        self.lock("manual_lock")

    def lock(self, event: str = "idle_lock") -> None:
        """Hide every page behind the lock screen and record ``event``."""
        if self.locked or self._ended:
            return
        self.locked = True
        self.idle.stop()
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        self.screens.setCurrentWidget(self.lock_screen)
        self.menuBar().setEnabled(False)
        self.toolbar.setEnabled(False)
        self.lock_screen.reset()
        # The lock ends the session: recognition, which acts in it, stops first (an
        # unlock starts a new session and the Live page opens again in it).
        self._stop_pages(lambda: self._record(event))

    def unlock(self, actor: Actor | None = None) -> None:
        if actor is not None:  # the unlock began a new server-side session: act in it
            for widget in (self, *self.findChildren(QWidget)):
                if isinstance(getattr(widget, "actor", None), Actor):
                    setattr(widget, "actor", actor)  # noqa: B010 (widgets have no common type)
        self.locked = False
        self.screens.setCurrentIndex(0)
        self.menuBar().setEnabled(True)
        self.toolbar.setEnabled(True)
        self.idle.start()
        for page in self.pages.values():
            if hasattr(page, "resume"):
                page.resume()

    def _record(self, event: str, then: Callable[[], None] | None = None) -> None:
        """Record a session event on the worker, then call ``then`` (even if it failed)."""
        auth, actor = self.gui.services.auth, self.actor

        def finished(_result: object = None) -> None:
            if then is not None:
                then()

        def failed(error: AlprError) -> None:
            self.statusBar().showMessage(f"Could not record {event}: {error}", 15_000)
            finished()

        self.gui.background.run(
            lambda: auth.record_session_event(actor, event),
            on_done=finished,
            on_error=failed,
            context=self,
        )

    def log_out(self) -> None:
        """Record the logout, close this window and ask for the next sign-in."""
        if self._ended:
            return
        self._ended = True
        self.idle.stop()
        self.hide()
        self._stop_pages(lambda: self._record("logout", self.logged_out.emit))

    def _stop_pages(self, then: Callable[[], None]) -> None:
        """Let pages that run work of their own (the Live page) stop it, then ``then``.

        Recognition acts in this user's session, so it stops before a logout or a lock
        ends the session; the stopping runs off the GUI thread and calls back here.
        """
        running = [page for page in self.pages.values() if hasattr(page, "shutdown")]
        remaining = len(running)
        if not remaining:
            then()
            return

        def one_done() -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0:
                then()

        for page in running:
            page.shutdown(one_done)  # type: ignore[attr-defined]

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._ended:
            self._ended = True
            self.idle.stop()

            def ended() -> None:
                self._record("logout")
                self.closed.emit()

            self._stop_pages(ended)
        super().closeEvent(event)

    # ------------------------------------------------------------------ view
    def toggle_theme(self) -> None:
        theme = "dark" if self.gui.theme.name == "light" else "light"
        self.gui.theme.apply(theme)
        self.theme_action.setChecked(theme == "dark")
        if self.gui.application.demo:
            return  # a demo leaves this workstation's own configuration alone
        self.gui.background.run(
            lambda: save_theme(theme),
            on_error=lambda exc: self.statusBar().showMessage(
                f"The theme could not be saved: {exc}", 15_000
            ),
            context=self,
        )

    def about(self) -> None:
        box = message_box(
            self,
            "About alpr-desktop",
            f"<b>alpr-desktop {__version__}</b><br><br>Automated License Plate Reader "
            "workstation built for department policy 471 and California Civil Code "
            "1798.90.5–1798.90.55 (SB 34).<br>Every access to ALPR data is recorded."
            "<br><br>Licence: AGPL-3.0-or-later.",
            QMessageBox.Icon.NoIcon,
        )
        box.setIconPixmap(application_icon().pixmap(64, 64))
        box.setObjectName("aboutBox")
