"""Render the main screens offscreen into ``docs/screenshots/*.png``.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots.py [--out docs/screenshots]

Uses throw-away demo databases (``open_application(demo=True)`` + ``seed_demo``), so it
touches no real data.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from alpr_desktop.app import Application, open_application
from alpr_desktop.core.roles import Role
from alpr_desktop.demo import seed_demo
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
    body: Callable[[GuiContext, Actor | None], None],
) -> None:
    """Run ``body`` on a throw-away database (with the demo accounts when ``demo``)."""
    application = open_application(LocalConfig(), demo=True)
    gui = GuiContext.build(application, theme, idle_lock_ms=24 * 3600 * 1000)
    try:
        admin = None
        if demo:
            accounts = seed_demo(application)
            first = accounts[0]
            admin = application.services.auth.login(first.username, first.password).actor
            sup = next(a for a in accounts if a.role is Role.SUPERVISOR)
            supervisor = application.services.auth.login(sup.username, sup.password).actor
            add_sample_users(application, admin, supervisor)
        body(gui, admin)
    finally:
        gui.close()
        application.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    app = qt_application()
    theme = ThemeManager(app, "light")
    theme.apply("light")

    def first_run(gui: GuiContext, _admin: Actor | None) -> None:
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

    def demo_screens(gui: GuiContext, actor: Actor | None) -> None:
        assert actor is not None
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
        window.resize(1280, 800)
        save(app, gui, window, out / "main-home-light.png")
        page = window.show_page("users")
        settle(app, gui)
        page.select_user(page.model.user_at(1).id)  # type: ignore[attr-defined]
        save(app, gui, window, out / "main-users-light.png")
        window.show_page("settings")
        save(app, gui, window, out / "main-settings-light.png")
        window.show_page("users")
        theme.apply("dark")
        save(app, gui, window, out / "main-users-dark.png")
        window.show_page("home")
        save(app, gui, window, out / "main-home-dark.png")
        window.lock("manual_lock")
        save(app, gui, window, out / "lock-screen-dark.png")
        theme.apply("light")
        window.idle.stop()
        window.hide()
        window.deleteLater()
        settle(app, gui)

    with_gui(app, theme, True, demo_screens)
    return 0


if __name__ == "__main__":
    sys.exit(main())
