"""Sign-in, first-run setup and forced password change, driven through the widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from alpr_desktop.core.roles import Role
from alpr_desktop.gui.auth_dialogs import ChangePasswordDialog, LoginDialog, SetupDialog
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.main_window import MainWindow
from alpr_desktop.gui.session import SessionController
from alpr_desktop.services.auth import BAD_CREDENTIALS
from tests.conftest import ADMIN_PASSWORD, create_admin
from tests.gui.conftest import wait_idle

NEW_PASSWORD = "a-brand-new-passphrase"


def _login(qtbot: QtBot, dialog: LoginDialog, username: str, password: str) -> None:
    dialog.ui.usernameEdit.setText(username)
    dialog.ui.passwordEdit.clear()
    qtbot.keyClicks(dialog.ui.passwordEdit, password)
    qtbot.keyClick(dialog.ui.passwordEdit, Qt.Key.Key_Return)  # Enter submits


def _login_dialog(qtbot: QtBot, gui: GuiContext) -> LoginDialog:
    dialog = LoginDialog(gui, agency="Test PD")
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_login_success(qtbot: QtBot, gui: GuiContext) -> None:
    create_admin(gui.application)
    dialog = _login_dialog(qtbot, gui)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        _login(qtbot, dialog, "admin", ADMIN_PASSWORD)
    assert dialog.result_value is not None
    assert dialog.result_value.actor.username == "admin"
    assert not dialog.result_value.must_change_password


def test_wrong_password_and_unknown_user_show_the_same_message(
    qtbot: QtBot, gui: GuiContext
) -> None:
    create_admin(gui.application)
    dialog = _login_dialog(qtbot, gui)
    messages = []
    for username in ("admin", "nobody"):
        _login(qtbot, dialog, username, "wrong-password-123")
        wait_idle(qtbot, gui)
        assert dialog.isVisible()
        messages.append(dialog.ui.errorLabel.text())
    assert messages == [BAD_CREDENTIALS, BAD_CREDENTIALS]
    assert dialog.ui.passwordEdit.text() == ""


def test_lockout_message_after_five_failures(qtbot: QtBot, gui: GuiContext) -> None:
    create_admin(gui.application)
    dialog = _login_dialog(qtbot, gui)
    for _ in range(5):
        _login(qtbot, dialog, "admin", "wrong-password-123")
        wait_idle(qtbot, gui)
    _login(qtbot, dialog, "admin", ADMIN_PASSWORD)
    wait_idle(qtbot, gui)
    assert "Too many failed sign-ins" in dialog.ui.errorLabel.text()
    assert dialog.result_value is None


def test_empty_fields_are_refused_without_a_call(qtbot: QtBot, gui: GuiContext) -> None:
    dialog = _login_dialog(qtbot, gui)
    dialog.ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not gui.background.busy
    assert dialog.ui.errorLabel.text() == "Enter your username and password."


def _fill_setup(dialog: SetupDialog, password: str, repeat: str) -> None:
    ui = dialog.ui
    ui.agencyEdit.setText("Springfield Police Department")
    ui.usernameEdit.setText("chief.admin")
    ui.fullNameEdit.setText("Chris Chief")
    ui.organisationEdit.setText("Support Services")
    ui.passwordEdit.setText(password)
    ui.repeatEdit.setText(repeat)


def test_first_run_setup_refuses_short_and_mismatched_passwords(
    qtbot: QtBot, gui: GuiContext
) -> None:
    dialog = SetupDialog(gui)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "at least 12 characters" in dialog.ui.rulesLabel.text()
    _fill_setup(dialog, "short-pw", "short-pw")
    dialog.submit()
    wait_idle(qtbot, gui)
    assert "at least 12 characters" in dialog.ui.errorLabel.text()
    _fill_setup(dialog, "long-enough-passphrase", "long-enough-passphrasf")
    dialog.submit()
    assert "differ" in dialog.ui.errorLabel.text()
    assert gui.services.auth.setup_needed()
    assert dialog.isVisible()


def test_first_run_setup_creates_the_administrator(qtbot: QtBot, gui: GuiContext) -> None:
    dialog = SetupDialog(gui)
    qtbot.addWidget(dialog)
    dialog.show()
    _fill_setup(dialog, "long-enough-passphrase", "long-enough-passphrase")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.created is not None
    assert Role.ADMINISTRATOR in dialog.created.roles
    assert not gui.services.auth.setup_needed()
    assert gui.services.settings.current().agency_name == "Springfield Police Department"
    assert gui.services.auth.login("chief.admin", "long-enough-passphrase").actor.username


def test_session_flow_setup_then_login_then_main_window(qtbot: QtBot, gui: GuiContext) -> None:
    controller = SessionController(gui)
    controller.start()  # asks the worker whether setup is needed
    qtbot.waitUntil(lambda: isinstance(controller.current, SetupDialog), timeout=10_000)
    setup = controller.current
    assert isinstance(setup, SetupDialog)
    _fill_setup(setup, "long-enough-passphrase", "long-enough-passphrase")
    setup.submit()
    qtbot.waitUntil(lambda: isinstance(controller.current, LoginDialog), timeout=10_000)
    login = controller.current
    assert isinstance(login, LoginDialog)
    assert login.ui.usernameEdit.text() == "chief.admin"
    qtbot.waitUntil(lambda: login.ui.titleLabel.text() == "Springfield Police Department")
    _login(qtbot, login, "chief.admin", "long-enough-passphrase")
    qtbot.waitUntil(lambda: isinstance(controller.current, MainWindow), timeout=10_000)
    window = controller.current
    assert isinstance(window, MainWindow)
    with qtbot.waitSignal(controller.finished, timeout=10_000):
        window.close()
    wait_idle(qtbot, gui)


def test_forced_password_change_before_main_window(qtbot: QtBot, gui: GuiContext) -> None:
    services = gui.services
    admin = create_admin(gui.application)
    view = services.users.create_user(
        admin,
        username="dana.dispatch",
        full_name="Dana Dispatch",
        roles=[Role.DISPATCHER],
        temporary_password="temporary-pass-0001",
    )
    services.users.activate(admin, view.id)
    controller = SessionController(gui)
    controller.start()
    qtbot.waitUntil(lambda: isinstance(controller.current, LoginDialog), timeout=10_000)
    login = controller.current
    assert isinstance(login, LoginDialog)
    _login(qtbot, login, "dana.dispatch", "temporary-pass-0001")
    qtbot.waitUntil(lambda: isinstance(controller.current, ChangePasswordDialog), timeout=10_000)
    change = controller.current
    assert isinstance(change, ChangePasswordDialog)
    assert not change.ui.currentEdit.isVisible()
    change.ui.newPasswordEdit.setText("short")
    change.ui.repeatEdit.setText("short")
    change.submit()
    wait_idle(qtbot, gui)
    assert "at least 12 characters" in change.ui.errorLabel.text()
    assert controller.current is change
    change.ui.newPasswordEdit.setText(NEW_PASSWORD)
    change.ui.repeatEdit.setText(NEW_PASSWORD)
    change.submit()
    qtbot.waitUntil(lambda: isinstance(controller.current, MainWindow), timeout=10_000)
    assert not services.auth.login("dana.dispatch", NEW_PASSWORD).must_change_password
    window = controller.current
    assert isinstance(window, MainWindow)
    window.close()
    wait_idle(qtbot, gui)
