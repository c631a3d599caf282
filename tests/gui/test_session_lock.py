"""Issue 19 item 8 in the GUI: an unlock continues in a new session; a revoked one locks."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from alpr_desktop.gui import session as session_module
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.main_window import MainWindow
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.session import SessionController
from tests.conftest import ADMIN_PASSWORD, create_admin
from tests.gui.conftest import wait_idle


def test_unlock_gives_every_page_the_new_session(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    window = MainWindow(gui, admin)
    qtbot.addWidget(window)
    window.show()
    wait_idle(qtbot, gui)
    window.lock_action.trigger()
    wait_idle(qtbot, gui)
    with pytest.raises(Exception, match="session has ended"):
        gui.services.users.list_users(admin)  # the lock ended the session
    window.lock_screen.password_edit.setText(ADMIN_PASSWORD)
    with qtbot.waitSignal(window.lock_screen.unlocked, timeout=10_000):
        window.lock_screen.unlock_button.click()
    fresh = window.actor
    assert fresh.session_id and fresh.session_id != admin.session_id
    pages = [p for p in window.findChildren(Page)]
    assert pages and all(p.actor is fresh for p in pages)
    assert gui.services.users.list_users(fresh)
    window.idle.stop()
    window.close()
    wait_idle(qtbot, gui)


def test_window_locks_when_the_server_ends_its_session(
    qtbot: QtBot, gui: GuiContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "KEEP_ALIVE_MS", 50)
    admin = create_admin(gui.application)
    controller = SessionController(gui)
    controller.show_main(admin)
    window = controller.current
    assert isinstance(window, MainWindow)
    wait_idle(qtbot, gui)
    assert not window.locked
    # Ended elsewhere (as a suspension or an expiry would): the next keep-alive locks.
    gui.services.auth.record_session_event(admin, "idle_lock")
    qtbot.waitUntil(lambda: window.locked, timeout=5_000)
    window.idle.stop()
    with qtbot.waitSignal(controller.finished, timeout=10_000):
        window.close()
    wait_idle(qtbot, gui)
