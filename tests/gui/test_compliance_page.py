"""The Compliance page, offscreen, on a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from alpr_desktop.core.compliance import REQUIREMENTS
from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.main_window import MainWindow
from alpr_desktop.gui.pages.compliance import CLAUSE, LINK, REASON, STATUS, CompliancePage
from alpr_desktop.services.compliance import VIEW_ACTION
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle


@pytest.fixture
def window(qtbot: QtBot, gui: GuiContext) -> Iterator[MainWindow]:
    admin = create_admin(gui.application)
    main = MainWindow(gui, admin)
    qtbot.addWidget(main)
    main.show()
    wait_idle(qtbot, gui)
    yield main
    main.idle.stop()
    gui.background.run(lambda: None)
    wait_idle(qtbot, gui)


def _row(page: CompliancePage, clause: str):  # type: ignore[no-untyped-def]
    [row] = [r for r in page.rows() if r.text(CLAUSE) == clause]
    return row


def _views(gui: GuiContext) -> int:
    with gui.application.database.sessions() as session:
        stmt = select(func.count(AccessRecord.id)).where(AccessRecord.action == VIEW_ACTION)
        return int(session.scalar(stmt) or 0)


def test_rows_grouped_with_status_word_icon_and_reason(
    qtbot: QtBot, gui: GuiContext, window: MainWindow
) -> None:
    page = window.show_page("compliance")
    assert isinstance(page, CompliancePage)
    wait_idle(qtbot, gui)
    assert page.report is not None and _views(gui) == 1  # the viewing is recorded
    groups = [page.tree.topLevelItem(i).text(0) for i in range(page.tree.topLevelItemCount())]
    assert groups == ["Policy 471", "Civ. Code 1798.90.51–.55"]
    assert len(page.rows()) == len(REQUIREMENTS)
    assert page.summary_label.text() == page.report.summary
    assert "not met" in page.summary_label.text()
    designee = _row(page, "471.3.1(e)")
    assert designee.text(STATUS) == "Not met"  # a word, not colour alone
    assert not designee.icon(STATUS).isNull()
    assert designee.text(REASON).startswith("No designee is named")


def test_changing_the_installation_updates_the_page(
    qtbot: QtBot, gui: GuiContext, window: MainWindow
) -> None:
    page = window.show_page("compliance")
    wait_idle(qtbot, gui)
    assert _row(page, "471.3.1(c)").text(STATUS) == "Not met"
    admin = window.actor
    commander = create_active_user(gui.application, admin, "cmdr", [Role.COMMANDER])
    gui.services.settings.update(commander, designee_name="Lt. Lee", designee_title="Commander")
    # The settings change reloads the visible page.
    qtbot.waitUntil(lambda: _row(page, "471.3.1(e)").text(STATUS) == "Met")
    wait_idle(qtbot, gui)
    gui.services.audit.verify(admin)
    page.refresh_button.click()
    wait_idle(qtbot, gui)
    assert _row(page, "471.3.1(c)").text(STATUS) == "Met"
    assert _views(gui) >= 3


def test_go_to_switches_page_only_where_allowed(
    qtbot: QtBot, gui: GuiContext, window: MainWindow
) -> None:
    page = window.show_page("compliance")
    wait_idle(qtbot, gui)
    settings_link = page.tree.itemWidget(_row(page, "471.3.1(e)"), LINK).findChild(QPushButton)
    assert settings_link is page.link_buttons["471.3.1(e)"]
    assert settings_link.text() == "Go to Settings" and settings_link.isEnabled()
    settings_link.click()
    assert window.page_stack.currentWidget() is window.pages["settings"]
    assert window.navigation.currentItem().text() == "Settings"
    releases = page.link_buttons["471.7(a)"]
    # The administrator's roles do not open the Releases page (it exists).
    assert not releases.isEnabled() and "roles do not open" in releases.toolTip()


def test_supervisor_cannot_follow_a_link_to_settings(
    qtbot: QtBot, gui: GuiContext, window: MainWindow
) -> None:
    supervisor = create_active_user(gui.application, window.actor, "sup", [Role.SUPERVISOR])
    page = CompliancePage(gui, supervisor)
    qtbot.addWidget(page)
    page.show()
    wait_idle(qtbot, gui)
    link = page.link_buttons["471.3.1(e)"]
    assert not link.isEnabled() and "Your roles do not open the Settings page" in link.toolTip()
    assert page.link_buttons["471.3.1(a)"].isEnabled()  # Users: supervisors view accounts
    page.close()
