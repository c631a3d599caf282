"""Sign-in, first-run setup and password change dialogs (Designer forms in ``ui/``).

Each dialog runs its service call on the background worker and shows the service's
own message inline when it refuses; it closes (``accept``) only once the call worked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QWidget

from alpr_desktop.errors import AlprError, ValidationError
from alpr_desktop.gui.forms.ui_change_password_dialog import Ui_ChangePasswordDialog
from alpr_desktop.gui.forms.ui_login_dialog import Ui_LoginDialog
from alpr_desktop.gui.forms.ui_setup_dialog import Ui_SetupDialog
from alpr_desktop.gui.theme import application_icon
from alpr_desktop.gui.widgets import set_busy, show_inline_error
from alpr_desktop.settings import DepartmentSettings

if TYPE_CHECKING:
    # Type names only: the sign-in window is shown before SQLAlchemy and the services
    # are imported (see gui/main.py).
    from alpr_desktop.gui.context import GuiContext
    from alpr_desktop.services.auth import LoginResult
    from alpr_desktop.services.base import Actor

_OK = QDialogButtonBox.StandardButton.Ok
_CANCEL = QDialogButtonBox.StandardButton.Cancel


def _fit(dialog: QDialog) -> None:
    """Shrink the dialog to its content (the forms' stored height is only a default)."""
    hint = dialog.sizeHint()
    dialog.resize(max(dialog.width(), hint.width()), hint.height())


def _label_buttons(buttons: QDialogButtonBox, ok: str, cancel: str) -> None:
    buttons.button(_OK).setText(ok)
    buttons.button(_OK).setDefault(True)
    buttons.button(_CANCEL).setText(cancel)


class LoginDialog(QDialog):
    """Username and password; on success :attr:`result_value` holds the LoginResult.

    Built with ``gui=None`` and a ``preparing`` text it is the first window of the
    process: the fields can be filled in while the database opens, and the Sign-in
    button shows what it waits for until :meth:`attach` hands it the opened services.
    """

    def __init__(
        self,
        gui: GuiContext | None,
        *,
        agency: str,
        username: str = "",
        preparing: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.gui = gui
        self.ui = Ui_LoginDialog()
        self.ui.setupUi(self)
        self.setWindowIcon(application_icon())
        self.ui.titleLabel.setText(agency)
        _label_buttons(self.ui.buttonBox, "Sign in", "Quit")
        self.ui.buttonBox.accepted.connect(self.submit)
        self.ui.buttonBox.rejected.connect(self.reject)
        show_inline_error(self.ui.errorLabel, "")
        _fit(self)
        self.result_value: LoginResult | None = None
        self.password = ""
        self.ui.usernameEdit.setText(username)
        (self.ui.passwordEdit if username else self.ui.usernameEdit).setFocus()
        if gui is None:
            ok = self.ui.buttonBox.button(_OK)
            ok.setText(preparing or "Starting…")
            ok.setEnabled(False)

    @property
    def preparing(self) -> bool:
        """True until the services are attached."""
        return self.gui is None

    def attach(self, gui: GuiContext, *, agency: str) -> None:
        """The database is open: enable signing in."""
        self.gui = gui
        self.ui.titleLabel.setText(agency)
        ok = self.ui.buttonBox.button(_OK)
        ok.setText("Sign in")
        ok.setEnabled(True)

    def submit(self) -> None:
        if self.gui is None:
            return  # Enter pressed while the database is still opening
        username = self.ui.usernameEdit.text().strip()
        password = self.ui.passwordEdit.text()
        if not username or not password:
            show_inline_error(self.ui.errorLabel, "Enter your username and password.")
            return
        set_busy(self.ui.buttonBox, True)
        auth = self.gui.services.auth
        self.gui.background.run(
            lambda: auth.login(username, password),
            on_done=lambda result: self._signed_in(result, password),
            on_error=self._failed,
            context=self,
        )

    def _signed_in(self, result: LoginResult, password: str) -> None:
        self.result_value = result
        self.password = password
        self.accept()

    def _failed(self, error: AlprError) -> None:
        set_busy(self.ui.buttonBox, False)
        show_inline_error(self.ui.errorLabel, str(error))
        self.ui.passwordEdit.clear()
        self.ui.passwordEdit.setFocus()


class SetupDialog(QDialog):
    """First run: agency name and the first administrator."""

    def __init__(self, gui: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gui = gui
        self.ui = Ui_SetupDialog()
        self.ui.setupUi(self)
        self.setWindowIcon(application_icon())
        _label_buttons(self.ui.buttonBox, "Create administrator", "Quit")
        self.ui.buttonBox.accepted.connect(self.submit)
        self.ui.buttonBox.rejected.connect(self.reject)
        show_inline_error(self.ui.errorLabel, "")
        _fit(self)
        self.created: Actor | None = None

    def submit(self) -> None:
        ui = self.ui
        agency = ui.agencyEdit.text().strip()
        password = ui.passwordEdit.text()
        if password != ui.repeatEdit.text():
            show_inline_error(ui.errorLabel, "The two passwords differ; type them again.")
            return
        fields = {
            "username": ui.usernameEdit.text(),
            "full_name": ui.fullNameEdit.text(),
            "organisation": ui.organisationEdit.text(),
            "password": password,
        }
        services = self.gui.services

        def work() -> Actor:
            if not agency:
                raise ValidationError("Enter the agency's name.")
            DepartmentSettings().updated(agency_name=agency)  # refuse before creating anyone
            actor = services.auth.create_first_administrator(**fields)
            services.settings.update(actor, agency_name=agency)
            return actor

        set_busy(ui.buttonBox, True)
        self.gui.background.run(work, on_done=self._created, on_error=self._failed, context=self)

    def _created(self, actor: Actor) -> None:
        self.created = actor
        self.accept()

    def _failed(self, error: AlprError) -> None:
        set_busy(self.ui.buttonBox, False)
        show_inline_error(self.ui.errorLabel, str(error))


class ChangePasswordDialog(QDialog):
    """Change one's own password; ``forced`` after signing in with a temporary one.

    When the current password is already known (just typed at sign-in) it is passed in
    and its field hidden.
    """

    def __init__(
        self,
        gui: GuiContext,
        actor: Actor,
        *,
        current: str | None = None,
        forced: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.gui = gui
        self.actor = actor
        self._current = current
        self.ui = Ui_ChangePasswordDialog()
        self.ui.setupUi(self)
        self.setWindowIcon(application_icon())
        if forced:
            self.ui.subtitleLabel.setText(
                f"Signed in as {actor.username}. Your password is temporary: choose your own "
                "password before you continue."
            )
        _label_buttons(self.ui.buttonBox, "Change password", "Sign out" if forced else "Cancel")
        if current is not None:
            self.ui.formLayout.setRowVisible(self.ui.currentEdit, False)
            self.ui.newPasswordEdit.setFocus()
        self.ui.buttonBox.accepted.connect(self.submit)
        self.ui.buttonBox.rejected.connect(self.reject)
        show_inline_error(self.ui.errorLabel, "")
        _fit(self)

    def submit(self) -> None:
        ui = self.ui
        current = self._current if self._current is not None else ui.currentEdit.text()
        new = ui.newPasswordEdit.text()
        if new != ui.repeatEdit.text():
            show_inline_error(ui.errorLabel, "The two new passwords differ; type them again.")
            return
        set_busy(ui.buttonBox, True)
        auth, actor = self.gui.services.auth, self.actor
        self.gui.background.run(
            lambda: auth.change_password(actor, current, new),
            on_done=lambda _none: self.accept(),
            on_error=self._failed,
            context=self,
        )

    def _failed(self, error: AlprError) -> None:
        set_busy(self.ui.buttonBox, False)
        show_inline_error(self.ui.errorLabel, str(error))
        for edit in (self.ui.newPasswordEdit, self.ui.repeatEdit):
            edit.clear()
        self.ui.newPasswordEdit.setFocus()
