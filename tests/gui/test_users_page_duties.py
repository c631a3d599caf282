"""Separation-of-duties refusals reach the Users page's dialogs as their message."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.user_dialogs import ActionDialog, CreateUserDialog
from alpr_desktop.storage.models import AccountState
from tests.conftest import cosigner, create_admin
from tests.gui.test_users_page import _accept, _page, _select, _view


def test_creator_is_told_a_second_person_must_activate(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    cosigner(gui.application, admin)  # a second approver: the two-person rules hold
    page = _page(qtbot, gui, admin)
    page.buttons["create"].click()
    create = page.active_dialog
    assert isinstance(create, CreateUserDialog)
    create.edits["username"].setText("ivy")
    create.edits["full_name"].setText("Ivy Investigator")
    create.role_boxes[Role.INVESTIGATOR].setChecked(True)
    _accept(qtbot, gui, create)
    page.active_dialog.accept()  # the temporary password shown once
    qtbot.waitUntil(lambda: page.model.rowCount() == 3)
    _select(page, "ivy")
    page.buttons["activate"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, ActionDialog)
    _accept(qtbot, gui, dialog)
    assert dialog.isVisible()
    assert "second supervisor or administrator" in dialog.error_label.text()
    assert _view(page, "ivy").state is AccountState.PENDING
