"""User administration driven through the widgets."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.user_dialogs import (
    ActionDialog,
    CreateUserDialog,
    RolesDialog,
    TemporaryPasswordDialog,
    TrainingDialog,
)
from alpr_desktop.gui.pages.users import UsersPage
from alpr_desktop.services.base import Actor
from alpr_desktop.storage.models import AccountState
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle


@pytest.fixture
def page(qtbot: QtBot, gui: GuiContext) -> UsersPage:
    admin = create_admin(gui.application)
    return _page(qtbot, gui, admin)


def _page(qtbot: QtBot, gui: GuiContext, actor: Actor) -> UsersPage:
    widget = UsersPage(gui, actor)
    qtbot.addWidget(widget)
    widget.resize(1100, 600)
    widget.show()
    wait_idle(qtbot, gui)
    return widget


def _view(page: UsersPage, username: str):
    model = page.model
    row = next(r for r in range(model.rowCount()) if model.row_at(r).username == username)
    return model.row_at(row)


def _select(page: UsersPage, username: str) -> None:
    assert page.select_user(_view(page, username).id)


def _accept(qtbot: QtBot, gui: GuiContext, dialog) -> None:
    dialog.ok_button.click()
    wait_idle(qtbot, gui)
    qtbot.waitUntil(lambda: not gui.background.busy)


def _create(qtbot: QtBot, gui: GuiContext, page: UsersPage, username: str) -> str:
    page.buttons["create"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, CreateUserDialog)
    dialog.edits["username"].setText(username)
    dialog.edits["full_name"].setText("Ivy Investigator")
    dialog.edits["badge_number"].setText("4711")
    dialog.role_boxes[Role.INVESTIGATOR].setChecked(True)
    _accept(qtbot, gui, dialog)
    shown = page.active_dialog
    assert isinstance(shown, TemporaryPasswordDialog)
    password = shown.password_edit.text()
    shown.accept()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    return password


def test_create_user_appears_pending_with_a_temporary_password(
    qtbot: QtBot, gui: GuiContext, page: UsersPage
) -> None:
    password = _create(qtbot, gui, page, "ivy")
    view = _view(page, "ivy")
    assert view.state is AccountState.PENDING
    assert view.password_is_temporary and view.roles == {Role.INVESTIGATOR}
    assert len(password) >= 12
    assert page.model.data(page.model.index(page.model.row_of(view.id), 3)) == "Pending"


def test_create_user_error_keeps_dialog_open(
    qtbot: QtBot, gui: GuiContext, page: UsersPage
) -> None:
    page.buttons["create"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, CreateUserDialog)
    dialog.edits["username"].setText("ivy")
    dialog.edits["full_name"].setText("Ivy")
    _accept(qtbot, gui, dialog)  # no role ticked
    assert dialog.isVisible()
    assert dialog.error_label.text() == "Give the user at least one role."
    assert page.model.rowCount() == 1


def test_activate_suspend_and_reset_password(
    qtbot: QtBot, gui: GuiContext, page: UsersPage
) -> None:
    _create(qtbot, gui, page, "ivy")
    _select(page, "ivy")
    assert not page.buttons["suspend"].isEnabled()
    page.buttons["activate"].click()
    _accept(qtbot, gui, page.active_dialog)
    qtbot.waitUntil(lambda: _view(page, "ivy").state is AccountState.ACTIVE)
    assert page.buttons["suspend"].isEnabled()  # selection kept across the reload

    page.buttons["suspend"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, ActionDialog)
    _accept(qtbot, gui, dialog)  # no reason given
    assert "reason" in dialog.error_label.text()
    assert dialog.reason_edit is not None
    dialog.reason_edit.setPlainText("On leave until March")
    _accept(qtbot, gui, dialog)
    qtbot.waitUntil(lambda: _view(page, "ivy").state is AccountState.SUSPENDED)
    assert _view(page, "ivy").state_reason == "On leave until March"

    page.buttons["reset"].click()
    _accept(qtbot, gui, page.active_dialog)
    shown = page.active_dialog
    assert isinstance(shown, TemporaryPasswordDialog)
    new_password = shown.password_edit.text()
    shown.accept()
    gui.services.users.activate(page.actor, _view(page, "ivy").id)
    assert gui.services.auth.login("ivy", new_password).must_change_password


def test_deactivate_needs_reason_and_confirmation(
    qtbot: QtBot, gui: GuiContext, page: UsersPage
) -> None:
    _create(qtbot, gui, page, "ivy")
    _select(page, "ivy")
    page.buttons["deactivate"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, ActionDialog) and dialog.confirm_box is not None
    assert not dialog.ok_button.isEnabled()
    dialog.reason_edit.setPlainText("Left the department")
    dialog.confirm_box.setChecked(True)
    _accept(qtbot, gui, dialog)
    qtbot.waitUntil(lambda: _view(page, "ivy").state is AccountState.DEACTIVATED)
    assert not page.buttons["activate"].isEnabled()


def test_edit_roles_and_add_training(qtbot: QtBot, gui: GuiContext, page: UsersPage) -> None:
    _create(qtbot, gui, page, "ivy")
    _select(page, "ivy")
    page.buttons["roles"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, RolesDialog)
    dialog.role_boxes[Role.SUPERVISOR].setChecked(True)
    _accept(qtbot, gui, dialog)
    qtbot.waitUntil(lambda: _view(page, "ivy").roles == {Role.INVESTIGATOR, Role.SUPERVISOR})

    _select(page, "ivy")
    page.buttons["training"].click()
    training = page.active_dialog
    assert isinstance(training, TrainingDialog)
    assert training.table.rowCount() == 0
    _accept(qtbot, gui, training)  # no course
    assert training.error_label.text() == "Enter the training course."
    training.course_edit.setText("ALPR operator course")
    _accept(qtbot, gui, training)
    assert training.isVisible() and training.table.rowCount() == 1
    assert training.saved_label.text() == "Training recorded."
    expected = dt.date.today() + dt.timedelta(days=730)
    assert training.table.item(0, 2).text() == expected.isoformat()
    qtbot.waitUntil(lambda: _view(page, "ivy").training_current)


def test_supervisor_may_activate_but_not_create(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    supervisor = create_active_user(gui.application, admin, "sam", [Role.SUPERVISOR])
    page = _page(qtbot, gui, supervisor)
    assert not page.buttons["create"].isEnabled()
    _select(page, "admin")
    assert not page.buttons["roles"].isEnabled()
    assert page.buttons["suspend"].isEnabled()
    assert page.buttons["training"].isEnabled()
    page.buttons["training"].click()
    assert not page.active_dialog.ok_button.isVisible()
    page.active_dialog.reject()


def test_filter_box(qtbot: QtBot, gui: GuiContext, page: UsersPage) -> None:
    _create(qtbot, gui, page, "ivy")
    page.filter_edit.setText("INVESTIG")
    assert page.proxy.rowCount() == 1
    page.filter_edit.clear()
    assert page.proxy.rowCount() == 2
