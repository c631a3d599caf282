"""Main window: pages per role, home page, idle lock, log out and theme switch."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.main_window import MainWindow
from alpr_desktop.gui.pages.home import HomePage
from alpr_desktop.services.base import Actor
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, create_active_user, create_admin
from tests.gui.conftest import wait_idle


@pytest.fixture
def open_window(qtbot: QtBot, gui: GuiContext) -> Iterator[object]:
    windows: list[MainWindow] = []

    def make(actor: Actor) -> MainWindow:
        window = MainWindow(gui, actor)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        wait_idle(qtbot, gui)
        return window

    yield make
    for window in windows:
        window.idle.stop()
    wait_idle(qtbot, gui)


def session_actions(gui: GuiContext) -> list[str]:
    with gui.application.database.sessions() as session:
        return list(
            session.scalars(
                select(AccessRecord.action)
                .where(AccessRecord.category == "session")
                .order_by(AccessRecord.seq)
            )
        )


def test_dispatcher_sees_no_users_page(gui: GuiContext, open_window) -> None:
    admin = create_admin(gui.application)
    dispatcher = create_active_user(gui.application, admin, "dana", [Role.DISPATCHER])
    window = open_window(dispatcher)
    assert window.page_keys() == ["home", "live", "alerts", "map", "policy"]
    assert window.navigation.count() == 5
    assert window.pages["map"].view is None  # the web engine waits for the page to show
    home = window.pages["home"]
    assert isinstance(home, HomePage)
    assert home.verify_button is None  # dispatchers may not verify the trail


def test_admin_sees_users_page_and_navigates(gui: GuiContext, open_window, qtbot: QtBot) -> None:
    admin = create_admin(gui.application)
    window = open_window(admin)
    assert window.page_keys() == [
        "home",
        "cameras",
        "hotlists",
        "users",
        "settings",
        "compliance",
        "retention",
        "policy",
    ]
    page = window.show_page("users")
    assert window.page_stack.currentWidget() is page
    wait_idle(qtbot, gui)
    assert page.model.rowCount() == 1
    status = " ".join(label.text() for label in window.status_labels.values())
    assert "Embedded database — " in status and "sqlite+pysqlite" not in status
    assert "admin" in status and "ALPR Administrator" in status


def test_home_page_shows_account_training_and_verifies_trail(
    gui: GuiContext, open_window, qtbot: QtBot
) -> None:
    admin = create_admin(gui.application)
    supervisor = create_active_user(gui.application, admin, "sam", [Role.SUPERVISOR])
    window = open_window(supervisor)
    home = window.pages["home"]
    assert home.fields["roles"].text() == "Supervisor"
    assert home.fields["training"].text().startswith("Current, expires ")
    assert "authorised purpose" in home.policy_label.text()
    assert home.verify_button is not None
    home.verify_button.click()
    wait_idle(qtbot, gui)
    assert home.verify_label.text().startswith("Access trail intact")


def test_idle_lock_and_unlock(gui: GuiContext, open_window, qtbot: QtBot) -> None:
    admin = create_admin(gui.application)
    gui.idle_lock_ms = 150
    window = open_window(admin)
    qtbot.waitUntil(lambda: window.locked, timeout=5_000)
    assert window.screens.currentWidget() is window.lock_screen
    assert not window.toolbar.isEnabled()
    lock = window.lock_screen
    lock.password_edit.setText("not-my-password")
    lock.unlock_button.click()
    wait_idle(qtbot, gui)
    assert window.locked
    assert lock.error_label.text() == "Wrong password."
    lock.password_edit.setText(ADMIN_PASSWORD)
    with qtbot.waitSignal(lock.unlocked, timeout=10_000):
        lock.unlock_button.click()
    assert not window.locked
    assert window.screens.currentIndex() == 0
    window.idle.stop()
    wait_idle(qtbot, gui)
    actions = session_actions(gui)
    assert "idle_lock" in actions and "unlock_failed" in actions and actions[-1] == "unlock"


def test_lock_now_then_sign_out_records_logout(gui: GuiContext, open_window, qtbot: QtBot) -> None:
    admin = create_admin(gui.application)
    user = create_active_user(gui.application, admin, "ivan", [Role.INVESTIGATOR])
    window = open_window(user)
    window.lock_action.trigger()
    assert window.locked
    with qtbot.waitSignal(window.logged_out, timeout=10_000):
        window.lock_screen.sign_out_button.click()
    actions = session_actions(gui)
    assert actions[-2:] == ["manual_lock", "logout"]
    assert gui.services.auth.login("ivan", USER_PASSWORD)


def test_theme_switch_applies_and_persists(gui: GuiContext, open_window, qtbot: QtBot) -> None:
    admin = create_admin(gui.application)
    window = open_window(admin)
    light_sheet = qtbot_app_sheet()
    window.theme_action.trigger()
    assert gui.theme.name == "dark"
    assert window.theme_action.isChecked()
    assert qtbot_app_sheet() != light_sheet
    assert gui.theme.colour("window") in qtbot_app_sheet()
    qtbot.waitUntil(lambda: LocalConfig.load().theme == "dark")  # saved on the worker
    window.theme_action.trigger()
    qtbot.waitUntil(lambda: LocalConfig.load().theme == "light")
    config_file = Path(os.environ["ALPR_CONFIG_DIR"]) / "config.json"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600


def test_theme_chosen_in_a_demo_is_not_saved(gui: GuiContext, open_window, qtbot: QtBot) -> None:
    gui.application.demo = True  # what open_application(demo=True) sets
    window = open_window(create_admin(gui.application))
    window.theme_action.trigger()
    assert gui.theme.name == "dark"
    wait_idle(qtbot, gui)
    assert not (Path(os.environ["ALPR_CONFIG_DIR"]) / "config.json").exists()
    window.theme_action.trigger()


def qtbot_app_sheet() -> str:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app.styleSheet()


def test_startup_warnings_reach_the_administrator(
    gui: GuiContext, open_window, qtbot: QtBot
) -> None:
    from PySide6.QtWidgets import QMessageBox

    admin = create_admin(gui.application)
    gui.application.security_warnings = ("The access trail's triggers were missing.",)
    window = open_window(admin)
    label = window.status_labels["warnings"]
    assert label.text() == "⚠ 1 security warning(s)"
    assert "triggers were missing" in label.toolTip()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "securityWarnings") is not None)
    window.findChild(QMessageBox, "securityWarnings").close()


def test_home_shows_reminders_most_urgent_first(
    gui: GuiContext, open_window, qtbot: QtBot, tmp_path: Path
) -> None:
    import datetime as dt

    admin = create_admin(gui.application)
    late = create_active_user(
        gui.application, admin, "never.trained", [Role.DISPATCHER], trained=False
    )
    window = open_window(admin)
    home = window.pages["home"]
    assert isinstance(home, HomePage)
    assert home.reminders_card.isVisibleTo(window)
    assert home.reminder_texts[0].startswith("No ALPR training is recorded")  # their own
    assert any("never.trained" in text for text in home.reminder_texts)
    # Training recorded: that reminder goes on the next refresh.
    today = dt.date.today()
    gui.services.users.add_training(admin, late.user_id, course="ALPR", completed_on=today)
    qtbot.waitUntil(lambda: not any("never.trained" in t for t in home.reminder_texts))
    assert home.reminder_texts[0].startswith("No ALPR training is recorded")
    window.grab().save(str(tmp_path / "home.png"))
