"""Render the main screens offscreen into ``docs/screenshots/*.png``.

Every page of the main window is rendered at 1280x720 in both themes — the
administrator's pages, and the dispatcher's Live page on the demo cameras once reads
have come in — with the sign-in states, first-run setup, password change, About and
lock screen.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots.py [--out docs/screenshots]

Uses throw-away demo databases (``open_application(demo=True)`` + ``seed_demo``), so it
touches no real data.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from alpr_desktop.app import Application, open_application
from alpr_desktop.core.roles import Role
from alpr_desktop.demo import DemoAccount, seed_demo
from alpr_desktop.gui.auth_dialogs import (
    ChangePasswordDialog,
    LoginDialog,
    SetupDialog,
)
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.main import qt_application
from alpr_desktop.gui.main_window import MainWindow
from alpr_desktop.gui.theme import ThemeManager
from alpr_desktop.services.base import Actor
from alpr_desktop.services.users import generate_temporary_password
from alpr_desktop.settings import LocalConfig

ROOT = Path(__file__).resolve().parents[1]
#: Every main-window screenshot is taken at the size the pages are laid out to fit.
WINDOW_SIZE = (1280, 720)
#: How long the Live page runs before it is captured (models load, passes are read).
LIVE_SECONDS = 25.0


def settle(app: QApplication, gui: GuiContext) -> None:
    """Process events until the background worker is idle and callbacks have run."""
    for _ in range(3000):
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()
        if not gui.background.busy:
            break
    app.processEvents()


def save(app: QApplication, gui: GuiContext, widget: QWidget, path: Path) -> None:
    widget.show()
    settle(app, gui)
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def add_sample_users(application: Application, admin: Actor, supervisor: Actor) -> None:
    """A pending and a suspended account next to the demo ones, for a realistic table.

    The supervisor activates what the administrator created (separation of duties).
    """
    services = application.services
    services.users.create_user(
        admin,
        username="p.garcia",
        full_name="Paula Garcia",
        roles=[Role.INVESTIGATOR],
        temporary_password=generate_temporary_password(),
        organisation="Investigations Bureau",
        badge_number="5521",
    )
    suspended = services.users.create_user(
        admin,
        username="t.nguyen",
        full_name="Tom Nguyen",
        roles=[Role.DISPATCHER],
        temporary_password=generate_temporary_password(),
        organisation="Communications",
    )
    services.users.activate(supervisor, suspended.id)
    services.users.suspend(admin, suspended.id, "On extended leave")


def with_gui(
    app: QApplication,
    theme: ThemeManager,
    demo: bool,
    body: Callable[[GuiContext, Actor | None, list[DemoAccount]], None],
) -> None:
    """Run ``body`` on a throw-away database (with the demo accounts when ``demo``)."""
    application = open_application(LocalConfig(), demo=True)
    gui = GuiContext.build(application, theme, idle_lock_ms=24 * 3600 * 1000)
    try:
        admin = None
        accounts: list[DemoAccount] = []
        if demo:
            accounts = seed_demo(application)
            first = accounts[0]
            admin = application.services.auth.login(first.username, first.password).actor
            sup = next(a for a in accounts if a.role is Role.SUPERVISOR)
            supervisor = application.services.auth.login(sup.username, sup.password).actor
            add_sample_users(application, admin, supervisor)
        body(gui, admin, accounts)
    finally:
        gui.close()
        application.close()


def pump(seconds: float) -> None:
    """Run the event loop for ``seconds`` (video and reads arrive meanwhile)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        loop = QEventLoop()
        QTimer.singleShot(50, loop.quit)
        loop.exec()


def live_screens(
    app: QApplication,
    gui: GuiContext,
    theme: ThemeManager,
    accounts: list[DemoAccount],
    out: Path,
) -> None:
    """The dispatcher's Live page on the demo cameras, after reads have come in."""
    dispatcher = next(a for a in accounts if a.role is Role.DISPATCHER)
    actor = gui.services.auth.login(dispatcher.username, dispatcher.password).actor
    window = MainWindow(gui, actor)
    window.resize(*WINDOW_SIZE)
    window.show()
    page = window.show_page("live")
    pump(LIVE_SECONDS)
    for name in ("light", "dark"):
        theme.apply(name)
        pump(1.0)
        save(app, gui, window, out / f"main-live-{name}.png")
    theme.apply("light")
    done: list[bool] = []
    page.shutdown(lambda: done.append(True))  # type: ignore[attr-defined]
    while not done:
        pump(0.2)
    page.stopping.wait()  # type: ignore[attr-defined]
    window.idle.stop()
    window.hide()
    window.deleteLater()
    settle(app, gui)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    app = qt_application()
    theme = ThemeManager(app, "light")
    theme.apply("light")

    def first_run(gui: GuiContext, _admin: Actor | None, _accounts: list[DemoAccount]) -> None:
        dialog = SetupDialog(gui)
        dialog.ui.agencyEdit.setText("Springfield Police Department")
        dialog.ui.usernameEdit.setText("j.smith")
        dialog.ui.fullNameEdit.setText("Jordan Smith")
        dialog.ui.organisationEdit.setText("Support Services Division")
        dialog.ui.passwordEdit.setText("short")
        dialog.ui.repeatEdit.setText("short")
        dialog.submit()
        save(app, gui, dialog, out / "first-run-setup.png")
        dialog.deleteLater()

    with_gui(app, theme, False, first_run)

    def demo_screens(gui: GuiContext, actor: Actor | None, accounts: list[DemoAccount]) -> None:
        assert actor is not None
        preparing = LoginDialog(None, agency="alpr-desktop", preparing="Preparing the demo…")
        save(app, gui, preparing, out / "login-preparing.png")
        preparing.deleteLater()
        login = LoginDialog(gui, agency="Demo Police Department", username="demo.admin")
        save(app, gui, login, out / "login.png")
        login.ui.passwordEdit.setText("wrong-password")
        login.submit()
        save(app, gui, login, out / "login-error.png")
        login.deleteLater()
        change = ChangePasswordDialog(gui, actor, current="x", forced=True)
        save(app, gui, change, out / "change-password.png")
        change.deleteLater()
        window = MainWindow(gui, actor)
        window.resize(*WINDOW_SIZE)
        for name in ("light", "dark"):
            theme.apply(name)
            for key in window.page_keys():
                page = window.show_page(key)
                settle(app, gui)
                if key == "users":
                    page.select_user(page.model.row_at(1).id)  # type: ignore[attr-defined]
                save(app, gui, window, out / f"main-{key}-{name}.png")
        window.about()
        settle(app, gui)
        about = window.findChild(QMessageBox, "aboutBox")
        assert about is not None
        save(app, gui, about, out / "about-dark.png")
        about.close()
        window.lock("manual_lock")
        save(app, gui, window, out / "lock-screen-dark.png")
        theme.apply("light")
        window.idle.stop()
        window.hide()
        window.deleteLater()
        settle(app, gui)
        live_screens(app, gui, theme, accounts, out)

    with_gui(app, theme, True, demo_screens)
    return 0


if __name__ == "__main__":
    sys.exit(main())
